// The packed package used as plain ES modules in headless Chromium: no bundler, an import map
// names 'wasm-auth', the page is served over HTTP like any static site.
import { after, before, test } from 'node:test';
import { assertProbe, launchChromium, makeProject, probePage, serveStatic } from './helpers.mjs';

let browser;
let server;

before(async () => {
  const project = await makeProject('browser-esm', {
    'index.html': `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>wasm-auth plain ESM</title>
<script type="importmap">{ "imports": { "wasm-auth": "./node_modules/wasm-auth/browser.js" } }</script>
<script type="module">
  import { probe } from './probe.js';
  window.__probe = probe();
</script>`,
  });
  server = await serveStatic({ '/': project });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('plain ES modules in Chromium: import works with no init call', async () => {
  assertProbe(await probePage(browser, `${server.url}/index.html`));
});
