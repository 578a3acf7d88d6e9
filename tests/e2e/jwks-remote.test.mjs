// JwtVerifier with a remote JWKS, against a real local HTTP server whose answers the test
// controls: caching, one shared fetch for concurrent verifications, refetch on an unknown kid
// at most once per cooldown, timeout, non-200 and garbage answers, and an exported cache.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { JwtVerifier } from '../../pkg/node.js';
import { makeKey, startJwksServer } from './fixtures/jwks-server.mjs';
import { freePort } from './helpers.mjs';

let jwksServer;
let base;
let keyA;
let keyB;
// The server's counters and modes, under the names the tests read.
const server = () => jwksServer.state;

before(async () => {
  keyA = await makeKey('a');
  keyB = await makeKey('b');
  jwksServer = await startJwksServer();
  base = jwksServer.url;
});

after(() => jwksServer.close());

beforeEach(() => {
  server().fetches = 0;
  server().mode = 'ok';
  server().jwks = { keys: [keyA.jwk] };
});

const code = (promise) => promise.then(() => 'accepted', (e) => e.code);

test('the first verification fetches; later ones use the cache', async () => {
  const verifier = new JwtVerifier({ jwksUri: base });
  assert.equal((await verifier.verify(await keyA.sign())).payload.sub, 'u');
  await verifier.verify(await keyA.sign());
  await verifier.verify(await keyA.sign());
  assert.equal(server().fetches, 1);
});

test('twenty concurrent verifications on an empty cache share one fetch', async () => {
  const verifier = new JwtVerifier({ jwksUri: base });
  const tokens = await Promise.all(Array.from({ length: 20 }, () => keyA.sign()));
  const results = await Promise.all(tokens.map((t) => verifier.verify(t)));
  assert.equal(results.length, 20);
  assert.equal(server().fetches, 1);
});

test('an unknown kid refetches (key rotation), at most once per cooldown', async () => {
  const verifier = new JwtVerifier({ jwksUri: base, cooldownDuration: 300 });
  await verifier.verify(await keyA.sign());
  server().jwks = { keys: [keyA.jwk, keyB.jwk] };
  assert.equal(await code(verifier.verify(await keyB.sign())), 'ERR_JWKS_NO_MATCHING_KEY', 'right after a fetch: cooling down');
  assert.equal(server().fetches, 1);
  await new Promise((r) => setTimeout(r, 350));
  await verifier.verify(await keyB.sign());
  assert.equal(server().fetches, 2, 'rotation picked up');
  const stranger = await makeKey('c');
  assert.equal(await code(verifier.verify(await stranger.sign())), 'ERR_JWKS_NO_MATCHING_KEY');
  assert.equal(await code(verifier.verify(await stranger.sign())), 'ERR_JWKS_NO_MATCHING_KEY');
  assert.equal(server().fetches, 2, 'inside the cooldown: no refetch for an unknown kid');
  await new Promise((r) => setTimeout(r, 350));
  assert.equal(await code(verifier.verify(await stranger.sign())), 'ERR_JWKS_NO_MATCHING_KEY');
  assert.equal(server().fetches, 3, 'after the cooldown: one refetch');
});

test('a set older than cacheMaxAge is fetched again', async () => {
  const verifier = new JwtVerifier({ jwksUri: base, cacheMaxAge: 100 });
  await verifier.verify(await keyA.sign());
  await new Promise((r) => setTimeout(r, 150));
  await verifier.verify(await keyA.sign());
  assert.equal(server().fetches, 2);
});

test('a slow JWKS fails with ERR_JWKS_TIMEOUT after timeoutDuration', async () => {
  server().mode = 'slow';
  const verifier = new JwtVerifier({ jwksUri: base, timeoutDuration: 200 });
  const started = Date.now();
  assert.equal(await code(verifier.verify(await keyA.sign())), 'ERR_JWKS_TIMEOUT');
  assert.ok(Date.now() - started < 1500, 'it did not wait for the answer');
});

test('only an HTTP 200 JSON JWK Set is accepted; redirects are not followed', async () => {
  for (const [m, expected] of [['error', 'ERR_JWKS_INVALID'], ['garbage', 'ERR_JWKS_INVALID'], ['redirect', 'ERR_JWKS_INVALID'], ['not-a-set', 'ERR_JWKS_INVALID']]) {
    server().mode = m;
    const verifier = new JwtVerifier({ jwksUri: base });
    assert.equal(await code(verifier.verify(await keyA.sign())), expected, m);
  }
});

test('a remote JWK Set holding a shared secret is refused (anyone could mint tokens)', async () => {
  server().jwks = { keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'a' }] };
  const verifier = new JwtVerifier({ jwksUri: base });
  assert.equal(await code(verifier.verify(await keyA.sign())), 'ERR_JWKS_INVALID');
});

test('an unreachable JWKS is ERR_JWKS_FETCH_FAILED', async () => {
  const closed = `http://127.0.0.1:${await freePort()}/jwks.json`;
  const verifier = new JwtVerifier({ jwksUri: closed });
  assert.equal(await code(verifier.verify(await keyA.sign())), 'ERR_JWKS_FETCH_FAILED');
});

test('a malformed token never causes a fetch', async () => {
  const verifier = new JwtVerifier({ jwksUri: base });
  assert.equal(await code(verifier.verify('not.a.token')), 'ERR_JWS_INVALID');
  assert.equal(server().fetches, 0);
});

test('the cache can be exported and seeded into another verifier (e.g. through KV)', async () => {
  const first = new JwtVerifier({ jwksUri: base });
  assert.equal(first.exportJwksCache(), undefined);
  await first.verify(await keyA.sign());
  const cache = JSON.parse(JSON.stringify(first.exportJwksCache()));
  assert.deepEqual(cache.jwks, server().jwks);
  assert.ok(Math.abs(cache.uat - Date.now()) < 5000);
  const second = new JwtVerifier({ jwksUri: base, jwksCache: cache });
  await second.verify(await keyA.sign());
  assert.equal(server().fetches, 1, 'the seeded verifier did not fetch');
});

test('remote options are checked', () => {
  assert.throws(() => new JwtVerifier({ jwksUri: 'file:///etc/passwd' }), { code: 'ERR_AUTH_INVALID_OPTIONS' });
  assert.throws(() => new JwtVerifier({ jwksUri: base, timeoutDuration: -1 }), { code: 'ERR_AUTH_INVALID_OPTIONS' });
  assert.throws(() => new JwtVerifier({ jwks: server().jwks, cacheMaxAge: 5 }), { code: 'ERR_AUTH_INVALID_OPTIONS' });
});
