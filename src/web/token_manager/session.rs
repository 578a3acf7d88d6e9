//! A `TokenManager`'s session: the held tokens wired to timers, fetch, events and peer tabs.
//! Every decision (when to refresh, what a failure means, which token a caller gets, what a
//! peer's message means) is `client::schedule`'s or `client::tabs`'; this file keeps one
//! refresh in flight at a time (callers share it), a generation counter so that a refresh
//! finishing after `logout()`/`login()`/`setTokens()` or a peer's tokens is discarded, and the
//! page-wake listener.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::config::Config;
use super::tabs::Tabs;
use crate::Error;
use crate::client::oauth::{self, Post, TokenPurpose};
use crate::client::schedule::{self, AfterFailure, Next, RefreshState};
use crate::client::tabs::{self as peers, Arrival, Ended};
use crate::client::{Expiry, Secret, Stamp, Status, TokenSet};
use crate::web::dpop::{Boxed, Dpop};
use crate::web::http::{self, now};

/// setTimeout's largest delay; longer ones fire at once, so longer waits are re-armed.
const MAX_TIMER_MS: f64 = 2_147_483_647.0;

#[wasm_bindgen(module = "/src/web/client.js")]
extern "C" {
    #[wasm_bindgen(js_name = startTimer)]
    fn start_timer(ms: u32, callback: &Function) -> Function;
    fn delay(ms: u32) -> js_sys::Array;
}

/// A timer of client.js; dropped, it is cancelled.
pub(super) struct Timer(Function);

impl Drop for Timer {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::UNDEFINED);
    }
}

/// A promise resolved after `ms` milliseconds (at most [`MAX_TIMER_MS`]), and the function that
/// resolves it sooner.
pub(super) fn delay_of(ms: f64) -> (Promise, Function) {
    let pair = delay(ms.clamp(0.0, MAX_TIMER_MS) as u32);
    (pair.get(0).unchecked_into(), pair.get(1).unchecked_into())
}

pub(super) struct Held {
    pub(super) tokens: TokenSet,
    pub(super) expiry: Expiry,
}

/// The session's wake-up callback (`Session::schedule`, for the refresh timer and the page-wake
/// listeners) and the function that removes its page listeners.
type WakeListener = (Closure<dyn Fn()>, Function);

pub(super) struct Session {
    pub(super) config: Config,
    pub(super) held: RefCell<Option<Held>>,
    /// Bumped whenever the held tokens are replaced or dropped: a refresh started under an
    /// older generation is discarded when it finishes.
    pub(super) generation: Cell<u64>,
    /// The refresh in flight (its id and a promise that always resolves), shared by callers.
    in_flight: RefCell<Option<(u64, Promise)>>,
    /// The outcome of the last refresh to finish, for the callers that awaited it.
    finished: RefCell<Option<(u64, Result<(), Error>)>>,
    next_refresh_id: Cell<u64>,
    timer: RefCell<Option<Timer>>,
    /// Failures, hold and last error: `schedule::RefreshState` decides with them.
    pub(super) refreshes: RefCell<RefreshState>,
    pub(super) events: Object,
    wake: RefCell<Option<WakeListener>>,
    pub(super) disposed: Cell<bool>,
    /// The peer tabs sharing this session (`crossTab`), where the runtime allows.
    pub(super) tabs: RefCell<Option<Rc<Tabs>>>,
    /// This tab's standing among its peers (`client::tabs`): the session's epoch, and the
    /// refreshes counted in it.
    pub(super) epoch: Cell<f64>,
    pub(super) rotation: Cell<u64>,
    /// Resolves `restore()`'s wait for a peer's tokens.
    pub(super) awaiting_peer: RefCell<Option<Function>>,
    /// The `restore()` running, shared by concurrent callers.
    pub(super) restoring: RefCell<Option<Promise>>,
}

/// A snapshot of the held access token and where it stands.
pub(super) struct Current {
    pub(super) access: Secret,
    pub(super) status: Status,
}

/// Sends a request the core built and reads the whole answer; one reading or asking for the
/// refresh cookie goes with its header and with the browser's cookies. With `dpop`, the request
/// carries a proof (`access`: the access token it carries too, for the proof's `ath`), and is
/// sent once more if the server asks for a nonce.
pub(crate) fn send<'a>(
    post: &'a Post,
    extra_headers: &'a [(&'a str, &'a str)],
    max_bytes: f64,
    dpop: Option<(&'a Dpop, Option<&'a Secret>)>,
) -> Boxed<'a, http::Reply> {
    Box::pin(async move {
        let mut headers = vec![("content-type", post.content_type)];
        if post.refresh_cookie {
            headers.push(oauth::REFRESH_COOKIE_HEADER);
        }
        headers.extend_from_slice(extra_headers);
        if let Some((dpop, access)) = dpop {
            return dpop.post(&post.url, &headers, &post.body, access, post.refresh_cookie, max_bytes).await;
        }
        let body = Some(post.body.expose().to_owned());
        http::request_limited("POST", &post.url, &headers, body, post.refresh_cookie, max_bytes).await
    })
}

impl Session {
    pub(super) fn new(config: Config) -> Rc<Session> {
        let session = Rc::new(Session {
            config,
            held: RefCell::new(None),
            generation: Cell::new(0),
            in_flight: RefCell::new(None),
            finished: RefCell::new(None),
            next_refresh_id: Cell::new(0),
            timer: RefCell::new(None),
            refreshes: RefCell::new(RefreshState::default()),
            events: http::new_event_target(),
            wake: RefCell::new(None),
            disposed: Cell::new(false),
            tabs: RefCell::new(None),
            epoch: Cell::new(0.0),
            rotation: Cell::new(0),
            awaiting_peer: RefCell::new(None),
            restoring: RefCell::new(None),
        });
        session.watch_wake();
        session.join_peers();
        session
    }

    pub(super) fn is_authenticated(&self) -> bool {
        self.held.borrow().is_some()
    }

    pub(super) fn current(&self) -> Result<Current, Error> {
        if self.disposed.get() {
            return Err(Error::Disposed);
        }
        let held = self.held.borrow();
        let held = held.as_ref().ok_or(Error::NotAuthenticated { client: true })?;
        Ok(Current {
            access: held.tokens.access_token.clone(),
            status: held.expiry.status(&now(), self.config.margin_ms),
        })
    }

    pub(super) fn info(&self) -> JsValue {
        let held = self.held.borrow();
        let times = held.as_ref().and_then(|h| h.expiry.wall_times(&now(), self.config.margin_ms));
        let scope = held.as_ref().and_then(|h| h.tokens.scope.as_deref());
        let object = Object::new();
        let _ = Reflect::set(&object, &"expiresAt".into(), &times.map_or(JsValue::NULL, |t| t.0.into()));
        let _ = Reflect::set(&object, &"refreshAt".into(), &times.map_or(JsValue::NULL, |t| t.1.into()));
        let _ = Reflect::set(&object, &"scope".into(), &scope.map_or(JsValue::NULL, JsValue::from_str));
        object.into()
    }

    pub(super) fn emit(&self, kind: &str, detail: &[(&str, JsValue)]) {
        let object = Object::new();
        for (key, value) in detail {
            let _ = Reflect::set(&object, &JsValue::from_str(key), value);
        }
        http::emit(&self.events, kind, &object);
    }

    /// Drops the held tokens and everything working on them.
    pub(super) fn forget(&self) -> Option<Held> {
        self.generation.set(self.generation.get() + 1);
        self.in_flight.borrow_mut().take();
        self.timer.borrow_mut().take();
        self.refreshes.borrow_mut().reset();
        self.held.borrow_mut().take()
    }

    /// Holds tokens of this tab's own (`arrival` is not `Peer`) whose request left at `sent` and
    /// whose answer arrived at `received`, tells the peers, and fires `tokenchange`.
    pub(super) fn install(self: &Rc<Self>, tokens: TokenSet, sent: Stamp, received: Stamp, arrival: Arrival) {
        let lifetime_ms = tokens.lifetime_ms(received.wall_ms);
        let (epoch, rotation) = arrival.standing_after((self.epoch.get(), self.rotation.get()), &sent);
        self.hold(tokens, Expiry { received, lifetime_ms }, epoch, rotation);
        self.tell_peers_tokens();
        self.announce(arrival);
    }

    /// Holds `tokens` (this tab's or a peer's) at `(epoch, rotation)` and schedules their refresh.
    pub(super) fn hold(self: &Rc<Self>, tokens: TokenSet, expiry: Expiry, epoch: f64, rotation: u64) {
        self.forget();
        // A lock wait for the tokens replaced here has become pointless.
        if let Some(tabs) = self.tabs.borrow().as_ref() {
            tabs.stop_waiting();
        }
        self.epoch.set(epoch);
        self.rotation.set(rotation);
        *self.held.borrow_mut() = Some(Held { tokens, expiry });
        self.refreshes.borrow_mut().tokens_arrived(expiry.received);
        self.schedule();
    }

    pub(super) fn announce(&self, arrival: Arrival) {
        let detail = self.info();
        let _ = Reflect::set(&detail, &"reason".into(), &JsValue::from_str(arrival.reason()));
        http::emit(&self.events, "tokenchange", &detail);
    }

    pub(super) fn end_session(&self, error: Error) {
        self.forget();
        self.forget_dpop_key();
        self.tell_peers_ended(Ended::Expired);
        self.emit("sessionexpired", &[("error", JsValue::from(&error))]);
    }

    fn arm(&self, delay_ms: f64) {
        let timer = match self.wake.borrow().as_ref() {
            Some((callback, _)) => {
                start_timer(delay_ms.clamp(0.0, MAX_TIMER_MS) as u32, callback.as_ref().unchecked_ref())
            }
            // Disposed: nothing is scheduled any more.
            None => return,
        };
        *self.timer.borrow_mut() = Some(Timer(timer));
    }

    /// Asks `RefreshState::next` what to do about the held token now, and does it. Called after
    /// new tokens, by the timer, and when the page wakes up.
    fn schedule(self: &Rc<Self>) {
        self.timer.borrow_mut().take();
        let next = match self.held.borrow().as_ref() {
            None => return,
            Some(held) => self.refreshes.borrow().next(
                &held.expiry,
                held.tokens.refresh_token.is_some() || self.config.refresh_cookie,
                self.config.margin_ms,
                &now(),
            ),
        };
        match next {
            Next::Arm(ms) => self.arm(ms),
            Next::Idle => {}
            Next::EndSession(error) => self.end_session(error),
            Next::RefreshNow => {
                let session = self.clone();
                // Its outcome goes to the callers and listeners; nobody awaits this promise.
                let _ = http::promise(async move {
                    let _ = session.refresh().await;
                    Ok(JsValue::UNDEFINED)
                });
            }
        }
    }

    /// Refreshes, or joins the refresh already in flight.
    pub(super) async fn refresh(self: &Rc<Self>) -> Result<(), Error> {
        let joined = self.in_flight.borrow().clone();
        let (id, promise) = match joined {
            Some(pair) => pair,
            None => {
                let id = self.next_refresh_id.get() + 1;
                self.next_refresh_id.set(id);
                let session = self.clone();
                let promise = http::promise(async move {
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

    /// One refresh request (under the peers' lock), and what `RefreshState::failed` says after
    /// a failure.
    async fn run_refresh(self: &Rc<Self>) -> Result<(), Error> {
        let generation = self.generation.get();
        let (request, access, refresh_token) = match self.held.borrow().as_ref() {
            None => return Err(Error::NotAuthenticated { client: true }),
            Some(held) => (
                oauth::session_refresh_request(
                    &self.config.refresh,
                    held.tokens.refresh_token.as_ref(),
                    self.config.client_id.as_deref(),
                ),
                held.tokens.access_token.clone(),
                held.tokens.refresh_token.clone(),
            ),
        };
        // Tokens adopted without a refresh token cannot be renewed: expired or refused, the
        // session is over.
        let Some(request) = request else {
            self.end_session(Error::SessionExpired);
            return Err(Error::SessionExpired);
        };
        let lock = match self.lock_for(&access).await {
            Ok(lock) => lock,
            Err(error) => return self.refresh_failed(error, now()),
        };
        // A peer refreshed (or the session ended) while this tab waited for the lock.
        if self.generation.get() != generation {
            return Ok(());
        }
        // The refresh cookie is one for all tabs, a restoring tab's too: its own lock, held only
        // while the request runs.
        let cookie_lock = match self.cookie_lock().await {
            Ok(lock) => lock,
            Err(error) => return self.refresh_failed(error, now()),
        };
        if self.generation.get() != generation {
            return Ok(());
        }
        let sent = now();
        let reply = send(&request, &[], http::DEFAULT_MAX_RESPONSE_BYTES, self.dpop()).await;
        let received = now();
        // Logged out, logged in again or disposed meanwhile: this answer belongs to nobody.
        if self.generation.get() != generation || self.disposed.get() {
            return Err(Error::NotAuthenticated { client: true });
        }
        let outcome = reply
            .and_then(|reply| oauth::process_token_response(TokenPurpose::SessionRefresh, reply.answer()))
            .and_then(|tokens| self.check_token_type(tokens))
            .and_then(|tokens| schedule::renewal(tokens, refresh_token.as_ref(), received.wall_ms));
        match outcome {
            Ok(tokens) => {
                // The browser holds the new cookie already: the next redemption may start.
                drop(cookie_lock);
                self.install(tokens, sent, received, Arrival::Refresh);
                if let Some(lock) = lock {
                    lock.release(peers::REDEEMED_LOCK_HOLD_MS);
                }
                Ok(())
            }
            Err(error) => {
                drop((cookie_lock, lock));
                self.refresh_failed(error, received)
            }
        }
    }

    /// A refresh failed at `received`: end the session, or back off and tell the listeners.
    fn refresh_failed(self: &Rc<Self>, error: Error, received: Stamp) -> Result<(), Error> {
        let expiry = self.held.borrow().as_ref().map(|h| h.expiry);
        // Bound first: ending the session or a listener of the event borrows `refreshes` again.
        let after = self.refreshes.borrow_mut().failed(&error, expiry.as_ref(), received);
        match after {
            AfterFailure::EndSession(error) => self.end_session(error),
            AfterFailure::Retry { retry_in_ms } => {
                if let Some(ms) = retry_in_ms {
                    self.arm(ms);
                }
                self.emit(
                    "refresherror",
                    &[
                        ("error", JsValue::from(&error)),
                        ("retryInMs", retry_in_ms.map_or(JsValue::NULL, JsValue::from)),
                    ],
                );
            }
        }
        Err(error)
    }

    fn watch_wake(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        // `Fn`, not `FnMut`: the timer and the page's wake events share this closure, and a
        // `sessionexpired` listener may wake the page while it runs; an `FnMut` closure called
        // again while running throws (wasm-bindgen), and that wake would be lost.
        let callback = Closure::<dyn Fn()>::new(move || {
            if let Some(session) = weak.upgrade() {
                session.schedule();
            }
        });
        let remove = http::on_wake(callback.as_ref().unchecked_ref());
        *self.wake.borrow_mut() = Some((callback, remove));
    }

    /// Ends the session at the server: the refresh cookie's logout (`refreshTokenInCookie`:
    /// only the API can clear an HttpOnly cookie), and `client::oauth::logout_revocations` of
    /// the tokens this tab held, when `revoke` and there is a revocation endpoint. Whether the
    /// server confirmed them all (`false` when nothing was sent).
    pub(super) async fn end_at_server(&self, held: Option<&Held>, revoke: bool) -> bool {
        let mut requests = Vec::new();
        // With the access token, which the API deny-lists too (baseUrl is trusted with it).
        let access = held.map(|held| (format!("{} {}", held.tokens.scheme(), held.tokens.access_token.expose()), held));
        if self.config.refresh_cookie {
            requests.push((oauth::cookie_logout_request(&self.config.base), access.as_ref()));
        }
        if let (Some(endpoint), Some(held), true) = (&self.config.revocation, held, revoke) {
            let client_id = self.config.client_id.as_deref();
            requests
                .extend(oauth::logout_revocations(endpoint, &held.tokens, client_id).into_iter().map(|r| (r, None)));
        }
        let mut all = !requests.is_empty();
        for (request, access) in &requests {
            let headers: &[(&str, &str)] = match access {
                Some((value, _)) => &[("authorization", value)],
                None => &[],
            };
            let dpop = self.config.dpop.as_deref().map(|dpop| {
                let bound = access.filter(|(_, held)| held.tokens.dpop).map(|(_, held)| &held.tokens.access_token);
                (dpop, bound)
            });
            let sent = send(request, headers, http::DEFAULT_MAX_RESPONSE_BYTES, dpop).await;
            all &= sent.is_ok_and(|reply| oauth::process_revocation_response(reply.answer()).is_ok());
        }
        all
    }

    /// The session is over: its DPoP key pair goes too (from IndexedDB as well).
    pub(super) fn forget_dpop_key(&self) {
        if let Some(dpop) = &self.config.dpop {
            dpop.forget();
        }
    }

    /// The DPoP state token requests go with (`dpop: true`), without an access token.
    pub(super) fn dpop(&self) -> Option<(&Dpop, Option<&Secret>)> {
        self.config.dpop.as_deref().map(|dpop| (dpop, None))
    }

    /// A token answer's `token_type` against the `dpop` option (`client::dpop::check_token_type`).
    pub(super) fn check_token_type(&self, tokens: TokenSet) -> Result<TokenSet, Error> {
        crate::client::dpop::check_token_type(&tokens, self.config.dpop.is_some())?;
        Ok(tokens)
    }

    pub(super) fn stop_watching(&self) {
        if let Some((_callback, remove)) = self.wake.borrow_mut().take() {
            let _ = remove.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Resolves after at least `ms` milliseconds (at most a second here: `Step::Wait`). Rounded up,
/// plus one: a timer may fire up to a millisecond early, and a wait that ends before the hold
/// would only wait again.
pub(super) async fn sleep(ms: f64) {
    let _ = JsFuture::from(delay_of(ms.ceil() + 1.0).0).await;
}

impl Drop for Session {
    /// A TokenManager collected without `dispose()`: its page listeners must not outlive the
    /// closure they call.
    fn drop(&mut self) {
        self.stop_watching();
    }
}
