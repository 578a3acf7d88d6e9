// JwtVerifier under Node: decisions identical to jose's on tokens of every algorithm signed by
// jose, and the attack suite. workerd.test.mjs and browser-esm.test.mjs run the same cases.
import assert from 'node:assert/strict';
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
