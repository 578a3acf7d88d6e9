//! `OAuthClient`: the authorization code flow with PKCE for browser apps (RFC 6749 4.1,
//! RFC 7636, RFC 9207, OpenID Connect's nonce and ID token), discovery (RFC 8414 / OpenID),
//! refresh and revocation (RFC 7009). Every decision is `client::oauth`'s; this file moves
//! values between it, sessionStorage, the address bar, fetch and JwtVerifier. The TypeScript
//! declarations are in `oauth.d.ts`.

mod convert;
mod options;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::dpop::Dpop;
use super::http;
use super::options::{Options, string_argument};
use super::reject;
use super::token_manager::{Config, TokenManager, send_post};
use super::verifier::JwtVerifier;
use crate::Error;
use crate::client::dpop;
use crate::client::oauth::{
    self, CALLBACK_PARAMS, Callback, CallbackVerdict, Discovered, Metadata, Post, PublicClient, RefreshVia,
    TokenPurpose, Transaction,
};
use crate::client::options::Expected;
use crate::client::tabs;
use crate::client::{Secret, TokenSet};
use convert::{js_object, token_response};
use options::Settings;

#[wasm_bindgen(typescript_custom_section)]
const TS_OAUTH: &str = include_str!("oauth.d.ts");

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = txSave)]
    fn tx_save(key: &str, json: &str) -> bool;
    #[wasm_bindgen(js_name = txLoad)]
    fn tx_load(key: &str) -> Option<String>;
    #[wasm_bindgen(js_name = txClear)]
    fn tx_clear(key: &str);
    #[wasm_bindgen(js_name = currentUrl)]
    fn current_url() -> Option<String>;
    #[wasm_bindgen(catch)]
    fn navigate(url: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = cleanAddressBar, catch)]
    fn clean_address_bar(handled: &str, params: &js_sys::Array) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = callMethod, catch)]
    fn call_method(target: &JsValue, name: &str, arg: &JsValue) -> Result<JsValue, JsValue>;
}

thread_local! {
    /// Callbacks being or already handled in this page, by client (`PublicClient::key`: issuer,
    /// client id, redirect URI) and state: the same client called again with the same URL (React
    /// StrictMode runs effects twice) gets the same promise, never a second exchange; another
    /// client gets nothing from it.
    /// A list, not a HashMap: a page handles a callback or two (and a HashMap would bring SipHash
    /// and hashbrown into the wasm for this alone).
    static HANDLED: RefCell<Vec<((String, String), Promise)>> = const { RefCell::new(Vec::new()) };
}

struct Inner {
    client: PublicClient,
    /// The sessionStorage key of this client's sign-in record.
    storage_key: String,
    /// The largest token-endpoint answer read (`maxResponseBytes`).
    max_response_bytes: f64,
    /// The TokenManager (JS object) the tokens go to, if any.
    token_manager: Option<JsValue>,
    /// `dpop: true`: the key and nonces of the proofs, shared with the own TokenManager.
    dpop: Option<Rc<Dpop>>,
}

/// The authorization code flow with PKCE, for browser apps.
#[wasm_bindgen]
pub struct OAuthClient {
    inner: Rc<Inner>,
}

impl Inner {
    /// A client from its options and its server (`settings.metadata`, or discovered).
    fn build(settings: Settings, discovered: Option<Metadata>) -> Result<Inner, Error> {
        let Settings {
            client_id,
            redirect_uri,
            scope,
            metadata,
            base_url,
            token_manager,
            max_response_bytes,
            cross_tab,
            dpop,
        } = settings;
        let metadata = discovered.or(metadata).ok_or(Error::Internal("an OAuthClient without its server"))?;
        // A public client's refresh token is bound to the key (RFC 9449 §5), and `dpop_jkt` binds
        // the code to it across the redirect (§10): the key is kept, under the client's key.
        let issuer = metadata.issuer.as_deref().unwrap_or(&metadata.token_endpoint);
        let dpop = (dpop && token_manager.is_none()).then(|| {
            let store = dpop::key_kept_across_reloads(false, true).then(|| tabs::oauth_key(issuer, &client_id, true));
            let dpop = Dpop::new(store);
            // Made now, so that authorize() (synchronous) finds it for dpop_jkt.
            let _ = dpop.start();
            dpop
        });
        let token_manager = match (token_manager, base_url) {
            (Some(manager), _) => Some(manager),
            (None, Some(base)) => {
                let config = Config::for_oauth_client(
                    base,
                    issuer,
                    cross_tab,
                    &metadata.token_endpoint,
                    &client_id,
                    metadata.revocation_endpoint.as_deref(),
                    dpop.clone(),
                )?;
                Some(JsValue::from(TokenManager::from_config(config)))
            }
            (None, None) => None,
        };
        let client = PublicClient { client_id, redirect_uri, scope, metadata };
        Ok(Inner {
            max_response_bytes,
            storage_key: format!("wasm-auth:oauth-transaction {}", client.key()),
            client,
            token_manager,
            dpop,
        })
    }

    /// Starts a flow (`silent`: a restore with `prompt=none`): a fresh transaction kept in
    /// sessionStorage; the authorization URL to navigate to.
    fn start_flow(
        &self,
        scope: Option<&str>,
        extra: &[(String, String)],
        app_state: Option<String>,
        silent: bool,
    ) -> Result<String, Error> {
        let client = &self.client;
        let tx = Transaction::start(client, scope.or(client.scope.as_deref()), app_state, js_sys::Date::now())?;
        let tx = if silent { tx.silently() } else { tx };
        // §10: the code is bound to the key, which the callback page reads back (it is kept).
        let mut url = client.authorization_url(&tx, scope, extra)?;
        let jkt =
            dpop::authorization_jkt(self.dpop.is_some(), self.dpop.as_ref().and_then(|dpop| dpop.thumbprint_now()));
        if let (Err(_), Some(dpop)) = (&jkt, &self.dpop) {
            // Made now (e.g. after a logout dropped the last one), for the next try.
            let _ = dpop.start();
        }
        if let Some(jkt) = jkt? {
            // base64url: nothing to encode; the URL has its query already.
            url.push_str("&dpop_jkt=");
            url.push_str(&jkt);
        }
        if !tx_save(&self.storage_key, &tx.to_json()) {
            let method = if silent { "restore({ silent: true })" } else { "authorize()" };
            return Err(Error::InvalidOptions(format!("{method} needs a browser page with sessionStorage")));
        }
        Ok(url)
    }

    /// A verifier of this sign-in's ID token: the issuer's JWKS, and `client::oauth`'s policy
    /// (issuer, audience, sub/exp/iat, the `nonce` it sent).
    fn id_token_verifier(&self, nonce: Option<&str>) -> Result<JwtVerifier, Error> {
        let metadata = &self.client.metadata;
        let (Some(issuer), Some(jwks_uri)) = (&metadata.issuer, &metadata.jwks_uri) else {
            return Err(Error::InvalidOptions(
                "an ID token came back but cannot be validated: give issuer and jwksUri, or use OAuthClient.discover"
                    .into(),
            ));
        };
        let keys = js_object(&[("jwksUri", JsValue::from_str(jwks_uri))]);
        JwtVerifier::with_options(&keys, oauth::id_token_options(issuer, &self.client.client_id, nonce))
            .map_err(|_| Error::InvalidOptions("the jwksUri cannot be used to verify ID tokens".into()))
    }

    /// Verifies the ID token (signature and the claim rules) and then `client::oauth`'s
    /// remaining checks (a nonce was sent, azp, iat not in the future); its claims.
    async fn validate_id_token(&self, id_token: &str, nonce: Option<&str>) -> Result<JsValue, JsValue> {
        let verifier = self.id_token_verifier(nonce)?;
        let verified = JsFuture::from(verifier.verify_text(id_token, None)).await?;
        let payload = Reflect::get(&verified, &"payload".into())?;
        let text = js_sys::JSON::stringify(&payload).ok().and_then(|t| t.as_string()).unwrap_or_default();
        let claims = crate::jose::json::parse_object(text.as_bytes())
            .map_err(|_| JsValue::from(Error::Internal("verified ID token claims")))?;
        oauth::check_id_token_claims(&claims, &self.client.client_id, nonce.is_some(), js_sys::Date::now() / 1000.0)?;
        Ok(payload)
    }

    /// Sends a token request the core built; the tokens, or the error the answer means for `purpose`.
    async fn token_request(&self, request: &Post, purpose: TokenPurpose) -> Result<TokenSet, Error> {
        let dpop = self.dpop.as_deref().map(|dpop| (dpop, None));
        let reply = send_post(request, &[("accept", "application/json")], self.max_response_bytes, dpop).await?;
        let tokens = oauth::process_token_response(purpose, reply.answer())?;
        dpop::check_token_type(&tokens, self.dpop.is_some())?;
        Ok(tokens)
    }

    /// The callback, from the transaction to the tokens.
    async fn complete(self: Rc<Self>, url: String, callback: Callback) -> Result<JsValue, JsValue> {
        let fail = |e: Error| JsValue::from(&e);
        let key = &self.storage_key;
        let stored = tx_load(key).ok_or(Error::TransactionMissing).map_err(fail)?;
        let tx = Transaction::load(&stored, &self.client).map_err(|e| {
            // Edited or not this client's: spent either way.
            tx_clear(key);
            fail(e)
        })?;
        let callback_params = || CALLBACK_PARAMS.iter().map(|p| JsValue::from_str(p)).collect::<js_sys::Array>();
        let app_state = tx.app_state.as_deref().and_then(|s| js_sys::JSON::parse(s).ok()).unwrap_or(JsValue::UNDEFINED);
        let code = match tx.validate_callback(callback, &self.client.metadata, js_sys::Date::now()) {
            // A state that is not ours leaves the transaction for the real callback.
            CallbackVerdict::Foreign => return Err(fail(Error::StateMismatch)),
            // A silent restore that found nobody signed in at the server: spent, and no session.
            CallbackVerdict::NoSession(error) => {
                tx_clear(key);
                let _ = clean_address_bar(&url, &callback_params());
                return Ok(redirect_result(JsValue::NULL, JsValue::NULL, JsValue::NULL, app_state, Some(&error)));
            }
            // One use: whatever happens next, this transaction is spent.
            CallbackVerdict::Ours(code) => {
                tx_clear(key);
                code.map_err(fail)?
            }
        };
        let request = self.client.code_exchange_request(&tx, code.expose());
        let purpose = TokenPurpose::CodeExchange { openid: tx.wants_openid() };
        let tokens = self.token_request(&request, purpose).await.map_err(fail)?;
        let id_token_claims = match &tokens.id_token {
            Some(id_token) => self.validate_id_token(id_token.expose(), tx.nonce.as_deref()).await?,
            None => JsValue::NULL,
        };
        let _ = clean_address_bar(&url, &callback_params());
        let (info, response) = match &self.token_manager {
            Some(manager) => (call_method(manager, "setTokens", &token_response(&tokens))?, JsValue::NULL),
            None => (JsValue::NULL, token_response(&tokens)),
        };
        Ok(redirect_result(info, response, id_token_claims, app_state, None))
    }
}

/// `handleRedirectCallback`'s `RedirectResult`; `no_session`: the server's error when a silent
/// restore found nobody signed in (then there are no tokens).
fn redirect_result(
    info: JsValue,
    response: JsValue,
    id_token_claims: JsValue,
    app_state: JsValue,
    no_session: Option<&str>,
) -> JsValue {
    js_object(&[
        ("signedIn", JsValue::from_bool(no_session.is_none())),
        ("noSession", no_session.map_or(JsValue::NULL, JsValue::from_str)),
        ("info", info),
        ("tokenResponse", response),
        ("idTokenClaims", id_token_claims),
        ("appState", app_state),
    ])
}

#[wasm_bindgen]
impl OAuthClient {
    /// A client with explicit endpoints. Prefer `OAuthClient.discover(issuer, options)`, which
    /// also learns the issuer, the JWKS and RFC 9207 support.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "OAuthClientOptions")] options: JsValue,
    ) -> Result<OAuthClient, JsValue> {
        let inner = Settings::read(&options, false).and_then(|settings| Inner::build(settings, None));
        Ok(OAuthClient { inner: Rc::new(inner?) })
    }

    /// Reads the issuer's discovery document (`/.well-known/openid-configuration`, then RFC
    /// 8414's `/.well-known/oauth-authorization-server`), checks that it names this issuer and
    /// supports S256, and makes a client from it. Rejects with ERR_OAUTH_ISSUER_MISMATCH,
    /// ERR_AUTH_INVALID_RESPONSE, ERR_AUTH_HTTP or ERR_AUTH_NETWORK.
    #[wasm_bindgen(unchecked_return_type = "Promise<OAuthClient>")]
    pub fn discover(
        issuer: &str,
        #[wasm_bindgen(unchecked_param_type = "OAuthClientOptions")] options: JsValue,
    ) -> Promise {
        let urls = match oauth::discovery_urls(issuer) {
            Ok(urls) => urls,
            Err(error) => return reject(error),
        };
        let settings = match Settings::read(&options, true) {
            Ok(settings) => settings,
            Err(error) => return reject(error),
        };
        let max_bytes = settings.max_response_bytes;
        let issuer = issuer.to_owned();
        http::promise(async move {
            let mut last = Error::InvalidResponse("no discovery document".into());
            for url in urls {
                let reply =
                    http::request_limited("GET", &url, &[("accept", "application/json")], None, false, max_bytes)
                        .await?;
                let metadata = match Metadata::process_discovery_response(reply.answer(), &issuer) {
                    Ok(Discovered::Found(metadata)) => metadata,
                    Ok(Discovered::NotHere(error)) => {
                        last = error;
                        continue;
                    }
                    Err(error) => return Err(JsValue::from(&error)),
                };
                let inner = Inner::build(settings, Some(metadata))?;
                // The key pair first, so that authorize() can name it (dpop_jkt); a runtime
                // without WebCrypto says so at the first proof instead.
                if let Some(dpop) = &inner.dpop {
                    let _ = JsFuture::from(dpop.start()).await;
                }
                return Ok(JsValue::from(OAuthClient { inner: Rc::new(inner) }));
            }
            Err(JsValue::from(&last))
        })
    }

    /// Starts a sign-in: a fresh PKCE verifier (S256), state and (for openid) nonce, kept in
    /// sessionStorage for 10 minutes, then navigates to the authorization endpoint. Returns the
    /// URL (with `redirect: false`, only returns it). With `dpop`, ERR_DPOP_KEY_UNAVAILABLE
    /// while the key pair for `dpop_jkt` is still being made (never a request without it).
    pub fn authorize(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "AuthorizeOptions")] options: Option<JsValue>,
    ) -> Result<String, JsValue> {
        let run = || -> Result<(String, bool), Error> {
            let options = Options::optional(options)?;
            options.declare(&["scope", "extraParams", "appState", "redirect"]);
            options.finish()?;
            let scope = options.non_empty_string("scope")?;
            let extra = options.string_record("extraParams")?.unwrap_or_default();
            let app_state = options.json("appState")?;
            let redirect = options.boolean("redirect")?.unwrap_or(true);
            let url = self.inner.start_flow(scope.as_deref(), &extra, app_state, false)?;
            Ok((url, redirect))
        };
        let (url, redirect) = run()?;
        if redirect {
            navigate(&url)?;
        }
        Ok(url)
    }

    /// Completes a sign-in on the redirect URI (default: the current URL): checks the state
    /// (ERR_OAUTH_STATE_MISMATCH), the server's error (ERR_OAUTH_CALLBACK_ERROR with `.error`),
    /// the transaction (ERR_OAUTH_TRANSACTION_MISSING / _EXPIRED) and RFC 9207 `iss`; exchanges
    /// the code with the verifier; validates the ID token; removes code and state from the
    /// address bar. Calling it twice with the same URL gives the same result, never a second
    /// exchange.
    #[wasm_bindgen(js_name = handleRedirectCallback, unchecked_return_type = "Promise<RedirectResult>")]
    pub fn handle_redirect_callback(&self, url: Option<String>) -> Promise {
        let Some(url) = url.or_else(current_url) else {
            return reject(Error::InvalidOptions(
                "handleRedirectCallback needs the callback URL outside a browser page".into(),
            ));
        };
        let callback = match oauth::parse_callback(&url) {
            Ok(callback) => callback,
            Err(error) => return reject(error),
        };
        let memo = callback.state().map(|state| (self.inner.client.key(), state.to_owned()));
        if let Some(done) = memo.as_ref().and_then(|key| {
            HANDLED.with(|h| h.borrow().iter().find(|(known, _)| known == key).map(|(_, done)| done.clone()))
        }) {
            return done;
        }
        let promise = http::promise(self.inner.clone().complete(url, callback));
        if let Some(key) = memo {
            HANDLED.with(|h| h.borrow_mut().push((key, promise.clone())));
        }
        promise
    }

    /// Finds a session without asking the user: first from another tab of this issuer and
    /// client (its TokenManager's `restore()`: no request to any server); then, with
    /// `{ silent: true }`, a top-level redirect to the authorization endpoint with `prompt=none`
    /// (the promise then never settles: `handleRedirectCallback` on the redirect URI finishes,
    /// with `signedIn: false` when nobody is signed in there). Resolves the TokenInfo, or null.
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenInfo | null>")]
    pub fn restore(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "RestoreOptions")] options: Option<JsValue>,
    ) -> Promise {
        let silent = Options::optional(options).and_then(|options| {
            let silent = options.boolean("silent");
            options.finish()?;
            Ok(silent?.unwrap_or(false))
        });
        let silent = match silent {
            Ok(silent) => silent,
            Err(error) => return reject(error),
        };
        let inner = self.inner.clone();
        http::promise(async move {
            if let Some(manager) = &inner.token_manager {
                let restored = call_method(manager, "restore", &JsValue::UNDEFINED)?;
                let info = JsFuture::from(Promise::resolve(&restored)).await?;
                if !info.is_null() && !info.is_undefined() {
                    return Ok(info);
                }
            }
            if !silent {
                return Ok(JsValue::NULL);
            }
            // The key pair first, for dpop_jkt (a logout may have dropped it).
            if let Some(dpop) = &inner.dpop {
                let _ = JsFuture::from(dpop.start()).await;
            }
            let url = inner.start_flow(None, &[], None, true)?;
            navigate(&url)?;
            // The page is leaving: nothing to resolve to.
            JsFuture::from(Promise::new(&mut |_, _| {})).await
        })
    }

    /// The refresh_token grant (RFC 6749 6): resolves to the new token answer. (A TokenManager
    /// made by this client refreshes by itself.)
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenResponse>")]
    pub fn refresh(&self, refresh_token: &str) -> Promise {
        let inner = self.inner.clone();
        let client = &inner.client;
        let via = RefreshVia::OAuth(client.metadata.token_endpoint.clone());
        let request = oauth::refresh_request(&via, &Secret::new(refresh_token.to_owned()), Some(&client.client_id));
        http::promise(async move {
            let tokens = inner.token_request(&request, TokenPurpose::Grant).await?;
            Ok(token_response(&tokens))
        })
    }

    /// Revokes a token at the revocation endpoint (RFC 7009); ERR_AUTH_INVALID_OPTIONS without one.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn revoke(
        &self,
        token: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "\"access_token\" | \"refresh_token\"")] hint: Option<JsValue>,
    ) -> Promise {
        let hint = match string_argument("hint", hint, Expected::OneOf(&["access_token", "refresh_token"])) {
            Ok(hint) => hint,
            Err(error) => return reject(error),
        };
        let Some(url) = self.inner.client.metadata.revocation_endpoint.clone() else {
            return reject(Error::InvalidOptions("the server has no revocation endpoint".into()));
        };
        let client_id = Some(self.inner.client.client_id.as_str());
        let request = oauth::revocation_request(&url, token, hint.as_deref(), client_id);
        let inner = self.inner.clone();
        http::promise(async move {
            let dpop = inner.dpop.as_deref().map(|dpop| (dpop, None));
            let reply = send_post(&request, &[], http::DEFAULT_MAX_RESPONSE_BYTES, dpop).await?;
            oauth::process_revocation_response(reply.answer())?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The TokenManager the tokens go to (made from `baseUrl`, or the one given), if any.
    #[wasm_bindgen(getter, js_name = tokenManager, unchecked_return_type = "TokenManager | undefined")]
    pub fn token_manager(&self) -> JsValue {
        self.inner.token_manager.clone().unwrap_or(JsValue::UNDEFINED)
    }

    /// The issuer, when known.
    #[wasm_bindgen(getter)]
    pub fn issuer(&self) -> Option<String> {
        self.inner.client.metadata.issuer.clone()
    }
}
