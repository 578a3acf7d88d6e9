// Starts the reference auth server binary (server/) on a free port with its own data
// directory, for the end-to-end tests and `make demo`; resolves once it is listening.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/**
 * `args` are extra command-line flags (e.g. ['--access-ttl', '5']); `wwwDir` and `pkgDir` are
 * what it serves at / and /pkg/ (default: the demo page and the built package). Returns
 * { url, output(), stop() }; `output()` is everything the server printed so far.
 */
export function startReferenceServer({
  binary = resolve(root, 'target/debug/wasm-auth-server'), dataDir, port = 0, args = [],
  wwwDir = resolve(root, 'www'), pkgDir = resolve(root, 'pkg'),
}) {
  const child = spawn(binary, ['--port', String(port), '--data-dir', dataDir, '--www-dir', wwwDir, '--pkg-dir', pkgDir, ...args],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`server did not start:\n${output}`)); }, 30_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveStart({
          url: match[1],
          output: () => output,
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${output}`)); });
  });
}
