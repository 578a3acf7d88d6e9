// workerd / Cloudflare Workers entry (export condition "workerd", which Wrangler and esbuild
// setups for workers use). Workers forbid compiling wasm from bytes at run time, so the .wasm
// is imported as a compiled WebAssembly.Module, which the bundler keeps as a separate module.
import wasmModule from './wasm_auth_bg.wasm';
import { initSync } from './wasm_auth.js';

initSync({ module: wasmModule });

export * from './wasm_auth.js';

// Ready on import; `ready()` is there so that code shared with browsers (whose entry loads the
// module in the background, see browser.js) runs unchanged.
const loaded = Promise.resolve();
export function ready() {
  return loaded;
}
// withAuth(handler, options): the edge middleware for a plain fetch handler (with-auth.js).
import { JwtVerifier, WasmAuthError } from './wasm_auth.js';
import { withAuthFor } from './with-auth.js';
export const withAuth = withAuthFor(JwtVerifier, WasmAuthError);
import { cacheApiStoreFor } from './jwks-store.js';
export const cacheApiStore = cacheApiStoreFor(WasmAuthError);
