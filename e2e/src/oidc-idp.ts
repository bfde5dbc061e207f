/**
 * A real OpenID Provider for the sign-in scenarios (the npm package oidc-provider, as in server/test/oidc-fixtures.ts:
 * one confidential client, the accounts alice, bob and carol with email and name claims) on 127.0.0.1, with its pages
 * served from here: its built-in dev pages import a Google font, and nothing a test browser loads may leave
 * 127.0.0.1 (the request ledger). The login page posts to the provider's own interaction endpoints; the first-party
 * client is granted its scopes without a consent page; logout and error pages are local HTML too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** The people the provider knows: login name -> claims. Only Alice has a picture (served here); the others show initials. */
export const ACCOUNTS: Record<string, { email: string; name: string; picture: boolean }> = {
  alice: { email: 'alice@example.com', name: 'Alice Archer', picture: true },
  bob: { email: 'bob@example.com', name: 'Bob Baker', picture: false },
  carol: { email: 'carol@example.com', name: 'Carol Cooper', picture: false },
};

/** The client Scrawl is registered as (confidential: a secret, sent with HTTP Basic). */
export const CLIENT = { id: 'scrawl-e2e', secret: 'an-e2e-confidential-client-secret' };

/** A running provider. */
export interface E2eProvider {
  /** `http://127.0.0.1:PORT`, Scrawl's OIDC_ISSUER_URL. */
  issuer: string;
  stop(): Promise<void>;
}

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:22rem;margin:3rem auto;color:#222}label,input,button{display:block;width:100%;margin:.4rem 0}input{padding:.4rem;box-sizing:border-box}button{padding:.5rem}';

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><style>${STYLE}</style></head><body><h1>${title}</h1>${body}</body></html>`);
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** An avatar picture: the account's initial on a colour (an SVG, so the browser draws it without fonts from outside). */
function avatar(res: ServerResponse, login: string): void {
  const account = ACCOUNTS[login];
  if (!account?.picture) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' });
  res.end(
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#7048e8"/>` +
      `<text x="32" y="42" font-size="30" text-anchor="middle" fill="#fff" font-family="sans-serif">${account.name[0]}</text></svg>`,
  );
}

/**
 * Starts the provider on 127.0.0.1 (a free port), with `scrawlUrl` as the client's redirect (`/auth/callback`) and
 * post-logout (`/`) destination.
 */
export async function startE2eProvider(scrawlUrl: string): Promise<E2eProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: [`${scrawlUrl}/auth/callback`],
        post_logout_redirect_uris: [`${scrawlUrl}/`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx: unknown, id: string) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      const picture = account.picture ? { picture: `${issuer}/avatars/${id}.svg` } : {};
      return { accountId: id, claims: async () => ({ sub: id, email: account.email, email_verified: true, name: account.name, ...picture }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
    pkce: { required: () => true },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // Scrawl is this provider's own (first-party) client: grant what it asks without a consent page.
    async loadExistingGrant(ctx: any) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx: any, form: string) {
          ctx.type = 'html';
          ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>Sign out</title><style>${STYLE}</style></head><body><h1>Sign out of the provider?</h1>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes" data-testid="idp-logout">Yes, sign me out</button></body></html>`;
        },
        async postLogoutSuccessSource(ctx: any) {
          ctx.type = 'html';
          ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>Signed out</title></head><body><h1>Signed out</h1></body></html>`;
        },
      },
    },
    async renderError(ctx: any, out: Record<string, string>) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>Provider error</title></head><body><h1>Provider error</h1><pre>${escape(JSON.stringify(out))}</pre></body></html>`;
    },
    cookies: { keys: ['oidc-provider-e2e-cookie-key'] },
  });
  // Its dev-only warnings and errors go to its own events; the tests assert on Scrawl's side.
  provider.on('server_error', () => {});
  const callback = provider.callback();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    const avatarPath = /^\/avatars\/([a-z]+)\.svg$/.exec(url.pathname);
    if (avatarPath && req.method === 'GET') return avatar(res, avatarPath[1]);
    const interaction = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(url.pathname);
    if (!interaction) return callback(req, res);
    void interact(provider, req, res, interaction[1], interaction[2] !== undefined).catch((error: unknown) => {
      page(res, 400, 'Sign-in failed', `<p>${escape(String((error as Error).message ?? error))}</p>`);
    });
  });

  return {
    issuer,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The login page (GET) and its answer (POST .../login): any password, a known login name. */
async function interact(provider: Provider, req: IncomingMessage, res: ServerResponse, uid: string, submitted: boolean): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {
    // Consent is granted by loadExistingGrant; any other prompt would be a configuration slip here.
    return page(res, 400, 'Unexpected prompt', `<p>${escape(details.prompt.name)}</p>`);
  }
  let problem = '';
  if (submitted && req.method === 'POST') {
    const login = (await formBody(req)).get('login')?.trim().toLowerCase() ?? '';
    if (ACCOUNTS[login]) return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    problem = `<p role="alert">No account "${escape(login)}".</p>`;
  }
  page(
    res,
    200,
    'Sign in to the test provider',
    `${problem}<form method="post" action="/interaction/${uid}/login" autocomplete="off">` +
      `<label>Login <input name="login" data-testid="idp-login" autofocus></label>` +
      `<label>Password <input name="password" type="password" data-testid="idp-password"></label>` +
      `<button type="submit" data-testid="idp-submit">Sign in</button></form>`,
  );
}
