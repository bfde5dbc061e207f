/** Runtime settings the server hands the app (GET /api/config), so nothing is baked in at build time. */
export interface AppConfig {
  /** tldraw licence key from TLDRAW_LICENSE_KEY, or null (development hosts need none). */
  tldrawLicenseKey: string | null
  /** Whether the server requires a token (AUTH_SECRET set). */
  authRequired: boolean
  /**
   * Whether the server lists its boards (false with `BOARD_LIST=off`: the boards page then shows only
   * the boards this browser opened). Servers that do not send the field list them.
   */
  boardList: boolean
}

const FALLBACK: AppConfig = { tldrawLicenseKey: null, authRequired: false, boardList: true }

/**
 * Fetches the runtime config from the Scrawl server at `serverUrl` ('' = this page's origin).
 * Offline, or against a server without the endpoint, the board still opens: it just runs without
 * a licence key.
 */
export async function loadConfig(serverUrl = ''): Promise<AppConfig> {
  try {
    const response = await fetch(`${serverUrl.replace(/\/+$/, '')}/api/config`, { headers: { Accept: 'application/json' } })
    if (!response.ok) return FALLBACK
    const body = (await response.json()) as Partial<AppConfig>
    return {
      tldrawLicenseKey: typeof body.tldrawLicenseKey === 'string' ? body.tldrawLicenseKey : null,
      authRequired: body.authRequired === true,
      boardList: body.boardList !== false,
    }
  } catch {
    // Offline: the cached board must still open.
    return FALLBACK
  }
}
