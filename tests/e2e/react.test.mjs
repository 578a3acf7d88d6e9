// wasm-auth/react from the packed tarball, in headless Chromium, under StrictMode (React's
// development build, which mounts, unmounts and mounts again), with React 18 and React 19 (the
// root's react18/react19 aliases, bundled by esbuild in place of `react` and `react-dom`):
// against the reference server (login, fetch, claims, re-render on tokenchange, logout,
// sessionexpired, a second tab restored on mount) and against oidc-provider (the redirect flow
// through useOAuthCallback, one code redemption). It checks what the user sees: the rendered text.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { startOidcProvider } from './fixtures/oidc-provider.mjs';
import { freePort, launchChromium, makeProject, root, typecheck } from './helpers.mjs';

const EMAIL = 'user@example.com';
const PASSWORD = 'securepassword';
const VERSIONS = { 18: '18.3.1', 19: '19.3.1' };

let project;
let browser;
const stops = [];

before(async () => {
  project = await makeProject('react', { 'app.js': '' });
  cpSync(join(import.meta.dirname, 'fixtures', 'react-app', 'app.js'), join(project, 'app.js'));
  // One bundle per React version: `react` and `react-dom` (with its subpaths) are the aliases.
  for (const major of Object.keys(VERSIONS)) {
    const www = join(project, `www${major}`);
    mkdirSync(www, { recursive: true });
    cpSync(join(import.meta.dirname, 'fixtures', 'react-app', 'index.html'), join(www, 'index.html'));
    cpSync(join(project, 'node_modules', 'wasm-auth', 'wasm_auth_bg.wasm'), join(www, 'wasm_auth_bg.wasm'));
    await build({
      entryPoints: [join(project, 'app.js')], outfile: join(www, 'app.js'), bundle: true, format: 'esm',
      platform: 'browser', target: 'es2022', logLevel: 'warning', external: ['*.wasm'],
      alias: { react: join(root, 'node_modules', `react${major}`), 'react-dom': join(root, 'node_modules', `react-dom${major}`) },
      define: { 'process.env.NODE_ENV': '"development"' }, // StrictMode's double effects are development-only
    });
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const stop of stops.reverse()) await stop();
});

/** A reference server serving the React app of one version, with `config` as window.appConfig. */
async function referenceServer(major, config, args = []) {
  const www = join(project, `www${major}`);
  writeFileSync(join(www, 'config.js'), `window.appConfig = ${JSON.stringify(config)};\n`);
  const server = await startReferenceServer({
    dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-react-')), wwwDir: www,
    pkgDir: join(project, 'node_modules', 'wasm-auth'), args: ['--request-stats', ...args],
  });
  stops.push(() => server.stop());
  server.count = async (endpoint) => ((await (await fetch(`${server.url}/_stats`)).json()).requests[endpoint] ?? 0);
  return server;
}

async function open(context, url) {
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(e.message));
  await page.goto(url);
  return page;
}

const shown = (page, id) => page.locator(`#${id}`).textContent();
async function see(page, id, expected, timeout = 15_000) {
  const locator = page.locator(`#${id}`);
  await locator.filter({ hasText: expected }).waitFor({ timeout })
    .catch(async (e) => { throw new Error(`#${id} never showed ${expected}; it shows "${await locator.textContent()}"\n${e.message}\n${page.problems.join('\n')}`); });
}

/** Nothing in Web Storage (the OAuth transaction included, once the callback is handled). */
async function assertNothingStored(page, step) {
  const stored = await page.evaluate(() => ({ localStorage: Object.keys(localStorage), sessionStorage: Object.keys(sessionStorage) }));
  assert.deepEqual(stored, { localStorage: [], sessionStorage: [] }, `after ${step}`);
}

// What a strict TypeScript user writes: every value typed, login's two forms, no `any` to lean on.
const CHECK_TS = `
import { createElement, type ReactElement } from 'react';
import { OAuthClient, TokenManager, type JwtPayload, type RedirectResult, type TokenInfo } from 'wasm-auth';
import { AuthProvider, useAuth, useOAuthCallback, type Auth, type OAuthCallbackState } from 'wasm-auth/react';

const auth = new TokenManager({ baseUrl: 'http://127.0.0.1:8080/v1' });
const oauth: Promise<OAuthClient> = OAuthClient.discover('http://127.0.0.1:8080', { clientId: 'spa', redirectUri: 'http://127.0.0.1:8080/', baseUrl: 'http://127.0.0.1:8080/v1' });
export const app: ReactElement = createElement(AuthProvider, { client: auth }, createElement(AuthProvider, { client: oauth, restore: false }));

export function Profile(): string {
  const state: Auth = useAuth();
  const claims: JwtPayload | null = state.claims;
  const sub: string | undefined = claims?.sub;
  const loggedIn: Promise<TokenInfo> = state.login('user@example.com', 'securepassword');
  const redirected: Promise<void> = state.login({ appState: { returnTo: '/' } });
  // @ts-expect-error: not an authorize option
  void state.login({ returnTo: '/' });
  const response: Promise<Response> = state.fetch('resources', { method: 'POST' });
  const token: Promise<string> = state.getToken();
  const code: string | undefined = state.error?.message;
  const manager: TokenManager | null = state.tokenManager;
  void [loggedIn, redirected, response, token, manager, state.logout({ revoke: false })];
  const callback: OAuthCallbackState = useOAuthCallback();
  const result: RedirectResult | null = callback.result;
  return \`\${state.isLoading} \${state.isAuthenticated} \${sub} \${code} \${callback.loading} \${result?.appState}\`;
}
`;

test('types: wasm-auth/react under tsc --strict (nodenext), with @types/react', async () => {
  writeFileSync(join(project, 'check.ts'), CHECK_TS);
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules', '@types', 'react'), join(project, 'node_modules', '@types', 'react'));
  await typecheck(project, 'check.ts');
});

const revoke = (server, token) => fetch(`${server.url}/oauth/revoke`, { method: 'POST', body: new URLSearchParams({ token }) });

for (const [major, version] of Object.entries(VERSIONS)) {
  test(`React ${major} (StrictMode), reference server: login, fetch, claims, tokenchange, a remount, a second tab, logout, sessionexpired`, async () => {
    // 4-second access tokens: refreshed at mid-life, so a tokenchange comes every 2 s.
    const server = await referenceServer(major, {}, ['--access-ttl', '4']);
    const context = await browser.newContext();
    const page = await open(context, `${server.url}/`);
    await see(page, 'status', 'signed out');
    assert.equal(await shown(page, 'react'), `React ${version}`);
    assert.deepEqual(await page.evaluate(() => window.effects), { mounted: 2, unmounted: 1 }, 'StrictMode ran its test unmount');
    assert.equal(await shown(page, 'claims'), 'no claims');

    // A wrong password: the hook's error, no session.
    await page.fill('input[name=email]', EMAIL);
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('text=Log in');
    await see(page, 'error', 'error ERR_AUTH_INVALID_CREDENTIALS');
    assert.equal(await shown(page, 'status'), 'signed out');

    await page.fill('input[name=password]', PASSWORD);
    await page.click('text=Log in');
    await see(page, 'status', 'signed in');
    await see(page, 'claims', 'sub user_demo');
    assert.equal(await shown(page, 'error'), 'no error');
    assert.equal(await server.count('POST /v1/auth/login'), 2, 'one request per click, none from StrictMode');
    await page.click('text=Load resources');
    await see(page, 'resources', 'resources 200');
    await assertNothingStored(page, 'login');

    // A refresh re-renders the claims (a later exp) with no action of the app.
    const before = await shown(page, 'claims');
    await page.locator('#claims').filter({ hasNotText: before }).waitFor({ timeout: 10_000 });
    assert.match(await shown(page, 'claims'), /^sub user_demo, exp \d+$/);
    assert.ok(await server.count('POST /v1/auth/refresh') >= 1);

    // A new provider tree for the same client: the same session at once, nothing asked again.
    const requests = await server.count('POST /v1/auth/refresh');
    await page.click('text=Remount');
    await page.waitForFunction(() => window.effects.mounted === 4);
    assert.equal(await shown(page, 'status'), 'signed in', 'no loading state: the same store');
    assert.match(await shown(page, 'claims'), /^sub user_demo, exp \d+$/);
    // The old tree unmounted, the new one mounted, and StrictMode's test unmount and mount of it.
    assert.deepEqual(await page.evaluate(() => window.effects), { mounted: 4, unmounted: 3 });
    assert.ok(await server.count('POST /v1/auth/refresh') <= requests + 1, 'at most the scheduled refresh');

    // A second tab of the same browser: restored from this one on mount, no login.
    const second = await open(context, `${server.url}/`);
    await see(second, 'status', 'signed in');
    await see(second, 'claims', 'sub user_demo');
    assert.equal(await server.count('POST /v1/auth/login'), 2);
    await second.close();

    // Logout, then a new login: StrictMode's test unmount disposed nothing (no ERR_AUTH_DISPOSED).
    await page.click('text=Log out');
    await see(page, 'status', 'signed out');
    assert.equal(await shown(page, 'claims'), 'no claims');
    await page.fill('input[name=email]', EMAIL);
    await page.fill('input[name=password]', PASSWORD);
    // The answer is read on its way to the page (route.fetch), not afterwards through the
    // DevTools protocol, which under load sometimes no longer has the body ("No data found").
    let answered;
    const answer = new Promise((resolve) => { answered = resolve; });
    await page.route('**/v1/auth/login', async (route) => {
      const response = await route.fetch();
      answered(await response.json());
      await route.fulfill({ response });
    });
    await page.click('text=Log in');
    const { refresh_token: refreshToken } = await answer;
    await page.unroute('**/v1/auth/login');
    // The server ends the session (the refresh token's family revoked, before the first refresh
    // at 2 s): the next refresh is refused, and the page shows sessionexpired's outcome.
    assert.equal((await revoke(server, refreshToken)).status, 200);
    await see(page, 'status', 'signed in');
    await see(page, 'error', 'error ERR_AUTH_SESSION_EXPIRED', 10_000);
    await see(page, 'status', 'signed out');
    assert.equal(await shown(page, 'claims'), 'no claims');
    await assertNothingStored(page, 'session expiry');
    assert.deepEqual(page.problems, []);
    await context.close();
  });

  test(`React ${major} (StrictMode), oidc-provider: the redirect flow through useOAuthCallback, one code redemption, a cancelled sign-in`, async () => {
    const pages = await referenceServer(major, {});
    const op = await startOidcProvider({ port: await freePort(), pageOrigin: pages.url });
    stops.push(() => op.close());
    writeFileSync(join(project, `www${major}`, 'config.js'), `window.appConfig = ${JSON.stringify({ oauth: { issuer: op.issuer } })};\n`);
    const context = await browser.newContext();
    const page = await open(context, `${pages.url}/`);
    await see(page, 'status', 'signed out');
    assert.equal(await shown(page, 'callback'), 'callback: none');

    await Promise.all([page.waitForURL((url) => url.origin === op.issuer), page.click('text=Sign in')]);
    await page.fill('input[name=login]', 'alice');
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    await page.waitForSelector('button[type=submit]');
    await Promise.all([page.waitForURL((url) => url.origin === pages.url), page.click('button[type=submit]')]); // consent

    await see(page, 'callback', 'callback: signed in as alice');
    await see(page, 'status', 'signed in');
    // oidc-provider's access tokens are opaque: no claims to decode (the ID token's are above).
    assert.equal(await shown(page, 'claims'), 'no claims');
    assert.deepEqual(await page.evaluate(() => window.effects), { mounted: 2, unmounted: 1 }, 'StrictMode ran its test unmount');
    assert.equal(op.grants('authorization_code'), 1, 'StrictMode redeemed the code once');
    assert.equal(await page.evaluate(() => location.search), '', 'callback parameters removed');
    await page.click('text=Who am I');
    await see(page, 'me', 'me alice'); // the tokens are in the TokenManager the app uses
    await assertNothingStored(page, 'the callback');

    await page.click('text=Log out');
    await see(page, 'status', 'signed out');
    assert.equal(op.grants('authorization_code'), 1);
    assert.deepEqual(page.problems, []);
    await context.close();

    // The user cancels at the provider: the hook's error, nobody signed in, nothing stored.
    const cancelled = await open(await browser.newContext(), `${pages.url}/`);
    await see(cancelled, 'status', 'signed out');
    await Promise.all([cancelled.waitForURL((url) => url.origin === op.issuer), cancelled.click('text=Sign in')]);
    await Promise.all([cancelled.waitForURL((url) => url.origin === pages.url), cancelled.click('text=[ Cancel ]')]);
    await see(cancelled, 'callback', 'callback: ERR_OAUTH_CALLBACK_ERROR');
    await see(cancelled, 'status', 'signed out');
    await assertNothingStored(cancelled, 'a cancelled sign-in');
    assert.equal(op.grants('authorization_code'), 1);
    assert.deepEqual(cancelled.problems, []);
    await cancelled.context().close();
  });
}
