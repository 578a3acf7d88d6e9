#!/usr/bin/env node
// `make demo` (until the reference server of issue 3 serves it): the demo page from www/ and
// the built package from pkg/ at /pkg/, on http://127.0.0.1:8080 (PORT and BIND change it).
import { resolve } from 'node:path';
import { serveStatic } from './static-server.mjs';

const root = resolve(import.meta.dirname, '..');

/** Serves the demo; resolves to { url, close() }. */
export function startDemo({ host = '127.0.0.1', port = 8080 } = {}) {
  return serveStatic({ '/': resolve(root, 'www'), '/pkg/': resolve(root, 'pkg') }, { host, port });
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const { url } = await startDemo({ host: process.env.BIND ?? '127.0.0.1', port: Number(process.env.PORT ?? 8080) });
  console.log(`wasm-auth demo: ${url}/  (Ctrl-C stops it)`);
}
