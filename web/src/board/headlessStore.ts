import { atom } from '@tldraw/state'
import { Store } from '@tldraw/store'
import { createTLSchema, type TLStore } from '@tldraw/tlschema'

/**
 * A tldraw store with the default schema and no editor, DOM or React: what the binding's tests,
 * the stroke benchmark and Node tools use. Its schema equals the app's (which adds the same
 * default shapes through tldraw's ShapeUtils), so documents move freely between the two.
 */
export function createHeadlessStore(): TLStore {
  return new Store({
    schema: createTLSchema(),
    props: {
      defaultName: '',
      assets: {
        upload: async () => {
          throw new Error('A headless store cannot upload files')
        },
        resolve: async (asset) => asset.props.src,
        remove: async () => {},
      },
      users: {
        currentUser: atom('headless.currentUser', null),
        resolve: () => atom('headless.user', null),
      },
      onMount: () => {},
    },
  })
}
