// Remote JWKS inside the real workerd runtime: a worker keeps JwtVerifiers in module scope (as
// a real worker would, so the cache outlives requests) and verifies tokens against a JWKS
// endpoint of the test. Workers forbid awaiting one request's promise from another, so these
// cases also prove nothing hangs when requests race on a cold cache.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { makeKey, startJwksServer } from './fixtures/jwks-server.mjs';
import { makeProject, startProjectWorker } from './helpers.mjs';

let worker;
let jwks;
let keyA;
let keyB;
let nextId = 0;

before(async () => {
  keyA = await makeKey('a');
  keyB = await makeKey('b');
  jwks = await startJwksServer();
  const project = await makeProject('jwks-workerd', {
    'worker.js': `import { JwtVerifier } from 'wasm-auth';
// Verifiers live in module scope, keyed by the test's scenario id.
const verifiers = new Map();
export default {
  async fetch(request) {
    const { id, options, tokens, concurrent } = await request.json();
    let verifier = verifiers.get(id);
    if (!verifier) {
      verifier = new JwtVerifier(options);
      verifiers.set(id, verifier);
    }
    const run = (token) => verifier.verify(token).then(() => 'accepted', (e) => e.code);
    const results = [];
    if (concurrent) results.push(...await Promise.all(tokens.map(run)));
    else for (const token of tokens) results.push(await run(token));
    return Response.json({ results, cache: verifier.exportJwksCache() ?? null });
  },
};\n`,
  });
  worker = await startProjectWorker(project);
});

after(async () => {
  await worker?.stop();
  await jwks?.close();
});

beforeEach(() => {
  Object.assign(jwks.state, { fetches: 0, mode: 'ok', jwks: { keys: [keyA.jwk] } });
});

/** Runs tokens through the verifier `id` (a new one unless an id is reused) in the isolate. */
async function run(tokens, { id = `v${nextId++}`, options = {}, concurrent = false } = {}) {
  const response = await fetch(worker.url, {
    method: 'POST',
    body: JSON.stringify({ id, options: { jwksUri: jwks.url, ...options }, tokens, concurrent }),
    signal: AbortSignal.timeout(15_000),
  });
  assert.equal(response.status, 200, worker.output());
  return response.json();
}

test('the cache outlives the request: a second request does not fetch', async () => {
  const id = 'cache';
  assert.deepEqual((await run([await keyA.sign()], { id })).results, ['accepted']);
  assert.deepEqual((await run([await keyA.sign()], { id })).results, ['accepted']);
  assert.equal(jwks.state.fetches, 1);
});

test('requests racing on a cold cache all complete', async () => {
  const id = 'race';
  const token = await keyA.sign();
  const answers = await Promise.all(Array.from({ length: 8 }, () => run([token, token], { id, concurrent: true })));
  assert.deepEqual(answers.flatMap((a) => a.results), Array(16).fill('accepted'));
  assert.ok(jwks.state.fetches >= 1 && jwks.state.fetches <= 16, `${jwks.state.fetches} fetches`);
});

test('an unknown kid refetches after the cooldown (key rotation)', async () => {
  const id = 'rotation';
  await run([await keyA.sign()], { id, options: { cooldownDuration: 300 } });
  jwks.state.jwks = { keys: [keyA.jwk, keyB.jwk] };
  assert.deepEqual((await run([await keyB.sign()], { id })).results, ['ERR_JWKS_NO_MATCHING_KEY'], 'cooling down');
  await new Promise((r) => setTimeout(r, 350));
  assert.deepEqual((await run([await keyB.sign()], { id })).results, ['accepted']);
  assert.equal(jwks.state.fetches, 2);
});

test('timeouts, non-200 and garbage answers get their codes inside the isolate', async () => {
  jwks.state.mode = 'slow';
  assert.deepEqual((await run([await keyA.sign()], { options: { timeoutDuration: 200 } })).results, ['ERR_JWKS_TIMEOUT']);
  for (const mode of ['error', 'garbage', 'redirect', 'not-a-set']) {
    jwks.state.mode = mode;
    assert.deepEqual((await run([await keyA.sign()])).results, ['ERR_JWKS_INVALID'], mode);
  }
});

test('a cache exported from one isolate seeds a verifier that does not fetch', async () => {
  const { cache } = await run([await keyA.sign()]);
  assert.ok(cache?.jwks && cache.uat, 'exported');
  jwks.state.fetches = 0;
  assert.deepEqual((await run([await keyA.sign()], { options: { jwksCache: cache } })).results, ['accepted']);
  assert.equal(jwks.state.fetches, 0);
});

test('in workerd too: the size cap (streamed and declared), the Content-Type, the body timeout and the failure cooldown', async () => {
  for (const mode of ['huge', 'huge-declared']) {
    Object.assign(jwks.state, { mode, bytesSent: 0 });
    assert.deepEqual((await run([await keyA.sign()])).results, ['ERR_JWKS_TOO_LARGE'], mode);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(jwks.state.bytesSent < 16 * 1024 * 1024, `${mode}: ${jwks.state.bytesSent} bytes sent`);
  }
  jwks.state.mode = 'ok';
  assert.deepEqual((await run([await keyA.sign()], { options: { jwksMaxBytes: 64 } })).results, ['ERR_JWKS_TOO_LARGE']);
  for (const [mode, expected] of [['html', 'ERR_JWKS_INVALID'], ['no-type', 'ERR_JWKS_INVALID'], ['jwk-set-type', 'accepted']]) {
    jwks.state.mode = mode;
    assert.deepEqual((await run([await keyA.sign()])).results, [expected], mode);
  }
  jwks.state.mode = 'slow-body';
  assert.deepEqual((await run([await keyA.sign()], { options: { timeoutDuration: 300 } })).results, ['ERR_JWKS_TIMEOUT']);
  Object.assign(jwks.state, { mode: 'error', fetches: 0 });
  const token = await keyA.sign();
  assert.deepEqual((await run(Array(20).fill(token))).results, Array(20).fill('ERR_JWKS_INVALID'));
  assert.equal(jwks.state.fetches, 1, 'one fetch, then the cooldown');
});
