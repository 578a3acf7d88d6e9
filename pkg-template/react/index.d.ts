// Types of wasm-auth/react (React 18 and 19). React's types come from @types/react.
import type { ReactElement, ReactNode } from 'react';
import type { AuthorizeOptions, JwtPayload, LogoutOptions, OAuthClient, RedirectResult, TokenInfo, TokenManager } from 'wasm-auth';

/** What AuthProvider holds: a TokenManager, or an OAuthClient with a TokenManager (`baseUrl` or
 * `tokenManager` among its options). */
export type AuthClient = TokenManager | OAuthClient;

export interface AuthProviderProps {
  /** The app's one auth client, created outside React (at module scope), or a promise of one
   * (`OAuthClient.discover(...)`, also at module scope). The provider never disposes it. */
  client: AuthClient | PromiseLike<AuthClient>;
  /** Resume the session once on mount with the client's `restore()` (another tab's session, or
   * the API's refresh cookie; an OAuthClient's never redirects). Default true. */
  restore?: boolean;
  children?: ReactNode;
}

/** Makes `client` the auth client of the components inside it. */
export function AuthProvider(props: AuthProviderProps): ReactElement;

/** What useAuth() returns. */
export interface Auth {
  /** True until the client is there (a promise resolved), restored (`restore`) and its session read. */
  isLoading: boolean;
  /** Whether tokens are held. */
  isAuthenticated: boolean;
  /** The access token's claims, decoded, NOT verified (for display only, never for a decision);
   * null when logged out or when the access token is not a JWT (an opaque OAuth token). */
  claims: JwtPayload | null;
  /** The last failure of the session: login, logout, restore, the client's promise, or the
   * `sessionexpired` event's error; cleared by the next login or new tokens. */
  error: Error | null;
  /** The client, once there (null while its promise is pending). */
  client: AuthClient | null;
  /** The TokenManager holding the session (an OAuthClient's own), once there. */
  tokenManager: TokenManager | null;
  /** TokenManager: `login(email, password)`. OAuthClient: `login(authorizeOptions?)` navigates
   * to the authorization endpoint (the promise resolves as the page leaves). Rejects on failure
   * and sets `error`. */
  login: {
    (email: string, password: string): Promise<TokenInfo>;
    (options?: AuthorizeOptions): Promise<void>;
  };
  /** The TokenManager's `logout`; rejects on failure and sets `error`. */
  logout: (options?: LogoutOptions) => Promise<{ revoked: boolean }>;
  /** The TokenManager's `getToken`. */
  getToken: () => Promise<string>;
  /** The TokenManager's `fetch`. */
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
}

/** The session and its actions, inside AuthProvider; re-renders on `tokenchange`, `logout` and
 * `sessionexpired`. The actions keep their identity across renders. */
export function useAuth(): Auth;

/** What useOAuthCallback() returns. */
export interface OAuthCallbackState {
  /** True while the callback is being handled. */
  loading: boolean;
  /** handleRedirectCallback's result, or null (not handled yet, failed, or no callback here). */
  result: RedirectResult | null;
  /** Why the callback failed (ERR_OAUTH_..., or a TypeError for a client that is not an OAuthClient). */
  error: Error | null;
}

/** Completes an OAuth sign-in on the redirect URI: `handleRedirectCallback()` once per page load
 * (StrictMode included), when the address has `code` or `error` with `state`. */
export function useOAuthCallback(): OAuthCallbackState;
