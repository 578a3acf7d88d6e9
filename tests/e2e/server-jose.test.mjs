// Interop: the reference server's tokens, checked by `jose` (the JOSE library most JS code uses)
// against the server's live JWKS. The server's own behaviour is tested in server/tests.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startReferenceServer } from '../../scripts/reference-server.mjs';

let server;
let jwks;

const post = (path, body, type = 'json', headers = {}) => fetch(`${server.url}${path}`, {
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': type === 'json' ? 'application/json' : 'application/x-www-form-urlencoded', ...headers },
  body: type === 'json' ? JSON.stringify(body) : new URLSearchParams(body),
});

const verifyAccess = (token) => jwtVerify(token, jwks, { issuer: server.url, audience: 'wasm-auth-api', algorithms: ['ES256'] });

before(async () => {
  server = await startReferenceServer({ dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-jose-')) });
  const meta = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
  jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
});

after(() => server?.stop());

test('login and refresh tokens verify with jose (ES256, kid, iss, aud, exp, scope)', async () => {
  const tokens = await (await post('/v1/auth/login', { email: 'user@example.com', password: 'securepassword' })).json();
  const { payload, protectedHeader } = await verifyAccess(tokens.access_token);
  assert.equal(protectedHeader.alg, 'ES256');
  assert.ok(protectedHeader.kid);
  assert.equal(payload.sub, 'user_demo');
  assert.equal(payload.scope, 'read:resources write:resources api_keys:read api_keys:write');
  assert.equal(payload.exp - payload.iat, tokens.expires_in);
  const refreshed = await (await post('/v1/auth/refresh', { refresh_token: tokens.refresh_token })).json();
  await verifyAccess(refreshed.access_token);
});

test('client-credentials tokens verify with jose', async () => {
  const basic = `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`;
  const tokens = await (await post('/oauth/token', { grant_type: 'client_credentials' }, 'form', { authorization: basic })).json();
  const { payload } = await verifyAccess(tokens.access_token);
  assert.equal(payload.sub, 'demo-service');
  assert.equal(payload.client_id, 'demo-service');
});

test('the ID token of the code flow verifies with jose (aud = client, nonce)', async () => {
  const verifier = 'a'.repeat(43);
  const redirectUri = `${server.url}/callback`;
  const flow = {
    response_type: 'code', client_id: 'demo-spa', redirect_uri: redirectUri, scope: 'openid read:resources', state: 's',
    nonce: 'n-123', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  };
  // The login form as a browser gets it: its form token, and the cookie that token is bound to.
  const page = await fetch(`${server.url}/oauth/authorize?${new URLSearchParams(flow)}`);
  const csrfToken = /name="csrf_token" value="([^"]+)"/.exec(await page.text())?.[1];
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const consent = await post('/oauth/authorize', {
    ...flow, email: 'user@example.com', password: 'securepassword', decision: 'allow', csrf_token: csrfToken,
  }, 'form', { cookie, origin: server.url });
  assert.equal(consent.status, 303);
  const code = new URL(consent.headers.get('location')).searchParams.get('code');
  const tokens = await (await post('/oauth/token', {
    grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: 'demo-spa', code_verifier: verifier,
  }, 'form')).json();
  const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: server.url, audience: 'demo-spa' });
  assert.equal(payload.nonce, 'n-123');
  assert.equal(payload.email, 'user@example.com');
  await verifyAccess(tokens.access_token);
});
