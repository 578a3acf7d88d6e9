//! `ClientCredentials`: the client credentials grant (RFC 6749 4.4) for workers and servers,
//! with the token cached until it is near expiry and one request shared by concurrent callers.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::dpop::Dpop;
use super::http::{self, now};
use super::options::{Options, Refused, refused, required, trusted_origins_of};
use crate::Error;
use crate::client::dpop;
use crate::client::oauth::{self, ClientAuth, TokenPurpose};
use crate::client::options::Expected;
use crate::client::schedule::DEFAULT_CLIENT_CREDENTIALS_MARGIN_MS;
use crate::client::{Expiry, Secret, Status};

#[wasm_bindgen(typescript_custom_section)]
const TS_CLIENT_CREDENTIALS: &str = r#"
/** Options of `new ClientCredentials(options)`. */
export interface ClientCredentialsOptions {
  tokenEndpoint: string;
  clientId: string;
  /** The client secret: for workers and servers only (a browser page refuses it). */
  clientSecret: string;
  /** The scope to ask for. */
  scope?: string;
  /** "client_secret_basic" (default) or "client_secret_post". */
  authMethod?: "client_secret_basic" | "client_secret_post";
  /** Get a new token this many seconds before expiry (at most at mid-life); default 60. */
  refreshMarginSeconds?: number;
  /**
   * DPoP (RFC 9449): tokens bound to a key pair made for this client (non-extractable ECDSA
   * P-256), each token request with a proof. Send API requests with `fetch` (the token and a
   * proof). Default false.
   */
  dpop?: boolean;
  /**
   * The origins `fetch` may send the token to besides the token endpoint's, e.g.
   * `["https://api.example.com"]`; a request anywhere else is refused
   * (ERR_AUTH_UNTRUSTED_ORIGIN) before anything is sent.
   */
  allowedOrigins?: string[];
}
"#;

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = onWorkers)]
    fn on_workers() -> bool;
}

struct Inner {
    token_endpoint: String,
    client_id: String,
    secret: Secret,
    scope: Option<String>,
    auth: ClientAuth,
    margin_ms: f64,
    /// The token and its expiry. DPoP-bound (RFC 9449 §5) exactly when `dpop` is there:
    /// `client::dpop::check_token_type` refuses any other answer.
    cached: RefCell<Option<(Secret, Expiry)>>,
    /// `dpop: true`: the key and the servers' nonces of the proofs.
    dpop: Option<Rc<Dpop>>,
    /// The request in flight, shared by concurrent callers (except on Workers, where a promise
    /// made while serving one request must not be awaited by another: it can hang).
    in_flight: RefCell<Option<Promise>>,
    /// The origins `fetch` sends the token to: the token endpoint's and `allowedOrigins`.
    trusted: js_sys::Array,
}

/// `new ClientCredentials(options)`'s options, in the order "the options are ..." lists them.
const NAMES: [&str; 8] = [
    "tokenEndpoint",
    "clientId",
    "clientSecret",
    "scope",
    "authMethod",
    "refreshMarginSeconds",
    "dpop",
    "allowedOrigins",
];
const AUTH_METHODS: Expected = Expected::OneOf(&["client_secret_basic", "client_secret_post"]);

/// Tokens for a confidential client (a worker or server calling an API as itself).
#[wasm_bindgen]
pub struct ClientCredentials {
    inner: Rc<Inner>,
}

impl Inner {
    fn cached_token(&self, usable_if_due: bool) -> Option<Secret> {
        let cached = self.cached.borrow();
        let (token, expiry) = cached.as_ref()?;
        match expiry.status(&now(), self.margin_ms) {
            Status::Fresh { .. } => Some(token.clone()),
            Status::Due { .. } if usable_if_due => Some(token.clone()),
            _ => None,
        }
    }

    async fn fetch_token(&self) -> Result<Secret, Error> {
        let (authorization, body) =
            oauth::client_credentials_request(&self.client_id, &self.secret, self.scope.as_deref(), self.auth);
        let mut headers = vec![("content-type", oauth::FORM), ("accept", oauth::JSON)];
        if let Some(value) = &authorization {
            headers.push(("authorization", value.expose()));
        }
        let max_bytes = http::DEFAULT_MAX_RESPONSE_BYTES;
        let reply = match &self.dpop {
            Some(dpop) => dpop.post(&self.token_endpoint, &headers, &body, None, false, max_bytes).await?,
            None => {
                http::request("POST", &self.token_endpoint, &headers, Some(body.expose().to_owned()), false).await?
            }
        };
        let received = now();
        let tokens = oauth::process_token_response(TokenPurpose::Grant, reply.answer())?;
        dpop::check_token_type(&tokens, self.dpop.is_some())?;
        let lifetime_ms = tokens.lifetime_ms(received.wall_ms);
        let entry = (tokens.access_token.clone(), Expiry { received, lifetime_ms });
        *self.cached.borrow_mut() = Some(entry);
        Ok(tokens.access_token)
    }
}

#[wasm_bindgen]
impl ClientCredentials {
    /// A client for `options.tokenEndpoint`. Throws ERR_OAUTH_SECRET_IN_BROWSER in a browser
    /// window: a secret shipped to browsers is public.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientCredentialsOptions")] options: JsValue,
    ) -> Result<ClientCredentials, JsValue> {
        // Refused (a boxed Error): each `?` below then moves a pointer, not an Error.
        let read = || -> Result<Inner, Refused> {
            if http::in_browser_window() {
                return Err(refused(Error::SecretInBrowser));
            }
            // Every name is known before any is read: unknown keys are refused first, then each
            // option is read and checked in turn.
            let options = Options::new(&options).map_err(refused)?;
            options.declare(&NAMES);
            options.finish().map_err(refused)?;
            let token_endpoint = required("tokenEndpoint", options.url("tokenEndpoint"))?;
            Ok(Inner {
                trusted: trusted_origins_of(&token_endpoint, "tokenEndpoint", options.origins("allowedOrigins")?)?,
                token_endpoint,
                client_id: required("clientId", options.non_empty_string("clientId"))?,
                secret: Secret::new(required("clientSecret", options.non_empty_string("clientSecret"))?),
                scope: options.non_empty_string("scope")?,
                auth: ClientAuth::parse(options.string("authMethod", AUTH_METHODS)?.as_deref()).map_err(refused)?,
                margin_ms: options
                    .seconds("refreshMarginSeconds")?
                    .map_or(DEFAULT_CLIENT_CREDENTIALS_MARGIN_MS, |s| s * 1000.0),
                cached: RefCell::new(None),
                in_flight: RefCell::new(None),
                dpop: options.boolean("dpop")?.unwrap_or(false).then(|| Dpop::new(None)),
            })
        };
        Ok(ClientCredentials { inner: Rc::new(read().map_err(|refused| *refused)?) })
    }

    /// An access token: the cached one until it is near expiry, else a new one (one request
    /// for concurrent callers). A failed request while the cached token is still valid returns
    /// that token. Rejects with ERR_OAUTH_TOKEN_ERROR (`.error` = invalid_client, ...),
    /// ERR_AUTH_NETWORK, ERR_AUTH_HTTP or ERR_AUTH_INVALID_RESPONSE.
    #[wasm_bindgen(js_name = getToken, unchecked_return_type = "Promise<string>")]
    pub fn get_token(&self) -> Promise {
        if let Some(token) = self.inner.cached_token(false) {
            return Promise::resolve(&JsValue::from_str(token.expose()));
        }
        if let Some(pending) = self.inner.in_flight.borrow().as_ref() {
            return pending.clone();
        }
        let inner = self.inner.clone();
        let promise = http::promise(async move {
            let outcome = inner.fetch_token().await;
            inner.in_flight.borrow_mut().take();
            match outcome {
                Ok(token) => Ok(JsValue::from_str(token.expose())),
                Err(error) => match inner.cached_token(true) {
                    Some(still_valid) => Ok(JsValue::from_str(still_valid.expose())),
                    None => Err(error.into()),
                },
            }
        });
        if !on_workers() {
            *self.inner.in_flight.borrow_mut() = Some(promise.clone());
        }
        promise
    }

    /// `fetch(input, init)` with the token: `Authorization: DPoP` and a proof (RFC 9449 §7) for
    /// a DPoP-bound token, else `Authorization: Bearer`; sent once more with the resource
    /// server's nonce when it asks for one (§9). Only to the token endpoint's origin and
    /// `allowedOrigins`: elsewhere ERR_AUTH_UNTRUSTED_ORIGIN, nothing sent. No redirect is
    /// followed (the token never goes anywhere but `input`): a 3xx is the answer. Rejects as
    /// `getToken()` does, with
    /// ERR_AUTH_INVALID_OPTIONS when `input, init` make no request, ERR_AUTH_NETWORK when the
    /// server cannot be reached, and ERR_DPOP_KEY_UNAVAILABLE when no proof can be made; a
    /// caller's abort with its AbortError, as `fetch` does.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: Option<JsValue>,
    ) -> Promise {
        // The request check and the send of every credentialed fetch (TokenManager's too).
        let request = match http::checked_request(&input, init, None, &self.inner.trusted) {
            Ok(request) => request,
            Err(error) => return Promise::reject(&error),
        };
        let token = self.get_token();
        let inner = self.inner.clone();
        http::promise(async move {
            let token = Secret::new(JsFuture::from(token).await?.as_string().unwrap_or_default());
            // Bound or not goes by the option, never by the cache read again after the await
            // (a clearCache() meanwhile sent a bound token as Bearer, without a proof). No
            // redirect is followed, bound or not: a 3xx is the answer.
            http::send_token(&request, &inner.trusted, &token, inner.dpop.as_deref(), false).await
        })
    }

    /// Forgets the cached token (e.g. after the API answered 401): the next `getToken()` asks again.
    #[wasm_bindgen(js_name = clearCache)]
    pub fn clear_cache(&self) {
        self.inner.cached.borrow_mut().take();
    }
}
