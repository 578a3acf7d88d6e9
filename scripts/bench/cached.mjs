#!/usr/bin/env node
// `make bench`'s cached edge workload (issue 17 item 2; the workload itself is cached-suite.mjs)
// in Node and inside workerd. `node scripts/bench/cached.mjs [pkgDir]` runs it alone
// (BENCH_QUICK=1: fewer users, short rounds).
import nodeCrypto from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import * as jose from 'jose';
import { startWorkerd } from '../workerd.mjs';
import { freePort, importPkg, pkgDirFromArgs, root } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';
import { CACHED_ROWS, CACHE_ENTRIES, GOALS, USERS, ZIPF_S, measureCachedRow } from './cached-suite.mjs';

const require = createRequire(import.meta.url);
const { compatibilityDate } = require('workerd');

/** The fixtures for `users` users, with each public key as PEM too (fast-jwt's key format). */
async function cachedFixtures(users) {
  const fixtures = await makeFixtures(users, CACHED_ROWS);
  for (const [alg, entry] of Object.entries(fixtures.algs)) {
    if (alg === 'HS256') continue;
    const { alg: _a, kid: _k, ...bare } = entry.jwk;
    entry.pem = nodeCrypto.createPublicKey({ key: bare, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  }
  return fixtures;
}

const NODE_REQUIRE = `import * as __bCrypto from 'node:crypto'; import * as __bUtil from 'node:util'; import * as __bBuffer from 'node:buffer';
const __bModules = { crypto: { ...__bCrypto }, util: { ...__bUtil }, buffer: { ...__bBuffer } };
const require = (name) => { const m = __bModules[name.replace(/^node:/, '')]; if (!m) throw new Error('no ' + name); return m; };`;

/** The worker bundled with fast-jwt's node: imports left to workerd's Node.js compatibility. */
async function bundle(pkgDir) {
  const dir = join(root, 'target', 'bench', 'cached-worker');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  mkdirSync(join(dir, 'dist'));
  symlinkSync(pkgDir, join(dir, 'node_modules', 'wasm-auth'), 'dir');
  for (const file of ['cached-worker.js', 'cached-suite.mjs', 'verify-suite.mjs', 'peers.mjs']) copyFileSync(join(import.meta.dirname, file), join(dir, file));
  const esbuild = await import('esbuild');
  try {
    await esbuild.build({
      entryPoints: [join(dir, 'cached-worker.js')], outfile: join(dir, 'dist', 'worker.js'), bundle: true, format: 'esm',
      platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'],
      external: ['*.wasm', 'node:*', 'buffer', 'crypto', 'util'], logLevel: 'error',
      logOverride: { 'duplicate-object-key': 'silent' },
      // fast-jwt is CommonJS: its require() of Node's modules gets them from workerd's node:*.
      banner: { js: NODE_REQUIRE },
    });
  } finally {
    await esbuild.stop();
  }
  copyFileSync(join(pkgDir, 'wasm_auth_bg.wasm'), join(dir, 'dist', 'wasm_auth_bg.wasm'));
  const config = join(dir, 'dist', 'workerd.capnp');
  writeFileSync(config, `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "wasm_auth_bg.wasm", wasm = embed "wasm_auth_bg.wasm"),
  ],
  compatibilityDate = "${compatibilityDate}",
  compatibilityFlags = ["nodejs_compat"],
);\n`);
  return config;
}

/** Every row in Node, then inside workerd: { users, node: [rows], workerd: [rows], notes }. */
export async function benchCached({ pkgDir, quick = false }) {
  const users = quick ? 500 : USERS;
  const fixtures = await cachedFixtures(users);
  const timing = quick ? { rounds: 1, roundMs: 60, warmup: 2000 } : { rounds: 3, roundMs: 250, warmup: 20_000 };
  const result = { users, cacheEntries: CACHE_ENTRIES, zipf: ZIPF_S, node: [], workerd: [], notes: [] };
  const { createVerifier } = require('fast-jwt');
  const env = { wasmAuth: await importPkg(pkgDir), jose, createVerifier, fixtures };
  const clock = { now: () => performance.now(), yieldIo: () => setImmediate() };
  for (const alg of CACHED_ROWS) result.node.push(await measureCachedRow(alg, env, { ...timing, clock }));

  const worker = await startWorkerd(await bundle(pkgDir), { port: await freePort() });
  const post = async (body) => {
    const res = await fetch(worker.url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(300_000) });
    return { status: res.status, json: await res.json() };
  };
  try {
    await post({ setup: fixtures });
    for (const alg of CACHED_ROWS) {
      let { status, json } = await post({ row: alg, timing });
      if (status !== 200) {
        result.notes.push(`workerd ${alg}: fast-jwt could not run (${json.error.split('\n')[0].trim()}); measured without it`);
        ({ status, json } = await post({ row: alg, timing, withoutFastJwt: true }));
        if (status !== 200) throw new Error(`cached worker: ${json.error}\n${worker.output()}`);
      }
      result.workerd.push(json);
    }
  } finally {
    await worker.stop();
  }
  return result;
}

const fmtOps = (x) => (x == null ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : 'n/a');

/** The report's lines. */
export function cachedLines(result) {
  const head = ['row', 'wasm-auth cache', 'fast-jwt cache', 'jose', 'wasm-auth (no cache)', 'hit ratio', 'B/entry',
    'wa cache/jose', 'wa cache/fast-jwt cache', `goals >= ${GOALS.jose}x jose, >= fast-jwt`];
  const lines = [];
  for (const runtime of ['node', 'workerd']) {
    const body = result[runtime].map(({ row, ops, hitRatio, entryBytes }) => {
      const wa = ops['wasm-auth cache'];
      const met = wa / ops.jose >= GOALS.jose && (!ops['fast-jwt cache'] || wa / ops['fast-jwt cache'] >= GOALS['fast-jwt cache']);
      return [row, fmtOps(wa), fmtOps(ops['fast-jwt cache']), fmtOps(ops.jose), fmtOps(ops['wasm-auth']),
        `${(hitRatio * 100).toFixed(1)}%`, String(Math.round(entryBytes)), ratio(wa, ops.jose), ratio(wa, ops['fast-jwt cache']),
        met ? 'met' : 'MISSED'];
    });
    const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
    const line = (cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
    lines.push(`cached edge workload, ${runtime === 'node' ? `Node ${process.version}` : 'inside workerd'}: ops/s`,
      line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), '');
  }
  lines.push(`method: ${result.users.toLocaleString('en-US')} users' tokens (iss, aud, exp checked), each verification draws its user from Zipf(${result.zipf}); ` +
    `sequential awaited verifications; wasm-auth cache: { maxEntries: ${result.cacheEntries} }, fast-jwt 6.3.6 cache: ${result.cacheEntries}; jose has no cache; ` +
    'median of interleaved rounds after each library verified every token; the cached ones then warmed on 20,000 draws', ...result.notes);
  return lines;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const result = await benchCached({ pkgDir: pkgDirFromArgs(), quick: process.env.BENCH_QUICK === '1' });
  console.log(cachedLines(result).join('\n'));
}
