// JwtVerifier's verified-token cache (`cache: { maxEntries, maxAgeSeconds }`), from the packed
// package, in Node and inside workerd: the same steps run in both (step.js below). A hit must
// be the fresh answer (a new object each time), a token that expires while cached is refused,
// a key rotated out of a JWKS ends its entries, two verifiers never share answers, and
// failures are never cached.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as jose from 'jose';
import { makeKey, startJwksServer } from './fixtures/jwks-server.mjs';
import { makeProject, startProjectWorker } from './helpers.mjs';

// One verification step against the verifier `id` (made from `options` on first use, kept
// after): `verify`, or `verifyRequest` when `scopes` is given. `mutate` changes the result
// after copying it, to prove the next answer does not share it.
const STEP = `export async function step(verifiers, JwtVerifier, { id, options, token, currentDate, scopes, mutate }) {
  let verifier = verifiers.get(id);
  if (!verifier) {
    verifier = new JwtVerifier(options);
    verifiers.set(id, verifier);
  }
  const call = currentDate === undefined ? {} : { currentDate: new Date(currentDate) };
  let out;
  try {
    if (scopes) {
      const request = new Request('https://api.example/', { headers: { authorization: 'Bearer ' + token } });
      const result = await verifier.verifyRequest(request, { scopes, ...call });
      out = result.ok
        ? { ok: true, payload: result.payload, header: result.protectedHeader }
        : { ok: false, code: result.error.code, status: result.response.status };
    } else {
      const result = await verifier.verify(token, currentDate === undefined ? undefined : call);
      out = { ok: true, payload: structuredClone(result.payload), header: structuredClone(result.protectedHeader) };
      if (mutate) {
        result.payload.sub = 'mutated';
        result.payload.extra = true;
        result.protectedHeader.alg = 'none';
      }
    }
  } catch (e) {
    out = { ok: false, code: e.code };
  }
  return { ...out, stats: verifier.cacheStats() ?? null };
}
`;

const WORKER = `import { JwtVerifier } from 'wasm-auth';
import { step } from './step.js';
const verifiers = new Map();
export default {
  async fetch(request) {
    return Response.json(await step(verifiers, JwtVerifier, await request.json()));
  },
};
`;

const SECRET = 'a-shared-secret-of-32-bytes-long!';
const OTHER_SECRET = 'another-shared-secret-32-bytes-x';
const CACHE = { maxEntries: 100 };
const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function hs256(claims, secret = SECRET) {
  return new jose.SignJWT({ sub: 'u1', ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

let project;
let jwks;
let keyA;
let keyB;
let worker;
const nodeVerifiers = new Map();
let nodeApi;
let nodeStep;

before(async () => {
  project = await makeProject('token-cache', {
    'step.js': STEP,
    'worker.js': WORKER,
    'api.mjs': `export * from 'wasm-auth';\nexport { step } from './step.js';\n`,
  });
  ({ step: nodeStep, ...nodeApi } = await import(pathToFileURL(join(project, 'api.mjs')).href));
  keyA = await makeKey('a');
  keyB = await makeKey('b');
  jwks = await startJwksServer();
  worker = await startProjectWorker(project);
});

after(async () => {
  await worker?.stop();
  await jwks?.close();
});

const RUNTIMES = {
  node: (body) => nodeStep(nodeVerifiers, nodeApi.JwtVerifier, structuredClone(body)),
  workerd: async (body) => {
    const response = await fetch(worker.url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
    assert.equal(response.status, 200, worker.output());
    return response.json();
  },
};

let nextId = 0;

for (const [runtime, run] of Object.entries(RUNTIMES)) {
  describe(`token cache in ${runtime}`, () => {
    test('a hit is the fresh answer, as a new object each time; cacheStats counts it', async () => {
      const id = `v${nextId++}`;
      const options = { secret: SECRET, issuer: 'https://as.example', cache: CACHE };
      const token = await hs256({ iss: 'https://as.example', exp: now() + 600, scope: 'read' });
      const first = await run({ id, options, token, mutate: true });
      const second = await run({ id, options, token, mutate: true });
      const third = await run({ id, options, token });
      const plain = await run({ id: `${id}-plain`, options: { secret: SECRET, issuer: 'https://as.example' }, token });
      assert.equal(plain.stats, null, 'no cache, no stats');
      for (const answer of [first, second, third]) {
        assert.deepEqual([answer.ok, answer.payload, answer.header], [true, plain.payload, plain.header]);
      }
      assert.deepEqual({ ...third.stats, bytes: 0 },
        { entries: 1, maxEntries: 100, bytes: 0, maxEntryBytes: third.stats.maxEntryBytes, hits: 2, misses: 1 });
      assert.ok(third.stats.bytes > token.length && third.stats.bytes < 3 * token.length + 200, `${third.stats.bytes} B`);
      assert.ok(third.stats.maxEntryBytes >= 20_000 && third.stats.maxEntryBytes < 22_000, `${third.stats.maxEntryBytes}`);
    });

    test('a token that expires while cached is refused, and nbf and maxTokenAge are checked at the call\'s time', async () => {
      const id = `v${nextId++}`;
      const options = { secret: SECRET, cache: CACHE };
      const exp = now() + 2;
      const token = await hs256({ exp });
      assert.equal((await run({ id, options, token })).ok, true);
      assert.equal((await run({ id, options, token })).stats.hits, 1);
      await sleep(exp * 1000 - Date.now() + 50);
      const expired = await run({ id, options, token });
      assert.deepEqual([expired.code, expired.stats.entries], ['ERR_JWT_EXPIRED', 0]);

      const aged = { secret: SECRET, maxTokenAge: 60, cache: CACHE };
      const issued = now();
      const young = await hs256({ iat: issued, nbf: issued, exp: issued + 3600 });
      const ageId = `v${nextId++}`;
      assert.equal((await run({ id: ageId, options: aged, token: young })).ok, true);
      const later = await run({ id: ageId, options: aged, token: young, currentDate: (issued + 61) * 1000 });
      assert.equal(later.code, 'ERR_JWT_EXPIRED', 'older than maxTokenAge at currentDate');
      assert.equal((await run({ id: ageId, options: aged, token: young })).ok, true);
      const early = await run({ id: ageId, options: aged, token: young, currentDate: (issued - 10) * 1000 });
      assert.equal(early.code, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'before nbf at currentDate');
    });

    test('a key rotated out of the JWKS ends its entries', async () => {
      jwks.state.mode = 'ok';
      jwks.state.jwks = { keys: [keyA.jwk, keyB.jwk] };
      const id = `v${nextId++}`;
      const options = { jwksUri: jwks.url, cacheMaxAge: 300, cache: CACHE };
      const [tokenA, tokenB] = [await keyA.sign(), await keyB.sign()];
      for (const token of [tokenA, tokenB, tokenA, tokenB]) assert.equal((await run({ id, options, token })).ok, true);
      // The first verification fetched the set: made against no set yet, it is not stored.
      assert.equal((await run({ id, options, token: tokenA })).stats.hits, 2);
      jwks.state.jwks = { keys: [keyB.jwk] };
      await sleep(400);
      assert.equal((await run({ id, options, token: tokenA })).code, 'ERR_JWKS_NO_MATCHING_KEY');
      const after = await run({ id, options, token: tokenB });
      assert.equal(after.ok, true);
      assert.deepEqual([after.stats.entries, after.stats.hits], [1, 2], 'the new set emptied the cache; b is stored again');
      assert.equal((await run({ id, options, token: tokenA })).code, 'ERR_JWKS_NO_MATCHING_KEY');
    });

    test('two verifiers with different audiences never share answers', async () => {
      const token = await hs256({ aud: 'api-1', exp: now() + 600 });
      const [one, two] = [`v${nextId++}`, `v${nextId++}`];
      const options = (audience) => ({ secret: SECRET, audience, cache: CACHE });
      for (let i = 0; i < 2; i++) {
        assert.equal((await run({ id: one, options: options('api-1'), token })).ok, true);
        const refused = await run({ id: two, options: options('api-2'), token });
        assert.deepEqual([refused.code, refused.stats.entries, refused.stats.hits], ['ERR_JWT_CLAIM_VALIDATION_FAILED', 0, 0]);
      }
    });

    test('failures are never cached; verifyRequest\'s scopes are checked on a hit', async () => {
      const id = `v${nextId++}`;
      const options = { secret: SECRET, cache: CACHE };
      const forged = await hs256({ exp: now() + 600 }, OTHER_SECRET);
      const expired = await hs256({ exp: now() - 10 });
      for (let i = 0; i < 2; i++) {
        assert.equal((await run({ id, options, token: forged })).code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
        assert.equal((await run({ id, options, token: expired })).code, 'ERR_JWT_EXPIRED');
      }
      const token = await hs256({ exp: now() + 600, scope: 'read' });
      const lacking = await run({ id, options, token, scopes: ['write'] });
      assert.deepEqual([lacking.code, lacking.status, lacking.stats.entries], ['ERR_AUTH_INSUFFICIENT_SCOPE', 403, 0]);
      assert.equal((await run({ id, options, token, scopes: ['read'] })).ok, true);
      const hit = await run({ id, options, token, scopes: ['write'] });
      assert.deepEqual([hit.code, hit.status, hit.stats.hits], ['ERR_AUTH_INSUFFICIENT_SCOPE', 403, 1]);
      const granted = await run({ id, options, token, scopes: ['read'] });
      assert.deepEqual([granted.ok, granted.payload.scope, granted.stats.hits, granted.stats.entries], [true, 'read', 2, 1]);
    });
  });
}
