#!/usr/bin/env node
// Prints the shipped files' sizes (the .wasm, the bundled entries), raw and gzip (level 9, as a
// CDN would serve it).
// `--max-gzip BYTES` is the size budget (`make size`, part of `make test`): it exits with 1 when
// a .wasm file among the paths is larger than BYTES once gzipped.
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export function sizes(path) {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

export function reportSize(...paths) {
  for (const path of paths) {
    const { raw, gzip } = sizes(path);
    console.log(`size: ${relative(process.cwd(), resolve(path))}: ${raw} B raw, ${gzip} B gzip`);
  }
}

/** Checks every .wasm among `paths` against `maxGzip` bytes; returns the failures' messages. */
export function checkBudget(paths, maxGzip) {
  const failures = [];
  for (const path of paths.filter((p) => p.endsWith('.wasm'))) {
    const { gzip } = sizes(path);
    const line = `${relative(process.cwd(), resolve(path))}: ${gzip} B gzip, budget ${maxGzip} B`;
    if (gzip > maxGzip) failures.push(`${line}: ${gzip - maxGzip} B over`);
    else console.log(`size budget: ${line}: ${maxGzip - gzip} B to spare`);
  }
  return failures;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--max-gzip');
  let maxGzip;
  if (at >= 0) {
    maxGzip = Number(args[at + 1]);
    if (!Number.isInteger(maxGzip) || maxGzip <= 0) throw new Error(`--max-gzip needs a byte count, got ${args[at + 1]}`);
    args.splice(at, 2);
  }
  reportSize(...args);
  if (maxGzip !== undefined) {
    const failures = checkBudget(args, maxGzip);
    for (const failure of failures) console.error(`size budget EXCEEDED: ${failure}`);
    if (failures.length) process.exit(1);
  }
}
