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
