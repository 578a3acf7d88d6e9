// DPoP (RFC 9449) from the client side, against oidc-provider (npm) with its dPoP feature on, a
// real peer: OAuthClient in headless Chromium (code exchange, userinfo, refresh, revocation,
// without and with server nonces), and ClientCredentials in Node (client_credentials grant,
// then an API call to a resource server that checks the proof). Every proof the client sends
// is checked here too: signature with its embedded key, typ/alg, htm/htu, ath, and the access
// token's binding (oidc-provider's `jkt`) to the key's RFC 7638 thumbprint.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Provider from 'oidc-provider';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { freePort, launchChromium, makeProject, startProjectWorker } from './helpers.mjs';

const SERVICE = { clientId: 'svc', clientSecret: 'svc-secret-for-tests-only-0123456789', scope: 'api:read' };

let browser;
let pages; // the reference server only serves the test page (its origin is the SPA's)
let project;
let op;
let requireNonce = false;

/** oidc-provider as tests/e2e/fixtures/oidc-provider.mjs starts it, with DPoP on; server
 * nonces only while `requireNonce` is set. */
async function startDpopProvider({ port, pageOrigin, accessTokenTtl }) {
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      { client_id: 'spa', token_endpoint_auth_method: 'none', application_type: 'web', redirect_uris: [`${pageOrigin}/`],
        grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
      { client_id: SERVICE.clientId, client_secret: SERVICE.clientSecret, grant_types: ['client_credentials'],
        redirect_uris: [], response_types: [], scope: SERVICE.scope },
    ],
    scopes: ['openid', 'offline_access', 'api:read'],
    claims: { openid: ['sub'] },
    cookies: { keys: ['wasm-auth-tests-cookie-key-0123456789'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      dPoP: { enabled: true, nonceSecret: Buffer.alloc(32, 7), requireNonce: () => requireNonce },
    },
    ttl: { AccessToken: accessTokenTtl, ClientCredentials: accessTokenTtl },
    clientBasedCORS: (ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
    findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  const server = createServer(provider.callback());
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const counts = new Map();
  provider.on('grant.success', (ctx) => counts.set(ctx.oidc.params.grant_type, (counts.get(ctx.oidc.params.grant_type) ?? 0) + 1));
  return {
    issuer,
    provider,
    grants: (type) => counts.get(type) ?? 0,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

before(async () => {
  project = await makeProject('dpop-client', {
    // ClientCredentials at the edge, from wasm-auth/verify: module scope, as in a real worker.
    'worker.js': `import { ClientCredentials } from 'wasm-auth/verify';
let client;
export default {
  async fetch(request) {
    const { options, api } = await request.json();
    client ??= new ClientCredentials(options);
    try {
      const response = await client.fetch(api);
      return Response.json({ status: response.status, body: await response.json() });
    } catch (e) {
      return Response.json({ code: e.code, message: e.message });
    }
  },
};\n`,
  });
  cpSync(join(import.meta.dirname, 'fixtures', 'client-page'), join(project, 'www'), { recursive: true });
  browser = await launchChromium();
  pages = await startReferenceServer({
    dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-dpop-')), wwwDir: join(project, 'www'), pkgDir: join(project, 'node_modules', 'wasm-auth'),
  });
  op = await startDpopProvider({ port: await freePort(), pageOrigin: pages.url, accessTokenTtl: 6 });
});

after(async () => {
  await browser?.close();
  await op?.close();
  await pages?.stop();
});

const b64url = (text) => Buffer.from(text, 'base64url');
const sha256 = (text) => createHash('sha256').update(text).digest('base64url');
/** RFC 7638 thumbprint of a P-256 public JWK (members in lexicographic order). */
const thumbprint = ({ crv, kty, x, y }) => sha256(JSON.stringify({ crv, kty, x, y }));

/** A proof checked as RFC 9449 §4.3 says, for `method url` (and `token` when it carries one). */
function checkProof(proof, method, url, token) {
  assert.equal(typeof proof, 'string', `${method} ${url} carries a DPoP proof`);
  const [h, p, s] = proof.split('.');
  const header = JSON.parse(b64url(h));
  const claims = JSON.parse(b64url(p));
  assert.equal(header.typ, 'dpop+jwt');
  assert.equal(header.alg, 'ES256');
  assert.deepEqual(Object.keys(header.jwk).sort(), ['crv', 'kty', 'x', 'y'], 'a public key only');
  const key = createPublicKey({ key: header.jwk, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, b64url(s)), 'the signature verifies');
  assert.equal(claims.htm, method);
  const target = new URL(url);
  assert.equal(claims.htu, target.origin + target.pathname);
  assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 60);
  assert.match(claims.jti, /^[\w-]{22}$/);
  if (token === undefined) assert.equal(claims.ath, undefined);
  else assert.equal(claims.ath, sha256(token));
  return { jkt: thumbprint(header.jwk), claims };
}

async function newPage() {
  const page = await (await browser.newContext()).newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(e.message));
  // Every request to the provider, with its DPoP and Authorization headers.
  page.sent = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(op.issuer)) return;
    const headers = request.headers();
    if (request.method() === 'OPTIONS') return;
    page.sent.push({ method: request.method(), url: request.url(), dpop: headers.dpop, authorization: headers.authorization });
  });
  await page.goto(`${pages.url}/index.html`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}

const clientOptions = () => ({ clientId: 'spa', redirectUri: `${pages.url}/`, scope: 'openid offline_access', baseUrl: op.issuer, dpop: true });

async function signIn(page) {
  await Promise.all([
    page.waitForURL((url) => url.origin === op.issuer),
    page.evaluate(async ([issuer, options]) => {
      const oauth = await wa.OAuthClient.discover(issuer, options);
      setTimeout(() => oauth.authorize({ extraParams: { prompt: 'consent' } }), 0);
    }, [op.issuer, clientOptions()]),
  ]);
  const back = page.waitForURL((url) => url.origin === pages.url, { timeout: 15_000 });
  await page.fill('input[name=login]', 'alice');
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
  await page.waitForSelector('button[type=submit]');
  await page.click('button[type=submit]');
  await back;
  await page.waitForFunction(() => window.ready === true);
}

/** What the page keeps in Web Storage and IndexedDB: what each IndexedDB record is made of. */
const stored = (page) => page.evaluate(async () => {
  const databases = (await indexedDB.databases()).map((d) => d.name);
  const records = [];
  if (databases.includes('wasm-auth-dpop')) {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('wasm-auth-dpop');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const values = await new Promise((resolve) => {
      const request = db.transaction('keys').objectStore('keys').getAll();
      request.onsuccess = () => resolve(request.result);
    });
    db.close();
    for (const value of values) {
      records.push({
        members: Object.keys(value).sort(),
        privateKey: value.privateKey instanceof CryptoKey && !value.privateKey.extractable && value.privateKey.type,
        publicKey: value.publicKey instanceof CryptoKey && value.publicKey.type,
      });
    }
  }
  return { local: localStorage.length, session: sessionStorage.length, databases, records };
});
const KEPT_KEY = { members: ['privateKey', 'publicKey'], privateKey: 'private', publicKey: 'public' };

for (const nonces of [false, true]) {
  test(`OAuthClient dpop: true in Chromium, oidc-provider ${nonces ? 'with' : 'without'} server nonces: bound tokens, proofs on every request`, async () => {
    requireNonce = nonces;
    const page = await newPage();
    await signIn(page);
    const authorization = page.sent.find((r) => r.url.startsWith(`${op.issuer}/auth?`));
    page.sent = [];
    const handled = await page.evaluate(async ([issuer, options]) => {
      window.oauth = await wa.OAuthClient.discover(issuer, options);
      record(window.oauth.tokenManager);
      try {
        const result = await window.oauth.handleRedirectCallback();
        return { ok: true, sub: result.idTokenClaims.sub, response: result.tokenResponse };
      } catch (e) {
        return { ok: false, code: e.code, message: e.message };
      }
    }, [op.issuer, clientOptions()]);
    assert.ok(handled.ok, handled.message);
    assert.equal(handled.sub, 'alice');

    const exchanges = page.sent.filter((r) => r.url === `${op.issuer}/token`);
    // With nonces: the first try is answered 400 use_dpop_nonce, the second carries the nonce.
    assert.equal(exchanges.length, nonces ? 2 : 1);
    const exchange = checkProof(exchanges.at(-1).dpop, 'POST', `${op.issuer}/token`);
    assert.equal(exchange.claims.nonce !== undefined, nonces);
    const keyThumbprint = exchange.jkt;
    for (const request of exchanges) assert.equal(checkProof(request.dpop, 'POST', request.url).jkt, keyThumbprint, 'one key');
    // §10: the code was bound to the same key (kept across the redirect), which oidc-provider checks too.
    assert.equal(new URL(authorization.url).searchParams.get('dpop_jkt'), keyThumbprint);

    // The access token is bound to the key: oidc-provider's record of it says so.
    const token = await page.evaluate(() => window.oauth.tokenManager.getToken());
    const record = await op.provider.AccessToken.find(token);
    assert.equal(record.jkt, keyThumbprint, 'cnf.jkt is the thumbprint of the proof key');

    page.sent = [];
    const me = await page.evaluate(async () => {
      const response = await window.oauth.tokenManager.fetch('me?x=1#frag');
      return { status: response.status, body: await response.json() };
    });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.sub, 'alice');
    const calls = page.sent.filter((r) => r.url.startsWith(`${op.issuer}/me`));
    // The token endpoint's nonce is the issuer origin's, so it goes along at once: one call.
    // With nonces, a second only if the server rotated its nonce meanwhile, and then the retry
    // carries the new one.
    const nonceOf = (call) => JSON.parse(b64url(call.dpop.split('.')[1])).nonce;
    if (!nonces || calls.length !== 2) assert.equal(calls.length, 1, `${calls.length} calls`);
    else assert.notEqual(nonceOf(calls[1]), nonceOf(calls[0]), 'a retry only with a new nonce');
    if (nonces) assert.notEqual(nonceOf(calls[0]), undefined, 'the first call carries the nonce already');
    for (const call of calls) {
      assert.equal(call.authorization, `DPoP ${token}`);
      assert.equal(checkProof(call.dpop, 'GET', `${op.issuer}/me`, token).jkt, keyThumbprint);
    }

    // 6-second tokens: refreshes at mid-life, each with a proof (the refresh token is bound too).
    await page.waitForFunction(() => window.events.filter((e) => e.type === 'tokenchange').length >= 2, null, { timeout: 15_000 });
    const refreshes = page.sent.filter((r) => r.url === `${op.issuer}/token`);
    assert.ok(refreshes.length >= 1);
    for (const request of refreshes) assert.equal(checkProof(request.dpop, 'POST', request.url).jkt, keyThumbprint);
    const fresh = await page.evaluate(() => window.oauth.tokenManager.getToken());
    assert.equal((await op.provider.AccessToken.find(fresh)).jkt, keyThumbprint);

    // The bound token is refused as Bearer.
    const asBearer = await fetch(`${op.issuer}/me`, { headers: { authorization: `Bearer ${fresh}` } });
    assert.equal(asBearer.status, 401);

    // Web Storage holds nothing; IndexedDB the key pair only (non-extractable), for the redirect.
    assert.deepEqual(await stored(page), { local: 0, session: 0, databases: ['wasm-auth-dpop'], records: [KEPT_KEY] });

    // Another tab: its own key at first (the kept one deleted here), then the session's key pair
    // with the session's tokens over the channel; its API call is proven with that key.
    const peer = await page.context().newPage();
    peer.sent = [];
    peer.on('request', (request) => {
      if (request.url().startsWith(`${op.issuer}/me`)) peer.sent.push({ dpop: request.headers().dpop, authorization: request.headers().authorization });
    });
    await peer.goto(`${pages.url}/index.html`);
    await peer.waitForFunction(() => window.ready === true);
    const fromPeer = await peer.evaluate(async ([issuer, options]) => {
      await new Promise((resolve) => { const r = indexedDB.deleteDatabase('wasm-auth-dpop'); r.onsuccess = r.onerror = resolve; });
      const oauth = await wa.OAuthClient.discover(issuer, options);
      const info = await oauth.restore();
      const response = await oauth.tokenManager.fetch('me');
      return { restored: info !== null, status: response.status, token: await oauth.tokenManager.getToken() };
    }, [op.issuer, clientOptions()]);
    assert.ok(fromPeer.restored);
    assert.equal(fromPeer.status, 200);
    assert.equal(checkProof(peer.sent.at(-1).dpop, 'GET', `${op.issuer}/me`, fromPeer.token).jkt, keyThumbprint, "the peer signs with the session's key");
    await peer.close();

    page.sent = [];
    const logout = await page.evaluate(() => window.oauth.tokenManager.logout());
    assert.deepEqual(logout, { revoked: true });
    const revocations = page.sent.filter((r) => r.url === `${op.issuer}/token/revocation`);
    assert.ok(revocations.length >= 2);
    for (const request of revocations) assert.equal(checkProof(request.dpop, 'POST', request.url).jkt, keyThumbprint);
    assert.equal(await op.provider.AccessToken.find(fresh), undefined, 'revoked');
    assert.deepEqual((await stored(page)).records, [], 'the kept key is deleted on logout');
    assert.deepEqual(page.problems, []);
    await page.close();
  });
}

test('OAuthClient dpop: authorize() never leaves dpop_jkt out: ERR_DPOP_KEY_UNAVAILABLE until the key pair is there', async () => {
  const page = await newPage();
  const outcome = await page.evaluate(async ([issuer, redirectUri]) => {
    const client = new wa.OAuthClient({
      clientId: 'spa', redirectUri, authorizationEndpoint: `${issuer}/auth`, tokenEndpoint: `${issuer}/token`, baseUrl: issuer, dpop: true,
    });
    const attempt = () => { try { return new URL(client.authorize({ redirect: false })).searchParams.get('dpop_jkt'); } catch (e) { return e.code; } };
    const early = attempt(); // the key pair is being made (new OAuthClient starts it)
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ready = attempt();
    sessionStorage.clear();
    return { early, ready };
  }, [op.issuer, `${pages.url}/`]);
  assert.equal(outcome.early, 'ERR_DPOP_KEY_UNAVAILABLE');
  assert.match(outcome.ready, /^[\w-]{43}$/);
  await page.close();
});

test('OAuthClient and TokenManager: dpop must be a boolean; OAuthClient dpop needs baseUrl', async () => {
  const page = await newPage();
  const codes = await page.evaluate(([issuer, redirectUri]) => {
    const code = (make) => { try { make(); return 'accepted'; } catch (e) { return e.code; } };
    const endpoints = { clientId: 'spa', redirectUri, authorizationEndpoint: `${issuer}/auth`, tokenEndpoint: `${issuer}/token` };
    return {
      tmString: code(() => new wa.TokenManager({ baseUrl: issuer, dpop: 'yes' })),
      tmTrue: code(() => new wa.TokenManager({ baseUrl: issuer, dpop: true })),
      oauthNumber: code(() => new wa.OAuthClient({ ...endpoints, baseUrl: issuer, dpop: 1 })),
      oauthNoBase: code(() => new wa.OAuthClient({ ...endpoints, dpop: true })),
      oauthManager: code(() => new wa.OAuthClient({ ...endpoints, dpop: true, tokenManager: new wa.TokenManager({ baseUrl: issuer }) })),
      oauthFalse: code(() => new wa.OAuthClient({ ...endpoints, dpop: false })),
    };
  }, [op.issuer, `${pages.url}/`]);
  assert.deepEqual(codes, {
    tmString: 'ERR_AUTH_INVALID_OPTIONS',
    tmTrue: 'accepted',
    oauthNumber: 'ERR_AUTH_INVALID_OPTIONS',
    oauthNoBase: 'ERR_AUTH_INVALID_OPTIONS',
    oauthManager: 'ERR_AUTH_INVALID_OPTIONS',
    oauthFalse: 'accepted',
  });
  await page.close();
});

/** A resource server that takes only DPoP-bound client-credentials tokens of `op`, checking
 * each proof; with `nonce`, it first answers 401 use_dpop_nonce (§9) with one. */
async function startResourceServer({ nonce }) {
  const seen = [];
  const server = createServer(async (req, res) => {
    const url = `http://127.0.0.1:${server.address().port}${req.url}`;
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    seen.push({ scheme, proof: req.headers.dpop });
    const refuse = (challenge, extra = {}) => {
      res.writeHead(401, { 'www-authenticate': challenge, ...extra });
      res.end();
    };
    if (scheme !== 'DPoP') return refuse('DPoP algs="ES256"');
    const { jkt, claims } = checkProof(req.headers.dpop, req.method, url, token);
    if (nonce && claims.nonce !== nonce) return refuse('DPoP error="use_dpop_nonce"', { 'dpop-nonce': nonce });
    const record = await op.provider.ClientCredentials.find(token);
    if (record?.jkt !== jkt) return refuse('DPoP error="invalid_token"');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ client: record.clientId, jkt }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

for (const nonces of [false, true]) {
  test(`ClientCredentials dpop: true in Node, oidc-provider ${nonces ? 'with' : 'without'} server nonces`, async () => {
    requireNonce = nonces;
    const { ClientCredentials } = await import(join(project, 'node_modules', 'wasm-auth', 'node.js'));
    const api = await startResourceServer({ nonce: nonces ? 'rs-nonce-1' : undefined });
    try {
      const before = op.grants('client_credentials');
      const client = new ClientCredentials({
        tokenEndpoint: `${op.issuer}/token`, clientId: SERVICE.clientId, clientSecret: SERVICE.clientSecret, scope: SERVICE.scope, dpop: true,
        allowedOrigins: [api.url],
      });
      const tokens = await Promise.all([client.getToken(), client.getToken()]);
      assert.equal(tokens[0], tokens[1]);
      assert.equal(op.grants('client_credentials'), before + 1);
      const response = await client.fetch(`${api.url}/resources?page=2`);
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(body.client, SERVICE.clientId);
      const record = await op.provider.ClientCredentials.find(tokens[0]);
      assert.equal(record.jkt, body.jkt, 'the token is bound to the proof key');
      assert.equal(api.seen.length, nonces ? 2 : 1, 'one retry with the resource server nonce');
      assert.ok(api.seen.every((s) => s.scheme === 'DPoP'));
      // The nonce is remembered: the next call needs no retry.
      assert.equal((await client.fetch(`${api.url}/resources`)).status, 200);
      assert.equal(api.seen.length, nonces ? 3 : 2);
      // A plain bearer client is unchanged, and a wrong option type throws.
      const bearer = new ClientCredentials({ tokenEndpoint: `${op.issuer}/token`, clientId: SERVICE.clientId, clientSecret: SERVICE.clientSecret, scope: SERVICE.scope });
      assert.equal((await op.provider.ClientCredentials.find(await bearer.getToken())).jkt, undefined);
      assert.throws(() => new ClientCredentials({ tokenEndpoint: `${op.issuer}/token`, clientId: 'a', clientSecret: 'b', dpop: 'true' }), { code: 'ERR_AUTH_INVALID_OPTIONS' });
    } finally {
      await api.close();
    }
  });
}

test("a logout while the key pair is being made: the key made after it is not held (the next session gets a new one)", async () => {
  // The package's shim.js (the key's JS side), as installed: no runtime timing can be forced
  // through the classes, so the race is played on its functions directly.
  const snippets = join(project, 'node_modules', 'wasm-auth', 'snippets');
  const shim = await import(join(snippets, readdirSync(snippets)[0], 'src', 'web', 'shim.js'));
  const state = shim.dpopState(undefined);
  const making = shim.dpopKey(state);
  shim.dpopForget(state); // logout, before the key is there
  const [x, , pair] = await making;
  assert.equal(typeof x, 'string', 'the request that asked for it still gets it');
  assert.equal(shim.dpopPair(state), undefined, 'the logout wins');
  assert.equal(shim.dpopNow(state), undefined);
  const [next] = await shim.dpopKey(state);
  assert.notEqual(next, x, 'a new key pair for the next session');
  assert.notEqual(shim.dpopPair(state), pair);
  // A peer's key adopted and then dropped by a logout does not come back either.
  const peer = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  assert.equal(shim.dpopAdopt(state, peer, true), true);
  shim.dpopForget(state);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(shim.dpopPair(state), undefined);
  assert.equal(shim.dpopNow(state), undefined);
});

test('ClientCredentials.fetch sends the token only to the token endpoint origin and allowedOrigins', async () => {
  requireNonce = false;
  const { ClientCredentials } = await import(join(project, 'node_modules', 'wasm-auth', 'node.js'));
  const api = await startResourceServer({});
  const elsewhere = await startResourceServer({});
  try {
    const base = { tokenEndpoint: `${op.issuer}/token`, clientId: SERVICE.clientId, clientSecret: SERVICE.clientSecret, scope: SERVICE.scope };
    for (const dpop of [false, true]) {
      const trusting = new ClientCredentials({ ...base, dpop, allowedOrigins: [api.url] });
      await assert.rejects(trusting.fetch(`${elsewhere.url}/resources`), { code: 'ERR_AUTH_UNTRUSTED_ORIGIN' });
      await assert.rejects(trusting.fetch(new Request(`${elsewhere.url}/resources`)), { code: 'ERR_AUTH_UNTRUSTED_ORIGIN' });
      // Not given, or empty: the token endpoint's origin only, never "anywhere".
      for (const allowedOrigins of [undefined, []]) {
        const client = new ClientCredentials({ ...base, dpop, allowedOrigins });
        await assert.rejects(client.fetch(`${api.url}/resources`), { code: 'ERR_AUTH_UNTRUSTED_ORIGIN' });
        await assert.rejects(client.fetch(`https://${new URL(op.issuer).hostname}.evil.example/`), { code: 'ERR_AUTH_UNTRUSTED_ORIGIN' });
        assert.notEqual((await client.fetch(`${op.issuer}/.well-known/openid-configuration`)).status, 0);
      }
      if (dpop) {
        assert.equal((await trusting.fetch(`${api.url}/resources`)).status, 200);
        // A clearCache() while fetch waits for its token: the bound token still goes with a proof.
        const racing = trusting.fetch(`${api.url}/resources`);
        trusting.clearCache();
        assert.equal((await racing).status, 200, 'DPoP, not Bearer');
      }
    }
    assert.deepEqual(elsewhere.seen, [], 'nothing was sent to the untrusted origin');
    assert.equal(api.seen.length, 2, 'only the trusted calls reached the API');
    assert.ok(api.seen.every((s) => s.scheme === 'DPoP' && s.proof));
    assert.throws(() => new ClientCredentials({ ...base, allowedOrigins: 'http://x.example' }), { code: 'ERR_AUTH_INVALID_OPTIONS' });
  } finally {
    await api.close();
    await elsewhere.close();
  }
});

for (const nonces of [false, true]) {
  test(`TokenManager dpop: true in Chromium, reference server ${nonces ? 'with' : 'without'} server nonces: login, fetch, reload with the refresh cookie, logout`, async (t) => {
    const api = await startReferenceServer({
      dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-dpop-tm-')), wwwDir: join(project, 'www'), pkgDir: join(project, 'node_modules', 'wasm-auth'),
      args: ['--access-ttl', '4', ...(nonces ? ['--dpop-nonce', '--dpop-resource-nonce'] : [])],
    });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.problems = [];
      page.on('pageerror', (e) => page.problems.push(e.message));
      page.sent = [];
      page.on('request', (request) => {
        if (request.method() !== 'OPTIONS' && request.url().includes('/v1/')) {
          page.sent.push({ method: request.method(), url: request.url(), dpop: request.headers().dpop, authorization: request.headers().authorization });
        }
      });
      await page.goto(`${api.url}/index.html`);
      await page.waitForFunction(() => window.ready === true);
      const options = { baseUrl: `${api.url}/v1`, dpop: true, refreshTokenInCookie: true };
      const first = await page.evaluate(async (options) => {
        window.tm = record(new wa.TokenManager(options));
        await window.tm.login('user@example.com', 'securepassword');
        const response = await window.tm.fetch('resources');
        return { status: response.status, token: await window.tm.getToken(), claims: window.tm.claims };
      }, options);
      assert.equal(first.status, 200);
      const logins = page.sent.filter((r) => r.url.endsWith('/v1/auth/login'));
      assert.equal(logins.length, nonces ? 2 : 1, 'with nonces, one retry with the server nonce (§8)');
      const { jkt } = checkProof(logins.at(-1).dpop, 'POST', `${api.url}/v1/auth/login`);
      assert.equal(first.claims.cnf?.jkt, jkt, 'the access token is bound to the key');
      const call = page.sent.find((r) => r.url.endsWith('/v1/resources'));
      assert.equal(call.authorization, `DPoP ${first.token}`);
      assert.equal(checkProof(call.dpop, 'GET', `${api.url}/v1/resources`, first.token).jkt, jkt);
      const asBearer = await fetch(`${api.url}/v1/resources`, { headers: { authorization: `Bearer ${first.token}` } });
      assert.equal(asBearer.status, 401, 'the bound token is refused as Bearer');

      // 4-second tokens: a scheduled refresh (the cookie's refresh token, with a proof).
      await page.waitForFunction(() => window.events.some((e) => e.type === 'tokenchange' && e.detail.reason === 'refresh'), null, { timeout: 15_000 });
      const refresh = page.sent.filter((r) => r.url.endsWith('/v1/auth/refresh')).at(-1);
      assert.equal(checkProof(refresh.dpop, 'POST', `${api.url}/v1/auth/refresh`).jkt, jkt);
      assert.deepEqual((await stored(page)).records, [KEPT_KEY], 'the key pair is kept: the cookie is bound to it');
      assert.equal((await stored(page)).local + (await stored(page)).session, 0);

      // A reload: the refresh cookie and the kept key pair restore the session.
      page.sent = [];
      await page.reload();
      await page.waitForFunction(() => window.ready === true);
      const restored = await page.evaluate(async (options) => {
        window.tm = record(new wa.TokenManager(options));
        const info = await window.tm.restore();
        const response = await window.tm.fetch('resources');
        return { restored: info !== null, status: response.status, token: await window.tm.getToken() };
      }, options);
      assert.ok(restored.restored, 'restored with the kept key');
      assert.equal(restored.status, 200);
      const restoring = page.sent.find((r) => r.url.endsWith('/v1/auth/refresh'));
      assert.equal(checkProof(restoring.dpop, 'POST', `${api.url}/v1/auth/refresh`).jkt, jkt, 'the same key after the reload');

      const logout = await page.evaluate(() => window.tm.logout());
      assert.equal(logout.revoked, true, 'the server ended the session (a DPoP logout with a proof)');
      const ended = page.sent.find((r) => r.url.endsWith('/v1/auth/logout'));
      assert.equal(ended.authorization, `DPoP ${restored.token}`);
      assert.ok(ended.dpop, 'the logout carries a proof');
      assert.deepEqual((await stored(page)).records, [], 'the kept key is deleted on logout');
      assert.deepEqual(page.problems, []);
      await context.close();
    } finally {
      await api.stop();
    }
  });
}

test('ClientCredentials dpop: true in workerd (wasm-auth/verify), oidc-provider and a resource server with nonces', async () => {
  requireNonce = true;
  const api = await startResourceServer({ nonce: 'rs-nonce-workerd' });
  const worker = await startProjectWorker(project, 'verify/wasm_auth_verify_bg.wasm');
  try {
    const options = { tokenEndpoint: `${op.issuer}/token`, clientId: SERVICE.clientId, clientSecret: SERVICE.clientSecret, scope: SERVICE.scope, dpop: true, allowedOrigins: [api.url] };
    const call = async () => (await fetch(worker.url, { method: 'POST', body: JSON.stringify({ options, api: `${api.url}/resources` }) })).json();
    const first = await call();
    assert.equal(first.status, 200, first.message);
    assert.equal(first.body.client, SERVICE.clientId);
    assert.equal(api.seen.length, 2, 'one retry with the resource server nonce');
    // The next request of the worker reuses the token, the key and the nonce.
    const second = await call();
    assert.equal(second.status, 200, second.message);
    assert.equal(second.body.jkt, first.body.jkt);
    assert.equal(api.seen.length, 3);
  } finally {
    await worker.stop();
    await api.close();
  }
});
