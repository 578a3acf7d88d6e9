// OAuthClient in every engine of WASM_AUTH_ENGINES (tests/e2e/engines.mjs) against the reference server over real HTTP: the whole
// redirect flow through its login and consent page, the API called with the tokens, a refresh
// through the token endpoint, revocation; and every failure the issue names, with its code.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { engines, launch } from './engines.mjs';
import { editOAuthTransaction, makeProject } from './helpers.mjs';

let project;
let api;

before(async () => {
  project = await makeProject('oauth-reference', {});
  cpSync(join(import.meta.dirname, 'fixtures', 'client-page'), join(project, 'www'), { recursive: true });
  api = await startReferenceServer({
    dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-oauth-')),
    wwwDir: join(project, 'www'),
    pkgDir: join(project, 'node_modules', 'wasm-auth'),
    args: ['--request-stats', '--access-ttl', '4'],
  });
});

after(async () => {
  await api?.stop();
});

const count = async (endpoint) => ((await (await fetch(`${api.url}/_stats`)).json()).requests[endpoint] ?? 0);

for (const engine of engines()) describe(engine, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  async function newPage() {
    const page = await browser.newPage();
    await page.goto(`${api.url}/index.html`);
    await page.waitForFunction(() => window.ready === true);
    return page;
  }

  /** Starts the flow in the page; resolves once the browser is on the server's authorization page. */
  async function startFlow(page, { scope = 'openid read:resources write:resources', appState } = {}) {
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/oauth/authorize'),
      page.evaluate(async ([origin, s, state]) => {
        const oauth = await wa.OAuthClient.discover(origin, { clientId: 'demo-spa', redirectUri: `${origin}/`, scope: s, baseUrl: `${origin}/v1` });
        // After this evaluate has returned: the navigation would otherwise destroy its context.
        setTimeout(() => oauth.authorize({ appState: state }), 0);
      }, [api.url, scope, appState]),
    ]);
  }

  /** Signs in on the server's page and lets it redirect back to the app. */
  async function consent(page, decision = 'allow') {
    await page.fill('#email', 'user@example.com');
    await page.fill('#password', 'securepassword');
    await Promise.all([
      page.waitForURL((url) => url.origin === api.url && url.pathname === '/'),
      page.click(`button[value=${decision}]`),
    ]);
    await page.waitForFunction(() => window.ready === true);
  }

  /** A new OAuthClient on the callback page, as an app builds after the redirect. */
  const handle = (page, url) => page.evaluate(async ([origin, callbackUrl]) => {
    window.oauth = await wa.OAuthClient.discover(origin, { clientId: 'demo-spa', redirectUri: `${origin}/`, scope: 'openid read:resources write:resources', baseUrl: `${origin}/v1` });
    try {
      const result = await window.oauth.handleRedirectCallback(callbackUrl ?? undefined);
      return { ok: true, result };
    } catch (e) {
      return { ok: false, code: e.code, error: e.error, claim: e.claim, message: e.message };
    }
  }, [api.url, url ?? null]);

  test('the whole flow: PKCE redirect, login and consent, tokens, API call, refresh, revocation', async () => {
    const page = await newPage();
    await startFlow(page, { appState: { returnTo: '/reports' } });
    const authorizeUrl = new URL(await page.url());
    assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorizeUrl.searchParams.get('code_challenge'), /^[\w-]{43}$/);
    assert.match(authorizeUrl.searchParams.get('state'), /^[\w-]{43}$/);
    assert.match(authorizeUrl.searchParams.get('nonce'), /^[\w-]{43}$/);
    await consent(page);
    const callbackUrl = await page.url();
    assert.match(callbackUrl, /[?&]code=/);
    const tokenRequestsBefore = await count('POST /oauth/token');

    // React StrictMode calls the handler twice: same result, one code exchange.
    const both = await page.evaluate(async (origin) => {
      const oauth = await wa.OAuthClient.discover(origin, { clientId: 'demo-spa', redirectUri: `${origin}/`, baseUrl: `${origin}/v1` });
      window.oauth = oauth;
      record(oauth.tokenManager);
      const [a, b] = await Promise.all([oauth.handleRedirectCallback(), oauth.handleRedirectCallback()]);
      return { a, same: JSON.stringify(a) === JSON.stringify(b), href: location.href, stored: Object.keys(sessionStorage) };
    }, api.url);
    assert.equal(both.same, true);
    assert.equal(await count('POST /oauth/token'), tokenRequestsBefore + 1, 'one code exchange');
    assert.equal(both.href, `${api.url}/`, 'code and state are gone from the address bar');
    assert.deepEqual(both.stored, [], 'the transaction was deleted');
    assert.deepEqual(both.a.appState, { returnTo: '/reports' });
    assert.equal(both.a.tokenResponse, null, 'the tokens went to the TokenManager, not to the page');
    assert.equal(both.a.idTokenClaims.iss, api.url);
    assert.equal(both.a.idTokenClaims.aud, 'demo-spa');
    assert.equal(both.a.idTokenClaims.sub, 'user_demo');
    assert.equal(both.a.idTokenClaims.email, 'user@example.com');
    assert.match(both.a.idTokenClaims.nonce, /^[\w-]{43}$/);
    assert.equal(both.a.info.scope, 'openid read:resources write:resources');

    const call = await page.evaluate(async () => {
      const response = await window.oauth.tokenManager.fetch('resources');
      return { status: response.status, body: await response.json() };
    });
    assert.equal(call.status, 200);
    assert.equal(call.body.authenticated_via, 'bearer');

    // 4-second tokens, default margin: refreshed at mid-life through the token endpoint.
    await page.waitForFunction(() => window.events.filter((e) => e.type === 'tokenchange').length >= 2, null, { timeout: 10_000 });
    assert.equal(await count('POST /oauth/token'), tokenRequestsBefore + 2, 'a refresh_token grant');
    const token = await page.evaluate(() => window.oauth.tokenManager.getToken());
    const revoked = await page.evaluate(() => window.oauth.tokenManager.logout());
    assert.deepEqual(revoked, { revoked: true });
    const after = await fetch(`${api.url}/v1/resources`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401, 'revoked at the server');
    assert.deepEqual(await page.problems(), []);

    // The same callback URL again (a reload, a back button): no transaction, no second exchange.
    await page.goto(callbackUrl);
    await page.waitForFunction(() => window.ready === true);
    const replay = await handle(page);
    assert.equal(replay.code, 'ERR_OAUTH_TRANSACTION_MISSING');
    assert.equal(await count('POST /oauth/token'), tokenRequestsBefore + 2);
    await page.close();
  });

  test('a tampered state is refused (and the real callback still works)', async () => {
    const page = await newPage();
    await startFlow(page);
    await consent(page);
    const url = new URL(await page.url());
    const real = url.href;
    url.searchParams.set('state', 'attacker-state');
    const tampered = await handle(page, url.href);
    assert.equal(tampered.code, 'ERR_OAUTH_STATE_MISMATCH');
    const genuine = await handle(page, real);
    assert.equal(genuine.ok, true, genuine.message);
    await page.close();
  });

  test('access_denied comes back as ERR_OAUTH_CALLBACK_ERROR with the OAuth error code', async () => {
    const page = await newPage();
    await startFlow(page);
    await consent(page, 'deny');
    assert.match(await page.url(), /error=access_denied/);
    const denied = await handle(page);
    assert.equal(denied.code, 'ERR_OAUTH_CALLBACK_ERROR');
    assert.equal(denied.error, 'access_denied');
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), [], 'the transaction is gone');
    await page.close();
  });

  test('a wrong code_verifier is refused by the server: ERR_OAUTH_TOKEN_ERROR invalid_grant', async () => {
    const page = await newPage();
    await startFlow(page);
    await consent(page);
    await editOAuthTransaction(page, { fields: { code_verifier: 'x'.repeat(43) } });
    const wrong = await handle(page);
    assert.equal(wrong.code, 'ERR_OAUTH_TOKEN_ERROR');
    assert.equal(wrong.error, 'invalid_grant');
    await page.close();
  });

  test('an expired transaction (over 10 minutes) is refused before any exchange', async () => {
    const page = await newPage();
    await startFlow(page);
    await consent(page);
    await editOAuthTransaction(page, { olderByMs: 11 * 60 * 1000 });
    const before = await count('POST /oauth/token');
    const old = await handle(page);
    assert.equal(old.code, 'ERR_OAUTH_TRANSACTION_EXPIRED');
    assert.equal(await count('POST /oauth/token'), before);
    await page.close();
  });

  test('discovery refuses a document that names another issuer', async () => {
    const page = await newPage();
    const outcome = await page.evaluate(async (origin) => {
      // The server's origin through another name: its document says 127.0.0.1, not localhost.
      const other = origin.replace('127.0.0.1', 'localhost');
      return wa.OAuthClient.discover(other, { clientId: 'demo-spa', redirectUri: `${origin}/` }).then(() => 'accepted', (e) => e.code);
    }, api.url);
    assert.equal(outcome, 'ERR_OAUTH_ISSUER_MISMATCH');
    await page.close();
  });
});
