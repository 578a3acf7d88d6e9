//! `TokenManager`: JWT login and refresh for SPAs, tokens in wasm memory only.
//!
//! The schedule is `client::schedule`'s, the requests and answers `client::oauth`'s; this
//! module only wires them to timers, fetch and events (`session`), reads the options (`config`)
//! and converts to and from JS. The TypeScript declarations are in `token_manager.d.ts`.

mod callers;
mod config;
mod peers;
mod session;
mod tabs;

use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::http::{self, now};
use super::options::Options;
use super::reject;
use crate::Error;
use crate::client::TokenSet;
use crate::client::oauth::{self, TokenPurpose};
use crate::client::tabs::{Arrival, Ended};
pub(crate) use config::Config;
use session::Session;
pub(crate) use session::send as send_post;

#[wasm_bindgen(typescript_custom_section)]
const TS_TOKEN_MANAGER: &str = include_str!("token_manager.d.ts");

/// JWT login and refresh with the tokens in memory only: scheduled refresh before expiry,
/// one shared refresh for concurrent callers, an authenticated `fetch` that retries once
/// after a 401, and events.
#[wasm_bindgen]
pub struct TokenManager {
    session: Rc<Session>,
}

impl TokenManager {
    /// A manager with options already read (an `OAuthClient`'s, `Config::for_oauth_client`).
    pub(crate) fn from_config(config: Config) -> TokenManager {
        TokenManager { session: Session::new(config) }
    }
}

#[wasm_bindgen]
impl TokenManager {
    /// A manager for the API at `options.baseUrl`. Nobody is logged in until `login` or `setTokens`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TokenManagerOptions")] options: JsValue,
    ) -> Result<TokenManager, JsValue> {
        let config = Options::new(&options).and_then(|options| Config::read(&options))?;
        Ok(TokenManager::from_config(config))
    }

    /// Logs in with `POST {baseUrl}/auth/login`; resolves to the session's `TokenInfo`.
    /// Wrong credentials reject with ERR_AUTH_INVALID_CREDENTIALS, a 429 with ERR_AUTH_RATE_LIMITED.
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenInfo>")]
    pub fn login(&self, email: &str, password: &str) -> Promise {
        let session = self.session.clone();
        if session.disposed.get() {
            return reject(Error::Disposed);
        }
        let mut request = oauth::login_request(&session.config.base, email, password);
        if session.config.refresh_cookie {
            request = request.with_refresh_cookie();
        }
        http::promise(async move {
            let sent = now();
            let reply = send_post(&request, &[], http::DEFAULT_MAX_RESPONSE_BYTES, session.dpop()).await;
            let received = now();
            let tokens = reply
                .and_then(|reply| oauth::process_token_response(TokenPurpose::Login, reply.answer()))
                .and_then(|tokens| session.check_token_type(tokens))?;
            if session.disposed.get() {
                return Err(JsValue::from(Error::Disposed));
            }
            session.install(tokens, sent, received, Arrival::Login);
            Ok(session.info())
        })
    }

    /// The access token, refreshed first if it is expired or inside the refresh margin.
    /// Rejects with ERR_AUTH_NOT_AUTHENTICATED before login, ERR_AUTH_SESSION_EXPIRED when the
    /// refresh token was refused, ERR_AUTH_NETWORK when it is expired and the server unreachable.
    #[wasm_bindgen(js_name = getToken, unchecked_return_type = "Promise<string>")]
    pub fn get_token(&self) -> Promise {
        let session = self.session.clone();
        http::promise(async move {
            let token = session.token(None).await?;
            Ok(JsValue::from_str(token.expose()))
        })
    }

    /// Resumes a session this tab does not hold yet (a new tab, a reload): asks the peer tabs
    /// first (`crossTab`), then, with `refreshTokenInCookie`, makes one refresh with the API's
    /// cookie. Resolves to the session's `TokenInfo`, or `null` when nobody is logged in.
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenInfo | null>")]
    pub fn restore(&self) -> Promise {
        let session = self.session.clone();
        let restoring = session.restore_shared();
        http::promise(async move {
            let restored = JsFuture::from(restoring).await?.is_truthy();
            Ok(if restored { session.info() } else { JsValue::NULL })
        })
    }

    /// `fetch(input, init)` with `Authorization: Bearer`. A string or URL input is resolved
    /// against baseUrl ("resources" is `{baseUrl}/resources`); the token goes only to baseUrl's
    /// origin and `allowedOrigins` (else ERR_AUTH_UNTRUSTED_ORIGIN, and nothing is sent).
    /// On a 401 it refreshes once and retries once.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: Option<JsValue>,
    ) -> Promise {
        let session = self.session.clone();
        let request = match http::request_for(&input, init, &session.config.base, &session.config.trusted) {
            Ok(request) => request,
            Err(error) => return Promise::reject(&error),
        };
        http::promise(async move { session.fetch(request).await })
    }

    /// Adopts tokens obtained elsewhere (the OAuth redirect flow). Throws
    /// ERR_AUTH_INVALID_RESPONSE if `tokens` has no usable Bearer access token.
    #[wasm_bindgen(js_name = setTokens, unchecked_return_type = "TokenInfo")]
    pub fn set_tokens(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TokenResponse")] tokens: JsValue,
    ) -> Result<JsValue, JsValue> {
        if self.session.disposed.get() {
            return Err(JsValue::from(Error::Disposed));
        }
        let text = js_sys::JSON::stringify(&tokens).ok().and_then(|s| s.as_string()).unwrap_or_default();
        let tokens = self.session.check_token_type(TokenSet::from_json(text.as_bytes())?)?;
        let at = now();
        self.session.install(tokens, at, at, Arrival::SetTokens);
        Ok(self.session.info())
    }

    /// Forgets the tokens, cancels the timer, discards a refresh in flight, and (with a
    /// revocationEndpoint) revokes the tokens. Resolves once done; fires `logout`. Options it
    /// cannot read reject with ERR_AUTH_INVALID_OPTIONS, the tokens forgotten all the same (a
    /// logout never leaves a session behind) but not revoked.
    #[wasm_bindgen(unchecked_return_type = "Promise<{ revoked: boolean }>")]
    pub fn logout(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "LogoutOptions")] options: Option<JsValue>,
    ) -> Promise {
        let session = self.session.clone();
        let revoke = Options::optional(options).and_then(|options| {
            let revoke = options.boolean("revoke");
            options.finish()?;
            Ok(revoke?)
        });
        let held = session.forget();
        session.tell_peers_ended(Ended::Logout);
        http::promise(async move {
            let revoked = match &revoke {
                Ok(revoke) => {
                    let revoke = revoke.unwrap_or(session.config.revoke_on_logout);
                    session.end_at_server(held.as_ref(), revoke).await
                }
                Err(_) => false,
            };
            // After the revocations, which carry proofs of it.
            session.forget_dpop_key();
            session.emit("logout", &[("revoked", JsValue::from_bool(revoked))]);
            revoke?;
            let result = Object::new();
            let _ = Reflect::set(&result, &"revoked".into(), &JsValue::from_bool(revoked));
            Ok(result.into())
        })
    }

    /// Stops everything for good (hot module reload, React StrictMode unmount): forgets the
    /// tokens, cancels timers and removes page listeners. Later calls reject with ERR_AUTH_DISPOSED.
    pub fn dispose(&self) {
        self.session.disposed.set(true);
        self.session.forget();
        self.session.stop_watching();
        self.session.leave_peers();
    }

    /// The API's base URL, as configured (without a trailing slash).
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.session.config.base.as_str().to_owned()
    }

    /// Whether tokens are held (they may still need a refresh).
    #[wasm_bindgen(getter, js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.session.is_authenticated()
    }

    /// The current access token's payload (its claims), decoded but NOT verified, for showing
    /// who is logged in; `null` when logged out or when the token is not a JWT. A new object at
    /// each read.
    #[wasm_bindgen(getter, unchecked_return_type = "Record<string, unknown> | null")]
    pub fn claims(&self) -> JsValue {
        let claims = self.session.held.borrow().as_ref().and_then(|held| held.tokens.claims_json());
        claims
            .and_then(|json| std::str::from_utf8(&json).ok().and_then(|text| js_sys::JSON::parse(text).ok()))
            .unwrap_or(JsValue::NULL)
    }

    /// The session's state, without any token.
    #[wasm_bindgen(getter, unchecked_return_type = "TokenInfo")]
    pub fn info(&self) -> JsValue {
        self.session.info()
    }

    /// Listens for `tokenchange`, `refresherror`, `sessionexpired` or `logout`.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(
        &self,
        #[wasm_bindgen(unchecked_param_type = "keyof TokenManagerEventMap")] kind: &str,
        #[wasm_bindgen(unchecked_param_type = "(event: CustomEvent) => void")] listener: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "boolean | AddEventListenerOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        call_target(&self.session.events, "addEventListener", kind, listener, &options.unwrap_or(JsValue::UNDEFINED))
    }

    /// Stops listening.
    #[wasm_bindgen(js_name = removeEventListener)]
    pub fn remove_event_listener(
        &self,
        #[wasm_bindgen(unchecked_param_type = "keyof TokenManagerEventMap")] kind: &str,
        #[wasm_bindgen(unchecked_param_type = "(event: CustomEvent) => void")] listener: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "boolean | EventListenerOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        call_target(&self.session.events, "removeEventListener", kind, listener, &options.unwrap_or(JsValue::UNDEFINED))
    }
}

fn call_target(
    target: &Object,
    method: &str,
    kind: &str,
    listener: &JsValue,
    options: &JsValue,
) -> Result<(), JsValue> {
    let function: Function = Reflect::get(target, &JsValue::from_str(method))?.dyn_into()?;
    function.call3(target, &JsValue::from_str(kind), listener, options)?;
    Ok(())
}
