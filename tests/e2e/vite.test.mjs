// The packed package in a Vite project (the bundler most SPAs use), loaded in every engine of
// WASM_AUTH_ENGINES (tests/e2e/engines.mjs) both as a production build and through the dev
// server (which pre-bundles dependencies).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { engines, launch, probePage } from './engines.mjs';
import { assertProbe, makeProject, root, run, serveStatic, withViteDev } from './helpers.mjs';

// The repository's Vite runs on the throwaway project, which resolves wasm-auth from its own
// node_modules exactly as an application would.
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
let project;

before(async () => {
  project = await makeProject('vite', {
    'index.html': `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>wasm-auth with Vite</title>
<script type="module" src="./main.js"></script>`,
    // The browser entry loads the wasm in the background (issue 18): the probe's synchronous
    // calls wait for ready().
    'main.js': `import { ready } from 'wasm-auth';\nimport { probe } from './probe.js';\nready().then(() => { window.__probe = probe(); });\n`,
  });
});

test('vite build: the wasm is emitted as an asset', async () => {
  await run('node', [vite, 'build', '--logLevel', 'warn'], { cwd: project });
  const assets = readdirSync(join(project, 'dist', 'assets'));
  assert.equal(assets.filter((f) => f.endsWith('.wasm')).length, 1, `assets: ${assets.join(', ')}`);
});

for (const engine of engines()) describe(engine, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('vite build: the page works with no init call', async () => {
    const server = await serveStatic({ '/': join(project, 'dist') });
    try {
      assertProbe(await probePage(browser, `${server.url}/index.html`));
    } finally {
      await server.close();
    }
  });

  test('vite dev server: the pre-bundled package still finds its wasm', async () => {
    await withViteDev(vite, project, async (url) => assertProbe(await probePage(browser, url)));
  });
});
