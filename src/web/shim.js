// The JavaScript side of wasm-auth: the few things Rust cannot do through web-sys, or does
// slower. One module, imported by every part of src/web/ (`#[wasm_bindgen(module = ...)]`), so
// that the package loads one snippet file rather than one per Rust file (each extra ES module
// costs Node ~0.5 ms of cold start).

// ---- shared ----

// Error codes are never spelt here. The one table of them is src/error.rs (`error_table!`);
// Rust hands this module the codes, named by their Error variant, and the functions that decide
// verifyRequest's answer to a refused request and build a failed request's error. So a failure
// raised here reads `coded(CODE.JwksTimeout, ...)`, and a native test (src/error.rs) checks that
// every name read from CODE here is a variant of the table.
// Lazily: at start-up (web/error.rs, `#[wasm_bindgen(start)]`) Rust only hands over the function
// that installs them (setErrorInstaller), called on the first read of CODE or first refusal:
// the table's transfer cost ~1 ms of every cold start (issue 15), and a request that succeeds
// reads none of it.
const codes = {};
let installer;
function installNow() {
  const install = installer;
  installer = undefined;
  try {
    install?.();
  } catch (e) {
    installer = install; // not installed: the next error tries again
    throw e;
  }
}
// Every way of reading the table installs it first.
const CODE = new Proxy(codes, {
  get(target, variant) {
    if (installer !== undefined) installNow();
    return target[variant];
  },
  has(target, variant) {
    if (installer !== undefined) installNow();
    return variant in target;
  },
  ownKeys(target) {
    if (installer !== undefined) installNow();
    return Reflect.ownKeys(target);
  },
});
let refusalOf;
let failureOf;
const bearerRefusal = (...args) => { installNow(); return refusalOf(...args); };
const requestFailed = (...args) => { installNow(); return failureOf(...args); };
export function setErrorInstaller(install) {
  installer = install;
}
export function installErrors(namedCodes, refusal, failed) {
  for (const pair of namedCodes.trim().split(' ')) {
    const [variant, code] = pair.split('=');
    codes[variant] = code;
  }
  refusalOf = refusal;
  failureOf = failed;
}

// What every function of wasm-auth throws: Rust's errors (web/error.rs, through newError) and
// this module's alike, so `e instanceof WasmAuthError` holds for all of them. The full module
// and wasm-auth/verify each carry their own copy of this class; the brand (a registered symbol
// on the prototype) lets `instanceof` of either copy accept the other's errors too.
const BRAND = Symbol.for('wasm-auth.WasmAuthError');
export class WasmAuthError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'WasmAuthError';
    this.code = code;
  }
  static [Symbol.hasInstance](value) {
    return value !== null && typeof value === 'object' && value[BRAND] === true;
  }
}
Object.defineProperty(WasmAuthError.prototype, BRAND, { value: true });
export function isWasmAuthError(value) {
  return value instanceof WasmAuthError;
}
export function newError(code, message) {
  return new WasmAuthError(code, message);
}

/** An Error with the stable `.code` every wasm-auth failure carries. */
function coded(code, message) {
  return new WasmAuthError(code, message);
}

/** Cloudflare Workers (and workerd): a promise made while serving one request must not be
 * awaited by another (it can hang: jose issues 355 and 509). */
export function onWorkers() {
  return typeof navigator === 'object' && navigator !== null && navigator.userAgent === 'Cloudflare-Workers';
}

// ---- HTTP for the browser client (http.rs) ----

// What send() rejects with: not an Error for users but the parts of one for Rust (http.rs),
// which makes the Error of `code` with `reason` as its detail, so no message is parsed there.
class Failure {
  constructor(code, reason, status) {
    this.code = code;
    this.reason = reason;
    this.status = status;
  }
}
function answerTooLarge(maxBytes) {
  return new Failure(CODE.InvalidResponse, `it is larger than ${maxBytes} bytes`);
}
// One request whose whole answer is read: { status, body, retryAfter }. A failure to reach
// the server (or to read its answer) is ERR_AUTH_NETWORK, with the platform's reason only. The
// answer is read through readCapped (the JWKS fetch's reader): past maxBytes (decompressed) the
// stream is cancelled and the answer refused with ERR_AUTH_INVALID_RESPONSE, so a huge or
// gzip-bomb answer costs at most maxBytes. Rejects with a Failure.
export async function send(method, url, headers, body, withCookies, maxBytes) {
  let response;
  let bytes;
  let reader;
  try {
    response = await fetch(url, {
      method,
      headers,
      body,
      credentials: withCookies ? 'include' : 'same-origin',
      cache: 'no-store',
      // Credentials in a body are never re-sent to wherever a redirect points ('manual': workerd
      // has no 'error' mode; browsers then give an opaque redirect).
      redirect: 'manual',
    });
    bytes = await readCapped(response, maxBytes, (r) => { reader = r; }, answerTooLarge);
  } catch (e) {
    if (e instanceof Failure) {
      (reader ?? response.body)?.cancel().catch(() => {});
      throw e;
    }
    throw new Failure(CODE.Network, `${(e && e.message) || e}`);
  }
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    throw new Failure(CODE.Http, 'no request that carries credentials follows one', response.status || 302);
  }
  return {
    status: response.status,
    body: bytes,
    retryAfter: response.headers.get('retry-after') ?? undefined,
    dpopNonce: response.headers.get('dpop-nonce') ?? undefined,
  };
}
// An API call through an authenticated client's fetch (a TokenManager: Bearer token, one
// refresh and retry on 401), read in full like send(), with its method and URL (for the message
// of the error the answer may mean).
export async function sendThrough(client, method, url, body) {
  const headers = body === undefined ? {} : { 'content-type': 'application/json' };
  const response = await client.fetch(url, { method, headers, body, cache: 'no-store' });
  let bytes;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw requestFailed(method, response.url || url, `${(e && e.message) || e}`);
  }
  return { status: response.status, body: bytes, retryAfter: response.headers.get('retry-after') ?? undefined, method, url };
}
// ---- Credentialed fetch (http.rs): every fetch that carries a credential ----
// TokenManager's (a token), ApiKeyAuth's (a key), SessionClient's (cookies) and
// ClientCredentials' (a token) all go through prepare() and sendCredentialed().

// The caller's fetch arguments as a Request, on a trusted origin only (else
// ERR_AUTH_UNTRUSTED_ORIGIN, and nothing is sent). With a `base` (the API's base URL), a string
// or URL is resolved against it ("resources" -> base + "/resources"; a string starting with '/'
// that leaves the base's path was refused before, in Rust); without one (ClientCredentials) the
// arguments are read as fetch reads them. Arguments that make no request are
// ERR_AUTH_INVALID_OPTIONS: the platform's error, even one with a `.code` of its own (Node's
// ERR_INVALID_URL), is not passed on.
export function prepare(input, init, base, trusted) {
  let request;
  try {
    request = new Request(base !== undefined && (typeof input === 'string' || input instanceof URL) ? new URL(String(input), base + '/') : input, init);
  } catch (e) {
    throw coded(CODE.InvalidOptions, `invalid options: the request could not be built: ${(e && e.message) || ''}`);
  }
  const origin = new URL(request.url).origin;
  if (!trusted.includes(origin)) {
    throw coded(CODE.UntrustedOrigin, `no credential is sent to ${origin}: add it to allowedOrigins to trust it`);
  }
  return request;
}
export function originOf(url) {
  return new URL(url).origin;
}
// Sends `request` with its credential added to each hop's copy (the original stays unsent, for
// a retry): `carrier` HEADER (`name: value`, and a DPoP `proof` if any), QUERY (`?name=value`,
// the request otherwise unchanged) or COOKIES (the browser's, `credentials: 'include'`).
// A credential goes only where the caller trusted it. `redirects` is Rust's policy
// (client::redirects): ANSWER returns a redirect as the answer, never followed; REFUSE makes
// every redirect ERR_AUTH_HTTP (a DPoP proof is made for one URL); FOLLOW follows a redirect
// only to a trusted origin, each hop checked before anything is sent, at most MAX_REDIRECTS
// times, and a redirect elsewhere is ERR_AUTH_HTTP. Browsers hide where a redirect points
// ('opaqueredirect'), so there every redirect not answered is ERR_AUTH_HTTP: the credential never
// leaves for a place nobody checked. With FOLLOW, the caller's own `redirect: 'manual'` gets
// the redirect answer itself, and `redirect: 'error'` any redirect as ERR_AUTH_HTTP.
// A caller's abort rejects with the platform's AbortError, as fetch does; any other failure to
// send is ERR_AUTH_NETWORK.
// Numbers rather than names from Rust (http.rs's Credential, client::redirects::Redirects): less
// wasm.
const [HEADER, QUERY, COOKIES] = [0, 1, 2];
const [FOLLOW, REFUSE, ANSWER] = [0, 1, 2];
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
export async function sendCredentialed(request, trusted, redirects, carrier, name, value, proof) {
  let current = request.clone();
  for (let hops = 0; ; hops += 1) {
    let response;
    try {
      response = await fetch(await withCredential(new Request(current.clone(), { redirect: 'manual' }), carrier, name, value, proof));
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw requestFailed(current.method, current.url, `${(e && e.message) || e}`);
    }
    const hidden = response.type === 'opaqueredirect';
    if (redirects === ANSWER || request.redirect === 'manual' || (!hidden && !REDIRECT_STATUSES.includes(response.status))) return response;
    const location = hidden ? null : response.headers.get('location');
    if (!hidden && location === null) return response;
    const status = response.status;
    // Nobody reads a redirect's body: release it now rather than hold a connection until GC.
    response.body?.cancel().catch(() => {});
    const redirectRefused = (code, why) => requestFailed(current.method, current.url, why, code);
    if (hidden) throw redirectRefused(0, 'this runtime hides where it points, so no credential follows it');
    if (redirects === REFUSE) throw redirectRefused(status, 'a DPoP proof is made for one URL (htu), so no DPoP request follows a redirect');
    if (request.redirect === 'error') throw redirectRefused(status, "the request's redirect mode is 'error'");
    let target;
    try {
      target = new URL(location, current.url);
    } catch {
      throw redirectRefused(status, 'its Location is not a URL');
    }
    if (!trusted.includes(target.origin)) {
      throw redirectRefused(status, `it points to ${target.origin}, which is not a trusted origin (allowedOrigins)`);
    }
    if (hops === MAX_REDIRECTS) throw redirectRefused(status, `more than ${MAX_REDIRECTS} redirects`);
    try {
      current = await nextHop(current, target, status);
    } catch {
      // e.g. a Location with user:password@, which fetch refuses to request.
      throw redirectRefused(status, 'its Location cannot be requested');
    }
  }
}
// One hop's copy of the request, with the credential (see sendCredentialed).
function withCredential(hop, carrier, name, value, proof) {
  if (carrier === COOKIES) return new Request(hop, { credentials: 'include' });
  if (carrier === QUERY) {
    const url = new URL(hop.url);
    url.searchParams.set(name, value);
    return moved(hop, url);
  }
  hop.headers.set(name, value);
  if (proof !== undefined) hop.headers.set('dpop', proof);
  return hop;
}
// The request a redirect leads to (the Fetch standard's rules): 303, and 301/302 after a POST,
// become a GET without a body; the others keep the method and the body.
async function nextHop(previous, target, status) {
  const toGet = (status === 303 && previous.method !== 'HEAD') || ((status === 301 || status === 302) && previous.method === 'POST');
  const method = toGet ? 'GET' : previous.method;
  const headers = new Headers(previous.headers);
  if (toGet) for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name);
  const body = method === 'GET' || method === 'HEAD' ? undefined : await previous.arrayBuffer();
  return new Request(target, { method, headers, body, signal: previous.signal, redirect: 'manual' });
}
// `request` sent to `url` instead. A body is read first: browsers refuse a streamed body from
// one Request as another's (and would stream it only over HTTP/2). Whether there is one goes by
// the method: Firefox has no Request.body (undefined, not null), and a GET given even an empty
// body throws.
const REQUEST_FIELDS = ['method', 'headers', 'signal', 'redirect', 'credentials', 'cache', 'mode', 'referrer', 'referrerPolicy', 'integrity', 'keepalive'];
async function moved(request, url) {
  if (request.method === 'GET' || request.method === 'HEAD') return new Request(url, request);
  const init = { body: await request.arrayBuffer() };
  for (const field of REQUEST_FIELDS) if (request[field] !== undefined) init[field] = request[field];
  return new Request(url, init);
}
export function responseStatus(response) {
  return response.status;
}
export function responseUrl(response) {
  return response.url || undefined;
}
export function responseHeader(response, name) {
  return response.headers.get(name) ?? undefined;
}

// ---- DPoP keys (dpop.rs) ----

// One client's DPoP key record (dpop.rs holds it): `store`, the IndexedDB key it is kept under
// across reloads when Rust allows it (client::dpop::key_kept_across_reloads), else undefined.
export function dpopState(store) {
  return { store };
}
// The key pair (ECDSA P-256, its private key non-extractable: no script can read it, not even
// this one), made (or read from IndexedDB) on the first call and shared by concurrent ones.
// Resolves to [x, y, pair]: the public key's coordinates (public keys are always exportable) and
// the CryptoKeyPair to sign with. Rejects where WebCrypto lacks it (ERR_DPOP_KEY_UNAVAILABLE).
// A logout (dpopForget) while the key is being made or read wins: the key that arrives after it
// is neither kept in IndexedDB nor held (`state.made` is no longer this promise); the requests
// already waiting for it still get it.
export function dpopKey(state) {
  if (state.made !== undefined) return state.made;
  const current = () => state.made === made;
  const made = (async () => {
    let pair = state.store === undefined ? undefined : await dpopStore((s) => s.get(state.store)).catch(() => undefined);
    if (!dpopUsable(pair)) {
      pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
      if (state.store !== undefined && current()) await dpopStore((s) => s.put(pair, state.store)).catch(() => {});
    }
    return dpopPublic(state, pair, current);
  })();
  state.made = made;
  return made;
}
// [x, y, pair]; held in `state` only while `current()` (no logout since it was asked for).
async function dpopPublic(state, pair, current) {
  const { x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  if (current()) {
    state.pair = pair;
    state.xy = [x, y];
  }
  return [x, y, pair];
}
// A key pair this client may sign with: a non-extractable ECDSA P-256 private key (what a peer
// tab sends or IndexedDB returns is checked, never trusted).
function dpopUsable(pair) {
  const key = pair?.privateKey;
  return typeof CryptoKey === 'function' && key instanceof CryptoKey && pair.publicKey instanceof CryptoKey
    && key.algorithm.name === 'ECDSA' && key.algorithm.namedCurve === 'P-256' && !key.extractable && key.usages.includes('sign');
}
// The public key's [x, y] when the key pair is there already (authorize() is synchronous).
export function dpopNow(state) {
  return state.xy;
}
// The key pair, for peer tabs (a CryptoKeyPair is structured-cloneable, its private key stays
// non-extractable), or undefined.
export function dpopPair(state) {
  return state.pair;
}
// A peer's key pair, used from now on when `mayReplace` (Rust's decision); else this client's own
// key stays (in the same session the peer's is a structured clone of it, a different object).
// False for anything that is not a usable key pair. Never written to IndexedDB here: the tab
// that made the key kept it already, and a key posted on the channel by any other script of the
// origin must not outlive this page.
export function dpopAdopt(state, pair, mayReplace) {
  if (state.pair === pair) return true;
  if (!dpopUsable(pair)) return false;
  if (!mayReplace) return true;
  state.pair = pair;
  state.xy = undefined;
  const made = dpopPublic(state, pair, () => state.made === made);
  state.made = made;
  return true;
}
// Logout: the key pair is dropped (the next session gets a new one) and deleted from IndexedDB.
export function dpopForget(state) {
  state.made = state.pair = state.xy = undefined;
  if (state.store !== undefined) dpopStore((s) => s.delete(state.store)).catch(() => {});
}
// One request on the key store ('wasm-auth-dpop' database, 'keys' object store); resolves
// with the request's result once its transaction has committed.
function dpopStore(run) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('wasm-auth-dpop', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('keys');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('keys', 'readwrite');
      const request = run(tx.objectStore('keys'));
      tx.oncomplete = () => { db.close(); resolve(request.result); };
      tx.onabort = tx.onerror = () => { db.close(); reject(tx.error); };
    };
  });
}
// The ES256 signature of `input`: WebCrypto's ECDSA output is already JWS's r || s.
export async function dpopSign(pair, input) {
  return new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new TextEncoder().encode(input)));
}

export function monoNow() {
  return typeof performance === 'object' && performance !== null && typeof performance.now === 'function' ? performance.now() : Date.now();
}
export function newEventTarget() {
  return new EventTarget();
}
export function emit(target, type, detail) {
  const event = typeof CustomEvent === 'function' ? new CustomEvent(type, { detail }) : Object.assign(new Event(type), { detail });
  target.dispatchEvent(event);
}
// Page-wake signals after which timers may have been frozen: a tab shown again, a page
// restored from the back/forward cache, the network back, the window focused. Returns the
// function that removes the listeners. Outside a window (workers, Node) there are none.
export function onWake(callback) {
  if (typeof window !== 'object' || window === null || typeof window.addEventListener !== 'function') return () => {};
  const onVisible = () => { if (document.visibilityState === 'visible') callback(); };
  const events = ['pageshow', 'online', 'focus'];
  for (const type of events) window.addEventListener(type, callback);
  if (typeof document === 'object' && document !== null) document.addEventListener('visibilitychange', onVisible);
  return () => {
    for (const type of events) window.removeEventListener(type, callback);
    if (typeof document === 'object' && document !== null) document.removeEventListener('visibilitychange', onVisible);
  };
}
export function cookiesDisabled() {
  return typeof navigator === 'object' && navigator !== null && navigator.cookieEnabled === false;
}
// The page's origin, which a path baseUrl ('/v1') resolves against and which an error message
// names when a cross-origin request fails (CORS); undefined outside a page (Node, workers).
export function pageOrigin() {
  return typeof location === 'object' && location !== null && typeof location.origin === 'string' ? location.origin : undefined;
}
export function inBrowserWindow() {
  return typeof window === 'object' && window !== null && typeof document === 'object';
}

// ---- OAuth transaction and redirects (oauth.rs) ----

// Each client's sign-in record is under its own key ('wasm-auth:oauth-transaction ' followed by
// the client's issuer, client id and redirect URI), so two clients of one page never share one.
function storage() {
  try {
    return typeof sessionStorage === 'object' && sessionStorage !== null ? sessionStorage : undefined;
  } catch {
    return undefined; // sandboxed frames throw on access
  }
}
export function txSave(key, json) {
  const s = storage();
  if (!s) return false;
  s.setItem(key, json);
  return true;
}
export function txLoad(key) {
  return storage()?.getItem(key) ?? undefined;
}
export function txClear(key) {
  storage()?.removeItem(key);
}
export function currentUrl() {
  return typeof location === 'object' && location !== null ? location.href : undefined;
}
export function navigate(url) {
  location.assign(url);
}
// Removes the callback parameters from the address bar, if the page is the handled URL.
export function cleanAddressBar(handled, params) {
  if (typeof location !== 'object' || typeof history !== 'object') return;
  const here = new URL(location.href);
  const withoutHash = (u) => u.href.slice(0, u.href.length - u.hash.length);
  if (withoutHash(here) !== withoutHash(new URL(handled, here))) return;
  for (const name of params) here.searchParams.delete(name);
  history.replaceState(history.state, '', here.pathname + here.search + here.hash);
}
export function callMethod(target, name, arg) {
  return target[name](arg);
}

// ---- JWT verification (web/verifier/) ----

// JwtVerifier.verify's token, written as UTF-8 into the wasm memory at [at, at + capacity) by
// the platform's native encoder: the bytes written, -1 when they did not fit, -2 for anything
// but a string (which Rust then hands to tokenText).
const tokenEncoder = new TextEncoder();
export function writeToken(token, memory, at, capacity) {
  if (typeof token !== 'string') return -2;
  const { read, written } = tokenEncoder.encodeInto(token, new Uint8Array(memory.buffer, at, capacity));
  return read === token.length ? written : -1;
}
// A token that is not a string, as text: String(token) ('undefined', '[object Object]'), which
// the parser then refuses with its coded error. This runs inside verify's wasm call: a JS
// exception here would unwind past Rust and leave the verifier borrowed for good (`verify(
// req.headers.get('x-token'))` without the header), so nothing here throws.
export function tokenText(token) {
  try {
    return String(token);
  } catch {
    return ''; // an object without a toString (Object.create(null))
  }
}

// `key` is a public JWK, or an HMAC secret's bytes (Uint8Array, imported raw).
function importKey(cache, slot, key, importAlg) {
  let imported = cache.get(slot);
  if (imported === undefined) {
    const format = key instanceof Uint8Array ? 'raw' : 'jwk';
    imported = crypto.subtle.importKey(format, key, importAlg, false, ['verify']).then(
      (done) => { cache.set(slot, done); return done; },
      (e) => { throw coded(CODE.JwkInvalid, `the key could not be imported: ${e && e.message}`); });
    cache.set(slot, imported);
  }
  return imported;
}
// In Node, node:crypto verifies synchronously on the calling thread: no trip through the thread
// pool and its promise, which is most of crypto.subtle.verify's time there (ES256 1.7-2x, RSA
// 1.4-5x faster, measured by `make bench`). Runtimes that copy Node's process.getBuiltinModule
// (Deno, Bun) take the same path; they are not tested here. Workers, browsers and runtimes
// without node:crypto keep crypto.subtle. Reached through process.getBuiltinModule so that no
// bundler ever sees an import of node:crypto.
// Looked up on the first verification, not at load: loading node:crypto costs ~1 ms of cold
// start that a module never verifying would pay for nothing.
let nodeCrypto = null;
function inNode() {
  try {
    return typeof process === 'object' && process !== null && typeof process.versions?.node === 'string' && !onWorkers();
  } catch {
    return false;
  }
}
function findNodeCrypto() {
  try {
    if (!inNode()) return undefined;
    const c = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:crypto') : undefined;
    return c && typeof c.verify === 'function' && typeof c.createPublicKey === 'function' &&
      typeof c.createHmac === 'function' && typeof c.timingSafeEqual === 'function' ? c : undefined;
  } catch {
    return undefined;
  }
}
// crypto.verify's arguments for a (key, algorithm) pair: [digest or null, the KeyObject, or a key
// object with the padding or signature encoding the JWS algorithm uses]. Rust gives the digest
// and the key object's members from the algorithm's row (webcrypto.rs), so nothing here knows an
// algorithm; only `padding` is named, since node:crypto numbers it in crypto.constants. An HMAC
// secret (bytes, keyMembers 'hmac') becomes [digest, secret KeyObject, true]: createHmac then
// timingSafeEqual, in constant time.
function nodeVerifier(jwk, digest, keyMembers) {
  let key;
  try {
    key = keyMembers === 'hmac' ? nodeCrypto.createSecretKey(jwk) : nodeCrypto.createPublicKey({ key: jwk, format: 'jwk' });
  } catch (e) {
    throw coded(CODE.JwkInvalid, `the key could not be imported: ${e && e.message}`);
  }
  if (keyMembers === 'hmac') return [digest, key, true];
  if (keyMembers === null) return [digest, key];
  const options = { ...keyMembers, key };
  if (options.padding !== undefined) options.padding = nodeCrypto.constants[options.padding];
  return [digest, options];
}
// Whether `signature` is the HMAC of `data` (the lengths already match: Rust checked the shape).
function hmacValid(verifier, signature, data) {
  const mac = nodeCrypto.createHmac(verifier[0], verifier[1]).update(data).digest();
  return mac.length === signature.length && nodeCrypto.timingSafeEqual(mac, signature);
}
// The synchronous check in Node: true or false, or a coded throw for a key node:crypto refuses.
function validInNode(cache, candidate, signature, data) {
  const slot = candidate[0];
  let verifier = cache.get(slot);
  if (verifier === undefined) {
    verifier = nodeVerifier(candidate[1], candidate[4], candidate[5]);
    cache.set(slot, verifier);
  }
  try {
    if (verifier[2] === true) return hmacValid(verifier, signature, data);
    return nodeCrypto.verify(verifier[0], data, verifier[1], signature) === true;
  } catch {
    // OpenSSL refuses some malformed signatures by throwing: they are simply not valid.
    return false;
  }
}
function verifyInNode(cache, candidate, signature, data) {
  try {
    return Promise.resolve(validInNode(cache, candidate, signature, data));
  } catch (e) {
    return Promise.reject(e);
  }
}
// Whether node:crypto checks HS256 here: 1 yes, 2 never (not Node: Rust checks HS256 in wasm,
// faster than crypto.subtle's HMAC there), 0 not yet. Loading node:crypto costs ~5 ms, a
// quarter of a cold start (scripts/bench/cold-split.mjs), so an HS256-only process does not
// load it on its first verification: until it is loaded, HS256 is checked in wasm, and the
// load is scheduled after the current task, off the first request's path.
let nodeCryptoScheduled = false;
export function nodeHmacState() {
  if (nodeCrypto !== null) return nodeCrypto === undefined ? 2 : 1;
  // Not Node (workerd, browsers): findNodeCrypto answers without loading anything.
  if (!inNode()) {
    nodeCrypto = findNodeCrypto();
    return nodeCrypto === undefined ? 2 : 1;
  }
  if (!nodeCryptoScheduled) {
    nodeCryptoScheduled = true;
    try {
      const timer = setTimeout(() => {
        if (nodeCrypto === null) nodeCrypto = findNodeCrypto();
      }, 0);
      timer?.unref?.(); // a script that verifies one token and ends does not wait for it
    } catch {
      nodeCrypto = findNodeCrypto(); // no timers here: load it now
      return nodeCrypto === undefined ? 2 : 1;
    }
  }
  return 0;
}
// Whether verifyOne(candidate) reads its inputs before returning: node:crypto always does;
// crypto.subtle does once the key is imported.
function readyNow(cache, candidate) {
  if (nodeCrypto === null) nodeCrypto = findNodeCrypto();
  if (nodeCrypto !== undefined) return true;
  const cached = cache.get(candidate[0]);
  return cached !== undefined && !(cached instanceof Promise);
}
function verifyOne(cache, candidate, signature, data) {
  if (nodeCrypto === null) nodeCrypto = findNodeCrypto();
  if (nodeCrypto !== undefined) return verifyInNode(cache, candidate, signature, data);
  const [slot, key, importAlg, verifyAlg] = candidate;
  // A platform refusal (an algorithm the runtime lacks) is turned into a coded error by gate().
  const run = (imported) => crypto.subtle.verify(verifyAlg, imported, signature, data);
  const cached = cache.get(slot);
  // A cached CryptoKey starts the check now; otherwise it waits for the (shared) import.
  if (cached !== undefined && !(cached instanceof Promise)) return run(cached);
  return importKey(cache, slot, key, importAlg).then(run);
}
// `signature` and `data` are read from the wasm memory, where they are valid during this call
// only: the first check reads them now (crypto.subtle.verify and crypto.verify copy their
// inputs when called), and whatever runs later (a key import in flight, another candidate key)
// works on copies. `candidates` is a list of candidates, or one candidate itself (an array
// whose first item is its slot number): the usual single key needs no list built per token.
export function startVerify(cache, candidates, memory, signatureAt, signatureLen, dataAt, dataLen) {
  const single = typeof candidates[0] === 'number';
  const first = single ? candidates : candidates[0];
  let signature = new Uint8Array(memory.buffer, signatureAt, signatureLen);
  let data = new Uint8Array(memory.buffer, dataAt, dataLen);
  if (!single && candidates.length > 1) {
    signature = signature.slice();
    data = data.slice();
  } else if (!readyNow(cache, first)) {
    signature = signature.slice();
    data = data.slice();
  }
  let pending = verifyOne(cache, first, signature, data);
  if (single) return pending;
  for (let i = 1; i < candidates.length; i++) {
    const next = candidates[i];
    pending = pending.then((ok) => (ok === true ? true : verifyOne(cache, next, signature, data)));
  }
  return pending;
}
export function gate(pending, result, claimError) {
  return pending.then((ok) => {
    if (ok !== true) throw coded(CODE.SignatureVerificationFailed, 'signature verification failed');
    if (claimError !== undefined) throw claimError;
    return result;
  }, (e) => {
    if (e && e.name === 'WasmAuthError') throw e;
    throw coded(CODE.NotSupported, `this runtime cannot verify the signature: ${e && e.message}`);
  });
}
const jsonDecoder = new TextDecoder();
// JSON text the Rust parser checked, from the wasm memory, as a JS value.
// The JSON here passed the Rust parser, which accepts a strict subset of what JSON.parse does;
// should JSON.parse still fail (out of memory on a huge payload), the verification is refused
// with a coded error: this runs inside verify's wasm call, where a throw would leave the
// verifier borrowed for good (see tokenText).
function parseAt(memory, at, len) {
  try {
    return JSON.parse(jsonDecoder.decode(new Uint8Array(memory.buffer, at, len)));
  } catch {
    throw coded(CODE.Internal, 'internal error in wasm-auth: checked JSON did not parse in JS');
  }
}
// `{ payload, protectedHeader }` of a verified token, or a rejected promise (parseAt).
function verifiedResult(memory, headerAt, headerLen, payloadAt, payloadLen) {
  try {
    return Promise.resolve({ payload: parseAt(memory, payloadAt, payloadLen), protectedHeader: parseAt(memory, headerAt, headerLen) });
  } catch (e) {
    return Promise.reject(e);
  }
}
// A token's whole verification after Rust parsed it, picked its keys and checked its claims: one
// call in and one promise out. The signature check starts first (reading the bytes in place, see
// startVerify); `{ payload, protectedHeader }` is parsed from the checked JSON in the wasm memory
// only when the claims passed (`claimError` undefined). In Node the signature (node:crypto, or
// its HMAC) is checked synchronously: an already settled answer is passed on without a gate.
export function verifyToken(cache, candidates, memory, signatureAt, signatureLen, dataAt, dataLen, headerAt, headerLen,
  payloadAt, payloadLen, claimError) {
  // `true`: the signature was verified in wasm (HS256 outside Node).
  if (candidates === true) {
    if (claimError !== undefined) return Promise.reject(claimError);
    return verifiedResult(memory, headerAt, headerLen, payloadAt, payloadLen);
  }
  if (nodeCrypto === null) nodeCrypto = findNodeCrypto();
  if (nodeCrypto !== undefined && typeof candidates[0] === 'number') {
    let ok;
    try {
      ok = validInNode(cache, candidates, new Uint8Array(memory.buffer, signatureAt, signatureLen),
        new Uint8Array(memory.buffer, dataAt, dataLen));
    } catch (e) {
      return Promise.reject(e);
    }
    if (!ok) return Promise.reject(coded(CODE.SignatureVerificationFailed, 'signature verification failed'));
    if (claimError !== undefined) return Promise.reject(claimError);
    return verifiedResult(memory, headerAt, headerLen, payloadAt, payloadLen);
  }
  const pending = startVerify(cache, candidates, memory, signatureAt, signatureLen, dataAt, dataLen);
  let result;
  let error = claimError;
  if (error === undefined) {
    try {
      result = { payload: parseAt(memory, payloadAt, payloadLen), protectedHeader: parseAt(memory, headerAt, headerLen) };
    } catch (e) {
      error = e; // after the signature's verdict, as a claim error would be
    }
  }
  return gate(pending, result, error);
}
// The media types a JWK Set may be served as (RFC 7517 section 8.5.1, and plain JSON); a
// parameter such as charset may follow.
const JWKS_TYPES = ['application/json', 'application/jwk-set+json'];
function tooLarge(maxBytes) {
  return coded(CODE.JwksTooLarge, `the JWKS URI answered more than ${maxBytes} bytes (jwksMaxBytes)`);
}
// The body, read chunk by chunk (a ReadableStream reader: Node, workerd and browsers) and cut
// off as soon as it passes maxBytes, so a huge answer costs at most maxBytes of memory. The
// error is `tooBig(maxBytes)` (the JWKS one unless the caller says otherwise).
async function readCapped(response, maxBytes, onReader, tooBig = tooLarge) {
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooBig(maxBytes);
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  onReader(reader);
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) throw tooBig(maxBytes);
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
// The body's bytes of a 200 JSON answer (web/verifier/ parses them); the timeout counts until
// the last byte, and whatever ends the fetch early aborts it, so no stream is left open.
export function fetchJwks(uri, timeoutMs, maxBytes) {
  const controller = new AbortController();
  let timedOut = false;
  let reader;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
    // A runtime whose body stream ignores the abort still ends the read here.
    if (reader !== undefined) reader.cancel().catch(() => {});
  }, timeoutMs);
  return fetch(uri, { headers: { accept: JWKS_TYPES.join(', ') }, redirect: 'manual', signal: controller.signal })
    .then(async (response) => {
      if (response.status !== 200) throw coded(CODE.JwksInvalid, `the JWKS URI answered HTTP ${response.status}, not 200`);
      const type = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (!JWKS_TYPES.includes(type)) {
        throw coded(CODE.JwksInvalid, `the JWKS URI answered ${type === '' ? 'no Content-Type' : `Content-Type ${type}`}, not ${JWKS_TYPES.join(' or ')}`);
      }
      const body = await readCapped(response, maxBytes, (r) => { reader = r; });
      if (timedOut) throw new Error('timed out');
      return body;
    })
    .catch((e) => {
      if (timedOut) throw coded(CODE.JwksTimeout, `the JWKS URI did not answer within ${timeoutMs} ms`);
      if (e && e.name === 'WasmAuthError') throw e;
      throw coded(CODE.JwksFetchFailed, `the JWKS could not be fetched: ${e && e.message}`);
    })
    .finally(() => {
      clearTimeout(timer);
      controller.abort();
    });
}
// One JWKS refresh (store read, fetch, store write: web/verifier/remote.rs) per isolate at a
// time: a verification that needs one while another runs waits until the leader's promise
// settles, whatever its outcome, then plans again. Elsewhere the waiters await that promise
// itself. On Workers a promise made while serving one request must not be awaited by another
// (it can hang: jose issues 355 and 509), so a waiter there gets a promise of its own request,
// which the leader resolves when it ends (workerd runs the continuation in the waiter's
// request); should the leading request be cancelled first, the waiter stops waiting after
// waitMs rather than hang.
export function joinRefresh(holder, waitMs) {
  const leader = holder.pending;
  if (leader === undefined) return undefined;
  if (!onWorkers()) return leader;
  let timer;
  return new Promise((resolve) => {
    (holder.waiters ??= []).push(resolve);
    timer = setTimeout(() => {
      // The leader is stuck: the next verification leads a refresh of its own.
      if (holder.pending === leader) holder.pending = undefined;
      resolve();
    }, waitMs);
  }).finally(() => clearTimeout(timer));
}
export function leadRefresh(holder, pending) {
  holder.pending = pending;
  const settle = () => {
    if (holder.pending === pending) holder.pending = undefined;
    const waiters = holder.waiters ?? [];
    holder.waiters = [];
    for (const resolve of waiters) resolve();
  };
  pending.then(settle, settle);
}
// ---- jwksStore: a JWKS kept outside the isolate (Workers KV's get/put) ----
// A call of the user's store that can neither throw synchronously nor hang: its answer, or a
// coded error (ERR_JWKS_TIMEOUT after timeoutMs, ERR_JWKS_FETCH_FAILED for what it threw).
// Rust reports these through onJwksEvent and carries on without the store.
function storeCall(what, timeoutMs, call) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(coded(CODE.JwksTimeout, `jwksStore.${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  let pending;
  try {
    pending = Promise.resolve(call());
  } catch (e) {
    pending = Promise.reject(e);
  }
  return Promise.race([pending, timeout])
    .catch((e) => {
      if (e && e.name === 'WasmAuthError') throw e;
      throw coded(CODE.JwksFetchFailed, `jwksStore.${what} failed: ${(e && e.message) || e}`);
    })
    .finally(() => clearTimeout(timer));
}
export function storeGet(store, key, timeoutMs) {
  return storeCall('get', timeoutMs, () => store.get(key));
}
export function storePut(store, key, value, expirationTtl, timeoutMs) {
  return storeCall('put', timeoutMs, () => store.put(key, value, { expirationTtl }));
}
// onJwksEvent({ type, error, ageSeconds? }): a listener that throws (or rejects) never reaches
// the verification.
export function jwksEvent(listener, type, error, ageSeconds) {
  if (typeof listener !== 'function') return;
  const event = { type, error };
  if (ageSeconds !== undefined) event.ageSeconds = ageSeconds;
  try {
    const answer = listener(event);
    if (answer && typeof answer.then === 'function') answer.then(undefined, () => {});
  } catch {
    // ignored: see above
  }
}
export function requestHeader(request, name) {
  if (request === null || typeof request !== 'object' || typeof request.headers?.get !== 'function') {
    throw coded(CODE.InvalidOptions, 'verifyRequest needs a Request (an object with headers.get)');
  }
  return request.headers.get(name) ?? undefined;
}
// RFC 6750 / RFC 9449 answers for a failed verification: which status, challenges and body a
// refusal gets is decided in Rust (src/error/bearer.rs, through the function installErrors
// received, given `context`: the verifier's dpop mode and the request's scheme, opaque here):
// [status, WWW-Authenticate or undefined, Retry-After or undefined, error, error_description,
// DPoP-Nonce or undefined], or undefined for an error that is thrown rather than answered. Only
// the Response is built here.
export function respond(pending, realm, via, context) {
  return pending.then(
    (result) => ({ ok: true, via, payload: result.payload, protectedHeader: result.protectedHeader }),
    (error) => {
      const answer = bearerRefusal(error, String(realm), context);
      if (answer === undefined) throw error;
      const [status, challenge, retryAfter, code, description, nonce] = answer;
      const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
      if (challenge !== undefined) headers['www-authenticate'] = challenge;
      if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
      if (nonce !== undefined) headers['dpop-nonce'] = nonce;
      const body = JSON.stringify({ error: code, error_description: description });
      return { ok: false, error, response: new Response(body, { status, headers }) };
    });
}
// ---- DPoP (web/verifier/dpop.rs) ----
// A DPoP request's outcome, in order: the proof's signature (false, or a key the platform could
// not import: a bad proof), then the proof's claims (claimsError, decided in Rust), then the
// access token's verification, started at the same time (its failure is handled here too, so
// that it never surfaces as an unhandled rejection when an earlier step decides).
export function dpopGate(signature, claimsError, token) {
  // A refusal still waits for the token check: in workerd a fetch it started (the JWKS) dies
  // with this request, and the next request would wait for it until the refresh limit.
  const settled = token.then(() => {}, () => {});
  return signature.then((ok) => ok === true, () => false).then(async (ok) => {
    if (!ok) {
      await settled;
      throw coded(CODE.DpopInvalidProof, 'the DPoP proof signature is not valid');
    }
    if (claimsError !== undefined) throw claimsError;
    return token;
  });
}
// The dpopNonce hook's answer as an array (a string alone: one nonce); Rust checks each one
// (jose/dpop/nonce.rs: a non-empty RFC 9449 section 8.1 nonce).
export function dpopNonces(hook) {
  const answer = hook();
  return Array.isArray(answer) ? answer : [answer];
}
// dpopReplayStore's get of `key`, then, if it held nothing, its put for `ttl` seconds: the
// value got (null or undefined: the proof is new). What the store throws rejects as it is.
export async function replayStoreUse(store, key, ttl) {
  const seen = await store.get(key);
  if (seen === null || seen === undefined) await store.put(key, '1', { expirationTtl: ttl });
  return seen;
}
// Whether startVerify can check asymmetric signatures here: with node:crypto (looked up first, so
// that Node never loads its WebCrypto through globalThis.crypto, ~1 ms of cold start it does not
// need) or with crypto.subtle.
export function hasSubtle() {
  if (nodeCrypto === null) nodeCrypto = findNodeCrypto();
  if (nodeCrypto !== undefined) return true;
  return typeof crypto === 'object' && crypto !== null && typeof crypto.subtle === 'object' && crypto.subtle !== null;
}
// The token cache's insert: once `pending` (a verification) resolves, its token and key-set
// generation go into `verified`, which the verifier stores from on its next call. A rejection
// passes through untouched: failures are never cached.
export function whenVerified(pending, verified, token, generation) {
  return pending.then((value) => {
    // The time of the verification: maxAgeSeconds counts from it, not from the next call.
    verified.push(token, generation, Date.now());
    return value;
  });
}
// JwtVerifier.cacheStats()'s object, built here from plain numbers (smaller than in wasm).
export function cacheStats(entries, maxEntries, bytes, maxEntryBytes, hits, misses) {
  return { entries, maxEntries, bytes, maxEntryBytes, hits, misses };
}
