// A refresh whose answer is lost on the way back (issue 16): the reference server has rotated
// the refresh token, but the client never learns the successor. TokenManager from the packed
// tarball, in Node, talks to the reference server through a proxy of the suite's own that
// forwards everything but, for the first POST /v1/auth/refresh, waits for the server's whole
// answer and then destroys the client's socket instead of answering. With the server's grace
// (--refresh-grace-seconds, default 30 s) the client's retry with the same refresh token gets a
// new pair and the session carries on; with --refresh-grace-seconds 0 the same lost answer ends
// the session, which shows that the test can fail.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startReferenceServer } from '../../scripts/reference-server.mjs';
import { makeProject } from './helpers.mjs';

const EMAIL = 'user@example.com';
const PASSWORD = 'securepassword';
/** Access-token lifetime: the refresh is due at mid-life (3 s), its retry 1 s after the loss. */
const ACCESS_TTL = '6';

let wa;
const cleanups = [];

before(async () => {
  const project = await makeProject('refresh-grace', {});
  wa = await import(join(project, 'node_modules', 'wasm-auth', 'node.js'));
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function referenceServer(args) {
  const server = await startReferenceServer({
    dataDir: mkdtempSync(join(tmpdir(), 'wasm-auth-grace-')),
    args: ['--request-stats', '--access-ttl', ACCESS_TTL, ...args],
  });
  cleanups.push(() => server.stop());
  server.count = async (endpoint) => ((await (await fetch(`${server.url}/_stats`)).json()).requests[endpoint] ?? 0);
  return server;
}

/**
 * A proxy in front of `upstream` that loses the answer of the first refresh: the request reaches
 * the server, the proxy reads the server's whole answer (so the server has rotated), then
 * destroys the client's socket. Records, per refresh, a hash of the refresh token sent (never
 * the token) and the status of the lost answer.
 */
async function lossyProxy(upstream) {
  const seen = { refreshTokenHashes: [], lostStatus: null };
  const proxy = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const refresh = req.method === 'POST' && req.url === '/v1/auth/refresh';
      if (refresh) {
        const token = JSON.parse(body.toString()).refresh_token ?? '';
        seen.refreshTokenHashes.push(createHash('sha256').update(token).digest('hex'));
      }
      const target = new URL(req.url, upstream);
      const forward = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        const parts = [];
        answer.on('data', (part) => parts.push(part));
        answer.on('end', () => {
          if (refresh && seen.lostStatus === null) {
            seen.lostStatus = answer.statusCode;
            req.socket.destroy();
            return;
          }
          res.writeHead(answer.statusCode, answer.headers);
          res.end(Buffer.concat(parts));
        });
      });
      forward.on('error', () => req.socket.destroy());
      forward.end(body);
    });
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => { proxy.closeAllConnections(); proxy.close(resolve); }));
  return { url: `http://127.0.0.1:${proxy.address().port}`, seen };
}

/** A TokenManager through `proxy`, logged in, with its events recorded. */
async function loggedIn(proxy) {
  const tm = new wa.TokenManager({ baseUrl: `${proxy.url}/v1` });
  cleanups.push(() => tm.dispose());
  const events = [];
  for (const type of ['tokenchange', 'refresherror', 'sessionexpired']) {
    tm.addEventListener(type, (e) => events.push({ type, code: e.detail.error?.code ?? null }));
  }
  await tm.login(EMAIL, PASSWORD);
  return { tm, events };
}

/** Resolves once `predicate()` holds; fails after `ms`. */
async function until(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a lost refresh answer: the retry with the same refresh token succeeds within the grace, and the session carries on', async () => {
  const server = await referenceServer([]);
  const proxy = await lossyProxy(server.url);
  const { tm, events } = await loggedIn(proxy);
  const recovered = () => events.some((e) => e.type === 'refresherror') && events.at(-1).type === 'tokenchange';
  await until(() => recovered() || events.some((e) => e.type === 'sessionexpired'), 15_000, 'the retried refresh');
  assert.equal(proxy.seen.lostStatus, 200, 'the server answered (and rotated) before the answer was lost');
  assert.equal(await server.count('POST /v1/auth/refresh'), 2, 'the lost refresh and its retry');
  assert.equal(proxy.seen.refreshTokenHashes.length, 2);
  assert.equal(proxy.seen.refreshTokenHashes[0], proxy.seen.refreshTokenHashes[1], 'the retry presented the same refresh token');
  assert.deepEqual(events.map((e) => [e.type, e.code]), [
    ['tokenchange', null], // the login
    ['refresherror', 'ERR_AUTH_NETWORK'], // the lost answer
    ['tokenchange', null], // the retry
  ]);
  assert.equal((await tm.fetch('resources')).status, 200);
  assert.equal(tm.isAuthenticated, true);
  assert.deepEqual(events.filter((e) => e.type === 'sessionexpired'), [], 'no sessionexpired');
  // The session goes on refreshing with the successor the retry brought.
  const refreshes = events.filter((e) => e.type === 'tokenchange').length;
  await until(() => events.filter((e) => e.type === 'tokenchange').length > refreshes, 10_000, 'the next refresh');
  assert.equal(await server.count('POST /v1/auth/refresh'), 3);
  assert.equal((await tm.fetch('resources')).status, 200);
  assert.deepEqual(events.filter((e) => e.type !== 'tokenchange').map((e) => e.code), ['ERR_AUTH_NETWORK']);
});

test('without the grace (--refresh-grace-seconds 0) the same lost answer ends the session: sessionexpired, ERR_AUTH_SESSION_EXPIRED', async () => {
  const server = await referenceServer(['--refresh-grace-seconds', '0']);
  const proxy = await lossyProxy(server.url);
  const { tm, events } = await loggedIn(proxy);
  await until(() => events.some((e) => e.type === 'sessionexpired'), 15_000, 'sessionexpired');
  assert.equal(proxy.seen.lostStatus, 200);
  assert.equal(await server.count('POST /v1/auth/refresh'), 2);
  assert.equal(proxy.seen.refreshTokenHashes[0], proxy.seen.refreshTokenHashes[1], 'the retry presented the same refresh token');
  assert.deepEqual(events.map((e) => [e.type, e.code]), [
    ['tokenchange', null], // the login
    ['refresherror', 'ERR_AUTH_NETWORK'], // the lost answer
    ['sessionexpired', 'ERR_AUTH_SESSION_EXPIRED'], // the retry, refused as a reuse
  ]);
  assert.equal(tm.isAuthenticated, false);
  await assert.rejects(tm.getToken(), (e) => e.code === 'ERR_AUTH_NOT_AUTHENTICATED');
});
