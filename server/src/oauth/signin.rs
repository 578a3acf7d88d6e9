//! The sign-in session of the authorization endpoint: after a password sign-in on the
//! /oauth/authorize page, the `oauth_session` cookie (on this server's origin, Path=/oauth)
//! lets a later authorization skip the password: `prompt=none` answers with a code, the page
//! asks only for consent. Only the SHA-256 of the cookie's value is stored. Its lifetime is
//! `--oauth-session-seconds` (0: no session is kept, and none is honoured).

use axum::http::{HeaderMap, HeaderValue};
use rusqlite::OptionalExtension;

use crate::auth;
use crate::credentials::User;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::util;

/// The cookie's name over http; `__Secure-oauth_session` behind https (`__Host-` needs Path=/,
/// and this cookie belongs to /oauth only).
const COOKIE: &str = "oauth_session";
/// Only the authorization endpoint and /oauth/logout need it: the API never sees it.
const COOKIE_PATH: &str = "/oauth";

fn cookie_name(state: &AppState) -> String {
    if state.https() { format!("__Secure-{COOKIE}") } else { COOKIE.to_owned() }
}

/// What the browser's cookie says.
pub enum Session {
    /// No cookie (or sessions are off).
    None,
    /// A cookie that names no live session (expired, ended, unknown or malformed): no session,
    /// and the cookie should be cleared.
    Dead,
    Live(User),
}

/// The session the request's cookie names.
pub fn current(state: &AppState, headers: &HeaderMap) -> ApiResult<Session> {
    if state.config.oauth_session_seconds == 0 {
        return Ok(Session::None);
    }
    let Some(value) = auth::cookie(headers, &cookie_name(state)) else {
        return Ok(Session::None);
    };
    let user = state
        .db
        .lock()?
        .query_row(
            "SELECT u.id, u.email, u.scopes FROM oauth_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ?1 AND s.expires_at > ?2",
            rusqlite::params![util::sha256_hex(&value), util::now()],
            |r| Ok(User { id: r.get(0)?, email: r.get(1)?, scopes: r.get(2)? }),
        )
        .optional()?;
    Ok(user.map_or(Session::Dead, Session::Live))
}

/// Starts a session for `user_id` after a password sign-in, ending the one the browser had (if
/// any): the cookie to set, None when sessions are off.
pub fn start(state: &AppState, headers: &HeaderMap, user_id: &str) -> ApiResult<Option<HeaderValue>> {
    let seconds = state.config.oauth_session_seconds;
    if seconds == 0 {
        return Ok(None);
    }
    let value = util::random_token("")?;
    let now = util::now();
    {
        let conn = state.db.lock()?;
        if let Some(old) = auth::cookie(headers, &cookie_name(state)) {
            conn.execute("DELETE FROM oauth_sessions WHERE id_hash = ?1", [util::sha256_hex(&old)])?;
        }
        // Expired rows are of no use to anyone: swept whenever a session starts.
        conn.execute("DELETE FROM oauth_sessions WHERE expires_at <= ?1", [now])?;
        conn.execute(
            "INSERT INTO oauth_sessions (id_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![util::sha256_hex(&value), user_id, now, now + seconds as i64],
        )?;
    }
    auth::set_cookie(state, headers, &cookie_name(state), &value, COOKIE_PATH, "Lax", Some(seconds)).map(Some)
}

/// Ends the browser's session (if its cookie names one): the cookie that deletes it.
pub fn end(state: &AppState, headers: &HeaderMap) -> ApiResult<HeaderValue> {
    if let Some(value) = auth::cookie(headers, &cookie_name(state)) {
        state.db.lock()?.execute("DELETE FROM oauth_sessions WHERE id_hash = ?1", [util::sha256_hex(&value)])?;
    }
    clear(state, headers)
}

/// The Set-Cookie that deletes the cookie in the browser.
pub fn clear(state: &AppState, headers: &HeaderMap) -> ApiResult<HeaderValue> {
    auth::set_cookie(state, headers, &cookie_name(state), "", COOKIE_PATH, "Lax", Some(0))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use crate::db::Db;

    #[test]
    fn a_database_made_before_the_sign_in_session_gains_its_tables() {
        let dir = std::env::temp_dir().join(format!("wasm-auth-signin-upgrade-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let file = dir.join("wasm-auth.sqlite3");
        {
            // An older server's database: no oauth_sessions, no oauth_consents.
            let old = rusqlite::Connection::open(&file).expect("old database");
            old.execute_batch(
                "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
                 scopes TEXT NOT NULL);",
            )
            .expect("old schema");
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let db = Db::open(&dir).expect("the server opens the older database");
        let tables: Vec<String> = {
            let conn = db.lock().expect("lock");
            let mut statement = conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'oauth_%' ORDER BY name")
                .expect("query");
            statement.query_map([], |r| r.get(0)).expect("rows").collect::<Result<_, _>>().expect("names")
        };
        assert_eq!(tables, ["oauth_consents", "oauth_sessions"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
