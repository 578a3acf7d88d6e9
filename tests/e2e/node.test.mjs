// The packed package installed into a fresh Node project: ESM import with no init call,
// require() from CommonJS, and the TypeScript types a user compiles against.
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertProbe, makeProject, run, typecheck } from './helpers.mjs';

const project = await makeProject('node', {
  'main.js': `import { probe } from './probe.js';\nconsole.log(JSON.stringify(probe()));\n`,
  'main.cjs': `const { pkceChallenge, version } = require('wasm-auth');
console.log(JSON.stringify({ version: version(), challenge: pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk') }));\n`,
  'check.ts': `import { createPkce, pkceChallenge, version, JwtVerifier, decodeUnverified, TokenManager, ApiKeys, ApiKeyAuth, SessionClient, OAuthClient, ClientCredentials, type RedirectResult, type PkcePair, type WasmAuthError, type WasmAuthErrorCode, type VerifyResult, type UnverifiedJwt, type TokenInfo, type CreatedApiKey, type ApiKeyInfo, type SessionInfo } from 'wasm-auth';
const pair: PkcePair = createPkce();
const method: 'S256' = pair.codeChallengeMethod;
const challenge: string = pkceChallenge(pair.codeVerifier);
const v: string = version();
// @ts-expect-error the result is typed, not any: unknown properties are errors
pair.nonexistent;
// @ts-expect-error pkceChallenge takes a string
pkceChallenge(42);
const code: WasmAuthErrorCode = 'ERR_OAUTH_INVALID_CODE_VERIFIER';
// @ts-expect-error codes are a closed union
const wrong: WasmAuthErrorCode = 'ERR_NOT_A_CODE';
function codeOf(e: WasmAuthError): WasmAuthErrorCode { return e.code; }
const verifier = new JwtVerifier({ secret: 'a'.repeat(32), issuer: ['https://a'], audience: 'api', algorithms: ['HS256'] });
const pending: Promise<VerifyResult> = verifier.verify('token', { currentDate: new Date() });
async function subject(): Promise<string | undefined> { return (await pending).payload.sub; }
// @ts-expect-error a misspelt option is a type error
new JwtVerifier({ secret: 'x', audiance: 'api' });
// @ts-expect-error algorithms are a closed union
new JwtVerifier({ secret: 'x', algorithms: ['none'] });
const decoded: UnverifiedJwt = decodeUnverified('token');
const oneArg: Promise<VerifyResult> = verifier.verify('token');
const tm = new TokenManager({ baseUrl: 'https://api.example.com/v1', refreshMarginSeconds: 60 });
const loggedIn: Promise<TokenInfo> = tm.login('user@example.com', 'securepassword');
const bearer: Promise<string> = tm.getToken();
const response: Promise<Response> = tm.fetch('resources');
tm.addEventListener('refresherror', (event) => { const c: WasmAuthErrorCode = event.detail.error.code; const r: number | null = event.detail.retryInMs; void c; void r; });
tm.addEventListener('tokenchange', (event) => { const at: number | null = event.detail.expiresAt; void at; });
// @ts-expect-error event names are a closed set
tm.addEventListener('tokenchanged', () => {});
// @ts-expect-error refreshMarginSeconds is a number
new TokenManager({ baseUrl: 'x', refreshMarginSeconds: '300' });
const keys = new ApiKeys({ tokenManager: tm });
async function newKey(): Promise<string> { const created: CreatedApiKey = await keys.create({ name: 'ci', scopes: ['read:resources'] }); return created.key; }
async function listed(): Promise<ApiKeyInfo[]> { return keys.list(); }
new ApiKeyAuth({ baseUrl: 'https://api.example.com/v1', apiKey: 'sk_live_x', placement: 'query' });
// @ts-expect-error placement is "header" or "query"
new ApiKeyAuth({ baseUrl: 'https://api.example.com/v1', apiKey: 'sk_live_x', placement: 'cookie' });
const session = new SessionClient({ baseUrl: 'https://api.example.com/v1' });
async function who(): Promise<string | undefined> { const info: SessionInfo | null = await session.current(); return info?.user.email; }
async function oauthFlow(): Promise<string | undefined> {
  const oauth: OAuthClient = await OAuthClient.discover('https://as.example', { clientId: 'spa', redirectUri: 'https://app.example/', scope: 'openid', baseUrl: 'https://api.example/v1' });
  const url: string = oauth.authorize({ redirect: false, extraParams: { prompt: 'login' } });
  const result: RedirectResult = await oauth.handleRedirectCallback(url);
  const manager: TokenManager | undefined = oauth.tokenManager;
  void manager;
  return result.idTokenClaims?.sub;
}
// @ts-expect-error clientId is required
new OAuthClient({ redirectUri: 'https://app.example/' });
const service = new ClientCredentials({ tokenEndpoint: 'https://as.example/token', clientId: 'svc', clientSecret: 's', authMethod: 'client_secret_post' });
const serviceToken: Promise<string> = service.getToken();
// @ts-expect-error only the two client_secret methods
new ClientCredentials({ tokenEndpoint: 'https://as.example/token', clientId: 'svc', clientSecret: 's', authMethod: 'private_key_jwt' });
export { method, challenge, v, code, wrong, codeOf, subject, decoded, oneArg, loggedIn, bearer, response, newKey, listed, who, oauthFlow, serviceToken };
`,
  'errors.mjs': `import * as full from 'wasm-auth';
import * as verify from 'wasm-auth/verify';
import { errorsProbe } from './errors-probe.js';
console.log(JSON.stringify({ full: await errorsProbe(full, verify), verify: await errorsProbe(verify, full) }));\n`,
  'errors.cjs': `const cjs = require('wasm-auth');
const { errorsProbe } = require('./errors-probe.js');
(async () => {
  const esm = await import('wasm-auth');
  console.log(JSON.stringify({ sameClass: cjs.WasmAuthError === esm.WasmAuthError, probe: await errorsProbe(cjs) }));
})();\n`,
  'messages.mjs': `import { createServer } from 'node:http';
import { ApiKeyAuth, TokenManager } from 'wasm-auth';
const message = (promise) => promise.then(() => 'no error', (e) => \`\${e.code}: \${e.message}\`);
const server = createServer((request, response) => { response.writeHead(405); response.end(); });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const open = \`http://127.0.0.1:\${server.address().port}\`;
const closed = createServer();
await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
const gone = \`http://127.0.0.1:\${closed.address().port}\`;
await new Promise((resolve) => closed.close(resolve));
const out = {
  http: await message(new TokenManager({ baseUrl: open, crossTab: false }).login('user@example.com', 'pw')),
  network: await message(new TokenManager({ baseUrl: \`\${gone}/v1\`, crossTab: false }).login('user@example.com', 'pw')),
  query: await message(new ApiKeyAuth({ baseUrl: \`\${gone}/v1\`, apiKey: 'sk_secret_key', placement: 'query' }).fetch('resources?page=2')),
  relative: await message((async () => new TokenManager({ baseUrl: '/v1' }))()),
  base: { open, gone },
};
server.close();
console.log(JSON.stringify(out));\n`,
  'errors-check.ts': `import { WasmAuthError, isWasmAuthError, TokenManager, type WasmAuthErrorCode } from 'wasm-auth';
import { WasmAuthError as VerifyError, isWasmAuthError as isVerifyError } from 'wasm-auth/verify';
function describe(e: unknown): WasmAuthErrorCode | undefined {
  if (e instanceof WasmAuthError) return e.code;
  if (isWasmAuthError(e)) { const status: number | undefined = e.status; void status; return e.code; }
  if (e instanceof VerifyError || isVerifyError(e)) return e.code;
  return undefined;
}
// @ts-expect-error wasm-auth makes its errors; users only catch them
new WasmAuthError('ERR_AUTH_HTTP', 'x');
const tm = new TokenManager({ baseUrl: '/v1' });
const claims: Record<string, unknown> | null = tm.claims;
const authenticated: boolean = tm.isAuthenticated;
// @ts-expect-error claims are read-only
tm.claims = null;
export { describe, claims, authenticated };
`,
});
cpSync(join(import.meta.dirname, 'fixtures', 'errors-probe.js'), join(project, 'errors-probe.js'));
const installed = join(project, 'node_modules', 'wasm-auth');

test('ESM: import { ... } from "wasm-auth" works with no init call', async () => {
  const { stdout } = await run('node', ['main.js'], { cwd: project });
  assertProbe(JSON.parse(stdout));
});

test('CommonJS: require("wasm-auth") works (Node >= 20.19 loads the ESM entry)', async () => {
  const { stdout } = await run('node', ['main.cjs'], { cwd: project });
  const result = JSON.parse(stdout);
  assert.equal(result.challenge, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('TypeScript: the shipped types compile in strict mode and are not any', async () => {
  await typecheck(project, 'check.ts');
});

test('the shipped .d.ts files contain no `any`', () => {
  for (const file of ['index.d.ts', 'wasm_auth.d.ts', 'react/index.d.ts']) {
    const text = readFileSync(join(installed, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.doesNotMatch(text, /\bany\b/, `${file} mentions any`);
  }
});

// The union is generated from src/error.rs's error table (whose own tests check it against
// Error::CODES); this checks what ships: both modules' .d.ts declare every documented code (the
// README's table, which the shipped README carries), no more and no fewer.
test('the TypeScript error-code union of both modules lists exactly the documented error codes', () => {
  const readme = readFileSync(join(installed, 'README.md'), 'utf8');
  const table = readme.split('### Error codes')[1]?.split('\n\n')[1];
  assert.ok(table, "the README's table of error codes not found");
  const documented = [...table.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]).sort();
  assert.ok(documented.length > 30, `only ${documented.length} documented codes found`);
  for (const file of ['wasm_auth.d.ts', join('verify', 'wasm_auth.d.ts')]) {
    const dts = readFileSync(join(installed, file), 'utf8');
    const union = /type WasmAuthErrorCode =([^;]*);/.exec(dts)?.[1];
    assert.ok(union, `WasmAuthErrorCode not found in ${file}`);
    const typed = [...union.matchAll(/"([^"]*)"/g)].map((m) => m[1]).sort();
    assert.deepEqual(typed, documented, file);
  }
});

test('the package ships two wasm modules (full and verify/), their glue, the entries, types, the framework subpaths, README, changelog, security policy and both licenses', async () => {
  const { stdout } = await run('tar', ['-tzf', process.env.WASM_AUTH_TARBALL]);
  const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, '').replace(/^(verify\/)?snippets\/.*$/, '$1snippets/*')).sort();
  const module = ['browser.js', 'index.d.ts', 'node.js', 'snippets/*', 'wasm_auth.d.ts', 'wasm_auth.js', 'with-auth.js', 'jwks-store.js', 'workerd.js'];
  const docs = ['README.md', 'CHANGELOG.md', 'SECURITY.md', 'LICENSE-MIT', 'LICENSE-APACHE'];
  // Framework subpaths: at the root only (build-pkg's rootOnly), never in verify/.
  const subpaths = ['react/index.js', 'react/index.d.ts', 'hono/index.js', 'hono/index.d.ts'];
  // The two .wasm files have different names, so that one bundle can hold both (issue 18).
  const wasm = ['wasm_auth_bg.wasm', 'verify/wasm_auth_verify_bg.wasm'];
  assert.deepEqual([...new Set(files)], [...docs, 'package.json', ...wasm, ...module, ...module.map((f) => `verify/${f}`), ...subpaths].sort());
});

// Issue 18 item 3: one error class, and messages that say what went wrong.
const assertAllWasmAuthErrors = (probe, { other = true } = {}) => {
  assert.equal(probe.exported, true);
  for (const [source, error] of Object.entries(probe.errors)) {
    assert.equal(error.instance, true, `${source}: ${error.message}`);
    assert.equal(error.guard, true, source);
    assert.equal(error.isError, true, source);
    if (other) assert.equal(error.other, true, `${source}: instanceof the other module's class`);
    assert.equal(error.name, 'WasmAuthError', source);
    assert.match(error.code, /^ERR_/, source);
  }
  assert.deepEqual(probe.plain, [false, false, false, false, false]);
};

test('ESM: every error is an instance of WasmAuthError (and of wasm-auth/verify\'s), isWasmAuthError guards it', async () => {
  const { stdout } = await run('node', ['errors.mjs'], { cwd: project });
  const { full, verify } = JSON.parse(stdout);
  assertAllWasmAuthErrors(full);
  assertAllWasmAuthErrors(verify);
  assert.deepEqual(Object.keys(full.errors), ['constructor', 'function', 'rejection', 'shim', 'getToken', 'fetchPath', 'disposed']);
  assert.equal(full.errors.getToken.code, 'ERR_AUTH_NOT_AUTHENTICATED');
  assert.equal(full.errors.getToken.message, 'not logged in: call login() or restore() first');
  assert.equal(full.errors.fetchPath.code, 'ERR_AUTH_INVALID_OPTIONS');
  assert.match(full.errors.fetchPath.message, /use 'resources' \(relative to baseUrl https:\/\/api\.example\/v1\)/);
  assert.equal(full.claimsLoggedOut, null);
  assert.equal(full.isAuthenticated, false);
});

test('CommonJS: require("wasm-auth") gives the same WasmAuthError class as import, and its errors are instances', async () => {
  const { stdout } = await run('node', ['errors.cjs'], { cwd: project });
  const { sameClass, probe } = JSON.parse(stdout);
  assert.equal(sameClass, true);
  assertAllWasmAuthErrors(probe, { other: false });
});

test('ERR_AUTH_HTTP and ERR_AUTH_NETWORK name the method and the URL, query values redacted; a path baseUrl outside a page is refused', async () => {
  const { stdout } = await run('node', ['messages.mjs'], { cwd: project });
  const out = JSON.parse(stdout);
  assert.equal(out.http, `ERR_AUTH_HTTP: POST ${out.base.open}/auth/login answered HTTP 405`);
  assert.match(out.network, new RegExp(`^ERR_AUTH_NETWORK: POST ${out.base.gone}/v1/auth/login could not be reached: `));
  assert.doesNotMatch(out.network, /CORS/);
  assert.match(out.query, new RegExp(`^ERR_AUTH_NETWORK: GET ${out.base.gone}/v1/resources\\?page=… could not be reached`));
  assert.doesNotMatch(out.query, /sk_secret_key|page=2/);
  assert.match(out.relative, /^ERR_AUTH_INVALID_OPTIONS: .*baseUrl is a path.*absolute http: or https: URL/);
});

test('TypeScript: WasmAuthError is a class to narrow with, isWasmAuthError a guard, claims and isAuthenticated typed', async () => {
  await typecheck(project, 'errors-check.ts');
});
