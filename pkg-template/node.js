// Node.js entry: the module is compiled synchronously from the file next to this one, so
// `import { ... } from 'wasm-auth'` is ready at once, with no init call and no top-level await
// (which also lets `require('wasm-auth')` work on Node >= 20.19).
import { readFileSync } from 'node:fs';
import { initSync } from './wasm_auth.js';

initSync({ module: readFileSync(new URL('./wasm_auth_bg.wasm', import.meta.url)) });

export * from './wasm_auth.js';
