// OAuthClient in every engine of WASM_AUTH_ENGINES (tests/e2e/engines.mjs) against oidc-provider (npm), a certified OpenID provider:
// discovery, the redirect flow through its own login and consent pages, the ID token verified
// against its JWKS, userinfo called with the access token, a refresh (rotating refresh tokens),
// revocation, and the failure codes.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { startOidcProvider } from './fixtures/oidc-provider.mjs';
import { engines, launch } from './engines.mjs';
import { editOAuthTransaction, freePort, makeProject } from './helpers.mjs';

let pages; // the reference server only serves the test page (its origin is the SPA's)
let op; // one provider per engine: its grant counters are per engine's tests

before(async () => {
  const project = await makeProject('oauth-oidc-provider', {});
  cpSync(join(import.meta.dirname, 'fixtures', 'client-page'), join(project, 'www'), { recursive: true });
  pages = await startReferenceServer({
    dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-op-')), wwwDir: join(project, 'www'), pkgDir: join(project, 'node_modules', 'wasm-auth'),
  });
});

after(async () => {
  await pages?.stop();
});

for (const engine of engines()) describe(engine, () => {
  let browser;
  before(async () => {
    op = await startOidcProvider({ port: await freePort(), pageOrigin: pages.url, accessTokenTtl: 6 });
    browser = await launch(engine);
  });
  after(async () => {
    await browser?.close();
    await op?.close();
  });

  async function newPage() {
    const page = await browser.newPage();
    await page.goto(`${pages.url}/index.html`);
    await page.waitForFunction(() => window.ready === true);
    return page;
  }

  const clientOptions = (origin, issuer) => ({ clientId: 'spa', redirectUri: `${origin}/`, scope: 'openid offline_access', baseUrl: issuer });

  async function signIn(page, { cancel = false } = {}) {
    await Promise.all([
      page.waitForURL((url) => url.origin === op.issuer),
      page.evaluate(async ([issuer, options]) => {
        const oauth = await wa.OAuthClient.discover(issuer, options);
        // After this evaluate has returned: the navigation would otherwise destroy its context.
        setTimeout(() => oauth.authorize({ extraParams: { prompt: 'consent' } }), 0);
      }, [op.issuer, clientOptions(pages.url, op.issuer)]),
    ]);
    const back = page.waitForURL((url) => url.origin === pages.url, { timeout: 15_000 });
    if (cancel) {
      await page.click({ text: '[ Cancel ]' });
    } else {
      await page.fill('input[name=login]', 'alice');
      await page.fill('input[name=password]', 'any password');
      await page.click('button[type=submit]');
      // The consent page (the login form gone): its Continue button.
      await page.waitForFunction(() => document.querySelector('input[name=login]') === null && document.querySelector('button[type=submit]') !== null);
      await page.click('button[type=submit]'); // consent: Continue
    }
    await back;
    await page.waitForFunction(() => window.ready === true);
  }

  const handle = (page) => page.evaluate(async ([issuer, options]) => {
    window.oauth = await wa.OAuthClient.discover(issuer, options);
    record(window.oauth.tokenManager);
    try {
      return { ok: true, result: await window.oauth.handleRedirectCallback() };
    } catch (e) {
      return { ok: false, code: e.code, error: e.error, message: e.message };
    }
  }, [op.issuer, clientOptions(pages.url, op.issuer)]);

  test('oidc-provider: sign in, ID token verified, userinfo called, refresh, revocation', async () => {
    const page = await newPage();
    await signIn(page);
    assert.match(await page.url(), /[?&]iss=/, 'oidc-provider sends RFC 9207 iss');
    const { ok, result, message } = await handle(page);
    assert.ok(ok, message);
    assert.equal(result.idTokenClaims.iss, op.issuer);
    assert.equal(result.idTokenClaims.aud, 'spa');
    assert.equal(result.idTokenClaims.sub, 'alice');
    assert.match(result.idTokenClaims.nonce, /^[\w-]{43}$/);
    assert.equal(await page.evaluate(() => location.search), '', 'callback parameters removed');

    const me = await page.evaluate(async () => {
      const response = await window.oauth.tokenManager.fetch('/me');
      return { status: response.status, body: await response.json() };
    });
    assert.equal(me.status, 200);
    assert.equal(me.body.sub, 'alice');
    assert.equal(op.grants('authorization_code'), 1);

    // 6-second access tokens: the TokenManager refreshes at mid-life through oidc-provider's
    // token endpoint, which rotates the refresh token.
    await page.waitForFunction(() => window.events.filter((e) => e.type === 'tokenchange').length >= 3, null, { timeout: 15_000 });
    assert.ok(op.grants('refresh_token') >= 2, 'two rotations in a row worked');
    const meAgain = await page.evaluate(async () => (await window.oauth.tokenManager.fetch('/me')).status);
    assert.equal(meAgain, 200);

    const token = await page.evaluate(() => window.oauth.tokenManager.getToken());
    const logout = await page.evaluate(() => window.oauth.tokenManager.logout());
    assert.deepEqual(logout, { revoked: true });
    const afterRevoke = await fetch(`${op.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(afterRevoke.status, 401, 'oidc-provider revoked the access token');
    assert.deepEqual(await page.problems(), []);
    await page.close();
  });

  test('oidc-provider: the user cancels: ERR_OAUTH_CALLBACK_ERROR access_denied', async () => {
    const page = await newPage();
    await signIn(page, { cancel: true });
    const outcome = await handle(page);
    assert.equal(outcome.code, 'ERR_OAUTH_CALLBACK_ERROR');
    assert.equal(outcome.error, 'access_denied');
    await page.close();
  });

  test('oidc-provider: a wrong code_verifier: ERR_OAUTH_TOKEN_ERROR invalid_grant', async () => {
    const page = await newPage();
    await signIn(page);
    await editOAuthTransaction(page, { fields: { code_verifier: 'y'.repeat(43) } });
    const outcome = await handle(page);
    assert.equal(outcome.code, 'ERR_OAUTH_TOKEN_ERROR');
    assert.equal(outcome.error, 'invalid_grant');
    await page.close();
  });

  test('oidc-provider: a tampered state and a replayed callback URL', async () => {
    const page = await newPage();
    await signIn(page);
    const real = await page.url();
    const tampered = new URL(real);
    tampered.searchParams.set('state', 'forged');
    const forged = await page.evaluate(async ([issuer, options, url]) => {
      const oauth = await wa.OAuthClient.discover(issuer, options);
      return oauth.handleRedirectCallback(url).then(() => 'accepted', (e) => e.code);
    }, [op.issuer, clientOptions(pages.url, op.issuer), tampered.href]);
    assert.equal(forged, 'ERR_OAUTH_STATE_MISMATCH');
    assert.equal((await handle(page)).ok, true);
    await page.goto(real);
    await page.waitForFunction(() => window.ready === true);
    const replay = await handle(page);
    assert.equal(replay.code, 'ERR_OAUTH_TRANSACTION_MISSING');
    assert.equal(op.grants('authorization_code'), 2, 'the replay sent no code');
    await page.close();
  });
});
