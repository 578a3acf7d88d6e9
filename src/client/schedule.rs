//! When to refresh an access token, as pure functions of the time: before it expires (by a
//! margin), never with a stale token, and with backoff after failures.
//!
//! A token's expiry is measured from when its answer arrived plus `expires_in` (not from the
//! `exp` claim, so a client clock that is off does not matter). Elapsed time is the larger of
//! the wall-clock and the monotonic clock differences: the wall clock keeps running while a
//! laptop sleeps (when monotonic timers may stop), and the monotonic clock keeps running when
//! the user sets the wall clock back. Either way the token is never believed younger than it is.

use super::secret::Secret;
use super::token_set::TokenSet;
use crate::Error;

/// A moment, read from both clocks (milliseconds): `Date.now()` and `performance.now()`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    /// Milliseconds since the Unix epoch.
    pub wall_ms: f64,
    /// Milliseconds of a monotonic clock with any origin.
    pub mono_ms: f64,
}

impl Stamp {
    /// Milliseconds from `earlier` to `self`, never negative.
    pub fn since(&self, earlier: &Stamp) -> f64 {
        let wall = self.wall_ms - earlier.wall_ms;
        let mono = self.mono_ms - earlier.mono_ms;
        wall.max(mono).max(0.0)
    }
}

/// No refresh starts sooner than this after a token arrived or a refresh failed, whatever
/// the token's lifetime: a server handing out one-second (or already expired) tokens must not
/// drive a tight refresh loop.
pub const MIN_REFRESH_DELAY_MS: f64 = 1_000.0;

/// Background retries after a failed refresh (network error, 5xx) wait 1 s, 2 s, 4 s, ...
/// up to this.
pub const MAX_RETRY_DELAY_MS: f64 = 30_000.0;

/// How long an access token lives, counted from when it was received.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expiry {
    /// When the token answer arrived.
    pub received: Stamp,
    /// Its lifetime; `None` when the server said nothing (then only a 401 triggers a refresh).
    pub lifetime_ms: Option<f64>,
}

/// Where a token stands at some moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    /// Use it; refresh in `refresh_in_ms` (`None`: no known expiry, never scheduled).
    Fresh {
        /// Milliseconds until the scheduled refresh.
        refresh_in_ms: Option<f64>,
    },
    /// Still valid for `expires_in_ms`, but inside the refresh margin: refresh now.
    Due {
        /// Milliseconds of validity left.
        expires_in_ms: f64,
    },
    /// Past its lifetime: it must not be sent.
    Expired,
}

/// Milliseconds after receipt at which a token of `lifetime_ms` is refreshed: `margin_ms`
/// before it expires, but never before half of its life has passed (a token living less than
/// twice the margin is refreshed at mid-life), and never sooner than [`MIN_REFRESH_DELAY_MS`],
/// even when the token lives less than that (or arrived expired): then it is expired for a
/// moment, and callers wait for the refresh.
pub fn refresh_point_ms(lifetime_ms: f64, margin_ms: f64) -> f64 {
    let lifetime = lifetime_ms.max(0.0);
    let early = margin_ms.max(0.0).min(lifetime / 2.0);
    (lifetime - early).max(MIN_REFRESH_DELAY_MS)
}

/// How long to wait before the next refresh after the `attempt`-th failed one (0 for the
/// first): 1 s, 2 s, 4 s, ... up to [`MAX_RETRY_DELAY_MS`], and at least the server's
/// Retry-After. Applies whether or not the token is still valid.
pub fn backoff_ms(attempt: u32, retry_after_ms: Option<f64>) -> f64 {
    let backoff = (MIN_REFRESH_DELAY_MS * 2f64.powi(attempt.min(16) as i32)).min(MAX_RETRY_DELAY_MS);
    backoff.max(retry_after_ms.filter(|ms| ms.is_finite()).unwrap_or(0.0))
}

/// A refresh answer whose token has no life left (`expires_in: 0`, or no `expires_in` and a
/// JWT `exp` in the past) renews nothing: it counts as a failed refresh, so that it backs off
/// instead of being refreshed again at once.
pub fn already_expired(lifetime_ms: Option<f64>) -> bool {
    lifetime_ms.is_some_and(|ms| ms <= 0.0)
}

/// "No refresh before `wait_ms` have passed since `from`": set when tokens arrive (the 1 s
/// floor) and after a failed refresh (the backoff). Time passes on both clocks, as for
/// [`Stamp::since`]: a page whose timers were frozen while the wall clock moved on (a background
/// tab, a laptop asleep) is not held back longer than the time that really passed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hold {
    /// When the hold started.
    pub from: Stamp,
    /// How long it lasts, in milliseconds.
    pub wait_ms: f64,
}

impl Hold {
    /// Milliseconds left at `now` (0 or less: over).
    pub fn left_ms(&self, now: &Stamp) -> f64 {
        self.wait_ms - now.since(&self.from)
    }
}

/// What a caller asking for the token (or the scheduler) does next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Use the held token as it is.
    Use,
    /// Refresh now (or join the refresh in flight).
    Refresh,
    /// The token cannot be used and the next refresh may not start for this many
    /// milliseconds (at most [`MIN_REFRESH_DELAY_MS`]): wait, then look again.
    Wait(f64),
    /// The token cannot be used and refreshes are backing off after failures: fail now with
    /// the last refresh's error rather than send another request.
    Refuse,
}

/// The one rule every refresh goes through, whoever asks (the timer, `getToken()`, a 401):
/// no refresh starts while `hold` lasts ([`MIN_REFRESH_DELAY_MS`] after the last token
/// arrived, or the backoff after the last failure), so the server is asked at most once a
/// second whatever its answers say. A usable token is used meanwhile; an unusable one
/// (`Expired`, or refused by the API with a 401) is waited for when the wait is short, and
/// refused when it is a backoff.
pub fn next_step(status: Status, now: &Stamp, hold: Option<Hold>) -> Step {
    let wait = hold.map_or(0.0, |h| h.left_ms(now));
    match status {
        Status::Fresh { .. } => Step::Use,
        Status::Due { .. } if wait > 0.0 => Step::Use,
        Status::Due { .. } => Step::Refresh,
        Status::Expired if wait <= 0.0 => Step::Refresh,
        Status::Expired if wait <= MIN_REFRESH_DELAY_MS => Step::Wait(wait),
        Status::Expired => Step::Refuse,
    }
}

impl Expiry {
    /// The token's status at `now`.
    pub fn status(&self, now: &Stamp, margin_ms: f64) -> Status {
        let Some(lifetime) = self.lifetime_ms else { return Status::Fresh { refresh_in_ms: None } };
        let elapsed = now.since(&self.received);
        if elapsed >= lifetime {
            return Status::Expired;
        }
        let point = refresh_point_ms(lifetime, margin_ms);
        if elapsed < point {
            Status::Fresh { refresh_in_ms: Some(point - elapsed) }
        } else {
            Status::Due { expires_in_ms: lifetime - elapsed }
        }
    }

    /// When to retry after the `attempt`-th failed refresh (0 for the first): exponential
    /// backoff, capped, at least the server's Retry-After, and only while the token is still
    /// valid when the retry would run. `None`: no more retries in the background (once the
    /// token has expired, the next `getToken()` tries again).
    pub fn retry_in_ms(&self, now: &Stamp, attempt: u32, retry_after_ms: Option<f64>) -> Option<f64> {
        let delay = backoff_ms(attempt, retry_after_ms);
        let left = self.lifetime_ms? - now.since(&self.received);
        (delay < left).then_some(delay)
    }
}

/// Whether a caller asking for the token must refresh first (see [`next_step`]): an expired
/// token needs it unless refreshes are held back; one inside the margin needs it unless a
/// refresh failed recently (`hold`): callers then keep using the still-valid token instead of
/// sending one refresh request per API call while the server is down.
pub fn must_refresh(status: Status, now: &Stamp, hold: Option<Hold>) -> bool {
    next_step(status, now, hold) == Step::Refresh
}

/// A `TokenManager`'s default refresh margin (`refreshMarginSeconds`: 300).
pub const DEFAULT_SESSION_MARGIN_MS: f64 = 300_000.0;

/// A `ClientCredentials` client's default refresh margin (`refreshMarginSeconds`: 60): its
/// tokens are short-lived and cheap to fetch again.
pub const DEFAULT_CLIENT_CREDENTIALS_MARGIN_MS: f64 = 60_000.0;

/// How long a caller waits for the refresh floor ([`Step::Wait`], at most 1 s at a time) before
/// it refreshes anyway: only tokens arriving again and again would keep it waiting that long.
pub const MAX_CALLER_WAIT_MS: f64 = 3_000.0;

/// What the scheduler does next about the held token (after new tokens, when its timer fires,
/// when the page wakes up).
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Look again in this many milliseconds.
    Arm(f64),
    /// Refresh now (or join the refresh in flight).
    RefreshNow,
    /// The session is over (expired with no refresh token): drop the tokens, report this.
    EndSession(Error),
    /// Nothing to schedule (no known expiry: only a 401 triggers a refresh).
    Idle,
}

/// What to do after a refresh failed.
#[derive(Debug, Clone, PartialEq)]
pub enum AfterFailure {
    /// The refresh token was refused: the session is over.
    EndSession(Error),
    /// Keep the session and back off: retry in the background in `retry_in_ms` (`None`: not
    /// before the token expires; then the next caller tries, after the backoff).
    Retry {
        /// When to retry in the background, if at all.
        retry_in_ms: Option<f64>,
    },
}

/// One session's refresh bookkeeping: failures so far, the hold (the 1 s floor after tokens
/// arrived, or the backoff after a failure) and the last failure, for callers refused while it
/// lasts. The web layer keeps one, tells it what happened, and does what it answers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RefreshState {
    failed_attempts: u32,
    hold: Option<Hold>,
    last_failure: Option<Error>,
}

impl RefreshState {
    /// Tokens dropped: nothing held back any more.
    pub fn reset(&mut self) {
        *self = RefreshState::default();
    }

    /// New tokens arrived at `received`: whatever their lifetime (0, or a JWT already past its
    /// `exp`), no refresh before [`MIN_REFRESH_DELAY_MS`].
    pub fn tokens_arrived(&mut self, received: Stamp) {
        *self =
            RefreshState { hold: Some(Hold { from: received, wait_ms: MIN_REFRESH_DELAY_MS }), ..Default::default() };
    }

    /// The hold in force, if any.
    pub fn hold(&self) -> Option<Hold> {
        self.hold
    }

    /// The scheduler's decision for a token of `expiry` (`refreshable`: a refresh token is
    /// held) at `now`: arm the timer for the next refresh, refresh at once if it is due or
    /// expired, or end the session if it expired with no way to refresh. Too soon after the last
    /// tokens, or while a failed refresh backs off, it waits (a page wake does not cut it short).
    pub fn next(&self, expiry: &Expiry, refreshable: bool, margin_ms: f64, now: &Stamp) -> Next {
        let status = expiry.status(now, margin_ms);
        match (status, refreshable) {
            (Status::Fresh { refresh_in_ms: Some(ms) }, _) => Next::Arm(ms),
            (Status::Fresh { refresh_in_ms: None }, _) => Next::Idle,
            (_, true) if next_step(status, now, self.hold) != Step::Refresh => {
                Next::Arm(self.hold.map_or(0.0, |h| h.left_ms(now)))
            }
            (_, true) => Next::RefreshNow,
            (Status::Due { expires_in_ms }, false) => Next::Arm(expires_in_ms),
            (Status::Expired, false) => Next::EndSession(Error::SessionExpired),
        }
    }

    /// A caller's next step for the held token of `status` ([`next_step`]), having waited
    /// `waited_ms` so far: a wait longer than [`MAX_CALLER_WAIT_MS`] in all becomes a refresh.
    /// `refused`: the caller's token was refused by the API (401): `Some(true)` when it is still
    /// the held one (then as unusable as an expired one), `Some(false)` when another caller has
    /// replaced it meanwhile (then the held one is used).
    pub fn caller_step(&self, status: Status, refused: Option<bool>, now: &Stamp, waited_ms: f64) -> Step {
        let status = match refused {
            Some(true) => Status::Expired,
            Some(false) => return Step::Use,
            None => status,
        };
        match next_step(status, now, self.hold) {
            Step::Wait(_) if waited_ms >= MAX_CALLER_WAIT_MS => Step::Refresh,
            step => step,
        }
    }

    /// The error a caller refused during a backoff ([`Step::Refuse`]) gets: the last refresh's.
    pub fn refusal(&self) -> Error {
        self.last_failure.clone().unwrap_or(Error::SessionExpired)
    }

    /// A refresh answered at `received` failed with `error`; `expiry` is the held token's.
    /// A refused refresh token ends the session. Anything else (network, 5xx, 429, a malformed
    /// or already expired answer) leaves it: no refresh before the backoff (1, 2, 4 ... 30 s,
    /// at least Retry-After) has passed; retry in the background while the token is valid, and
    /// let callers use it meanwhile; with no retry before expiry, callers wait for expiry and
    /// then try on demand, but never before the backoff has passed.
    pub fn failed(&mut self, error: &Error, expiry: Option<&Expiry>, received: Stamp) -> AfterFailure {
        if *error == Error::SessionExpired {
            return AfterFailure::EndSession(Error::SessionExpired);
        }
        let attempt = self.failed_attempts;
        self.failed_attempts = attempt.saturating_add(1);
        let retry_after = match error {
            Error::RateLimited { retry_after } => retry_after.seconds().map(|s| s as f64 * 1000.0),
            _ => None,
        };
        let retry = expiry.and_then(|e| e.retry_in_ms(&received, attempt, retry_after));
        let lifetime_left = expiry.and_then(|e| e.lifetime_ms.map(|l| l - received.since(&e.received)));
        let wait_ms = backoff_ms(attempt, retry_after).max(retry.or(lifetime_left).unwrap_or(0.0));
        self.hold = Some(Hold { from: received, wait_ms });
        self.last_failure = Some(error.clone());
        AfterFailure::Retry { retry_in_ms: retry }
    }
}

/// A refresh's answer, as the tokens to hold: one without life left renews nothing and counts as
/// a failed refresh ([`already_expired`]); one without a new refresh token keeps `previous`
/// (`None`: the refresh token is the API's cookie, never held here).
pub fn renewal(tokens: TokenSet, previous: Option<&Secret>, received_wall_ms: f64) -> Result<TokenSet, Error> {
    if already_expired(tokens.lifetime_ms(received_wall_ms)) {
        return Err(Error::InvalidResponse("the refreshed token is already expired".into()));
    }
    Ok(tokens.keeping_refresh_token(previous))
}

/// Whether a caller whose refresh (or the one it joined) finished uses the token now held
/// (`held`; `replaced`: another than the one it had), rather than fail with the refresh's
/// error. A failed refresh leaves a still valid token usable (the background retry continues),
/// unless the API already refused that very token (`refused_by_api`).
pub fn use_after_refresh(refresh_ok: bool, held: Status, replaced: bool, refused_by_api: bool) -> bool {
    let usable = !matches!(held, Status::Expired);
    refresh_ok || (usable && (replaced || !refused_by_api))
}

impl Expiry {
    /// `(expires_at, refresh_at)` on the wall clock (ms since the epoch, whole), seen at `now`;
    /// `None` without a known lifetime. Times already past read as `now`.
    pub fn wall_times(&self, now: &Stamp, margin_ms: f64) -> Option<(f64, f64)> {
        let lifetime = self.lifetime_ms?;
        let elapsed = now.since(&self.received);
        let at = |offset_ms: f64| (now.wall_ms + (offset_ms - elapsed).max(0.0)).round();
        Some((at(lifetime), at(refresh_point_ms(lifetime, margin_ms))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NetworkFailure;

    const MARGIN: f64 = 300_000.0;

    fn network(reason: &str) -> Error {
        Error::Network(Box::new(NetworkFailure { reason: reason.into(), request: None, cors_page: None }))
    }

    fn at(wall_ms: f64, mono_ms: f64) -> Stamp {
        Stamp { wall_ms, mono_ms }
    }

    fn expiry(lifetime_s: f64) -> Expiry {
        Expiry { received: at(1_000_000.0, 50.0), lifetime_ms: Some(lifetime_s * 1000.0) }
    }

    fn after(ms: f64) -> Stamp {
        at(1_000_000.0 + ms, 50.0 + ms)
    }

    #[test]
    fn an_hour_token_is_refreshed_five_minutes_before_expiry() {
        let e = expiry(3600.0);
        assert_eq!(e.status(&after(0.0), MARGIN), Status::Fresh { refresh_in_ms: Some(3_300_000.0) });
        assert_eq!(e.status(&after(3_299_999.0), MARGIN), Status::Fresh { refresh_in_ms: Some(1.0) });
        assert_eq!(e.status(&after(3_300_000.0), MARGIN), Status::Due { expires_in_ms: 300_000.0 });
        assert_eq!(e.status(&after(3_599_999.0), MARGIN), Status::Due { expires_in_ms: 1.0 });
        assert_eq!(e.status(&after(3_600_000.0), MARGIN), Status::Expired);
    }

    #[test]
    fn a_token_shorter_than_twice_the_margin_is_refreshed_at_mid_life() {
        assert_eq!(refresh_point_ms(600_000.0, MARGIN), 300_000.0);
        assert_eq!(refresh_point_ms(400_000.0, MARGIN), 200_000.0);
        assert_eq!(refresh_point_ms(60_000.0, MARGIN), 30_000.0);
        // A few seconds with a small margin: the margin applies.
        assert_eq!(refresh_point_ms(6_000.0, 2_000.0), 4_000.0);
        assert_eq!(expiry(60.0).status(&after(30_000.0), MARGIN), Status::Due { expires_in_ms: 30_000.0 });
    }

    #[test]
    fn tiny_lifetimes_never_make_a_tight_loop() {
        assert_eq!(refresh_point_ms(1_500.0, MARGIN), 1_000.0);
        // Below the floor, or expired on arrival: still no sooner than the floor.
        assert_eq!(refresh_point_ms(500.0, MARGIN), 1_000.0);
        assert_eq!(refresh_point_ms(0.0, MARGIN), 1_000.0);
        assert_eq!(expiry(0.0).status(&after(0.0), MARGIN), Status::Expired);
        // A zero or negative margin means "at expiry".
        assert_eq!(refresh_point_ms(10_000.0, 0.0), 10_000.0);
        assert_eq!(refresh_point_ms(10_000.0, -5.0), 10_000.0);
    }

    #[test]
    fn no_lifetime_means_no_schedule() {
        let e = Expiry { received: at(0.0, 0.0), lifetime_ms: None };
        assert_eq!(e.status(&at(1e12, 1e12), MARGIN), Status::Fresh { refresh_in_ms: None });
        assert_eq!(e.retry_in_ms(&at(0.0, 0.0), 0, None), None);
    }

    #[test]
    fn sleep_counts_through_the_wall_clock() {
        // The laptop slept 2 hours: the monotonic clock did not move, the wall clock did.
        let e = expiry(3600.0);
        let woke = at(1_000_000.0 + 7_200_000.0, 50.0 + 10.0);
        assert_eq!(e.status(&woke, MARGIN), Status::Expired);
    }

    #[test]
    fn a_wall_clock_set_back_does_not_make_a_token_younger() {
        // 59 minutes passed (monotonic) but the user set the clock back one day.
        let e = expiry(3600.0);
        let now = at(1_000_000.0 - 86_400_000.0, 50.0 + 3_540_000.0);
        assert_eq!(e.status(&now, MARGIN), Status::Due { expires_in_ms: 60_000.0 });
    }

    #[test]
    fn a_wall_clock_set_forward_refreshes_early_but_safely() {
        let e = expiry(3600.0);
        let now = at(1_000_000.0 + 3_400_000.0, 50.0 + 1_000.0);
        assert_eq!(e.status(&now, MARGIN), Status::Due { expires_in_ms: 200_000.0 });
    }

    #[test]
    fn a_clock_before_receipt_counts_as_no_time() {
        let e = expiry(3600.0);
        let now = at(0.0, 0.0);
        assert_eq!(e.status(&now, MARGIN), Status::Fresh { refresh_in_ms: Some(3_300_000.0) });
    }

    #[test]
    fn retries_back_off_and_stop_before_expiry() {
        let e = expiry(3600.0);
        let now = after(3_300_000.0);
        let delays: Vec<_> = (0..7).map(|n| e.retry_in_ms(&now, n, None)).collect();
        assert_eq!(
            delays,
            [
                Some(1_000.0),
                Some(2_000.0),
                Some(4_000.0),
                Some(8_000.0),
                Some(16_000.0),
                Some(30_000.0),
                Some(30_000.0)
            ]
        );
        assert_eq!(e.retry_in_ms(&now, u32::MAX, None), Some(30_000.0));
        // 1.5 s left: the 1 s retry runs, the 2 s one would be too late.
        let late = after(3_598_500.0);
        assert_eq!(e.retry_in_ms(&late, 0, None), Some(1_000.0));
        assert_eq!(e.retry_in_ms(&late, 1, None), None);
        assert_eq!(e.retry_in_ms(&after(3_600_000.0), 0, None), None);
    }

    #[test]
    fn retry_after_is_a_floor() {
        let e = expiry(3600.0);
        let now = after(3_300_000.0);
        assert_eq!(e.retry_in_ms(&now, 0, Some(20_000.0)), Some(20_000.0));
        assert_eq!(e.retry_in_ms(&now, 5, Some(20_000.0)), Some(30_000.0));
        assert_eq!(e.retry_in_ms(&now, 0, Some(400_000.0)), None, "beyond expiry");
    }

    /// A hold of `ms` that started at `now`.
    fn hold(now: Stamp, wait_ms: f64) -> Option<Hold> {
        Some(Hold { from: now, wait_ms })
    }

    #[test]
    fn callers_refresh_when_expired_or_due_but_not_during_a_retry_backoff() {
        let now = at(0.0, 10_000.0);
        let due = Status::Due { expires_in_ms: 60_000.0 };
        assert!(!must_refresh(Status::Fresh { refresh_in_ms: Some(5.0) }, &now, None));
        assert!(must_refresh(due, &now, None));
        assert!(!must_refresh(due, &now, hold(now, 2_000.0)), "a retry is pending: use the valid token");
        assert!(must_refresh(due, &now, hold(now, 0.0)));
        assert!(must_refresh(Status::Expired, &now, None));
        assert!(must_refresh(Status::Expired, &now, hold(at(0.0, 9_000.0), 1_000.0)));
    }

    #[test]
    fn an_expired_token_waits_for_the_floor_and_is_refused_during_a_backoff() {
        let now = at(0.0, 10_000.0);
        // Just arrived expired: the first refresh waits for the 1 s floor.
        assert_eq!(next_step(Status::Expired, &now, hold(at(0.0, 9_600.0), 1_000.0)), Step::Wait(600.0));
        assert_eq!(next_step(Status::Expired, &now, hold(now, 1_000.0)), Step::Wait(1_000.0));
        // Backing off after failures: no request, the caller gets the last error.
        assert_eq!(next_step(Status::Expired, &now, hold(now, 4_000.0)), Step::Refuse);
        assert_eq!(next_step(Status::Expired, &now, hold(at(0.0, 5_000.0), 4_000.0)), Step::Refresh);
        assert_eq!(next_step(Status::Fresh { refresh_in_ms: None }, &now, hold(now, 99_000.0)), Step::Use);
        assert_eq!(next_step(Status::Due { expires_in_ms: 5.0 }, &now, hold(now, 1.0)), Step::Use);
    }

    #[test]
    fn a_hold_ends_with_the_wall_clock_when_timers_were_frozen() {
        // A background tab: the monotonic clock (and every timer) stood still while a minute
        // passed on the wall clock. The 1 s hold is over; the expired token is refreshed.
        let set = at(1_000_000.0, 50.0);
        let woke = at(1_060_000.0, 50.0);
        assert_eq!(next_step(Status::Expired, &woke, hold(set, 1_000.0)), Step::Refresh);
        // A wall clock set back does not prolong it either.
        let later = at(0.0, 1_050.0);
        assert_eq!(next_step(Status::Expired, &later, hold(set, 1_000.0)), Step::Refresh);
    }

    #[test]
    fn backoff_doubles_to_thirty_seconds_and_honours_retry_after() {
        let delays: Vec<_> = (0..7).map(|n| backoff_ms(n, None)).collect();
        assert_eq!(delays, [1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0, 30_000.0, 30_000.0]);
        assert_eq!(backoff_ms(u32::MAX, None), 30_000.0);
        assert_eq!(backoff_ms(0, Some(20_000.0)), 20_000.0);
        assert_eq!(backoff_ms(0, Some(f64::NAN)), 1_000.0);
    }

    #[test]
    fn an_answer_without_life_left_is_a_failed_refresh() {
        assert!(already_expired(Some(0.0)));
        assert!(!already_expired(Some(1_000.0)));
        assert!(!already_expired(None), "no lifetime: only a 401 triggers a refresh");
    }

    /// A server answering every refresh with `expires_in: 0`, and a caller asking for the
    /// token every 10 ms for 3 s: the rule lets through one refresh after the floor, then one
    /// per backoff step (1 s, 2 s, ...), not one per call.
    #[test]
    fn a_server_of_expired_tokens_gets_a_handful_of_refreshes() {
        let mut held = hold(at(0.0, 0.0), MIN_REFRESH_DELAY_MS); // a token arrived at 0, expired
        let mut attempt = 0;
        let mut refreshes = 0;
        let mut t = 0.0;
        while t < 3_000.0 {
            let now = at(t, t);
            if next_step(Status::Expired, &now, held) == Step::Refresh {
                refreshes += 1;
                // The answer is expired again: a failed refresh.
                held = hold(now, backoff_ms(attempt, None));
                attempt += 1;
            }
            t += 10.0;
        }
        assert_eq!(refreshes, 2, "at 1 s and 2 s; the next is due at 4 s");
    }

    #[test]
    fn the_scheduler_arms_refreshes_waits_or_ends_the_session() {
        let e = expiry(3600.0);
        let mut state = RefreshState::default();
        state.tokens_arrived(after(0.0));
        assert_eq!(state.next(&e, true, MARGIN, &after(0.0)), Next::Arm(3_300_000.0));
        assert_eq!(state.next(&e, true, MARGIN, &after(3_300_000.0)), Next::RefreshNow);
        assert_eq!(state.next(&e, false, MARGIN, &after(3_300_000.0)), Next::Arm(300_000.0), "wait for expiry");
        assert_eq!(state.next(&e, false, MARGIN, &after(3_600_000.0)), Next::EndSession(Error::SessionExpired));
        assert_eq!(state.next(&e, true, MARGIN, &after(3_600_000.0)), Next::RefreshNow);
        let opaque = Expiry { received: after(0.0), lifetime_ms: None };
        assert_eq!(state.next(&opaque, true, MARGIN, &after(99.0)), Next::Idle);
        // Arrived expired: the 1 s floor first, also after a page wake.
        let dead = expiry(0.0);
        state.tokens_arrived(after(0.0));
        assert_eq!(state.next(&dead, true, MARGIN, &after(400.0)), Next::Arm(600.0));
        assert_eq!(state.next(&dead, true, MARGIN, &after(1_000.0)), Next::RefreshNow);
    }

    #[test]
    fn failures_back_off_end_the_session_or_reset() {
        let e = expiry(3600.0);
        let mut state = RefreshState::default();
        state.tokens_arrived(after(0.0));
        let t = after(3_300_000.0);
        assert_eq!(state.failed(&network("down"), Some(&e), t), AfterFailure::Retry { retry_in_ms: Some(1_000.0) });
        assert_eq!(state.hold(), hold(t, 1_000.0));
        assert_eq!(state.refusal(), network("down"));
        assert_eq!(state.next(&e, true, MARGIN, &t), Next::Arm(1_000.0), "a page wake waits for the backoff");
        assert_eq!(
            state.failed(&Error::RateLimited { retry_after: Some(20).into() }, Some(&e), t),
            AfterFailure::Retry { retry_in_ms: Some(20_000.0) }
        );
        // Too late for a background retry: hold until expiry (here 2 s left), at least the backoff.
        let late = after(3_598_000.0);
        assert_eq!(state.failed(&network("down"), Some(&e), late), AfterFailure::Retry { retry_in_ms: None });
        assert_eq!(state.hold(), hold(late, 4_000.0));
        assert_eq!(
            state.failed(&Error::SessionExpired, Some(&e), late),
            AfterFailure::EndSession(Error::SessionExpired)
        );
        state.reset();
        assert_eq!(state, RefreshState::default());
        assert_eq!(state.refusal(), Error::SessionExpired);
        // No lifetime: no background retry, the backoff alone holds.
        assert_eq!(state.failed(&network("x"), None, t), AfterFailure::Retry { retry_in_ms: None });
        assert_eq!(state.hold(), hold(t, 1_000.0));
    }

    #[test]
    fn callers_wait_for_the_floor_at_most_three_seconds() {
        let mut state = RefreshState::default();
        let now = at(0.0, 10_000.0);
        state.tokens_arrived(at(0.0, 9_600.0));
        assert_eq!(state.caller_step(Status::Expired, None, &now, 0.0), Step::Wait(600.0));
        assert_eq!(state.caller_step(Status::Expired, None, &now, 2_999.0), Step::Wait(600.0));
        assert_eq!(state.caller_step(Status::Expired, None, &now, MAX_CALLER_WAIT_MS), Step::Refresh);
        let valid = Status::Due { expires_in_ms: 9.0 };
        assert_eq!(state.caller_step(valid, None, &now, 0.0), Step::Use);
        // Refused by the API (401): waits for the floor like an expired token, then refreshes;
        // already replaced by another caller: the new one is used.
        assert_eq!(state.caller_step(valid, Some(true), &now, 0.0), Step::Wait(600.0));
        assert_eq!(state.caller_step(valid, Some(true), &at(0.0, 10_600.0), 0.0), Step::Refresh);
        assert_eq!(state.caller_step(Status::Expired, Some(false), &now, 0.0), Step::Use);
    }

    #[test]
    fn a_renewal_must_have_life_left_and_keeps_the_refresh_token() {
        let old = Secret::new("rt-old".into());
        let fresh = TokenSet::from_json(br#"{"access_token":"a","expires_in":60}"#).expect("valid");
        let kept = renewal(fresh, Some(&old), 0.0).expect("renews");
        assert_eq!(kept.refresh_token, Some(old.clone()));
        let dead = TokenSet::from_json(br#"{"access_token":"a","expires_in":0}"#).expect("valid");
        assert_eq!(renewal(dead, Some(&old), 0.0).expect_err("expired").code(), "ERR_AUTH_INVALID_RESPONSE");
    }

    #[test]
    fn after_a_refresh_a_caller_uses_a_valid_token_unless_the_api_refused_it() {
        let valid = Status::Due { expires_in_ms: 1.0 };
        assert!(use_after_refresh(true, Status::Expired, false, true));
        assert!(use_after_refresh(false, valid, true, true), "someone else replaced it");
        assert!(use_after_refresh(false, valid, false, false), "still valid: the retry continues");
        assert!(!use_after_refresh(false, valid, false, true), "the API refused this very token");
        assert!(!use_after_refresh(false, Status::Expired, true, false));
    }

    #[test]
    fn wall_times_count_from_receipt() {
        let e = expiry(3600.0);
        assert_eq!(e.wall_times(&after(600_000.0), MARGIN), Some((4_600_000.0, 4_300_000.0)));
        assert_eq!(e.wall_times(&after(4_000_000.0), MARGIN), Some((5_000_000.0, 5_000_000.0)), "past: now");
        assert_eq!(Expiry { received: after(0.0), lifetime_ms: None }.wall_times(&after(0.0), MARGIN), None);
    }
}
