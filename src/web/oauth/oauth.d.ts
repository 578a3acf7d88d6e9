/** Options of `new OAuthClient(options)` (or, without the issuer and the endpoints, which it
 * learns and refuses, of `OAuthClient.discover`). */
export interface OAuthClientOptions {
  clientId: string;
  /** The registered redirect URI: the page that calls `handleRedirectCallback` (http: or https:,
   * a query allowed, no fragment). */
  redirectUri: string;
  /** Default scope, e.g. "openid read:resources"; "openid" adds a nonce and ID token validation. */
  scope?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  revocationEndpoint?: string;
  /** The issuer: ID tokens and RFC 9207 `iss` must match it. */
  issuer?: string;
  /** The issuer's JWK Set, to verify ID tokens. */
  jwksUri?: string;
  /** The API the tokens are for: an OAuthClient then makes its own `tokenManager` for it. In a
   * browser page a path ("/v1") is on the page's origin. */
  baseUrl?: string;
  /** A TokenManager to receive the tokens (instead of `baseUrl`); configure it with this client's
   * tokenEndpoint and clientId so that it refreshes through the token endpoint. */
  tokenManager?: TokenManager;
  /** The largest discovery document or token-endpoint answer read, in bytes (decompressed);
   * a larger one is cut off and refused with ERR_AUTH_INVALID_RESPONSE. Default 524288 (512 KiB). */
  maxResponseBytes?: number;
  /** Whether the TokenManager made from `baseUrl` shares its session with the other tabs of
   * this origin using the same issuer and clientId (as TokenManager's `crossTab`); default true
   * in browsers. Ignored with `tokenManager` (that manager has its own). */
  crossTab?: boolean;
  /** DPoP (RFC 9449) for the code exchange, refreshes, revocations and the TokenManager made
   * from `baseUrl` (required with it; `tokenManager` is refused): tokens bound to one key pair
   * (WebCrypto ECDSA P-256, non-extractable). Default false. */
  dpop?: boolean;
}

/** Options of `authorize`. */
export interface AuthorizeOptions {
  /** Instead of the default scope. */
  scope?: string;
  /** More authorization parameters (prompt, login_hint, ui_locales, ...); the protocol ones cannot be replaced. */
  extraParams?: Record<string, string>;
  /** Any JSON value, given back by `handleRedirectCallback` (e.g. the route to return to). */
  appState?: unknown;
  /** `false`: return the URL without navigating; default true. */
  redirect?: boolean;
}

/** Options of `restore`. */
export interface RestoreOptions {
  /** When no other tab holds a session: a top-level redirect to the authorization endpoint with
   * `prompt=none` (the promise then never settles; `handleRedirectCallback` finishes on the
   * redirect URI, with `signedIn: false` when nobody is signed in at the server). Default false. */
  silent?: boolean;
}

/** What `handleRedirectCallback` resolves to. */
export interface RedirectResult {
  /** true: a sign-in (the tokens are in `info` or `tokenResponse`). false: a silent restore
   * (`restore({ silent: true })`) found nobody signed in at the server; there are no tokens,
   * `noSession` says why, and the transaction and the address bar are cleaned as usual. */
  signedIn: boolean;
  /** When `signedIn` is false: the server's answer to `prompt=none` (OpenID Connect Core
   * 3.1.2.6): "login_required", "consent_required", "interaction_required" or
   * "account_selection_required". null otherwise. The same answer to an interactive
   * `authorize()` is still a rejection, ERR_OAUTH_CALLBACK_ERROR. */
  noSession: string | null;
  /** The TokenManager's state, when the client has one (the tokens went there). */
  info: TokenInfo | null;
  /** The token answer itself, only when the client has no TokenManager. */
  tokenResponse: TokenResponse | null;
  /** The ID token's claims, verified (signature, iss, aud, exp, nonce), or null without one. */
  idTokenClaims: JwtPayload | null;
  /** What `authorize({ appState })` stored. */
  appState: unknown;
}
