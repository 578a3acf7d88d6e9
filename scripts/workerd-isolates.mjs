// `count` cold isolates in the real workerd runtime, for the JWKS store's end-to-end test and
// its bench row: workerd gives every worker service an isolate of its own, so the same bundled
// worker is listed as services v0..v{count-1}, each reached through a router (POST /v/<i>).
// Beside them, a "store" service, bound to each as env.STORE: a KV-like store in its own
// isolate (values with a TTL, in memory), which counts its gets and puts (GET /store/stats,
// POST /store/clear; PUT /store?key=...&ttl=... writes, GET /store?key=... reads, 404 if none).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { bundleWorker, startWorkerd } from './workerd.mjs';

const { compatibilityDate } = createRequire(import.meta.url)('workerd');

const ROUTER = `export default {
  fetch(request, env) {
    const { pathname } = new URL(request.url);
    const isolate = /^\\/v\\/(\\d+)$/.exec(pathname);
    if (isolate) return env['V' + isolate[1]].fetch(request);
    if (pathname.startsWith('/store')) return env.STORE.fetch(request);
    return new Response('isolates');
  },
};
`;

const STORE = `const entries = new Map();
let gets = 0;
let puts = 0;
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/stats')) return Response.json({ gets, puts, keys: [...entries.keys()] });
    if (url.pathname.endsWith('/clear')) {
      entries.clear();
      gets = 0;
      puts = 0;
      return new Response('cleared');
    }
    const key = url.searchParams.get('key');
    if (request.method === 'PUT') {
      puts += 1;
      const ttl = Number(url.searchParams.get('ttl') ?? 60);
      entries.set(key, { value: await request.text(), expires: Date.now() + ttl * 1000 });
      return new Response(null, { status: 204 });
    }
    gets += 1;
    const entry = entries.get(key);
    if (entry === undefined || entry.expires <= Date.now()) return new Response(null, { status: 404 });
    return new Response(entry.value);
  },
};
`;

/** The jwksStore a verifier worker builds on env.STORE (the shape of Workers KV), as source. */
export const KV_LIKE_STORE = `(env) => ({
  async get(key) {
    const response = await env.STORE.fetch('http://store/?key=' + encodeURIComponent(key));
    return response.status === 404 ? null : response.text();
  },
  async put(key, value, { expirationTtl }) {
    const url = 'http://store/?key=' + encodeURIComponent(key) + '&ttl=' + expirationTtl;
    await (await env.STORE.fetch(url, { method: 'PUT', body: value })).arrayBuffer();
  },
})`;

/**
 * Bundles `entry` (a worker importing wasm-auth, resolved from its folder) into `outDir` and
 * starts `count` isolates of it with the store and the router on `port`. Returns
 * startWorkerd's handle plus `post(i, body)` (JSON to isolate i, JSON back, with the host's
 * elapsed ms as `hostMs`) and `store(path)` (the store's admin answers).
 */
export async function startIsolates({ entry, outDir, wasmFile, count, port }) {
  await bundleWorker({ entry, outDir, wasmFiles: [wasmFile] });
  writeFileSync(join(outDir, 'router.js'), ROUTER);
  writeFileSync(join(outDir, 'store.js'), STORE);
  const names = Array.from({ length: count }, (_, i) => i);
  const wasm = wasmFile.split('/').pop();
  writeFileSync(join(outDir, 'isolates.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .router),
    (name = "store", worker = .store),
${names.map((i) => `    (name = "v${i}", worker = .verifier),\n`).join('')}    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);
const router :Workerd.Worker = (
  modules = [(name = "router.js", esModule = embed "router.js")],
  bindings = [
    (name = "STORE", service = "store"),
${names.map((i) => `    (name = "V${i}", service = "v${i}"),\n`).join('')}  ],
  compatibilityDate = "${compatibilityDate}",
);
const store :Workerd.Worker = (
  modules = [(name = "store.js", esModule = embed "store.js")],
  compatibilityDate = "${compatibilityDate}",
);
const verifier :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "${wasm}", wasm = embed "${wasm}"),
  ],
  bindings = [(name = "STORE", service = "store")],
  globalOutbound = "internet",
  compatibilityDate = "${compatibilityDate}",
);
`);
  const worker = await startWorkerd(join(outDir, 'isolates.capnp'), { port });
  const post = async (i, body) => {
    const started = performance.now();
    const response = await fetch(`${worker.url}/v/${i}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`isolate ${i} answered ${response.status}: ${text}\n${worker.output()}`);
    return { ...JSON.parse(text), hostMs: performance.now() - started };
  };
  const store = async (path, init) => {
    const response = await fetch(`${worker.url}/store${path}`, init);
    return response.headers.get('content-type')?.startsWith('application/json') ? response.json() : response.text();
  };
  return { ...worker, post, store };
}
