#!/usr/bin/env node
// A/B of two packages inside workerd by CPU time, for a loaded machine where wall-clock rows
// swing 2-3x: `node scripts/bench/ab-workerd.mjs <pkgA> <pkgB> [slices]` (Linux: /proc). One
// workerd per package; each request runs n sequential verifications of one library in the
// isolate (cpu-worker.js), and the workerd process's CPU time (user + system, all threads) over
// the request is charged to it; libraries and packages alternate; medians of the slices.
// Prints CPU µs per token of wasm-auth (A, B), jose and the bare crypto.subtle.verify floor.
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorker, startWorkerd } from '../workerd.mjs';
import { freePort, root } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';

const [A, B, slices = '9'] = process.argv.slice(2);
const rowsWanted = (process.env.BENCH_ROWS ?? 'HS256,RS256,PS256,ES256,EdDSA').split(',');
const TICK_US = 1e6 / 100; // USER_HZ

async function start(name, pkgDir) {
  const dir = join(root, 'target', 'bench', `cpu-worker-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(resolve(pkgDir), join(dir, 'node_modules', 'wasm-auth'), 'dir');
  for (const file of ['cpu-worker.js', 'verify-suite.mjs', 'peers.mjs']) copyFileSync(join(import.meta.dirname, file), join(dir, file));
  const config = await bundleWorker({ entry: join(dir, 'cpu-worker.js'), outDir: join(dir, 'dist'), wasmFiles: [join(resolve(pkgDir), 'wasm_auth_bg.wasm')] });
  return startWorkerd(config, { port: await freePort() });
}

const cpuUs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime, stime
};

const fixtures = await makeFixtures(1000);
const workers = { A: await start('A', A), B: await start('B', B) };
try {
  const post = async (worker, body) => {
    const res = await fetch(worker.url, { method: 'POST', body: JSON.stringify(body) });
    const json = await res.json();
    if (res.status !== 200) throw new Error(`${json.error}\n${worker.output()}`);
  };
  for (const w of Object.values(workers)) await post(w, { setup: { fixtures } });
  for (const row of rowsWanted) {
    const n = row === 'HS256' ? 20000 : 4000;
    const runs = [['A', 'wasm-auth'], ['B', 'wasm-auth'], ['A', 'jose'], ['A', 'floor'], ['B', 'jose'], ['B', 'floor']];
    const samples = Object.fromEntries(runs.map(([w, lib]) => [`${w} ${lib}`, []]));
    for (const [w, lib] of runs) await post(workers[w], { row, lib, n: 300 }); // warm-up
    for (let s = 0; s < Number(slices); s++) {
      for (const [w, lib] of runs) {
        const pid = workers[w].process.pid;
        const c0 = cpuUs(pid);
        await post(workers[w], { row, lib, n });
        samples[`${w} ${lib}`].push((cpuUs(pid) - c0) / n);
      }
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, med(v)]));
    const floor = (m['A floor'] + m['B floor']) / 2;
    const jose = (m['A jose'] + m['B jose']) / 2;
    const f = (x) => x.toFixed(2);
    console.log(`${row.padEnd(6)} floor ${f(floor)}  jose ${f(jose)} (+${f(jose - floor)})  A ${f(m['A wasm-auth'])} (+${f(m['A wasm-auth'] - floor)})  B ${f(m['B wasm-auth'])} (+${f(m['B wasm-auth'] - floor)})` +
      `  | ops ratio A/jose ${f(jose / m['A wasm-auth'])} B/jose ${f(jose / m['B wasm-auth'])}  A/floor ${f(floor / m['A wasm-auth'])} B/floor ${f(floor / m['B wasm-auth'])}  B/A speed ${f(m['A wasm-auth'] / m['B wasm-auth'])}`);
  }
} finally {
  for (const w of Object.values(workers)) await w.stop();
}
