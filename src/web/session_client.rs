//! `SessionClient`: the guide's cookie sessions. The cookie is HttpOnly: JavaScript (this
//! module included) never sees it; the browser sends it with `credentials: "include"`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::http::{self, Credential, reader};
use super::options::{Options, required, trusted_origins};
use super::reject;
use crate::Error;
use crate::client::Purpose;
use crate::client::base_url::BaseUrl;
use crate::client::session::{self, AfterLogin};

#[wasm_bindgen(typescript_custom_section)]
const TS_SESSION: &str = r#"
/** Options of `new SessionClient(options)`. */
export interface SessionClientOptions {
  /** The API's base URL: login is `POST {baseUrl}/session/login`. In a browser page a path ("/v1") is on the page's origin. */
  baseUrl: string;
  /** Origins besides baseUrl's that `fetch` may send the cookie to. */
  allowedOrigins?: string[];
}

/** What the server says about a session. */
export interface SessionInfo {
  user: { id: string; email: string };
  /** Seconds the session has left. */
  expires_in: number;
}
"#;

/// Cookie-session login, logout and fetch.
#[wasm_bindgen]
pub struct SessionClient {
    base: BaseUrl,
    trusted: js_sys::Array,
}

fn json(body: &[u8]) -> Result<JsValue, Error> {
    let text =
        std::str::from_utf8(body).map_err(|_| Error::InvalidResponse("the session answer is not UTF-8".into()))?;
    let value =
        js_sys::JSON::parse(text).map_err(|_| Error::InvalidResponse("the session answer is not JSON".into()))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(Error::InvalidResponse("the session answer is not a JSON object".into()))
    }
}

#[wasm_bindgen(module = "/src/web/client.js")]
extern "C" {
    #[wasm_bindgen(js_name = sessionLogin)]
    fn session_login(
        login_url: &str,
        content_type: &str,
        body: &str,
        check_url: &str,
        max_bytes: f64,
        read_login: &JsValue,
        read_check: &JsValue,
    ) -> Promise;
    #[wasm_bindgen(js_name = sessionCall)]
    fn session_call(method: &str, url: &str, max_bytes: f64, read: &JsValue) -> Promise;
}

// What each answer means, for client.js's chains (`http::Read`).

/// The login's answer: its session (used when the server has no check endpoint), or its error.
fn read_login(reply: JsValue) -> Result<JsValue, JsValue> {
    let reply = http::answer_of(&reply)?;
    if !reply.ok() {
        return Err(reply.error(Purpose::Login).into());
    }
    Ok(json(&reply.body)?)
}

/// The check right after the login (`GET /session`, the login's session as `login`): whether
/// the browser kept the cookie (`session::after_login`).
fn read_check(reply: JsValue) -> Result<JsValue, JsValue> {
    let login = js_sys::Reflect::get(&reply, &"login".into()).unwrap_or(JsValue::UNDEFINED);
    let check = http::answer_of(&reply)?;
    Ok(match session::after_login(check.status) {
        AfterLogin::UseCheck => json(&check.body)?,
        AfterLogin::UseLogin => login,
        AfterLogin::CookiesBlocked => return Err(Error::CookiesBlocked.into()),
        AfterLogin::Failed => return Err(check.error(Purpose::Other).into()),
    })
}

/// `current()`'s answer: the session, `null` for nobody, or the server's error.
fn read_current(reply: JsValue) -> Result<JsValue, JsValue> {
    let reply = http::answer_of(&reply)?;
    match session::current(reply.status) {
        Some(true) => Ok(json(&reply.body)?),
        Some(false) => Ok(JsValue::NULL),
        None => Err(reply.error(Purpose::Other).into()),
    }
}

/// `logout()`'s answer.
fn read_logout(reply: JsValue) -> Result<JsValue, JsValue> {
    let reply = http::answer_of(&reply)?;
    if reply.ok() { Ok(JsValue::UNDEFINED) } else { Err(reply.error(Purpose::Other).into()) }
}

#[wasm_bindgen]
impl SessionClient {
    /// A client for the API at `options.baseUrl`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SessionClientOptions")] options: JsValue,
    ) -> Result<SessionClient, JsValue> {
        let read = || -> Result<SessionClient, Error> {
            let options = Options::new(&options)?;
            options.declare(&["baseUrl", "allowedOrigins"]);
            options.finish()?;
            let base = required("baseUrl", options.base_url())?;
            Ok(SessionClient { trusted: trusted_origins(&base, options.origins("allowedOrigins")?)?, base })
        };
        Ok(read()?)
    }

    /// Logs in (`POST {baseUrl}/session/login`), then checks with `GET {baseUrl}/session` that
    /// the browser kept the cookie: if it did not (cookies blocked, or a cross-site API), this
    /// rejects with ERR_AUTH_COOKIES_BLOCKED instead of failing later.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionInfo>")]
    pub fn login(&self, email: &str, password: &str) -> Promise {
        if http::cookies_disabled() {
            return reject(Error::CookiesBlocked);
        }
        let request = session::login_request(&self.base, email, password);
        session_login(
            &request.url,
            request.content_type,
            request.body.expose(),
            &self.base.endpoint("/session"),
            http::DEFAULT_MAX_RESPONSE_BYTES,
            &reader!(read_login),
            &reader!(read_check),
        )
    }

    /// Who is logged in (`GET {baseUrl}/session`), or null: for restoring the UI after a reload.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionInfo | null>")]
    pub fn current(&self) -> Promise {
        session_call("GET", &self.base.endpoint("/session"), http::DEFAULT_MAX_RESPONSE_BYTES, &reader!(read_current))
    }

    /// Logs out (`POST {baseUrl}/session/logout`): the server ends the session and clears the cookie.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn logout(&self) -> Promise {
        let url = self.base.endpoint("/session/logout");
        session_call("POST", &url, http::DEFAULT_MAX_RESPONSE_BYTES, &reader!(read_logout))
    }

    /// `fetch(input, init)` with the session cookie (`credentials: "include"`). Relative inputs
    /// resolve against baseUrl; other origins than baseUrl's and `allowedOrigins` are refused.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: Option<JsValue>,
    ) -> Promise {
        http::fetch_for(&input, init, &self.base, &self.trusted, Credential::Cookies)
    }
}
