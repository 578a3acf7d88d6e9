// The reference auth server over real HTTP: every endpoint of the API guide, the OAuth flows,
// and the answers to bad input. Tokens are checked with `jose` against the server's JWKS.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startReferenceServer } from '../../scripts/reference-server.mjs';

const EMAIL = 'user@example.com';
const PASSWORD = 'securepassword';
const SPA = 'demo-spa';
const SERVICE = 'demo-service';
const SERVICE_SECRET = 'demo-service-secret';

let server;
let base;
let dataDir;
const secretsSeen = new Set();

const json = (method, path, body, headers = {}) => fetch(`${base}${path}`, {
  method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body),
});
const form = (path, params, headers = {}) => fetch(`${base}${path}`, {
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(params), redirect: 'manual',
});
const bearer = (token) => ({ authorization: `Bearer ${token}` });
const basic = (id, secret) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

async function login() {
  const response = await json('POST', '/v1/auth/login', { email: EMAIL, password: PASSWORD });
  assert.equal(response.status, 200);
  const tokens = await response.json();
  secretsSeen.add(tokens.access_token).add(tokens.refresh_token);
  return tokens;
}

async function expectError(response, status, error) {
  assert.equal(response.status, status, `expected ${status} ${error}`);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  const body = await response.json();
  assert.equal(body.error, error, JSON.stringify(body));
  assert.equal(typeof body.error_description, 'string');
  return body;
}

async function verifyAccessToken(token) {
  const jwks = createLocalJWKSet(await (await fetch(`${base}/.well-known/jwks.json`)).json());
  return jwtVerify(token, jwks, { issuer: base, audience: 'wasm-auth-api', algorithms: ['ES256'] });
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'wasm-auth-server-'));
  server = await startReferenceServer({ dataDir, args: ['--login-max-failures', '1000', '--spa-redirect-uri', 'http://127.0.0.1:9/cb'] });
  base = server.url;
});

after(() => server?.stop());

describe('JWT login and refresh', () => {
  test('login answers the guide\'s shape with an ES256 JWT that jose verifies against the JWKS', async () => {
    const tokens = await login();
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.expires_in, 3600);
    assert.equal(typeof tokens.refresh_token, 'string');
    const { payload, protectedHeader } = await verifyAccessToken(tokens.access_token);
    assert.equal(protectedHeader.alg, 'ES256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, 'user_demo');
    assert.equal(payload.scope, 'read:resources write:resources');
    assert.ok(payload.jti && payload.iat && payload.exp === payload.iat + 3600);
  });

  test('wrong password and unknown email get the same 401 answer', async () => {
    const wrong = await expectError(await json('POST', '/v1/auth/login', { email: EMAIL, password: 'nope' }), 401, 'invalid_grant');
    const unknown = await expectError(await json('POST', '/v1/auth/login', { email: 'nobody@example.com', password: 'nope' }), 401, 'invalid_grant');
    assert.deepEqual(wrong, unknown);
  });

  test('refresh rotates: new pair, the old refresh token stops working, reuse revokes the family', async () => {
    const first = await login();
    const refreshed = await json('POST', '/v1/auth/refresh', { refresh_token: first.refresh_token });
    assert.equal(refreshed.status, 200);
    const second = await refreshed.json();
    secretsSeen.add(second.refresh_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.notEqual(second.access_token, first.access_token);
    await verifyAccessToken(second.access_token);
    // Reusing the rotated token: refused, and the whole family (the new token too) revoked.
    await expectError(await json('POST', '/v1/auth/refresh', { refresh_token: first.refresh_token }), 401, 'invalid_grant');
    await expectError(await json('POST', '/v1/auth/refresh', { refresh_token: second.refresh_token }), 401, 'invalid_grant');
  });

  test('an unknown refresh token is invalid_grant', async () => {
    await expectError(await json('POST', '/v1/auth/refresh', { refresh_token: 'rt_made_up' }), 401, 'invalid_grant');
  });
});

describe('the resources API', () => {
  test('Bearer token: list and create', async () => {
    const { access_token } = await login();
    const created = await json('POST', '/v1/resources', { name: 'first' }, bearer(access_token));
    assert.equal(created.status, 201);
    const resource = await created.json();
    assert.equal(resource.name, 'first');
    const list = await (await fetch(`${base}/v1/resources`, { headers: bearer(access_token) })).json();
    assert.ok(list.resources.some((r) => r.id === resource.id));
    assert.equal(list.authenticated_via, 'bearer');
  });

  test('no credentials: 401 with a Bearer challenge and no error code (RFC 6750 3.1)', async () => {
    const response = await fetch(`${base}/v1/resources`);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="wasm-auth"');
    await expectError(response, 401, 'unauthorized');
  });

  test('an invalid or tampered token: 401 invalid_token with the challenge', async () => {
    const { access_token } = await login();
    const [h, p, s] = access_token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url'));
    payload.scope = 'admin';
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    for (const token of ['garbage', tampered]) {
      const response = await fetch(`${base}/v1/resources`, { headers: bearer(token) });
      assert.match(response.headers.get('www-authenticate'), /error="invalid_token"/);
      await expectError(response, 401, 'invalid_token');
    }
  });

  test('cache headers: token and API answers are no-store', async () => {
    const response = await json('POST', '/v1/auth/login', { email: EMAIL, password: PASSWORD });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });
});

describe('API keys', () => {
  test('create, list without the key, use by header and by query, revoke', async () => {
    const { access_token } = await login();
    const created = await json('POST', '/v1/api-keys', { name: 'Production API Key', scopes: ['read:resources'] }, bearer(access_token));
    assert.equal(created.status, 201);
    const key = await created.json();
    secretsSeen.add(key.key);
    assert.match(key.key, /^sk_live_[A-Za-z0-9_-]{43}$/);
    assert.match(key.id, /^key_/);
    assert.deepEqual(key.scopes, ['read:resources']);
    assert.match(key.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const list = await (await fetch(`${base}/v1/api-keys`, { headers: bearer(access_token) })).json();
    const listed = list.api_keys.find((k) => k.id === key.id);
    assert.equal(listed.name, 'Production API Key');
    assert.ok(!JSON.stringify(list).includes(key.key), 'the key is never shown again');

    const byHeader = await fetch(`${base}/v1/resources`, { headers: { 'x-api-key': key.key } });
    assert.equal(byHeader.status, 200);
    assert.equal((await byHeader.json()).authenticated_via, 'api_key');
    assert.equal((await fetch(`${base}/v1/resources?api_key=${encodeURIComponent(key.key)}`)).status, 200);

    // Read-only key: writing is 403 insufficient_scope with the challenge naming the scope.
    const write = await json('POST', '/v1/resources', { name: 'x' }, { 'x-api-key': key.key });
    assert.match(write.headers.get('www-authenticate'), /error="insufficient_scope", scope="write:resources"/);
    await expectError(write, 403, 'insufficient_scope');

    assert.equal((await fetch(`${base}/v1/api-keys/${key.id}`, { method: 'DELETE', headers: bearer(access_token) })).status, 204);
    await expectError(await fetch(`${base}/v1/resources`, { headers: { 'x-api-key': key.key } }), 401, 'invalid_token');
    await expectError(await fetch(`${base}/v1/api-keys/${key.id}`, { method: 'DELETE', headers: bearer(access_token) }), 404, 'not_found');
  });

  test('scopes must be a subset of the caller\'s, and an API key cannot mint keys', async () => {
    const { access_token } = await login();
    await expectError(await json('POST', '/v1/api-keys', { name: 'k', scopes: ['admin'] }, bearer(access_token)), 400, 'invalid_scope');
    await expectError(await json('POST', '/v1/api-keys', { name: 'k', scopes: [] }, bearer(access_token)), 400, 'invalid_scope');
    const key = await (await json('POST', '/v1/api-keys', { name: 'k', scopes: ['read:resources'] }, bearer(access_token))).json();
    secretsSeen.add(key.key);
    await expectError(await json('POST', '/v1/api-keys', { name: 'k2', scopes: ['read:resources'] }, { 'x-api-key': key.key }), 403, 'access_denied');
  });

  test('keys, refresh tokens and passwords are not stored in plain text', async () => {
    const { access_token } = await login();
    const key = await (await json('POST', '/v1/api-keys', { name: 'stored', scopes: ['read:resources'] }, bearer(access_token))).json();
    secretsSeen.add(key.key);
    const tokens = await login();
    const stored = readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f)).toString('latin1')).join('');
    for (const secret of [key.key, tokens.refresh_token, PASSWORD]) {
      assert.ok(!stored.includes(secret), 'a secret was found in the data directory');
    }
  });
});

describe('cookie sessions', () => {
  test('login sets an HttpOnly SameSite=Lax cookie; it authenticates; logout ends it on the server', async () => {
    const response = await json('POST', '/v1/session/login', { email: EMAIL, password: PASSWORD });
    assert.equal(response.status, 200);
    const setCookie = response.headers.get('set-cookie');
    assert.match(setCookie, /^wasm_auth_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/, 'no Secure over http');
    const cookie = setCookie.split(';')[0];
    secretsSeen.add(cookie.split('=')[1]);
    const list = await fetch(`${base}/v1/resources`, { headers: { cookie } });
    assert.equal(list.status, 200);
    assert.equal((await list.json()).authenticated_via, 'session');

    // CSRF: a state change with the cookie from a foreign origin is refused; our own origin works.
    await expectError(await json('POST', '/v1/resources', { name: 'csrf' }, { cookie, origin: 'https://evil.example' }), 403, 'invalid_request');
    assert.equal((await json('POST', '/v1/resources', { name: 'own' }, { cookie, origin: base })).status, 201);

    const logout = await fetch(`${base}/v1/session/logout`, { method: 'POST', headers: { cookie } });
    assert.equal(logout.status, 204);
    assert.match(logout.headers.get('set-cookie'), /Max-Age=0/);
    await expectError(await fetch(`${base}/v1/resources`, { headers: { cookie } }), 401, 'invalid_token');
  });

  test('session login from a foreign origin is refused (login CSRF)', async () => {
    await expectError(await json('POST', '/v1/session/login', { email: EMAIL, password: PASSWORD }, { origin: 'https://evil.example' }), 403, 'invalid_request');
  });
});

describe('OAuth 2.0 authorization code with PKCE', () => {
  const redirectUri = () => `${base}/callback`;
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorizeParams = (extra = {}) => ({
    response_type: 'code', client_id: SPA, redirect_uri: redirectUri(), scope: 'openid read:resources',
    state: 'st4te', code_challenge: challenge, code_challenge_method: 'S256', nonce: 'n0nce', ...extra,
  });

  async function authorize(extra = {}, decision = 'allow') {
    const response = await form('/oauth/authorize', { ...authorizeParams(extra), email: EMAIL, password: PASSWORD, decision });
    assert.equal(response.status, 303, await response.clone().text());
    return new URL(response.headers.get('location'));
  }

  test('the authorize page is a login and consent form that works without JavaScript', async () => {
    const response = await fetch(`${base}/oauth/authorize?${new URLSearchParams(authorizeParams())}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    const html = await response.text();
    assert.match(html, /<form method="post" action="\/oauth\/authorize">/);
    assert.match(html, /name="code_challenge" value="[A-Za-z0-9_-]{43}"/);
    assert.doesNotMatch(html, /<script/);
  });

  test('unknown client or unregistered redirect_uri: an error page, never a redirect', async () => {
    for (const extra of [{ client_id: 'nope' }, { redirect_uri: 'https://evil.example/cb' }, { redirect_uri: `${base}/callback/` }]) {
      const response = await fetch(`${base}/oauth/authorize?${new URLSearchParams(authorizeParams(extra))}`, { redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null);
      assert.match(await response.text(), /Authorization error/);
    }
  });

  test('other errors redirect back with error and state', async () => {
    const cases = [
      [{ code_challenge: '' }, 'invalid_request'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'admin' }, 'invalid_scope'],
    ];
    for (const [extra, error] of cases) {
      const response = await fetch(`${base}/oauth/authorize?${new URLSearchParams(authorizeParams(extra))}`, { redirect: 'manual' });
      assert.equal(response.status, 303);
      const location = new URL(response.headers.get('location'));
      assert.equal(location.origin + location.pathname, redirectUri());
      assert.equal(location.searchParams.get('error'), error, JSON.stringify(extra));
      assert.equal(location.searchParams.get('state'), 'st4te');
    }
  });

  test('deny redirects with access_denied', async () => {
    const location = await authorize({}, 'deny');
    assert.equal(location.searchParams.get('error'), 'access_denied');
    assert.equal(location.searchParams.get('state'), 'st4te');
  });

  test('code + verifier -> tokens (with an ID token); the code is single-use; refresh; revoke', async () => {
    const location = await authorize();
    assert.equal(location.searchParams.get('state'), 'st4te');
    assert.equal(location.searchParams.get('iss'), base);
    const code = location.searchParams.get('code');
    secretsSeen.add(code);
    const exchange = () => form('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri(), client_id: SPA, code_verifier: verifier });
    const response = await exchange();
    assert.equal(response.status, 200);
    const tokens = await response.json();
    secretsSeen.add(tokens.refresh_token);
    assert.equal(tokens.scope, 'openid read:resources');
    const { payload } = await verifyAccessToken(tokens.access_token);
    assert.equal(payload.client_id, SPA);
    const jwks = createLocalJWKSet(await (await fetch(`${base}/.well-known/jwks.json`)).json());
    const id = await jwtVerify(tokens.id_token, jwks, { issuer: base, audience: SPA });
    assert.equal(id.payload.nonce, 'n0nce');
    assert.equal(id.payload.email, EMAIL);
    assert.equal((await fetch(`${base}/v1/resources`, { headers: bearer(tokens.access_token) })).status, 200);

    // A replayed code fails and revokes what the first exchange produced.
    await expectError(await exchange(), 400, 'invalid_grant');
    await expectError(await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: SPA }), 400, 'invalid_grant');
  });

  test('refresh_token grant rotates; revocation (RFC 7009) ends refresh and access tokens', async () => {
    const code = (await authorize({ scope: 'read:resources' })).searchParams.get('code');
    const tokens = await (await form('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri(), client_id: SPA, code_verifier: verifier })).json();
    const refreshed = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: SPA });
    assert.equal(refreshed.status, 200);
    const next = await refreshed.json();
    secretsSeen.add(next.refresh_token);
    assert.notEqual(next.refresh_token, tokens.refresh_token);

    assert.equal((await form('/oauth/revoke', { token: next.refresh_token, client_id: SPA })).status, 200);
    await expectError(await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: next.refresh_token, client_id: SPA }), 400, 'invalid_grant');
    assert.equal((await form('/oauth/revoke', { token: next.access_token, token_type_hint: 'access_token', client_id: SPA })).status, 200);
    await expectError(await fetch(`${base}/v1/resources`, { headers: bearer(next.access_token) }), 401, 'invalid_token');
    assert.equal((await form('/oauth/revoke', { token: 'unknown', client_id: SPA })).status, 200, 'unknown tokens: 200 too');
  });

  test('a wrong code_verifier, a wrong redirect_uri or another client fail with invalid_grant', async () => {
    const wrongVerifier = 'x'.repeat(43);
    const code1 = (await authorize()).searchParams.get('code');
    await expectError(await form('/oauth/token', { grant_type: 'authorization_code', code: code1, redirect_uri: redirectUri(), client_id: SPA, code_verifier: wrongVerifier }), 400, 'invalid_grant');
    const code2 = (await authorize()).searchParams.get('code');
    await expectError(await form('/oauth/token', { grant_type: 'authorization_code', code: code2, redirect_uri: 'http://127.0.0.1:9/cb', client_id: SPA, code_verifier: verifier }), 400, 'invalid_grant');
    const code3 = (await authorize()).searchParams.get('code');
    await expectError(await form('/oauth/token', { grant_type: 'authorization_code', code: code3, redirect_uri: redirectUri(), code_verifier: verifier }, basic(SERVICE, SERVICE_SECRET)), 400, 'invalid_grant');
  });

  test('wrong credentials on the login page: the form again with a message, no redirect', async () => {
    const response = await form('/oauth/authorize', { ...authorizeParams(), email: EMAIL, password: 'wrong', decision: 'allow' });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('location'), null);
    assert.match(await response.text(), /Invalid email or password/);
  });
});

describe('client credentials', () => {
  test('client_secret_basic and client_secret_post both work; no refresh token', async () => {
    for (const [params, headers] of [
      [{ grant_type: 'client_credentials', scope: 'read:resources' }, basic(SERVICE, SERVICE_SECRET)],
      [{ grant_type: 'client_credentials', scope: 'read:resources', client_id: SERVICE, client_secret: SERVICE_SECRET }, {}],
    ]) {
      const response = await form('/oauth/token', params, headers);
      assert.equal(response.status, 200);
      const tokens = await response.json();
      assert.equal(tokens.refresh_token, undefined);
      assert.equal(tokens.scope, 'read:resources');
      const { payload } = await verifyAccessToken(tokens.access_token);
      assert.equal(payload.sub, SERVICE);
      assert.equal((await fetch(`${base}/v1/resources`, { headers: bearer(tokens.access_token) })).status, 200);
    }
  });

  test('a wrong secret is 401 invalid_client (with a Basic challenge when Basic was used)', async () => {
    const viaBasic = await form('/oauth/token', { grant_type: 'client_credentials' }, basic(SERVICE, 'wrong'));
    assert.match(viaBasic.headers.get('www-authenticate'), /^Basic /);
    await expectError(viaBasic, 401, 'invalid_client');
    await expectError(await form('/oauth/token', { grant_type: 'client_credentials', client_id: SERVICE, client_secret: 'wrong' }), 401, 'invalid_client');
    await expectError(await form('/oauth/token', { grant_type: 'client_credentials', client_id: SPA }), 400, 'unauthorized_client');
    await expectError(await form('/oauth/token', { grant_type: 'password', client_id: SPA }), 400, 'unsupported_grant_type');
  });
});

describe('discovery', () => {
  test('RFC 8414 and OpenID metadata name this issuer and its endpoints', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const meta = await (await fetch(`${base}${path}`)).json();
      assert.equal(meta.issuer, base);
      assert.equal(meta.token_endpoint, `${base}/oauth/token`);
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    }
    const jwks = await (await fetch(`${base}/.well-known/jwks.json`)).json();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].kty, 'EC');
    assert.equal(jwks.keys[0].d, undefined, 'no private part');
  });
});

describe('bad input', () => {
  test('malformed JSON, missing fields, wrong types, wrong content type: 400 with a message', async () => {
    const raw = (body, type = 'application/json') => fetch(`${base}/v1/auth/login`, { method: 'POST', headers: { 'content-type': type }, body });
    await expectError(await raw('{"email":'), 400, 'invalid_request');
    await expectError(await raw('{"email":"a@b.c"}'), 400, 'invalid_request');
    await expectError(await raw('{"email":1,"password":2}'), 400, 'invalid_request');
    await expectError(await raw('[]'), 400, 'invalid_request');
    await expectError(await raw('email=a', 'text/plain'), 400, 'invalid_request');
    await expectError(await form('/oauth/token', {}), 401, 'invalid_client');
  });

  test('an oversized body is 413', async () => {
    const big = JSON.stringify({ email: 'a'.repeat(100_000), password: 'x' });
    await expectError(await fetch(`${base}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }), 413, 'invalid_request');
  });

  test('unknown API paths are JSON 404s; the demo page is served at /', async () => {
    await expectError(await fetch(`${base}/v1/nope`), 404, 'not_found');
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /wasm-auth/);
  });
});

describe('limits and lifetimes (a second server with strict settings)', () => {
  let strict;
  before(async () => {
    strict = await startReferenceServer({ dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-strict-')),
      args: ['--login-max-failures', '3', '--login-window', '30', '--access-ttl', '2'] });
  });
  after(() => strict?.stop());

  test('repeated failed logins from one client are rate-limited with Retry-After', async () => {
    const attempt = (password) => fetch(`${strict.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password }) });
    for (let i = 0; i < 3; i++) assert.equal((await attempt('wrong')).status, 401);
    const limited = await attempt(PASSWORD);
    assert.equal(limited.status, 429, 'even the right password waits out the window');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await limited.json()).error, 'too_many_requests');
  });

  test('an access token stops working once it expires', async () => {
    // The rate-limit test above locked 127.0.0.1 out of login; client credentials are separate.
    const tokens = await (await fetch(`${strict.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(SERVICE, SERVICE_SECRET) }, body: 'grant_type=client_credentials' })).json();
    assert.equal(tokens.expires_in, 2);
    assert.equal((await fetch(`${strict.url}/v1/resources`, { headers: bearer(tokens.access_token) })).status, 200);
    await sleep(3100);
    const expired = await fetch(`${strict.url}/v1/resources`, { headers: bearer(tokens.access_token) });
    assert.equal(expired.status, 401);
    assert.equal(decodeJwt(tokens.access_token).exp * 1000 < Date.now(), true);
  });
});

test('no password, token, key, code or session id ever reached the server log', () => {
  const log = server.output();
  assert.ok(log.includes('POST /v1/auth/login 200'), 'the log has request lines');
  for (const secret of [PASSWORD, SERVICE_SECRET, ...secretsSeen]) {
    assert.ok(!log.includes(secret), 'a secret was found in the server log');
  }
});
