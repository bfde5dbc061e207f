import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProtocolError } from '../close-codes.ts';
import { bearerToken, sendJson } from '../http/http-util.ts';
import type { People } from '../people/people.ts';
import type { TokenVerifier } from '../sync/auth.ts';
import { BackupBusyError, type BackupService } from './backup-service.ts';

/** The admin endpoint's path. */
export const BACKUP_PATH = '/api/admin/backup';

/**
 * Answers `GET /api/admin/backup` with a whole archive, streamed as it is read (application/x-tar). This is how
 * `npm run backup` reaches a running LevelDB server, whose database no other process may open; it also lets a backup
 * machine pull archives over HTTPS (`curl -H "Authorization: Bearer $TOKEN"`). Who may call it:
 *
 * - with AUTH_SECRET: a holder of an admin token (`room: "*"`, `mode: "rw"`), from anywhere;
 * - without AUTH_SECRET (no tokens exist): only a client on this machine (a loopback address) that is not relayed by a
 *   proxy (no Forwarded / X-Forwarded-For / X-Real-IP header: a reverse proxy on the same host connects from
 *   loopback too) and not a web page (no Origin header);
 * - in sign-in mode, also an admin (ADMIN_EMAILS) signed in on this site, from one of its own pages (the boards page's
 *   "Back up the server"): a request with a session and no bearer token is judged by the session alone.
 *
 * A client that goes away midway cancels the backup (its consistent read is released); the stream then breaks off
 * without a manifest, so an incomplete download never passes for an archive.
 */
export async function handleBackupRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { backups: BackupService; verifier: TokenVerifier | null; people: People | null },
): Promise<void> {
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    return sendJson(res, 405, { error: 'use GET' });
  }
  const refusal = (await sessionRefusalOf(req, ctx.people)) ?? (await refusalOf(req, ctx.verifier));
  if (refusal) return sendJson(res, refusal.status, { error: refusal.error });
  if (ctx.backups.running) return sendJson(res, 409, { error: 'a backup is already running on this server; try again when it has finished' });
  const name = `scrawl-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.tar`;
  res.writeHead(200, {
    'content-type': 'application/x-tar',
    'content-disposition': `attachment; filename="${name}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  try {
    await ctx.backups.stream(res, 'admin endpoint');
  } catch (error) {
    if (error instanceof BackupBusyError && !res.headersSent) return sendJson(res, 409, { error: error.message });
    // Already logged and counted by the service; the broken-off stream tells the client.
    res.destroy();
  }
}

/**
 * Sign-in mode, a request with a session and no bearer token: null for an admin on one of this site's pages, else the
 * refusal. `undefined` when the session rule does not apply (no sign-in, a token, or no session): the other rules do.
 */
async function sessionRefusalOf(req: IncomingMessage, people: People | null): Promise<{ status: number; error: string } | null | undefined> {
  if (!people || req.headers.authorization !== undefined) return undefined;
  const session = await people.sessionOf(req);
  if (!session) return undefined;
  // A top-level navigation from another site still carries the cookie (SameSite=Lax): refused, like every change.
  if (!people.isSameOrigin(req)) return { status: 403, error: 'cross-origin request refused' };
  return session.person.admin ? null : { status: 403, error: 'backups need an admin (ADMIN_EMAILS)' };
}

async function refusalOf(req: IncomingMessage, verifier: TokenVerifier | null): Promise<{ status: number; error: string } | null> {
  if (verifier) {
    try {
      const claims = await verifier.verify(bearerToken(req));
      if (claims.room !== '*' || claims.mode !== 'rw') return { status: 403, error: 'backups need an admin token (room "*", mode "rw")' };
      return null;
    } catch (error) {
      if (error instanceof ProtocolError) return { status: 401, error: error.reason };
      throw error;
    }
  }
  const relayed = ['forwarded', 'x-forwarded-for', 'x-real-ip'].some((header) => req.headers[header] !== undefined);
  if (!isLoopback(req.socket.remoteAddress) || relayed || req.headers.origin !== undefined) {
    return { status: 403, error: 'without AUTH_SECRET, backups are served only to clients on this machine (not through a proxy); set AUTH_SECRET to use an admin token' };
  }
  return null;
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
