import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createThumbnailSchedule, type ThumbnailOutcome } from '../src/boards/thumbnailSchedule.ts'

/** A fake clock with timers, and a schedule whose renders are counted. */
function harness(options: { outcomes?: ThumbnailOutcome[]; canRender?: () => boolean } = {}) {
  let now = 0
  let timers: Array<{ at: number; callback: () => void; id: number }> = []
  let nextId = 1
  const renders: number[] = []
  const outcomes = [...(options.outcomes ?? [])]
  const schedule = createThumbnailSchedule({
    settleMs: 3_000,
    minIntervalMs: 30_000,
    retryMs: 5_000,
    canRender: options.canRender ?? (() => true),
    render: async () => {
      renders.push(now)
      return outcomes.shift() ?? 'uploaded'
    },
    now: () => now,
    setTimer: (callback, ms) => {
      const timer = { at: now + ms, callback, id: nextId++ }
      timers.push(timer)
      return timer.id
    },
    clearTimer: (id) => {
      timers = timers.filter((t) => t.id !== id)
    },
  })
  /** Moves the clock to `t`, firing due timers in order and letting renders finish. */
  const advanceTo = async (t: number) => {
    for (;;) {
      timers.sort((a, b) => a.at - b.at)
      const due = timers[0]
      if (!due || due.at > t) break
      timers.shift()
      now = due.at
      due.callback()
      await new Promise((resolve) => setImmediate(resolve))
    }
    now = t
  }
  return { schedule, renders, advanceTo }
}

test('a render comes 3 s after the last change, not while changes keep coming', async () => {
  const { schedule, renders, advanceTo } = harness()
  for (let t = 0; t <= 5_000; t += 500) {
    await advanceTo(t)
    schedule.noteChange()
  }
  await advanceTo(7_999)
  assert.deepEqual(renders, [])
  await advanceTo(8_000)
  assert.deepEqual(renders, [8_000])
  assert.equal(schedule.pending, false)
})

test('at most one render per 30 s: a later change waits for the interval, then renders once', async () => {
  const { schedule, renders, advanceTo } = harness()
  schedule.noteChange()
  await advanceTo(3_000)
  await advanceTo(4_000)
  schedule.noteChange()
  await advanceTo(10_000)
  schedule.noteChange()
  await advanceTo(32_999)
  assert.deepEqual(renders, [3_000])
  await advanceTo(40_000)
  assert.deepEqual(renders, [3_000, 33_000])
})

test('nothing renders while not allowed (hidden, read-only); a poke once allowed renders what is owed', async () => {
  let allowed = false
  const { schedule, renders, advanceTo } = harness({ canRender: () => allowed })
  schedule.noteChange()
  await advanceTo(60_000)
  assert.deepEqual(renders, [])
  assert.equal(schedule.pending, true)
  allowed = true
  schedule.poke()
  await advanceTo(60_001)
  assert.deepEqual(renders, [60_000])
})

test('a board the catalog does not know yet is retried; a skipped render uses up no interval; stop ends it all', async () => {
  const { schedule, renders, advanceTo } = harness({ outcomes: ['retry', 'uploaded', 'skipped'] })
  schedule.noteChange()
  await advanceTo(3_000)
  await advanceTo(8_000)
  assert.deepEqual(renders, [3_000, 8_000], 'retried 5 s later')
  schedule.noteChange()
  await advanceTo(38_000)
  assert.deepEqual(renders, [3_000, 8_000, 38_000], 'the interval counts from the upload')
  // That one was skipped (say, an empty page): the next change renders after 3 s, not after 30.
  schedule.noteChange()
  await advanceTo(41_000)
  assert.deepEqual(renders, [3_000, 8_000, 38_000, 41_000])
  schedule.noteChange()
  schedule.stop()
  await advanceTo(200_000)
  assert.equal(renders.length, 4)
})
