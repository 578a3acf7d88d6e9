// The demo page as `make demo` runs it (scripts/demo.mjs: the reference server serving the page
// and pkg/, the short-lifetime instance, the edge worker in workerd), clicked through in headless
// Chromium at 375 px and on a desktop. Every step checks what a visitor sees; screenshots of the
// main states go to target/e2e/artifacts/demo/.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startDemo } from '../../scripts/demo.mjs';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { freePort, launchChromium, packageVersion, root } from './helpers.mjs';

const artifacts = join(root, 'target', 'e2e', 'artifacts', 'demo');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 740 };
const JWT_PATTERN = /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/;

let demo;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  demo = await startDemo({
    dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-demo-')),
    port: 0, shortPort: 0, edgePort: await freePort(),
    servedDir: mkdtempSync(join(tmpdir(), 'wasm-auth-demo-www-')),
    edgeOutDir: join(root, 'target', 'e2e', 'demo-edge-worker'),
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** A fresh browser context (no cookies) on the demo page, once the page says it is ready. */
async function open(viewport = DESKTOP, path = '/') {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.url });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  await page.goto(`${demo.url}${path}`);
  await ready(page);
  return page;
}

async function ready(page) {
  await page.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 })
    .catch((e) => { throw new Error(`${e.message}\n${page.problems.join('\n')}`); });
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

const text = (page, selector) => page.locator(selector).innerText();

/** Waits until `selector`'s text matches `pattern`, and returns it. */
async function waitText(page, selector, pattern, timeout = 10_000) {
  const locator = page.locator(selector);
  await locator.filter({ hasText: pattern }).waitFor({ timeout }).catch(async (e) => {
    throw new Error(`${selector} never matched ${pattern}; it shows: ${JSON.stringify(await locator.innerText().catch(() => '?'))}\n${e.message}`);
  });
  return locator.innerText();
}

/** The page keeps no token anywhere but wasm-auth's memory (and shows none). */
async function assertNothingStored(page, step) {
  const seen = await page.evaluate(async () => ({
    localStorage: Object.keys(localStorage),
    sessionStorage: Object.keys(sessionStorage),
    indexedDB: (await indexedDB.databases()).map((d) => d.name),
    cookie: document.cookie,
  }));
  assert.deepEqual(seen, { localStorage: [], sessionStorage: [], indexedDB: [], cookie: '' }, `storage after ${step}`);
  const shown = await page.locator('body').innerText();
  assert.doesNotMatch(shown, JWT_PATTERN, `no token in the page's text after ${step}`);
  assert.doesNotMatch(shown, /sk_live_[\w-]{8,}/, `no API key in the page's text after ${step}`);
  assert.doesNotMatch(shown, /rt_[\w-]{16,}/, `no refresh token in the page's text after ${step}`);
}

async function assertFits(page, step) {
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  assert.ok(widths.page <= widths.viewport, `no horizontal scrolling at ${widths.viewport} px after ${step} (page is ${widths.page} px wide)`);
}

async function jwtLogin(page, { short = false } = {}) {
  if (short) await page.getByLabel(/Short-lifetime mode/).check();
  await page.getByRole('button', { name: 'Log in with JWT' }).click();
  await waitText(page, '#jwt-status', /^Logged in/);
}

const button = (page, name) => page.getByRole('button', { name, exact: true });

/** The server's request counts (`--request-stats`) of the main instance, or of `url`. */
async function serverCounts(url = demo.url) {
  const response = await fetch(`${url}/_stats`);
  return (await response.json()).requests;
}

/** Clicks the page's Reload button and waits for the reloaded page to be ready. */
async function reloadWithButton(page) {
  await Promise.all([page.waitForEvent('load'), button(page, 'Reload').click()]);
  await ready(page);
}

/** Clicks "Open another tab" and returns the new page, once ready. */
async function openAnotherTab(page) {
  const [tab] = await Promise.all([page.context().waitForEvent('page'), button(page, 'Open another tab').click()]);
  tab.problems = [];
  tab.on('pageerror', (e) => tab.problems.push(`page error: ${e.message}`));
  await tab.waitForLoadState('load');
  await ready(tab);
  return tab;
}

test('at 375 px: the package loads, every section and the method table are there, labelled, without horizontal scrolling', async () => {
  const page = await open(PHONE);
  assert.equal(await text(page, '#version'), packageVersion());
  assert.match(await text(page, '#setup'), /edge worker: http:\/\/127\.0\.0\.1:\d+\/v1\/edge\/resources/);
  for (const heading of ['JWT login', 'Call the API', 'API keys', 'OAuth 2.0', 'Cookie session', 'Verify any JWT', 'Choosing the right method']) {
    assert.equal(await page.getByRole('heading', { name: new RegExp(heading) }).count(), 1, heading);
  }
  const table = page.getByRole('table', { name: 'Recommended authentication method by scenario' });
  for (const [scenario, method] of [['Web/Mobile App', 'JWT'], ['Server-to-Server', 'API Key or Client Credentials'],
    ['Third-Party Integration', 'OAuth 2.0'], ['Traditional Web App', 'Session-based'], ['Embedded Devices', 'API Key'],
    ['Temporary Access', 'JWT with short expiry']]) {
    const row = table.getByRole('row', { name: new RegExp(`^${scenario.replace('/', '\\/')} `) });
    assert.equal(await row.getByRole('cell').first().innerText(), method, scenario);
  }
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select, button')]
    .filter((el) => el.type !== 'hidden' && !(el.labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim())))
    .map((el) => el.outerHTML));
  assert.deepEqual(unlabelled, [], 'every control has a label');
  assert.equal(await page.locator('#session-status').innerText(), 'No cookie session.');

  await page.getByText('What PKCE sends').click();
  await button(page, 'Generate a PKCE pair').click();
  const verifier = await text(page, '#pkce-verifier');
  assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(await text(page, '#pkce-challenge'), createHash('sha256').update(verifier).digest('base64url'));
  assert.equal(await text(page, '#pkce-method'), 'S256');
  await assertFits(page, 'load');
  await shot(page, '01-phone-initial');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('errors are shown in words: a call before login, a wrong password, an unreachable server, a JWT that is not one', async () => {
  const page = await open();
  await button(page, 'GET /v1/resources').click();
  await waitText(page, '#api-error', /Log in first/);
  await page.getByLabel('Password').first().fill('not-the-password');
  await button(page, 'Log in with JWT').click();
  const error = await waitText(page, '#jwt-error', /Wrong email or password/);
  assert.match(error, /ERR_AUTH_INVALID_CREDENTIALS/);
  assert.doesNotMatch(error, /not-the-password/);
  assert.match(await text(page, '#jwt .exchanges'), /POST http:\/\/127\.0\.0\.1:\d+\/v1\/auth\/login → 401/);
  assert.match(await text(page, '#jwt .exchanges'), /"password": "\[redacted\]"/);
  assert.doesNotMatch(await text(page, '#jwt .exchanges'), /not-the-password/);
  // The server unreachable (the request fails in the browser): said in words too.
  await page.route('**/v1/auth/login', (route) => route.abort('connectionrefused'));
  await page.getByLabel('Password').first().fill('securepassword');
  await button(page, 'Log in with JWT').click();
  assert.match(await waitText(page, '#jwt-error', /could not be reached/), /ERR_AUTH_NETWORK/);
  assert.match(await text(page, '#jwt .exchanges'), /POST http:\/\/127\.0\.0\.1:\d+\/v1\/auth\/login → network error/);
  await page.unroute('**/v1/auth/login');
  await page.getByLabel('JWT to verify').fill('this is not a token');
  await button(page, 'Verify').click();
  assert.match(await waitText(page, '#verify-error', /Rejected/), /not a well-formed JWT.*ERR_JWS_INVALID/);
  await shot(page, '02-desktop-errors');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('without the package (not built, or blocked) the page says so in words instead of going blank', async () => {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.route('**/pkg/browser.js', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
  await page.goto(`${demo.url}/`);
  const alert = await waitText(page, '#page-error', /could not be loaded/);
  assert.match(alert, /make pkg/);
  assert.equal(await text(page, '#version'), 'unavailable');
  assert.equal(await button(page, 'Log in with JWT').isDisabled(), true);
  assert.equal(await page.getByRole('heading', { name: /Choosing the right method/ }).isVisible(), true);
  assert.deepEqual(problems, []);
  await context.close();
});

test('served by a plain wasm-auth-server (no make demo): the page works and says what is not running', async () => {
  const plain = await startReferenceServer({ dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-demo-plain-')), wwwDir: join(root, 'www') });
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  try {
    await page.goto(`${plain.url}/`);
    await ready(page);
    assert.match(await text(page, '#setup'), /short-lifetime mode: not running.*edge worker: not running/);
    assert.equal(await page.getByLabel(/Short-lifetime mode/).isDisabled(), true);
    await jwtLogin(page);
    await button(page, 'GET /v1/resources').click();
    await waitText(page, '#api-status', /authenticated via bearer/);
    await button(page, "GET the edge worker's /v1/edge/resources").click();
    await waitText(page, '#api-error', /edge worker is not running/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await plain.stop();
  }
});

test('JWT login: decoded claims, countdowns, the API and the edge worker with the same token, JWT verification, API keys', async () => {
  const page = await open();
  await jwtLogin(page);
  const claims = page.locator('#token-claims');
  assert.match(await claims.getByRole('row', { name: /^sub / }).innerText(), /user_demo/);
  assert.match(await claims.getByRole('row', { name: /^iss / }).innerText(), new RegExp(demo.url.replaceAll('.', '\\.')));
  assert.match(await text(page, '#expires-in'), /^(59 min \d\d s|1 h 00 min 00 s)$/);
  assert.match(await text(page, '#refresh-in'), /^(54|55) min \d\d s$/);
  assert.match(await text(page, '#token-events'), /Tokens received/);
  const loginExchange = await text(page, '#jwt .exchanges');
  assert.match(loginExchange, /POST http:\/\/127\.0\.0\.1:\d+\/v1\/auth\/login → 200/);
  assert.match(loginExchange, /"access_token": "\[redacted\]"/);
  // Cookie mode (refreshTokenInCookie): the refresh token is in the HttpOnly cookie, not the body.
  assert.doesNotMatch(loginExchange, /"refresh_token"/);
  assert.match(loginExchange, /refresh-token-transport: cookie/);
  assert.match(loginExchange, /set-cookie: refresh_token \(HttpOnly, SameSite=Strict/);
  assert.match(await text(page, '#token-refresh-home'), /HttpOnly cookie.*no JavaScript.*can read it/);
  await assertNothingStored(page, 'JWT login');

  await button(page, 'GET /v1/resources').click();
  assert.match(await waitText(page, '#api-status', /^200/), /authenticated via bearer/);
  assert.match(await text(page, '#api .exchanges'), /authorization: Bearer \[redacted\]/);
  await page.getByLabel('New resource name').fill('Demo report');
  await button(page, 'POST /v1/resources').click();
  assert.match(await waitText(page, '#api-status', /^201/), /created res_\w+ \("Demo report"\)/);
  await button(page, "GET the edge worker's /v1/edge/resources").click();
  assert.match(await waitText(page, '#api-status', /verified at the edge/), /ES256.*user_demo/);
  assert.match(await text(page, '#api .exchanges'), new RegExp(`GET ${demo.edgeUrl.replaceAll('.', '\\.')}/v1/edge/resources → 200`));
  await shot(page, '03-desktop-jwt-api-edge');

  // Verification: the current token, then a tampered copy and an HS256 forgery.
  await button(page, 'Use my current access token').click();
  await button(page, 'Verify').click();
  assert.match(await waitText(page, '#verify-status', /^Valid/), /ES256 signature matches/);
  assert.match(await page.locator('#verify-claims').getByRole('row', { name: /^aud / }).innerText(), /wasm-auth-api/);
  assert.match(await text(page, '#verify .exchanges'), /GET http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json → 200/);
  const token = await page.getByLabel('JWT to verify').inputValue();
  const [header, payload, signature] = token.split('.');
  const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
  await page.getByLabel('JWT to verify').fill(`${header}.${payload}.${flipped}`);
  await button(page, 'Verify').click();
  assert.match(await waitText(page, '#verify-error', /Rejected/), /signature does not match.*ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
  assert.match(await text(page, '#verify-claims-title'), /NOT verified/);
  await waitText(page, '#verify .exchanges', /No HTTP request was needed/); // the JWKS is cached
  await shot(page, '04-desktop-verify-rejected');
  const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const hsPayload = Buffer.from(JSON.stringify({ iss: demo.url, aud: 'wasm-auth-api', sub: 'admin', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
  const hsSignature = createHmac('sha256', 'a-secret-the-attacker-chose-0123456789').update(`${hsHeader}.${hsPayload}`).digest('base64url');
  await page.getByLabel('JWT to verify').fill(`${hsHeader}.${hsPayload}.${hsSignature}`);
  await button(page, 'Verify').click();
  assert.match(await waitText(page, '#verify-error', /ERR_JOSE_ALG_NOT_ALLOWED/), /algorithm \(alg\) is refused/);
  await button(page, 'Clear').click();

  // API keys: created with read:resources only, used by header and by query, then revoked.
  await page.getByLabel('Key name').fill('Demo read-only key');
  await page.getByLabel('write:resources').uncheck();
  await page.getByLabel('read:resources').check();
  await button(page, 'Create API key').click();
  await waitText(page, '#keys-status', /^Created key_/);
  assert.match(await text(page, '#key-created'), /will not be shown again/);
  const key = await page.getByLabel('New API key').inputValue();
  assert.match(key, /^sk_live_/);
  assert.match(await text(page, '#keys .exchanges'), /"key": "\[redacted\]"/);
  await button(page, 'Copy key').click();
  await waitText(page, '#key-copy-status', /Copied/);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
  await assertNothingStored(page, 'API key creation');

  await button(page, 'GET /v1/resources with X-API-Key').click();
  assert.match(await waitText(page, '#keys-status', /^200/), /authenticated via api_key \(key in the header\)/);
  assert.match(await text(page, '#keys .exchanges'), /x-api-key: sk_live_\[redacted\]/);
  await button(page, 'GET /v1/resources?api_key=…').click();
  assert.match(await waitText(page, '#keys-status', /key in the query/), /^200: .*authenticated via api_key/);
  assert.match(await text(page, '#keys .exchanges'), /\/v1\/resources\?api_key=\[redacted\] → 200/);
  await button(page, 'POST /v1/resources with the key').click();
  assert.match(await waitText(page, '#keys-error', /Forbidden/), /insufficient_scope/);
  await button(page, 'List my keys').click();
  await waitText(page, '#keys-status', /live key/);
  assert.match(await page.getByRole('table', { name: /Your live keys/ }).innerText(), /Demo read-only key/);
  await shot(page, '05-desktop-api-key');
  await button(page, 'Revoke this key').click();
  await waitText(page, '#keys-status', /^Revoked key_/);
  assert.match(await text(page, '#key-state'), /revoked/);
  await button(page, 'GET /v1/resources with X-API-Key').click();
  assert.match(await waitText(page, '#keys-error', /401/), /Not authenticated/);
  assert.match(await text(page, '#keys-status'), /the key was revoked/);

  await button(page, 'Log out').click();
  assert.match(await waitText(page, '#jwt-status', /^Logged out/), /revoked at the server/);
  assert.match(await text(page, '#expires-in'), /not logged in/);
  await assertNothingStored(page, 'logout');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('short-lifetime mode at 375 px: the countdown reaches the refresh, which the page and the server both see', async () => {
  const page = await open(PHONE);
  await jwtLogin(page, { short: true });
  assert.match(await text(page, '#token-server'), /short-lifetime instance: 20-second/);
  assert.match(await text(page, '#expires-in'), /^(1\d|20) s$/);
  assert.match(await text(page, '#refresh-in'), /^\d{1,2} s$/);
  const firstJti = await page.locator('#token-claims').getByRole('row', { name: /^jti / }).innerText();
  await shot(page, '06-phone-short-lifetime-before-refresh');
  await waitText(page, '#refresh-count', /^[1-9]/, 30_000);
  assert.match(await text(page, '#token-events'), /Refreshed: a new access token/);
  await waitText(page, '#jwt .exchanges', new RegExp(`POST ${demo.shortUrl.replaceAll('.', '\\.')}/v1/auth/refresh → 200`));
  assert.match(await text(page, '#jwt .exchanges'), /in the background/);
  assert.match(await waitText(page, '#server-refresh-count', /^[1-9]\d* ×/), /POST \/v1\/auth\/refresh/);
  await page.locator('#token-claims').getByRole('row', { name: /^jti / }).filter({ hasNotText: firstJti.split('\t')[1] }).waitFor();
  assert.match(await text(page, '#expires-in'), /^\d{1,2} s$/);
  // The refreshed token still opens the API and the edge.
  await button(page, "GET the edge worker's /v1/edge/resources").click();
  await waitText(page, '#api-status', /verified at the edge/);
  await assertNothingStored(page, 'short-lifetime refresh');
  await assertFits(page, 'short-lifetime refresh');
  await page.locator('#jwt').screenshot({ path: join(artifacts, '07-phone-short-lifetime-refreshed.png') });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('cookie session: log in, call the API with the cookie, survive a reload, log out', async () => {
  const page = await open();
  await button(page, 'Log in with a cookie session').click();
  assert.match(await waitText(page, '#session-status', /^Session active/), /user_demo \(user@example\.com\)/);
  assert.match(await text(page, '#session-cookie'), /empty: the session cookie is HttpOnly/);
  assert.match(await text(page, '#session .exchanges'), /set-cookie: wasm_auth_session \(HttpOnly/);
  await button(page, 'GET /v1/resources with the cookie').click();
  assert.match(await waitText(page, '#session-status', /^200/), /authenticated via session/);
  assert.match(await text(page, '#session .exchanges'), /cookie: sent by the browser/);
  await page.reload();
  await ready(page);
  await waitText(page, '#session-status', /^Session active/);
  await shot(page, '08-desktop-cookie-session');
  await button(page, 'Log out of the session').click();
  await waitText(page, '#session-status', /^Logged out/);
  await button(page, 'Who am I? (GET /v1/session)').click();
  await waitText(page, '#session-status', /^No cookie session/);
  await button(page, 'GET /v1/resources with the cookie').click();
  await waitText(page, '#session-error', /Not authenticated \(401\)/);
  await assertNothingStored(page, 'cookie session');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

/** What the page shows when the package has no OAuthClient: a message, and the rest works. */
async function assertOAuthUnavailable(page) {
  await button(page, 'Log in with OAuth 2.0 + PKCE').click();
  await waitText(page, '#oauth-error', /OAuth login is not available in this build/);
  await page.goto(`${demo.url}/?code=abc&state=xyz`);
  await ready(page);
  await waitText(page, '#oauth-error', /OAuth login is not available in this build/);
  assert.equal(new URL(page.url()).search, '', 'code and state are removed from the address bar');
  await jwtLogin(page);
  await shot(page, '12-desktop-oauth-unavailable');
  assert.deepEqual(page.problems, []);
}

test('a package without OAuthClient: the OAuth button says it is not available in this build, the rest works', async () => {
  // The same package, re-exported without OAuthClient (what a build before issue 6 offered).
  const { default: _, initSync: __, OAuthClient: ___, ...rest } = await import(join(root, 'pkg', 'node.js'));
  const names = Object.keys(rest).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
  assert.ok(names.includes('TokenManager'));
  const shim = `import init, * as all from '/pkg/wasm_auth.js';
await init({ module_or_path: new URL('/pkg/wasm_auth_bg.wasm', import.meta.url) });
export const { ${names.join(', ')} } = all;\n`;
  const context = await browser.newContext({ viewport: DESKTOP });
  await context.route('**/pkg/browser.js', (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: shim }));
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  await page.goto(`${demo.url}/`);
  await ready(page);
  assert.equal(await page.evaluate(async () => 'OAuthClient' in (await import('wasm-auth'))), false);
  await assertOAuthUnavailable(page);
  await context.close();
});

test('OAuth 2.0 + PKCE: through the server\'s sign-in and consent page and back, logged in; Deny comes back as an error in words', async (t) => {
  const page = await open();
  const exported = await page.evaluate(async () => typeof (await import('wasm-auth')).OAuthClient === 'function');
  if (!exported) {
    await assertOAuthUnavailable(page);
    await page.context().close();
    t.skip('OAuthClient is not exported by pkg/ (issue 6): only the "not available in this build" message was checked');
    return;
  }
  await button(page, 'Log in with OAuth 2.0 + PKCE').click();
  await page.waitForURL((url) => url.pathname === '/oauth/authorize', { timeout: 10_000 });
  assert.match(await page.locator('body').innerText(), /wasm-auth demo SPA/);
  await shot(page, '09-desktop-oauth-consent');
  await page.getByLabel('Email').fill('user@example.com');
  await page.getByLabel('Password').fill('securepassword');
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((url) => url.origin === demo.url && url.pathname === '/', { timeout: 10_000 });
  await ready(page);
  assert.match(await waitText(page, '#oauth-status', /Logged in through OAuth/), /read:resources/);
  const address = new URL(page.url());
  assert.equal(address.searchParams.has('code'), false, 'the code is gone from the address bar');
  assert.equal(address.searchParams.has('state'), false, 'the state is gone from the address bar');
  assert.match(await text(page, '#token-source'), /OAuth 2\.0 authorization code \+ PKCE/);
  assert.match(await page.locator('#token-claims').getByRole('row', { name: /^sub / }).innerText(), /user_demo/);
  assert.match(await page.locator('#oauth-claims').getByRole('row', { name: /^sub / }).innerText(), /user_demo/);
  assert.match(await text(page, '#oauth .exchanges'), /POST http:\/\/127\.0\.0\.1:\d+\/oauth\/token → 200/);
  assert.match(await text(page, '#oauth .exchanges'), /code_verifier=\[redacted\]/);
  await assertNothingStored(page, 'the OAuth callback (the PKCE transaction is gone too)');
  await button(page, 'GET /v1/resources').click();
  assert.match(await waitText(page, '#api-status', /^200/), /authenticated via bearer/);
  await shot(page, '10-desktop-oauth-logged-in');

  await button(page, 'Log in with OAuth 2.0 + PKCE').click();
  await page.waitForURL((url) => url.pathname === '/oauth/authorize', { timeout: 10_000 });
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.waitForURL((url) => url.origin === demo.url && url.pathname === '/', { timeout: 10_000 });
  await ready(page);
  assert.match(await waitText(page, '#oauth-error', /access_denied/), /Deny was chosen/);
  assert.equal(new URL(page.url()).searchParams.has('error'), false);
  await assertNothingStored(page, 'a denied authorization');
  await shot(page, '11-desktop-oauth-denied');

  // A callback this tab did not start: an error in words, and the address bar cleaned.
  await page.goto(`${demo.url}/?code=not-a-real-code&state=not-ours`);
  await ready(page);
  assert.match(await waitText(page, '#oauth-error', /ERR_OAUTH_/), /Start the login again/);
  assert.equal(new URL(page.url()).search, '');
  assert.match(await text(page, '#oauth-status'), /Not logged in/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('sessions across reloads and tabs: a reload restores with one cookie refresh, a new tab from its peer without a request, a logout ends every tab', async () => {
  const page = await open();
  // A fresh browser: no peer and no cookie, so nobody is logged in.
  await waitText(page, '#jwt-status', /^Not logged in: no other tab/);
  await jwtLogin(page);
  assert.match(await text(page, '#jwt-status'), /Every tab of this page shares the session/);
  await assertNothingStored(page, 'a login with the refresh token in the cookie');
  const sub = async (p) => p.locator('#token-claims').getByRole('row', { name: /^sub / }).innerText();
  assert.match(await sub(page), /user_demo/);

  // Reload: exactly one more POST /v1/auth/refresh, with the HttpOnly cookie.
  const beforeReload = await serverCounts();
  await reloadWithButton(page);
  assert.match(await waitText(page, '#jwt-status', /^Restored after reload/), /1 refresh with the HttpOnly cookie, which JavaScript cannot read/);
  assert.equal((await serverCounts())['POST /v1/auth/refresh'], (beforeReload['POST /v1/auth/refresh'] ?? 0) + 1, 'one refresh for the reload');
  const restoreExchange = await text(page, '#jwt .exchanges');
  assert.match(restoreExchange, /On page load: resume the session/);
  assert.match(restoreExchange, /POST http:\/\/127\.0\.0\.1:\d+\/v1\/auth\/refresh → 200/);
  assert.match(restoreExchange, /cookie: sent by the browser/);
  assert.doesNotMatch(restoreExchange, /"refresh_token"/);
  assert.match(await text(page, '#token-events'), /Restored after reload.*reason restore/);
  assert.match(await sub(page), /user_demo/);
  await assertNothingStored(page, 'a reload');
  await shot(page, '13-desktop-restored-after-reload');

  // Another tab: logged in from its peer, without any request to the server.
  const beforeTab = await serverCounts();
  const tab = await openAnotherTab(page);
  assert.match(await waitText(tab, '#jwt-status', /^Restored from another tab/), /no request/);
  await waitText(tab, '#jwt .exchanges', /No HTTP request was needed/);
  const afterTab = await serverCounts();
  for (const key of ['POST /v1/auth/refresh', 'POST /v1/auth/login', 'POST /oauth/token']) {
    assert.equal(afterTab[key], beforeTab[key], `no ${key} for the new tab`);
  }
  assert.match(await text(tab, '#token-events'), /Session from another tab.*reason peer/);
  assert.match(await sub(tab), /user_demo/);
  await assertNothingStored(tab, 'a tab opened from its peer');
  await button(tab, 'GET /v1/resources').click();
  assert.match(await waitText(tab, '#api-status', /^200/), /authenticated via bearer/);
  await shot(tab, '14-desktop-tab-from-peer');

  // A logout in the new tab logs out the first one too, within a second.
  await button(tab, 'Log out').click();
  assert.match(await waitText(tab, '#jwt-status', /^Logged out/), /in every tab of this page/);
  await waitText(page, '#jwt-status', /^Logged out in another tab/, 1_000);
  assert.match(await text(page, '#token-events'), /Logged out in another tab.*logout, reason peer/);
  assert.match(await text(page, '#expires-in'), /not logged in/);
  await assertNothingStored(page, 'a logout in another tab');
  await assertNothingStored(tab, 'a logout');

  // The cookie went with the logout: a reload finds nobody.
  await reloadWithButton(page);
  await waitText(page, '#jwt-status', /^Not logged in: no other tab/);
  await assertNothingStored(page, 'a reload after the logout');
  assert.deepEqual([...page.problems, ...tab.problems], []);
  await page.context().close();
});

test('short-lifetime mode in three tabs: one refresh request per rotation, the other tabs get the tokens from it', async () => {
  const page = await open();
  await jwtLogin(page, { short: true });
  const tabs = [page, await openAnotherTab(page), await openAnotherTab(page)];
  for (const tab of tabs.slice(1)) {
    await waitText(tab, '#jwt-status', /^Restored from another tab/);
    assert.match(await text(tab, '#token-server'), /short-lifetime instance/);
    assert.equal(await tab.getByLabel(/Short-lifetime mode/).isChecked(), true, 'the lifetime choice follows the session');
  }
  const before = (await serverCounts(demo.shortUrl))['POST /v1/auth/refresh'] ?? 0;
  // The first rotation (at mid-life, about 10 s after the login), seen by every tab.
  for (const tab of tabs) await waitText(tab, '#refresh-count', /^[1-9]/, 30_000);
  const after = (await serverCounts(demo.shortUrl))['POST /v1/auth/refresh'] ?? 0;
  assert.equal(after - before, 1, 'three tabs, one refresh request');
  const events = await Promise.all(tabs.map((tab) => text(tab, '#token-events')));
  assert.equal(events.filter((e) => /Refreshed: a new access token, from this tab's own refresh request/.test(e)).length, 1, 'one tab refreshed');
  assert.equal(events.filter((e) => /Refreshed in another tab.*reason peer/.test(e)).length, 2, 'two tabs got its tokens');
  for (const tab of tabs) assert.match(await waitText(tab, '#server-refresh-count', new RegExp(`^${after} ×`)), /all clients and tabs/);
  await shot(tabs[2], '15-desktop-three-tabs-one-refresh');
  for (const tab of tabs) await assertNothingStored(tab, 'a rotation shared by three tabs');
  assert.deepEqual(tabs.flatMap((tab) => tab.problems), []);
  await page.context().close();
});
