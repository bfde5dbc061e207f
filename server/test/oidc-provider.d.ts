// oidc-provider ships no types; the tests use a handful of its members (see oidc-fixtures.ts).
declare module 'oidc-provider' {
  /** An OpenID Provider (panva/node-oidc-provider). */
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    /** The request listener for node:http. */
    callback(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
