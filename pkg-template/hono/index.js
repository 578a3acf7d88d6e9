// wasm-auth/hono: Hono middleware verifying the request's Bearer or DPoP token (or API key) with
// wasm-auth/verify's verifyRequest, as hono/jwt does with its own verifier: the claims go to
// `c.get('jwtPayload')`, a refusal is thrown as an HTTPException carrying verifyRequest's ready
// 401/403/503 (WWW-Authenticate per RFC 6750), which Hono's default error handler returns as is.
// Hono is an optional peer dependency: only this subpath imports it. wasm-auth/verify (not the
// full module) so that a worker never loads the browser client; the package names itself so
// that the export conditions pick the runtime's entry (workerd, node, browser).
import { HTTPException } from 'hono/http-exception';
import { JwtVerifier, WasmAuthError } from 'wasm-auth/verify';
import { checkUse, verifierOnce } from '../with-auth.js';

/**
 * `createAuth(options)` builds nothing yet: it returns `auth(use?)`, which makes a middleware for
 * one use (`scopes`, `realm`, `dpop`). Every middleware of one `createAuth` shares one verifier, built
 * on the first request from `options` (an object or a function of `c.env`) and kept for the
 * isolate; if building throws, the error goes to Hono's error handler (a 500 by default) and
 * the next request tries again.
 */
export function createAuth(options) {
  const verifierFor = verifierOnce(JwtVerifier, options);
  return (use) => {
    const { scopes, realm, dpop } = checkUse(use, 'wasm-auth/hono auth(use)', WasmAuthError);
    return async (c, next) => {
      const verifier = await verifierFor(c.env);
      const auth = await verifier.verifyRequest(c.req.raw, { scopes, realm, dpop });
      if (!auth.ok) throw new HTTPException(auth.response.status, { res: auth.response, cause: auth.error });
      c.set('jwtPayload', auth.payload);
      c.set('auth', auth);
      await next();
    };
  };
}
