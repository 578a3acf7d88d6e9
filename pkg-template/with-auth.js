// Edge middleware glue (issue 17 item 4): `withAuth` for a plain `fetch(request, env, ctx)`
// handler, and the once-per-isolate verifier that wasm-auth/hono shares. No imports: each entry
// passes its own module's JwtVerifier (so `wasm-auth/verify`'s withAuth never loads the browser
// client), and hono/index.js passes wasm-auth/verify's.

const isThenable = (value) => value !== null && typeof value === 'object' && typeof value.then === 'function';

/**
 * `options` (a JwtVerifier options object, or a function of the worker's `env` returning one or a
 * promise of one) turned into `(env) => JwtVerifier | Promise<JwtVerifier>` that builds the
 * verifier once and then returns it: one verifier per isolate, so its JWKS and key caches outlive
 * single requests. A build that throws (a missing binding, a bad option) caches nothing: the
 * next request tries again. A synchronous options function builds the verifier synchronously,
 * so concurrent first requests never wait on one another. An asynchronous one is awaited by each
 * request on its own: Workers forbid awaiting a promise made for one request from another (see
 * shim.js's onWorkers), so concurrent cold requests may each call it; the first to finish
 * installs the one verifier and the others' results are dropped.
 */
export function verifierOnce(JwtVerifier, options) {
  let verifier;
  const build = (resolved) => {
    verifier ??= new JwtVerifier(resolved);
    return verifier;
  };
  return (env) => {
    if (verifier !== undefined) return verifier;
    const resolved = typeof options === 'function' ? options(env) : options;
    return isThenable(resolved) ? resolved.then(build) : build(resolved);
  };
}

const DPOP_MODES = ['required', 'allowed', 'off'];

/**
 * The per-use options ({ scopes, realm, dpop }) of withAuth and of wasm-auth/hono's auth(use), checked
 * when the middleware is made: a misspelt `scope`, or `auth('admin')`, would otherwise drop the
 * scope check without a word. ERR_AUTH_INVALID_OPTIONS, as for every refused option (`Error`: the
 * entry's WasmAuthError class, passed in because this file imports nothing).
 */
export function checkUse(use, where, Error) {
  if (use === undefined) return {};
  if (use === null || typeof use !== 'object' || Array.isArray(use)) {
    throw new Error('ERR_AUTH_INVALID_OPTIONS', `invalid options: ${where}: the per-use options must be an object, { scopes, realm, dpop }`);
  }
  const refuse = (why) => new Error('ERR_AUTH_INVALID_OPTIONS', `invalid options: ${where}: ${why}`);
  for (const key of Object.keys(use)) {
    if (key !== 'scopes' && key !== 'realm' && key !== 'dpop') throw refuse(`unknown option \`${key}\` (known: scopes, realm, dpop)`);
  }
  // An empty list would be a route that looks guarded by scopes and is not: refused, as every
  // empty option is (verifyRequest refuses it per call too; here it fails at start-up).
  const { scopes, realm } = use;
  const scopeList = Array.isArray(scopes) && scopes.length > 0 && scopes.every((s) => typeof s === 'string' && s !== '');
  if (scopes !== undefined && typeof scopes !== 'function' && !scopeList) {
    throw refuse('scopes must be a non-empty list of scope names, or a function of (request, env) returning one');
  }
  if (realm !== undefined && (typeof realm !== 'string' || realm === '')) throw refuse('realm must be a non-empty string');
  // The verifier's `dpop` mode for this route only (verifyRequest checks it per call too, and
  // refuses one looser than the verifier's: a route may only tighten it).
  if (use.dpop !== undefined && !DPOP_MODES.includes(use.dpop)) throw refuse('dpop must be "required", "allowed" or "off"');
  return use;
}

// What a request gets when the verifier could not be built: the client cannot fix it, and the
// cause (which names the worker's configuration) goes to the worker's log, not to the client.
function misconfigured(error, what = 'the verifier could not be built; this request gets a 500, the next one tries again') {
  console.error(`wasm-auth withAuth: ${what}:`, error);
  return new Response(JSON.stringify({ error: 'server_error', error_description: 'authentication is not configured' }), {
    status: 500,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

/** withAuth of the module whose JwtVerifier is given (see index.d.ts for the contract). */
export function withAuthFor(JwtVerifier, WasmAuthError) {
  return function withAuth(handler, options, use) {
    if (typeof handler !== 'function') throw new WasmAuthError('ERR_AUTH_INVALID_OPTIONS', 'invalid options: withAuth(handler, options): handler must be a function');
    const { scopes, realm, dpop } = checkUse(use, 'withAuth', WasmAuthError);
    const verifierFor = verifierOnce(JwtVerifier, options);
    return async (request, env, ctx) => {
      let verifier;
      try {
        verifier = await verifierFor(env);
      } catch (error) {
        return misconfigured(error);
      }
      let auth;
      try {
        const required = typeof scopes === 'function' ? scopes(request, env) : scopes;
        auth = await verifier.verifyRequest(request, { scopes: required, realm, dpop });
      } catch (error) {
        // verifyRequest answers every credential problem itself; a rejection is the worker's
        // own mistake (a scopes function that threw or returned an empty list, a per-route dpop
        // looser than the verifier's, a dpopNonce hook's bad nonce).
        return misconfigured(error, 'the route\'s scopes were refused, or its options (dpop); this request gets a 500');
      }
      if (!auth.ok) return auth.response;
      return handler(request, env, ctx, auth);
    };
  };
}
