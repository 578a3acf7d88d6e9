// The packed package used as plain ES modules in every engine of WASM_AUTH_ENGINES
// (tests/e2e/engines.mjs): no bundler, an import map names 'wasm-auth', the page is served over
// HTTP like any static site.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { wrongDecisions } from './fixtures/verify-assert.mjs';
import { attackCases, interopCases, reuseCases } from './fixtures/verify-cases.mjs';
import { engines, launch, probePage } from './engines.mjs';
import { assertProbe, makeProject, serveStatic } from './helpers.mjs';

let server;

before(async () => {
  const project = await makeProject('browser-esm', {
    'index.html': `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>wasm-auth plain ESM</title>
<script src="./page-hooks.js"></script>
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
  cpSync(join(import.meta.dirname, 'fixtures', 'client-page', 'page-hooks.js'), join(project, 'page-hooks.js'));
  server = await serveStatic({ '/': project });
});

after(async () => {
  await server?.close();
});

for (const engine of engines()) describe(engine, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('plain ES modules: import works with no init call', async () => {
    assertProbe(await probePage(browser, `${server.url}/index.html`));
  });

  test("JwtVerifier: jose's decisions for HS256, RS256, PS256, ES256 and EdDSA, the attacks, and one verifier for many tokens", async () => {
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
});
