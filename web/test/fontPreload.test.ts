import assert from 'node:assert/strict'
import { test } from 'node:test'
import { preloadFont } from '../src/app/fontPreload.ts'

/** Just enough of a document for preloadFont: a head holding link elements. */
function fakeDocument() {
  const links: Array<Record<string, string> & { getAttribute(name: string): string | null }> = []
  const head = {
    querySelectorAll: (selector: string) => (selector === 'link[rel="preload"]' ? links.filter((l) => l.rel === 'preload') : []),
    appendChild: (link: (typeof links)[number]) => links.push(link),
  }
  const createElement = () => {
    const link = { getAttribute: (name: string) => (name === 'href' ? link.href ?? null : null) } as (typeof links)[number]
    return link
  }
  return { doc: { head, createElement } as unknown as Document, links }
}

test("the board's font is preloaded once, fetched as a FontFace fetches it", () => {
  const { doc, links } = fakeDocument()
  const link = preloadFont('/assets/Shantell_Sans-Informal_Regular-abc.woff2', doc)
  assert.ok(link)
  assert.equal(links.length, 1)
  assert.deepEqual(
    { rel: link.rel, as: link.as, type: link.type, crossOrigin: link.crossOrigin, href: link.href },
    { rel: 'preload', as: 'font', type: 'font/woff2', crossOrigin: 'anonymous', href: '/assets/Shantell_Sans-Informal_Regular-abc.woff2' },
  )
  assert.equal(preloadFont('/assets/Shantell_Sans-Informal_Regular-abc.woff2', doc), null, 'not twice')
  assert.equal(links.length, 1)
  assert.equal(preloadFont(undefined, doc), null, 'no URL, nothing to do')
  assert.equal(preloadFont('/assets/x.woff2', undefined), null, 'no document (server-side, tests)')
})
