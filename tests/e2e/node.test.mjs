// The packed package installed into a fresh Node project: ESM import with no init call,
// require() from CommonJS, and the TypeScript types a user compiles against.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
});
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
  const module = ['browser.js', 'index.d.ts', 'node.js', 'snippets/*', 'wasm_auth.d.ts', 'wasm_auth.js', 'wasm_auth_bg.wasm', 'with-auth.js', 'workerd.js'];
  const docs = ['README.md', 'CHANGELOG.md', 'SECURITY.md', 'LICENSE-MIT', 'LICENSE-APACHE'];
  // Framework subpaths: at the root only (build-pkg's rootOnly), never in verify/.
  const subpaths = ['react/index.js', 'react/index.d.ts', 'hono/index.js', 'hono/index.d.ts'];
  assert.deepEqual([...new Set(files)], [...docs, 'package.json', ...module, ...module.map((f) => `verify/${f}`), ...subpaths].sort());
});
