const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/**
 * "just now", "5 minutes ago", "yesterday", "3 days ago", then the date: how the boards page says
 * when a board was last edited. `locale` defaults to the browser's. Invalid dates give ''.
 */
export function relativeTime(iso: string, now: number, locale?: string): string {
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return ''
  const ago = Math.max(0, now - then)
  if (ago < MINUTE) return 'just now'
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  if (ago < HOUR) return format.format(-Math.floor(ago / MINUTE), 'minute')
  if (ago < DAY) return format.format(-Math.floor(ago / HOUR), 'hour')
  if (ago < 7 * DAY) return format.format(-Math.floor(ago / DAY), 'day')
  const sameYear = new Date(then).getFullYear() === new Date(now).getFullYear()
  return new Date(then).toLocaleDateString(locale, { day: 'numeric', month: 'short', year: sameYear ? undefined : 'numeric' })
}
