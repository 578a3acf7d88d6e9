//! The platform calls the clients need, as small JS functions: `fetch` with coded network
//! errors, request preparation (relative URLs, trusted origins, credentials), both clocks,
//! events, and page-wake listeners. Everything they decide is decided in Rust.

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::Error;
use crate::client::Stamp;
use crate::client::base_url::BaseUrl;
use crate::client::answer::{Answer, Purpose};

#[wasm_bindgen(inline_js = r#"
function coded(code, message) {
  const error = new Error(message);
  error.name = 'WasmAuthError';
  error.code = code;
  return error;
}
// One request whose whole answer is read: { status, body, retryAfter }. A failure to reach
// the server (or to read its answer) is ERR_AUTH_NETWORK, with the platform's reason only.
export async function send(method, url, headers, body, withCookies) {
  let response;
  let bytes;
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
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw coded('ERR_AUTH_NETWORK', `the server could not be reached: ${(e && e.message) || e}`);
  }
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    const error = coded('ERR_AUTH_HTTP', 'the server answered with a redirect, which wasm-auth does not follow with credentials');
    error.status = response.status || 302;
    throw error;
  }
  return { status: response.status, body: bytes, retryAfter: response.headers.get('retry-after') ?? undefined };
}
// An API call through an authenticated client's fetch (a TokenManager: Bearer token, one
// refresh and retry on 401), read in full like send().
export async function sendThrough(client, method, url, body) {
  const headers = body === undefined ? {} : { 'content-type': 'application/json' };
  const response = await client.fetch(url, { method, headers, body, cache: 'no-store' });
  let bytes;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw coded('ERR_AUTH_NETWORK', `the server could not be reached: ${(e && e.message) || e}`);
  }
  return { status: response.status, body: bytes, retryAfter: response.headers.get('retry-after') ?? undefined };
}
// The caller's fetch arguments as a Request: a string or URL is resolved against the API's
// base URL ("resources" -> base + "/resources"); the result must be on a trusted origin.
export function prepare(input, init, base, trusted) {
  const target = typeof input === 'string' || input instanceof URL ? new URL(String(input), base + '/') : input;
  const request = new Request(target, init);
  const origin = new URL(request.url).origin;
  if (!trusted.includes(origin)) {
    throw coded('ERR_AUTH_UNTRUSTED_ORIGIN', `no credential is sent to ${origin}: add it to allowedOrigins to trust it`);
  }
  return request;
}
export function originOf(url) {
  return new URL(url).origin;
}
// Sends a copy of `request` with one header set (the original stays unsent, for a retry).
export function sendWith(request, name, value) {
  const copy = request.clone();
  copy.headers.set(name, value);
  return fetch(copy).catch((e) => {
    if (e && e.name === 'AbortError') throw e;
    throw coded('ERR_AUTH_NETWORK', `the server could not be reached: ${(e && e.message) || e}`);
  });
}
// ApiKeyAuth with placement "query": the key as ?api_key=, the request otherwise unchanged.
export function withQuery(request, name, value) {
  const url = new URL(request.url);
  url.searchParams.set(name, value);
  return fetch(new Request(url, request)).catch((e) => {
    if (e && e.name === 'AbortError') throw e;
    throw coded('ERR_AUTH_NETWORK', `the server could not be reached: ${(e && e.message) || e}`);
  });
}
export function sendWithCookies(request) {
  return fetch(new Request(request, { credentials: 'include' })).catch((e) => {
    if (e && e.name === 'AbortError') throw e;
    throw coded('ERR_AUTH_NETWORK', `the server could not be reached: ${(e && e.message) || e}`);
  });
}
export function responseStatus(response) {
  return response.status;
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
export function inBrowserWindow() {
  return typeof window === 'object' && window !== null && typeof document === 'object';
}
"#)]
extern "C" {
    fn send(method: &str, url: &str, headers: &js_sys::Array, body: Option<String>, with_cookies: bool) -> Promise;
    #[wasm_bindgen(js_name = sendThrough)]
    fn send_through(client: &JsValue, method: &str, url: &str, body: Option<String>) -> Promise;
    #[wasm_bindgen(catch)]
    fn prepare(input: &JsValue, init: &JsValue, base: &str, trusted: &js_sys::Array) -> Result<web_request::Request, JsValue>;
    #[wasm_bindgen(js_name = originOf, catch)]
    pub fn origin_of(url: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(js_name = sendWith)]
    pub fn send_with(request: &web_request::Request, name: &str, value: &str) -> Promise;
    #[wasm_bindgen(js_name = withQuery)]
    pub fn with_query(request: &web_request::Request, name: &str, value: &str) -> Promise;
    #[wasm_bindgen(js_name = sendWithCookies)]
    pub fn send_with_cookies(request: &web_request::Request) -> Promise;
    #[wasm_bindgen(js_name = responseStatus)]
    pub fn response_status(response: &JsValue) -> u16;
    #[wasm_bindgen(js_name = monoNow)]
    fn mono_now() -> f64;
    #[wasm_bindgen(js_name = newEventTarget)]
    pub fn new_event_target() -> js_sys::Object;
    pub fn emit(target: &js_sys::Object, kind: &str, detail: &JsValue);
    #[wasm_bindgen(js_name = onWake)]
    pub fn on_wake(callback: &Function) -> Function;
    #[wasm_bindgen(js_name = cookiesDisabled)]
    pub fn cookies_disabled() -> bool;
    #[wasm_bindgen(js_name = inBrowserWindow)]
    pub fn in_browser_window() -> bool;
}

/// A `Request`, typed only as far as the bindings need.
pub mod web_request {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// The Fetch API's `Request`.
        #[wasm_bindgen(typescript_type = "Request")]
        pub type Request;
    }
}

/// The `Request` a client's `fetch(input, init)` sends: relative inputs resolved against `base`,
/// the origin checked against `trusted`. The error is ready to reject with: our coded
/// ERR_AUTH_UNTRUSTED_ORIGIN, or the platform's TypeError (a bad URL or init) as an options error.
pub fn request_for(input: &JsValue, init: Option<JsValue>, base: &BaseUrl, trusted: &js_sys::Array) -> Result<web_request::Request, JsValue> {
    prepare(input, &init.unwrap_or(JsValue::UNDEFINED), base.as_str(), trusted).map_err(|error| {
        if js_sys::Reflect::get(&error, &"code".into()).ok().and_then(|c| c.as_string()).is_some() {
            return error;
        }
        let message = js_sys::Reflect::get(&error, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_default();
        super::to_js_error(&Error::InvalidOptions(format!("the request could not be built: {message}")))
    })
}

/// Now, on both clocks.
pub fn now() -> Stamp {
    Stamp { wall_ms: js_sys::Date::now(), mono_ms: mono_now() }
}

/// An answer read in full.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    retry_after: Option<String>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The coded error a non-2xx answer means for `purpose`.
    pub fn error(&self, purpose: Purpose) -> Error {
        Answer { status: self.status, body: &self.body, retry_after: self.retry_after.as_deref() }.error(purpose)
    }
}

/// A JS rejection as a core error: coded errors of ours keep their code (network failures),
/// anything else is a network failure with the platform's message.
pub fn from_js(value: JsValue) -> Error {
    let get = |key: &str| js_sys::Reflect::get(&value, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
    let message = get("message").unwrap_or_else(|| "unknown failure".to_owned());
    match get("code").as_deref() {
        Some("ERR_AUTH_UNTRUSTED_ORIGIN") => Error::UntrustedOrigin(message),
        Some("ERR_AUTH_HTTP") => {
            let status = js_sys::Reflect::get(&value, &JsValue::from_str("status")).ok().and_then(|s| s.as_f64()).unwrap_or(0.0) as u16;
            Error::Http { status, error: None, description: Some(message) }
        }
        Some("ERR_AUTH_NETWORK") | None => Error::Network(message.trim_start_matches("the server could not be reached: ").to_owned()),
        Some(_) => Error::Network(message),
    }
}

fn reply(value: &JsValue) -> Reply {
    let field = |key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let status = field("status").as_f64().unwrap_or(0.0) as u16;
    let body = field("body").dyn_into::<Uint8Array>().map(|b| b.to_vec()).unwrap_or_default();
    Reply { status, body, retry_after: field("retryAfter").as_string() }
}

/// A JSON API call through `client.fetch` (a TokenManager), read in full. Its coded errors
/// (ERR_AUTH_NOT_AUTHENTICATED, ERR_AUTH_SESSION_EXPIRED, ...) come back as they are.
pub async fn request_through(client: &JsValue, method: &str, url: &str, body: Option<String>) -> Result<Reply, JsValue> {
    Ok(reply(&JsFuture::from(send_through(client, method, url, body)).await?))
}

/// Sends one request and reads the whole answer.
pub async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<String>, with_cookies: bool) -> Result<Reply, Error> {
    let list = js_sys::Array::new();
    for (name, value) in headers {
        list.push(&js_sys::Array::of2(&JsValue::from_str(name), &JsValue::from_str(value)));
    }
    Ok(reply(&JsFuture::from(send(method, url, &list, body, with_cookies)).await.map_err(from_js)?))
}
