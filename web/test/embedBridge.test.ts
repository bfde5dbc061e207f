import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseParentOrigins, startEmbedBridge, type EmbedBridgeOptions } from '../src/app/embedBridge.ts'

test('parent origins: normalized, comma-separated or repeated; wildcards and non-http origins dropped', () => {
  assert.deepEqual(parseParentOrigins('?parentOrigin=https://app.example.com/some/path'), ['https://app.example.com'])
  assert.deepEqual(parseParentOrigins('?parentOrigin=https://a.example,http://127.0.0.1:5173&parentOrigin=https://b.example:8443'), [
    'https://a.example',
    'http://127.0.0.1:5173',
    'https://b.example:8443',
  ])
  assert.deepEqual(parseParentOrigins('?parentOrigin=*'), [])
  assert.deepEqual(parseParentOrigins('?parentOrigin=null&parentOrigin=javascript:alert(1)&parentOrigin=nonsense'), [])
  assert.deepEqual(parseParentOrigins(''), [])
})

/** A bridge on fake windows and a manual clock. */
function harness(overrides: Partial<EmbedBridgeOptions> = {}) {
  const posted: Array<{ message: any; origin: string }> = []
  const parent = { postMessage: (message: unknown, origin: string) => void posted.push({ message, origin }) }
  let onMessage: (event: { data: unknown; origin: string; source: unknown }) => void = () => {}
  let statusListener = () => {}
  let changeListener = () => {}
  let status = { state: 'connecting', unsyncedChanges: 0 }
  let shapes = 0
  let clock = 0
  const timers: Array<{ at: number; run: () => void }> = []
  const stop = startEmbedBridge({
    room: 'r1',
    parentOrigins: ['https://host.example'],
    parent,
    onMessage: (handler) => ((onMessage = handler as typeof onMessage), () => (onMessage = () => {})),
    status: () => status,
    onStatus: (listener) => ((statusListener = listener), () => {}),
    shapeCount: () => shapes,
    onDocumentChange: (listener) => ((changeListener = listener), () => {}),
    exportPng: async () => (shapes > 0 ? 'data:image/png;base64,AAAA' : null),
    changeThrottleMs: 100,
    now: () => clock,
    setTimeout: (run, ms) => timers.push({ at: clock + ms, run }),
    clearTimeout: () => {},
    ...overrides,
  })
  return {
    posted,
    parent,
    stop,
    send: (data: unknown, origin = 'https://host.example', source: unknown = parent) => onMessage({ data, origin, source }),
    setStatus(next: typeof status) {
      status = next
      statusListener()
    },
    change(count: number) {
      shapes = count
      changeListener()
    },
    advance(ms: number) {
      clock += ms
      for (const timer of timers.splice(0)) {
        if (timer.at <= clock) timer.run()
        else timers.push(timer)
      }
    },
  }
}

test('ready then status at start, to the allowed origin only; status only when it changes', () => {
  const h = harness()
  assert.deepEqual(h.posted, [
    { message: { type: 'scrawl:ready', room: 'r1' }, origin: 'https://host.example' },
    { message: { type: 'scrawl:status', state: 'connecting', unsyncedChanges: 0 }, origin: 'https://host.example' },
  ])
  h.setStatus({ state: 'connected', unsyncedChanges: 0 })
  h.setStatus({ state: 'connected', unsyncedChanges: 0 })
  assert.equal(h.posted.filter((p) => p.message.type === 'scrawl:status').length, 2)
})

test('change notices are throttled and carry the latest shape count', () => {
  const h = harness()
  h.posted.length = 0
  h.change(1)
  h.change(2)
  h.change(3)
  assert.equal(h.posted.length, 0, 'nothing before the timer fires')
  h.advance(0)
  assert.deepEqual(h.posted.map((p) => p.message), [{ type: 'scrawl:change', shapes: 3 }])
  h.change(4)
  h.advance(50)
  assert.equal(h.posted.length, 1, 'within the throttle window')
  h.advance(50)
  assert.deepEqual(h.posted.at(-1)!.message, { type: 'scrawl:change', shapes: 4 })
})

test('export-png is answered to the asking origin; other origins, other windows and junk are ignored', async () => {
  const h = harness()
  h.change(2)
  h.posted.length = 0
  h.send({ type: 'scrawl:export-png', requestId: 'x' }, 'https://evil.example')
  h.send({ type: 'scrawl:export-png', requestId: 'y' }, 'https://host.example', {})
  h.send('scrawl:export-png')
  h.send(null)
  h.send({ type: 'scrawl:export-png', requestId: 7 })
  await new Promise((resolve) => setTimeout(resolve, 0))
  assert.deepEqual(h.posted, [{ message: { type: 'scrawl:png', requestId: 7, dataUrl: 'data:image/png;base64,AAAA' }, origin: 'https://host.example' }])
})

test('an empty board or a failed export answers with dataUrl null and an error', async () => {
  const empty = harness()
  empty.send({ type: 'scrawl:export-png', requestId: 1 })
  const failing = harness({ exportPng: async () => Promise.reject(new Error('boom')) })
  failing.send({ type: 'scrawl:export-png', requestId: 2 })
  await new Promise((resolve) => setTimeout(resolve, 0))
  assert.deepEqual(empty.posted.at(-1)!.message, { type: 'scrawl:png', requestId: 1, dataUrl: null, error: 'the board is empty' })
  assert.deepEqual(failing.posted.at(-1)!.message, { type: 'scrawl:png', requestId: 2, dataUrl: null, error: 'boom' })
})

test('without an allowed origin the bridge posts nothing and listens to nothing', () => {
  const posted: unknown[] = []
  let listened = false
  startEmbedBridge({
    room: 'r',
    parentOrigins: [],
    parent: { postMessage: (m) => void posted.push(m) },
    onMessage: () => ((listened = true), () => {}),
    status: () => ({ state: 'connected', unsyncedChanges: 0 }),
    onStatus: () => () => {},
    shapeCount: () => 0,
    onDocumentChange: () => () => {},
    exportPng: async () => null,
  })
  assert.deepEqual(posted, [])
  assert.equal(listened, false)
})
