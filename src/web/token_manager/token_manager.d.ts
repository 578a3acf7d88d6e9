/** Options of `new TokenManager(options)`. */
export interface TokenManagerOptions {
  /** The API's base URL, e.g. "https://api.example.com/v1": login is `POST {baseUrl}/auth/login`.
   * In a browser page a path ("/v1") is resolved against the page's origin. */
  baseUrl: string;
  /** Refresh this many seconds before the access token expires; default 300. A token living
   * less than twice this is refreshed at mid-life. */
  refreshMarginSeconds?: number;
  /** Origins besides baseUrl's that `fetch` may send the token to, e.g. ["https://files.example.com"]. */
  allowedOrigins?: string[];
  /** Refresh through an OAuth token endpoint (refresh_token grant) instead of `{baseUrl}/auth/refresh`. */
  tokenEndpoint?: string;
  /** The OAuth client_id sent with token-endpoint refreshes and revocations. */
  clientId?: string;
  /** An RFC 7009 revocation endpoint; with it, `logout()` revokes the tokens by default. */
  revocationEndpoint?: string;
  /** Whether `logout()` revokes when a revocationEndpoint is set; default true. */
  revokeOnLogout?: boolean;
  /** Share one session with the other tabs of this origin using the same `baseUrl`, refresh
   * endpoint, client id and refresh-token transport, over
   * BroadcastChannel with Web Locks (one refresh for all tabs, logout everywhere, `restore()`
   * from a peer). Default true in browsers (pages and workers), false elsewhere; without
   * BroadcastChannel or Web Locks each tab keeps its own session. */
  crossTab?: boolean;
  /** Ask the API to keep the refresh token in an HttpOnly cookie (header
   * `Refresh-Token-Transport: cookie` on login, refresh and logout; the reference server
   * supports it): JavaScript never sees it, and `restore()` survives a reload. Default false. */
  refreshTokenInCookie?: boolean;
  /** DPoP (RFC 9449): a key pair made for this manager (WebCrypto ECDSA P-256, its private key
   * non-extractable), a proof on every login, refresh, logout and revocation request, and, when
   * the server answers `token_type: "DPoP"`, `fetch` sends `Authorization: DPoP` with a proof
   * (server nonces are remembered per origin and retried once). Default false. */
  dpop?: boolean;
}

/** A token answer, as `/auth/login` or an OAuth token endpoint returns it. */
export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  id_token?: string;
}

/** The state of the session, without any token. Times are milliseconds since the epoch. */
export interface TokenInfo {
  /** When the access token expires, or null when the server gave no lifetime. */
  expiresAt: number | null;
  /** When the next refresh is scheduled, or null. */
  refreshAt: number | null;
  /** The granted scope, when the server said. */
  scope: string | null;
}

/** Event details, by event type. */
export interface TokenManagerEventMap {
  /** New tokens: after login, setTokens or a refresh (`reason` says which). */
  tokenchange: TokenInfo & { reason: "login" | "refresh" | "setTokens" | "restore" | "peer" };
  /** A refresh failed; `retryInMs` is when it is retried in the background (null: not). */
  refresherror: { error: WasmAuthError; retryInMs: number | null };
  /** The session ended without logout: the refresh token was refused, or the token expired with none. */
  sessionexpired: { error: WasmAuthError };
  /** `logout()` ran (`reason: "peer"`: in another tab); `revoked` tells whether the server
   * confirmed revocation (always false in the other tabs). */
  logout: { revoked: boolean; reason?: "peer" };
}

/** Options of `logout`. */
export interface LogoutOptions {
  /** Revoke the tokens at the revocationEndpoint; default `revokeOnLogout`. */
  revoke?: boolean;
}

export interface TokenManager {
  addEventListener<K extends keyof TokenManagerEventMap>(type: K, listener: (event: CustomEvent<TokenManagerEventMap[K]>) => void, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof TokenManagerEventMap>(type: K, listener: (event: CustomEvent<TokenManagerEventMap[K]>) => void, options?: boolean | EventListenerOptions): void;
}
