#!/usr/bin/env node
// Verify ops/s in Node: wasm-auth vs jose vs @tsndr/cloudflare-worker-jwt vs fast-jwt vs hono vs
// bare crypto.subtle.verify and node:crypto. `node scripts/bench/node.mjs [pkgDir]` runs it alone.
import nodeCrypto from 'node:crypto';
import { resolve } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import * as cfjwtModule from '@tsndr/cloudflare-worker-jwt';
import * as fastJwt from 'fast-jwt';
import { Jwt as honoJwt } from 'hono/utils/jwt';
import * as jose from 'jose';
import { importPkg, pkgDirFromArgs, startBenchServer, table } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';
import { ROWS, measureRow } from './verify-suite.mjs';

const cfjwt = cfjwtModule.default ?? cfjwtModule;
const clock = { now: () => performance.now(), yieldIo: () => setImmediate() };

/** Measures every row in this process; returns the rows. */
export async function benchNode({ pkgDir, fixtures, jwksUrl, honoJwksUrl, rounds, roundMs, rows: only = ROWS }) {
  const wasmAuth = await importPkg(pkgDir);
  const env = { wasmAuth, jose, cfjwt, fastJwt, honoJwt, fixtures, jwksUrl, honoJwksUrl, nodeCrypto };
  const rows = [];
  for (const row of only) rows.push(await measureRow(row, env, { rounds, roundMs, clock }));
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const pkgDir = pkgDirFromArgs();
  const fixtures = await makeFixtures(1000);
  const server = await startBenchServer({ keys: [fixtures.algs.ES256.jwk] });
  try {
    const rows = await benchNode({ pkgDir, fixtures, jwksUrl: server.jwksUrl, honoJwksUrl: server.honoJwksUrl });
    console.log(table(`verify ops/s, Node ${process.version} (${pkgDir})`, rows).join('\n'));
  } finally {
    await server.close();
  }
}
