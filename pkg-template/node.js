// Node.js entry: the module is compiled synchronously from the file next to this one, so
// `import { ... } from 'wasm-auth'` is ready at once, with no init call and no top-level await
// (which also lets `require('wasm-auth')` work on Node >= 20.19).
// node:fs through process.getBuiltinModule, not `import ... from 'node:fs'`: an ES import of a
// builtin builds its ES facade, which reads every export, and node:fs's lazy `ReadStream`
// getter then loads all of node:stream (~4 ms of cold start; measured in issue 15).
// `make pkg` bundles this file with the glue and shim.js into one file (scripts/build-pkg.mjs).
import { initSync } from './wasm_auth.js';

// process.getBuiltinModule came in Node 20.16 (package.json's engines asks for >= 20.19); a
// runtime without it gets this message at import rather than "getBuiltinModule is not a function".
if (typeof globalThis.process?.getBuiltinModule !== 'function') {
  const runtime = globalThis.process?.versions?.node ? `Node.js ${globalThis.process.versions.node}` : 'this runtime';
  throw new Error(`wasm-auth: the Node.js entry needs Node.js >= 20.19 (process.getBuiltinModule), which ${runtime} lacks; `
    + 'browsers and bundlers use the "browser" export condition, workerd the "workerd" one');
}
const { readFileSync } = process.getBuiltinModule('node:fs');
initSync({ module: readFileSync(new URL('./wasm_auth_bg.wasm', import.meta.url)) });

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
