// One browser API for the end-to-end suites in every engine they run in (issue 20): Chromium
// (Debian's, through playwright-core, as before), Firefox ESR (geckodriver, WebDriver BiDi) and
// WebKitGTK (WebKitWebDriver + MiniBrowser under Xvfb, classic WebDriver: Debian's build has no
// BiDi), the last two through webdriverio. The suites use only what every engine can do:
//   launch(engine) -> browser { engine, newContext(), newPage(), close() }
//   context { newPage(), cookies(urls), close() }   a cookie jar and storage of its own
//   page { goto(url), reload(), url(), waitForURL(predicate), evaluate(fn, arg),
//          waitForFunction(fn, arg, { timeout }), fill(selector, value), click(selector | { text }),
//          problems(), freeze(), wake(), close(), isClosed() }
// What Playwright offered in Chromium only is done the same way in every engine: the page's
// errors, a test clock and a missing Web Locks come from fixtures/client-page/page-hooks.js, and
// requests are held, answered or cut by startRouter's proxy in front of the server.
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, launchChromium } from './helpers.mjs';

export const ALL_ENGINES = ['chromium', 'firefox', 'webkit'];

/** The engines to run in: WASM_AUTH_ENGINES (comma-separated), all three by default. */
export function engines() {
  const list = (process.env.WASM_AUTH_ENGINES ?? ALL_ENGINES.join(',')).split(',').map((e) => e.trim()).filter(Boolean);
  for (const engine of list) {
    if (!ALL_ENGINES.includes(engine)) throw new Error(`WASM_AUTH_ENGINES: unknown engine ${engine} (known: ${ALL_ENGINES})`);
  }
  return list;
}

const NAVIGATED_AWAY = 'evaluate: the page navigated away before the result';
export const FIREFOX = process.env.FIREFOX_BINARY ?? '/usr/bin/firefox-esr';
export const GECKODRIVER = process.env.GECKODRIVER ?? join(homedir(), '.cargo', 'bin', 'geckodriver');
export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
export const WEBKITWEBDRIVER = process.env.WEBKITWEBDRIVER ?? '/usr/bin/WebKitWebDriver';

/** Starts `engine`; every launch is closed by its close() (and its processes killed on exit). */
export async function launch(engine) {
  const starts = { chromium: launchPlaywrightChromium, firefox: launchFirefox, webkit: launchWebKit };
  if (!starts[engine]) throw new Error(`unknown engine ${engine}`);
  const browser = await starts[engine]();
  /** A page in a context of its own (page.context), closed with it, as Playwright's browser.newPage(). */
  browser.newPage = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const close = page.close;
    page.context = context;
    page.close = async () => { await close(); await context.close(); };
    return page;
  };
  return browser;
}

// --- evaluate: one encoding of arguments and results for every engine -------------------------
// Both cross as JSON text that the other side decodes itself, so that every engine passes the
// same values (WebDriver turns undefined into null, Playwright keeps it): undefined survives as a
// marker, inside objects and arrays too.
const UNDEFINED = '\u0000undefined';
const encode = (value) => JSON.stringify([value], (key, v) => (v === undefined ? UNDEFINED : v));
function decode(text) {
  const revive = (v) => {
    if (v === UNDEFINED) return undefined;
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === 'object') {
      for (const key of Object.keys(v)) v[key] = revive(v[key]);
    }
    return v;
  };
  return revive(JSON.parse(text))[0];
}
const pageWrapper = `async (fn, arg) => {
  const encode = ${encode.toString().replace('UNDEFINED', JSON.stringify(UNDEFINED))};
  const decode = ${decode.toString().replace('UNDEFINED', JSON.stringify(UNDEFINED))};
  return encode(await fn(decode(arg)));
}`;
const script = (fn, arg) => `(${pageWrapper})(${fn}, ${JSON.stringify(encode(arg))})`;

/** Polls `check` until it returns a truthy value (returned); a throw (a page in the middle of a
 * navigation cannot run scripts) counts as not yet. */
async function pollUntil(check, message, timeout) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    const value = await check().catch((e) => { last = e; return false; });
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${message}${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(50);
  }
}

/** The parts of a page every engine shares, on top of `run(expression)` (the engine's evaluate). */
function pageApi(engine, run, rest) {
  let closed = false;
  const page = {
    engine,
    evaluate: async (fn, arg) => decode(await run(script(fn, arg))),
    waitForFunction: (fn, arg, { timeout = 30_000 } = {}) => pollUntil(() => page.evaluate(fn, arg), `waitForFunction: not true within ${timeout} ms: ${fn}`, timeout),
    /** The page's address (location.href). */
    url: () => page.evaluate(() => location.href),
    /** Waits until `predicate(new URL(address))` holds (through navigations). */
    async waitForURL(predicate, { timeout = 30_000 } = {}) {
      await pollUntil(async () => predicate(new URL(await page.url())), `waitForURL: no matching address within ${timeout} ms: ${predicate}`, timeout);
    },
    /**
     * Types `value` into the field `selector` names, once there: the value set and an input event,
     * as a user's typing ends (the forms here read values on submit).
     */
    async fill(selector, value) {
      await page.waitForFunction((s) => document.querySelector(s) !== null, selector, { timeout: 15_000 });
      await page.evaluate(([s, v]) => {
        const field = document.querySelector(s);
        field.value = v;
        field.dispatchEvent(new Event('input', { bubbles: true }));
        field.dispatchEvent(new Event('change', { bubbles: true }));
      }, [selector, value]);
    },
    /**
     * Clicks the element `target` names (a CSS selector, or { text } of a button or link) once
     * there; the click runs after this call returns, so a navigation it starts cannot cut it off.
     */
    async click(target) {
      const find = ([selector, text]) => (selector ? document.querySelector(selector)
        : [...document.querySelectorAll('button, a, input[type=submit]')].find((e) => (e.textContent || e.value).trim() === text)) ?? null;
      const args = typeof target === 'string' ? [target, null] : [null, target.text];
      await page.waitForFunction(`(args) => (${find})(args) !== null`, args, { timeout: 15_000 });
      // Classic WebDriver (WebKit) polls for the result: the click's navigation can win that race
      // and take the result with it, which for a click that was scheduled is no failure.
      await page.evaluate(`(args) => { const e = (${find})(args); setTimeout(() => e.click(), 0); }`, args)
        .catch((e) => { if (e.message !== NAVIGATED_AWAY) throw e; });
    },
    /** Uncaught errors and unhandled rejections page-hooks.js saw in the page. */
    problems: () => page.evaluate(() => window.__problems ?? []),
    isClosed: () => closed,
    ...rest,
    async close() {
      if (closed) return;
      closed = true;
      await rest.close();
    },
  };
  return page;
}

// --- Chromium: playwright-core, as the other suites use it ------------------------------------
async function launchPlaywrightChromium() {
  const browser = await launchChromium();
  return {
    engine: 'chromium',
    async newContext() {
      const context = await browser.newContext();
      return {
        async newPage() {
          const page = await context.newPage();
          let cdp;
          return pageApi('chromium', (expression) => page.evaluate(expression), {
            raw: page, // the Playwright page, for what only Chromium reports (probePage)
            goto: async (url) => { await page.goto(url); },
            reload: async () => { await page.reload(); },
            // Page Lifecycle's freeze, as Chrome freezes background tabs: no task or timer runs.
            async freeze() {
              cdp ??= await context.newCDPSession(page);
              await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
            },
            wake: async () => { await cdp.send('Page.setWebLifecycleState', { state: 'active' }); },
            close: () => page.close(),
          });
        },
        cookies: (urls) => context.cookies(urls),
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

// --- Processes: drivers and Xvfb, killed with the launch or when the test process exits -------
const children = new Set();
process.on('exit', () => { for (const child of children) child.kill('SIGKILL'); });

function startProcess(command, args, env = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  const keep = (d) => { output = (output + d).slice(-4000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', () => children.delete(child));
  children.add(child);
  child.output = () => output;
  child.stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await Promise.race([exited, sleep(3_000).then(() => child.kill('SIGKILL'))]);
  };
  return child;
}

/** A WebDriver server on a free port, once it answers /status. */
async function startDriver(command, args, env) {
  const port = await freePort();
  const driver = startProcess(command, [...args, `--port=${port}`], env);
  for (let i = 0; ; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/status`).then((r) => r.ok, () => false);
    if (ready) break;
    if (driver.exitCode !== null || i > 200) throw new Error(`${command} did not start:\n${driver.output()}`);
    await sleep(50);
  }
  driver.port = port;
  return driver;
}

/** An X display for MiniBrowser, which has no headless mode: Xvfb picks a free display number. */
async function startXvfb() {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  children.add(xvfb);
  xvfb.on('exit', () => children.delete(xvfb));
  const display = await new Promise((resolve, reject) => {
    let text = '';
    xvfb.stdio[3].on('data', (d) => { text += d; if (text.includes('\n')) resolve(`:${text.trim()}`); });
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): is Debian's xvfb installed? (make bootstrap)`)));
  });
  return { display, stop: () => xvfb.kill() };
}

async function remote(port, capabilities) {
  const { remote: connect } = await import('webdriverio');
  return connect({ hostname: '127.0.0.1', port, logLevel: 'silent', connectionRetryCount: 0, capabilities });
}

const bidiValue = (result) => {
  if (result.type === 'exception') {
    const details = result.exceptionDetails;
    throw new Error(`page error: ${details.exception?.value?.message ?? details.text}`);
  }
  return result.result.value;
};

// --- Firefox ESR: geckodriver, WebDriver BiDi; contexts are BiDi user contexts -----------------
async function launchFirefox() {
  // A BiDi port of its own (geckodriver's default is 9222 for every Firefox): a Firefox left
  // behind by a killed test process then cannot make the next one fail to connect.
  const driver = await startDriver(GECKODRIVER, ['--host=127.0.0.1', `--websocket-port=${await freePort()}`]);
  let session;
  try {
    session = await remote(driver.port, {
      browserName: 'firefox',
      webSocketUrl: true,
      'moz:firefoxOptions': {
        binary: FIREFOX,
        args: ['-headless'],
        // A closed network: no update, telemetry or captive-portal connections to wait for.
        prefs: {
          'app.update.disabledForTesting': true,
          'network.captive-portal-service.enabled': false,
          'network.connectivity-service.enabled': false,
          'browser.safebrowsing.update.enabled': false,
          'datareporting.policy.dataSubmissionEnabled': false,
          'toolkit.telemetry.reportingpolicy.firstRun': false,
        },
      },
    });
  } catch (e) {
    await driver.stop();
    throw new Error(`Firefox did not start: ${e.message}\n${driver.output()}`);
  }
  return {
    engine: 'firefox',
    async newContext() {
      const { userContext } = await session.browserCreateUserContext({});
      return {
        async newPage() {
          // A window each (Playwright's pages are all visible): a background tab's timers are throttled.
          const { context } = await session.browsingContextCreate({ type: 'window', userContext });
          return pageApi('firefox', async (expression) => bidiValue(await session.scriptCallFunction({
            functionDeclaration: `() => ${expression}`, awaitPromise: true, target: { context },
          })), {
            goto: async (url) => { await session.browsingContextNavigate({ context, url, wait: 'complete' }); },
            reload: async () => { await session.browsingContextReload({ context, wait: 'complete' }); },
            // WebDriver cannot freeze a tab: the test clock holds its timers instead.
            freeze: () => holdTimers(context, session, true),
            wake: () => holdTimers(context, session, false),
            close: () => session.browsingContextClose({ context }),
          });
        },
        async cookies(urls) {
          const { cookies } = await session.storageGetCookies({ partition: { type: 'storageKey', userContext } });
          return cookies.map((c) => ({
            name: c.name, value: c.value.value, domain: c.domain, path: c.path, httpOnly: c.httpOnly, secure: c.secure,
            sameSite: { strict: 'Strict', lax: 'Lax', none: 'None' }[c.sameSite] ?? c.sameSite,
          })).filter((c) => sentTo(c, urls));
        },
        close: () => session.browserRemoveUserContext({ userContext }),
      };
    },
    async close() {
      await session.deleteSession().catch(() => {});
      await driver.stop();
    },
  };
}

/** Whether a cookie goes with a request to one of `urls` (domain and path; all, without urls). */
function sentTo(cookie, urls) {
  if (!urls) return true;
  return [urls].flat().some((url) => {
    const { hostname, pathname } = new URL(url);
    const domain = cookie.domain.replace(/^\./, '');
    const path = cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`;
    return (hostname === domain || hostname.endsWith(`.${domain}`)) && (pathname === cookie.path || pathname.startsWith(path));
  });
}

const holdTimers = (context, session, hold) => session.scriptCallFunction({
  functionDeclaration: `() => window.__clock.${hold ? 'holdTimers' : 'releaseTimers'}()`, awaitPromise: true, target: { context },
}).then(bidiValue);

// --- WebKitGTK: WebKitWebDriver + MiniBrowser under Xvfb, classic WebDriver ---------------------
// A context is a session of its own (one MiniBrowser process, its own cookie jar); its pages are
// windows of that session. Classic WebDriver talks to one window at a time, so a context's
// commands run one after another, each switching to its window first.
async function launchWebKit() {
  const xvfb = await startXvfb();
  const contexts = new Set();
  return {
    engine: 'webkit',
    async newContext() {
      const driver = await startDriver(WEBKITWEBDRIVER, ['--host=127.0.0.1'], { DISPLAY: xvfb.display });
      let session;
      try {
        session = await remote(driver.port, {
          'wdio:enforceWebDriverClassic': true,
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
        });
      } catch (e) {
        await driver.stop();
        throw new Error(`MiniBrowser did not start: ${e.message}\n${driver.output()}`);
      }
      let queue = Promise.resolve();
      let spare = await session.getWindowHandle(); // the session's first window, used by the first page
      const windows = new Set(); // the windows of open pages
      const inWindow = (handle, action) => {
        const next = queue.then(async () => {
          // Every time: WebKit may move the session to another window by itself (a window closed).
          if (handle) await session.switchToWindow(handle);
          return action();
        });
        queue = next.catch(() => {});
        return next;
      };
      // An evaluation starts in the page and is then polled for, so that one page's promise
      // (a fetch waiting for a lock another tab holds) does not hold up the session's commands
      // for every other page (closing that other tab, say) until it settles.
      let evaluations = 0;
      const evaluateInWindow = async (handle, expression) => {
        const key = JSON.stringify(`${++evaluations}`);
        // The first command waits up to a second for the result itself: an evaluation that ends by
        // scheduling a navigation (authorize(), a click) answers before the page goes, where a
        // poll could come too late and find the page gone.
        let result = await inWindow(handle, () => session.execute(`const all = (window.__webdriverEvaluations ??= {});
          all[${key}] = { state: 'pending' };
          const settled = (${expression}).then((value) => (all[${key}] = { state: 'done', value }),
            (e) => (all[${key}] = { state: 'error', message: String(e?.message ?? e) }));
          return Promise.race([settled, new Promise((r) => setTimeout(() => r({ state: 'pending' }), 1000))])
            .then((first) => { if (first.state !== 'pending') delete all[${key}]; return first; });`));
        for (;;) {
          if (result.state === 'pending') {
            await sleep(10);
            result = await inWindow(handle, () => session.execute(`const all = window.__webdriverEvaluations;
              const result = all?.[${key}] ?? { state: 'gone' };
              if (result.state !== 'pending') delete all?.[${key}];
              return result;`));
            continue;
          }
          if (result.state === 'done') return result.value;
          if (result.state === 'error') throw new Error(`page error: ${result.message}`);
          throw new Error(NAVIGATED_AWAY);
        }
      };
      const context = {
        async newPage() {
          let handle;
          if (spare) { handle = spare; spare = undefined; } else {
            // A window each (Playwright's pages are all visible): a background tab's timers are throttled.
            handle = await inWindow([...windows][0], async () => (await session.createWindow('window')).handle);
          }
          windows.add(handle);
          return pageApi('webkit', (expression) => evaluateInWindow(handle, expression), {
            handle,
            goto: (url) => inWindow(handle, () => session.url(url)),
            reload: () => inWindow(handle, () => session.refresh()),
            freeze: () => inWindow(handle, () => session.execute('return window.__clock.holdTimers()')),
            wake: () => inWindow(handle, () => session.execute('return window.__clock.releaseTimers()')),
            // The session's last window stays (webdriverio ends a session left without one),
            // blank, until the context closes.
            close: () => inWindow(handle, async () => {
              windows.delete(handle);
              if (windows.size === 0) { await session.url('about:blank'); spare = handle; return; }
              await session.closeWindow();
            }),
          });
        },
        // Classic WebDriver sees only the cookies the current document would send: a window of
        // its own opens a path below each of `urls` (answered 404) and reads them there; without
        // urls, the cookies each open page would send.
        async cookies(urls) {
          if (!urls) {
            const seen = new Map();
            for (const handle of windows) {
              for (const c of await inWindow(handle, () => session.getAllCookies())) seen.set(`${c.name};${c.domain};${c.path}`, c);
            }
            return [...seen.values()];
          }
          const probe = await context.newPage();
          try {
            const seen = new Map();
            for (const url of urls) {
              await probe.goto(`${url.replace(/\/$/, '')}/cookie-probe-404`);
              for (const c of await inWindow(probe.handle, () => session.getAllCookies())) seen.set(`${c.name};${c.domain};${c.path}`, c);
            }
            return [...seen.values()];
          } finally {
            await probe.close();
          }
        },
        async close() {
          contexts.delete(context);
          await session.deleteSession().catch(() => {});
          await driver.stop();
        },
      };
      contexts.add(context);
      return context;
    },
    async close() {
      for (const context of [...contexts]) await context.close();
      xvfb.stop();
    },
  };
}

/**
 * Opens `url` in a page of its own and returns what the page stored in `window.__probe`
 * (fixtures/probe.js); the page's errors (if it loads page-hooks.js) fail the test with their
 * message instead of a bare timeout. In Chromium, console errors, failed requests and HTTP
 * errors fail it too (Playwright reports them; WebDriver classic cannot).
 */
export async function probePage(browser, url) {
  const page = await browser.newPage();
  const seen = [];
  if (page.raw) {
    page.raw.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
    page.raw.on('console', (m) => m.type() === 'error' && seen.push(`console error: ${m.text()}`));
    page.raw.on('requestfailed', (r) => seen.push(`request failed: ${r.url()}`));
    page.raw.on('response', (r) => r.status() >= 400 && seen.push(`HTTP ${r.status()}: ${r.url()}`));
  }
  const problems = async () => [...new Set([...seen, ...await page.problems().catch(() => [])])];
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__probe !== undefined, null, { timeout: 15_000 })
      .catch(async (e) => { throw new Error(`${e.message}\n${(await problems()).join('\n')}`); });
    const found = await problems();
    if (found.length) throw new Error(`page errors:\n${found.join('\n')}`);
    return await page.evaluate(() => window.__probe);
  } finally {
    await page.close();
  }
}

// --- Requests held, answered or cut: a proxy in front of a server, in every engine -------------
/**
 * An HTTP proxy on a port of its own in front of `upstream` (a URL), for the pages to load from.
 * route(path, handler, { referer }) hands every request for `path` (a pathname) to `handler`
 * (of pages whose URL ends with `referer`, if given: the page a request came from, as
 * Playwright's page.route had it), which calls one of:
 *   route.continue()          send it on and pass the answer back
 *   route.fetch()             send it on and never answer the page (an answer lost on the way)
 *   route.fulfill({ status, headers, body })
 *   route.abort()             cut the connection (the page's fetch fails: a network error)
 */
export async function startRouter(upstream) {
  const target = new URL(upstream);
  const routes = [];
  let own; // the proxy's origin, once it listens
  // The server sees the page's requests as if the page were its own (its CSRF check compares
  // Origin, else Referer, with its own origin): the proxy's origin becomes the server's.
  const forward = (req, body) => new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (headers.origin === own) headers.origin = target.origin;
    if (headers.referer?.startsWith(`${own}/`)) headers.referer = target.origin + headers.referer.slice(own.length);
    const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, resolve);
    out.on('error', reject);
    out.end(body);
  });
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const path = new URL(req.url, 'http://x').pathname;
    const match = routes.find((r) => r.path === path && (!r.referer || (req.headers.referer ?? '').endsWith(r.referer)));
    const route = {
      request: req,
      async continue() {
        const answer = await forward(req, body).catch(() => null);
        if (!answer) { req.socket.destroy(); return; }
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
      async fetch() {
        const answer = await forward(req, body);
        answer.resume();
        return answer.statusCode;
      },
      fulfill({ status = 200, headers = {}, body: text = '' }) { res.writeHead(status, headers); res.end(text); },
      abort() { req.socket.destroy(); },
    };
    try {
      await (match ? match.handler(route) : route.continue());
    } catch {
      req.socket.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  own = `http://127.0.0.1:${server.address().port}`;
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    port: server.address().port,
    route(path, handler, { referer } = {}) { routes.unshift({ path, handler, referer }); },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
