//! A `TokenManager`'s session: the held tokens wired to timers, fetch and events. Every
//! decision (when to refresh, what a failure means, which token a caller gets) is
//! `client::schedule`'s; this file keeps one refresh in flight at a time (callers share it), a
//! generation counter so that a refresh finishing after `logout()`/`login()`/`setTokens()` is
//! discarded, and the page-wake listener.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise, spawn_local};

use super::config::Config;
use crate::Error;
use crate::client::oauth::{self, Post, TokenPurpose};
use crate::client::schedule::{self, AfterFailure, Next, RefreshState, Step};
use crate::client::{Expiry, Secret, Stamp, Status, TokenSet};
use crate::web::http::{self, now, web_request::Request};

/// setTimeout's largest delay; longer ones fire at once, so longer waits are re-armed.
const MAX_TIMER_MS: f64 = 2_147_483_647.0;

pub(super) struct Held {
    tokens: TokenSet,
    expiry: Expiry,
}

/// The page-wake callback and the function that removes its listeners.
type WakeListener = (Closure<dyn FnMut()>, Function);

pub(super) struct Session {
    pub(super) config: Config,
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
    /// Failures, hold and last error: `schedule::RefreshState` decides with them.
    refreshes: RefCell<RefreshState>,
    pub(super) events: Object,
    wake: RefCell<Option<WakeListener>>,
    pub(super) disposed: Cell<bool>,
}

/// A snapshot of the held access token and where it stands.
struct Current {
    access: Secret,
    status: Status,
}

/// Sends a request the core built and reads the whole answer.
pub(crate) async fn send(post: &Post, extra_headers: &[(&str, &str)], max_bytes: f64) -> Result<http::Reply, Error> {
    let mut headers = vec![("content-type", post.content_type)];
    headers.extend_from_slice(extra_headers);
    http::request_limited("POST", &post.url, &headers, Some(post.body.expose().to_owned()), false, max_bytes).await
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
        });
        session.watch_wake();
        session
    }

    pub(super) fn is_authenticated(&self) -> bool {
        self.held.borrow().is_some()
    }

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

    /// Holds new tokens; `reason` ("login", "refresh", "setTokens") goes into `tokenchange`.
    pub(super) fn install(self: &Rc<Self>, tokens: TokenSet, received: Stamp, reason: &str) {
        self.forget();
        let lifetime_ms = tokens.lifetime_ms(received.wall_ms);
        *self.held.borrow_mut() = Some(Held { tokens, expiry: Expiry { received, lifetime_ms } });
        self.refreshes.borrow_mut().tokens_arrived(received);
        self.schedule();
        let detail = self.info();
        let _ = Reflect::set(&detail, &"reason".into(), &JsValue::from_str(reason));
        http::emit(&self.events, "tokenchange", &detail);
    }

    fn end_session(&self, error: Error) {
        self.forget();
        self.emit("sessionexpired", &[("error", JsValue::from(&error))]);
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

    /// Asks `RefreshState::next` what to do about the held token now, and does it. Called after
    /// new tokens, by the timer, and when the page wakes up.
    fn schedule(self: &Rc<Self>) {
        self.timer.borrow_mut().take();
        let next = match self.held.borrow().as_ref() {
            None => return,
            Some(held) => self.refreshes.borrow().next(
                &held.expiry,
                held.tokens.refresh_token.is_some(),
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
                spawn_local(async move {
                    let _ = session.refresh().await;
                });
            }
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

    /// One refresh request, and what `RefreshState::failed` says after a failure.
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
        let request = oauth::refresh_request(&self.config.refresh, &refresh_token, self.config.client_id.as_deref());
        let reply = send(&request, &[], http::DEFAULT_MAX_RESPONSE_BYTES).await;
        let received = now();
        // Logged out, logged in again or disposed meanwhile: this answer belongs to nobody.
        if self.generation.get() != generation || self.disposed.get() {
            return Err(Error::NotAuthenticated);
        }
        let outcome = reply
            .and_then(|reply| oauth::process_token_response(TokenPurpose::SessionRefresh, reply.answer()))
            .and_then(|tokens| schedule::renewal(tokens, &refresh_token, received.wall_ms));
        let error = match outcome {
            Ok(tokens) => {
                self.install(tokens, received, "refresh");
                return Ok(());
            }
            Err(error) => error,
        };
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

    /// The access token to send: the held one while fresh, else after a (shared) refresh.
    /// `replacing`: the token the API just refused with 401, which forces a refresh unless
    /// another caller already replaced it. `RefreshState::caller_step` says when to refresh.
    pub(super) async fn token(self: &Rc<Self>, replacing: Option<&Secret>) -> Result<Secret, Error> {
        let started = now();
        loop {
            let before = self.current()?;
            let refused = replacing.map(|refused| before.access == *refused);
            let stamp = now();
            let step = self.refreshes.borrow().caller_step(before.status, refused, &stamp, stamp.since(&started));
            match step {
                Step::Use => return Ok(before.access),
                Step::Wait(ms) => sleep(ms).await,
                Step::Refuse => return Err(self.refreshes.borrow().refusal()),
                Step::Refresh => return self.refreshed(before.access, replacing.is_some()).await,
            }
        }
    }

    /// Refreshes (or joins the refresh in flight) for a caller holding `before`, and says
    /// which token to use (`schedule::use_after_refresh`).
    async fn refreshed(self: &Rc<Self>, before: Secret, refused: bool) -> Result<Secret, Error> {
        let outcome = self.refresh().await;
        let after = match self.current() {
            Ok(after) => after,
            // The session ended (refused refresh token, logout): say why, if the refresh knows.
            Err(gone) => return Err(outcome.err().unwrap_or(gone)),
        };
        let replaced = after.access != before;
        match outcome {
            Err(error) if !schedule::use_after_refresh(false, after.status, replaced, refused) => Err(error),
            _ => Ok(after.access),
        }
    }

    /// `fetch` with the Bearer token; on a 401, one refresh and one retry.
    pub(super) async fn fetch(self: &Rc<Self>, request: Request) -> Result<JsValue, JsValue> {
        let token = self.token(None).await?;
        let first = JsFuture::from(self.send_with_token(&request, &token)).await?;
        if http::response_status(&first) != 401 {
            return Ok(first);
        }
        let token = match self.token(Some(&token)).await {
            Ok(token) => token,
            // The session is over: the caller gets the server's 401 (the event says why).
            Err(_) => return Ok(first),
        };
        JsFuture::from(self.send_with_token(&request, &token)).await
    }

    fn send_with_token(&self, request: &Request, token: &Secret) -> Promise {
        http::send_with(request, &self.config.trusted, "authorization", &format!("Bearer {}", token.expose()))
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

    /// Sends `client::oauth::logout_revocations`; whether the server confirmed them all.
    pub(super) async fn revoke(&self, held: &Held) -> bool {
        let Some(endpoint) = &self.config.revocation else { return false };
        let mut all = true;
        for request in oauth::logout_revocations(endpoint, &held.tokens, self.config.client_id.as_deref()) {
            let sent = send(&request, &[], http::DEFAULT_MAX_RESPONSE_BYTES).await;
            all &= sent.is_ok_and(|reply| oauth::process_revocation_response(reply.answer()).is_ok());
        }
        all
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

impl Drop for Session {
    /// A TokenManager collected without `dispose()`: its page listeners must not outlive the
    /// closure they call.
    fn drop(&mut self) {
        self.stop_watching();
    }
}
