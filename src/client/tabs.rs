//! One session shared by the tabs of an origin: what a tab tells its peers, and what it does
//! with what they tell it. The web layer carries these messages over a BroadcastChannel and
//! takes the Web Locks named here; every rule is decided in this file.
//!
//! - Epochs order sessions. A login (or `setTokens`) starts a new epoch and a logout ends one;
//!   both take `max(now, known + 1)` on the shared wall clock, so a tab that just opened (and
//!   knows no epoch) still starts one later than any logout its peers saw. Tokens of an older
//!   epoch than a tab's are never adopted: a refresh answered after a logout cannot bring the
//!   session back.
//! - Within an epoch, `rotation` counts refreshes; a tab adopts a peer's tokens only when they
//!   are newer than its own.
//! - Exactly one tab redeems a refresh token: the refresh of the tokens whose access token is T
//!   takes the lock named for T's hash. The tab that redeemed keeps that lock for
//!   [`REDEEMED_LOCK_HOLD_MS`] after broadcasting the new tokens, so a peer granted the lock
//!   before the broadcast reached it (the lock and the channel are not ordered with each other)
//!   cannot redeem the same refresh token again. A peer that adopts the new tokens gives up its
//!   wait at once.

use crate::jose::jws::b64_encode;
use sha2::{Digest, Sha256};

use super::schedule::{Expiry, Stamp};
use super::secret::Secret;
use super::token_set::TokenSet;
use crate::jose::json::{self, Map, Value};

/// How long a tab waits for a peer's refresh lock before it reports `ERR_AUTH_LOCK_TIMEOUT`
/// (and retries later, as after a network error): a tab frozen or hung while it holds the lock
/// delays the others by at most this, and never makes them redeem the refresh token it holds.
pub const LOCK_WAIT_MS: f64 = 10_000.0;

/// How long the tab that redeemed a refresh token keeps its lock after broadcasting the new
/// tokens: as long as any peer could still be waiting for it ([`LOCK_WAIT_MS`]).
pub const REDEEMED_LOCK_HOLD_MS: f64 = LOCK_WAIT_MS;

/// How long `restore()` waits for a logged-in peer to answer before it goes on alone.
pub const PEER_ANSWER_WAIT_MS: f64 = 150.0;

/// Version of the message format: a tab running another version ignores them.
const VERSION: i64 = 1;

/// The channel (and lock prefix) of a `TokenManager` for the API at `base_url` that refreshes
/// at `refresh_url` (as `client_id`, if any; `cookie`: with the refresh cookie): managers that
/// refresh differently (the guide's /auth/refresh, an OAuth token endpoint, the cookie) hold
/// different sessions, even for one API. So do a `dpop: true` manager and one without
/// ([`binding`]): the first must never be handed the other's Bearer tokens, nor the second
/// DPoP-bound ones.
pub fn token_manager_key(
    base_url: &str,
    refresh_url: &str,
    client_id: Option<&str>,
    cookie: bool,
    dpop: bool,
) -> String {
    let transport = if cookie { " cookie " } else { " body " };
    ["wasm-auth session ", base_url, " ", refresh_url, transport, client_id.unwrap_or(""), binding(dpop)].concat()
}

/// The channel (and lock prefix) of an `OAuthClient`'s session (`dpop`: as for a manager).
pub fn oauth_key(issuer: &str, client_id: &str, dpop: bool) -> String {
    ["wasm-auth oauth ", issuer, " ", client_id, binding(dpop)].concat()
}

/// The end of a session's key that keeps DPoP and Bearer sessions apart (empty for Bearer, so
/// that a Bearer session's key is what it was).
fn binding(dpop: bool) -> &'static str {
    if dpop { " dpop" } else { "" }
}

/// The lock a tab takes to refresh the tokens whose access token is `access` (`None`: the
/// refresh cookie's, see [`cookie_lock_name`]). A hash: lock names are visible to any script of
/// the origin through `navigator.locks.query()`.
pub fn lock_name(key: &str, access: Option<&Secret>) -> String {
    let tag = match access {
        Some(token) => {
            let digest = Sha256::digest(token.expose().as_bytes());
            b64_encode(&digest[..12])
        }
        None => "none".into(),
    };
    [key, " refresh ", &tag].concat()
}

/// The lock every request redeeming the refresh cookie holds, a restore's and a refresh's alike,
/// only while it runs: the browser keeps one cookie for all tabs, so two redemptions in turn
/// each present the newest cookie, but two at once would present the same one.
pub fn cookie_lock_name(key: &str) -> String {
    lock_name(key, None)
}

/// A new epoch: later than `known` and than any earlier one on the shared wall clock. A login
/// starts one, and so does the end of a session, whatever ended it (logout, a refused refresh
/// token), so that tokens of the epoch that ended (a peer's late broadcast of them) are refused
/// everywhere.
pub fn next_epoch(known: f64, now: &Stamp) -> f64 {
    now.wall_ms.floor().max(known + 1.0)
}

/// How a tab's tokens arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// `login()`.
    Login,
    /// `setTokens()` (the OAuth redirect).
    SetTokens,
    /// A refresh of the session this tab holds.
    Refresh,
    /// `restore()`, with the refresh cookie.
    Restore,
    /// A peer tab's broadcast.
    Peer,
}

impl Arrival {
    /// The `reason` of the `tokenchange` event.
    pub fn reason(self) -> &'static str {
        match self {
            Arrival::Login => "login",
            Arrival::SetTokens => "setTokens",
            Arrival::Refresh => "refresh",
            Arrival::Restore => "restore",
            Arrival::Peer => "peer",
        }
    }

    /// This tab's `(epoch, rotation)` once tokens of this kind arrived, from `before`: a refresh
    /// counts one more rotation; a login, `setTokens` or restore starts an epoch (a restore too:
    /// its tokens come from a cookie no peer had), dated `sent`, when its request left. So a
    /// logout in another tab while the request was on its way orders later, and the answer is
    /// dropped everywhere when that logout arrives. A peer's tokens bring their own standing.
    pub fn standing_after(self, before: (f64, u64), sent: &Stamp) -> (f64, u64) {
        match self {
            Arrival::Refresh | Arrival::Peer => (before.0, before.1 + 1),
            Arrival::Login | Arrival::SetTokens | Arrival::Restore => (next_epoch(before.0, sent), 0),
        }
    }
}

/// Why a tab's session ended, as its peers are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `logout()`: the peers fire `logout`.
    Logout,
    /// The refresh token was refused: the peers fire `sessionexpired`.
    Expired,
}

/// Tokens as one tab hands them to another.
#[derive(Debug, Clone, PartialEq)]
pub struct Shared {
    /// The session's epoch.
    pub epoch: f64,
    /// Refreshes so far in this epoch.
    pub rotation: u64,
    /// The tokens (the refresh token too, unless it lives in an HttpOnly cookie).
    pub tokens: TokenSet,
    /// Milliseconds of life the access token had left when it was sent (`None`: unknown).
    pub left_ms: Option<f64>,
}

/// What travels on the channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A tab that just opened asks whether a peer holds the session.
    Hello,
    /// The session's tokens: after a login, a refresh or `setTokens`, and in answer to `Hello`.
    Tokens(Shared),
    /// The session ended in one tab: every tab drops it. `epoch` is the one it ended with.
    Ended {
        /// The epoch the session ended with.
        epoch: f64,
        /// Logout, or a refused refresh token.
        why: Ended,
    },
}

/// Where this tab stands, for [`react`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// The epoch of this tab's session (or of the last one it saw end).
    pub epoch: f64,
    /// Refreshes this tab knows of in its epoch.
    pub rotation: u64,
    /// Whether this tab holds tokens.
    pub holding: bool,
}

/// What a tab does with a peer's message.
#[derive(Debug, Clone, PartialEq)]
pub enum Reaction {
    /// Answer with this tab's tokens (a peer said `Hello`).
    Answer,
    /// Hold the peer's tokens (newer than this tab's).
    Adopt(Shared),
    /// Drop the session (a peer logged out, or its refresh token was refused).
    Drop {
        /// The epoch the session ended with: this tab's from now on.
        epoch: f64,
        /// What the peer said.
        why: Ended,
    },
    /// Nothing: stale, already known, or not for this tab.
    Ignore,
}

/// The rule for a peer's `message` at `mine`.
pub fn react(mine: &Standing, message: Message) -> Reaction {
    match message {
        Message::Hello if mine.holding => Reaction::Answer,
        Message::Hello => Reaction::Ignore,
        Message::Tokens(shared) => {
            let newer = shared.epoch > mine.epoch
                || (shared.epoch == mine.epoch && (!mine.holding || shared.rotation > mine.rotation));
            if newer { Reaction::Adopt(shared) } else { Reaction::Ignore }
        }
        Message::Ended { epoch, why } if epoch >= mine.epoch && mine.holding => Reaction::Drop { epoch, why },
        // Not holding: only the epoch moves on, so older tokens are refused from now on.
        Message::Ended { epoch, why } if epoch > mine.epoch => Reaction::Drop { epoch, why },
        Message::Ended { .. } => Reaction::Ignore,
    }
}

impl Shared {
    /// The tokens this tab holds, with the life they have left at `now`.
    pub fn new(epoch: f64, rotation: u64, tokens: &TokenSet, expiry: &Expiry, now: &Stamp) -> Shared {
        let left_ms = expiry.lifetime_ms.map(|lifetime| (lifetime - now.since(&expiry.received)).max(0.0));
        Shared { epoch, rotation, tokens: tokens.clone(), left_ms }
    }

    /// When a peer's tokens expire, counted on this tab's clocks from `now`.
    pub fn expiry(&self, now: Stamp) -> Expiry {
        Expiry { received: now, lifetime_ms: self.left_ms }
    }
}

impl Message {
    /// The JSON text posted on the channel. It holds the tokens: it goes to same-origin tabs
    /// only, never to storage.
    pub fn encode(&self) -> Secret {
        let kind = |name: &str| ("kind", Value::from(name));
        let text = match self {
            Message::Hello => json::object([("v", VERSION.into()), kind("hello")]).to_string(),
            Message::Ended { epoch, why } => json::object([
                ("v", VERSION.into()),
                kind("ended"),
                ("epoch", (*epoch as i64).into()),
                ("why", if *why == Ended::Logout { "logout" } else { "expired" }.into()),
            ])
            .to_string(),
            Message::Tokens(shared) => {
                let tokens = &shared.tokens;
                json::object([
                    ("v", VERSION.into()),
                    kind("tokens"),
                    ("epoch", (shared.epoch as i64).into()),
                    ("rotation", (shared.rotation as i64).into()),
                    ("left_ms", shared.left_ms.map(|ms| Value::from(ms as i64)).unwrap_or(Value::Null)),
                    ("access_token", tokens.access_token.expose().into()),
                    ("token_type", tokens.scheme().into()),
                    ("refresh_token", tokens.refresh_token.as_ref().map(|t| t.expose()).into()),
                    ("scope", tokens.scope.as_deref().into()),
                ])
                .to_string()
            }
        };
        Secret::new(text)
    }

    /// A peer's message, or `None` for anything this version does not understand (another
    /// version, a malformed or foreign message): it is ignored, never half-read.
    pub fn decode(text: &str) -> Option<Message> {
        let object = json::parse_object(text.as_bytes()).ok()?;
        if number(&object, "v")? != VERSION as f64 {
            return None;
        }
        match object.get("kind")?.as_str()? {
            "hello" => Some(Message::Hello),
            "ended" => {
                let why = match object.get("why")?.as_str()? {
                    "logout" => Ended::Logout,
                    "expired" => Ended::Expired,
                    _ => return None,
                };
                Some(Message::Ended { epoch: number(&object, "epoch")?, why })
            }
            "tokens" => {
                let left_ms = match object.get("left_ms")? {
                    Value::Null => None,
                    value => Some(value.as_f64().filter(|ms| *ms >= 0.0)?),
                };
                let rotation = number(&object, "rotation")?;
                // The same checks as a server's answer: a peer's tokens are never trusted more.
                let tokens = TokenSet::from_map(&object).ok()?;
                Some(Message::Tokens(Shared {
                    epoch: number(&object, "epoch")?,
                    rotation: rotation as u64,
                    tokens: TokenSet { expires_in: None, ..tokens },
                    left_ms,
                }))
            }
            _ => None,
        }
    }
}

/// A whole, non-negative number member.
fn number(object: &Map, name: &str) -> Option<f64> {
    object.get(name)?.as_f64().filter(|n| *n >= 0.0 && n.fract() == 0.0 && n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(ms: f64) -> Stamp {
        Stamp { wall_ms: 1_700_000_000_000.0 + ms, mono_ms: ms }
    }

    fn tokens(access: &str, refresh: Option<&str>) -> TokenSet {
        TokenSet {
            access_token: Secret::new(access.into()),
            refresh_token: refresh.map(|r| Secret::new(r.into())),
            expires_in: None,
            scope: Some("read write".into()),
            id_token: None,
            dpop: false,
        }
    }

    fn shared(epoch: f64, rotation: u64) -> Shared {
        Shared { epoch, rotation, tokens: tokens("at", Some("rt")), left_ms: Some(1000.0) }
    }

    #[test]
    fn messages_survive_the_channel() {
        for message in [
            Message::Hello,
            Message::Ended { epoch: 17.0, why: Ended::Logout },
            Message::Ended { epoch: 17.0, why: Ended::Expired },
            Message::Tokens(shared(1_700_000_000_123.0, 4)),
            Message::Tokens(Shared { left_ms: None, tokens: tokens("at\"\\x", None), ..shared(3.0, 0) }),
            // A DPoP-bound token stays bound (its key pair travels beside the message).
            Message::Tokens(Shared { tokens: TokenSet { dpop: true, ..tokens("at", Some("rt")) }, ..shared(5.0, 1) }),
        ] {
            assert_eq!(Message::decode(message.encode().expose()), Some(message));
        }
    }

    #[test]
    fn anything_else_on_the_channel_is_ignored() {
        for text in [
            "",
            "null",
            "[]",
            r#"{"kind":"hello"}"#,
            r#"{"v":2,"kind":"hello"}"#,
            r#"{"v":1,"kind":"bye"}"#,
            r#"{"v":1,"kind":"ended","epoch":1,"why":"other"}"#,
            r#"{"v":1,"kind":"ended","epoch":-1,"why":"logout"}"#,
            r#"{"v":1,"kind":"tokens","epoch":1,"rotation":0,"left_ms":5}"#,
            r#"{"v":1,"kind":"tokens","epoch":1,"rotation":0.5,"left_ms":5,"access_token":"a"}"#,
            r#"{"v":1,"kind":"tokens","epoch":1,"rotation":0,"left_ms":-5,"access_token":"a"}"#,
            r#"{"v":1,"kind":"tokens","epoch":1,"rotation":0,"left_ms":5,"access_token":"a b"}"#,
            r#"{"v":1,"kind":"tokens","epoch":1,"rotation":0,"access_token":"a"}"#,
        ] {
            assert_eq!(Message::decode(text), None, "{text}");
        }
    }

    #[test]
    fn newer_tokens_are_adopted_older_ones_ignored() {
        let holding = Standing { epoch: 10.0, rotation: 3, holding: true };
        assert_eq!(react(&holding, Message::Tokens(shared(10.0, 4))), Reaction::Adopt(shared(10.0, 4)));
        assert_eq!(react(&holding, Message::Tokens(shared(11.0, 0))), Reaction::Adopt(shared(11.0, 0)));
        assert_eq!(react(&holding, Message::Tokens(shared(10.0, 3))), Reaction::Ignore);
        assert_eq!(react(&holding, Message::Tokens(shared(10.0, 2))), Reaction::Ignore);
        assert_eq!(react(&holding, Message::Tokens(shared(9.0, 99))), Reaction::Ignore);
        let empty = Standing { epoch: 10.0, rotation: 0, holding: false };
        assert_eq!(react(&empty, Message::Tokens(shared(10.0, 0))), Reaction::Adopt(shared(10.0, 0)));
        assert_eq!(react(&empty, Message::Tokens(shared(9.0, 5))), Reaction::Ignore);
    }

    #[test]
    fn a_refresh_answered_after_a_logout_never_brings_the_session_back() {
        // Tab A refreshes in epoch 10; tab B logs out, which ends epoch 10 with epoch 11.
        let mut b = Standing { epoch: 10.0, rotation: 0, holding: true };
        b.epoch = next_epoch(b.epoch, &Stamp { wall_ms: 0.0, mono_ms: 0.0 });
        b.holding = false;
        assert_eq!(b.epoch, 11.0);
        // A's answer, broadcast before A heard of the logout, reaches B and C: both refuse it.
        let c = Standing { epoch: 11.0, rotation: 0, holding: false };
        assert_eq!(react(&b, Message::Tokens(shared(10.0, 1))), Reaction::Ignore);
        assert_eq!(react(&c, Message::Tokens(shared(10.0, 1))), Reaction::Ignore);
        // And A drops its session when the logout reaches it.
        let a = Standing { epoch: 10.0, rotation: 1, holding: true };
        let ended = Message::Ended { epoch: 11.0, why: Ended::Logout };
        assert_eq!(react(&a, ended.clone()), Reaction::Drop { epoch: 11.0, why: Ended::Logout });
        // A login after the logout starts a later epoch, which everyone adopts.
        let login = next_epoch(11.0, &stamp(0.0));
        assert!(login > 11.0);
        assert!(matches!(react(&c, Message::Tokens(shared(login, 0))), Reaction::Adopt(_)));
        // A stale end of an older epoch does not end the new session.
        let d = Standing { epoch: login, rotation: 0, holding: true };
        assert_eq!(react(&d, ended), Reaction::Ignore);
    }

    #[test]
    fn a_refresh_counts_a_rotation_and_a_login_starts_an_epoch() {
        let now = stamp(0.0);
        assert_eq!(Arrival::Refresh.standing_after((7.0, 2), &now), (7.0, 3));
        for arrival in [Arrival::Login, Arrival::SetTokens, Arrival::Restore] {
            assert_eq!(arrival.standing_after((7.0, 2), &now), (now.wall_ms, 0));
        }
        assert_eq!(Arrival::Peer.reason(), "peer");
    }

    #[test]
    fn a_refused_refresh_token_ends_the_epoch_so_late_tokens_of_it_are_refused() {
        // Tab A's refresh is refused; tab C's tokens of that epoch, sent before C heard, arrive late.
        let ended = next_epoch(10.0, &Stamp { wall_ms: 0.0, mono_ms: 0.0 });
        assert_eq!(ended, 11.0);
        let b = Standing { epoch: 10.0, rotation: 2, holding: true };
        assert_eq!(
            react(&b, Message::Ended { epoch: ended, why: Ended::Expired }),
            Reaction::Drop { epoch: 11.0, why: Ended::Expired }
        );
        let b = Standing { epoch: ended, rotation: 2, holding: false };
        assert_eq!(react(&b, Message::Tokens(shared(10.0, 3))), Reaction::Ignore);
    }

    #[test]
    fn a_restore_answered_after_a_logout_never_revives_the_session() {
        // Tab B's restore leaves at t0; tab A logs out at t1 > t0; B's answer arrives at t2 > t1.
        let (t0, t1) = (stamp(0.0), stamp(500.0));
        let logout = next_epoch(3.0, &t1);
        let (restored, _) = Arrival::Restore.standing_after((3.0, 0), &t0);
        assert!(restored < logout, "dated when it left, the restore orders before the logout");
        let a = Standing { epoch: logout, rotation: 0, holding: false };
        assert_eq!(react(&a, Message::Tokens(shared(restored, 0))), Reaction::Ignore);
        let b = Standing { epoch: restored, rotation: 0, holding: true };
        assert!(matches!(react(&b, Message::Ended { epoch: logout, why: Ended::Logout }), Reaction::Drop { .. }));
    }

    #[test]
    fn only_holders_answer_hello() {
        assert_eq!(react(&Standing { epoch: 1.0, rotation: 0, holding: true }, Message::Hello), Reaction::Answer);
        assert_eq!(react(&Standing { epoch: 1.0, rotation: 0, holding: false }, Message::Hello), Reaction::Ignore);
    }

    #[test]
    fn epochs_only_grow() {
        assert_eq!(next_epoch(5.0, &stamp(0.0)), stamp(0.0).wall_ms);
        let far = stamp(0.0).wall_ms + 1e6;
        assert_eq!(next_epoch(far, &stamp(0.0)), far + 1.0);
    }

    #[test]
    fn shared_tokens_carry_the_life_they_have_left() {
        let expiry = Expiry { received: stamp(0.0), lifetime_ms: Some(3000.0) };
        let sent = Shared::new(1.0, 0, &tokens("at", None), &expiry, &stamp(1200.0));
        assert_eq!(sent.left_ms, Some(1800.0));
        let late = Shared::new(1.0, 0, &tokens("at", None), &expiry, &stamp(9000.0));
        assert_eq!(late.left_ms, Some(0.0));
        assert_eq!(sent.expiry(stamp(50.0)), Expiry { received: stamp(50.0), lifetime_ms: Some(1800.0) });
    }

    #[test]
    fn locks_are_named_for_a_hash_of_the_token_never_the_token() {
        let key =
            token_manager_key("https://api.example/v1", "https://api.example/v1/auth/refresh", None, false, false);
        let name = lock_name(&key, Some(&Secret::new("eyJsecret".into())));
        assert!(name.starts_with(&format!("{key} refresh ")));
        assert!(key.starts_with("wasm-auth session https://api.example/v1 "));
        assert!(!name.contains("eyJsecret"));
        assert_ne!(name, lock_name(&key, Some(&Secret::new("eyJother".into()))));
        assert_eq!(lock_name(&key, None), format!("{key} refresh none"));
        let oauth_refresh =
            token_manager_key("https://api.example/v1", "https://as.example/token", Some("spa"), false, false);
        let cookie =
            token_manager_key("https://api.example/v1", "https://api.example/v1/auth/refresh", None, true, false);
        let bound =
            token_manager_key("https://api.example/v1", "https://api.example/v1/auth/refresh", None, false, true);
        assert_ne!(key, bound, "a DPoP session and a Bearer one never share a channel");
        assert_ne!(oauth_key("https://as.example", "spa", true), oauth_key("https://as.example", "spa", false));
        assert_ne!(key, cookie, "a tab holding its refresh token and one using the cookie are two sessions");
        assert_eq!(cookie_lock_name(&cookie), format!("{cookie} refresh none"));
        assert_ne!(key, oauth_refresh, "a password session and an OAuth one of the same API are two sessions");
        assert_ne!(oauth_refresh, oauth_key("https://as.example", "spa", false));
    }
}
