// Every option of every exported class, from the packed package in Node: a value of the wrong
// kind (wrong type, null, an empty string, NaN, a negative or zero duration, ...) and a
// misspelt key each throw ERR_AUTH_INVALID_OPTIONS at construction, naming the option (and,
// for a misspelling, the name it was meant to be). One table: a class that gains an option
// gains a row here.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import { makeProject } from './helpers.mjs';

let api;

before(async () => {
  const project = await makeProject('options', { 'api.mjs': `export * from 'wasm-auth';\n` });
  api = await import(pathToFileURL(join(project, 'api.mjs')).href);
});

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PEM = ec.publicKey.export({ type: 'spki', format: 'pem' });
const EC_JWK = { ...ec.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256' };
const OCT_JWK = { kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url'), alg: 'HS256' };
const SECRET = 'a-shared-secret-of-32-bytes-long!';
const URL_ = 'https://api.example.com/v1';

// The wrong values each kind of option gets, besides null, '' and NaN (every option gets those).
const WRONG = {
  string: [42, true, ['x'], {}],
  url: [42, ['https://a.example'], 'not a url', 'ftp://files.example/x', 'https://'],
  apiKey: [42, 'sk live with spaces', 'sk_live_\u00e9', 'sk\nlive'],
  oneOf: [42, true, 'cookie'],
  seconds: ['300', true, -1, -0.5, Infinity],
  milliseconds: ['5000', true, -1, 0, Infinity, 2 ** 31],
  bytes: ['1024', true, -1, 0, 1.5, Infinity],
  boolean: ['yes', 1, 0, {}],
  origins: ['https://a.example', 42, [42], ['not a url'], [''], {}],
  // DPoP's iat window is bounded (2^63 would wrap the replay cache's window), and 0 never
  // means "no limit"; dpopOrigin takes origins only.
  dpopMaxAge: ['300', true, -1, 0, 0.5, 3601, 2 ** 63, Infinity],
  dpopTolerance: ['5', true, -1, 301, 2 ** 63, Infinity],
  dpopOrigin: [42, [], [42], 'https://a.example/api', ['https://a.example/api'], 'https://a.example?x', 'not a url', {}],
  stringOrStrings: [42, [42], [], [''], {}],
  strings: ['sub', 42, [42], [], ['']],
  instance: [{}, 42, 'tm', { fetch: 'not a function' }],
  object: ['x', 42, true],
  secret: [42, true, {}, []],
  keys: ['x', 42, {}, [42], ['x']],
  apiKeys: ['x', 42, {}, [42], [{ sha256: 42, scopes: [] }]],
  jwksCache: ['x', 42, {}, { jwks: { keys: [EC_JWK] } }, { jwks: { keys: [EC_JWK] }, uat: 'now' }],
  // The verified-token cache: an empty, zero or negative limit never turns into "no limit".
  cache: ['x', 42, true, [], {}, { maxEntries: 0 }, { maxEntries: -1 }, { maxEntries: 1.5 }, { maxEntries: '10' },
    { maxEntries: null }, { maxEntries: NaN }, { maxEntries: 1_000_001 }, { maxEntries: Infinity },
    { maxEntries: 10, maxAgeSeconds: 0 }, { maxEntries: 10, maxAgeSeconds: -5 }, { maxEntries: 10, maxAgeSeconds: null },
    { maxEntries: 10, maxAgeSeconds: '60' }, { maxEntries: 10, maxAgeSeconds: Infinity }, { maxEntries: 10, maxAge: 60 }],
};

// class -> how to make one, the options it is valid with, and each option's kind and a valid
// value (`base`: other options that option needs, instead of the class's).
function classes() {
  const tokenManager = () => new api.TokenManager({ baseUrl: URL_ });
  const remote = { jwksUri: 'https://as.example/jwks' };
  const claims = { secret: SECRET };
  return {
    ApiKeyAuth: {
      make: (o) => new api.ApiKeyAuth(o),
      base: { baseUrl: URL_, apiKey: 'sk_live_x' },
      options: { baseUrl: ['url', URL_], apiKey: ['apiKey', 'sk_live_y'], placement: ['oneOf', 'query'] },
    },
    ApiKeys: {
      make: (o) => new api.ApiKeys(o),
      base: () => ({ tokenManager: tokenManager() }),
      options: { tokenManager: ['instance', tokenManager], baseUrl: ['url', URL_] },
    },
    SessionClient: {
      make: (o) => new api.SessionClient(o),
      base: { baseUrl: URL_ },
      options: { baseUrl: ['url', URL_], allowedOrigins: ['origins', ['https://files.example']] },
    },
    ClientCredentials: {
      make: (o) => new api.ClientCredentials(o),
      base: { tokenEndpoint: 'https://as.example/token', clientId: 'svc', clientSecret: 's' },
      options: {
        tokenEndpoint: ['url', 'https://as.example/token2'],
        clientId: ['string', 'svc2'],
        clientSecret: ['string', 's2'],
        scope: ['string', 'read:resources'],
        authMethod: ['oneOf', 'client_secret_post'],
        refreshMarginSeconds: ['seconds', 30],
        dpop: ['boolean', true],
      },
    },
    TokenManager: {
      make: (o) => new api.TokenManager(o),
      base: { baseUrl: URL_ },
      options: {
        baseUrl: ['url', URL_],
        refreshMarginSeconds: ['seconds', 60],
        allowedOrigins: ['origins', ['https://files.example']],
        tokenEndpoint: ['url', 'https://as.example/token'],
        clientId: ['string', 'spa'],
        revocationEndpoint: ['url', 'https://as.example/revoke'],
        revokeOnLogout: ['boolean', false],
        crossTab: ['boolean', false],
        refreshTokenInCookie: ['boolean', true],
        dpop: ['boolean', true],
      },
    },
    OAuthClient: {
      make: (o) => new api.OAuthClient(o),
      base: {
        clientId: 'spa',
        redirectUri: 'https://app.example/callback',
        authorizationEndpoint: 'https://as.example/authorize',
        tokenEndpoint: 'https://as.example/token',
      },
      options: {
        clientId: ['string', 'spa2'],
        redirectUri: ['url', 'https://app.example/cb'],
        scope: ['string', 'openid'],
        authorizationEndpoint: ['url', 'https://as.example/authorize2'],
        tokenEndpoint: ['url', 'https://as.example/token2'],
        revocationEndpoint: ['url', 'https://as.example/revoke'],
        issuer: ['url', 'https://as.example'],
        jwksUri: ['url', 'https://as.example/jwks'],
        baseUrl: ['url', URL_],
        tokenManager: ['instance', tokenManager],
        maxResponseBytes: ['bytes', 4096],
        crossTab: ['boolean', false],
        // true needs baseUrl (tests/e2e/dpop-client.test.mjs)
        dpop: ['boolean', false],
      },
    },
    JwtVerifier: {
      make: (o) => new api.JwtVerifier(o),
      base: claims,
      options: {
        secret: ['secret', SECRET, {}],
        jwk: ['object', OCT_JWK, {}],
        publicKey: ['string', PEM, {}],
        jwks: ['object', { keys: [EC_JWK] }, {}],
        keys: ['keys', [EC_JWK], {}],
        jwksUri: ['url', 'https://as.example/jwks', {}],
        timeoutDuration: ['milliseconds', 1000, remote],
        cooldownDuration: ['milliseconds', 1000, remote],
        cacheMaxAge: ['milliseconds', 1000, remote],
        jwksMaxBytes: ['bytes', 4096, remote],
        jwksCache: ['jwksCache', { jwks: { keys: [EC_JWK] }, uat: Date.now() }, remote],
        apiKeys: ['apiKeys', [{ sha256: 'ab'.repeat(32), scopes: ['read'] }]],
        issuer: ['stringOrStrings', 'https://as.example'],
        audience: ['stringOrStrings', ['api']],
        subject: ['string', 'user_1'],
        typ: ['string', 'at+jwt'],
        algorithms: ['strings', ['HS256']],
        clockTolerance: ['seconds', 5],
        requiredClaims: ['strings', ['sub']],
        maxTokenAge: ['seconds', 0],
        maxTokenLength: ['bytes', 4096],
        cache: ['cache', { maxEntries: 100, maxAgeSeconds: 30 }],
        dpopMaxAgeSeconds: ['dpopMaxAge', 3600],
        dpopClockToleranceSeconds: ['dpopTolerance', 0],
        dpopOrigin: ['dpopOrigin', ['https://api.example.com', 'http://localhost:8787']],
      },
    },
  };
}

/** A slip of one letter in the middle: the name it was meant to be stays the nearest one. */
function misspell(name) {
  const at = Math.floor(name.length / 2);
  return name.slice(0, at) + (name[at] === 'q' ? 'x' : 'q') + name.slice(at + 1);
}

function show(value) {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** Constructing with `options` throws ERR_AUTH_INVALID_OPTIONS and the message matches `message`. */
function refused(make, options, message, what) {
  assert.throws(() => make(options), (e) => {
    assert.equal(e.code, 'ERR_AUTH_INVALID_OPTIONS', `${what}: ${e.code} ${e.message}`);
    assert.match(e.message, message, what);
    return true;
  }, `${what}: accepted`);
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const resolve = (value) => (typeof value === 'function' ? value() : value);

const TABLE = ['ApiKeyAuth', 'ApiKeys', 'SessionClient', 'ClientCredentials', 'TokenManager', 'OAuthClient', 'JwtVerifier'];

for (const className of TABLE) {
  test(`${className}: the table's base options are valid, and anything but an options object is refused`, () => {
    const { make, base } = classes()[className];
    make(resolve(base));
    for (const bad of [undefined, null, 'options', 42, [resolve(base)]]) {
      refused(make, bad, /options must be an object/, `${className}(${show(bad)})`);
    }
  });

  for (const [name, [kind]] of Object.entries(classes()[className].options)) {
    test(`${className} ${name} (${kind}): a wrong value, null, '' and NaN are refused naming the option`, () => {
      const { make, base, options } = classes()[className];
      const [, valid, own] = options[name];
      const start = { ...resolve(own ?? base) };
      delete start[name];
      make({ ...start, [name]: resolve(valid) });
      refused(make, { ...start, [name]: null }, new RegExp(`${escape(name)}.* must be .*\\(null is not one\\)`), `${name}: null`);
      for (const bad of ['', NaN, ...WRONG[kind]]) {
        refused(make, { ...start, [name]: bad }, new RegExp(`\\b${escape(name)}\\b`), `${name}: ${show(bad)}`);
      }
    });

    test(`${className} ${name}: a misspelt key is refused with the name it was meant to be`, () => {
      const { make, base, options } = classes()[className];
      const [, valid, own] = options[name];
      const start = { ...resolve(own ?? base) };
      delete start[name];
      const typo = misspell(name);
      refused(make, { ...start, [typo]: resolve(valid) },
        new RegExp(escape(`unknown option \`${typo}\`: did you mean \`${name}\`?`)), `${name} as ${typo}`);
    });
  }
}

test('TokenManager: refreshTokenInCookie cannot go with tokenEndpoint (the cookie is the guide\'s /auth/refresh)', () => {
  refused((o) => new api.TokenManager(o), { baseUrl: URL_, tokenEndpoint: 'https://as.example/token', refreshTokenInCookie: true },
    /refreshTokenInCookie cannot be combined with tokenEndpoint/, 'refreshTokenInCookie + tokenEndpoint');
  new api.TokenManager({ baseUrl: URL_, tokenEndpoint: 'https://as.example/token', refreshTokenInCookie: false });
});

test(
  'JwtVerifier: a PEM in keys says where a PEM goes',
  () => refused((o) => new api.JwtVerifier(o), { keys: [PEM] }, /keys\[0\] must be a JWK object; a PEM goes in publicKey/, 'keys: [PEM]'),
);

test('ApiKeys.create: the new key spec follows the same rules (null, wrong types, misspelt keys)', async () => {
  const keys = new api.ApiKeys({ tokenManager: new api.TokenManager({ baseUrl: URL_ }) });
  const cases = [
    [{ name: null, scopes: ['read'] }, /name must be a string \(null is not one\)/],
    [{ name: 42, scopes: ['read'] }, /name must be a string/],
    [{ name: 'ci', scopes: null }, /scopes must be an array of strings \(null is not one\)/],
    [{ name: 'ci', scopes: 'read' }, /scopes must be an array of strings/],
    [{ name: 'ci', scopes: [42] }, /scopes must be an array of strings/],
    [{ name: 'ci' }, /scopes is required/],
    [{ name: 'ci', scope: ['read'] }, /unknown option `scope`: did you mean `scopes`\?/],
    ['ci', /create needs/],
  ];
  for (const [spec, message] of cases) {
    await assert.rejects(keys.create(spec), { code: 'ERR_AUTH_INVALID_OPTIONS', message }, show(spec));
  }
});

test('the options of TokenManager.logout, OAuthClient.discover, authorize and revoke follow the same rules', async () => {
  const invalid = (message) => ({ code: 'ERR_AUTH_INVALID_OPTIONS', message });
  const tm = new api.TokenManager({ baseUrl: URL_ });
  for (const [options, message] of [
    [{ revoke: null }, /revoke must be a boolean \(null is not one\)/],
    [{ revoke: 'yes' }, /revoke must be a boolean/],
    [{ revoked: false }, /unknown option `revoked`: did you mean `revoke`\?/],
    ['no', /options must be an object/],
  ]) {
    await assert.rejects(tm.logout(options), invalid(message), show(options));
  }
  assert.deepEqual(await tm.logout(), { revoked: false });
  assert.deepEqual(await tm.logout({ revoke: false }), { revoked: false });

  // discover reads its options before any request: nothing is listening at as.invalid.
  const client = { clientId: 'spa', redirectUri: 'https://app.example/cb' };
  for (const [options, message] of [
    [{ ...client, clientId: null }, /clientId must be a non-empty string \(null is not one\)/],
    [{ ...client, maxResponseBytes: 1.5 }, /maxResponseBytes must be a whole number of bytes/],
    [{ ...client, scop: 'openid' }, /unknown option `scop`: did you mean `scope`\?/],
    [{ ...client, tokenEndpoint: 'https://as.invalid/token' }, /tokenEndpoint is discovered/],
    [{ redirectUri: client.redirectUri }, /clientId is required/],
  ]) {
    await assert.rejects(api.OAuthClient.discover('https://as.invalid', options), invalid(message), show(options));
  }

  // authorize reads its options before it needs a page (Node has none).
  const oauth = new api.OAuthClient({
    ...client, authorizationEndpoint: 'https://as.invalid/authorize', tokenEndpoint: 'https://as.invalid/token',
  });
  for (const [options, message] of [
    [{ scope: '' }, /scope must be a non-empty string/],
    [{ redirect: 'no' }, /redirect must be a boolean/],
    [{ redirect: null }, /redirect must be a boolean \(null is not one\)/],
    [{ extraParams: 'prompt=login' }, /extraParams must be an object of strings/],
    [{ extraParams: { prompt: 42 } }, /extraParams\.prompt must be a string/],
    [{ extraParams: { prompt: null } }, /extraParams\.prompt must be a string \(null is not one\)/],
    [{ appState: () => 1 }, /appState must be JSON data/],
    [{ appState: null }, /appState must be JSON data \(null is not one\)/],
    [{ redirct: false }, /unknown option `redirct`: did you mean `redirect`\?/],
  ]) {
    assert.throws(() => oauth.authorize(options), invalid(message), show(options));
  }
  assert.throws(() => oauth.authorize({ redirect: false, extraParams: { prompt: 'login' }, appState: { to: '/' } }),
    invalid(/needs a browser page/));

  // restore reads its options first; without a TokenManager (no baseUrl) and not silent it is null,
  // silent needs a page (sessionStorage) before it redirects.
  for (const [options, message] of [
    [{ silent: 'yes' }, /silent must be a boolean/],
    [{ silent: null }, /silent must be a boolean \(null is not one\)/],
    [{ silnt: true }, /unknown option `silnt`: did you mean `silent`\?/],
    ['no', /options must be an object/],
  ]) {
    await assert.rejects(oauth.restore(options), invalid(message), show(options));
  }
  assert.equal(await oauth.restore(), null);
  assert.equal(await oauth.restore({ silent: false }), null);
  await assert.rejects(oauth.restore({ silent: true }), invalid(/restore\(\{ silent: true \}\) needs a browser page/));

  // A positional argument keeps JS's "null or undefined is omitted".
  for (const hint of [42, 'id_token']) {
    await assert.rejects(oauth.revoke('t', hint), invalid(/hint must be "access_token" or "refresh_token"/), show(hint));
  }
  await assert.rejects(oauth.revoke('t', null), invalid(/no revocation endpoint/));
});

test('fetch arguments that make no request are ERR_AUTH_INVALID_OPTIONS, not the platform error', async () => {
  const client = new api.ApiKeyAuth({ baseUrl: URL_, apiKey: 'wa_test_key' });
  // Node's own TypeError here carries a `.code` (ERR_INVALID_URL): it must not pass through.
  await assert.rejects(async () => client.fetch('http://[not-a-host'),
    { code: 'ERR_AUTH_INVALID_OPTIONS', message: /the request could not be built/ });
  await assert.rejects(async () => client.fetch('https://elsewhere.example/x'), { code: 'ERR_AUTH_UNTRUSTED_ORIGIN' });
});
