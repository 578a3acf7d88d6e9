// Builds examples/edge-worker against the package in pkg/ and runs it in workerd, for
// `make demo` and the end-to-end tests.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorker, startWorkerd } from './workerd.mjs';

const root = resolve(import.meta.dirname, '..');

/**
 * Starts the example worker on host:port, verifying tokens of the reference server at
 * `issuer`; `allowedOrigin` is the demo page's origin (CORS). `name`: the folder under
 * examples/ (edge-worker, or hono-worker). Returns startWorkerd's handle.
 */
export async function startEdgeWorker({ issuer, port, host = '127.0.0.1', allowedOrigin = issuer, name = 'edge-worker', outDir = join(root, 'target', name) }) {
  const example = join(root, 'examples', name);
  // The example depends on wasm-auth as `file:../../pkg`, like any project would on a release.
  if (!existsSync(join(example, 'node_modules', 'wasm-auth'))) {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], { cwd: example, stdio: 'ignore' });
  }
  const config = await bundleWorker({
    entry: join(example, 'worker.js'),
    outDir,
    wasmFiles: [join(root, 'pkg', 'verify', 'wasm_auth_verify_bg.wasm')],
    bindings: { JWKS_URI: `${issuer}/.well-known/jwks.json`, ISSUER: issuer, AUDIENCE: 'wasm-auth-api', ALLOWED_ORIGIN: allowedOrigin },
  });
  return startWorkerd(config, { host, port });
}
