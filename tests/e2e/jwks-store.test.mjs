// jwksStore, jwksMaxStaleSeconds and onJwksEvent in Node, against a local JWKS server: the
// options' checks, the store contract (key, value, expirationTtl; sync or async; what a store
// may hold), stale-if-error, and cacheApiStore over a Cache-like object. The cross-isolate
// case runs in workerd: jwks-store-workerd.test.mjs.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { JwtVerifier, cacheApiStore } from '../../pkg/node.js';
import { makeKey, startJwksServer } from './fixtures/jwks-server.mjs';

let jwks;
let keyA;
let keyB;
let key;

before(async () => {
  keyA = await makeKey('a');
  keyB = await makeKey('b');
  jwks = await startJwksServer();
  key = `wasm-auth:jwks:${jwks.url}`;
});

after(() => jwks.close());

beforeEach(() => {
  Object.assign(jwks.state, { fetches: 0, mode: 'ok', jwks: { keys: [keyA.jwk] } });
});

const code = (promise) => promise.then(() => 'accepted', (e) => e.code);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Workers-KV-like store in memory that records its calls; `sync` answers without promises. */
function memoryStore({ sync = false } = {}) {
  const entries = new Map();
  const calls = [];
  const answer = (value) => (sync ? value : Promise.resolve(value));
  return {
    entries,
    calls,
    get(k) { calls.push(['get', k]); return answer(entries.get(k) ?? null); },
    put(k, value, options) { calls.push(['put', k, value, options]); entries.set(k, value); return answer(undefined); },
  };
}

test('jwksStore, jwksMaxStaleSeconds and onJwksEvent are checked, and apply to jwksUri only', () => {
  const invalid = { code: 'ERR_AUTH_INVALID_OPTIONS' };
  for (const bad of [null, 5, 'kv', {}, { get() {} }, { put() {} }, { get: 1, put() {} }, [() => {}]]) {
    assert.throws(() => new JwtVerifier({ jwksUri: jwks.url, jwksStore: bad }), { ...invalid, message: /jwksStore/ }, String(bad));
  }
  for (const bad of [0, -1, NaN, Infinity, '60', 31_536_001, null]) {
    assert.throws(() => new JwtVerifier({ jwksUri: jwks.url, jwksMaxStaleSeconds: bad }), { ...invalid, message: /jwksMaxStaleSeconds/ }, String(bad));
  }
  for (const bad of [null, 'log', {}]) {
    assert.throws(() => new JwtVerifier({ jwksUri: jwks.url, onJwksEvent: bad }), { ...invalid, message: /onJwksEvent/ }, String(bad));
  }
  for (const [name, value] of [['jwksStore', memoryStore()], ['jwksMaxStaleSeconds', 60], ['onJwksEvent', () => {}]]) {
    assert.throws(() => new JwtVerifier({ jwks: jwks.state.jwks, [name]: value }), { ...invalid, message: /jwksUri only/ }, name);
  }
  assert.throws(() => new JwtVerifier({ jwksUri: jwks.url, jwksStor: memoryStore() }), { ...invalid, message: /jwksStore/ }, 'a misspelling is named');
  new JwtVerifier({ jwksUri: jwks.url, jwksStore: memoryStore(), jwksMaxStaleSeconds: 0.5, onJwksEvent() {} });
});

test('the store contract: one key per jwksUri, a string record, expirationTtl in seconds (60 or more)', async () => {
  for (const sync of [false, true]) {
    jwks.state.fetches = 0;
    const store = memoryStore({ sync });
    const first = new JwtVerifier({ jwksUri: jwks.url, jwksStore: store, cacheMaxAge: 30_000 });
    assert.equal(await code(first.verify(await keyA.sign())), 'accepted');
    const [get, put] = store.calls;
    assert.deepEqual(get, ['get', key]);
    assert.deepEqual([put[0], put[1], put[3]], ['put', key, { expirationTtl: 60 }], 'at least KV\'s minimum');
    const record = JSON.parse(put[2]);
    assert.deepEqual(record.jwks, { keys: [keyA.jwk] });
    assert.ok(Math.abs(record.uat - Date.now()) < 5000 && Number.isInteger(record.uat));
    // A second verifier (a cold isolate) takes it from the store, without fetching.
    const second = new JwtVerifier({ jwksUri: jwks.url, jwksStore: store });
    assert.equal(await code(second.verify(await keyA.sign())), 'accepted');
    assert.equal(jwks.state.fetches, 1, sync ? 'sync store' : 'async store');
    assert.deepEqual(second.exportJwksCache(), first.exportJwksCache());
  }
  const store = memoryStore();
  const long = new JwtVerifier({ jwksUri: jwks.url, jwksStore: store, cacheMaxAge: 600_000, jwksMaxStaleSeconds: 3600.5 });
  await long.verify(await keyA.sign());
  assert.deepEqual(store.calls[1][3], { expirationTtl: 4201 }, 'max age plus stale age, rounded up');
});

test('what a store holds is checked as a fetched set; failures are reported and ignored', async () => {
  const oct = { kty: 'oct', kid: 'a', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' };
  const now = Date.now();
  const cases = [
    ['not JSON', 'ERR_JWKS_INVALID'],
    [JSON.stringify({ keys: [keyA.jwk] }), 'ERR_JWKS_INVALID'],
    [JSON.stringify({ uat: now, jwks: { keys: [oct] } }), 'ERR_JWKS_INVALID'],
    [JSON.stringify({ uat: now, jwks: { keys: [keyA.jwk] }, pad: 'x'.repeat(600) }), 'ERR_JWKS_TOO_LARGE'],
    [{ uat: now, jwks: { keys: [keyA.jwk] } }, 'ERR_JWKS_INVALID'],
  ];
  for (const [value, expected] of cases) {
    jwks.state.fetches = 0;
    const events = [];
    const store = { get: () => value, put: () => {} };
    const verifier = new JwtVerifier({ jwksUri: jwks.url, jwksStore: store, jwksMaxBytes: 512, onJwksEvent: (e) => events.push(e) });
    assert.equal(await code(verifier.verify(await keyA.sign())), 'accepted', String(value));
    assert.deepEqual(events.map((e) => [e.type, e.error.code]), [['store-error', expected]], String(value));
    assert.equal(jwks.state.fetches, 1);
  }
  // Throwing, rejecting and hanging stores, and a listener that throws: verification goes on.
  const stores = [
    [{ get() { throw new Error('boom'); }, put() { throw new Error('boom'); } }, ['ERR_JWKS_FETCH_FAILED', 'ERR_JWKS_FETCH_FAILED']],
    [{ get: () => Promise.reject(new Error('no')), put: () => Promise.reject(new Error('no')) }, ['ERR_JWKS_FETCH_FAILED', 'ERR_JWKS_FETCH_FAILED']],
    [{ get: () => new Promise(() => {}), put: () => new Promise(() => {}) }, ['ERR_JWKS_TIMEOUT', 'ERR_JWKS_TIMEOUT']],
  ];
  for (const [store, codes] of stores) {
    const events = [];
    const onJwksEvent = (e) => { events.push(e.error.code); throw new Error('listener bug'); };
    const verifier = new JwtVerifier({ jwksUri: jwks.url, jwksStore: store, timeoutDuration: 200, onJwksEvent });
    assert.equal(await code(verifier.verify(await keyA.sign())), 'accepted');
    assert.deepEqual(events, codes);
  }
});

test('a stored set that lacks a new kid: fetched within a cooldown it answers, older it is refetched', async () => {
  const store = memoryStore();
  await new JwtVerifier({ jwksUri: jwks.url, jwksStore: store, cooldownDuration: 200 }).verify(await keyA.sign());
  jwks.state.jwks = { keys: [keyA.jwk, keyB.jwk] };
  const tokenB = await keyB.sign();
  const early = new JwtVerifier({ jwksUri: jwks.url, jwksStore: store, cooldownDuration: 200 });
  assert.equal(await code(early.verify(tokenB)), 'ERR_JWKS_NO_MATCHING_KEY', 'another isolate fetched it a moment ago');
  assert.equal(jwks.state.fetches, 1);
  await sleep(250);
  const late = new JwtVerifier({ jwksUri: jwks.url, jwksStore: store, cooldownDuration: 200 });
  assert.equal(await code(late.verify(tokenB)), 'accepted');
  assert.equal(jwks.state.fetches, 2);
  // The refreshed set went to the store: the next cold verifier has the new kid at once.
  assert.equal(await code(new JwtVerifier({ jwksUri: jwks.url, jwksStore: store }).verify(tokenB)), 'accepted');
  assert.equal(jwks.state.fetches, 2);
});

test('stale-if-error: past cacheMaxAge a failing JWKS URI leaves the last set answering up to jwksMaxStaleSeconds', async () => {
  const events = [];
  const verifier = new JwtVerifier({ jwksUri: jwks.url, cacheMaxAge: 300, cooldownDuration: 100, jwksMaxStaleSeconds: 0.6, onJwksEvent: (e) => events.push(e) });
  const token = await keyA.sign();
  assert.equal(await code(verifier.verify(token)), 'accepted');
  jwks.state.mode = 'error';
  await sleep(350);
  assert.equal(await code(verifier.verify(token)), 'accepted');
  assert.equal(await code(verifier.verify(await keyB.sign())), 'ERR_JWKS_INVALID', 'an unknown kid gets the failure');
  assert.deepEqual(events.map((e) => [e.type, e.error.code, e.ageSeconds]), [['stale', 'ERR_JWKS_INVALID', 0]]);
  await sleep(600);
  assert.equal(await code(verifier.verify(token)), 'ERR_JWKS_INVALID', 'past the stale age');
  const answer = await verifier.verifyRequest(new Request('http://api/', { headers: { authorization: `Bearer ${token}` } }));
  assert.deepEqual([answer.ok, answer.response.status, answer.response.headers.get('retry-after')], [false, 503, '5']);
  // Without the option, nothing stale answers (as before).
  jwks.state.mode = 'ok';
  const strict = new JwtVerifier({ jwksUri: jwks.url, cacheMaxAge: 100 });
  await strict.verify(token);
  jwks.state.mode = 'error';
  await sleep(150);
  assert.equal(await code(strict.verify(token)), 'ERR_JWKS_INVALID');
});

test('cacheApiStore keeps records as Responses under namespaceUrl, with max-age', async () => {
  const kept = new Map();
  const cache = {
    async match(url) { return kept.has(url) ? new Response(kept.get(url).body) : undefined; },
    async put(url, response) { kept.set(url, { body: await response.text(), cacheControl: response.headers.get('cache-control') }); },
  };
  const store = cacheApiStore(cache, { namespaceUrl: 'https://auth.example/jwks-cache/' });
  assert.equal(await store.get('x'), null);
  const verifier = new JwtVerifier({ jwksUri: jwks.url, jwksStore: store });
  await verifier.verify(await keyA.sign());
  const url = `https://auth.example/jwks-cache/${encodeURIComponent(key)}`;
  assert.deepEqual([...kept.keys()], [url]);
  assert.equal(kept.get(url).cacheControl, 'max-age=600');
  assert.equal(JSON.parse(await store.get(key)).jwks.keys[0].kid, 'a');
  assert.equal(await code(new JwtVerifier({ jwksUri: jwks.url, jwksStore: store }).verify(await keyA.sign())), 'accepted');
  assert.equal(jwks.state.fetches, 1);
  assert.throws(() => cacheApiStore(cache, { namespaceUrl: 'file:///tmp/' }), { name: 'WasmAuthError', code: 'ERR_AUTH_INVALID_OPTIONS' });
  assert.throws(() => cacheApiStore(cache, { namespaceUrl: 'not a url' }), { code: 'ERR_AUTH_INVALID_OPTIONS' });
  assert.equal(typeof cacheApiStore({ namespaceUrl: 'https://a.example/' }).get, 'function', 'the cache may be left out');
});
