// The JWKS store shared across isolates (jwksStore), in the real workerd runtime: one worker
// listed as 20 services, which workerd runs in 20 isolates, each with a KV-like store service
// bound as env.STORE (scripts/workerd-isolates.mjs). Cold isolates take the set from the
// store instead of the JWKS URI; with the URI down, stale keys answer up to
// jwksMaxStaleSeconds, then verifyRequest answers 503 with Retry-After; whatever the store
// holds or throws, verification is neither broken nor weakened.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { KV_LIKE_STORE, startIsolates } from '../../scripts/workerd-isolates.mjs';
import { makeKey, startJwksServer } from './fixtures/jwks-server.mjs';
import { freePort, makeProject } from './helpers.mjs';

const ISOLATES = 20;
let isolates;
let jwks;
let keyA;
let keyB;
let storeKey;

before(async () => {
  keyA = await makeKey('a');
  keyB = await makeKey('b');
  jwks = await startJwksServer();
  storeKey = `wasm-auth:jwks:${jwks.url}`;
  const project = await makeProject('jwks-store-workerd', {
    'worker.js': `import { JwtVerifier, cacheApiStore } from 'wasm-auth';
const kvLike = ${KV_LIKE_STORE};
// Module scope: one per isolate, as a real worker keeps them.
let isolate;
const verifiers = new Map();
const events = [];
const failing = { get() { throw new Error('store down'); }, put() { return Promise.reject(new Error('store down')); } };
export default {
  async fetch(request, env) {
    isolate ??= crypto.randomUUID();
    const { id, options, tokens = [], requests = [], store = 'kv', concurrent = false } = await request.json();
    let verifier = verifiers.get(id);
    if (!verifier) {
      const jwksStore = { kv: kvLike(env), failing, cache: cacheApiStore(), none: undefined }[store];
      const onJwksEvent = (e) => { events.push({ type: e.type, code: e.error?.code, ageSeconds: e.ageSeconds, ...(store === 'cache' && { message: e.error?.message }) }); };
      verifier = new JwtVerifier({ ...options, ...(jwksStore && { jwksStore }), onJwksEvent });
      verifiers.set(id, verifier);
    }
    const run = (token) => verifier.verify(token).then(() => 'accepted', (e) => e.code);
    const results = concurrent ? await Promise.all(tokens.map(run)) : [];
    if (!concurrent) for (const token of tokens) results.push(await run(token));
    const answers = [];
    for (const token of requests) {
      const answer = await verifier.verifyRequest(new Request('http://api/', { headers: { authorization: 'Bearer ' + token } }));
      answers.push(answer.ok ? [200] : [answer.response.status, answer.response.headers.get('retry-after')]);
    }
    return Response.json({ isolate, results, answers, events: events.splice(0) });
  },
};
`,
  });
  isolates = await startIsolates({
    entry: join(project, 'worker.js'),
    outDir: join(project, 'dist'),
    wasmFile: join(project, 'node_modules', 'wasm-auth', 'wasm_auth_bg.wasm'),
    count: ISOLATES,
    port: await freePort(),
  });
});

after(async () => {
  await isolates?.stop();
  await jwks?.close();
});

beforeEach(async () => {
  Object.assign(jwks.state, { fetches: 0, mode: 'ok', jwks: { keys: [keyA.jwk] } });
  await isolates.store('/clear', { method: 'POST' });
});

const post = (i, id, body = {}) => isolates.post(i, { id, ...body, options: { jwksUri: jwks.url, ...body.options } });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('20 cold isolates sharing one store make 1 origin fetch; without the store, 20', async () => {
  const token = await keyA.sign();
  const seen = new Set();
  for (let i = 0; i < ISOLATES; i++) {
    const { isolate, results, events } = await post(i, 'cold', { tokens: [token] });
    assert.deepEqual(results, ['accepted'], `isolate ${i}`);
    assert.deepEqual(events, [], `isolate ${i}`);
    seen.add(isolate);
  }
  assert.equal(seen.size, ISOLATES, 'every service is an isolate of its own');
  assert.equal(jwks.state.fetches, 1);
  const stats = await isolates.store('/stats');
  assert.deepEqual([stats.gets, stats.puts, stats.keys], [ISOLATES, 1, [storeKey]]);
  for (let i = 0; i < ISOLATES; i++) {
    assert.deepEqual((await post(i, 'cold-no-store', { store: 'none', tokens: [token] })).results, ['accepted']);
  }
  assert.equal(jwks.state.fetches, 1 + ISOLATES);
});

test('an unknown kid refetches once: the isolate that sees it first refreshes the store for the others', async () => {
  const options = { cooldownDuration: 300 };
  await post(0, 'rotation', { options, tokens: [await keyA.sign()] });
  await sleep(350);
  jwks.state.jwks = { keys: [keyA.jwk, keyB.jwk] };
  const tokenB = await keyB.sign();
  assert.deepEqual((await post(1, 'rotation', { options, tokens: [tokenB] })).results, ['accepted']);
  for (let i = 2; i < 6; i++) assert.deepEqual((await post(i, 'rotation', { options, tokens: [tokenB] })).results, ['accepted']);
  assert.equal(jwks.state.fetches, 2);
});

test('with the JWKS URI down, stale keys answer within jwksMaxStaleSeconds, then 503 with Retry-After', async () => {
  const options = { cacheMaxAge: 1000, cooldownDuration: 1000, jwksMaxStaleSeconds: 2 };
  const token = await keyA.sign();
  const started = Date.now();
  assert.deepEqual((await post(0, 'stale', { options, tokens: [token] })).results, ['accepted']);
  jwks.state.mode = 'error';
  await sleep(1100);
  // A cold isolate: the stored set is past cacheMaxAge, the URI fails, the stale set answers.
  const cold = await post(1, 'stale', { options, tokens: [token, await keyB.sign()], requests: [token] });
  assert.deepEqual(cold.results, ['accepted', 'ERR_JWKS_INVALID'], 'an unknown kid gets the failure');
  assert.deepEqual(cold.answers, [[200]]);
  const [stale] = cold.events;
  assert.deepEqual([stale.type, stale.code], ['stale', 'ERR_JWKS_INVALID']);
  assert.ok(stale.ageSeconds >= 1 && stale.ageSeconds < 3, `${stale.ageSeconds} s`);
  // The isolate that fetched it: the same.
  const warm = await post(0, 'stale', { options, tokens: [token] });
  assert.deepEqual(warm.results, ['accepted']);
  assert.equal(warm.events[0]?.type, 'stale');
  await sleep(Math.max(0, started + 3300 - Date.now()));
  for (const i of [0, 1, 2]) {
    const late = await post(i, 'stale', { options, tokens: [token], requests: [token] });
    assert.deepEqual(late.results, ['ERR_JWKS_INVALID'], `isolate ${i}: past the stale age`);
    assert.deepEqual(late.answers, [[503, '5']], `isolate ${i}`);
  }
  // The URI back: verification is back.
  jwks.state.mode = 'ok';
  await sleep(1050);
  assert.deepEqual((await post(2, 'stale', { options, tokens: [token] })).results, ['accepted']);
});

test('garbage, secrets or a throwing store are reported and ignored, never trusted', async () => {
  const now = Date.now();
  const oct = { kty: 'oct', kid: 'a', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' };
  const garbage = ['not json', '{"keys":[]}', JSON.stringify({ uat: now, jwks: { keys: [oct] } }), JSON.stringify({ uat: now, jwks: 'x' })];
  const token = await keyA.sign();
  for (const [n, value] of garbage.entries()) {
    await isolates.store(`?key=${encodeURIComponent(storeKey)}&ttl=600`, { method: 'PUT', body: value });
    jwks.state.fetches = 0;
    const { results, events } = await post(n, `garbage-${n}`, { tokens: [token] });
    assert.deepEqual(results, ['accepted'], value);
    assert.deepEqual(events, [{ type: 'store-error', code: 'ERR_JWKS_INVALID' }], value);
    assert.equal(jwks.state.fetches, 1, value);
  }
  // The last fetch put a valid record over the garbage: the next cold isolate uses it.
  jwks.state.fetches = 0;
  assert.deepEqual((await post(10, 'garbage-after', { tokens: [token] })).results, ['accepted']);
  assert.equal(jwks.state.fetches, 0);
  const failing = await post(11, 'failing', { store: 'failing', tokens: [token, token] });
  assert.deepEqual(failing.results, ['accepted', 'accepted']);
  assert.deepEqual(failing.events, [
    { type: 'store-error', code: 'ERR_JWKS_FETCH_FAILED' },
    { type: 'store-error', code: 'ERR_JWKS_FETCH_FAILED' },
  ], 'get and put');
});

test('one refresh per isolate: requests racing on a cold cache share one fetch; a failing caches.default is only reported', async () => {
  jwks.state.mode = 'slow';
  const token = await keyA.sign();
  const answers = await Promise.all(Array.from({ length: 6 }, () => post(12, 'flight', { store: 'none', tokens: [token, token, token], concurrent: true })));
  assert.deepEqual(answers.flatMap((a) => a.results), Array(18).fill('accepted'));
  assert.equal(jwks.state.fetches, 1);
  jwks.state.mode = 'ok';
  const cached = await post(13, 'cache-api', { store: 'cache', tokens: [token] });
  assert.deepEqual(cached.results, ['accepted']);
  // This workerd has no cache service (cacheApiOutbound), so caches.default refuses every
  // call: reported, and verification goes on without the store.
  assert.deepEqual(cached.events.map((e) => [e.type, e.code, /No Cache was configured/.test(e.message)]), [
    ['store-error', 'ERR_JWKS_FETCH_FAILED', true],
    ['store-error', 'ERR_JWKS_FETCH_FAILED', true],
  ], 'get and put');
});
