import type { Extension, onAuthenticatePayload } from '@hocuspocus/server';
import { CloseCode, ProtocolError } from '../close-codes.ts';
import type { AuthExtension } from '../sync/auth.ts';
import type { ConnectionContext } from '../sync/socket-server.ts';
import type { People } from './people.ts';
import type { Role } from './person.ts';

/**
 * Sign-in mode's gate on both WebSocket endpoints (in place of the token-only AuthExtension). A connection with a
 * token goes through the token rules when AUTH_SECRET is set; otherwise the person from the upgrade's session cookie
 * (see sign-in.ts) needs a role on the board: a viewer's connection is read-only exactly like a `ro` token's (its
 * document updates never applied, relayed or stored). Nobody signed in: 4401; no role: 4403. The first signed-in
 * person to open a board nobody owns becomes its owner.
 */
export class PeopleExtension implements Extension {
  /** Before every other extension, like the token check. */
  priority = 1000;
  private readonly people: People;
  private readonly tokens: AuthExtension | null;
  private readonly onFailure: (reason: string) => void;

  /** `tokens` checks token connections (null: tokens are refused); `onFailure` counts refusals (metrics). */
  constructor(people: People, tokens: AuthExtension | null, onFailure: (reason: string) => void = () => {}) {
    this.people = people;
    this.tokens = tokens;
    this.onFailure = onFailure;
  }

  async onAuthenticate(payload: onAuthenticatePayload): Promise<{ role: Role } | object> {
    const { token, documentName, connectionConfig, context } = payload;
    if (token && this.tokens) return this.tokens.onAuthenticate(payload);
    const { socket, person } = context as ConnectionContext;
    const refuse = (code: typeof CloseCode.unauthenticated | typeof CloseCode.forbidden, reason: string) => {
      this.onFailure(code === CloseCode.forbidden ? 'forbidden' : 'sign_in_required');
      socket?.close(code, reason);
      return new ProtocolError(code, reason);
    };
    if (!person) throw refuse(CloseCode.unauthenticated, 'sign in required');
    const room = documentName.split('\0', 1)[0];
    const role = await this.people.roleFor(room, person, { claim: true });
    if (role === null) throw refuse(CloseCode.forbidden, 'no access to this board');
    connectionConfig.readOnly = role === 'viewer';
    return { role };
  }
}
