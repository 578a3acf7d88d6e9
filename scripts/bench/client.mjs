#!/usr/bin/env node
// Client hot paths (issue 7), against the reference server (scripts/reference-server.mjs):
// - TokenManager.getToken() on a valid token (ops/s);
// - the authenticated fetch's overhead: tm.fetch(url) against a plain fetch(url) carrying the
//   same Bearer token to the same local server (median latency per request, interleaved rounds).
// Skipped, with a message, while the package does not export TokenManager (issue 5) or the
// reference server is not built. `node scripts/bench/client.mjs [pkgDir]` runs it alone.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { startReferenceServer } from '../reference-server.mjs';
import { importPkg, pkgDirFromArgs, root } from './common.mjs';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** ops/s of an awaited call, median of `rounds` rounds of about `ms` each. */
async function opsPerSecond(run, { rounds = 5, ms = 200 } = {}) {
  for (let i = 0; i < 1000; i++) await run();
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    let ops = 0;
    await setImmediate();
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      for (let i = 0; i < 256; i++) await run();
      ops += 256;
    }
    samples.push(ops / (performance.now() - t0) * 1000);
  }
  return median(samples);
}

/** Median latency (µs) of each request function, interleaved one request at a time. */
async function latencies(runs, { requests = 400, warmup = 50 } = {}) {
  const names = Object.keys(runs);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < warmup; i++) for (const n of names) await runs[n]();
  for (let i = 0; i < requests; i++) {
    for (const n of names) {
      const t0 = performance.now();
      await runs[n]();
      samples[n].push((performance.now() - t0) * 1000);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

/** Returns { skipped } or { getTokenOps, fetchUs: { plain, tokenManager } }. */
export async function benchClient({ pkgDir }) {
  const wasmAuth = await importPkg(pkgDir);
  if (typeof wasmAuth.TokenManager !== 'function') {
    return { skipped: 'client hot paths skipped: this package does not export TokenManager yet (issue 5)' };
  }
  const binary = resolve(root, 'target/debug/wasm-auth-server');
  if (!existsSync(binary)) return { skipped: `client hot paths skipped: ${binary} is missing (make server)` };
  const dataDir = mkdtempSync(join(tmpdir(), 'wasm-auth-bench-'));
  const server = await startReferenceServer({ binary, dataDir });
  let tm;
  try {
    const baseUrl = `${server.url}/v1`;
    tm = new wasmAuth.TokenManager({ baseUrl });
    await tm.login('user@example.com', 'securepassword');
    const token = await tm.getToken();
    if (typeof token !== 'string' || !token) throw new Error('TokenManager.getToken() gave no token after login');
    const getTokenOps = await opsPerSecond(() => tm.getToken());
    const url = `${baseUrl}/resources`;
    const drain = async (response) => {
      if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
      await response.arrayBuffer();
    };
    const fetchUs = await latencies({
      plain: () => fetch(url, { headers: { authorization: `Bearer ${token}` } }).then(drain),
      tokenManager: () => tm.fetch(url).then(drain),
    });
    return { getTokenOps, fetchUs };
  } finally {
    tm?.dispose?.();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function clientLines(result) {
  if (result.skipped) return [result.skipped];
  const { getTokenOps, fetchUs } = result;
  return [
    `client, Node ${process.version}: TokenManager.getToken() on a valid token: ${Math.round(getTokenOps).toLocaleString('en-US')} ops/s`,
    `client: GET /v1/resources on the local reference server, median of 400: plain fetch ${fetchUs.plain.toFixed(0)} us, ` +
      `tm.fetch ${fetchUs.tokenManager.toFixed(0)} us: overhead ${(fetchUs.tokenManager - fetchUs.plain).toFixed(0)} us per request`,
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  console.log(clientLines(await benchClient({ pkgDir: pkgDirFromArgs() })).join('\n'));
}
