// workerd / Cloudflare Workers entry (export condition "workerd", which Wrangler and esbuild
// setups for workers use). Workers forbid compiling wasm from bytes at run time, so the .wasm
// is imported as a compiled WebAssembly.Module, which the bundler keeps as a separate module.
import wasmModule from './wasm_auth_bg.wasm';
import { initSync } from './wasm_auth.js';

initSync({ module: wasmModule });

export * from './wasm_auth.js';
export { cacheApiStore } from './jwks-store.js';
