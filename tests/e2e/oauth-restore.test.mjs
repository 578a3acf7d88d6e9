// OAuthClient.restore in headless Chromium (tabs are pages of one browser context): a new tab
// takes the session of a signed-in tab of the same issuer and client with no request to any
// server; without one, restore({ silent: true }) redirects with prompt=none, and the callback
// gives a session when the user is signed in at the server, or "nobody is signed in" (no error)
// when not. Against the reference server and against oidc-provider.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { startOidcProvider } from './fixtures/oidc-provider.mjs';
import { freePort, launchChromium, makeProject } from './helpers.mjs';

let browser;
let api; // the reference server: the SPA's pages, the API and the authorization server
let op; // oidc-provider, on another port of 127.0.0.1

before(async () => {
  const project = await makeProject('oauth-restore', {});
  cpSync(join(import.meta.dirname, 'fixtures', 'client-page'), join(project, 'www'), { recursive: true });
  browser = await launchChromium();
  api = await startReferenceServer({
    dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-restore-')),
    wwwDir: join(project, 'www'),
    pkgDir: join(project, 'node_modules', 'wasm-auth'),
    args: ['--request-stats'],
  });
  op = await startOidcProvider({ port: await freePort(), pageOrigin: api.url });
});

after(async () => {
  await browser?.close();
  await op?.close();
  await api?.stop();
});

const requests = async () => (await (await fetch(`${api.url}/_stats`)).json()).requests;
const count = async (endpoint) => (await requests())[endpoint] ?? 0;
/** Every request the reference server answered, but its statistics. */
const allCalls = async () => Object.entries(await requests())
  .filter(([endpoint]) => !endpoint.includes('/_stats')).reduce((sum, [, n]) => sum + n, 0);

/** The two servers: how the page makes its client, and how the user signs in on the server's page. */
const servers = {
  reference: {
    issuer: () => api.url,
    options: () => ({ clientId: 'demo-spa', redirectUri: `${api.url}/`, scope: 'openid read:resources write:resources', baseUrl: `${api.url}/v1` }),
    api: 'resources',
    async signIn(page) {
      await page.fill('#email', 'user@example.com');
      await page.fill('#password', 'securepassword');
      await page.click('button[value=allow]');
    },
  },
  oidcProvider: {
    issuer: () => op.issuer,
    options: () => ({ clientId: 'spa', redirectUri: `${api.url}/`, scope: 'openid offline_access', baseUrl: op.issuer }),
    api: '/me',
    async signIn(page) {
      await page.fill('input[name=login]', 'alice');
      await page.fill('input[name=password]', 'any password');
      await page.click('button[type=submit]');
      await page.waitForSelector('button[type=submit]');
      await page.click('button[type=submit]'); // consent: Continue
    },
  },
};

async function newTab(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(e.message));
  await page.goto(`${api.url}/index.html`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}

/** `window.oauth` in the page, made by discovery as an app does on load. */
const makeClient = (page, server) => page.evaluate(async ([issuer, options]) => {
  window.oauth = await wa.OAuthClient.discover(issuer, options);
}, [server.issuer(), server.options()]);

const backOnTheApp = (page) => page.waitForURL((url) => url.origin === api.url && url.pathname === '/', { timeout: 15_000 })
  .then(() => page.waitForFunction(() => window.ready === true));

/** The callback, handled by a new client as an app does after the redirect. */
const handle = (page, server) => page.evaluate(async ([issuer, options]) => {
  window.oauth = await wa.OAuthClient.discover(issuer, options);
  try {
    return { ok: true, result: await window.oauth.handleRedirectCallback() };
  } catch (e) {
    return { ok: false, code: e.code, error: e.error, message: e.message };
  }
}, [server.issuer(), server.options()]);

/** The usual interactive sign-in in `page`: authorize, the server's page, the callback. */
async function signIn(page, server) {
  await makeClient(page, server);
  await Promise.all([
    page.waitForURL((url) => url.origin === server.issuer() && url.pathname !== '/'),
    // After this evaluate has returned: the navigation would otherwise destroy its context.
    page.evaluate(() => setTimeout(() => window.oauth.authorize(), 0)),
  ]);
  const back = backOnTheApp(page);
  await server.signIn(page);
  await back;
  const { ok, result, message } = await handle(page, server);
  assert.ok(ok, message);
  assert.equal(result.signedIn, true);
  return result;
}

/** `restore({ silent: true })` with no session in reach: the redirect and the way back; the
 * authorization URL it went to. */
async function silentRestore(page, server) {
  await makeClient(page, server);
  const sent = [];
  page.on('request', (r) => { if (new URL(r.url()).origin === server.issuer() && r.isNavigationRequest()) sent.push(r.url()); });
  const back = page.waitForURL((url) => url.origin === api.url && url.pathname === '/' && url.search !== '', { timeout: 15_000 });
  await page.evaluate(() => setTimeout(() => {
    // Never settles: the page navigates away.
    window.oauth.restore({ silent: true }).then(() => console.error('restore settled'), (e) => console.error(e.message));
  }, 0));
  await back;
  await page.waitForFunction(() => window.ready === true);
  const authorize = sent.map((u) => new URL(u)).find((u) => u.searchParams.has('code_challenge'));
  assert.ok(authorize, 'went to the authorization endpoint');
  return authorize;
}

const storedEverywhere = (page) => page.evaluate(() => ({
  session: Object.keys(sessionStorage), local: Object.keys(localStorage), cookie: document.cookie, search: location.search,
}));

async function peerRestore(server, { countCalls }) {
  const context = await browser.newContext();
  const first = await newTab(context);
  await signIn(first, server);
  const second = await newTab(context);
  await makeClient(second, server);
  const seen = [];
  second.on('request', (r) => seen.push(r.url()));
  const before = countCalls ? await allCalls() : 0;
  const restored = await second.evaluate(async () => {
    const started = performance.now();
    const info = await window.oauth.restore();
    return { info, ms: performance.now() - started };
  });
  assert.ok(restored.info, 'restored from the signed-in tab');
  assert.ok(restored.info.expiresAt > Date.now(), 'with its expiry');
  assert.deepEqual(seen, [], 'the page sent no request');
  if (countCalls) assert.equal(await allCalls(), before, 'no request reached the server');
  console.log(`# ${server === servers.reference ? 'reference' : 'oidc-provider'}: restore from a peer took ${restored.ms.toFixed(0)} ms`);
  const [a, b] = await Promise.all([first, second].map((p) => p.evaluate(() => window.oauth.tokenManager.getToken())));
  assert.equal(a, b, 'the same access token');
  const status = await second.evaluate(async (path) => (await window.oauth.tokenManager.fetch(path)).status, server.api);
  assert.equal(status, 200);

  // With silent too, a peer's session comes first: no redirect.
  const third = await newTab(context);
  await makeClient(third, server);
  const silent = await third.evaluate(async () => ({ info: await window.oauth.restore({ silent: true }), href: location.href }));
  assert.ok(silent.info);
  assert.equal(silent.href, `${api.url}/index.html`, 'no redirect');

  // crossTab: false keeps the client's session to its own tab: nothing from the peers.
  const alone = await newTab(context);
  const apart = await alone.evaluate(async ([issuer, options]) => {
    window.oauth = await wa.OAuthClient.discover(issuer, { ...options, crossTab: false });
    return window.oauth.restore();
  }, [server.issuer(), server.options()]);
  assert.equal(apart, null, 'crossTab: false: not restored from the peers');
  for (const page of [first, second, third, alone]) assert.deepEqual(page.problems, []);
  return context;
}

async function silentWithSession(server, signedIn) {
  // A new browser context (no peers) with the cookies of the one where the user signed in.
  const context = await browser.newContext({ storageState: await signedIn.storageState() });
  const page = await newTab(context);
  const passwordPosts = await count('POST /oauth/authorize');
  const authorize = await silentRestore(page, server);
  assert.equal(authorize.searchParams.get('prompt'), 'none');
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.match(page.url(), /[?&]code=/);
  const { ok, result, message } = await handle(page, server);
  assert.ok(ok, message);
  assert.equal(result.signedIn, true);
  assert.equal(result.noSession, null);
  assert.ok(result.info, 'the tokens went to the TokenManager');
  assert.ok(result.idTokenClaims.sub);
  assert.equal(await count('POST /oauth/authorize'), passwordPosts, 'no password typed');
  const after = await storedEverywhere(page);
  assert.deepEqual([after.session, after.search], [[], ''], 'transaction and callback parameters gone');
  const status = await page.evaluate(async (path) => (await window.oauth.tokenManager.fetch(path)).status, server.api);
  assert.equal(status, 200);
  assert.deepEqual(page.problems, []);
  await context.close();
}

async function silentWithoutSession(server) {
  const context = await browser.newContext();
  const page = await newTab(context);
  const authorize = await silentRestore(page, server);
  assert.equal(authorize.searchParams.get('prompt'), 'none');
  assert.match(page.url(), /[?&]error=login_required/);
  const { ok, result, message } = await handle(page, server);
  assert.ok(ok, message);
  assert.deepEqual(
    { signedIn: result.signedIn, noSession: result.noSession, info: result.info, tokens: result.tokenResponse, claims: result.idTokenClaims },
    { signedIn: false, noSession: 'login_required', info: null, tokens: null, claims: null },
  );
  assert.deepEqual(await storedEverywhere(page), { session: [], local: [], cookie: '', search: '' }, 'nothing kept, address bar clean');
  assert.equal(await page.evaluate(() => window.oauth.tokenManager.getToken().then(() => 'token', (e) => e.code)), 'ERR_AUTH_NOT_AUTHENTICATED');
  assert.deepEqual(page.problems, []);
  await context.close();
}

test('reference server: a new tab restores from a signed-in tab without a request', async () => {
  const context = await peerRestore(servers.reference, { countCalls: true });
  await context.close();
});

test('reference server: silent restore with the server\'s sign-in session, and without', async () => {
  // Signed in once at /oauth/authorize; the app page reloaded: no TokenManager holds tokens.
  const context = await browser.newContext();
  const page = await newTab(context);
  await signIn(page, servers.reference);
  assert.ok((await context.cookies()).some((c) => c.name === 'oauth_session'), 'the server keeps a sign-in session');
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await makeClient(page, servers.reference);
  assert.equal(await page.evaluate(() => window.oauth.restore()), null, 'no peer, not silent: null');
  await silentWithSession(servers.reference, context);
  await context.close();
  await silentWithoutSession(servers.reference);
});

test('reference server: login_required after an interactive prompt=none stays ERR_OAUTH_CALLBACK_ERROR', async () => {
  const context = await browser.newContext();
  const page = await newTab(context);
  await makeClient(page, servers.reference);
  const back = backOnTheApp(page);
  await page.evaluate(() => setTimeout(() => window.oauth.authorize({ extraParams: { prompt: 'none' } }), 0));
  await back;
  const outcome = await handle(page, servers.reference);
  assert.deepEqual([outcome.code, outcome.error], ['ERR_OAUTH_CALLBACK_ERROR', 'login_required']);
  assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), [], 'the transaction is gone');
  await context.close();
});

test('oidc-provider: a new tab restores from a signed-in tab without a request', async () => {
  const context = await peerRestore(servers.oidcProvider, { countCalls: false });
  await context.close();
});

test('oidc-provider: silent restore with its session, and without', async () => {
  const context = await browser.newContext();
  const page = await newTab(context);
  await signIn(page, servers.oidcProvider);
  await silentWithSession(servers.oidcProvider, context);
  await context.close();
  await silentWithoutSession(servers.oidcProvider);
});
