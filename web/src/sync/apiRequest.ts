/** One request to Scrawl's HTTP API: what the room client (app/roomApi.ts) and the boards client (boards/boardsApi.ts) share. */
export interface ApiRequestInit {
  method?: string
  /** A JSON body (sent as application/json). */
  json?: unknown
  /** A raw body, sent with its own type unless `headers` says otherwise. */
  body?: Blob
  headers?: Record<string, string>
  /** Accept header, default application/json. */
  accept?: string
  signal?: AbortSignal
}

/** How a client turns a failure into its own error: the HTTP status (0: no answer at all) and the reason. */
export type ApiFailure = (status: number, reason: string) => Error

/**
 * Sends `init` to `url` (never cached; the Bearer `token` when there is one) and resolves the response when it is ok.
 * A refusal rejects with `fail(status, reason)`, the reason being the server's `{ "error" }` or the start of its
 * text ('' when it sent none); no answer rejects with `fail(0, ...)`. An aborted request rejects as aborted.
 */
export async function apiRequest(doFetch: typeof fetch, url: string, token: string | null, init: ApiRequestInit, fail: ApiFailure): Promise<Response> {
  const headers: Record<string, string> = { Accept: init.accept ?? 'application/json' }
  if (token) headers.Authorization = `Bearer ${token}`
  if (init.json !== undefined) headers['Content-Type'] = 'application/json'
  if (init.body) headers['Content-Type'] = init.body.type
  Object.assign(headers, init.headers)
  let response: Response
  try {
    response = await doFetch(url, {
      method: init.method ?? 'GET',
      headers,
      body: init.body ?? (init.json === undefined ? undefined : JSON.stringify(init.json)),
      cache: 'no-store',
      signal: init.signal,
    })
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error
    throw fail(0, `The server did not answer (${(error as Error).message ?? error})`)
  }
  if (!response.ok) throw fail(response.status, await errorReason(response))
  return response
}

/** The server's reason for a refusal: `{ "error": ... }`, or else the start of the body's text. */
async function errorReason(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: unknown }
    if (typeof body.error === 'string') return body.error
  } catch {
    // Not JSON: the text itself.
  }
  return text.slice(0, 200)
}
