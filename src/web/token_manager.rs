//! `TokenManager`: JWT login and refresh for SPAs, tokens in wasm memory only.
//!
//! The schedule is `client::schedule`'s; this file only wires it to timers, fetch and events:
//! one refresh in flight at a time (callers share it), a generation counter so that a refresh
//! finishing after `logout()`/`login()`/`setTokens()` is discarded, page-wake rechecks, and
//! bounded background retries while the token is still valid.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise, spawn_local};

use super::http::{self, now, web_request::Request};
use super::to_js_error;
use crate::Error;
use crate::client::answer::Purpose;
use crate::client::base_url::BaseUrl;
use crate::client::schedule::{Hold, MIN_REFRESH_DELAY_MS, Step, already_expired, backoff_ms, next_step};
use crate::client::{Expiry, Secret, Stamp, Status, TokenSet, form};

#[wasm_bindgen(typescript_custom_section)]
const TS_TOKEN_MANAGER: &str = r#"
/** Options of `new TokenManager(options)`. */
export interface TokenManagerOptions {
  /** The API's base URL, e.g. "https://api.example.com/v1": login is `POST {baseUrl}/auth/login`. */
  baseUrl: string;
  /** Refresh this many seconds before the access token expires; default 300. A token living
   * less than twice this is refreshed at mid-life. */
  refreshMarginSeconds?: number;
  /** Origins besides baseUrl's that `fetch` may send the token to, e.g. ["https://files.example.com"]. */
  allowedOrigins?: string[];
  /** Refresh through an OAuth token endpoint (refresh_token grant) instead of `{baseUrl}/auth/refresh`. */
  tokenEndpoint?: string;
  /** The OAuth client_id sent with token-endpoint refreshes and revocations. */
  clientId?: string;
  /** An RFC 7009 revocation endpoint; with it, `logout()` revokes the tokens by default. */
  revocationEndpoint?: string;
  /** Whether `logout()` revokes when a revocationEndpoint is set; default true. */
  revokeOnLogout?: boolean;
}

/** A token answer, as `/auth/login` or an OAuth token endpoint returns it. */
export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  id_token?: string;
}

/** The state of the session, without any token. Times are milliseconds since the epoch. */
export interface TokenInfo {
  /** When the access token expires, or null when the server gave no lifetime. */
  expiresAt: number | null;
  /** When the next refresh is scheduled, or null. */
  refreshAt: number | null;
  /** The granted scope, when the server said. */
  scope: string | null;
}

/** Event details, by event type. */
export interface TokenManagerEventMap {
  /** New tokens: after login, setTokens or a refresh (`reason` says which). */
  tokenchange: TokenInfo & { reason: "login" | "refresh" | "setTokens" };
  /** A refresh failed; `retryInMs` is when it is retried in the background (null: not). */
  refresherror: { error: WasmAuthError; retryInMs: number | null };
  /** The session ended without logout: the refresh token was refused, or the token expired with none. */
  sessionexpired: { error: WasmAuthError };
  /** `logout()` ran; `revoked` tells whether the server confirmed revocation. */
  logout: { revoked: boolean };
}

/** Options of `logout`. */
export interface LogoutOptions {
  /** Revoke the tokens at the revocationEndpoint; default `revokeOnLogout`. */
  revoke?: boolean;
}

export interface TokenManager {
  addEventListener<K extends keyof TokenManagerEventMap>(type: K, listener: (event: CustomEvent<TokenManagerEventMap[K]>) => void, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof TokenManagerEventMap>(type: K, listener: (event: CustomEvent<TokenManagerEventMap[K]>) => void, options?: boolean | EventListenerOptions): void;
}
"#;

/// setTimeout's largest delay; longer ones fire at once, so longer waits are re-armed.
const MAX_TIMER_MS: f64 = 2_147_483_647.0;

/// How refreshes are sent.
enum RefreshVia {
    /// The guide's `POST {baseUrl}/auth/refresh` with `{"refresh_token": ...}`.
    Json(String),
    /// An OAuth token endpoint's refresh_token grant (RFC 6749 6).
    OAuth(String),
}

struct Config {
    base: BaseUrl,
    margin_ms: f64,
    trusted: js_sys::Array,
    refresh: RefreshVia,
    client_id: Option<String>,
    revocation: Option<String>,
    revoke_on_logout: bool,
}

struct Held {
    tokens: TokenSet,
    expiry: Expiry,
}

/// The page-wake callback and the function that removes its listeners.
type WakeListener = (Closure<dyn FnMut()>, Function);

struct Session {
    config: Config,
    held: RefCell<Option<Held>>,
    /// Bumped whenever the held tokens are replaced or dropped: a refresh started under an
    /// older generation is discarded when it finishes.
    generation: Cell<u64>,
    /// The refresh in flight (its id and a promise that always resolves), shared by callers.
    in_flight: RefCell<Option<(u64, Promise)>>,
    /// The outcome of the last refresh to finish, for the callers that awaited it.
    finished: RefCell<Option<(u64, Result<(), Error>)>>,
    next_refresh_id: Cell<u64>,
    timer: RefCell<Option<Timeout>>,
    failed_attempts: Cell<u32>,
    /// No refresh before this: 1 s after tokens arrived, or the backoff after a failed
    /// refresh (`schedule::next_step`).
    hold: Cell<Option<Hold>>,
    /// The last failed refresh's error, for callers refused during its backoff.
    last_failure: RefCell<Option<Error>>,
    events: Object,
    wake: RefCell<Option<WakeListener>>,
    disposed: Cell<bool>,
}

fn option(options: &JsValue, name: &str) -> Option<JsValue> {
    if !options.is_object() {
        return None;
    }
    Reflect::get(options, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

fn string_option(options: &JsValue, name: &str) -> Result<Option<String>, Error> {
    option(options, name)
        .map(|v| v.as_string().ok_or_else(|| Error::InvalidOptions(format!("{name} must be a string"))))
        .transpose()
}

fn url_option(options: &JsValue, name: &str) -> Result<Option<String>, Error> {
    string_option(options, name)?
        .map(|url| {
            BaseUrl::parse(&url)
                .map(|u| u.as_str().to_owned())
                .map_err(|_| Error::InvalidOptions(format!("{name} must be an http: or https: URL")))
        })
        .transpose()
}

/// The origins `fetch` may send credentials to: the base URL's and `allowedOrigins`.
pub(crate) fn trusted_origins(base: &BaseUrl, options: &JsValue) -> Result<js_sys::Array, Error> {
    let list = js_sys::Array::new();
    let origin = |url: &str| http::origin_of(url).map_err(|_| Error::InvalidOptions(format!("{url:?} is not a URL")));
    list.push(&JsValue::from_str(&origin(base.as_str())?));
    if let Some(extra) = option(options, "allowedOrigins") {
        if !js_sys::Array::is_array(&extra) {
            return Err(Error::InvalidOptions("allowedOrigins must be an array of origins".into()));
        }
        for entry in js_sys::Array::from(&extra).iter() {
            let text = entry
                .as_string()
                .ok_or_else(|| Error::InvalidOptions("allowedOrigins must be an array of origins".into()))?;
            BaseUrl::parse(&text).map_err(|_| {
                Error::InvalidOptions(format!("allowedOrigins: {text:?} is not an http: or https: origin"))
            })?;
            list.push(&JsValue::from_str(&origin(&text)?));
        }
    }
    Ok(list)
}

pub(crate) fn base_url(options: &JsValue) -> Result<BaseUrl, Error> {
    if !options.is_object() {
        return Err(Error::InvalidOptions("options must be an object with baseUrl".into()));
    }
    let base = string_option(options, "baseUrl")?.ok_or_else(|| Error::InvalidOptions("baseUrl is required".into()))?;
    BaseUrl::parse(&base)
}

impl Config {
    fn read(options: &JsValue) -> Result<Config, Error> {
        let base = base_url(options)?;
        let margin_s = match option(options, "refreshMarginSeconds") {
            None => 300.0,
            Some(v) => v.as_f64().filter(|n| n.is_finite() && *n >= 0.0).ok_or_else(|| {
                Error::InvalidOptions("refreshMarginSeconds must be a number of seconds, 0 or more".into())
            })?,
        };
        let refresh = match url_option(options, "tokenEndpoint")? {
            Some(url) => RefreshVia::OAuth(url),
            None => RefreshVia::Json(base.endpoint("/auth/refresh")),
        };
        let revoke_on_logout = match option(options, "revokeOnLogout") {
            None => true,
            Some(v) => v.as_bool().ok_or_else(|| Error::InvalidOptions("revokeOnLogout must be a boolean".into()))?,
        };
        Ok(Config {
            trusted: trusted_origins(&base, options)?,
            margin_ms: margin_s * 1000.0,
            refresh,
            client_id: string_option(options, "clientId")?,
            revocation: url_option(options, "revocationEndpoint")?,
            revoke_on_logout,
            base,
        })
    }
}

/// A snapshot of the held access token and where it stands.
struct Current {
    access: Secret,
    status: Status,
}

impl Session {
    fn current(&self) -> Result<Current, Error> {
        if self.disposed.get() {
            return Err(Error::Disposed);
        }
        let held = self.held.borrow();
        let held = held.as_ref().ok_or(Error::NotAuthenticated)?;
        Ok(Current {
            access: held.tokens.access_token.clone(),
            status: held.expiry.status(&now(), self.config.margin_ms),
        })
    }

    fn info(&self) -> JsValue {
        let held = self.held.borrow();
        let object = Object::new();
        let stamp = now();
        let (expires_at, refresh_at, scope) = match held.as_ref() {
            None => (JsValue::NULL, JsValue::NULL, JsValue::NULL),
            Some(held) => {
                let elapsed = stamp.since(&held.expiry.received);
                let at = |offset_ms: f64| JsValue::from((stamp.wall_ms + (offset_ms - elapsed).max(0.0)).round());
                let lifetime = held.expiry.lifetime_ms;
                (
                    lifetime.map_or(JsValue::NULL, at),
                    lifetime.map_or(JsValue::NULL, |l| {
                        at(crate::client::schedule::refresh_point_ms(l, self.config.margin_ms))
                    }),
                    held.tokens.scope.as_deref().map_or(JsValue::NULL, JsValue::from_str),
                )
            }
        };
        let _ = Reflect::set(&object, &"expiresAt".into(), &expires_at);
        let _ = Reflect::set(&object, &"refreshAt".into(), &refresh_at);
        let _ = Reflect::set(&object, &"scope".into(), &scope);
        object.into()
    }

    fn emit(&self, kind: &str, detail: &[(&str, JsValue)]) {
        let object = Object::new();
        for (key, value) in detail {
            let _ = Reflect::set(&object, &JsValue::from_str(key), value);
        }
        http::emit(&self.events, kind, &object);
    }

    /// Drops the held tokens and everything working on them.
    fn forget(&self) -> Option<Held> {
        self.generation.set(self.generation.get() + 1);
        self.in_flight.borrow_mut().take();
        self.timer.borrow_mut().take();
        self.failed_attempts.set(0);
        self.hold.set(None);
        self.last_failure.borrow_mut().take();
        self.held.borrow_mut().take()
    }

    /// Holds new tokens; `reason` ("login", "refresh", "setTokens") goes into `tokenchange`.
    fn install(self: &Rc<Self>, tokens: TokenSet, received: Stamp, reason: &str) {
        self.forget();
        let lifetime_ms = tokens.lifetime_ms(received.wall_ms);
        *self.held.borrow_mut() = Some(Held { tokens, expiry: Expiry { received, lifetime_ms } });
        // Whatever the tokens' lifetime (0, or a JWT already past its exp), no refresh before 1 s.
        self.hold.set(Some(Hold { from: received, wait_ms: MIN_REFRESH_DELAY_MS }));
        self.schedule();
        let detail = self.info();
        let _ = Reflect::set(&detail, &"reason".into(), &JsValue::from_str(reason));
        http::emit(&self.events, "tokenchange", &detail);
    }

    fn end_session(&self, error: Error) {
        self.forget();
        self.emit("sessionexpired", &[("error", to_js_error(&error))]);
    }

    fn arm(self: &Rc<Self>, delay_ms: f64) {
        let weak: Weak<Session> = Rc::downgrade(self);
        let timeout = Timeout::new(delay_ms.clamp(0.0, MAX_TIMER_MS) as u32, move || {
            if let Some(session) = weak.upgrade() {
                session.schedule();
            }
        });
        *self.timer.borrow_mut() = Some(timeout);
    }

    /// Looks at the held token now and acts: arm the timer for the next refresh, refresh at
    /// once if it is due or expired, or end the session if it expired with no way to refresh.
    /// Called after new tokens, by the timer, and when the page wakes up.
    fn schedule(self: &Rc<Self>) {
        self.timer.borrow_mut().take();
        let stamp = now();
        let (status, refreshable) = match self.held.borrow().as_ref() {
            None => return,
            Some(held) => (held.expiry.status(&stamp, self.config.margin_ms), held.tokens.refresh_token.is_some()),
        };
        let hold = self.hold.get();
        match (status, refreshable) {
            (Status::Fresh { refresh_in_ms: Some(ms) }, _) => self.arm(ms),
            (Status::Fresh { refresh_in_ms: None }, _) => {}
            // Too soon after the last tokens, or a failed refresh is backing off: a page wake
            // does not cut the wait short.
            (_, true) if next_step(status, &stamp, hold) != Step::Refresh => {
                self.arm(hold.map_or(0.0, |h| h.left_ms(&stamp)))
            }
            (_, true) => {
                let session = self.clone();
                spawn_local(async move {
                    let _ = session.refresh().await;
                });
            }
            (Status::Due { expires_in_ms }, false) => self.arm(expires_in_ms),
            (Status::Expired, false) => self.end_session(Error::SessionExpired),
        }
    }

    /// Refreshes, or joins the refresh already in flight.
    async fn refresh(self: &Rc<Self>) -> Result<(), Error> {
        let joined = self.in_flight.borrow().clone();
        let (id, promise) = match joined {
            Some(pair) => pair,
            None => {
                let id = self.next_refresh_id.get() + 1;
                self.next_refresh_id.set(id);
                let session = self.clone();
                let promise = future_to_promise(async move {
                    let outcome = session.run_refresh().await;
                    if session.in_flight.borrow().as_ref().is_some_and(|(running, _)| *running == id) {
                        session.in_flight.borrow_mut().take();
                    }
                    *session.finished.borrow_mut() = Some((id, outcome));
                    Ok(JsValue::UNDEFINED)
                });
                *self.in_flight.borrow_mut() = Some((id, promise.clone()));
                (id, promise)
            }
        };
        let _ = JsFuture::from(promise).await;
        match self.finished.borrow().as_ref() {
            Some((done, outcome)) if *done == id => outcome.clone(),
            _ => Ok(()),
        }
    }

    async fn run_refresh(self: &Rc<Self>) -> Result<(), Error> {
        let generation = self.generation.get();
        let refresh_token = match self.held.borrow().as_ref() {
            None => return Err(Error::NotAuthenticated),
            Some(held) => held.tokens.refresh_token.clone(),
        };
        // Tokens adopted without a refresh token cannot be renewed: expired or refused, the
        // session is over.
        let Some(refresh_token) = refresh_token else {
            self.end_session(Error::SessionExpired);
            return Err(Error::SessionExpired);
        };
        let reply = match &self.config.refresh {
            RefreshVia::Json(url) => {
                let body = crate::jose::json::object([("refresh_token", refresh_token.expose().into())]).to_string();
                http::request("POST", url, &[("content-type", "application/json")], Some(body), false).await
            }
            RefreshVia::OAuth(url) => {
                let mut pairs = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose())];
                if let Some(client_id) = &self.config.client_id {
                    pairs.push(("client_id", client_id));
                }
                http::request(
                    "POST",
                    url,
                    &[("content-type", "application/x-www-form-urlencoded")],
                    Some(form::encode(&pairs)),
                    false,
                )
                .await
            }
        };
        let received = now();
        // Logged out, logged in again or disposed meanwhile: this answer belongs to nobody.
        if self.generation.get() != generation || self.disposed.get() {
            return Err(Error::NotAuthenticated);
        }
        let outcome = match reply {
            Ok(reply) if reply.ok() => TokenSet::from_json(&reply.body).and_then(|tokens| {
                if already_expired(tokens.lifetime_ms(received.wall_ms)) {
                    Err(Error::InvalidResponse("the refreshed token is already expired".into()))
                } else {
                    Ok(tokens)
                }
            }),
            Ok(reply) => Err(reply.error(Purpose::Refresh)),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(tokens) => {
                self.install(tokens.keeping_refresh_token(Some(&refresh_token)), received, "refresh");
                Ok(())
            }
            Err(Error::SessionExpired) => {
                self.end_session(Error::SessionExpired);
                Err(Error::SessionExpired)
            }
            // Anything else (network, 5xx, 429, a malformed or already expired answer) leaves
            // the session: no refresh before the backoff (1, 2, 4 ... 30 s) has passed; retry in
            // the background while the token is valid, and let callers use it meanwhile.
            Err(error) => {
                let attempt = self.failed_attempts.get();
                self.failed_attempts.set(attempt.saturating_add(1));
                let retry_after = match &error {
                    Error::RateLimited { retry_after } => retry_after.map(|s| s as f64 * 1000.0),
                    _ => None,
                };
                let (retry, lifetime_left) = match self.held.borrow().as_ref() {
                    Some(h) => (
                        h.expiry.retry_in_ms(&received, attempt, retry_after),
                        h.expiry.lifetime_ms.map(|l| l - received.since(&h.expiry.received)),
                    ),
                    None => (None, None),
                };
                if let Some(ms) = retry {
                    self.arm(ms);
                }
                // No background retry before expiry: callers wait for expiry, then try on
                // demand, but never before the backoff has passed.
                let wait_ms = backoff_ms(attempt, retry_after).max(retry.or(lifetime_left).unwrap_or(0.0));
                self.hold.set(Some(Hold { from: received, wait_ms }));
                *self.last_failure.borrow_mut() = Some(error.clone());
                self.emit(
                    "refresherror",
                    &[("error", to_js_error(&error)), ("retryInMs", retry.map_or(JsValue::NULL, JsValue::from))],
                );
                Err(error)
            }
        }
    }

    /// The access token to send: the held one while fresh, else after a (shared) refresh.
    /// `replacing`: the token the API just refused with 401, which forces a refresh unless
    /// another caller already replaced it. Every refresh waits for `schedule::next_step`.
    async fn token(self: &Rc<Self>, replacing: Option<&Secret>) -> Result<Secret, Error> {
        // A wait is at most 1 s (`Step::Wait`); it repeats only while new tokens keep arriving,
        // and after a few seconds of that the caller refreshes (or joins the refresh) anyway.
        let started = now();
        loop {
            let before = self.current()?;
            let status = match replacing {
                // Refused by the API: as unusable as an expired one.
                Some(refused) if before.access == *refused => Status::Expired,
                // Someone else got a new token meanwhile.
                Some(_) => return Ok(before.access),
                None => before.status,
            };
            match next_step(status, &now(), self.hold.get()) {
                Step::Use => return Ok(before.access),
                Step::Wait(ms) if now().since(&started) < MAX_WAIT_MS => sleep(ms).await,
                Step::Refuse => return Err(self.last_failure.borrow().clone().unwrap_or(Error::SessionExpired)),
                Step::Wait(_) | Step::Refresh => return self.refreshed(before.access, replacing.is_some()).await,
            }
        }
    }

    /// Refreshes (or joins the refresh in flight) for a caller holding `before`, and says
    /// which token to use.
    async fn refreshed(self: &Rc<Self>, before: Secret, refused: bool) -> Result<Secret, Error> {
        let outcome = self.refresh().await;
        let after = match self.current() {
            Ok(after) => after,
            // The session ended (refused refresh token, logout): say why, if the refresh knows.
            Err(gone) => return Err(outcome.err().unwrap_or(gone)),
        };
        let usable = !matches!(after.status, Status::Expired);
        match outcome {
            Ok(()) => Ok(after.access),
            // Someone else got a new token meanwhile.
            Err(_) if after.access != before && usable => Ok(after.access),
            // The refresh failed for now but the token is still valid: use it (the background
            // retry continues), unless the API already refused it.
            Err(_) if usable && !refused => Ok(after.access),
            Err(error) => Err(error),
        }
    }

    /// `fetch` with the Bearer token; on a 401, one refresh and one retry.
    async fn fetch(self: &Rc<Self>, request: Request) -> Result<JsValue, JsValue> {
        let token = self.token(None).await.map_err(|e| to_js_error(&e))?;
        let first = JsFuture::from(http::send_with(
            &request,
            &self.config.trusted,
            "authorization",
            &format!("Bearer {}", token.expose()),
        ))
        .await?;
        if http::response_status(&first) != 401 {
            return Ok(first);
        }
        let token = match self.token(Some(&token)).await {
            Ok(token) => token,
            // The session is over: the caller gets the server's 401 (the event says why).
            Err(_) => return Ok(first),
        };
        JsFuture::from(http::send_with(
            &request,
            &self.config.trusted,
            "authorization",
            &format!("Bearer {}", token.expose()),
        ))
        .await
    }

    fn watch_wake(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(session) = weak.upgrade() {
                session.schedule();
            }
        });
        let remove = http::on_wake(callback.as_ref().unchecked_ref());
        *self.wake.borrow_mut() = Some((callback, remove));
    }

    async fn revoke(&self, held: &Held) -> bool {
        let Some(endpoint) = &self.config.revocation else { return false };
        let mut tokens = vec![(held.tokens.access_token.expose(), "access_token")];
        if let Some(refresh) = &held.tokens.refresh_token {
            tokens.insert(0, (refresh.expose(), "refresh_token"));
        }
        let mut all = true;
        for (token, hint) in tokens {
            let mut pairs = vec![("token", token), ("token_type_hint", hint)];
            if let Some(client_id) = &self.config.client_id {
                pairs.push(("client_id", client_id));
            }
            let body = Some(form::encode(&pairs));
            let sent =
                http::request("POST", endpoint, &[("content-type", "application/x-www-form-urlencoded")], body, false)
                    .await;
            all &= sent.is_ok_and(|reply| reply.ok());
        }
        all
    }
}

/// How long a caller waits for the refresh floor (`Step::Wait`, at most 1 s at a time) before it
/// refreshes anyway: only tokens arriving again and again would keep it waiting that long.
const MAX_WAIT_MS: f64 = 3_000.0;

/// Resolves after at least `ms` milliseconds (at most a second here: `Step::Wait`). Rounded up,
/// plus one: a timer may fire up to a millisecond early, and a wait that ends before the hold
/// would only wait again.
async fn sleep(ms: f64) {
    let mut timer = None;
    let promise = Promise::new(&mut |resolve, _reject| {
        timer = Some(Timeout::new((ms.ceil() + 1.0).clamp(0.0, MAX_TIMER_MS) as u32, move || {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }));
    });
    let _ = JsFuture::from(promise).await;
    drop(timer);
}

impl Session {
    fn stop_watching(&self) {
        if let Some((_callback, remove)) = self.wake.borrow_mut().take() {
            let _ = remove.call0(&JsValue::UNDEFINED);
        }
    }
}

impl Drop for Session {
    /// A TokenManager collected without `dispose()`: its page listeners must not outlive the
    /// closure they call.
    fn drop(&mut self) {
        self.stop_watching();
    }
}

/// JWT login and refresh with the tokens in memory only: scheduled refresh before expiry,
/// one shared refresh for concurrent callers, an authenticated `fetch` that retries once
/// after a 401, and events.
#[wasm_bindgen]
pub struct TokenManager {
    session: Rc<Session>,
}

fn reject(error: Error) -> Promise {
    Promise::reject(&to_js_error(&error))
}

#[wasm_bindgen]
impl TokenManager {
    /// A manager for the API at `options.baseUrl`. Nobody is logged in until `login` or `setTokens`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TokenManagerOptions")] options: JsValue,
    ) -> Result<TokenManager, JsValue> {
        let config = Config::read(&options).map_err(|e| to_js_error(&e))?;
        let session = Rc::new(Session {
            config,
            held: RefCell::new(None),
            generation: Cell::new(0),
            in_flight: RefCell::new(None),
            finished: RefCell::new(None),
            next_refresh_id: Cell::new(0),
            timer: RefCell::new(None),
            failed_attempts: Cell::new(0),
            hold: Cell::new(None),
            last_failure: RefCell::new(None),
            events: http::new_event_target(),
            wake: RefCell::new(None),
            disposed: Cell::new(false),
        });
        session.watch_wake();
        Ok(TokenManager { session })
    }

    /// Logs in with `POST {baseUrl}/auth/login`; resolves to the session's `TokenInfo`.
    /// Wrong credentials reject with ERR_AUTH_INVALID_CREDENTIALS, a 429 with ERR_AUTH_RATE_LIMITED.
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenInfo>")]
    pub fn login(&self, email: &str, password: &str) -> Promise {
        let session = self.session.clone();
        if session.disposed.get() {
            return reject(Error::Disposed);
        }
        let body = crate::jose::json::object([("email", email.into()), ("password", password.into())]).to_string();
        future_to_promise(async move {
            let url = session.config.base.endpoint("/auth/login");
            let reply = http::request("POST", &url, &[("content-type", "application/json")], Some(body), false).await;
            let received = now();
            let tokens = match reply {
                Ok(reply) if reply.ok() => TokenSet::from_json(&reply.body),
                Ok(reply) => Err(reply.error(Purpose::Login)),
                Err(error) => Err(error),
            }
            .map_err(|e| to_js_error(&e))?;
            if session.disposed.get() {
                return Err(to_js_error(&Error::Disposed));
            }
            session.install(tokens, received, "login");
            Ok(session.info())
        })
    }

    /// The access token, refreshed first if it is expired or inside the refresh margin.
    /// Rejects with ERR_AUTH_NOT_AUTHENTICATED before login, ERR_AUTH_SESSION_EXPIRED when the
    /// refresh token was refused, ERR_AUTH_NETWORK when it is expired and the server unreachable.
    #[wasm_bindgen(js_name = getToken, unchecked_return_type = "Promise<string>")]
    pub fn get_token(&self) -> Promise {
        let session = self.session.clone();
        future_to_promise(async move {
            let token = session.token(None).await.map_err(|e| to_js_error(&e))?;
            Ok(JsValue::from_str(token.expose()))
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
        future_to_promise(async move { session.fetch(request).await })
    }

    /// Adopts tokens obtained elsewhere (the OAuth redirect flow). Throws
    /// ERR_AUTH_INVALID_RESPONSE if `tokens` has no usable Bearer access token.
    #[wasm_bindgen(js_name = setTokens, unchecked_return_type = "TokenInfo")]
    pub fn set_tokens(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TokenResponse")] tokens: JsValue,
    ) -> Result<JsValue, JsValue> {
        if self.session.disposed.get() {
            return Err(to_js_error(&Error::Disposed));
        }
        let text = js_sys::JSON::stringify(&tokens).ok().and_then(|s| s.as_string()).unwrap_or_default();
        let tokens = TokenSet::from_json(text.as_bytes()).map_err(|e| to_js_error(&e))?;
        self.session.install(tokens, now(), "setTokens");
        Ok(self.session.info())
    }

    /// Forgets the tokens, cancels the timer, discards a refresh in flight, and (with a
    /// revocationEndpoint) revokes the tokens. Resolves once done; fires `logout`.
    #[wasm_bindgen(unchecked_return_type = "Promise<{ revoked: boolean }>")]
    pub fn logout(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "LogoutOptions")] options: Option<JsValue>,
    ) -> Promise {
        let session = self.session.clone();
        let revoke = option(&options.unwrap_or(JsValue::UNDEFINED), "revoke")
            .and_then(|v| v.as_bool())
            .unwrap_or(session.config.revoke_on_logout);
        let held = session.forget();
        future_to_promise(async move {
            let revoked = match &held {
                Some(held) if revoke => session.revoke(held).await,
                _ => false,
            };
            session.emit("logout", &[("revoked", JsValue::from_bool(revoked))]);
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
    }

    /// The API's base URL, as configured (without a trailing slash).
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.session.config.base.as_str().to_owned()
    }

    /// Whether tokens are held (they may still need a refresh).
    #[wasm_bindgen(getter, js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.session.held.borrow().is_some()
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
