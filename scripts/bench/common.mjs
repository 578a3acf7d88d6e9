// Helpers shared by the `make bench` scripts (Node side only).
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const root = resolve(import.meta.dirname, '..', '..');

/** The package directory from argv (default ./pkg), absolute. */
export function pkgDirFromArgs(argv = process.argv.slice(2)) {
  return resolve(argv.find((a) => !a.startsWith('-')) ?? process.env.WASM_AUTH_PKG ?? 'pkg');
}

/** Imports the package's Node entry from `pkgDir`. */
export function importPkg(pkgDir) {
  return import(pathToFileURL(resolve(pkgDir, 'node.js')).href);
}

function listen(server) {
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server.address().port)));
}

/** A free loopback port. */
export async function freePort() {
  const server = createServer();
  const port = await listen(server);
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * Serves the JWK Set `jwks` as JSON on loopback (the remote-JWKS row) and, on /clock, this
 * process's monotonic clock in ms (the workerd run checks its in-isolate timings against it).
 * Counts JWKS fetches in `fetches`; those of hono/jwk, which fetches for every token, come to
 * `honoJwksUrl` and count apart in `honoFetches`.
 */
export async function startBenchServer(jwks) {
  const state = { fetches: 0, honoFetches: 0 };
  const server = createServer((req, res) => {
    if (req.url === '/clock') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(String(performance.now()));
      return;
    }
    if (req.url.endsWith('?peer=hono')) state.honoFetches++;
    else state.fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  const port = await listen(server);
  return {
    state,
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    honoJwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json?peer=hono`,
    clockUrl: `http://127.0.0.1:${port}/clock`,
    close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(done); }),
  };
}

const fmtOps = (x) => (x == null ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const fmtRatio = (x) => (x == null || !Number.isFinite(x) ? '' : `${x.toFixed(2)}x`);

/** The issue-7 goal for wasm-auth / jose per row. */
export const TARGET_VS_JOSE = { HS256: 6, RS256: 1.25, PS256: 1.25, ES256: 1.25, EdDSA: 1.05 };

/** Formats measured rows as a fixed-width table; returns the lines. */
export function table(title, rows) {
  // Node rows also have node:crypto's bare synchronous verify: the floor there for a verifier
  // that uses it, as wasm-auth does.
  const withNode = rows.some(({ ops }) => ops['node:crypto'] != null);
  // The peers of issue 17.5 (peers.mjs), where they ran.
  const peers = ['fast-jwt', 'fast-jwt cache', 'hono'].filter((lib) => rows.some(({ ops }) => ops[lib] != null));
  const head = ['row', 'wasm-auth', 'jose', ...peers, 'cf-worker-jwt', 'floor (subtle)', ...(withNode ? ['node:crypto'] : []),
    'wa/jose', 'wa/floor', ...(withNode ? ['wa/node:crypto'] : []), 'goal wa/jose', 'floor goal'];
  const body = rows.map(({ row, ops }) => {
    const wa = ops['wasm-auth'];
    const vsJose = wa / ops.jose;
    const vsFloor = wa / ops.floor;
    const goal = TARGET_VS_JOSE[row];
    const asym = row !== 'HS256';
    return [row, fmtOps(wa), fmtOps(ops.jose), ...peers.map((lib) => fmtOps(ops[lib])), fmtOps(ops['cf-worker-jwt']), fmtOps(ops.floor),
      ...(withNode ? [fmtOps(ops['node:crypto'])] : []),
      fmtRatio(vsJose), fmtRatio(vsFloor), ...(withNode ? [fmtRatio(wa / ops['node:crypto'])] : []),
      goal ? `>= ${goal}x ${vsJose >= goal ? 'met' : 'MISSED'}` : '',
      asym ? `>= 0.90x ${vsFloor >= 0.9 ? 'met' : 'MISSED'}` : ''];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [title, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}
