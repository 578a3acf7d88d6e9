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
