#!/usr/bin/env node
// Where a Node cold start of wasm-auth goes, phase by phase (issue 15 item 6), for one package or
// several side by side: `node scripts/bench/cold-split.mjs [runs] pkgDir [otherPkgDir ...]`.
// Each package is copied into a throwaway project and its bundled Node entries (node.js,
// verify/node.js) get performance.now() marks around the read of the .wasm, `new
// WebAssembly.Module`, `new WebAssembly.Instance` and the start function; a fresh `node` per run
// imports the package by name, builds a JwtVerifier and verifies one token. The packages'
// runs are interleaved (and their order alternates), so that a burst of load on the machine
// lands on each of them alike. Medians of `runs` (default 9), in ms:
//   import     the import() until the entry's first statement: Node's resolution, the entry's
//              read and parse (an empty package costs most of it: ~4.5 ms on the build machine)
//   read       readFileSync of the .wasm
//   compile    new WebAssembly.Module (validation, one wrapper per import signature, export
//              wrappers for multi-value signatures; function bodies compile lazily, on first call)
//   instance   new WebAssembly.Instance (wrappers for imports of another arity, the tables)
//   start      the wasm start function (src/web/error.rs)
//   glue       the rest of the entry's evaluation, until import() returns
//   construct  new JwtVerifier(options), with the lazy compilation of what it reaches
//   verify     the first verify(), with the same (and, for ES256, loading node:crypto)
//   total      from import() to the verified token (what cold.mjs reports as total)
//   cpu        the CPU time of the whole process over `total`, every thread (V8 compiles wrappers
//              on worker threads too): less disturbed than wall times by other load
// The marks rely on the text esbuild writes for wasm-bindgen's glue; a phase whose mark is not
// found is reported on stderr and shows as NaN.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeFixtures } from './fixtures.mjs';

const args = process.argv.slice(2);
const runs = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 9;
const pkgDirs = args.length ? args : ['pkg'];

const mark = (name) => `(globalThis.__coldSplit ??= {})[${JSON.stringify(name)}] = performance.now();`;

function instrument(file) {
  let text = readFileSync(file, 'utf8');
  const around = (pattern, replace) => {
    const next = text.replace(pattern, replace);
    if (next === text) console.error(`cold-split: ${pattern} not found in ${file}`);
    text = next;
  };
  around(/initSync\(\{ module: (readFileSync\([^;]*\)) \}\);/,
    (_, read) => `${mark('readStart')} const __coldSplitBytes = ${read}; ${mark('readEnd')} initSync({ module: __coldSplitBytes });`);
  around(/module = new WebAssembly\.Module\(module\);/, (s) => `${mark('compileStart')} ${s} ${mark('compileEnd')}`);
  around(/const instance = new WebAssembly\.Instance\(module, imports\);/, (s) => `${mark('instanceStart')} ${s} ${mark('instanceEnd')}`);
  around(/wasm\.__wbindgen_start\(\);/, (s) => `${mark('startStart')} ${s} ${mark('startEnd')}`);
  writeFileSync(file, `${mark('top')}\n${text}`);
}

const child = `
const [lib, alg] = process.argv.slice(2);
const { token, jwk, issuer, audience } = JSON.parse(process.env.BENCH_COLD);
const claims = { issuer, audience, algorithms: [alg] };
const c0 = process.cpuUsage();
const t0 = performance.now();
const { JwtVerifier } = await import(lib);
const t1 = performance.now();
const verifier = new JwtVerifier(alg === 'HS256' ? { secret: Buffer.from(jwk.k, 'base64url'), ...claims } : { jwk, ...claims });
const t2 = performance.now();
const { payload } = await verifier.verify(token);
const t3 = performance.now();
const c1 = process.cpuUsage(c0);
if (!payload.sub) throw new Error('not verified');
const m = globalThis.__coldSplit;
const span = (phase) => m[phase + 'End'] - m[phase + 'Start'];
const inWasm = span('read') + span('compile') + span('instance') + span('start');
console.log(JSON.stringify({ import: m.top - t0, read: span('read'), compile: span('compile'), instance: span('instance'),
  start: span('start'), glue: t1 - m.top - inWasm, load: t1 - t0, construct: t2 - t1, verify: t3 - t2, total: t3 - t0,
  cpu: (c1.user + c1.system) / 1000 }));
`;

const project = mkdtempSync(join(tmpdir(), 'wasm-auth-cold-split-'));
for (const [i, pkgDir] of pkgDirs.entries()) {
  const pkg = join(project, `p${i}`, 'node_modules', 'wasm-auth');
  mkdirSync(pkg, { recursive: true });
  cpSync(resolve(pkgDir), pkg, { recursive: true });
  instrument(join(pkg, 'node.js'));
  instrument(join(pkg, 'verify', 'node.js'));
  writeFileSync(join(project, `p${i}`, 'child.mjs'), child);
}

const fixtures = await makeFixtures(runs);
const cases = [['wasm-auth/verify', 'HS256'], ['wasm-auth/verify', 'ES256'], ['wasm-auth', 'HS256'], ['wasm-auth', 'ES256']];
const samples = new Map();
for (let r = 0; r < runs; r++) {
  for (const [lib, alg] of cases) {
    const order = [...pkgDirs.keys()];
    if (r % 2) order.reverse();
    for (const i of order) {
      const { jwk, tokens } = fixtures.algs[alg];
      const env = { ...process.env, BENCH_COLD: JSON.stringify({ token: tokens[r], jwk, issuer: fixtures.issuer, audience: fixtures.audience }) };
      const out = execFileSync(process.execPath, [join(project, `p${i}`, 'child.mjs'), lib, alg], { env, encoding: 'utf8' });
      const key = `${lib} ${alg} ${i}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(JSON.parse(out));
    }
  }
}
rmSync(project, { recursive: true, force: true });

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const phases = ['import', 'read', 'compile', 'instance', 'start', 'glue', 'load', 'construct', 'verify', 'total', 'cpu'];
console.log(`cold start split, Node ${process.version}: fresh process per run, median of ${runs} (ms)`);
for (const [i, pkgDir] of pkgDirs.entries()) console.log(`  [${i}] ${pkgDir}`);
console.log(`${'case'.padEnd(27)}${phases.map((p) => p.padStart(10)).join('')}`);
for (const [lib, alg] of cases) {
  for (const i of pkgDirs.keys()) {
    const s = samples.get(`${lib} ${alg} ${i}`);
    console.log(`${`${lib} ${alg} [${i}]`.padEnd(27)}${phases.map((p) => median(s.map((x) => x[p])).toFixed(2).padStart(10)).join('')}`);
  }
}
