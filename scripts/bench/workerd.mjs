#!/usr/bin/env node
// Verify ops/s inside workerd (the real runtime, npm `workerd`): scripts/bench/worker.js,
// bundled like a Wrangler worker with the package's "workerd" entry, runs the same suite as
// Node inside the isolate. `node scripts/bench/workerd.mjs [pkgDir]` runs it alone.
import { copyFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorker, startWorkerd } from '../workerd.mjs';
import { freePort, pkgDirFromArgs, root, startBenchServer, table } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';
import { ROWS } from './verify-suite.mjs';

/** Bundles the benchmark worker against the package in `pkgDir`; returns the capnp config. */
async function bundle(pkgDir) {
  const dir = join(root, 'target', 'bench', 'worker');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  // The worker imports 'wasm-auth' as a user's worker would, resolved (with the "workerd"
  // export condition) to whatever package is benchmarked; jose and cloudflare-worker-jwt come
  // from the repository's node_modules, up the tree.
  symlinkSync(pkgDir, join(dir, 'node_modules', 'wasm-auth'), 'dir');
  for (const file of ['worker.js', 'verify-suite.mjs', 'peers.mjs']) copyFileSync(join(import.meta.dirname, file), join(dir, file));
  return bundleWorker({
    entry: join(dir, 'worker.js'),
    outDir: join(dir, 'dist'),
    wasmFiles: [join(pkgDir, 'wasm_auth_bg.wasm')],
  });
}

/** Measures every row inside workerd; returns { rows, clockCheck }. */
export async function benchWorkerd({ pkgDir, fixtures, server, rounds, roundMs, rows: only = ROWS }) {
  const config = await bundle(pkgDir);
  const worker = await startWorkerd(config, { port: await freePort() });
  const post = async (body) => {
    const res = await fetch(worker.url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(120_000) });
    const json = await res.json();
    if (res.status !== 200) throw new Error(`worker: ${json.error}\n${worker.output()}`);
    return json;
  };
  try {
    await post({ setup: { fixtures, jwksUrl: server.jwksUrl, honoJwksUrl: server.honoJwksUrl, clockUrl: server.clockUrl } });
    const rows = [];
    let worst = 0;
    for (const row of only) {
      const result = await post({ row, rounds, roundMs });
      worst = Math.max(worst, Math.abs(result.isolateMs / result.hostMs - 1));
      rows.push(result);
    }
    return { rows, clockCheck: worst };
  } finally {
    await worker.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const pkgDir = pkgDirFromArgs();
  const fixtures = await makeFixtures(1000);
  const server = await startBenchServer({ keys: [fixtures.algs.ES256.jwk] });
  try {
    const { rows, clockCheck } = await benchWorkerd({ pkgDir, fixtures, server });
    console.log(table(`verify ops/s, inside workerd (${pkgDir})`, rows).join('\n'));
    console.log(`clock check: isolate vs host elapsed time per row differ by at most ${(clockCheck * 100).toFixed(1)}%`);
  } finally {
    await server.close();
  }
}
