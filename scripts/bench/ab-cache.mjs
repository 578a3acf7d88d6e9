#!/usr/bin/env node
// In-process A/B of the verified-token cache's hit path in Node (a SHA-256 of the token per
// call is its cache key): `node scripts/bench/ab-cache.mjs <pkgA> <pkgB> [slices]`, CPU µs per
// hit (process.cpuUsage), A and B alternating in slices, medians.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { makeFixtures } from './fixtures.mjs';

const [A, B, slices = '15'] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(resolve(p, 'node.js')).href);
const fx = await makeFixtures(1000, ['ES256']);
const { jwk, tokens } = fx.algs.ES256;
const claims = { issuer: fx.issuer, audience: fx.audience, algorithms: ['ES256'], cache: { maxEntries: 2000 } };
const libs = {};
for (const [name, dir] of Object.entries({ A, B })) {
  const wa = await load(dir);
  const verifier = new wa.JwtVerifier({ jwk, ...claims });
  libs[name] = (i) => verifier.verify(tokens[i % tokens.length]);
}
const samples = { A: [], B: [] };
for (const run of Object.values(libs)) for (let i = 0; i < 2000; i++) await run(i);
for (let s = 0; s < Number(slices); s++) {
  for (const [name, run] of Object.entries(libs)) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 5000; i++) await run(i);
    const c = process.cpuUsage(c0);
    samples[name].push((c.user + c.system) / 5000);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`cache hit, CPU µs per token: A ${med(samples.A).toFixed(2)}  B ${med(samples.B).toFixed(2)}  (B/A ${(med(samples.B) / med(samples.A)).toFixed(3)})`);
