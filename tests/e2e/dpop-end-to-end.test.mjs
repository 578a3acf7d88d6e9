// DPoP (RFC 9449) end to end, the package against itself: the package's OWN client proofs
// checked by the package's OWN edge verifier (the other DPoP suites check each side against a
// real peer: the client against oidc-provider and the reference server, the verifier against
// oauth4webapi's proofs).
// 1. Node: ClientCredentials `dpop: true` gets a bound JWT from oidc-provider (dPoP feature on)
//    and calls, through its `fetch`, a Node HTTP server answering with JwtVerifier.verifyRequest
//    (`dpop: 'required'`, the provider's JWKS), for the full module and wasm-auth/verify; the
//    captured request replayed, and the token sent as Bearer, are refused.
// 2. Browser to edge: a TokenManager `dpop: true` in Chromium, logged in at the reference server,
//    calls a worker in workerd (wasm-auth/verify) that verifies with `dpop: 'required'` against
//    the reference server's JWKS, without and with the resource server's nonces.
// Each part also runs a Bearer-only client against the same verifier, which must get a 401.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import Provider from 'oidc-provider';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { SERVICE } from './fixtures/oidc-provider.mjs';
import { freePort, launchChromium, makeProject, startProjectWorker } from './helpers.mjs';

const API = 'urn:wasm-auth:e2e-api';
const b64json = (part) => JSON.parse(Buffer.from(part, 'base64url'));
const sha256 = (text) => createHash('sha256').update(text).digest('base64url');
/** The RFC 7638 thumbprint of a DPoP proof's P-256 `jwk` (members in lexicographic order). */
const proofJkt = (proof) => {
  const { crv, kty, x, y } = b64json(proof.split('.')[0]).jwk;
  return sha256(JSON.stringify({ crv, kty, x, y }));
};

let project;

before(async () => {
  project = await makeProject('dpop-end-to-end', {});
  cpSync(join(import.meta.dirname, 'fixtures', 'client-page'), join(project, 'www'), { recursive: true });
});

/**
 * oidc-provider with DPoP on, issuing JWT access tokens (resource indicators, one resource
 * server: `API`) so that a JwtVerifier can check them against its JWKS.
 */
async function startDpopProvider() {
  const issuer = `http://127.0.0.1:${await freePort()}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: SERVICE.clientId, client_secret: SERVICE.clientSecret, grant_types: ['client_credentials'],
      redirect_uris: [], response_types: [], scope: SERVICE.scope }],
    scopes: ['api:read'],
    cookies: { keys: ['wasm-auth-tests-cookie-key-0123456789'] },
    features: {
      clientCredentials: { enabled: true },
      dPoP: { enabled: true, nonceSecret: Buffer.alloc(32, 9) },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        getResourceServerInfo: () => ({ scope: SERVICE.scope, audience: API, accessTokenFormat: 'jwt', accessTokenTTL: 300 }),
      },
    },
  });
  const server = createServer(provider.callback());
  await new Promise((resolve) => server.listen(Number(new URL(issuer).port), '127.0.0.1', resolve));
  return { issuer, close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }) };
}

/**
 * A Node HTTP server whose handler is `verifyRequest` of `verifier` (made once its origin is
 * known, `dpopOrigin` set to it as the README says for Node servers); `seen` holds each
 * request's Authorization and DPoP headers, to replay one.
 */
async function startVerifierServer(makeVerifier) {
  const seen = [];
  let verifier;
  const server = createServer(async (req, res) => {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    seen.push({ authorization: req.headers.authorization, dpop: req.headers.dpop });
    const request = new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers });
    const auth = await verifier.verifyRequest(request, { scopes: ['api:read'] });
    const response = auth.ok ? Response.json({ via: auth.via, sub: auth.payload.sub, jkt: auth.payload.cnf?.jkt ?? null }) : auth.response;
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  verifier = makeVerifier(url);
  return { url, seen, close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }) };
}

describe('Node: ClientCredentials dpop: true → oidc-provider → JwtVerifier.verifyRequest({ dpop: "required" })', () => {
  let op;
  before(async () => {
    op = await startDpopProvider();
  });
  after(async () => {
    await op?.close();
  });

  for (const entry of ['node.js', 'verify/node.js']) {
    const name = entry === 'node.js' ? 'wasm-auth' : 'wasm-auth/verify';
    test(`${name}: the bound token and its proof pass; a replay, the token as Bearer and a Bearer-only client get 401 with the DPoP challenge`, async () => {
      const { ClientCredentials, JwtVerifier } = await import(pathToFileURL(join(project, 'node_modules', 'wasm-auth', entry)).href);
      const rs = await startVerifierServer((origin) => new JwtVerifier({
        jwksUri: `${op.issuer}/jwks`, issuer: op.issuer, audience: API, dpop: 'required', dpopOrigin: origin,
      }));
      try {
        const options = { tokenEndpoint: `${op.issuer}/token`, clientId: SERVICE.clientId, clientSecret: SERVICE.clientSecret, scope: SERVICE.scope };
        const client = new ClientCredentials({ ...options, allowedOrigins: [rs.url], dpop: true });
        const response = await client.fetch(`${rs.url}/resources?page=1`);
        const body = await response.json();
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.equal(body.via, 'dpop');
        assert.equal(body.sub, SERVICE.clientId);

        // What was sent: `Authorization: DPoP <token>`, a proof whose key the token is bound to.
        assert.equal(rs.seen.length, 1);
        const sent = rs.seen[0];
        const [scheme, token] = sent.authorization.split(' ');
        assert.equal(scheme, 'DPoP');
        assert.equal(token, await client.getToken());
        const claims = b64json(token.split('.')[1]);
        assert.equal(claims.cnf?.jkt, proofJkt(sent.dpop), "the token's cnf.jkt is the proof key's thumbprint");
        assert.equal(body.jkt, claims.cnf.jkt, 'verifyRequest answers the payload with cnf.jkt');
        assert.equal(b64json(sent.dpop.split('.')[1]).ath, sha256(token));

        // The captured request replayed as it was (same token, same proof): refused.
        const replay = await fetch(`${rs.url}/resources?page=1`, { headers: { authorization: sent.authorization, dpop: sent.dpop } });
        assert.equal(replay.status, 401);
        assert.match(replay.headers.get('www-authenticate'), /^DPoP realm="wasm-auth", algs="[^"]+", error="invalid_dpop_proof"/);

        // The same token as Bearer (a plain fetch): refused, with the DPoP challenge.
        const asBearer = await fetch(`${rs.url}/resources`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(asBearer.status, 401);
        assert.match(asBearer.headers.get('www-authenticate'), /^DPoP realm="wasm-auth", algs="[^"]+"/);
        assert.doesNotMatch(asBearer.headers.get('www-authenticate'), /Bearer/, "'required' offers DPoP only");

        // The control: a client without dpop gets a Bearer token, which this verifier refuses.
        const bearerOnly = new ClientCredentials({ ...options, allowedOrigins: [rs.url] });
        const refused = await bearerOnly.fetch(`${rs.url}/resources`);
        assert.equal(refused.status, 401);
        assert.match(rs.seen.at(-1).authorization, /^Bearer /);
        assert.equal(rs.seen.at(-1).dpop, undefined);
      } finally {
        await rs.close();
      }
    });
  }
});

// The edge worker: wasm-auth/verify's JwtVerifier in module scope, verifying the reference
// server's tokens (its JWKS over HTTP) with dpop 'required'; `/nonce/...` also asks for server
// nonces (section 9). CORS for the page's origin, with the DPoP header allowed and DPoP-Nonce and
// WWW-Authenticate exposed, as the README says a cross-origin API must. `/seen` answers what
// came in (scheme, the proof's nonce), to count the client's tries.
const edgeWorker = (issuer, pageOrigin) => `import { JwtVerifier } from 'wasm-auth/verify';
const base = { jwksUri: ${JSON.stringify(`${issuer}/.well-known/jwks.json`)}, issuer: ${JSON.stringify(issuer)}, audience: 'wasm-auth-api', dpop: 'required' };
const verifiers = {
  plain: new JwtVerifier(base),
  nonce: new JwtVerifier({ ...base, dpopNonce: () => ['edge-nonce-2', 'edge-nonce-1'] }),
  coldnonce: new JwtVerifier({ ...base, dpopNonce: () => 'edge-nonce-cold' }),
};
const seen = [];
const cors = {
  'access-control-allow-origin': ${JSON.stringify(pageOrigin)},
  'access-control-allow-headers': 'authorization, dpop',
  'access-control-expose-headers': 'www-authenticate, dpop-nonce',
};
const withCors = (response) => {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(cors)) headers.set(name, value);
  return new Response(response.body, { status: response.status, headers });
};
const proofNonce = (proof) => {
  if (!proof) return null;
  const part = proof.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part)).nonce ?? null;
};
export default {
  async fetch(request) {
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors });
    const name = new URL(request.url).pathname.split('/')[1];
    if (name === 'seen') return Response.json(seen);
    if (!(name in verifiers)) return new Response('no such verifier', { status: 404 });
    seen.push({ name, scheme: (request.headers.get('authorization') ?? '').split(' ')[0], nonce: proofNonce(request.headers.get('dpop')) });
    const auth = await verifiers[name].verifyRequest(request);
    if (!auth.ok) return withCors(auth.response);
    return withCors(Response.json({ via: auth.via, sub: auth.payload.sub, jkt: auth.payload.cnf?.jkt ?? null }));
  },
};
`;

describe('Chromium to workerd: TokenManager dpop: true (reference server) → worker verifyRequest({ dpop: "required" })', () => {
  let browser;
  let api;
  let edge;
  before(async () => {
    api = await startReferenceServer({
      dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-dpop-e2e-')), wwwDir: join(project, 'www'), pkgDir: join(project, 'node_modules', 'wasm-auth'),
    });
    writeFileSync(join(project, 'worker.js'), edgeWorker(api.url, api.url));
    edge = await startProjectWorker(project, join('verify', 'wasm_auth_verify_bg.wasm'));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await edge?.stop();
    await api?.stop();
  });

  const seen = async () => (await fetch(`${edge.url}/seen`)).json();

  /** A fresh page of the reference server's origin, logged in with `options` (plus baseUrl and
   * allowedOrigins: the edge), calling the edge's `paths` in turn through tm.fetch. */
  async function callEdge(options, paths) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${api.url}/index.html`);
    await page.waitForFunction(() => window.ready === true);
    const result = await page.evaluate(async ([options, urls]) => {
      const tm = new wa.TokenManager(options);
      await tm.login('user@example.com', 'securepassword');
      const answers = [];
      for (const url of urls) {
        const response = await tm.fetch(url);
        answers.push({ status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.text() });
      }
      return { answers, claims: tm.claims };
    }, [{ baseUrl: `${api.url}/v1`, allowedOrigins: [edge.url], ...options }, paths.map((p) => `${edge.url}${p}`)]);
    await context.close();
    assert.deepEqual(problems, []);
    return result;
  }

  test('a bound token from the page passes the edge (via dpop, cnf.jkt); with edge nonces, one retry with the nonce', async () => {
    const before = (await seen()).length;
    const { answers, claims } = await callEdge({ dpop: true }, ['/plain/resources', '/nonce/resources', '/nonce/resources?again=1']);
    for (const answer of answers) assert.equal(answer.status, 200, answer.body);
    const bodies = answers.map((a) => JSON.parse(a.body));
    assert.ok(claims.cnf?.jkt, 'the reference server bound the token');
    for (const body of bodies) {
      assert.equal(body.via, 'dpop');
      assert.equal(body.jkt, claims.cnf.jkt);
      assert.equal(body.sub, claims.sub);
    }
    const tries = (await seen()).slice(before);
    assert.deepEqual(tries, [
      { name: 'plain', scheme: 'DPoP', nonce: null },
      // Section 9: 401 use_dpop_nonce + DPoP-Nonce, answered by the client with one retry...
      { name: 'nonce', scheme: 'DPoP', nonce: null },
      { name: 'nonce', scheme: 'DPoP', nonce: 'edge-nonce-2' },
      // ...and the nonce remembered for the edge's origin: the next call needs no retry.
      { name: 'nonce', scheme: 'DPoP', nonce: 'edge-nonce-2' },
    ]);
  });

  // A proof refused for its claims (here: no nonce yet) once still started the token's check,
  // which led the verifier's first JWKS fetch, and verifyRequest answered 401 without awaiting
  // it. In workerd that fetch belonged to the refused request and died with it: the retry then
  // waited the whole refresh bound (3 x timeoutDuration + 1 s = 16 s). The bound below is a hang
  // check, not a speed measurement: a healthy round trip takes well under a second.
  test('a cold isolate: the nonce round trip does not wait for the refused request\'s JWKS fetch', async () => {
    const { ClientCredentials } = await import(pathToFileURL(join(project, 'node_modules', 'wasm-auth', 'verify', 'node.js')).href);
    const client = new ClientCredentials({
      tokenEndpoint: `${api.url}/oauth/token`, clientId: 'demo-service', clientSecret: 'demo-service-secret', scope: 'read:resources', allowedOrigins: [edge.url], dpop: true,
    });
    await client.getToken();
    const started = Date.now();
    const response = await client.fetch(`${edge.url}/coldnonce/resources`);
    assert.equal(response.status, 200);
    assert.equal((await response.json()).via, 'dpop');
    assert.ok(Date.now() - started < 8000, `the nonce round trip took ${Date.now() - started} ms (a JWKS fetch left behind?)`);
  });

  test('the control: a Bearer-only TokenManager gets 401 with the DPoP challenge at the same edge', async () => {
    const before = (await seen()).length;
    const { answers, claims } = await callEdge({}, ['/plain/resources']);
    assert.equal(claims.cnf, undefined, 'an unbound token');
    assert.equal(answers[0].status, 401);
    assert.match(answers[0].challenge, /^DPoP realm="wasm-auth", algs="[^"]+"/);
    // The 401 made the TokenManager refresh once and retry once (README: TokenManager.fetch),
    // both times as Bearer, and the retry got the same answer.
    assert.deepEqual((await seen()).slice(before).map((s) => s.scheme), ['Bearer', 'Bearer']);
  });
});
