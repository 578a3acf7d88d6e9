#!/usr/bin/env node
// A/B of two packages on the same machine in the same minutes (issue 17.1's measurements):
// `node scripts/bench/ab.mjs <basePkg> <newPkg> [node|workerd|both]`, rows from BENCH_ROWS
// (comma-separated, default every row but the remote one), BENCH_REPEAT alternations (default 3).
// Prints each run's µs-beside table; A and B alternate so that load from other work hits both.
import { resolve } from 'node:path';
import { besideTable } from './beside.mjs';
import { startBenchServer } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';
import { benchNode } from './node.mjs';
import { benchWorkerd } from './workerd.mjs';

const [base, next, where = 'both'] = process.argv.slice(2);
const pkgs = { A: resolve(base), B: resolve(next) };
const rows = (process.env.BENCH_ROWS ?? 'HS256,RS256,PS256,ES256,EdDSA').split(',');
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const timing = { rounds: Number(process.env.BENCH_ROUNDS ?? 3), roundMs: Number(process.env.BENCH_ROUND_MS ?? 250) };
const fixtures = await makeFixtures(1000);
const server = await startBenchServer({ keys: [fixtures.algs.ES256.jwk] });
try {
  for (let r = 0; r < repeat; r++) {
    for (const [name, pkgDir] of Object.entries(pkgs)) {
      if (where !== 'workerd') {
        const out = await benchNode({ pkgDir, fixtures, jwksUrl: server.jwksUrl, honoJwksUrl: server.honoJwksUrl, rows, ...timing });
        console.log(besideTable(`run ${r} ${name} Node (${pkgDir})`, out).join('\n'));
      }
      if (where !== 'node') {
        const { rows: out } = await benchWorkerd({ pkgDir, fixtures, server, rows, ...timing });
        console.log(besideTable(`run ${r} ${name} workerd (${pkgDir})`, out).join('\n'));
      }
    }
  }
} finally {
  await server.close();
}
