// The browser client's request sequences (issue 15, the sans-IO shape): each flow's requests
// in order, as a short promise chain over shim.js's I/O. What an answer means, and so whether
// the chain goes on, is decided by the Rust function the chain hands it to (a `read*` argument):
// nothing here reads an answer or makes an error. Rust's state machines for these flows cost
// the wasm several KB; these chains cost it nothing.
import { send, sendThrough } from './shim.js';

// One request read in full (shim.js's send), its answer given to `read` with its method and
// URL; a failure to send or read it (shim.js's Failure record) too, as `{ failure }`, for Rust
// to make its coded error.
function request(method, url, headers, body, withCookies, maxBytes, read) {
  return send(method, url, headers, body, withCookies, maxBytes).then(
    (reply) => read(Object.assign(reply, { method, url })),
    (failure) => read({ failure, method, url }));
}

// ---- ApiKeys (api_keys.rs) ----

// One call through the TokenManager's fetch (its token, its refresh and retry on 401, its
// coded errors as they are); `read` is Rust's reading of the answer.
export function apiKeysCall(manager, method, url, body, read) {
  return sendThrough(manager, method, url, body).then(read);
}
// rotate(): the new key first, then the old one revoked; resolves to the new key. A creation
// that fails leaves the old key untouched.
export function apiKeysRotate(manager, createUrl, body, revokeUrl, readCreated, readRevoked) {
  return apiKeysCall(manager, 'POST', createUrl, body, readCreated)
    .then((created) => apiKeysCall(manager, 'DELETE', revokeUrl, undefined, readRevoked).then(() => created));
}

// ---- SessionClient (session_client.rs) ----

// login(): the login, then the check that the browser kept the cookie; `readCheck` gets the
// check's answer with the login's reading as `login`.
export function sessionLogin(loginUrl, contentType, body, checkUrl, maxBytes, readLogin, readCheck) {
  return request('POST', loginUrl, [['content-type', contentType]], body, true, maxBytes, readLogin)
    .then((login) => request('GET', checkUrl, [], undefined, true, maxBytes, (check) => readCheck(Object.assign(check, { login }))));
}
// current() and logout(): one request with the session cookie.
export function sessionCall(method, url, maxBytes, read) {
  return request(method, url, [], undefined, true, maxBytes, read);
}

// ---- TokenManager's timers (token_manager/) ----

// Calls `callback` after `ms` milliseconds; returns the function that cancels it.
export function startTimer(ms, callback) {
  const id = setTimeout(callback, ms);
  return () => clearTimeout(id);
}
// [a promise resolved after `ms` milliseconds, the function that resolves it sooner (and
// cancels the timer)].
export function delay(ms) {
  let now;
  const promise = new Promise((resolve) => {
    const id = setTimeout(resolve, ms);
    now = () => {
      clearTimeout(id);
      resolve();
    };
  });
  return [promise, now];
}
