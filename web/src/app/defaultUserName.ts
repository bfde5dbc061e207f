import { getUserPreferences, setUserPreferences } from 'tldraw'

/**
 * Gives a first-time visitor a name, so others' cursors never show blank labels. tldraw keeps
 * name and colour in its user preferences (localStorage), where the people menu edits them.
 */
export function ensureUserName(): void {
  const preferences = getUserPreferences()
  if (preferences.name?.trim()) return
  const suffix = Math.floor(1000 + Math.random() * 9000)
  setUserPreferences({ ...preferences, name: `Guest ${suffix}` })
}
