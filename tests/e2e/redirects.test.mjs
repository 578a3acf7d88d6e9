// Credentials across redirects: every fetch that carries one (TokenManager's Bearer token,
// ApiKeyAuth's key in a header or the query, SessionClient's cookies) follows a redirect only to
// a trusted origin, checking each hop before anything is sent; elsewhere it is ERR_AUTH_HTTP and
// the other origin receives nothing. In Node and workerd (where a redirect's target is visible)
// redirects within the trusted origins are followed; in Chromium (which hides the target of a
// manual redirect) every redirect is refused. Two real HTTP servers on two origins: the API, and
// "elsewhere", which records whatever reaches it (and would accept any credential through CORS,
// as an attacker's server would).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ApiKeyAuth, SessionClient, TokenManager } from '../../pkg/node.js';
import { makeProject, openClientPage, startProjectWorker } from './helpers.mjs';

const KEY = 'sk_test_redirect_key_0123456789';
const TOKEN = 'access-token-under-test';

/** Starts an HTTP server on 127.0.0.1 whose requests go to `handle(req, body, res, url)`. */
async function listen(handle) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      // Any page may call it with any header and cookies (an attacker's server would allow it).
      res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '*');
      res.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE');
      if (req.method === 'OPTIONS') return res.writeHead(204).end();
      handle(req, Buffer.concat(chunks).toString(), res, new URL(req.url, `http://${req.headers.host}`));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** What a request carried, as the echo endpoints answer it. */
function seen(req, body, url) {
  return {
    method: req.method,
    path: url.pathname,
    apiKey: req.headers['x-api-key'] ?? url.searchParams.get('api_key'),
    authorization: req.headers.authorization ?? null,
    body,
  };
}

let api;
let elsewhere;
const reached = []; // requests that reached "elsewhere"
const apiReached = []; // the API's requests: path and what they carried

before(async () => {
  elsewhere = await listen((req, body, res, url) => {
    reached.push(seen(req, body, url));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(seen(req, body, url)));
  });
  api = await listen((req, body, res, url) => {
    const go = (status, location) => res.writeHead(status, { location }).end();
    apiReached.push({ path: url.pathname, authorization: req.headers.authorization ?? null, dpop: req.headers.dpop ?? null });
    switch (url.pathname) {
      case '/v1/bad-proof': return res.writeHead(401, { 'www-authenticate': 'DPoP algs="ES256", error="invalid_dpop_proof"' }).end();
      case '/v1/away': return go(Number(url.searchParams.get('status') ?? 307), `${elsewhere.url}/collect`);
      case '/v1/trusted-away': return go(307, `${elsewhere.url}/echo`);
      case '/v1/hop': return go(302, '/v1/echo');
      case '/v1/keep-body': return go(307, '/v1/echo');
      case '/v1/see-other': return go(303, '/v1/echo');
      case '/v1/loop': return go(302, '/v1/loop');
      case '/v1/echo': return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(seen(req, body, url)));
      default: return res.writeHead(404).end();
    }
  });
});

after(async () => {
  await api?.close();
  await elsewhere?.close();
});

beforeEach(() => {
  reached.length = 0;
  apiReached.length = 0;
});

const code = (promise) => promise.then((r) => `answered ${r.status}`, (e) => `${e.code} ${e.status}`);

/** The four credential carriers, each with its fetch, in Node. */
function carriers(allowedOrigins) {
  const tokens = new TokenManager({ baseUrl: `${api.url}/v1`, ...(allowedOrigins && { allowedOrigins }) });
  tokens.setTokens({ access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 });
  return {
    'TokenManager': [tokens, (r) => assert.equal(r.authorization, `Bearer ${TOKEN}`)],
    'ApiKeyAuth (header)': [new ApiKeyAuth({ baseUrl: `${api.url}/v1`, apiKey: KEY }), (r) => assert.equal(r.apiKey, KEY)],
    'ApiKeyAuth (query)': [new ApiKeyAuth({ baseUrl: `${api.url}/v1`, apiKey: KEY, placement: 'query' }), (r) => assert.equal(r.apiKey, KEY)],
    'SessionClient': [new SessionClient({ baseUrl: `${api.url}/v1`, ...(allowedOrigins && { allowedOrigins }) }), () => {}],
  };
}

describe('Node', () => {
  test('DPoP: a bound token follows no redirect, not even within the API; a refused proof spends no refresh', async () => {
    const tokens = new TokenManager({ baseUrl: `${api.url}/v1`, dpop: true, allowedOrigins: [elsewhere.url] });
    tokens.setTokens({ access_token: TOKEN, token_type: 'DPoP', expires_in: 3600, refresh_token: 'rt-under-test' });
    for (const path of ['hop', 'trusted-away', 'away?status=307']) {
      const error = await tokens.fetch(path).catch((e) => e);
      assert.equal(error.code, 'ERR_AUTH_HTTP', path);
      assert.match(error.message, /redirect/, path);
    }
    assert.deepEqual(apiReached.map((r) => r.path), ['/v1/hop', '/v1/trusted-away', '/v1/away'], 'no hop was requested');
    assert.ok(apiReached.every((r) => r.authorization === `DPoP ${TOKEN}` && r.dpop !== null));
    assert.deepEqual(reached, []);
    apiReached.length = 0;
    const refused = await tokens.fetch('bad-proof');
    assert.equal(refused.status, 401, 'the caller gets the answer');
    assert.deepEqual(apiReached.map((r) => r.path), ['/v1/bad-proof'], 'no refresh, no retry');
    assert.equal(await tokens.getToken(), TOKEN, 'the session is unchanged');
  });

  for (const status of [301, 302, 303, 307, 308]) {
    test(`a ${status} to another origin is ERR_AUTH_HTTP, and nothing reaches it`, async () => {
      for (const [name, [client]] of Object.entries(carriers())) {
        assert.equal(await code(client.fetch(`away?status=${status}`)), `ERR_AUTH_HTTP ${status}`, name);
        assert.equal(await code(client.fetch(`away?status=${status}`, { method: 'POST', body: 'secret form' })), `ERR_AUTH_HTTP ${status}`, name);
      }
      assert.deepEqual(reached, []);
    });
  }

  test('a redirect within the API origin is followed, with the credential re-sent to the checked hop', async () => {
    for (const [name, [client, carried]] of Object.entries(carriers())) {
      const response = await client.fetch('hop');
      assert.equal(response.status, 200, name);
      const echo = await response.json();
      assert.equal(echo.path, '/v1/echo', name);
      carried(echo);
    }
  });

  test('307 keeps the method and body; 303 turns a POST into a GET without a body', async () => {
    for (const [name, [client, carried]] of Object.entries(carriers())) {
      const kept = await (await client.fetch('keep-body', { method: 'PUT', body: 'payload' })).json();
      assert.deepEqual([kept.method, kept.body], ['PUT', 'payload'], name);
      carried(kept);
      const other = await (await client.fetch('see-other', { method: 'POST', body: 'payload' })).json();
      assert.deepEqual([other.method, other.body], ['GET', ''], name);
      carried(other);
    }
  });

  test('a redirect to an origin in allowedOrigins is followed; to the same origin without it, refused', async () => {
    const trusted = carriers([elsewhere.url]);
    for (const name of ['TokenManager', 'SessionClient']) {
      const [client, carried] = trusted[name];
      const echo = await (await client.fetch('trusted-away')).json();
      assert.equal(echo.path, '/echo', name);
      carried(echo);
    }
    reached.length = 0;
    for (const [name, [client]] of Object.entries(carriers())) {
      assert.equal(await code(client.fetch('trusted-away')), 'ERR_AUTH_HTTP 307', name);
    }
    assert.deepEqual(reached, []);
  });

  test('a redirect loop stops after five hops with ERR_AUTH_HTTP', async () => {
    for (const [name, [client]] of Object.entries(carriers())) {
      const error = await client.fetch('loop').catch((e) => e);
      assert.equal(error.code, 'ERR_AUTH_HTTP', name);
      assert.match(error.message, /more than 5 redirects/, name);
    }
  });

  test("the caller's redirect: 'manual' gets the redirect itself; 'error' any redirect as ERR_AUTH_HTTP", async () => {
    for (const [name, [client]] of Object.entries(carriers())) {
      const response = await client.fetch('away', { redirect: 'manual' });
      assert.equal(response.status, 307, name);
      assert.equal(response.headers.get('location'), `${elsewhere.url}/collect`, name);
      assert.equal(await code(client.fetch('hop', { redirect: 'error' })), 'ERR_AUTH_HTTP 302', name);
    }
    assert.deepEqual(reached, []);
  });
});

describe('Chromium', () => {
  let opened;
  let page;

  before(async () => {
    opened = await openClientPage('redirects-browser');
    page = opened.page;
  });

  after(() => opened?.close());

  test('every redirect of a credentialed fetch is ERR_AUTH_HTTP (the browser hides its target), nothing reaches elsewhere', async () => {
    const results = await page.evaluate(async ([base, key, token, elsewhereOrigin]) => {
      const tokens = new wa.TokenManager({ baseUrl: base, allowedOrigins: [elsewhereOrigin] });
      tokens.setTokens({ access_token: token, token_type: 'Bearer', expires_in: 3600 });
      const clients = {
        TokenManager: tokens,
        header: new wa.ApiKeyAuth({ baseUrl: base, apiKey: key }),
        query: new wa.ApiKeyAuth({ baseUrl: base, apiKey: key, placement: 'query' }),
        SessionClient: new wa.SessionClient({ baseUrl: base }),
      };
      const out = {};
      for (const [name, client] of Object.entries(clients)) {
        for (const path of ['away', 'away?status=302', 'trusted-away', 'hop']) {
          out[`${name} ${path}`] = await client.fetch(path, { method: 'POST', body: 'secret form' })
            .then((r) => `answered ${r.status}`, (e) => e.code);
        }
        out[`${name} echo`] = await client.fetch('echo').then((r) => `answered ${r.status}`, (e) => e.code);
      }
      tokens.dispose();
      return out;
    }, [`${api.url}/v1`, KEY, TOKEN, elsewhere.url]);
    for (const [name, result] of Object.entries(results)) {
      assert.equal(result, name.endsWith('echo') ? 'answered 200' : 'ERR_AUTH_HTTP', name);
    }
    assert.deepEqual(reached, []);
  });
});

describe('workerd', () => {
  let worker;

  before(async () => {
    const project = await makeProject('redirects-workerd', {
      'worker.js': `import { ApiKeyAuth, TokenManager } from 'wasm-auth';
export default {
  async fetch(request) {
    const { base, key, token, path } = await request.json();
    const tokens = new TokenManager({ baseUrl: base });
    tokens.setTokens({ access_token: token, token_type: 'Bearer', expires_in: 3600 });
    const clients = { TokenManager: tokens, header: new ApiKeyAuth({ baseUrl: base, apiKey: key }),
      query: new ApiKeyAuth({ baseUrl: base, apiKey: key, placement: 'query' }) };
    const out = {};
    for (const [name, client] of Object.entries(clients)) {
      out[name] = await client.fetch(path).then(async (r) => ({ status: r.status, echo: await r.json() }), (e) => ({ code: e.code, status: e.status }));
    }
    tokens.dispose();
    return Response.json(out);
  },
};\n`,
    });
    worker = await startProjectWorker(project);
  });

  after(async () => {
    await worker?.stop();
  });

  const inWorker = async (path) => {
    const response = await fetch(worker.url, {
      method: 'POST',
      body: JSON.stringify({ base: `${api.url}/v1`, key: KEY, token: TOKEN, path }),
      signal: AbortSignal.timeout(15_000),
    });
    assert.equal(response.status, 200, worker.output());
    return response.json();
  };

  test('a redirect to another origin is ERR_AUTH_HTTP; one within the API origin is followed with the credential', async () => {
    for (const [name, result] of Object.entries(await inWorker('away'))) {
      assert.deepEqual(result, { code: 'ERR_AUTH_HTTP', status: 307 }, name);
    }
    assert.deepEqual(reached, []);
    const followed = await inWorker('hop');
    assert.equal(followed.TokenManager.echo.authorization, `Bearer ${TOKEN}`);
    assert.equal(followed.header.echo.apiKey, KEY);
    assert.equal(followed.query.echo.apiKey, KEY);
    for (const [name, result] of Object.entries(followed)) assert.equal(result.echo.path, '/v1/echo', name);
  });
});
