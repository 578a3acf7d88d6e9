// The demo page as `make demo` serves it (from the reference server), clicked through in
// headless Chromium.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { launchChromium, packageVersion, root } from './helpers.mjs';

let browser;
let demo;

before(async () => {
  demo = await startReferenceServer({ dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-demo-')) });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test('the demo page loads the package and generates a PKCE pair on click', async () => {
  const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${demo.url}/`);
  await page.getByText(packageVersion(), { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Generate a PKCE pair' }).click();
  const verifier = await page.locator('#pkce-verifier').textContent();
  const challenge = await page.locator('#pkce-challenge').textContent();
  assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(challenge, createHash('sha256').update(verifier).digest('base64url'));
  assert.equal(await page.locator('#pkce-method').textContent(), 'S256');
  assert.equal(await page.getByRole('alert').isHidden(), true);
  assert.deepEqual(errors, []);
  const artifacts = join(root, 'target', 'e2e', 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'demo-pkce-375px.png'), fullPage: true });
  await page.close();
});
