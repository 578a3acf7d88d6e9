//! The platform calls the clients need, as small JS functions: `fetch` with coded network
//! errors, request preparation (relative URLs, trusted origins), the one send of every fetch
//! that carries a credential (TokenManager, ApiKeyAuth, SessionClient, ClientCredentials:
//! [`fetch_with`], [`send_token`]), both clocks, events, and page-wake listeners.

use std::future::Future;
use std::pin::Pin;

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::client::Secret;
use crate::client::Stamp;
use crate::client::answer::Answer;
#[cfg(feature = "browser-client")]
use crate::client::answer::Purpose;
#[cfg(feature = "browser-client")]
use crate::client::base_url::BaseUrl;
use crate::client::redirects::Redirects;
#[cfg(feature = "browser-client")]
use crate::client::request_line::cross_origin_page;
use crate::client::request_line::request_line;
use crate::web::dpop::Dpop;
use crate::{Error, ErrorKind, HttpFailure, NetworkFailure};

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    fn send(
        method: &str,
        url: &str,
        headers: &js_sys::Array,
        body: Option<String>,
        with_cookies: bool,
        max_bytes: f64,
    ) -> Promise;
    #[wasm_bindgen(catch)]
    fn prepare(
        input: &JsValue,
        init: &JsValue,
        base: Option<&str>,
        trusted: &js_sys::Array,
    ) -> Result<web_request::Request, JsValue>;
    #[wasm_bindgen(js_name = originOf, catch)]
    pub fn origin_of(url: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(js_name = sendCredentialed)]
    fn send_credentialed(
        request: &web_request::Request,
        trusted: &js_sys::Array,
        redirects: u8,
        carrier: u8,
        name: &str,
        value: &str,
        proof: Option<&str>,
    ) -> Promise;
    #[wasm_bindgen(js_name = responseStatus)]
    pub fn response_status(response: &JsValue) -> u16;
    /// A `Response`'s URL (after redirects; empty for one made by hand).
    #[wasm_bindgen(js_name = responseUrl)]
    pub fn response_url(response: &JsValue) -> Option<String>;
    /// A header of a `Response`, if it has it.
    #[wasm_bindgen(js_name = responseHeader)]
    pub fn response_header(response: &JsValue, name: &str) -> Option<String>;
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
    /// `location.origin` of the page (or worker) this runs in, if any.
    #[wasm_bindgen(js_name = pageOrigin)]
    pub fn page_origin() -> Option<String>;
}

/// A `Request`, typed only as far as the bindings need.
pub mod web_request {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// The Fetch API's `Request`.
        #[wasm_bindgen(typescript_type = "Request")]
        pub type Request;
        /// The request's method.
        #[wasm_bindgen(method, getter)]
        pub fn method(this: &Request) -> String;
        /// The request's URL.
        #[wasm_bindgen(method, getter)]
        pub fn url(this: &Request) -> String;
    }
}

/// The `Request` a client's `fetch(input, init)` sends: relative inputs resolved against `base`
/// (a path that leaves base's is refused: `BaseUrl::check_fetch_path`), the origin checked
/// against `trusted`. Errors as [`checked_request`]'s.
#[cfg(feature = "browser-client")]
pub fn request_for(
    input: &JsValue,
    init: Option<JsValue>,
    base: &BaseUrl,
    trusted: &js_sys::Array,
) -> Result<web_request::Request, JsValue> {
    if let Some(path) = input.as_string() {
        base.check_fetch_path(&path)?;
    }
    checked_request(input, init, Some(base.as_str()), trusted)
}

/// The `Request` of `fetch(input, init)` on a trusted origin (shim.js's `prepare`), `input`
/// resolved against `base` when there is one, else read as fetch reads it (ClientCredentials).
/// The error is ready to reject with: ERR_AUTH_UNTRUSTED_ORIGIN, or ERR_AUTH_INVALID_OPTIONS
/// for arguments that make no request (the platform's TypeError, made ours in shim.js).
pub fn checked_request(
    input: &JsValue,
    init: Option<JsValue>,
    base: Option<&str>,
    trusted: &js_sys::Array,
) -> Result<web_request::Request, JsValue> {
    prepare(input, &init.unwrap_or(JsValue::UNDEFINED), base, trusted)
}

/// How a credential travels with each hop of a request (shim.js's `sendCredentialed`, which
/// reads its number: `HEADER`, `QUERY`, `COOKIES`).
#[derive(Clone, Copy)]
pub enum Credential<'a> {
    /// One header, `name: value`, and a DPoP proof (the `DPoP` header) if there is one.
    Header(&'a str, &'a str, Option<&'a str>),
    /// `?name=value` (ApiKeyAuth's placement "query").
    #[cfg(feature = "browser-client")]
    Query(&'a str, &'a str),
    /// The browser's cookies for the origin (`credentials: "include"`).
    #[cfg(feature = "browser-client")]
    Cookies,
}

/// The one send of every `fetch` that carries a credential: `request` (on a trusted origin
/// already: [`checked_request`]) with `credential` added to each hop's copy, redirects as
/// `redirects` says, a hop only ever sent to a trusted origin. Resolves to the `Response`;
/// rejects with ERR_AUTH_NETWORK, ERR_AUTH_HTTP (a redirect not followed), or the caller's
/// AbortError.
#[inline(never)]
pub fn fetch_with(
    request: &web_request::Request,
    trusted: &js_sys::Array,
    credential: Credential,
    redirects: Redirects,
) -> Promise {
    let (carrier, name, value, proof) = match credential {
        Credential::Header(name, value, proof) => (0, name, value, proof),
        #[cfg(feature = "browser-client")]
        Credential::Query(name, value) => (1, name, value, None),
        #[cfg(feature = "browser-client")]
        Credential::Cookies => (2, "", "", None),
    };
    send_credentialed(request, trusted, redirects as u8, carrier, name, value, proof)
}

/// `fetch(input, init)` with `credential`, for an API at `base` ([`request_for`]) whose
/// redirects are followed to `trusted` origins only (ApiKeyAuth, SessionClient).
#[cfg(feature = "browser-client")]
pub fn fetch_for(
    input: &JsValue,
    init: Option<JsValue>,
    base: &BaseUrl,
    trusted: &js_sys::Array,
    credential: Credential,
) -> Promise {
    match request_for(input, init, base, trusted) {
        Ok(request) => fetch_with(&request, trusted, credential, Redirects::FollowTrusted),
        Err(error) => Promise::reject(&error),
    }
}

/// A credentialed send in flight: the `Response`, or the error to reject with.
pub type Sent<'a> = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>> + 'a>>;

/// `request` with an access token: `Authorization: DPoP` and a proof for its method and URL
/// (RFC 9449 §7) when `dpop` is there, sent once more with the resource server's nonce when it
/// asks for one (§9); else `Authorization: Bearer`. Whether the token is bound goes by `dpop`,
/// the client's option, never by what was cached when `token` was read. `follows`: whether the
/// client follows redirects at all (`Redirects::for_token`).
///
/// Not an `async fn`: it returns the future to await (DPoP's, or the one send's), so that the
/// callers' futures hold no extra state machine of its own (about 250 B less wasm).
pub fn send_token<'a>(
    request: &'a web_request::Request,
    trusted: &'a js_sys::Array,
    token: &'a Secret,
    dpop: Option<&'a Dpop>,
    follows: bool,
) -> Sent<'a> {
    let redirects = Redirects::for_token(dpop.is_some(), follows);
    // Pieces rather than format!: smaller in the wasm.
    let mut authorization = String::from(if dpop.is_some() { "DPoP " } else { "Bearer " });
    authorization.push_str(token.expose());
    // One send, with a proof or without (""): one call of fetch_with in the wasm, not two.
    let send = move |proof: &str| {
        let proof = (!proof.is_empty()).then_some(proof);
        fetch_with(request, trusted, Credential::Header("authorization", &authorization, proof), redirects)
    };
    match dpop {
        Some(dpop) => dpop.send_resource(token, request, Box::new(send)),
        None => Box::pin(JsFuture::from(send(""))),
    }
}

/// Now, on both clocks.
pub fn now() -> Stamp {
    Stamp { wall_ms: js_sys::Date::now(), mono_ms: mono_now() }
}

/// An answer read in full.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    #[cfg_attr(not(feature = "browser-client"), allow(dead_code))]
    retry_after: Option<String>,
    /// The answer's `DPoP-Nonce` header (RFC 9449 §8), for a `dpop` client's next proof.
    pub dpop_nonce: Option<String>,
    /// `METHOD url`, redacted, for the message of an error this answer means.
    request: Option<String>,
}

impl Reply {
    #[cfg(feature = "browser-client")]
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The answer, for the core's response processors (`client::oauth::process_*`).
    pub fn answer(&self) -> Answer<'_> {
        Answer {
            status: self.status,
            body: &self.body,
            retry_after: self.retry_after.as_deref(),
            request: self.request.as_deref(),
        }
    }

    /// The coded error a non-2xx answer means for `purpose`.
    #[cfg(feature = "browser-client")]
    pub fn error(&self, purpose: Purpose) -> Error {
        self.answer().error(purpose)
    }
}

/// The error for `method url` that failed: with no `status`, not sent or not answered
/// (ERR_AUTH_NETWORK, with `reason` the platform's, and CORS named as a possible cause when the
/// page is on another origin); with one, a redirect not followed for `reason` (ERR_AUTH_HTTP).
/// The words are the core's (`client::request_line`, `Error`'s Display).
pub fn located(method: &str, url: &str, reason: String, status: Option<u16>) -> Error {
    let request = Some(request_line(method, url));
    match status {
        Some(status) => Error::Http(Box::new(HttpFailure {
            status,
            error: None,
            description: None,
            request,
            redirect: Some(reason),
        })),
        None => {
            #[cfg(feature = "browser-client")]
            let cors_page = cross_origin_page(url, page_origin().as_deref());
            // wasm-auth/verify sends only ClientCredentials' requests, which belong on servers
            // and workers (refused in browser windows): no page to name, and less wasm.
            #[cfg(not(feature = "browser-client"))]
            let cors_page = None;
            Error::Network(Box::new(NetworkFailure { reason, request, cors_page }))
        }
    }
}

/// What shim.js's `send` rejects with, as a core error: a failure record whose `code` says which
/// error and whose `reason` (and `status`) are its details, made into the same Error it names
/// for `method url`. Anything else (not expected) is a network failure with its message.
fn failure(method: &str, url: &str, value: JsValue) -> Error {
    let field = |key: &str| js_sys::Reflect::get(&value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let reason = field("reason").as_string();
    match field("code").as_string().as_deref().and_then(ErrorKind::from_code) {
        Some(ErrorKind::Http) => {
            located(method, url, reason.unwrap_or_default(), Some(field("status").as_f64().unwrap_or(0.0) as u16))
        }
        Some(ErrorKind::InvalidResponse) => Error::InvalidResponse(reason.unwrap_or_default()),
        Some(ErrorKind::Network) => located(method, url, reason.unwrap_or_default(), None),
        _ => located(method, url, field("message").as_string().unwrap_or_else(|| "unknown failure".to_owned()), None),
    }
}

fn reply(value: &JsValue, request: Option<String>) -> Reply {
    let field = |key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let status = field("status").as_f64().unwrap_or(0.0) as u16;
    let body = field("body").dyn_into::<Uint8Array>().map(|b| super::bytes::to_vec(&b)).unwrap_or_default();
    Reply {
        status,
        body,
        retry_after: field("retryAfter").as_string(),
        dpop_nonce: field("dpopNonce").as_string(),
        request,
    }
}

/// What client.js's `request` (or shim.js's `sendThrough`) hands a reader: the answer, named by
/// its method and URL, or the failure to get one made into its coded error (as
/// [`request_limited`] does).
#[cfg(feature = "browser-client")]
pub fn answer_of(value: &JsValue) -> Result<Reply, Error> {
    let field = |key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let (method, url) = (field("method").as_string().unwrap_or_default(), field("url").as_string().unwrap_or_default());
    let failed = field("failure");
    if !failed.is_undefined() {
        return Err(failure(&method, &url, failed));
    }
    Ok(reply(value, Some(request_line(&method, &url))))
}

/// A Rust function client.js's promise chains call with what a step brought: it resolves the
/// chain's next step with its `Ok`, or ends the chain with its `Err` (a coded error).
#[cfg(feature = "browser-client")]
pub type Read = fn(JsValue) -> Result<JsValue, JsValue>;

/// `read` as a JS function, made once per reader (see [`reader!`](crate::web::http::reader)).
#[cfg(feature = "browser-client")]
pub fn js_reader(read: Read) -> JsValue {
    Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(read).into_js_value()
}

/// The JS function of a [`Read`], made on first use and kept for the life of the module (one
/// per reader, never one per call).
#[cfg(feature = "browser-client")]
macro_rules! reader {
    ($read:path) => {{
        thread_local!(static READ: wasm_bindgen::JsValue = $crate::web::http::js_reader($read));
        READ.with(wasm_bindgen::JsValue::clone)
    }};
}
#[cfg(feature = "browser-client")]
pub(crate) use reader;

/// `future_to_promise` for every async flow (the browser client's, ClientCredentials', the
/// verifier's JWKS refresh and DPoP replay checks), all through one instantiation of it: each
/// of its instantiations carries its own copy of the promise plumbing and the task spawning
/// around the future (issue 15: about 1 KB of wasm each), so every flow's future is boxed into
/// the one type here instead.
pub fn promise(future: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    boxed_promise(Box::pin(future))
}

#[inline(never)]
fn boxed_promise(future: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, JsValue>>>>) -> Promise {
    wasm_bindgen_futures::future_to_promise(future)
}

/// The largest answer a request reads by default (512 KiB, decompressed): a token answer, a
/// discovery document or an error page is a few KiB; more is refused (ERR_AUTH_INVALID_RESPONSE).
pub const DEFAULT_MAX_RESPONSE_BYTES: f64 = 512.0 * 1024.0;

/// Sends one request and reads the whole answer, up to [`DEFAULT_MAX_RESPONSE_BYTES`].
pub async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
    with_cookies: bool,
) -> Result<Reply, Error> {
    request_limited(method, url, headers, body, with_cookies, DEFAULT_MAX_RESPONSE_BYTES).await
}

/// Sends one request and reads the whole answer, refusing one larger than `max_bytes`.
pub async fn request_limited(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
    with_cookies: bool,
    max_bytes: f64,
) -> Result<Reply, Error> {
    let list = js_sys::Array::new();
    for (name, value) in headers {
        list.push(&js_sys::Array::of2(&JsValue::from_str(name), &JsValue::from_str(value)));
    }
    let sent = JsFuture::from(send(method, url, &list, body, with_cookies, max_bytes)).await;
    Ok(reply(&sent.map_err(|value| failure(method, url, value))?, Some(request_line(method, url))))
}
