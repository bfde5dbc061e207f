/**
 * The OpenID Connect side of sign-in, on openid-client v6: discovery of the provider (retried in the background while
 * it is unreachable, so a provider that starts after Scrawl, or is down for a while, is not a crash loop), the
 * authorization URL with PKCE (S256), state and nonce, the code exchange with every check openid-client makes (issuer,
 * audience, signature, nonce, state, PKCE), the person's claims, and RP-initiated logout where the provider has it.
 */
import * as client from 'openid-client';
import type { Logger } from '../log.ts';
import type { LoginState } from './session-cookie.ts';
import { normalizeEmail } from './person.ts';

/** Options of {@link OidcClient}. */
export interface OidcClientOptions {
  issuerUrl: string;
  clientId: string;
  /** Null for a public client (PKCE alone). */
  clientSecret: string | null;
  /** Space-separated scopes, with openid. */
  scopes: string;
  /** `<PUBLIC_URL>/auth/callback`, registered at the provider. */
  redirectUri: string;
  /** Where the provider sends people back after logout (`<PUBLIC_URL>/`), registered at the provider too. */
  postLogoutRedirectUri: string;
  /** Allow a plain-http issuer (config.ts lets only loopback or OIDC_ALLOW_HTTP_ISSUER through). */
  allowHttp: boolean;
  log: Logger;
  /** First retry delay after a failed discovery, doubled up to 30 s; default 1 s. */
  retryMs?: number;
}

/** Who signed in, from the ID token (and the userinfo endpoint when the token lacks the email). */
export interface SignedInClaims {
  email: string;
  name: string;
  picture: string | null;
  /** The raw ID token, kept for `id_token_hint` at logout. */
  idToken: string | null;
}

/** A sign-in refused by Scrawl's own rules (no email, unverified email); the message is shown to the person. */
export class SignInRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInRefused';
  }
}

const MAX_RETRY_MS = 30_000;

/** One configured provider. Unusable (`ready` false) until its discovery document has been read. */
export class OidcClient {
  private readonly options: OidcClientOptions;
  private readonly log: Logger;
  private config: client.Configuration | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private discovering: Promise<void> | null = null;

  constructor(options: OidcClientOptions) {
    this.options = options;
    this.log = options.log.child({ module: 'oidc' });
  }

  /** True once discovery succeeded. */
  get ready(): boolean {
    return this.config !== null;
  }

  /** The provider's host, for messages and the sign-in page. */
  get providerName(): string {
    return new URL(this.options.issuerUrl).host;
  }

  /** Starts discovery; resolves after the first attempt, whatever its outcome (failures retry in the background). */
  start(): Promise<void> {
    this.discovering ??= this.discover(this.options.retryMs ?? 1000);
    return this.discovering;
  }

  /** Stops retrying. */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private async discover(delayMs: number): Promise<void> {
    const { issuerUrl, clientId, clientSecret } = this.options;
    try {
      this.config = await client.discovery(
        new URL(issuerUrl),
        clientId,
        clientSecret ?? undefined,
        clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(),
        this.options.allowHttp ? { execute: [client.allowInsecureRequests] } : undefined,
      );
      this.log.info({ issuer: issuerUrl }, 'identity provider discovered');
    } catch (error) {
      if (this.stopped) return;
      this.log.error(
        { issuer: issuerUrl, err: (error as Error).message, retryInMs: delayMs },
        `cannot read the identity provider's discovery document (OIDC_ISSUER_URL=${issuerUrl}); sign-in answers 503 until it can, retrying`,
      );
      this.retryTimer = setTimeout(() => void this.discover(Math.min(delayMs * 2, MAX_RETRY_MS)), delayMs);
      this.retryTimer.unref();
    }
  }

  /** The provider's authorization URL for a new sign-in, and what the callback must check. Throws when not ready. */
  async beginLogin(next: string): Promise<{ url: string; login: LoginState }> {
    const config = this.configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const login: LoginState = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier, next };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.options.redirectUri,
      scope: this.options.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
    });
    return { url: url.href, login };
  }

  /**
   * Exchanges the code in `callbackUrl` (the full URL the provider redirected to) after checking it against `login`,
   * and reads the person's claims. Throws openid-client's errors for a bad response, SignInRefused for Scrawl's rules.
   */
  async finishLogin(callbackUrl: URL, login: LoginState): Promise<SignedInClaims> {
    const config = this.configuration();
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: login.codeVerifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
    let claims: Record<string, unknown> = { ...tokens.claims() };
    if (typeof claims.email !== 'string') {
      // Some providers (or scopes) put the email only in userinfo.
      claims = { ...claims, ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub as string)) };
    }
    const email = normalizeEmail(claims.email);
    if (!email) throw new SignInRefused('the identity provider sent no email address: Scrawl needs the email scope and claim');
    if (claims.email_verified === false) throw new SignInRefused('the identity provider says this email address is not verified');
    const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim() : email;
    const picture = typeof claims.picture === 'string' && /^https?:\/\//.test(claims.picture) ? claims.picture : null;
    return { email, name, picture, idToken: tokens.id_token ?? null };
  }

  /** Where to send the browser to end the provider's session too (RP-initiated logout), or null when it has no end_session_endpoint. */
  logoutUrl(idToken: string | null): string | null {
    if (!this.config?.serverMetadata().end_session_endpoint) return null;
    const params: Record<string, string> = { post_logout_redirect_uri: this.options.postLogoutRedirectUri, client_id: this.options.clientId };
    if (idToken) params.id_token_hint = idToken;
    return client.buildEndSessionUrl(this.config, params).href;
  }

  private configuration(): client.Configuration {
    if (!this.config) throw new ProviderUnavailable(this.providerName);
    return this.config;
  }
}

/** The provider has not been discovered yet (unreachable at start): sign-in answers 503. */
export class ProviderUnavailable extends Error {
  constructor(provider: string) {
    super(`the identity provider ${provider} cannot be reached yet; try again in a moment`);
    this.name = 'ProviderUnavailable';
  }
}
