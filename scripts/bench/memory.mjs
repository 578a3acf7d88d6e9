#!/usr/bin/env node
// wasm memory across many verifications: the linear memory (memory.buffer.byteLength, which
// never shrinks) after a warm-up, then at checkpoints up to `count` more verifications. Growth
// after warm-up would be a leak in the Rust side (or glue objects never freed).
// `node scripts/bench/memory.mjs [pkgDir]` runs it alone.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { importPkg, pkgDirFromArgs } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';

/** Verifies `count` tokens of `alg` after `warmup`; returns the memory at each checkpoint. */
export async function benchMemory({ pkgDir, fixtures, alg = 'HS256', warmup = 100_000, count = 1_000_000, checkpoints = 4 }) {
  const wasmAuth = await importPkg(pkgDir);
  // The entry initialised the module already; initSync() then returns its exports.
  const { memory, __wbindgen_externrefs: refs } = wasmAuth.initSync();
  // wasm-bindgen's table of JS values held by Rust: a slot never freed grows it and, with it,
  // the free-slot list in linear memory.
  const slots = () => (refs instanceof WebAssembly.Table ? refs.length : null);
  const { jwk, tokens } = fixtures.algs[alg];
  const claims = { issuer: fixtures.issuer, audience: fixtures.audience, algorithms: [alg] };
  const verifier = new wasmAuth.JwtVerifier(alg === 'HS256' ? { secret: Buffer.from(jwk.k, 'base64url'), ...claims } : { jwk, ...claims });
  const n = tokens.length;
  const run = async (from, to) => {
    for (let i = from; i < to; i++) {
      const { payload } = await verifier.verify(tokens[i % n]);
      if (payload.n !== i % n) throw new Error('wrong payload');
    }
  };
  const initial = memory.buffer.byteLength;
  await run(0, warmup);
  const afterWarmup = memory.buffer.byteLength;
  const slotsAfterWarmup = slots();
  const points = [];
  const t0 = performance.now();
  const step = count / checkpoints;
  for (let k = 1; k <= checkpoints; k++) {
    await run(warmup + (k - 1) * step, warmup + k * step);
    points.push({ verifications: k * step, bytes: memory.buffer.byteLength });
  }
  const seconds = (performance.now() - t0) / 1000;
  return { alg, initial, warmup, afterWarmup, points, seconds, growth: points.at(-1).bytes - afterWarmup,
    externrefSlots: { afterWarmup: slotsAfterWarmup, end: slots() } };
}

export function memoryLines(results) {
  return results.map((r) => `wasm memory, ${r.alg}: ${r.initial.toLocaleString('en-US')} B at start, ` +
    `${r.afterWarmup.toLocaleString('en-US')} B after ${r.warmup.toLocaleString('en-US')} warm-up verifications, then ` +
    r.points.map((p) => `${p.bytes.toLocaleString('en-US')} B @${(p.verifications / 1000).toLocaleString('en-US')}k`).join(', ') +
    ` (${r.seconds.toFixed(1)} s): growth after warm-up ${r.growth.toLocaleString('en-US')} B ${r.growth === 0 ? '(goal: none, met)' : '(goal: none, MISSED)'}` +
    (r.externrefSlots.end === null ? '' : `; externref table ${r.externrefSlots.afterWarmup.toLocaleString('en-US')} -> ${r.externrefSlots.end.toLocaleString('en-US')} slots`));
}

/** Runs benchMemory in a fresh process (fresh linear memory); returns its result. */
export function benchMemoryFresh({ pkgDir, alg, warmup, count }) {
  const out = execFileSync(process.execPath, [import.meta.filename, pkgDir, '--json', alg, String(warmup), String(count)], { encoding: 'utf8' });
  return JSON.parse(out);
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const pkgDir = pkgDirFromArgs();
  const at = process.argv.indexOf('--json');
  if (at >= 0) {
    const [alg, warmup, count] = process.argv.slice(at + 1);
    const fixtures = await makeFixtures(1000, [alg]);
    console.log(JSON.stringify(await benchMemory({ pkgDir, fixtures, alg, warmup: Number(warmup), count: Number(count) })));
  } else {
    console.log(memoryLines([
      benchMemoryFresh({ pkgDir, alg: 'HS256', warmup: 100_000, count: 1_000_000 }),
      benchMemoryFresh({ pkgDir, alg: 'ES256', warmup: 20_000, count: 100_000 }),
    ]).join('\n'));
  }
}
