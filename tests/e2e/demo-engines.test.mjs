// The demo page as `make demo` runs it, clicked through on its main paths in every engine of
// WASM_AUTH_ENGINES (tests/e2e/engines.mjs): JWT login, the API and the edge worker with the
// token, JWT verification, a cookie session across a reload, OAuth 2.0 + PKCE through the
// server's consent page, and nothing stored. demo.test.mjs checks every detail of the page
// (layout at 375 px, screenshots, the method table, the many tabs) in Chromium through Playwright.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDemo } from '../../scripts/demo.mjs';
import { engines, launch } from './engines.mjs';
import { freePort, packageVersion, root } from './helpers.mjs';

const JWT_PATTERN = /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/;

let demo;

before(async () => {
  demo = await startDemo({
    dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-demo-')),
    port: 0, shortPort: 0, edgePort: await freePort(),
    servedDir: mkdtempSync(join(tmpdir(), 'wasm-auth-demo-www-')),
    edgeOutDir: join(root, 'target', 'e2e', 'demo-engines-edge-worker'),
  });
});

after(async () => {
  await demo?.stop();
});

const ready = (page) => page.waitForFunction(() => document.body?.dataset.ready === 'true', null, { timeout: 15_000 });

/** The text of `selector`, once it matches `pattern` (the page updates it after a request). */
async function waitText(page, selector, pattern, timeout = 10_000) {
  const read = () => page.evaluate((s) => document.querySelector(s)?.innerText ?? null, selector);
  try {
    await page.waitForFunction(([s, source, flags]) => new RegExp(source, flags).test(document.querySelector(s)?.innerText ?? ''),
      [selector, pattern.source, pattern.flags], { timeout });
  } catch (e) {
    throw new Error(`${selector} never matched ${pattern}; it shows: ${JSON.stringify(await read().catch(() => '?'))}\n${e.message}`);
  }
  return read();
}

/** The page keeps no token anywhere but wasm-auth's memory (and shows none). */
async function assertNothingStored(page, step) {
  const seen = await page.evaluate(async () => ({
    localStorage: Object.keys(localStorage),
    sessionStorage: Object.keys(sessionStorage),
    indexedDB: (await indexedDB.databases()).map((d) => d.name),
    cookie: document.cookie,
    shown: document.body.innerText,
  }));
  const { shown, ...stored } = seen;
  assert.deepEqual(stored, { localStorage: [], sessionStorage: [], indexedDB: [], cookie: '' }, `storage after ${step}`);
  assert.doesNotMatch(shown, JWT_PATTERN, `no token in the page's text after ${step}`);
}

for (const engine of engines()) describe(engine, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  async function open() {
    const page = await browser.newPage();
    await page.goto(`${demo.url}/`);
    await ready(page);
    return page;
  }

  test('JWT login, the API and the edge worker with the token, verification of the current token, logout', async () => {
    const page = await open();
    assert.equal(await waitText(page, '#version', /\d/), packageVersion());
    await page.click({ text: 'Log in with JWT' });
    await waitText(page, '#jwt-status', /^Logged in/);
    assert.match(await waitText(page, '#token-claims', /user_demo/), /user_demo/);
    await assertNothingStored(page, 'JWT login');

    await page.click({ text: 'GET /v1/resources' });
    assert.match(await waitText(page, '#api-status', /^200/), /authenticated via bearer/);
    await page.click({ text: "GET the edge worker's /v1/edge/resources" });
    assert.match(await waitText(page, '#api-status', /verified at the edge/), /ES256.*user_demo/);

    await page.click({ text: 'Use my current access token' });
    await page.click({ text: 'Verify' });
    assert.match(await waitText(page, '#verify-status', /^Valid/), /ES256 signature matches/);
    await page.fill('#verify-token', 'this is not a token');
    await page.click({ text: 'Verify' });
    assert.match(await waitText(page, '#verify-error', /Rejected/), /ERR_JWS_INVALID/);
    await assertNothingStored(page, 'API calls and verification');
    await page.close();
  });

  test('cookie session: log in, call the API with the cookie, survive a reload, log out', async () => {
    const page = await open();
    await page.click({ text: 'Log in with a cookie session' });
    assert.match(await waitText(page, '#session-status', /^Session active/), /user_demo \(user@example\.com\)/);
    await page.click({ text: 'GET /v1/resources with the cookie' });
    assert.match(await waitText(page, '#session-status', /^200/), /authenticated via session/);
    await page.reload();
    await ready(page);
    await waitText(page, '#session-status', /^Session active/);
    await page.click({ text: 'Log out of the session' });
    await waitText(page, '#session-status', /^Logged out/);
    await page.click({ text: 'GET /v1/resources with the cookie' });
    await waitText(page, '#session-error', /Not authenticated \(401\)/);
    await assertNothingStored(page, 'cookie session');
    await page.close();
  });

  test('OAuth 2.0 + PKCE: through the server\'s sign-in and consent page and back, logged in', async () => {
    const page = await open();
    await page.click({ text: 'Log in with OAuth 2.0 + PKCE' });
    await page.waitForURL((url) => url.pathname === '/oauth/authorize', { timeout: 10_000 });
    await page.fill('#email', 'user@example.com');
    await page.fill('#password', 'securepassword');
    await page.click('button[value=allow]');
    await page.waitForURL((url) => url.origin === demo.url && url.pathname === '/', { timeout: 10_000 });
    await ready(page);
    assert.match(await waitText(page, '#oauth-status', /Logged in through OAuth/), /read:resources/);
    const address = new URL(await page.url());
    assert.equal(address.searchParams.has('code'), false, 'the code is gone from the address bar');
    await assertNothingStored(page, 'the OAuth callback');
    await page.click({ text: 'GET /v1/resources' });
    assert.match(await waitText(page, '#api-status', /^200/), /authenticated via bearer/);
    await page.close();
  });
});
