import assert from 'node:assert/strict'
import { test } from 'node:test'
import { highlightSegments } from '../src/boards/highlight.ts'
import { relativeTime } from '../src/boards/relativeTime.ts'

const render = (text: string, ranges?: Array<[number, number]>) =>
  highlightSegments(text, ranges)
    .map((s) => (s.marked ? `[${s.text}]` : s.text))
    .join('')

test('match offsets become marked runs, the rest plain, nothing lost', () => {
  assert.deepEqual(highlightSegments('What went well', [[5, 9]]), [
    { text: 'What ', marked: false },
    { text: 'went', marked: true },
    { text: ' well', marked: false },
  ])
  assert.equal(render('alpha beta gamma', [[0, 5], [11, 16]]), '[alpha] beta [gamma]')
  assert.equal(render('plain'), 'plain')
  assert.deepEqual(highlightSegments('', []), [{ text: '', marked: false }])
})

test('unsorted, overlapping, touching, out-of-range and malformed offsets are made sane', () => {
  assert.equal(render('abcdefghij', [[6, 8], [1, 3], [2, 4]]), 'a[bcd]ef[gh]ij')
  assert.equal(render('abcdefghij', [[1, 3], [3, 5]]), 'a[bcde]fghij', 'touching ranges merge')
  assert.equal(render('abc', [[-5, 1], [2, 99]]), '[a]b[c]')
  assert.equal(render('abc', [[2, 1], [1, 1], [NaN, 2]] as Array<[number, number]>), 'abc')
  assert.equal(render('abc', [[0] as unknown as [number, number], 'x' as unknown as [number, number]]), 'abc')
})

test('a range never cuts a character made of two UTF-16 units in half', () => {
  const text = 'a😀b'
  // 😀 is code units 1 and 2; a range ending at 2 or starting at 2 is widened to the whole emoji.
  assert.equal(render(text, [[0, 2]]), '[a😀]b')
  assert.equal(render(text, [[2, 4]]), 'a[😀b]')
})

test('relative times read as people say them, then fall back to the date', () => {
  const now = Date.parse('2026-12-07T12:00:00Z')
  assert.equal(relativeTime('2026-12-07T11:59:30Z', now, 'en'), 'just now')
  assert.equal(relativeTime('2026-12-07T11:55:00Z', now, 'en'), '5 minutes ago')
  assert.equal(relativeTime('2026-12-07T09:00:00Z', now, 'en'), '3 hours ago')
  assert.equal(relativeTime('2026-12-06T11:00:00Z', now, 'en'), 'yesterday')
  assert.equal(relativeTime('2026-12-03T12:00:00Z', now, 'en'), '4 days ago')
  assert.match(relativeTime('2026-10-01T12:00:00Z', now, 'en'), /Oct/)
  assert.match(relativeTime('2025-10-01T12:00:00Z', now, 'en'), /2025/)
  assert.equal(relativeTime('not a date', now, 'en'), '')
  assert.equal(relativeTime('2026-12-07T12:00:05Z', now, 'en'), 'just now', 'a clock slightly behind the server is not "in the future"')
})
