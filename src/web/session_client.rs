//! `SessionClient`: the guide's cookie sessions. The cookie is HttpOnly: JavaScript (this
//! module included) never sees it; the browser sends it with `credentials: "include"`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::http;
use super::options::{Options, required, trusted_origins};
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

#[wasm_bindgen]
impl SessionClient {
    /// A client for the API at `options.baseUrl`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SessionClientOptions")] options: JsValue,
    ) -> Result<SessionClient, JsValue> {
        let read = || -> Result<SessionClient, Error> {
            let options = Options::new(&options)?;
            let base = options.base_url();
            let allowed = options.origins("allowedOrigins");
            options.finish()?;
            let base = required("baseUrl", base)?;
            Ok(SessionClient { trusted: trusted_origins(&base, allowed?)?, base })
        };
        Ok(read()?)
    }

    /// Logs in (`POST {baseUrl}/session/login`), then checks with `GET {baseUrl}/session` that
    /// the browser kept the cookie: if it did not (cookies blocked, or a cross-site API), this
    /// rejects with ERR_AUTH_COOKIES_BLOCKED instead of failing later.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionInfo>")]
    pub fn login(&self, email: &str, password: &str) -> Promise {
        let base = self.base.clone();
        let request = session::login_request(&base, email, password);
        future_to_promise(async move {
            let run = async {
                if http::cookies_disabled() {
                    return Err(Error::CookiesBlocked);
                }
                let headers = [("content-type", request.content_type)];
                let body = Some(request.body.expose().to_owned());
                let reply = http::request("POST", &request.url, &headers, body, true).await?;
                if !reply.ok() {
                    return Err(reply.error(Purpose::Login));
                }
                let login = json(&reply.body)?;
                let check = http::request("GET", &base.endpoint("/session"), &[], None, true).await?;
                match session::after_login(check.status) {
                    AfterLogin::UseCheck => json(&check.body),
                    AfterLogin::UseLogin => Ok(login),
                    AfterLogin::CookiesBlocked => Err(Error::CookiesBlocked),
                    AfterLogin::Failed => Err(check.error(Purpose::Other)),
                }
            };
            Ok(run.await?)
        })
    }

    /// Who is logged in (`GET {baseUrl}/session`), or null: for restoring the UI after a reload.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionInfo | null>")]
    pub fn current(&self) -> Promise {
        let url = self.base.endpoint("/session");
        future_to_promise(async move {
            let reply = http::request("GET", &url, &[], None, true).await?;
            match session::current(reply.status) {
                Some(true) => Ok(json(&reply.body)?),
                Some(false) => Ok(JsValue::NULL),
                None => Err(reply.error(Purpose::Other).into()),
            }
        })
    }

    /// Logs out (`POST {baseUrl}/session/logout`): the server ends the session and clears the cookie.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn logout(&self) -> Promise {
        let url = self.base.endpoint("/session/logout");
        future_to_promise(async move {
            let reply = http::request("POST", &url, &[], None, true).await?;
            if reply.ok() { Ok(JsValue::UNDEFINED) } else { Err(reply.error(Purpose::Other).into()) }
        })
    }

    /// `fetch(input, init)` with the session cookie (`credentials: "include"`). Relative inputs
    /// resolve against baseUrl; other origins than baseUrl's and `allowedOrigins` are refused.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: Option<JsValue>,
    ) -> Promise {
        let request = match http::request_for(&input, init, &self.base, &self.trusted) {
            Ok(request) => request,
            Err(error) => return Promise::reject(&error),
        };
        http::send_with_cookies(&request, &self.trusted)
    }
}
