// Types of every entry (node.js, browser.js, workerd.js, here and in verify/): each one
// re-exports the same API, plus `ready()`. `initSync` comes along with the
// re-export; calling it again is a no-op, so users never need it.
export * from './wasm_auth.js';

/**
 * Resolves once the wasm module is loaded (rejects if it cannot be). In Node and workerd the
 * module is loaded on import and this is already resolved. In browsers the module loads in the
 * background: promise-returning methods wait for it by themselves, constructors may be called
 * at once, but synchronous calls that return a value (`createPkce`, `decodeUnverified`,
 * `pkceChallenge`, `version`, `setTokens`, `authorize`, getters) throw `ERR_AUTH_NOT_READY`
 * until it has resolved.
 */
export function ready(): Promise<void>;

// Classes declare `[Symbol.dispose]()` (explicit resource management, `using`). Projects whose
// TypeScript lib predates ES2025 lack Symbol.dispose; this declaration lets them compile.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

// ---- withAuth: edge middleware for a plain fetch handler (with-auth.js) ----
import type { DpopMode, JwtVerifierOptions, VerifyRequestResult } from './wasm_auth.js';

/** What a handler behind `withAuth` receives: the verified request (`via`, `payload`, `protectedHeader`). */
export type VerifiedRequest = Extract<VerifyRequestResult, { ok: true }>;

/**
 * The verifier's options: an object, or a function of the worker's `env` called on the first
 * request (then cached for the isolate; if it throws, that request gets a 500 and the next one
 * calls it again). It may return a promise.
 */
export type AuthOptions<Env = unknown> = JwtVerifierOptions | ((env: Env) => JwtVerifierOptions | PromiseLike<JwtVerifierOptions>);

/** Per-use options of `withAuth`. */
export interface WithAuthUse<Env = unknown> {
  /** Scopes every request needs (403 insufficient_scope otherwise), or a function choosing them per request (undefined: none). */
  scopes?: string[] | ((request: Request, env: Env) => string[] | undefined);
  /** The realm of the WWW-Authenticate challenge; default "wasm-auth". */
  realm?: string;
  /** The verifier's `dpop` mode for this route only: "required" refuses Bearer tokens, "off" the DPoP scheme. */
  dpop?: DpopMode;
}

/**
 * Wraps a `fetch(request, env, ctx)` handler: the request's Bearer or DPoP token (or API key) is verified
 * with `verifyRequest` before `handler` runs, which gets the verified request as a fourth
 * argument; a refused request gets `verifyRequest`'s 401/403/503 (with WWW-Authenticate) and never
 * reaches the handler. The verifier is built once per isolate, on the first request.
 */
export declare function withAuth<Env = unknown, Ctx = unknown>(
  handler: (request: Request, env: Env, ctx: Ctx, auth: VerifiedRequest) => Response | Promise<Response>,
  options: AuthOptions<Env>,
  use?: WithAuthUse<Env>,
): (request: Request, env: Env, ctx: Ctx) => Promise<Response>;

/**
 * A `jwksStore` on the Workers Cache API: `caches.default` unless a Cache is given. Entries are
 * kept under `namespaceUrl` (default `https://jwks-store.wasm-auth.invalid/`), a key that is never
 * fetched. Per data centre, unlike Workers KV; an evicted entry means one fetch of the set.
 */
export declare function cacheApiStore(
  cache?: { match(url: string): Promise<Response | undefined>; put(url: string, response: Response): Promise<void> },
  options?: { namespaceUrl?: string },
): import('./wasm_auth.js').JwksStore;
export declare function cacheApiStore(options: { namespaceUrl?: string }): import('./wasm_auth.js').JwksStore;
