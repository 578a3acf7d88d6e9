// A small static file server for the demo page and the browser tests. It serves `.wasm` as
// application/wasm (needed for WebAssembly.instantiateStreaming) and never leaves its roots.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8',
};

// mounts: { '/': '/abs/dir', '/pkg/': '/abs/other' }; the longest matching prefix wins.
async function resolveFile(mounts, pathname) {
  const prefix = Object.keys(mounts)
    .filter((p) => pathname.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) return null;
  const base = mounts[prefix];
  const file = normalize(join(base, decodeURIComponent(pathname.slice(prefix.length))));
  if (file !== base && !file.startsWith(base.endsWith(sep) ? base : base + sep)) return null;
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory()) return resolveFile({ [pathname]: file }, pathname + (pathname.endsWith('/') ? '' : '/') + 'index.html');
  return info?.isFile() ? file : null;
}

/** Starts serving; resolves to { url, close() } once listening. */
export function serveStatic(mounts, { host = '127.0.0.1', port = 0 } = {}) {
  const server = createServer(async (req, res) => {
    let file = null;
    try {
      file = await resolveFile(mounts, new URL(req.url, 'http://x').pathname);
    } catch {
      file = null; // a malformed escape in the path: answered as not found
    }
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(file ? 405 : 404, { 'content-type': 'text/plain' }).end(file ? 'method not allowed' : 'not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({
        url: `http://${host}:${actual}`,
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}
