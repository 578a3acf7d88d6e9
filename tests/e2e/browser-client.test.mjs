// The browser client (TokenManager, ApiKeys, ApiKeyAuth, SessionClient) from the packed
// tarball, in every engine of WASM_AUTH_ENGINES (Chromium, Firefox, WebKit: tests/e2e/engines.mjs),
// against the reference server over real HTTP. The page is served by the server itself (same
// origin, as `make demo` does).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { engines, launch, startRouter } from './engines.mjs';
import { freePort, makeProject } from './helpers.mjs';

const EMAIL = 'user@example.com';
const PASSWORD = 'securepassword';

let project;
const servers = new Set();

before(async () => {
  project = await makeProject('browser-client', {});
  cpSync(join(import.meta.dirname, 'fixtures', 'client-page'), join(project, 'www'), { recursive: true });
});

after(async () => {
  for (const server of servers) await server.stop();
});

/**
 * A reference server serving the test page and the installed package; `routed`: behind a proxy
 * whose api.route() holds, answers or cuts requests (engines.mjs startRouter).
 */
async function server({ args = [], port = 0, dataDir = mkdtempSync(join(tmpdir(), 'wasm-auth-client-')), routed = false } = {}) {
  const started = await startReferenceServer({
    dataDir, port, wwwDir: join(project, 'www'), pkgDir: join(project, 'node_modules', 'wasm-auth'), args: ['--request-stats', ...args],
  });
  servers.add(started);
  const stop = started.stop;
  started.stop = async () => { servers.delete(started); await stop(); };
  started.dataDir = dataDir;
  if (routed) {
    const router = await startRouter(started.url);
    started.url = router.url;
    started.route = router.route;
    started.stop = async () => { await router.close(); await stop(); servers.delete(started); };
  }
  started.port = Number(new URL(started.url).port);
  started.count = async (endpoint) => ((await (await fetch(`${started.url}/_stats`)).json()).requests[endpoint] ?? 0);
  return started;
}

/** Web Storage, IndexedDB and JS-visible cookies: all must stay empty at every step. */
async function assertNothingStored(page, step) {
  const stored = await page.evaluate(async () => ({
    localStorage: Object.keys(localStorage),
    sessionStorage: Object.keys(sessionStorage),
    indexedDB: (await indexedDB.databases()).map((d) => d.name),
    cookie: document.cookie,
  }));
  assert.deepEqual(stored, { localStorage: [], sessionStorage: [], indexedDB: [], cookie: '' }, `after ${step}`);
}

// The reason a network error carries is the browser's own TypeError message (README: engines).
const FETCH_FAILED = { chromium: 'Failed to fetch', firefox: 'NetworkError when attempting to fetch resource.', webkit: 'Load failed' };

const rawLogin = async (url) => (await fetch(`${url}/v1/auth/login`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
})).json();

for (const engine of engines()) describe(engine, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  async function open(url, { clock = false } = {}) {
    const page = await browser.newPage();
    await page.goto(`${url}/index.html${clock ? '?clock' : ''}`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 15_000 })
      .catch(async (e) => { throw new Error(`${e.message}\n${(await page.problems().catch(() => [])).join('\n')}`); });
    return page;
  }

  /** The page's test clock (fixtures/client-page/page-hooks.js): pauseAt or setSystemTime, in ms. */
  const clock = (page, method, ms) => page.evaluate(([method, ms]) => window.__clock[method](ms), [method, ms]);

  test('login, authenticated fetch, wrong password, logout: coded errors, nothing stored anywhere', async () => {
    const api = await server();
    const page = await open(api.url);
    await assertNothingStored(page, 'page load');
    const wrong = await page.evaluate(async (base) => {
      const tm = new wa.TokenManager({ baseUrl: base });
      try { await tm.login('user@example.com', 'not-the-password'); return 'no error'; } catch (e) { return { code: e.code, name: e.name, message: e.message }; }
    }, `${api.url}/v1`);
    assert.equal(wrong.code, 'ERR_AUTH_INVALID_CREDENTIALS');
    assert.equal(wrong.name, 'WasmAuthError');
    assert.doesNotMatch(wrong.message, /not-the-password/);

    const result = await page.evaluate(async ([base, email, password]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base }));
      const before = await window.tm.getToken().catch((e) => e.code);
      const info = await window.tm.login(email, password);
      const response = await window.tm.fetch('resources');
      const token = await window.tm.getToken();
      let untrusted;
      try { await window.tm.fetch('https://elsewhere.example/steal'); } catch (e) { untrusted = e.code; }
      return { before, info, status: response.status, body: await response.json(), token, untrusted, authenticated: window.tm.isAuthenticated };
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    assert.equal(result.before, 'ERR_AUTH_NOT_AUTHENTICATED');
    assert.equal(result.status, 200);
    assert.equal(result.body.authenticated_via, 'bearer');
    assert.equal(result.body.user, 'user_demo');
    assert.equal(result.authenticated, true);
    assert.equal(result.untrusted, 'ERR_AUTH_UNTRUSTED_ORIGIN');
    assert.match(result.token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const expiresIn = (result.info.expiresAt - Date.now()) / 1000;
    assert.ok(expiresIn > 3500 && expiresIn <= 3601, `expiresAt is about an hour away: ${expiresIn}`);
    assert.ok(Math.abs(result.info.expiresAt - 300_000 - result.info.refreshAt) < 2, 'refresh 5 minutes before expiry');
    assert.equal(result.info.scope, 'read:resources write:resources api_keys:read api_keys:write');
    await assertNothingStored(page, 'login and fetch');

    const events = await page.evaluate(async () => {
      await window.tm.logout();
      const after = await window.tm.getToken().catch((e) => e.code);
      return { after, events: window.events.map((e) => e.type), authenticated: window.tm.isAuthenticated };
    });
    assert.equal(events.after, 'ERR_AUTH_NOT_AUTHENTICATED');
    assert.equal(events.authenticated, false);
    assert.deepEqual(events.events, ['tokenchange', 'logout']);
    await assertNothingStored(page, 'logout');
    assert.deepEqual(await page.problems(), []);
    await page.close();
    await api.stop();
  });

  test('a 4-second token with a 2-second margin is refreshed on schedule, with no call from the app', async () => {
    const api = await server({ args: ['--access-ttl', '4'] });
    const page = await open(api.url);
    await page.evaluate(async ([base, email, password]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base, refreshMarginSeconds: 2 }));
      await window.tm.login(email, password);
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    const loggedInAt = Date.now();
    assert.equal(await api.count('POST /v1/auth/refresh'), 0);
    // Refreshes are due 2 s after each token: 3 of them in ~6.5 s.
    await page.waitForFunction(() => window.events.filter((e) => e.type === 'tokenchange').length >= 4, null, { timeout: 15_000 });
    const elapsed = Date.now() - loggedInAt;
    assert.ok(elapsed >= 5_500, `three refreshes take at least 3 x 2 s, took ${elapsed} ms`);
    assert.equal(await api.count('POST /v1/auth/refresh'), 3);
    const reasons = await page.evaluate(() => window.events.filter((e) => e.type === 'tokenchange').map((e) => e.detail.reason));
    assert.deepEqual(reasons.slice(0, 4), ['login', 'refresh', 'refresh', 'refresh']);
    const changes = await page.evaluate(() => window.events.filter((e) => e.type === 'tokenchange').map((e) => e.at));
    for (let i = 1; i < changes.length; i++) {
      const gap = changes[i] - changes[i - 1];
      assert.ok(gap >= 1_800 && gap < 3_500, `refresh ${i} came ${gap} ms after the previous token (due at 2000)`);
    }
    const status = await page.evaluate(async () => (await window.tm.fetch('resources')).status);
    assert.equal(status, 200);
    await assertNothingStored(page, 'scheduled refreshes');
    await page.evaluate(() => window.tm.dispose());
    await page.close();
    await api.stop();
  });

  test('20 concurrent fetches across an expiry make exactly one refresh request', async () => {
    const api = await server({ args: ['--access-ttl', '2'] });
    // Timers frozen, as in a background tab: only the wall clock moves, so the token expires
    // with no scheduled refresh having run.
    const page = await open(api.url, { clock: true });
    await clock(page, 'pauseAt', Date.now() + 1_000);
    await page.evaluate(async ([base, email, password]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base, refreshMarginSeconds: 1 }));
      await window.tm.login(email, password);
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // the server's token expires for real
    await clock(page, 'setSystemTime', Date.now() + 60_000);
    const statuses = await page.evaluate(() => Promise.all(Array.from({ length: 20 }, () => window.tm.fetch('resources').then((r) => r.status))));
    assert.deepEqual(statuses, Array(20).fill(200));
    assert.equal(await api.count('POST /v1/auth/refresh'), 1, 'one shared refresh');
    assert.equal(await api.count('GET /v1/resources'), 20, 'no request was sent with the expired token');
    await assertNothingStored(page, 'concurrent refresh');
    await page.evaluate(() => window.tm.dispose());
    await page.close();
    await api.stop();
  });

  test('timers frozen (background tab): waking the page (online, pageshow, visibilitychange) rechecks the schedule', async () => {
    const api = await server({ args: ['--access-ttl', '60'] });
    const page = await open(api.url, { clock: true });
    await clock(page, 'pauseAt', Date.now() + 1_000);
    await page.evaluate(async ([base, email, password]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base, refreshMarginSeconds: 10 }));
      await window.tm.login(email, password);
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    // 55 s later by the wall clock, inside the margin; the refresh timer never ran.
    await clock(page, 'setSystemTime', Date.now() + 55_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await api.count('POST /v1/auth/refresh'), 0, 'frozen timers: no refresh yet');
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await page.waitForFunction(() => window.events.filter((e) => e.type === 'tokenchange').length === 2, null, { timeout: 5_000 });
    assert.equal(await api.count('POST /v1/auth/refresh'), 1);
    // A fresh token: another wake changes nothing.
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow')));
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await api.count('POST /v1/auth/refresh'), 1);
    await page.evaluate(() => window.tm.dispose());
    await page.close();
    await api.stop();
  });

  test('logout discards a refresh in flight, and with a revocationEndpoint revokes both tokens', async () => {
    const api = await server({ args: ['--access-ttl', '60'], routed: true });
    const page = await open(api.url, { clock: true });
    await clock(page, 'pauseAt', Date.now() + 1_000);
    const tokens = await rawLogin(api.url);
    await page.evaluate(([base, issued]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base, revocationEndpoint: base.replace('/v1', '/oauth/revoke') }));
      window.tm.setTokens(issued);
    }, [`${api.url}/v1`, tokens]);
    await clock(page, 'setSystemTime', Date.now() + 120_000); // expired: the next call must refresh
    // Hold the refresh request in flight until logout has run; the server still answers it.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    let arrived;
    const inFlight = new Promise((resolve) => { arrived = resolve; });
    api.route('/v1/auth/refresh', async (route) => { arrived(); await held; await route.continue(); });
    await page.evaluate(() => { window.pending = window.tm.getToken().then(() => 'token', (e) => e.code); });
    await inFlight;
    const outcome = await page.evaluate(async () => {
      const logout = window.tm.logout({ revoke: false });
      return { logout: await logout, authenticated: window.tm.isAuthenticated };
    });
    release();
    outcome.pending = await page.evaluate(() => window.pending);
    outcome.events = await page.evaluate(() => window.events.map((e) => e.type));
    assert.equal(outcome.pending, 'ERR_AUTH_NOT_AUTHENTICATED', 'the refresh answer was discarded');
    assert.equal(outcome.authenticated, false);
    assert.deepEqual(outcome.logout, { revoked: false });
    assert.deepEqual(outcome.events, ['tokenchange', 'logout'], 'no tokenchange after logout');
    assert.equal(await page.evaluate(() => window.tm.isAuthenticated), false);
    assert.equal(await api.count('POST /v1/auth/refresh'), 1, 'the refresh did reach the server (and succeeded there)');
    assert.equal(await api.count('POST /oauth/revoke'), 0);

    // The default logout with a revocationEndpoint revokes the refresh token and the access token.
    const second = await rawLogin(api.url);
    const revoked = await page.evaluate(async ([base, issued]) => {
      const tm = new wa.TokenManager({ baseUrl: base, revocationEndpoint: base.replace('/v1', '/oauth/revoke') });
      tm.setTokens(issued);
      return tm.logout();
    }, [`${api.url}/v1`, second]);
    assert.deepEqual(revoked, { revoked: true });
    assert.equal(await api.count('POST /oauth/revoke'), 2, 'refresh token and access token');
    const withAccess = await fetch(`${api.url}/v1/resources`, { headers: { authorization: `Bearer ${second.access_token}` } });
    assert.equal(withAccess.status, 401, 'the access token was revoked');
    const withRefresh = await fetch(`${api.url}/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: second.refresh_token }) });
    assert.equal(withRefresh.status, 401, 'the refresh token was revoked');
    await assertNothingStored(page, 'logout with revocation');
    await page.close();
    await api.stop();
  });

  test('a 401 from the API makes one refresh and one retry', async () => {
    const api = await server();
    const page = await open(api.url);
    const token = await page.evaluate(async ([base, email, password]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base }));
      await window.tm.login(email, password);
      return window.tm.getToken();
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    // The server revokes the access token (RFC 7009): the client still believes it fresh.
    const revoked = await fetch(`${api.url}/oauth/revoke`, { method: 'POST', body: new URLSearchParams({ token }) });
    assert.equal(revoked.status, 200);
    const result = await page.evaluate(async () => {
      const response = await window.tm.fetch('resources', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'after-401' }) });
      return { status: response.status, body: await response.json(), token: await window.tm.getToken() };
    });
    assert.equal(result.status, 201, 'the retried POST carried its body again');
    assert.equal(result.body.name, 'after-401');
    assert.notEqual(result.token, token);
    assert.equal(await api.count('POST /v1/auth/refresh'), 1);
    assert.equal(await api.count('POST /v1/resources'), 2, 'one refused request, one retry');
    await page.evaluate(() => window.tm.dispose());
    await page.close();
    await api.stop();
  });

  test('a refresh token reused after rotation ends the session: sessionexpired, ERR_AUTH_SESSION_EXPIRED', async () => {
    const api = await server();
    const page = await open(api.url);
    const first = await rawLogin(api.url);
    await page.evaluate(async ([base, tokens]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base }));
      window.tm.setTokens(tokens);
    }, [`${api.url}/v1`, first]);
    // The manager rotates the refresh token (a 401 forces it)...
    await fetch(`${api.url}/oauth/revoke`, { method: 'POST', body: new URLSearchParams({ token: first.access_token }) });
    assert.equal(await page.evaluate(async () => (await window.tm.fetch('resources')).status), 200);
    assert.equal(await api.count('POST /v1/auth/refresh'), 1);
    // ...then someone replays the old one: the server revokes the whole family.
    const replay = await fetch(`${api.url}/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: first.refresh_token }) });
    assert.equal(replay.status, 401);
    const current = await page.evaluate(() => window.tm.getToken());
    await fetch(`${api.url}/oauth/revoke`, { method: 'POST', body: new URLSearchParams({ token: current }) });
    const outcome = await page.evaluate(async () => {
      const response = await window.tm.fetch('resources');
      const token = await window.tm.getToken().catch((e) => e.code);
      return { status: response.status, token, events: window.events.map((e) => [e.type, e.detail.error?.code ?? null]), authenticated: window.tm.isAuthenticated };
    });
    assert.equal(outcome.status, 401, 'the caller gets the API\'s 401 once the session is over');
    assert.equal(outcome.token, 'ERR_AUTH_NOT_AUTHENTICATED');
    assert.equal(outcome.authenticated, false);
    assert.deepEqual(outcome.events, [['tokenchange', null], ['tokenchange', null], ['sessionexpired', 'ERR_AUTH_SESSION_EXPIRED']]);
    await assertNothingStored(page, 'session expiry');
    await page.close();
    await api.stop();
  });

  test('the server down during a refresh: errors with retries while the token is valid, then recovery', async () => {
    const port = await freePort();
    let api = await server({ port, args: ['--access-ttl', '10'] });
    const page = await open(api.url);
    await page.evaluate(async ([base, email, password]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base, refreshMarginSeconds: 8 }));
      await window.tm.login(email, password); // refresh due at 5 s (mid-life)
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    const dataDir = api.dataDir;
    await api.stop();
    await page.waitForFunction(() => window.events.some((e) => e.type === 'refresherror'), null, { timeout: 10_000 });
    // Still valid: the app keeps its token while the background retries run.
    const during = await page.evaluate(async () => ({ token: await window.tm.getToken().then(() => 'token', (e) => e.code) }));
    assert.equal(during.token, 'token');
    api = await server({ port, dataDir, args: ['--access-ttl', '10'] });
    await page.waitForFunction(() => window.events.filter((e) => e.type === 'tokenchange').length >= 2, null, { timeout: 10_000 });
    const events = await page.evaluate(() => window.events.map((e) => ({ type: e.type, code: e.detail.error?.code, retryInMs: e.detail.retryInMs })));
    const errors = events.filter((e) => e.type === 'refresherror');
    assert.ok(errors.length >= 1);
    for (const e of errors) assert.equal(e.code, 'ERR_AUTH_NETWORK');
    assert.equal(errors[0].retryInMs, 1000, 'first retry after 1 s');
    assert.deepEqual(events.at(-1), { type: 'tokenchange', code: undefined, retryInMs: undefined });
    assert.equal(await page.evaluate(async () => (await window.tm.fetch('resources')).status), 200);
    await assertNothingStored(page, 'server restart');
    await page.evaluate(() => window.tm.dispose());
    await page.close();
    await api.stop();
  });

  test('a 503 and a 429 during refreshes: retried with backoff (Retry-After as the floor), then recovered', async () => {
    // A reference server that answers 503 or 429 cannot be made on demand: these two answers are
    // injected by the proxy in front of it (api.route); every other request reaches the real server.
    const api = await server({ args: ['--access-ttl', '12'], routed: true });
    const page = await open(api.url);
    const faults = [
      { status: 503, body: JSON.stringify({ error: 'temporarily_unavailable' }), headers: { 'content-type': 'application/json' } },
      { status: 429, body: JSON.stringify({ error: 'too_many_requests' }), headers: { 'content-type': 'application/json', 'retry-after': '3' } },
    ];
    api.route('/v1/auth/refresh', (route) => (faults.length ? route.fulfill(faults.shift()) : route.continue()));
    await page.evaluate(async ([base, email, password]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base, refreshMarginSeconds: 10 }));
      await window.tm.login(email, password); // refresh due at 6 s (mid-life)
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    await page.waitForFunction(() => window.events.filter((e) => e.type === 'tokenchange').length >= 2, null, { timeout: 15_000 });
    const events = await page.evaluate(() => window.events.map((e) => ({ type: e.type, code: e.detail.error?.code, retryInMs: e.detail.retryInMs, at: e.at })));
    const errors = events.filter((e) => e.type === 'refresherror');
    assert.deepEqual(errors.map((e) => [e.code, e.retryInMs]), [['ERR_AUTH_HTTP', 1000], ['ERR_AUTH_RATE_LIMITED', 3000]]);
    const recovered = events.at(-1);
    assert.equal(recovered.type, 'tokenchange');
    assert.ok(recovered.at - errors[1].at >= 2_900, `Retry-After 3 s was honoured (${recovered.at - errors[1].at} ms)`);
    assert.equal(await api.count('POST /v1/auth/refresh'), 1, 'only the last attempt reached the server');
    assert.equal(await page.evaluate(async () => (await window.tm.fetch('resources')).status), 200);
    await page.evaluate(() => window.tm.dispose());
    await page.close();
    await api.stop();
  });

  test('API keys: created (shown once), used by header and by query, listed without the key, revoked', async () => {
    const api = await server();
    const page = await open(api.url);
    const result = await page.evaluate(async ([base, email, password]) => {
      const tm = new wa.TokenManager({ baseUrl: base });
      await tm.login(email, password);
      const keys = new wa.ApiKeys({ tokenManager: tm });
      const created = await keys.create({ name: 'Production API Key', scopes: ['read:resources'] });
      const byHeader = await new wa.ApiKeyAuth({ baseUrl: base, apiKey: created.key }).fetch('resources');
      const byQuery = await new wa.ApiKeyAuth({ baseUrl: base, apiKey: created.key, placement: 'query' }).fetch('resources');
      const listed = await keys.list();
      const invalid = await keys.create({ name: 'x', scopes: ['not a scope'] }).catch((e) => e.code);
      const tooBroad = await keys.create({ name: 'x', scopes: ['admin'] }).catch((e) => ({ code: e.code, status: e.status, error: e.error, description: e.description }));
      const rotated = await keys.rotate(created.id, { name: 'Rotated', scopes: ['read:resources'] });
      const oldAfter = await new wa.ApiKeyAuth({ baseUrl: base, apiKey: created.key }).fetch('resources');
      const newWorks = await new wa.ApiKeyAuth({ baseUrl: base, apiKey: rotated.key }).fetch('resources');
      await keys.revoke(rotated.id);
      const revokedAfter = await new wa.ApiKeyAuth({ baseUrl: base, apiKey: rotated.key }).fetch('resources');
      const missing = await keys.revoke(rotated.id).catch((e) => ({ code: e.code, status: e.status }));
      const elsewhere = await new wa.ApiKeyAuth({ baseUrl: base, apiKey: created.key }).fetch('https://elsewhere.example/').catch((e) => e.code);
      tm.dispose();
      return {
        created: { id: created.id, name: created.name, scopes: created.scopes, keyShape: /^sk_live_/.test(created.key), created_at: created.created_at },
        header: [byHeader.status, (await byHeader.json()).authenticated_via],
        query: [byQuery.status, (await byQuery.json()).authenticated_via],
        listed, invalid, tooBroad, oldAfter: oldAfter.status, newWorks: newWorks.status, revokedAfter: revokedAfter.status, missing, elsewhere,
        keyLeftInList: JSON.stringify(listed).includes(created.key),
      };
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    assert.match(result.created.id, /^key_/);
    assert.equal(result.created.name, 'Production API Key');
    assert.deepEqual(result.created.scopes, ['read:resources']);
    assert.ok(result.created.keyShape);
    assert.match(result.created.created_at, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(result.header, [200, 'api_key']);
    assert.deepEqual(result.query, [200, 'api_key']);
    assert.deepEqual(result.listed.map((k) => k.id), [result.created.id]);
    assert.equal(result.keyLeftInList, false);
    assert.equal(result.invalid, 'ERR_AUTH_INVALID_OPTIONS');
    assert.deepEqual(result.tooBroad, { code: 'ERR_AUTH_HTTP', status: 400, error: 'invalid_scope', description: 'an API key cannot have scopes its creator lacks' });
    assert.equal(result.oldAfter, 401, 'rotation revoked the old key');
    assert.equal(result.newWorks, 200);
    assert.equal(result.revokedAfter, 401);
    assert.deepEqual(result.missing, { code: 'ERR_AUTH_HTTP', status: 404 });
    assert.equal(result.elsewhere, 'ERR_AUTH_UNTRUSTED_ORIGIN');
    assert.equal(await api.count('GET /v1/resources'), 5, 'the untrusted origin got nothing');
    await assertNothingStored(page, 'API keys');
    await page.close();
    await api.stop();
  });

  test('cookie session: login, fetch with the HttpOnly cookie JS cannot see, logout', async () => {
    const api = await server();
    const page = await open(api.url);
    const result = await page.evaluate(async ([base, email, password]) => {
      const session = new wa.SessionClient({ baseUrl: base });
      const before = await session.current();
      const wrong = await session.login(email, 'nope').catch((e) => e.code);
      const info = await session.login(email, password);
      const visible = document.cookie;
      const response = await session.fetch('resources');
      const body = await response.json();
      const current = await session.current();
      await session.logout();
      const afterLogout = (await session.fetch('resources')).status;
      return { before, wrong, info, visible, status: response.status, via: body.authenticated_via, current, afterLogout, afterCurrent: await session.current() };
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    assert.equal(result.before, null);
    assert.equal(result.wrong, 'ERR_AUTH_INVALID_CREDENTIALS');
    assert.equal(result.info.user.email, EMAIL);
    assert.equal(result.visible, '', 'the session cookie is invisible to JavaScript');
    assert.equal(result.status, 200);
    assert.equal(result.via, 'session');
    assert.equal(result.current.user.id, 'user_demo');
    assert.equal(result.afterLogout, 401);
    assert.equal(result.afterCurrent, null);
    const cookies = await page.context.cookies();
    assert.deepEqual(cookies.filter((c) => c.name === 'wasm_auth_session').map((c) => c.value), [], 'logout cleared the cookie');
    await assertNothingStored(page, 'session');
    await page.close();
    await api.stop();
  });

  test('cookie session with a cross-site API: ERR_AUTH_COOKIES_BLOCKED, not a silent failure later', async () => {
    // The page on http://localhost:<page port>, the API on http://127.0.0.1:<api port>: another
    // site, so the SameSite=Lax cookie from a fetch answer is not kept.
    const pageServer = await server();
    const pageOrigin = `http://localhost:${pageServer.port}`;
    const api = await server({ args: ['--cors-origin', pageOrigin] });
    const page = await open(pageOrigin);
    const result = await page.evaluate(async ([base, email, password]) => {
      const session = new wa.SessionClient({ baseUrl: base });
      return session.login(email, password).then(() => 'logged in', (e) => ({ code: e.code, message: e.message }));
    }, [`${api.url}/v1`, EMAIL, PASSWORD]);
    assert.equal(result.code, 'ERR_AUTH_COOKIES_BLOCKED');
    assert.match(result.message, /cookie/);
    await page.close();
    await api.stop();
    await pageServer.stop();
  });

  // Issue 18 item 3: one error class, messages that say what went wrong, a path baseUrl, claims.
  test('errors: every error a WasmAuthError; HTTP and network failures name the request, CORS named for another origin', async () => {
    const api = await server({ routed: true });
    cpSync(join(import.meta.dirname, 'fixtures', 'errors-probe.js'), join(project, 'www', 'errors-probe.js'));
    const page = await open(api.url);
    const gone = `http://127.0.0.1:${await freePort()}`;
    const out = await page.evaluate(async ([gone, email, password]) => {
      const { errorsProbe } = await import('/errors-probe.js');
      const message = (promise) => promise.then(() => 'no error', (e) => `${e.code}: ${e.message}`);
      return {
        probe: await errorsProbe(wa),
        http: await message(new wa.TokenManager({ baseUrl: '/', crossTab: false }).login(email, password)),
        cors: await message(new wa.TokenManager({ baseUrl: `${gone}/v1`, crossTab: false }).login(email, password)),
        origin: location.origin,
      };
    }, [gone, EMAIL, PASSWORD]);
    assert.equal(out.probe.exported, true);
    for (const [source, error] of Object.entries(out.probe.errors)) {
      assert.equal(error.instance && error.guard && error.isError, true, `${source}: ${error.message}`);
      assert.equal(error.name, 'WasmAuthError', source);
    }
    assert.equal(out.probe.errors.getToken.message, 'not logged in: call login() or restore() first');
    assert.deepEqual(out.probe.plain, [false, false, false, false, false]);
    assert.match(out.http, new RegExp(`^ERR_AUTH_HTTP: POST ${api.url}/auth/login answered HTTP 4\\d\\d$`));
    assert.equal(out.cors, `ERR_AUTH_NETWORK: POST ${gone}/v1/auth/login could not be reached: ${FETCH_FAILED[engine]} (nothing answers at that address, or the server refused this page's origin ${out.origin}: CORS)`);
    // The same failure on the page's own origin: CORS cannot be the cause, and is not named.
    api.route('/v1/auth/login', (route) => route.abort());
    const same = await page.evaluate(async ([email, password]) => new wa.TokenManager({ baseUrl: '/v1', crossTab: false })
      .login(email, password).then(() => 'no error', (e) => `${e.code}: ${e.message}`), [EMAIL, PASSWORD]);
    assert.equal(same, `ERR_AUTH_NETWORK: POST ${api.url}/v1/auth/login could not be reached: ${FETCH_FAILED[engine]}`);
    assert.deepEqual(await page.problems(), []);
    await page.close();
    await api.stop();
  });

  test("a path baseUrl ('/v1') resolves against the page; fetch('/x') leaving it is refused, '/v1/x' and 'x' are fine; claims follow the session", async () => {
    const api = await server();
    const page = await open(api.url);
    const out = await page.evaluate(async ([email, password]) => {
      const message = (promise) => promise.then((r) => `answered ${r.status}`, (e) => `${e.code}: ${e.message}`);
      const tm = new wa.TokenManager({ baseUrl: '/v1', crossTab: false });
      const before = { claims: tm.claims, isAuthenticated: tm.isAuthenticated };
      await tm.login(email, password);
      const during = { claims: tm.claims, isAuthenticated: tm.isAuthenticated };
      const result = {
        baseUrl: tm.baseUrl,
        before,
        during,
        relative: await message(tm.fetch('resources')),
        inside: await message(tm.fetch('/v1/resources')),
        leaving: await message(tm.fetch('/resources')),
        absolute: await message(tm.fetch(`${location.origin}/v1/resources`)),
        keyAuth: await message(new wa.ApiKeyAuth({ baseUrl: '/v1', apiKey: 'sk_x' }).fetch('/health')),
        session: await message(new wa.SessionClient({ baseUrl: '/v1' }).fetch('/resources?secret=1')),
      };
      await tm.logout();
      result.after = { claims: tm.claims, isAuthenticated: tm.isAuthenticated };
      tm.dispose();
      return result;
    }, [EMAIL, PASSWORD]);
    assert.equal(out.baseUrl, `${api.url}/v1`);
    assert.deepEqual(out.before, { claims: null, isAuthenticated: false });
    assert.equal(out.during.isAuthenticated, true);
    assert.equal(out.during.claims.sub, 'user_demo');
    assert.equal(typeof out.during.claims.exp, 'number');
    assert.equal(out.relative, 'answered 200');
    assert.equal(out.inside, 'answered 200');
    assert.equal(out.absolute, 'answered 200');
    assert.equal(out.leaving, `ERR_AUTH_INVALID_OPTIONS: invalid options: fetch('/resources') leaves baseUrl's path /v1: use 'resources' (relative to baseUrl ${api.url}/v1), or an absolute URL for another path`);
    assert.match(out.keyAuth, /^ERR_AUTH_INVALID_OPTIONS: .*use 'health' \(relative to baseUrl/);
    assert.match(out.session, /^ERR_AUTH_INVALID_OPTIONS: .*use 'resources\?secret=…'/);
    assert.deepEqual(out.after, { claims: null, isAuthenticated: false });
    await page.close();
    await api.stop();
  });
});
