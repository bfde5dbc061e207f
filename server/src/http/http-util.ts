import type { IncomingMessage, ServerResponse } from 'node:http';

/** Sends a JSON body with `status`, never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/** An error answered as `{ "error": message }` with an HTTP status. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The request's media type: Content-Type without its parameters, in lower case; '' when there is none. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Reads a request body of at most `maxBytes`. A larger one, declared in Content-Length or sent, is refused with
 * HttpError 413 and the message `tooBig` as soon as it shows, without reading the rest.
 */
export async function readBody(req: IncomingMessage, maxBytes: number, tooBig = `body larger than ${maxBytes} bytes`): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw new HttpError(413, tooBig);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new HttpError(413, tooBig);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads a small JSON request body (at most `maxBytes`, default 64 KiB); throws HttpError 400/413 otherwise. */
export async function readJson(req: IncomingMessage, maxBytes = 64 * 1024): Promise<Record<string, unknown>> {
  const bytes = await readBody(req, maxBytes);
  if (bytes.byteLength === 0) return {};
  try {
    const body: unknown = JSON.parse(bytes.toString('utf8'));
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // Answered below, like any other body that is not a JSON object.
  }
  throw new HttpError(400, 'body must be a JSON object');
}

/** The Bearer token of a request, or null. */
export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7).trim() || null : null;
}
