import assert from 'node:assert/strict'
import { test } from 'node:test'
import { atom } from '@tldraw/state'
import { whenShapeVisible } from '../src/app/shapeVisibility.ts'

/** An editor's culled set, reactive like tldraw's, that counts how often it is read. */
function culling(initial: string[]) {
  const culled = atom('culled', new Set(initial))
  let reads = 0
  return {
    source: { getCulledShapes: () => (reads++, culled.get()) },
    set: (ids: string[]) => culled.set(new Set(ids)),
    reads: () => reads,
  }
}

const microtask = () => new Promise<void>((resolve) => queueMicrotask(resolve))

test('a shape not culled is shown at once; a culled one when it stops being culled, once', async () => {
  const { source, set } = culling(['b', 'c'])
  const shown: string[] = []
  whenShapeVisible(source, 'a', () => shown.push('a'))
  assert.deepEqual(shown, ['a'])
  whenShapeVisible(source, 'b', () => shown.push('b'))
  whenShapeVisible(source, 'c', () => shown.push('c'))
  assert.deepEqual(shown, ['a'])
  set(['c'])
  assert.deepEqual(shown, ['a', 'b'])
  set(['b', 'c'])
  set(['b'])
  assert.deepEqual(shown, ['a', 'b', 'c'], 'b culled again is not shown twice')
  set([])
  assert.deepEqual(shown, ['a', 'b', 'c'])
})

test('one reaction per editor, whatever the number of shapes waiting, and none once nothing waits', async () => {
  const ids = Array.from({ length: 1_000 }, (_, i) => `shape:${i}`)
  const { source, set, reads } = culling(ids)
  const shown = new Set<string>()
  for (const id of ids) whenShapeVisible(source, id, () => shown.add(id))
  const before = reads()
  set(ids.slice(10))
  assert.equal(reads() - before, 1, 'a culling change is read once, not once per shape')
  assert.equal(shown.size, 10)
  set([])
  assert.equal(shown.size, 1_000)
  await microtask()
  const after = reads()
  set(['x'])
  assert.equal(reads(), after, 'the reaction is gone')
})

test('a cancelled wait (the shape unmounted) is never shown', async () => {
  const { source, set } = culling(['a', 'b'])
  const shown: string[] = []
  const cancelA = whenShapeVisible(source, 'a', () => shown.push('a'))
  whenShapeVisible(source, 'b', () => shown.push('b'))
  cancelA()
  set([])
  assert.deepEqual(shown, ['b'])
  // Waiting again after everything was shown starts a new reaction.
  await microtask()
  set(['c'])
  whenShapeVisible(source, 'c', () => shown.push('c'))
  set([])
  assert.deepEqual(shown, ['b', 'c'])
})
