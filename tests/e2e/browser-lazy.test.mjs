// The browser entry loads the wasm without top-level await (issue 18): what an app sees when it
// uses the package in the same task as its import, before the module is loaded, in Chromium.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, makeProject, probePage, serveStatic, typecheck } from './helpers.mjs';

let browser;
let server;
let project;

// A JWT for setTokens (the manager reads its exp; nothing verifies it).
const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ACCESS = `${part({ alg: 'HS256' })}.${part({ sub: 'early', exp: Math.floor(Date.now() / 1000) + 3600 })}.c2ln`;

before(async () => {
  project = await makeProject('browser-lazy', {
    'index.html': `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>wasm-auth before ready</title>
<script type="importmap">{ "imports": { "wasm-auth": "./node_modules/wasm-auth/browser.js" } }</script>
<script type="module">
  import { ApiKeys, TokenManager, createPkce, decodeUnverified, ready, version } from 'wasm-auth';
  const code = (f) => { try { f(); return 'no error'; } catch (e) { return e.code; } };
  const seen = [];
  // Everything here runs before the .wasm has arrived.
  class AppManager extends TokenManager {}
  const tm = new AppManager({ baseUrl: 'http://127.0.0.1:9/v1', crossTab: false });
  tm.addEventListener('tokenchange', (event) => seen.push(event.detail.reason));
  const nobody = new TokenManager({ baseUrl: 'http://127.0.0.1:9/v1', crossTab: false });
  const keys = new ApiKeys({ baseUrl: 'http://127.0.0.1:9/v1', tokenManager: nobody });
  const refused = new TokenManager({});
  const disposed = new TokenManager({ baseUrl: 'http://127.0.0.1:9/v1', crossTab: false });
  disposed.dispose();
  const before = {
    version: code(() => version()),
    createPkce: code(() => createPkce()),
    decodeUnverified: code(() => decodeUnverified('a.b.c')),
    isAuthenticated: code(() => tm.isAuthenticated),
    setTokens: code(() => tm.setTokens({ access_token: 'x', token_type: 'Bearer' })),
    instanceOf: tm instanceof TokenManager && tm instanceof AppManager,
    string: String(tm),
  };
  const message = (() => { try { version(); } catch (e) { return e.message; } })();
  const rejection = (promise) => promise.then(() => 'resolved', (e) => e.code);
  const getToken = rejection(nobody.getToken());
  const refusedGetToken = rejection(refused.getToken());
  const disposedGetToken = rejection(disposed.getToken());
  const listKeys = rejection(keys.list());
  await ready();
  tm.setTokens({ access_token: ${JSON.stringify(ACCESS)}, token_type: 'Bearer', expires_in: 3600 });
  window.__probe = {
    before,
    message,
    getToken: await getToken,
    refusedGetToken: await refusedGetToken,
    refusedGetter: code(() => refused.isAuthenticated),
    disposedGetToken: await disposedGetToken,
    listKeys: await listKeys,
    after: { version: typeof version(), isAuthenticated: tm.isAuthenticated, token: await tm.getToken() },
    events: seen,
  };
</script>`,
  });
  server = await serveStatic({ '/': project });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('before the module is loaded: constructors defer, async methods wait, synchronous calls throw ERR_AUTH_NOT_READY', async () => {
  const result = await probePage(browser, `${server.url}/index.html`);
  assert.deepEqual(result.before, {
    version: 'ERR_AUTH_NOT_READY',
    createPkce: 'ERR_AUTH_NOT_READY',
    decodeUnverified: 'ERR_AUTH_NOT_READY',
    isAuthenticated: 'ERR_AUTH_NOT_READY',
    setTokens: 'ERR_AUTH_NOT_READY',
    instanceOf: true,
    string: '[object Object]',
  });
  assert.match(result.message, /await ready\(\)/);
  // The deferred objects are the real ones once the module is there.
  assert.equal(result.getToken, 'ERR_AUTH_NOT_AUTHENTICATED');
  assert.equal(result.listKeys, 'ERR_AUTH_NOT_AUTHENTICATED', 'a deferred TokenManager handed to a deferred ApiKeys');
  // Options are checked when the module is loaded: the first call rejects with their error.
  assert.equal(result.refusedGetToken, 'ERR_AUTH_INVALID_OPTIONS');
  assert.equal(result.refusedGetter, 'ERR_AUTH_INVALID_OPTIONS');
  // dispose() before ready is replayed on the real object.
  assert.equal(result.disposedGetToken, 'ERR_AUTH_DISPOSED');
  assert.deepEqual(result.after, { version: 'string', isAuthenticated: true, token: ACCESS });
  // The listener added before ready saw the tokens arrive.
  assert.deepEqual(result.events, ['setTokens']);
});

test('ready() is typed in both modules, as Promise<void>', async () => {
  writeFileSync(join(project, 'ready.ts'), `import { TokenManager, createPkce, ready } from 'wasm-auth';
import { JwtVerifier, ready as verifyReady } from 'wasm-auth/verify';
const auth: TokenManager = new TokenManager({ baseUrl: 'https://api.example.com/v1' });
const both: Promise<[void, void]> = Promise.all([ready(), verifyReady()]);
await both;
export const used = [createPkce().codeChallenge, auth.baseUrl, new JwtVerifier({ secret: 'x'.repeat(32) })];
`);
  await typecheck(project, 'ready.ts');
});
