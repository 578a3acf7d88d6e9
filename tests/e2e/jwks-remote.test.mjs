// JwtVerifier with a remote JWKS, against a real local HTTP server whose answers the test
// controls: caching, one shared fetch for concurrent verifications, refetch on an unknown kid
// at most once per cooldown, timeout, non-200 and garbage answers, and an exported cache.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createHmac } from 'node:crypto';
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
  server().bytesSent = 0;
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

// ---- the answer's size, type and timing ----

test('an answer larger than jwksMaxBytes is ERR_JWKS_TOO_LARGE, read no further than the cap', async () => {
  // 300 MB of whitespace before a valid set, no Content-Length: cut off past 512 KiB (default).
  server().mode = 'huge';
  const started = Date.now();
  assert.equal(await code(new JwtVerifier({ jwksUri: base }).verify(await keyA.sign())), 'ERR_JWKS_TOO_LARGE');
  assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(server().bytesSent < 16 * 1024 * 1024, `the client stopped reading: ${server().bytesSent} bytes sent`);
  // A Content-Length over the cap is refused before the body is read.
  server().mode = 'huge-declared';
  server().bytesSent = 0;
  assert.equal(await code(new JwtVerifier({ jwksUri: base }).verify(await keyA.sign())), 'ERR_JWKS_TOO_LARGE');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(server().bytesSent < 16 * 1024 * 1024, `${server().bytesSent} bytes sent`);
  // jwksMaxBytes sets the cap; the error names it.
  server().mode = 'ok';
  const small = new JwtVerifier({ jwksUri: base, jwksMaxBytes: 64 });
  await assert.rejects(small.verify(await keyA.sign()), { code: 'ERR_JWKS_TOO_LARGE', message: /64 bytes \(jwksMaxBytes\)/ });
  assert.equal((await new JwtVerifier({ jwksUri: base, jwksMaxBytes: 4096 }).verify(await keyA.sign())).payload.sub, 'u');
});

test('jwksMaxBytes is checked like the other options', () => {
  for (const bad of [0, -1, 1.5, NaN, Infinity, '512']) {
    assert.throws(() => new JwtVerifier({ jwksUri: base, jwksMaxBytes: bad }), { code: 'ERR_AUTH_INVALID_OPTIONS', message: /jwksMaxBytes/ }, String(bad));
  }
  assert.throws(() => new JwtVerifier({ jwks: server().jwks, jwksMaxBytes: 1024 }), { code: 'ERR_AUTH_INVALID_OPTIONS', message: /jwksUri only/ });
});

test('only a JSON Content-Type is accepted: application/json or application/jwk-set+json', async () => {
  for (const [m, expected] of [['html', 'ERR_JWKS_INVALID'], ['no-type', 'ERR_JWKS_INVALID'], ['jwk-set-type', 'accepted'], ['ok', 'accepted']]) {
    server().mode = m;
    assert.equal(await code(new JwtVerifier({ jwksUri: base }).verify(await keyA.sign())), expected, m);
  }
});

test('the timeout covers the body too, not just the headers', async () => {
  server().mode = 'slow-body';
  const started = Date.now();
  assert.equal(await code(new JwtVerifier({ jwksUri: base, timeoutDuration: 300 }).verify(await keyA.sign())), 'ERR_JWKS_TIMEOUT');
  assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
});

// ---- what never fetches, and failures under the cooldown ----

const b64 = (text) => Buffer.from(text).toString('base64url');

test('a token whose payload is not JSON, or that no remote set could verify, never causes a fetch', async () => {
  const verifier = new JwtVerifier({ jwksUri: base, algorithms: ['ES256'] });
  const notJson = `${b64('{"alg":"ES256","kid":"a"}')}.${b64('not json')}.${b64('x'.repeat(64))}`;
  assert.equal(await code(verifier.verify(notJson)), 'ERR_JWT_INVALID');
  const array = `${b64('{"alg":"ES256","kid":"a"}')}.${b64('[1]')}.${b64('x'.repeat(64))}`;
  assert.equal(await code(verifier.verify(array)), 'ERR_JWT_INVALID');
  const notAllowed = `${b64('{"alg":"ES384","kid":"a"}')}.${b64('{}')}.${b64('x'.repeat(96))}`;
  assert.equal(await code(verifier.verify(notAllowed)), 'ERR_JOSE_ALG_NOT_ALLOWED');
  // HS256: a remote set never holds shared secrets.
  const input = `${b64('{"alg":"HS256"}')}.${b64('{"sub":"u"}')}`;
  const hs = `${input}.${createHmac('sha256', 'x'.repeat(32)).update(input).digest('base64url')}`;
  assert.equal(await code(new JwtVerifier({ jwksUri: base }).verify(hs)), 'ERR_JOSE_ALG_NOT_ALLOWED');
  assert.equal(server().fetches, 0);
});

test('a failed fetch starts the cooldown: 50 verifications against a failing JWKS make one request', async () => {
  server().mode = 'error';
  const verifier = new JwtVerifier({ jwksUri: base, cooldownDuration: 400 });
  const token = await keyA.sign();
  assert.equal(await code(verifier.verify(token)), 'ERR_JWKS_INVALID');
  for (let i = 0; i < 49; i++) assert.equal(await code(verifier.verify(token)), 'ERR_JWKS_INVALID', `verification ${i + 2}`);
  assert.equal(server().fetches, 1, 'inside the cooldown: no new fetch, the last error again');
  // verifyRequest turns the repeated failure into a 503 as well.
  const answer = await verifier.verifyRequest(new Request('http://x/', { headers: { authorization: `Bearer ${token}` } }));
  assert.equal(answer.response.status, 503);
  server().mode = 'ok';
  assert.equal(await code(verifier.verify(token)), 'ERR_JWKS_INVALID', 'still cooling down');
  await new Promise((r) => setTimeout(r, 450));
  assert.equal((await verifier.verify(token)).payload.sub, 'u', 'after the cooldown: one fetch, which succeeds');
  assert.equal(server().fetches, 2);
});

test('a dropped connection is under the cooldown too, and concurrent verifications still share one fetch', async () => {
  server().mode = 'drop';
  const verifier = new JwtVerifier({ jwksUri: base });
  const token = await keyA.sign();
  const first = await Promise.all(Array.from({ length: 10 }, () => code(verifier.verify(token))));
  assert.deepEqual(first, Array(10).fill('ERR_JWKS_FETCH_FAILED'));
  for (let i = 0; i < 20; i++) assert.equal(await code(verifier.verify(token)), 'ERR_JWKS_FETCH_FAILED');
  assert.equal(server().fetches, 1);
});
