// DPoP at the resource server (RFC 9449) in Node, from the packed package: verifyRequest of the
// full module and of wasm-auth/verify, each behind a local HTTP server (fixtures/dpop-handler.js),
// against proofs made by oauth4webapi (fixtures/dpop-cases.mjs: every check and refusal), then
// the `dpop` per-use option of withAuth and wasm-auth/hono, and the types under tsc.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { dpopCases, dpopKeys } from './fixtures/dpop-cases.mjs';
import { makeProject, typecheck } from './helpers.mjs';

const handlerText = readFileSync(join(import.meta.dirname, 'fixtures', 'dpop-handler.js'), 'utf8');
let project;
let keys;
const servers = [];

/** `handler(request)` behind an HTTP server on 127.0.0.1; resolves to its base URL. */
function serve(handler) {
  const server = createServer(async (req, res) => {
    const headers = new Headers();
    // Appended one by one, so that two DPoP headers arrive as the platform joins them.
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const response = await handler(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

before(async () => {
  keys = await dpopKeys();
  project = await makeProject('dpop-node', {
    'handler.js': handlerText,
    'check.ts': `import { JwtVerifier, type DpopMode, type VerifyRequestResult } from 'wasm-auth/verify';
import { withAuth } from 'wasm-auth';
const mode: DpopMode = 'required';
const verifier = new JwtVerifier({
  jwksUri: 'https://as.example/jwks',
  dpop: mode,
  dpopNonce: () => ['n1', 'n0'],
  dpopReplayStore: { get: async (key: string) => null, put: async (key: string, value: string, options: { expirationTtl: number }) => {} },
  dpopMaxAgeSeconds: 60,
  dpopClockToleranceSeconds: 2,
  dpopOrigin: ['https://api.example.com', 'https://api.example.net'],
});
new JwtVerifier({ secret: 'x', dpopOrigin: 'https://api.example.com' });
async function check(request: Request): Promise<string> {
  await verifier.verify('token', { dpopBindingCheckedByCaller: true });
  const result: VerifyRequestResult = await verifier.verifyRequest(request, { scopes: ['read'], dpop: 'required' });
  if (!result.ok) return result.error.dpopNonce ?? result.error.code;
  const via: 'bearer' | 'dpop' | 'api_key' = result.via;
  return via;
}
// @ts-expect-error not a mode
new JwtVerifier({ secret: 'x', dpop: 'on' });
const worker = withAuth(() => new Response('ok'), { jwksUri: 'https://as.example/jwks' }, { dpop: 'off' });
export { check, worker };
`,
  });
});

after(() => {
  for (const server of servers) server.close();
});

for (const entry of ['node.js', 'verify/node.js']) {
  describe(`wasm-auth${entry === 'node.js' ? '' : '/verify'} in Node`, () => {
    let base;
    before(async () => {
      const { JwtVerifier } = await import(pathToFileURL(join(project, 'node_modules', 'wasm-auth', entry)).href);
      const { makeHandler } = await import(pathToFileURL(join(project, 'handler.js')).href);
      base = await serve(makeHandler(JwtVerifier, keys.asJwk));
    });
    dpopCases(() => ({ url: (path) => `${base}${path}`, keys }));
  });
}

describe('withAuth and wasm-auth/hono pass a per-use dpop mode through', () => {
  let entry;
  let hono;
  before(async () => {
    entry = await import(pathToFileURL(join(project, 'node_modules', 'wasm-auth', 'verify', 'node.js')).href);
    hono = await import(pathToFileURL(join(project, 'node_modules', 'wasm-auth', 'hono', 'index.js')).href).catch(() => undefined);
  });

  const bearer = async () => {
    const { SignJWT } = await import('jose');
    return new SignJWT({ sub: 'user-1' }).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://as.example').setExpirationTime('5m').sign(keys.asPrivate);
  };

  test('withAuth: { dpop: "required" } answers a Bearer token with a bare DPoP challenge; a bad mode throws at once; a looser one is refused', async () => {
    const options = { jwk: keys.asJwk, issuer: 'https://as.example' };
    const handler = () => new Response('reached');
    const strict = entry.withAuth(handler, options, { dpop: 'required' });
    const request = new Request('http://api.test/r', { headers: { authorization: `Bearer ${await bearer()}` } });
    const refused = await strict(request, {}, {});
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate'), /^DPoP realm="wasm-auth", algs="[^"]+"$/);
    const lenient = entry.withAuth(handler, options);
    assert.equal((await lenient(request.clone(), {}, {})).status, 200);
    assert.throws(() => entry.withAuth(handler, options, { dpop: 'sometimes' }), { code: 'ERR_AUTH_INVALID_OPTIONS', message: /dpop must be/ });
    // A route cannot loosen the verifier's mode: the request is not let through.
    const loosened = entry.withAuth(handler, { ...options, dpop: 'required' }, { dpop: 'allowed' });
    const answer = await loosened(request.clone(), {}, {}).catch((e) => e);
    assert.notEqual(answer.status, 200, 'a looser per-route mode must not reach the handler');
  });

  test('wasm-auth/hono: auth({ dpop: "required" }) refuses a Bearer token', async (t) => {
    if (hono === undefined) return t.skip('hono is not installed');
    const { Hono } = await import('hono');
    const auth = hono.createAuth({ jwk: keys.asJwk, issuer: 'https://as.example' });
    const app = new Hono();
    app.get('/strict', auth({ dpop: 'required' }), (c) => c.text('reached'));
    app.get('/lenient', auth(), (c) => c.text('reached'));
    const headers = { authorization: `Bearer ${await bearer()}` };
    const refused = await app.request('/strict', { headers });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate'), /^DPoP /);
    assert.equal((await app.request('/lenient', { headers })).status, 200);
  });

  test('an oauth4webapi DPoP handle and a JwtVerifier agree on the key thumbprint', async () => {
    const handle = oauth.DPoP({ client_id: 'x' }, keys.client);
    assert.equal(await handle.calculateThumbprint(), keys.jkt);
  });
});

test('the DPoP options and results type-check under strict TypeScript', async () => {
  await typecheck(project, 'check.ts');
});
