// JwtVerifier.verifyRequest under Node: Bearer tokens and API keys, scopes, and the ready
// RFC 6750 answers (401 with a challenge, 403 insufficient_scope, 503 when keys are unreachable).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, test } from 'node:test';
import * as jose from 'jose';
import { JwtVerifier } from '../../pkg/node.js';
import { freePort } from './helpers.mjs';

let verifier;
let sign;
const apiKey = 'sk_live_edge_example_key_0123456789';
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

before(async () => {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  sign = (claims) => new jose.SignJWT({ sub: 'user-1', ...claims }).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://issuer.example').setExpirationTime('5m').sign(privateKey);
  verifier = new JwtVerifier({
    jwk: await jose.exportJWK(publicKey),
    issuer: 'https://issuer.example',
    apiKeys: [{ sha256: sha256(apiKey), scopes: ['read:resources'], name: 'reporting-job' }],
  });
});

const request = (headers) => new Request('https://edge.example/v1/edge/resources', { headers });

test('a valid Bearer token with the needed scopes: the claims', async () => {
  const token = await sign({ scope: 'read:resources write:resources' });
  const result = await verifier.verifyRequest(request({ authorization: `Bearer ${token}` }), { scopes: ['read:resources'] });
  assert.equal(result.ok, true);
  assert.equal(result.via, 'bearer');
  assert.equal(result.payload.sub, 'user-1');
  assert.equal(result.protectedHeader.alg, 'ES256');
});

test('no credentials: 401 with bare Bearer and DPoP challenges (RFC 6750 3.1, RFC 9449 7.1: dpop is "allowed" by default)', async () => {
  const result = await verifier.verifyRequest(request({}), { scopes: ['read:resources'] });
  assert.equal(result.ok, false);
  assert.equal(result.error.code, 'ERR_AUTH_NOT_AUTHENTICATED');
  assert.equal(result.response.status, 401);
  assert.equal(result.response.headers.get('www-authenticate'), 'Bearer realm="wasm-auth", DPoP realm="wasm-auth", algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"');
  assert.equal((await result.response.json()).error, 'unauthorized');
});

test('an invalid token, a token of a foreign algorithm, or a non-Bearer credential: 401 invalid_token', async () => {
  const foreign = await new jose.SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
  for (const authorization of ['Bearer not-a-jwt', `Bearer ${foreign}`, 'Basic dXNlcjpwYXNz']) {
    const result = await verifier.verifyRequest(request({ authorization }), { realm: 'edge' });
    assert.equal(result.response.status, 401, authorization);
    assert.match(result.response.headers.get('www-authenticate'), /^Bearer realm="edge", error="invalid_token", error_description="[^"]+", DPoP realm="edge", algs="[^"]+"$/);
    assert.equal((await result.response.json()).error, 'invalid_token');
  }
});

test('hostile text in a token never breaks the challenge header (non-ASCII alg)', async () => {
  const token = `${Buffer.from('{"alg":"€\\"\\r\\n"}').toString('base64url')}.e30.AA`;
  const result = await verifier.verifyRequest(request({ authorization: `Bearer ${token}` }));
  assert.equal(result.response.status, 401);
  assert.match(result.response.headers.get('www-authenticate'), /^Bearer realm="wasm-auth", error="invalid_token", error_description="[\x20-\x7e]+", DPoP realm="wasm-auth", algs="[^"]+"$/);
});

test('a single configured key answers whatever kid the token names (as jose does)', async () => {
  const token = await sign({});
  const withKid = `${Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'rotated-2026' })).toString('base64url')}.${token.split('.')[1]}.${token.split('.')[2]}`;
  const result = await verifier.verifyRequest(request({ authorization: `Bearer ${withKid}` }));
  assert.equal(result.ok, false, 'the header changed, so the signature no longer matches');
  assert.equal(result.error.code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'the key was tried despite the unknown kid');
});

test('a missing scope: 403 insufficient_scope naming it', async () => {
  const token = await sign({ scope: 'read:resources' });
  const result = await verifier.verifyRequest(request({ authorization: `Bearer ${token}` }), { scopes: ['write:resources'] });
  assert.equal(result.error.code, 'ERR_AUTH_INSUFFICIENT_SCOPE');
  assert.equal(result.response.status, 403);
  assert.equal(result.response.headers.get('www-authenticate'), 'Bearer realm="wasm-auth", error="insufficient_scope", scope="write:resources", DPoP realm="wasm-auth", algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"');
});

test('scp arrays count as scopes too', async () => {
  const token = await sign({ scp: ['read:resources'] });
  const result = await verifier.verifyRequest(request({ authorization: `Bearer ${token}` }), { scopes: ['read:resources'] });
  assert.equal(result.ok, true);
});

test('API keys: matched by SHA-256, with their own scopes', async () => {
  const ok = await verifier.verifyRequest(request({ 'x-api-key': apiKey }), { scopes: ['read:resources'] });
  assert.deepEqual([ok.ok, ok.via, ok.payload.sub, ok.payload.scope], [true, 'api_key', 'reporting-job', 'read:resources']);
  const wrong = await verifier.verifyRequest(request({ 'x-api-key': `${apiKey}x` }));
  assert.deepEqual([wrong.error.code, wrong.response.status], ['ERR_AUTH_INVALID_API_KEY', 401]);
  const scope = await verifier.verifyRequest(request({ 'x-api-key': apiKey }), { scopes: ['write:resources'] });
  assert.equal(scope.response.status, 403);
});

test('keys that cannot be fetched: 503 with Retry-After, not a 401 that would log users out', async () => {
  const remote = new JwtVerifier({ jwksUri: `http://127.0.0.1:${await freePort()}/jwks.json` });
  const token = await sign({});
  const result = await remote.verifyRequest(request({ authorization: `Bearer ${token}` }));
  assert.equal(result.error.code, 'ERR_JWKS_FETCH_FAILED');
  assert.equal(result.response.status, 503);
  assert.equal(result.response.headers.get('retry-after'), '5');
});

test('programming errors reject instead of answering', async () => {
  await assert.rejects(verifier.verifyRequest({}), { code: 'ERR_AUTH_INVALID_OPTIONS' });
  await assert.rejects(verifier.verifyRequest(request({}), { scopes: 'read' }), { code: 'ERR_AUTH_INVALID_OPTIONS' });
});

test('an empty scope list, or an empty scope, is refused: it would require nothing', async () => {
  const token = await sign({ scope: 'read:resources' });
  for (const scopes of [[], [''], ['read:resources', '']]) {
    await assert.rejects(verifier.verifyRequest(request({ authorization: `Bearer ${token}` }), { scopes }),
      { code: 'ERR_AUTH_INVALID_OPTIONS', message: /scopes/ }, JSON.stringify(scopes));
  }
});

test('verify() refuses a DPoP-bound token (it sees no proof) unless the caller says it checks the binding', async () => {
  const bound = await sign({ cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } });
  await assert.rejects(verifier.verify(bound), { code: 'ERR_DPOP_BINDING_MISMATCH' });
  const accepted = await verifier.verify(bound, { dpopBindingCheckedByCaller: true });
  assert.equal(accepted.payload.cnf.jkt, '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I');
  assert.equal((await verifier.verify(await sign({}))).payload.sub, 'user-1');
  await assert.rejects(verifier.verify(bound, { dpopBindingCheckedByCaller: 'yes' }), { code: 'ERR_AUTH_INVALID_OPTIONS' });
});
