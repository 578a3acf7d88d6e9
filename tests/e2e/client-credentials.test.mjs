// ClientCredentials from Node and from a worker in the real workerd runtime, against the
// reference server and oidc-provider over real HTTP; and its refusal in a browser window.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { SERVICE, startOidcProvider } from './fixtures/oidc-provider.mjs';
import { freePort, launchChromium, makeProject, startProjectWorker } from './helpers.mjs';

let project;
let api;
let op;
let worker;

const count = async (endpoint) => ((await (await fetch(`${api.url}/_stats`)).json()).requests[endpoint] ?? 0);

before(async () => {
  project = await makeProject('client-credentials', {
    // Module scope: the client (and its cached token) outlives requests, as in a real worker.
    'worker.js': `import { ClientCredentials } from 'wasm-auth';
const clients = new Map();
export default {
  async fetch(request) {
    const { id, options, calls, api } = await request.json();
    let client = clients.get(id);
    if (!client) { client = new ClientCredentials(options); clients.set(id, client); }
    try {
      const tokens = await Promise.all(Array.from({ length: calls }, () => client.getToken()));
      const status = api ? (await fetch(api, { headers: { authorization: 'Bearer ' + tokens[0] } })).status : null;
      return Response.json({ distinct: new Set(tokens).size, token: tokens[0], status });
    } catch (e) {
      return Response.json({ code: e.code, error: e.error ?? null, message: e.message });
    }
  },
};\n`,
  });
  api = await startReferenceServer({ dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-cc-')), args: ['--request-stats'] });
  op = await startOidcProvider({ port: await freePort(), pageOrigin: api.url });
  worker = await startProjectWorker(project);
});

after(async () => {
  await worker?.stop();
  await op?.close();
  await api?.stop();
});

const reference = (authMethod) => ({ tokenEndpoint: `${api.url}/oauth/token`, clientId: 'demo-service', clientSecret: 'demo-service-secret', scope: 'read:resources', authMethod });
const oidc = (authMethod) => ({ tokenEndpoint: `${op.issuer}/token`, clientId: SERVICE.clientId, clientSecret: SERVICE.clientSecret, scope: SERVICE.scope, authMethod });

/** oidc-provider's introspection, authenticated as the service: is the token live? */
async function introspect(token) {
  const response = await fetch(`${op.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${SERVICE.clientId}:${SERVICE.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ token }),
  });
  return response.json();
}

test('Node, reference server: one token request for concurrent callers, cached after, both auth methods', async () => {
  const { ClientCredentials } = await import(join(project, 'node_modules', 'wasm-auth', 'node.js'));
  for (const method of ['client_secret_basic', 'client_secret_post']) {
    const before = await count('POST /oauth/token');
    const client = new ClientCredentials(reference(method));
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getToken()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(await client.getToken(), tokens[0], 'cached');
    assert.equal(await count('POST /oauth/token'), before + 1, method);
    const response = await fetch(`${api.url}/v1/resources`, { headers: { authorization: `Bearer ${tokens[0]}` } });
    assert.equal(response.status, 200);
    client.clearCache();
    assert.notEqual(await client.getToken(), tokens[0], 'clearCache asks again');
  }
  const wrong = new ClientCredentials({ ...reference(), clientSecret: 'not-the-secret' });
  const error = await wrong.getToken().catch((e) => e);
  assert.equal(error.code, 'ERR_OAUTH_TOKEN_ERROR');
  assert.equal(error.error, 'invalid_client');
  assert.equal(error.status, 401);
  assert.doesNotMatch(error.message, /not-the-secret/);
});

test('Node, both entries: ClientCredentials.fetch to a trusted origin that refuses the connection rejects with ERR_AUTH_NETWORK', async () => {
  // Nothing listens on this port: the token request succeeds, the API request cannot connect.
  const dead = `http://127.0.0.1:${await freePort()}`;
  for (const entry of [['node.js'], ['verify', 'node.js']]) {
    const { ClientCredentials, WasmAuthError } = await import(join(project, 'node_modules', 'wasm-auth', ...entry));
    const client = new ClientCredentials({ ...reference(), allowedOrigins: [dead] });
    const error = await client.fetch(`${dead}/v1/resources`).catch((e) => e);
    assert.ok(error instanceof WasmAuthError, `${entry.join('/')}: ${error}`);
    assert.equal(error.code, 'ERR_AUTH_NETWORK', entry.join('/'));
    assert.match(error.message, /GET http:\/\/127\.0\.0\.1:\d+\/v1\/resources/, entry.join('/'));
  }
});

test('Node, both entries: ClientCredentials.fetch follows no redirect (a 3xx is the answer), and a caller\'s abort is the AbortError, as with fetch', async () => {
  // A trusted API that redirects within itself and to another origin; `reached` is every
  // request either of them got.
  const reached = [];
  const listen = async (handle) => {
    const server = createServer((req, res) => {
      reached.push({ path: req.url, authorization: req.headers.authorization ?? null });
      handle(req, res);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }) };
  };
  const elsewhere = await listen((req, res) => res.writeHead(200).end('collected'));
  const trusted = await listen((req, res) => {
    if (req.url === '/hop') return res.writeHead(302, { location: '/echo' }).end();
    if (req.url === '/away') return res.writeHead(307, { location: `${elsewhere.url}/collect` }).end();
    return res.writeHead(200).end('ok');
  });
  try {
    for (const entry of [['node.js'], ['verify', 'node.js']]) {
      const { ClientCredentials } = await import(join(project, 'node_modules', 'wasm-auth', ...entry));
      const client = new ClientCredentials({ ...reference(), allowedOrigins: [trusted.url] });
      reached.length = 0;
      const hop = await client.fetch(`${trusted.url}/hop`);
      assert.deepEqual([hop.status, hop.headers.get('location')], [302, '/echo'], entry.join('/'));
      const away = await client.fetch(`${trusted.url}/away`, { method: 'POST', body: 'secret form' });
      assert.equal(away.status, 307, entry.join('/'));
      assert.deepEqual(reached.map((r) => r.path), ['/hop', '/away'], `${entry.join('/')}: no hop was requested`);
      assert.ok(reached.every((r) => r.authorization?.startsWith('Bearer ')), entry.join('/'));
      // The caller's abort, as fetch rejects with it (TokenManager.fetch and ApiKeyAuth.fetch
      // alike): not a network failure.
      const aborted = await client.fetch(`${trusted.url}/echo`, { signal: AbortSignal.abort() }).catch((e) => e);
      assert.equal(aborted.name, 'AbortError', `${entry.join('/')}: ${aborted}`);
    }
  } finally {
    await trusted.close();
    await elsewhere.close();
  }
});

test('Node, oidc-provider: tokens for both auth methods are live at its introspection endpoint', async () => {
  const { ClientCredentials } = await import(join(project, 'node_modules', 'wasm-auth', 'node.js'));
  for (const method of ['client_secret_basic', 'client_secret_post']) {
    const client = new ClientCredentials(oidc(method));
    const [a, b] = await Promise.all([client.getToken(), client.getToken()]);
    assert.equal(a, b);
    const info = await introspect(a);
    assert.equal(info.active, true, method);
    assert.equal(info.client_id, SERVICE.clientId);
    assert.equal(info.scope, SERVICE.scope);
  }
  // oidc-provider drops unknown scopes but refuses openid for this grant.
  const badScope = new ClientCredentials({ ...oidc(), scope: 'openid' });
  const error = await badScope.getToken().catch((e) => e);
  assert.equal(error.code, 'ERR_OAUTH_TOKEN_ERROR');
  assert.equal(error.error, 'invalid_scope');
});

async function inWorker(body) {
  const response = await fetch(worker.url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
  assert.equal(response.status, 200, worker.output());
  return response.json();
}

test('workerd, reference server: a token per isolate, reused across requests, accepted by the API', async () => {
  const before = await count('POST /oauth/token');
  const first = await inWorker({ id: 'ref', options: reference(), calls: 1, api: `${api.url}/v1/resources` });
  assert.equal(first.status, 200, JSON.stringify(first));
  const second = await inWorker({ id: 'ref', options: reference('client_secret_post'), calls: 3, api: `${api.url}/v1/resources` });
  assert.equal(second.token, first.token, 'the module-scope client kept its token across requests');
  assert.equal(second.distinct, 1);
  assert.equal(await count('POST /oauth/token'), before + 1);
  const wrong = await inWorker({ id: 'wrong', options: { ...reference(), clientSecret: 'nope' }, calls: 1 });
  assert.deepEqual([wrong.code, wrong.error], ['ERR_OAUTH_TOKEN_ERROR', 'invalid_client']);
});

test('workerd, oidc-provider: the token is live at introspection and cached for later requests', async () => {
  const first = await inWorker({ id: 'op', options: oidc(), calls: 1 });
  assert.equal((await introspect(first.token)).active, true, JSON.stringify(first));
  // On Workers a promise is never shared across requests (it can hang them), so concurrent
  // cold calls each ask; once a token is cached, every request uses it.
  const later = await inWorker({ id: 'op', options: oidc(), calls: 4 });
  assert.equal(later.distinct, 1);
  assert.equal(later.token, first.token);
});

test('a browser window refuses a client secret: ERR_OAUTH_SECRET_IN_BROWSER', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${api.url}/`);
    const code = await page.evaluate(async (options) => {
      const { ClientCredentials, ready } = await import('/pkg/browser.js');
      // Before ready() a constructor defers its checks to the module's arrival (issue 18).
      await ready();
      try { new ClientCredentials(options); return 'accepted'; } catch (e) { return e.code; }
    }, reference());
    assert.equal(code, 'ERR_OAUTH_SECRET_IN_BROWSER');
  } finally {
    await browser.close();
  }
});
