// The packed package used as plain ES modules in headless Chromium: no bundler, an import map
// names 'wasm-auth', the page is served over HTTP like any static site.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { wrongDecisions } from './fixtures/verify-assert.mjs';
import { attackCases, interopCases, reuseCases } from './fixtures/verify-cases.mjs';
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
  import { JwtVerifier, ready } from 'wasm-auth';
  import { probe } from './probe.js';
  import { evaluate } from './verify-evaluate.js';
  // The browser entry loads the wasm in the background (issue 18).
  await ready();
  window.__evaluate = (cases) => evaluate(JwtVerifier, cases);
  window.__probe = probe();
</script>`,
  });
  cpSync(join(import.meta.dirname, 'fixtures', 'verify-evaluate.js'), join(project, 'verify-evaluate.js'));
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

test("JwtVerifier in Chromium: jose's decisions for HS256, RS256, PS256, ES256 and EdDSA, the attacks, and one verifier for many tokens", async () => {
  const wanted = /^(HS256|RS256|PS256|ES256|EdDSA):/;
  const cases = [...(await interopCases()).filter((c) => wanted.test(c.name)), ...await attackCases(), ...await reuseCases()];
  const page = await browser.newPage();
  try {
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => window.__evaluate !== undefined);
    const decisions = await page.evaluate((c) => window.__evaluate(c), cases);
    assert.deepEqual(wrongDecisions(cases, decisions), []);
  } finally {
    await page.close();
  }
});
