#!/usr/bin/env node
// Cold start in Node: library load (for wasm-auth: read + compile + instantiate the .wasm) plus
// the first verification, each run in a fresh `node` process; medians of `runs` runs. The peers
// run in the same processes' shape (jose, fast-jwt), and "floor" imports an empty package by
// name: what any package costs to import, the part of a cold start no library can remove.
// `node scripts/bench/cold.mjs [pkgDir]` runs it alone.
import { createPublicKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pkgDirFromArgs, root } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/**
 * A throwaway project whose node_modules links `wasm-auth` to pkgDir and the peers to the
 * repository's copies (Node follows the links, so their dependencies resolve there), plus an empty package, with the child
 * script in it: the child imports every library by package name, so each import pays what a
 * user's does (node_modules lookup, package.json, exports map).
 */
function coldProject(pkgDir) {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-auth-cold-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(resolve(pkgDir), join(dir, 'node_modules', 'wasm-auth'), 'dir');
  for (const peer of ['jose', 'fast-jwt']) {
    symlinkSync(join(root, 'node_modules', peer), join(dir, 'node_modules', peer), 'dir');
  }
  const empty = join(dir, 'node_modules', 'empty-package');
  mkdirSync(empty);
  writeFileSync(join(empty, 'package.json'), JSON.stringify({ name: 'empty-package', type: 'module', exports: './index.js' }));
  writeFileSync(join(empty, 'index.js'), 'export {};\n');
  copyFileSync(join(import.meta.dirname, 'cold-child.mjs'), join(dir, 'cold-child.mjs'));
  return dir;
}

/** Returns [{ lib, alg, load, firstVerify, total, wall }] (medians, ms). */
export function benchCold({ pkgDir, fixtures, runs = 9, cases = [['wasm-auth', 'HS256'], ['wasm-auth', 'ES256'], ['wasm-auth/verify', 'HS256'], ['wasm-auth/verify', 'ES256'], ['jose', 'HS256'], ['jose', 'ES256'], ['fast-jwt', 'HS256'], ['fast-jwt', 'ES256'], ['floor', '-']] }) {
  const project = coldProject(pkgDir);
  const child = join(project, 'cold-child.mjs');
  const samples = new Map(cases.map((c) => [c.join(' '), []]));
  // Interleaved, so that a burst of load on the machine does not land on one case only.
  for (let r = 0; r < runs; r++) {
    for (const [lib, alg] of cases) {
      const { jwk, tokens } = fixtures.algs[alg] ?? fixtures.algs.HS256;
      // fast-jwt takes a PEM; made here, so that the child's clock does not count it.
      const pem = jwk.kty === 'oct' ? undefined : createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const env = { ...process.env, BENCH_COLD: JSON.stringify({ token: tokens[r], jwk, pem, issuer: fixtures.issuer, audience: fixtures.audience }) };
      const w0 = performance.now();
      const out = execFileSync(process.execPath, [child, lib, alg], { env, encoding: 'utf8' });
      const wall = performance.now() - w0;
      samples.get(`${lib} ${alg}`).push({ ...JSON.parse(out), wall });
    }
  }
  // The links only: rm does not follow them into pkgDir or jose.
  rmSync(project, { recursive: true, force: true });
  return cases.map(([lib, alg]) => {
    const s = samples.get(`${lib} ${alg}`);
    const pick = (k) => median(s.map((x) => x[k]));
    return { lib, alg, runs, load: pick('load'), firstVerify: pick('firstVerify'), total: pick('total'), wall: pick('wall') };
  });
}

/** Issue 15's goals (ms, import + construct + first verification): 10 for the verify entry, 12 for the full one. */
const goalMs = (lib) => (lib === 'wasm-auth/verify' ? 10 : 12);

export function coldLines(results) {
  const lines = [`cold start, Node ${process.version}: fresh process per run, median of ${results[0].runs} (ms; "floor" imports an empty package)`,
    'library          alg     load (import: read+compile+instantiate)  first verify   total   whole process  ÷ jose  ÷ fast-jwt'];
  const total = (lib, alg) => results.find((r) => r.lib === lib && r.alg === alg)?.total;
  const ratio = (peer, r) => { const t = total(peer, r.alg); return t === undefined ? '' : (t / r.total).toFixed(2); };
  for (const r of results) {
    const goal = r.lib.startsWith('wasm-auth') ? `  goal <= ${goalMs(r.lib)} ms ${r.total <= goalMs(r.lib) ? 'met' : 'MISSED'}` : '';
    const ratios = r.lib.startsWith('wasm-auth') ? `  ${ratio('jose', r).padStart(6)}  ${ratio('fast-jwt', r).padStart(10)}` : '';
    lines.push(`${r.lib.padEnd(16)} ${r.alg.padEnd(6)} ${r.load.toFixed(2).padStart(42)}  ${r.firstVerify.toFixed(2).padStart(12)}  ${r.total.toFixed(2).padStart(6)}  ${r.wall.toFixed(0).padStart(14)}${ratios}${goal}`);
  }
  return lines;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const pkgDir = pkgDirFromArgs();
  const fixtures = await makeFixtures(20);
  console.log(coldLines(benchCold({ pkgDir, fixtures })).join('\n'));
}
