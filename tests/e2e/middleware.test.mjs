// The edge middleware (issue 17 item 4): withAuth and wasm-auth/hono. Both examples
// (examples/edge-worker on withAuth, examples/hono-worker on wasm-auth/hono) run unchanged in the
// real workerd runtime, bundled as Wrangler does, behind a thin test wrapper that counts how often
// the options function reads env and can hide a binding; tokens are signed by jose and the JWKS
// is served by a local endpoint that counts its fetches. Then the middleware's contract in Node
// (options as a function, sync and async, a throwing build retried) and its types under tsc.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeKey, startJwksServer } from './fixtures/jwks-server.mjs';
import { freePort, makeProject, root, run, typecheck } from './helpers.mjs';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'wasm-auth-api';
const ORIGIN = 'https://app.test';

// Reads of env.JWKS_URI are the options function's calls; POST /__test/break hides it (a missing
// binding), DELETE brings it back.
const wrapper = (example) => `import example from './${example}.js';
let reads = 0;
let broken = false;
export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === '/__test/reads') return Response.json({ reads });
    if (pathname === '/__test/break') { broken = request.method === 'POST'; return new Response(null, { status: 204 }); }
    const counted = new Proxy(env, {
      get(target, name) {
        if (name !== 'JWKS_URI') return target[name];
        reads += 1;
        return broken ? undefined : target[name];
      },
    });
    return example.fetch(request, counted, ctx);
  },
};
`;

// withAuth with an asynchronous options function (a secret read from a store, say), which
// workerd must not let two requests await together.
const asyncOptionsWorker = `import { withAuth } from 'wasm-auth/verify';
let calls = 0;
export default {
  fetch: withAuth(
    (request, env, ctx, auth) => Response.json({ sub: auth.payload.sub, calls }),
    async (env) => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { jwksUri: env.JWKS_URI, issuer: env.ISSUER, audience: env.AUDIENCE };
    },
  ),
};
`;

let project;
let jwks;
let key;

before(async () => {
  key = await makeKey('a');
  jwks = await startJwksServer();
  jwks.state.jwks = { keys: [key.jwk] };
  project = await makeProject('middleware', {
    'edge-worker.js': readFileSync(join(root, 'examples', 'edge-worker', 'worker.js'), 'utf8'),
    'hono-worker.js': readFileSync(join(root, 'examples', 'hono-worker', 'worker.js'), 'utf8'),
    'wrap-edge-worker.js': wrapper('edge-worker'),
    'wrap-hono-worker.js': wrapper('hono-worker'),
    'async-options.js': asyncOptionsWorker,
    'node-check.mjs': readFileSync(join(import.meta.dirname, 'fixtures', 'middleware-node.mjs'), 'utf8'),
    'types.ts': readFileSync(join(import.meta.dirname, 'fixtures', 'middleware-types.ts'), 'utf8'),
  });
});

after(async () => {
  await jwks?.close();
});

// One workerd process (one isolate) running the wrapped example. `hono` resolves from the
// repository's node_modules (its dev dependency), as the package's optional peer.
async function startExample(example, name, entry = `wrap-${example}.js`) {
  const { bundleWorker, startWorkerd } = await import('../../scripts/workerd.mjs');
  const config = await bundleWorker({
    entry: join(project, entry),
    outDir: join(project, 'dist', name),
    wasmFiles: [join(project, 'node_modules', 'wasm-auth', 'verify', 'wasm_auth_verify_bg.wasm')],
    bindings: { JWKS_URI: jwks.url, ISSUER, AUDIENCE, ALLOWED_ORIGIN: ORIGIN },
  });
  return startWorkerd(config, { port: await freePort() });
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });
const sign = (scope) => key.sign({ iss: ISSUER, aud: AUDIENCE, ...(scope ? { scope } : {}) });
const get = (worker, path, headers = {}) => fetch(`${worker.url}${path}`, { headers, signal: AbortSignal.timeout(15_000) });
const reads = async (worker) => (await (await get(worker, '/__test/reads')).json()).reads;

for (const example of ['edge-worker', 'hono-worker']) {
  describe(`examples/${example} in workerd`, () => {
    let warm;
    let cold;

    before(async () => {
      // One after the other: bundleWorker stops esbuild's shared service when it is done.
      warm = await startExample(example, `${example}-warm`);
      cold = await startExample(example, `${example}-cold`);
    });

    after(async () => {
      await warm?.stop();
      await cold?.stop();
    });

    test('no token: 401 with the Bearer challenge (and the CORS headers)', async () => {
      const response = await get(warm, '/v1/edge/resources', { origin: ORIGIN });
      assert.equal(response.status, 401, warm.output());
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="wasm-auth", DPoP realm="wasm-auth", algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"');
      assert.equal(response.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal((await response.json()).error, 'unauthorized');
    });

    test('a token signed by jose with the scope: 200, the claims reach the handler', async () => {
      jwks.state.fetches = 0;
      const response = await get(warm, '/v1/edge/resources', bearer(await sign('read:resources write:resources')));
      assert.equal(response.status, 200, warm.output());
      const body = await response.json();
      assert.equal(body.sub, 'u');
      assert.equal(body.scope, 'read:resources write:resources');
      assert.equal(body.alg, 'ES256');
      assert.equal(jwks.state.fetches, 1);
    });

    test('many requests, sequential and concurrent: options read once, the JWKS fetched once per isolate', async () => {
      const token = await sign('read:resources');
      for (let i = 0; i < 10; i += 1) assert.equal((await get(warm, '/v1/edge/resources', bearer(token))).status, 200);
      const answers = await Promise.all(Array.from({ length: 20 }, () => get(warm, '/v1/edge/resources', bearer(token))));
      assert.deepEqual(answers.map((r) => r.status), Array(20).fill(200));
      assert.equal(await reads(warm), 1, 'the options function ran once');
      assert.equal(jwks.state.fetches, 1, 'one JWKS fetch for the isolate');
    });

    test('a route needing a scope the token lacks: 403 insufficient_scope naming it', async () => {
      const response = await get(warm, '/v1/edge/resources', bearer(await sign('write:resources')));
      assert.equal(response.status, 403);
      assert.match(response.headers.get('www-authenticate'), /^Bearer realm="wasm-auth", error="insufficient_scope", scope="read:resources"/);
      assert.equal((await response.json()).error, 'insufficient_scope');
    });

    test('a tampered token: 401 invalid_token', async () => {
      const token = await sign('read:resources');
      const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const response = await get(warm, '/v1/edge/resources', bearer(tampered));
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate'), /error="invalid_token"/);
    });

    if (example === 'hono-worker') {
      test('scopes are per route: /v1/edge/me takes any valid token', async () => {
        const response = await get(warm, '/v1/edge/me', bearer(await sign('write:resources')));
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { sub: 'u', via: 'bearer' });
      });
    }

    test('a build that fails (a missing binding) answers 500, and the next request builds the verifier', async () => {
      const token = await sign('read:resources');
      await fetch(`${cold.url}/__test/break`, { method: 'POST' });
      const failed = await get(cold, '/v1/edge/resources', bearer(token));
      assert.equal(failed.status, 500);
      if (example === 'edge-worker') assert.deepEqual(await failed.json(), { error: 'server_error', error_description: 'authentication is not configured' });
      assert.match(cold.output(), /ERR_AUTH_INVALID_OPTIONS|WasmAuthError/, 'the cause is in the worker log');
      await fetch(`${cold.url}/__test/break`, { method: 'DELETE' });
      // Concurrent first requests on the cold verifier: all complete, one build.
      const answers = await Promise.all(Array.from({ length: 12 }, () => get(cold, '/v1/edge/resources', bearer(token))));
      assert.deepEqual(answers.map((r) => r.status), Array(12).fill(200), cold.output());
      assert.equal(await reads(cold), 2, 'one failed build, then one build for every later request');
    });
  });
}

test('in workerd, an async options function: concurrent cold requests all complete, and later ones reuse the verifier', async () => {
  const worker = await startExample('async-options', 'async-options', 'async-options.js');
  try {
    const token = await sign();
    const cold = await Promise.all(Array.from({ length: 8 }, () => get(worker, '/', bearer(token))));
    assert.deepEqual(cold.map((r) => r.status), Array(8).fill(200), worker.output());
    const { calls } = await cold[0].json();
    assert.ok(calls >= 1 && calls <= 8, `${calls} calls`);
    const later = [];
    for (let i = 0; i < 5; i += 1) later.push(await (await get(worker, '/', bearer(token))).json());
    const settled = later[0].calls;
    assert.deepEqual(later, Array(5).fill({ sub: 'u', calls: settled }), 'no call once the verifier is built');
  } finally {
    await worker.stop();
  }
});

test('in Node: withAuth from wasm-auth and wasm-auth/hono, options as an object or a (sync, async, throwing) function of env', async () => {
  const { stdout } = await run('node', ['node-check.mjs'], { cwd: project });
  assert.equal(stdout.trim(), 'ok');
});

test('types: withAuth and wasm-auth/hono under tsc --strict (nodenext), no any', async () => {
  await typecheck(project, 'types.ts');
  const dts = readFileSync(join(project, 'node_modules', 'wasm-auth', 'hono', 'index.d.ts'), 'utf8')
    + readFileSync(join(project, 'node_modules', 'wasm-auth', 'verify', 'index.d.ts'), 'utf8');
  assert.doesNotMatch(dts, /\bany\b/);
});
