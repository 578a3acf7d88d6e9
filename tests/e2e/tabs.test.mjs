// One session shared by the tabs of an origin (TokenManager `crossTab`, on by default in
// browsers), from the packed tarball, in every engine of WASM_AUTH_ENGINES (Chromium, Firefox,
// WebKit: tests/e2e/engines.mjs) against the reference server over real HTTP. Tabs are pages of
// one browser context, as a user's tabs are; each loads index.html?tab=<label>, which is how the
// proxy in front of the server (api.route) tells their requests apart.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { engines, launch, startRouter } from './engines.mjs';
import { makeProject } from './helpers.mjs';

const EMAIL = 'user@example.com';
const PASSWORD = 'securepassword';
const REFRESH = 'POST /v1/auth/refresh';

let project;
const servers = new Set();

before(async () => {
  project = await makeProject('tabs', {});
  cpSync(join(import.meta.dirname, 'fixtures', 'client-page'), join(project, 'www'), { recursive: true });
});

after(async () => {
  for (const server of servers) await server.stop();
});

/**
 * A reference server serving the test page and the installed package, counting requests, behind
 * a proxy whose api.route() holds, answers or cuts requests (engines.mjs startRouter).
 */
async function server(args = []) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wasm-auth-tabs-'));
  const started = await startReferenceServer({
    dataDir, port: 0, wwwDir: join(project, 'www'), pkgDir: join(project, 'node_modules', 'wasm-auth'), args: ['--request-stats', ...args],
  });
  const router = await startRouter(started.url);
  const stop = started.stop;
  started.stop = async () => { await router.close(); await stop(); };
  started.url = router.url;
  started.route = router.route;
  servers.add(started);
  started.requests = async () => (await (await fetch(`${started.url}/_stats`)).json()).requests;
  started.count = async (endpoint) => (await started.requests())[endpoint] ?? 0;
  // Requests to the API itself (not the page or the package's files).
  started.apiCalls = async () => Object.entries(await started.requests())
    .filter(([endpoint]) => / \/(v1|oauth)\//.test(endpoint)).reduce((sum, [, n]) => sum + n, 0);
  started.base = `${started.url}/v1`;
  return started;
}

const login = (page) => page.evaluate(([email, password]) => window.tm.login(email, password), [EMAIL, PASSWORD]);
const restore = (page) => page.evaluate(async () => {
  const started = performance.now();
  const info = await window.tm.restore();
  return { info, ms: performance.now() - started };
});
const call = (page) => page.evaluate(() => window.tm.fetch('resources').then((r) => r.status, (e) => e.code));
/** Waits for `predicate` in every tab, polling from here. */
async function until(pages, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const results = await Promise.all(pages.map((page) => page.evaluate(predicate)));
    if (results.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`not in every tab within ${timeoutMs} ms: ${predicate}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const events = (page, type) => page.evaluate((type) => window.events.filter((e) => !type || e.type === type), type);

/** Web Storage, IndexedDB and JS-visible cookies: all must stay empty at every step. */
async function assertNothingStored(pages, step) {
  for (const page of pages) {
    if (page.isClosed()) continue;
    const stored = await page.evaluate(async () => ({
      localStorage: Object.keys(localStorage),
      sessionStorage: Object.keys(sessionStorage),
      indexedDB: (await indexedDB.databases()).map((d) => d.name),
      cookie: document.cookie,
    }));
    assert.deepEqual(stored, { localStorage: [], sessionStorage: [], indexedDB: [], cookie: '' }, `after ${step}`);
  }
}

/** Calls the API from every open tab every `everyMs` for `forMs`; every status seen, by tab. */
async function callFromEveryTab(pages, { forMs, everyMs = 400 }) {
  const statuses = pages.map(() => []);
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    await Promise.all(pages.map(async (page, i) => {
      if (!page.isClosed()) statuses[i].push(await call(page));
    }));
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return statuses;
}

/** Every tab's events of `types` (none expected). */
async function unexpected(pages, types) {
  const seen = [];
  for (const page of pages) {
    if (!page.isClosed()) seen.push(...(await events(page)).filter((e) => types.includes(e.type)));
  }
  return seen;
}

for (const engine of engines()) describe(engine, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  /**
   * `count` tabs of one browser (one context), each with `window.tm`, a TokenManager with `options`;
   * `hooks`: page-hooks.js switches for every tab ('clock', 'nolocks').
   */
  async function tabs(api, count, { options = {}, context, hooks = [] } = {}) {
    context ??= await browser.newContext();
    const pages = [];
    for (let i = 0; i < count; i++) pages.push(await tab(context, api, options, `tab${i}`, hooks));
    return { context, pages };
  }

  async function tab(context, api, options, label, hooks = []) {
    const page = await context.newPage();
    await page.goto(`${api.url}/index.html?${[...hooks, `tab=${label}`].join('&')}`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 15_000 });
    await page.evaluate(([base, options, label]) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base, ...options }), label);
    }, [api.base, options, label]);
    return page;
  }

  test('a new tab is restored from its peers with no request to the server, and a login reaches every tab', async () => {
    const api = await server(['--access-ttl', '60']);
    const { context, pages: [first, second] } = await tabs(api, 2);
    assert.equal((await restore(second)).info, null, 'nobody logged in yet: restore resolves null');
    await login(first);
    await second.waitForFunction(() => window.tm.isAuthenticated, null, { timeout: 2_000 });
    const peerLogin = (await events(second, 'tokenchange')).map((e) => e.detail.reason);
    assert.deepEqual(peerLogin, ['peer'], 'the login reached the other tab');

    const before = await api.apiCalls();
    const third = await tab(context, api, {}, 'tab2');
    const restored = await restore(third);
    assert.ok(restored.info, 'restored');
    console.log(`# restore from a peer took ${restored.ms.toFixed(0)} ms`);
    assert.ok(restored.info.expiresAt > Date.now() + 50_000, 'with the peer\'s expiry');
    assert.equal(await api.apiCalls(), before, 'no request to the API');
    assert.equal(await call(third), 200);
    const [a, b] = await Promise.all([first, third].map((p) => p.evaluate(() => window.tm.getToken())));
    assert.equal(a, b, 'the same access token in every tab');
    await assertNothingStored([first, second, third], 'restore from a peer');
    for (const page of [first, second, third]) assert.deepEqual(await page.problems(), []);
    await context.close();
  });

  test('5 tabs, 3-second tokens, 60 s of calls from every tab: every call 200, one refresh per rotation', async () => {
    const api = await server(['--access-ttl', '3']);
    const { context, pages } = await tabs(api, 5);
    await login(pages[0]);
    for (const page of pages.slice(1)) assert.ok((await restore(page)).info);
    const statuses = await callFromEveryTab(pages, { forMs: 60_000 });
    for (const [i, list] of statuses.entries()) {
      assert.ok(list.length > 50, `tab ${i} made calls`);
      assert.deepEqual(list.filter((s) => s !== 200), [], `tab ${i}: every call 200`);
    }
    // A 3 s token is refreshed at mid-life: about 40 rotations in 60 s, each redeemed once.
    const refreshes = await api.count(REFRESH);
    console.log(`# ${refreshes} refresh requests for 5 tabs in 60 s`);
    assert.ok(refreshes >= 25 && refreshes <= 50, `about one refresh per rotation, not one per tab: ${refreshes}`);
    assert.deepEqual(await unexpected(pages, ['sessionexpired', 'refresherror']), []);
    await assertNothingStored(pages, '60 s of shared refreshes');
    await context.close();
  });

  test('the tab holding the lock is closed mid-refresh (its answer held back): the others carry on', async () => {
    const api = await server(['--access-ttl', '3']);
    const { context, pages } = await tabs(api, 5);
    await login(pages[0]);
    for (const page of pages.slice(1)) assert.ok((await restore(page)).info);
    // Tab 0's next refresh reaches the server (which rotates), and its answer never comes back.
    let held;
    const redeemed = new Promise((resolve) => { held = resolve; });
    api.route('/v1/auth/refresh', async (route) => {
      await route.fetch();
      held();
    }, { referer: 'tab=tab0' });
    const calls = callFromEveryTab(pages.slice(1), { forMs: 20_000 });
    await redeemed;
    await pages[0].close();
    const statuses = await calls;
    for (const [i, list] of statuses.entries()) {
      assert.deepEqual(list.filter((s) => s !== 200), [], `tab ${i + 1}: every call 200`);
    }
    assert.deepEqual(await unexpected(pages.slice(1), ['sessionexpired']), []);
    await assertNothingStored(pages.slice(1), 'the lock holder closed');
    await context.close();
  });

  test('background tabs frozen by the browser get the active tab\'s tokens when they wake, with no refresh storm', async () => {
    const api = await server(['--access-ttl', '3']);
    const { context, pages } = await tabs(api, 5, { hooks: ['clock'] });
    await login(pages[0]);
    for (const page of pages.slice(1)) assert.ok((await restore(page)).info);
    // Frozen as Chrome freezes background tabs (Page Lifecycle): no task, no timer runs there.
    // WebDriver cannot freeze a tab: in Firefox and WebKit the tab's timers are held (README).
    for (const page of pages.slice(1)) await page.freeze();
    const during = await callFromEveryTab(pages.slice(0, 1), { forMs: 12_000 });
    assert.deepEqual(during[0].filter((s) => s !== 200), [], 'the active tab: every call 200');
    const beforeWake = await api.count(REFRESH);
    for (const page of pages.slice(1)) await page.wake();
    const after = await callFromEveryTab(pages, { forMs: 3_000 });
    for (const [i, list] of after.entries()) assert.deepEqual(list.filter((s) => s !== 200), [], `tab ${i} after waking: every call 200`);
    // Waking four tabs adds no refresh beyond the active tab's own schedule (about 2 in 3 s).
    const woken = await api.count(REFRESH) - beforeWake;
    assert.ok(woken <= 4, `no refresh storm when the tabs wake: ${woken} refreshes in 3 s`);
    for (const page of pages.slice(1)) {
      const reasons = (await events(page, 'tokenchange')).map((e) => e.detail.reason);
      assert.ok(reasons.filter((r) => r === 'peer').length >= 2, `the woken tab adopted its peers' tokens: ${reasons}`);
    }
    assert.deepEqual(await unexpected(pages, ['sessionexpired', 'refresherror']), []);
    await context.close();
  });

  test('logout in one tab logs out every tab, and a refresh in flight during it is discarded everywhere', async () => {
    const api = await server(['--access-ttl', '3']);
    const { context, pages } = await tabs(api, 3);
    await login(pages[0]);
    for (const page of pages.slice(1)) assert.ok((await restore(page)).info);
    // The next refresh, whichever tab makes it, is held at the network until after the logout.
    let release;
    const resume = new Promise((resolve) => { release = resolve; });
    let refreshing;
    const started = new Promise((resolve) => { refreshing = resolve; });
    for (const [i, page] of pages.entries()) {
      api.route('/v1/auth/refresh', async (route) => {
        refreshing(page);
        await resume;
        await route.continue();
      }, { referer: `tab=tab${i}` });
    }
    const refresher = await started;
    const loggedOutAt = Date.now();
    await pages.find((page) => page !== refresher).evaluate(() => window.tm.logout());
    await until(pages, () => !window.tm.isAuthenticated, 1_000);
    console.log(`# every tab logged out ${Date.now() - loggedOutAt} ms after the logout`);
    release();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const [i, page] of pages.entries()) {
      assert.equal(await page.evaluate(() => window.tm.isAuthenticated), false, `tab ${i} stays logged out`);
      assert.equal(await call(page), 'ERR_AUTH_NOT_AUTHENTICATED');
      const types = (await events(page)).map((e) => e.type);
      assert.equal(types.at(-1), 'logout', `tab ${i}: nothing after the logout: ${types}`);
    }
    const reasons = await Promise.all(pages.map(async (p) => (await events(p, 'logout'))[0].detail));
    assert.equal(reasons.filter((r) => r.reason === undefined).length, 1, 'one tab logged out');
    assert.equal(reasons.filter((r) => r.reason === 'peer').length, 2, 'the others followed');
    await assertNothingStored(pages, 'logout everywhere');
    await context.close();
  });

  test('a reload: with refreshTokenInCookie, restore makes exactly one refresh; without it and without peers, null', async () => {
    const api = await server(['--access-ttl', '60']);
    const { context, pages: [page] } = await tabs(api, 1, { options: { refreshTokenInCookie: true } });
    await login(page);
    const cookieUrls = [`${api.base}/auth/refresh`, `${api.base}/auth/logout`];
    const cookies = await context.cookies(cookieUrls);
    assert.deepEqual(cookies.map((c) => [c.name, c.path, c.httpOnly, c.sameSite]).sort(), [
      ['refresh_token', '/v1/auth/logout', true, 'Strict'],
      ['refresh_token', '/v1/auth/refresh', true, 'Strict'],
    ], 'the refresh token is in HttpOnly cookies only');
    const reloadWith = async (options) => {
      await page.reload();
      await page.waitForFunction(() => window.ready === true);
      return page.evaluate(async ([base, options]) => {
        window.tm = record(new wa.TokenManager({ baseUrl: base, ...options }));
        const info = await window.tm.restore();
        const response = info && await window.tm.fetch('resources');
        return { info, status: response?.status ?? null, reasons: window.events.map((e) => e.detail.reason) };
      }, [api.base, options]);
    };
    const refreshes = await api.count(REFRESH);
    const restored = await reloadWith({ refreshTokenInCookie: true });
    assert.ok(restored.info, 'restored after the reload');
    assert.equal(restored.status, 200);
    assert.deepEqual(restored.reasons, ['restore']);
    assert.equal(await api.count(REFRESH) - refreshes, 1, 'exactly one refresh, with the cookie');
    await assertNothingStored([page], 'reload with the refresh cookie');

    // Two restores at once (React StrictMode runs an effect twice): one refresh, one session.
    const before = await api.count(REFRESH);
    await page.reload();
    await page.waitForFunction(() => window.ready === true);
    const twice = await page.evaluate(async (base) => {
      window.tm = record(new wa.TokenManager({ baseUrl: base, refreshTokenInCookie: true }));
      const [a, b] = await Promise.all([window.tm.restore(), window.tm.restore()]);
      return { a, b };
    }, api.base);
    assert.ok(twice.a && twice.b, 'both restored');
    // The same session: expiresAt and refreshAt are wall-clock readings of one monotonic expiry,
    // taken at each call, so they may differ by a millisecond (seen in WebKit).
    assert.equal(twice.b.scope, twice.a.scope);
    for (const time of ['expiresAt', 'refreshAt']) {
      assert.ok(Math.abs(twice.b[time] - twice.a[time]) <= 2, `${time}: ${twice.a[time]} and ${twice.b[time]}`);
    }
    assert.equal(await api.count(REFRESH) - before, 1, 'concurrent restores share one cookie refresh');

    // Logout revokes the cookie's family, clears the cookie, and the API refuses the access token
    // from then on: a reload then restores nothing.
    const token = await page.evaluate(() => window.tm.getToken());
    await page.evaluate(() => window.tm.logout());
    assert.deepEqual(await context.cookies(cookieUrls), []);
    const refused = await fetch(`${api.base}/resources`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(refused.status, 401, 'the logout deny-listed the access token');
    assert.equal((await reloadWith({ refreshTokenInCookie: true })).info, null);
    await login(page);
    assert.equal((await reloadWith({})).info, null, 'without the option (and without peers): null');
    await assertNothingStored([page], 'reloads');
    await context.close();
  });

  test('refresh cookie, 3 tabs, 3-second tokens, one tab reloading every 2 s: every call 200, never a second redemption', async () => {
    const api = await server(['--access-ttl', '3']);
    const { context, pages } = await tabs(api, 3, { options: { refreshTokenInCookie: true } });
    await login(pages[0]);
    for (const page of pages.slice(1)) assert.ok((await restore(page)).info);
    const reloader = (async () => {
      for (let i = 0; i < 7; i++) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        await pages[2].reload();
        await pages[2].waitForFunction(() => window.ready === true);
        const restored = await pages[2].evaluate(async (base) => {
          window.tm = record(new wa.TokenManager({ baseUrl: base, refreshTokenInCookie: true }), 'reloaded');
          return window.tm.restore();
        }, api.base);
        assert.ok(restored, `reload ${i + 1} restored`);
      }
    })();
    const statuses = await callFromEveryTab(pages.slice(0, 2), { forMs: 15_000 });
    await reloader;
    for (const [i, list] of statuses.entries()) assert.deepEqual(list.filter((s) => s !== 200), [], `tab ${i}: every call 200`);
    assert.equal(await call(pages[2]), 200);
    assert.deepEqual(await unexpected(pages, ['sessionexpired']), []);
    await assertNothingStored(pages, 'reloads with the refresh cookie');
    await context.close();
  });

  test('crossTab: false, or a browser without Web Locks: each tab keeps its own session', async () => {
    const api = await server(['--access-ttl', '60']);
    const off = await tabs(api, 2, { options: { crossTab: false } });
    await login(off.pages[0]);
    assert.equal((await restore(off.pages[1])).info, null);
    assert.equal(await off.pages[1].evaluate(() => window.tm.isAuthenticated), false);
    await off.context.close();

    const { context, pages } = await tabs(api, 2, { hooks: ['nolocks'] });
    await login(pages[0]);
    assert.equal((await restore(pages[1])).info, null);
    assert.equal(await call(pages[0]), 200);
    await context.close();
  });
});
