// examples/edge-worker in the real workerd runtime, verifying tokens issued by the reference
// server over real HTTP (its JWKS fetched by the worker), as `make demo` runs them.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEdgeWorker } from '../../scripts/edge-worker.mjs';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { freePort, root } from './helpers.mjs';

let server;
let edge;

before(async () => {
  server = await startReferenceServer({ dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-edge-')) });
  edge = await startEdgeWorker({ issuer: server.url, port: await freePort(), outDir: join(root, 'target', 'e2e', 'edge-worker') });
});

after(async () => {
  await edge?.stop();
  await server?.stop();
});

const login = async () => (await (await fetch(`${server.url}/v1/auth/login`, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: 'user@example.com', password: 'securepassword' }),
})).json()).access_token;

test('concurrent first requests on a cold isolate all complete (no promise shared across requests hangs)', async () => {
  const token = await login();
  const answers = await Promise.all(Array.from({ length: 12 }, () => fetch(`${edge.url}/v1/edge/resources`, {
    headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000),
  })));
  assert.deepEqual(answers.map((r) => r.status), Array(12).fill(200), edge.output());
});

test('a token from the reference server is verified at the edge', async () => {
  const response = await fetch(`${edge.url}/v1/edge/resources`, { headers: { authorization: `Bearer ${await login()}` } });
  assert.equal(response.status, 200, edge.output());
  const body = await response.json();
  assert.equal(body.verified_at, 'edge');
  assert.equal(body.sub, 'user_demo');
  assert.equal(body.alg, 'ES256');
});

test('no token: 401 with the Bearer challenge; a tampered one: invalid_token; CORS headers on both', async () => {
  const none = await fetch(`${edge.url}/v1/edge/resources`);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="wasm-auth", DPoP realm="wasm-auth", algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"');
  assert.equal(none.headers.get('access-control-allow-origin'), server.url);
  const token = await login();
  const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
  const bad = await fetch(`${edge.url}/v1/edge/resources`, { headers: { authorization: `Bearer ${tampered}` } });
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get('www-authenticate'), /error="invalid_token"/);
});

test('a token without read:resources: 403 insufficient_scope', async () => {
  const basic = `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`;
  const { access_token } = await (await fetch(`${server.url}/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    body: 'grant_type=client_credentials&scope=write:resources',
  })).json();
  const response = await fetch(`${edge.url}/v1/edge/resources`, { headers: { authorization: `Bearer ${access_token}` } });
  assert.equal(response.status, 403);
  assert.match(response.headers.get('www-authenticate'), /error="insufficient_scope", scope="read:resources"/);
});
