#!/usr/bin/env node
// The 20-cold-isolate case (issue 17 items 3 and 5): one worker listed as 20 services, which
// workerd runs as 20 isolates (scripts/workerd-isolates.mjs), each sent one ES256 token, one
// isolate after the other, against a JWKS origin that answers after `originDelayMs` (a remote
// origin's round trip; loopback would hide what the store saves). Once without a store, once
// with `jwksStore` on a KV-like store service bound to every isolate, each in a fresh workerd.
// Reports the origin fetches and the first verification's latency (in the isolate, and the
// whole request seen by the host). `node scripts/bench/isolates.mjs [pkgDir]` runs it alone.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { KV_LIKE_STORE, startIsolates } from '../workerd-isolates.mjs';
import { freePort, pkgDirFromArgs, root } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';

const WORKER = `import { JwtVerifier } from 'wasm-auth';
const kvLike = ${KV_LIKE_STORE};
let verifier;
export default {
  async fetch(request, env) {
    const { options, token, store } = await request.json();
    verifier ??= new JwtVerifier({ ...options, ...(store && { jwksStore: kvLike(env) }) });
    // Isolate clocks move on I/O only; the first verification is all I/O (store, origin).
    const started = performance.now();
    const code = await verifier.verify(token).then(() => 'accepted', (e) => e.code);
    return Response.json({ code, verifyMs: performance.now() - started });
  },
};
`;

function startOrigin(jwks, delayMs) {
  const state = { fetches: 0 };
  const server = createServer((req, res) => {
    state.fetches += 1;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)), delayMs);
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({
    state,
    url: `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`,
    close: () => new Promise((closed) => { server.closeAllConnections(); server.close(closed); }),
  })));
}

const percentile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

/** Returns [{ mode, isolates, originFetches, storeGets, storePuts, verifyMs: { median, p95 }, requestMs: { median, p95 } }]. */
export async function benchColdIsolates({ pkgDir, fixtures, count = 20, originDelayMs = 50 }) {
  const dir = join(root, 'target', 'bench', 'isolates');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(resolve(pkgDir), join(dir, 'node_modules', 'wasm-auth'), 'dir');
  writeFileSync(join(dir, 'worker.js'), WORKER);
  const { jwk, tokens } = fixtures.algs.ES256;
  const origin = await startOrigin({ keys: [jwk] }, originDelayMs);
  const rows = [];
  try {
    for (const [mode, store] of [['no store', false], ['jwksStore (KV-like service)', true]]) {
      origin.state.fetches = 0;
      const isolates = await startIsolates({ entry: join(dir, 'worker.js'), outDir: join(dir, 'dist'), wasmFile: join(pkgDir, 'wasm_auth_bg.wasm'), count, port: await freePort() });
      try {
        const options = { jwksUri: origin.url, issuer: fixtures.issuer, audience: fixtures.audience };
        const answers = [];
        for (let i = 0; i < count; i++) answers.push(await isolates.post(i, { options, token: tokens[i % tokens.length], store }));
        const refused = answers.find((a) => a.code !== 'accepted');
        if (refused) throw new Error(`cold isolates (${mode}): ${refused.code}`);
        const stats = await isolates.store('/stats');
        const verify = answers.map((a) => a.verifyMs);
        const request = answers.map((a) => a.hostMs);
        rows.push({
          mode, isolates: count, originDelayMs, originFetches: origin.state.fetches, storeGets: stats.gets, storePuts: stats.puts,
          verifyMs: { median: percentile(verify, 0.5), p95: percentile(verify, 0.95) },
          requestMs: { median: percentile(request, 0.5), p95: percentile(request, 0.95) },
        });
      } finally {
        await isolates.stop();
      }
    }
  } finally {
    await origin.close();
  }
  return rows;
}

export function isolatesLines(rows) {
  const { isolates, originDelayMs } = rows[0];
  const lines = [`${isolates} cold isolates in workerd, one ES256 verification each, one isolate after the other; JWKS origin answering after ${originDelayMs} ms (ms: median / p95)`,
    'mode                          origin fetches  store gets/puts  first verify (in isolate)  request (host)'];
  for (const r of rows) {
    const ms = ({ median, p95 }) => `${median.toFixed(1)} / ${p95.toFixed(1)}`;
    lines.push(`${r.mode.padEnd(28)}  ${String(r.originFetches).padStart(14)}  ${`${r.storeGets}/${r.storePuts}`.padStart(15)}  ${ms(r.verifyMs).padStart(25)}  ${ms(r.requestMs).padStart(14)}`);
  }
  return lines;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const pkgDir = pkgDirFromArgs();
  const fixtures = await makeFixtures(20, ['ES256']);
  console.log(isolatesLines(await benchColdIsolates({ pkgDir, fixtures })).join('\n'));
}
