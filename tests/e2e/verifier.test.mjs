// JwtVerifier under Node: decisions identical to jose's on tokens of every algorithm signed by
// jose, and the attack suite. workerd.test.mjs and browser-esm.test.mjs run the same cases.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { JwtVerifier, decodeUnverified } from '../../pkg/node.js';
import { attackCases, interopCases, reuseCases } from './fixtures/verify-cases.mjs';
import { evaluate } from './fixtures/verify-evaluate.js';
import { wrongDecisions } from './fixtures/verify-assert.mjs';
import { wrongWycheproof, wycheproofCases } from './fixtures/wycheproof-cases.mjs';

let interop;
let attacks;

before(async () => {
  interop = await interopCases();
  attacks = await attackCases();
});

describe('interop with jose', () => {
  test('every algorithm: the same accept/reject decision and error code as jose', async () => {
    const decisions = await evaluate(JwtVerifier, interop);
    assert.deepEqual(wrongDecisions(interop, decisions), []);
    assert.ok(interop.length >= 13 * 19, `${interop.length} cases`);
    assert.ok(interop.filter((c) => c.jose.ok).length >= 13 * 5, 'accepting cases are part of the matrix');
  });

  test('an accepted token yields the payload and the protected header', async () => {
    const [valid] = interop;
    const [decision] = await evaluate(JwtVerifier, [valid]);
    assert.equal(decision.ok, true);
    assert.equal(decision.payload.sub, 'user-1');
    assert.equal(decision.header.alg, 'HS256');
    assert.equal(decision.header.typ, 'JWT');
  });

  test('claim errors name the claim and the reason, as jose does', async () => {
    const pick = (suffix) => interop.find((c) => c.name === `ES256: ${suffix}`);
    const [wrongIssuer, expired, missing, stringExp] = await evaluate(JwtVerifier,
      [pick('wrong issuer'), pick('expired'), pick('required claim missing'), pick('string exp')]);
    assert.deepEqual([wrongIssuer.claim, wrongIssuer.reason], ['iss', 'check_failed']);
    assert.deepEqual([expired.code, expired.claim, expired.reason], ['ERR_JWT_EXPIRED', 'exp', 'check_failed']);
    assert.deepEqual([missing.claim, missing.reason], ['email', 'missing']);
    assert.deepEqual([stringExp.claim, stringExp.reason], ['exp', 'invalid']);
  });
});

test('one verifier, many tokens at once: each gets its own decision and its own payload', async () => {
  const cases = await reuseCases();
  assert.deepEqual(wrongDecisions(cases, await evaluate(JwtVerifier, cases)), []);
});

describe('attacks', () => {
  test('each attack gets its error code, never a crash', async () => {
    const decisions = await evaluate(JwtVerifier, attacks);
    assert.deepEqual(wrongDecisions(attacks, decisions), []);
  });

  test('the module still works after every attack (no panic poisoned it)', async () => {
    const [valid] = interop;
    const [decision] = await evaluate(JwtVerifier, [valid]);
    assert.equal(decision.ok, true);
  });
});

test('the Wycheproof JWS and JWK vectors, through node:crypto', async () => {
  const cases = wycheproofCases();
  assert.equal(cases.length, 427);
  assert.deepEqual(wrongWycheproof(cases, await evaluate(JwtVerifier, cases)), []);
});

describe('decodeUnverified', () => {
  test('returns header and payload without checking anything, and rejects malformed input', () => {
    const token = `${Buffer.from('{"alg":"ES256","kid":"k"}').toString('base64url')}.${Buffer.from('{"sub":"x","exp":1}').toString('base64url')}.AAAA`;
    const decoded = decodeUnverified(token);
    assert.deepEqual(decoded, { header: { alg: 'ES256', kid: 'k' }, payload: { sub: 'x', exp: 1 } });
    assert.throws(() => decodeUnverified('nope'), { code: 'ERR_JWS_INVALID' });
    assert.throws(() => decodeUnverified(`${token.split('.')[0]}.${Buffer.from('[1]').toString('base64url')}.AA`), { code: 'ERR_JWT_INVALID' });
  });
});

describe('options that would weaken a check are refused at construction', () => {
  const secret = 'an HS256 secret of at least 32 bytes!';
  const b64 = (text) => Buffer.from(text).toString('base64url');
  const hs256 = (claims) => {
    const input = `${b64('{"alg":"HS256"}')}.${b64(JSON.stringify(claims))}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };

  test('an empty list, an empty string or a list holding one: ERR_AUTH_INVALID_OPTIONS naming the option', () => {
    const cases = [
      ['issuer', [[], '', ['https://a.example', '']]],
      ['audience', [[], '', ['']]],
      ['subject', ['']],
      ['typ', ['', 'application/']],
      ['algorithms', [[], [''], ['HS256', '']]],
      ['requiredClaims', [[], ['']]],
      ['clockTolerance', [-1, NaN, Infinity]],
      ['maxTokenAge', [-1, NaN]],
      ['maxTokenLength', [0, -1, 1.5]],
    ];
    for (const [name, values] of cases) {
      for (const value of values) {
        assert.throws(() => new JwtVerifier({ secret, [name]: value }), (e) => {
          assert.equal(e.code, 'ERR_AUTH_INVALID_OPTIONS', `${name}: ${JSON.stringify(value)}`);
          assert.match(e.message, new RegExp(name), `${name}: ${JSON.stringify(value)}`);
          return true;
        });
      }
    }
    const jwksUri = 'http://127.0.0.1:9/jwks.json';
    for (const name of ['timeoutDuration', 'cooldownDuration', 'cacheMaxAge']) {
      for (const value of [0, -1, 2 ** 31]) {
        assert.throws(() => new JwtVerifier({ jwksUri, [name]: value }), { code: 'ERR_AUTH_INVALID_OPTIONS', message: new RegExp(name) }, `${name}: ${value}`);
      }
    }
  });

  test('issuer: [] and audience: [] no longer accept a token with any iss and aud', async () => {
    const token = hs256({ iss: 'https://evil.example', aud: 'evil', exp: Math.floor(Date.now() / 1000) + 60 });
    assert.throws(() => new JwtVerifier({ secret, issuer: [], audience: [] }), { code: 'ERR_AUTH_INVALID_OPTIONS' });
    const strict = new JwtVerifier({ secret, issuer: ['https://a.example'], audience: ['api'] });
    await assert.rejects(strict.verify(token), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss' });
  });

  test('maxTokenAge: 0 is the strictest age (issued this second), never "no limit"', async () => {
    const now = Math.floor(Date.now() / 1000);
    const verifier = new JwtVerifier({ secret, maxTokenAge: 0 });
    const currentDate = new Date(now * 1000);
    assert.equal((await verifier.verify(hs256({ iat: now }), { currentDate })).payload.iat, now);
    await assert.rejects(verifier.verify(hs256({ iat: now - 1 }), { currentDate }), { code: 'ERR_JWT_EXPIRED', claim: 'iat' });
    await assert.rejects(verifier.verify(hs256({}), { currentDate }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iat' });
  });
});

describe('keys refused at import', () => {
  test('a public key passed as secret: JWK JSON, SPKI DER bytes (raw or base64), PEM', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const der = publicKey.export({ format: 'der', type: 'spki' });
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    const secrets = [
      JSON.stringify(jwk),
      JSON.stringify({ keys: [jwk] }),
      new Uint8Array(der),
      new Uint8Array(ed),
      der.toString('base64'),
      publicKey.export({ format: 'pem', type: 'spki' }),
    ];
    for (const secret of secrets) {
      assert.throws(() => new JwtVerifier({ secret }), (e) => {
        assert.equal(e.code, 'ERR_JWK_INVALID');
        assert.match(e.message, /not an HMAC secret; pass .*(jwk|publicKey)/);
        return true;
      }, String(secret).slice(0, 40));
    }
    // The same key as what it is works.
    assert.ok(new JwtVerifier({ jwk }));
  });

  test('an Ed25519 key of small order (the identity point) is refused, so its forged tokens never verify', async () => {
    // With A = identity, the signature (R = identity, S = 0) verifies any payload in
    // node:crypto and WebCrypto: the key must be refused before it gets there.
    const identity = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]);
    const b64 = (text) => Buffer.from(text).toString('base64url');
    const forged = `${b64('{"alg":"EdDSA"}')}.${b64('{"sub":"admin"}')}.${Buffer.concat([identity, Buffer.alloc(32)]).toString('base64url')}`;
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: identity.toString('base64url') };
    assert.throws(() => new JwtVerifier({ jwk }), { code: 'ERR_JWK_INVALID', message: /small order/ });
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), identity]);
    const publicKey = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    assert.throws(() => new JwtVerifier({ publicKey }), { code: 'ERR_JWK_INVALID' });
    // In a JWK Set the key is not usable: the forged token finds no key.
    const verifier = new JwtVerifier({ jwks: { keys: [jwk] } });
    await assert.rejects(verifier.verify(forged), (e) => e.code === 'ERR_JOSE_ALG_NOT_ALLOWED' || e.code === 'ERR_JWKS_NO_MATCHING_KEY');
    // Every small-order encoding, with either sign bit.
    const smallOrder = ['00', '01', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'ec', 'ed', 'ee'];
    for (const start of smallOrder) {
      const bytes = start.length === 64 ? Buffer.from(start, 'hex')
        : Buffer.concat([Buffer.from(start, 'hex'), Buffer.alloc(30, start >= 'ec' ? 0xff : 0), Buffer.from([start >= 'ec' ? 0x7f : 0])]);
      for (const sign of [0, 0x80]) {
        const x = Buffer.from(bytes);
        x[31] |= sign;
        assert.throws(() => new JwtVerifier({ jwk: { ...jwk, x: x.toString('base64url') } }), { code: 'ERR_JWK_INVALID' }, x.toString('hex'));
      }
    }
  });
});

// Found by a review of issue 17's token copy: a token that is not a string threw from inside
// the wasm call, which left the verifier borrowed for good (free() and [Symbol.dispose] then
// threw), and a huge string was copied into the wasm memory before the length check.
test('a token that is not a string, or far too long, is a coded refusal that leaves the verifier usable', async () => {
  const secret = 'a-test-secret-of-at-least-32-bytes!';
  const verifier = new JwtVerifier({ secret, maxTokenLength: 4096 });
  for (const [name, token] of [['undefined', undefined], ['null', null], ['a number', 42], ['an object', {}], ['a null-prototype object', Object.create(null)]]) {
    await assert.rejects(verifier.verify(token), (e) => e.name === 'WasmAuthError' && e.code === 'ERR_JWS_INVALID', name);
  }
  // The string exists before the measure; copying it into the wasm memory would add ~150 MB of
  // resident memory (measured on the package before the fix), refusing it first adds none.
  const long = 'a'.repeat(50_000_000);
  long.charCodeAt(0);
  const before = process.memoryUsage().rss;
  await assert.rejects(verifier.verify(long), { code: 'ERR_JWS_INVALID', message: /longer than 4096 bytes/ });
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < 60_000_000, `the long token was copied into the wasm memory (+${grown} B resident)`);
  const header = Buffer.from('{"alg":"HS256"}').toString('base64url');
  const payload = Buffer.from('{"sub":"u"}').toString('base64url');
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  assert.equal((await verifier.verify(`${header}.${payload}.${signature}`)).payload.sub, 'u');
  verifier.free();
});
