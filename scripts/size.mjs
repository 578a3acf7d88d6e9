#!/usr/bin/env node
// Prints the shipped wasm's size, raw and gzip (level 9, as a CDN would serve it).
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export function sizes(path) {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

export function reportSize(...paths) {
  for (const path of paths) {
    const { raw, gzip } = sizes(path);
    console.log(`size: ${basename(path)}: ${raw} B raw, ${gzip} B gzip`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  reportSize(...process.argv.slice(2));
}
