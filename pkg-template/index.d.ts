// Types of every entry (node.js, browser.js, workerd.js, here and in verify/): each one
// initialises the module on import and re-exports the same API. `initSync` comes along with the
// re-export; calling it again is a no-op, so users never need it.
export * from './wasm_auth.js';

// Classes declare `[Symbol.dispose]()` (explicit resource management, `using`). Projects whose
// TypeScript lib predates ES2025 lack Symbol.dispose; this declaration lets them compile.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

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
