// Browser entry, for bundlers (Vite, webpack, Rollup) and for plain ES modules alike:
// `new URL(..., import.meta.url)` is the asset pattern bundlers rewrite, and what a browser
// resolves next to this file. Top-level await makes the import itself wait for the module,
// so no init call is needed. Main-thread browsers forbid synchronous compilation of large
// modules, hence the async init here.
import init from './wasm_auth.js';

await init({ module_or_path: new URL('./wasm_auth_bg.wasm', import.meta.url) });

export * from './wasm_auth.js';
export { cacheApiStore } from './jwks-store.js';
