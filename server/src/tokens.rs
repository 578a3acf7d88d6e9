//! Token issuance: access JWTs plus rotating refresh tokens with reuse detection.
//!
//! A refresh token is 256 random bits, stored only as its SHA-256. Every refresh marks the
//! presented token `rotated` and issues a new one in the same family; presenting a rotated
//! token again means it leaked (or a client raced itself), so the whole family is revoked
//! (RFC 9700 4.14.2). Marking, inserting and revoking happen inside one lock and transaction,
//! so a racing reuse can never leave a fresh token outside the revocation.
//!
//! One exception, the grace (`--refresh-grace-seconds`): a refresh whose answer was lost (the
//! network dropped after the server rotated) leaves the client with the rotated token only, and
//! its retry would look like a reuse. So a rotated token is accepted again while (1) it was
//! rotated less than the grace ago, (2) its successor is unused: not rotated, not revoked, and
//! its access token never seen by the API (a client that used it got the answer), and (3) the
//! family is not revoked. The retry gets a new pair whose refresh token replaces the unused
//! successor, which is marked rotated without a successor: the family keeps one token that can
//! be refreshed, and whoever presents the replaced one (only someone who saw the lost answer
//! can) is a reuse that revokes the family.
//!
//! DPoP (RFC 9449): a token request with a valid proof gets an access token bound to the proof's
//! key (`cnf.jkt`, `token_type: DPoP`). A public client's refresh token issued with a proof is
//! bound to that key too (5): the binding is stored with the token, passed on to its successors,
//! and refreshing needs a proof from the same key.

use axum::http::StatusCode;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::util;

/// The JSON answer of /v1/auth/login, /v1/auth/refresh and /oauth/token.
#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// Who a token is for.
pub struct Grant<'a> {
    pub user_id: &'a str,
    pub client_id: Option<&'a str>,
    pub scope: &'a str,
    /// The thumbprint of the DPoP key the access token is bound to (the token request's proof).
    pub dpop_jkt: Option<&'a str>,
    /// The thumbprint of the DPoP key the refresh token is bound to (public clients only).
    pub refresh_jkt: Option<&'a str>,
}

/// `token_type` of an access token bound to a DPoP key or not.
pub fn token_type(dpop_jkt: Option<&str>) -> &'static str {
    if dpop_jkt.is_some() { "DPoP" } else { "Bearer" }
}

/// A signed access token and a fresh refresh token, not yet stored.
pub struct Minted {
    pub response: TokenResponse,
    pub access_jti: String,
    refresh_hash: String,
}

/// Signs the access token (naming its grant, the refresh-token `family`) and draws the refresh
/// token: the slow part, done outside the lock.
pub fn mint(state: &AppState, grant: &Grant<'_>, family: &str) -> ApiResult<Minted> {
    let (access_token, access_jti) = state
        .signer
        .sign_access(grant.user_id, grant.scope, grant.client_id, Some(family), grant.dpop_jkt, state.config.access_ttl)
        .map_err(ApiError::internal)?;
    let refresh_token = util::random_token("rt_")?;
    let refresh_hash = util::sha256_hex(&refresh_token);
    let response = TokenResponse {
        access_token,
        refresh_token: Some(refresh_token),
        token_type: token_type(grant.dpop_jkt),
        expires_in: state.config.access_ttl,
        scope: grant.scope.to_owned(),
        id_token: None,
    };
    Ok(Minted { response, access_jti, refresh_hash })
}

/// Stores `minted`'s refresh token in `family`.
pub fn store(
    conn: &Connection,
    state: &AppState,
    grant: &Grant<'_>,
    minted: &Minted,
    family: &str,
) -> rusqlite::Result<()> {
    let now = util::now();
    conn.execute(
        "INSERT INTO refresh_tokens
           (token_hash, family_id, user_id, client_id, scope, expires_at, created_at, access_jti, dpop_jkt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            minted.refresh_hash,
            family,
            grant.user_id,
            grant.client_id,
            grant.scope,
            now + state.config.refresh_ttl as i64,
            now,
            minted.access_jti,
            grant.refresh_jkt
        ],
    )?;
    Ok(())
}

/// A new access token and a refresh token in a new family.
pub fn issue(state: &AppState, grant: &Grant<'_>) -> ApiResult<(Minted, String)> {
    let family = util::random_id("fam_")?;
    let minted = mint(state, grant, &family)?;
    store(&*state.db.lock()?, state, grant, &minted, &family)?;
    Ok((minted, family))
}

/// A refresh token's row, as `rotate` reads it.
struct StoredRefresh {
    family: String,
    user_id: String,
    /// The OAuth client it was issued to; `None` for /v1/auth/login tokens.
    owner: Option<String>,
    scope: String,
    expires_at: i64,
    revoked: bool,
    /// The DPoP key the token is bound to.
    dpop_jkt: Option<String>,
}

/// Who presents a refresh token.
pub struct Presenter<'a> {
    /// The authenticated OAuth client; None for /v1/auth/refresh.
    pub client_id: Option<&'a str>,
    /// A client without credentials (/v1/auth/refresh, a public OAuth client): a DPoP proof binds
    /// its new refresh token, if the old one was not bound already.
    pub public: bool,
    /// The thumbprint of the key of the request's verified DPoP proof, if it sent one.
    pub dpop_jkt: Option<&'a str>,
}

/// Rotates `presented`: on success the old token stops working and a new pair is returned.
/// `by.client_id` must match the client the token was issued to (None for /v1/auth/refresh); a
/// token bound to a DPoP key needs a proof from that key (RFC 9449 5), else `invalid_grant`.
/// `narrower` (RFC 6749 6) limits the new access token to part of the original scope; the new
/// refresh token keeps the original. `status` is the status of invalid_grant answers (401 for
/// the guide's API, 400 for OAuth).
pub fn rotate(
    state: &AppState,
    presented: &str,
    by: &Presenter<'_>,
    narrower: Option<&[String]>,
    status: StatusCode,
) -> ApiResult<TokenResponse> {
    let hash = util::sha256_hex(presented);
    let row = state
        .db
        .lock()?
        .query_row(
            "SELECT family_id, user_id, client_id, scope, expires_at, revoked, dpop_jkt
             FROM refresh_tokens WHERE token_hash = ?1",
            [&hash],
            |r| {
                Ok(StoredRefresh {
                    family: r.get(0)?,
                    user_id: r.get(1)?,
                    owner: r.get(2)?,
                    scope: r.get(3)?,
                    expires_at: r.get(4)?,
                    revoked: r.get(5)?,
                    dpop_jkt: r.get(6)?,
                })
            },
        )
        .optional()?;
    let Some(StoredRefresh { family, user_id, owner, scope, expires_at, revoked, dpop_jkt }) = row else {
        return Err(ApiError::invalid_grant(status, "refresh token is invalid"));
    };
    let client_id = by.client_id;
    if owner.as_deref() != client_id {
        return Err(ApiError::invalid_grant(status, "refresh token was issued to another client"));
    }
    if revoked {
        return Err(ApiError::invalid_grant(status, "refresh token has been revoked"));
    }
    if util::now() >= expires_at {
        return Err(ApiError::invalid_grant(status, "refresh token has expired"));
    }
    if let Some(bound) = &dpop_jkt {
        match by.dpop_jkt {
            Some(proven) if util::ct_eq(proven, bound) => {}
            Some(_) => {
                return Err(ApiError::invalid_grant(status, "refresh token is bound to another DPoP key"));
            }
            None => {
                return Err(ApiError::invalid_grant(status, "refresh token is bound to a DPoP key: send a DPoP proof"));
            }
        }
    }
    // Bound once, bound for good: the successor keeps the binding; an unbound token of a public
    // client gets bound by its first refresh with a proof.
    let refresh_jkt = dpop_jkt.as_deref().or(by.dpop_jkt.filter(|_| by.public));
    let grant = Grant { user_id: &user_id, client_id, scope: &scope, dpop_jkt: by.dpop_jkt, refresh_jkt };
    let access_scope = match narrower {
        None => scope.clone(),
        Some(requested) if util::is_subset(requested, &util::parse_scopes(&scope)) => requested.join(" "),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "the requested scope exceeds the scope originally granted",
            ));
        }
    };
    let minted = mint(state, &Grant { scope: &access_scope, ..grant }, &family)?;
    let grant = Grant { user_id: &user_id, client_id, scope: &scope, dpop_jkt: by.dpop_jkt, refresh_jkt };
    let mut conn = state.db.lock()?;
    let tx = conn.transaction()?;
    // Only the first presenter of a live token wins; any other presentation is a reuse, unless
    // it is the retry of a lost answer (see the module comment).
    let now_ms = util::now_ms();
    let claimed = tx.execute(
        "UPDATE refresh_tokens SET rotated = 1, rotated_at_ms = ?2, successor_hash = ?3
         WHERE token_hash = ?1 AND rotated = 0 AND revoked = 0",
        params![hash, now_ms, minted.refresh_hash],
    )?;
    if claimed == 0 {
        let Some(unused_successor) = unused_successor(&tx, &hash, now_ms, state.config.refresh_grace_seconds)? else {
            revoke_family(&tx, &family)?;
            tx.commit()?;
            return Err(ApiError::invalid_grant(
                status,
                "refresh token was already used; its session has been revoked",
            ));
        };
        // The lost answer's token is replaced: no longer refreshable, and a reuse if presented.
        tx.execute(
            "UPDATE refresh_tokens SET rotated = 1, rotated_at_ms = ?2, successor_hash = NULL WHERE token_hash = ?1",
            params![unused_successor, now_ms],
        )?;
        tx.execute(
            "UPDATE refresh_tokens SET successor_hash = ?2 WHERE token_hash = ?1",
            params![hash, minted.refresh_hash],
        )?;
    }
    store(&tx, state, &grant, &minted, &family)?;
    tx.commit()?;
    Ok(minted.response)
}

/// The hash of the successor of the rotated token `hash` when a new presentation of it is the
/// retry of a lost answer: rotated less than `grace_seconds` before `now_ms`, its successor
/// neither rotated nor revoked nor seen at the API (through its access token), and nothing in
/// the family revoked. `None`: a reuse.
fn unused_successor(
    conn: &Connection,
    hash: &str,
    now_ms: i64,
    grace_seconds: u64,
) -> rusqlite::Result<Option<String>> {
    if grace_seconds == 0 {
        return Ok(None);
    }
    let since_ms = now_ms.saturating_sub(i64::try_from(grace_seconds.saturating_mul(1000)).unwrap_or(i64::MAX));
    conn.query_row(
        "SELECT s.token_hash FROM refresh_tokens p JOIN refresh_tokens s ON s.token_hash = p.successor_hash
         WHERE p.token_hash = ?1 AND p.rotated = 1 AND p.revoked = 0 AND p.rotated_at_ms > ?2
           AND s.rotated = 0 AND s.revoked = 0 AND s.access_seen = 0
           AND NOT EXISTS (SELECT 1 FROM refresh_tokens f WHERE f.family_id = p.family_id AND f.revoked = 1)",
        params![hash, since_ms],
        |r| r.get(0),
    )
    .optional()
}

/// Records that the API has seen the access token `jti` of grant `family`: the answer that
/// carried it reached its client, so that answer's refresh token is no longer a lost one.
pub fn note_access_seen(conn: &Connection, family: &str, jti: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE refresh_tokens SET access_seen = 1 WHERE family_id = ?1 AND access_jti = ?2 AND access_seen = 0",
        params![family, jti],
    )?;
    Ok(())
}

/// Whether the grant `family` is live: one of its refresh tokens is neither revoked nor expired
/// (revoking any token of a family, or reusing a rotated one, revokes all of them).
pub fn grant_live(conn: &Connection, family: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM refresh_tokens WHERE family_id = ?1 AND revoked = 0 AND expires_at > ?2)",
        params![family, util::now()],
        |r| r.get(0),
    )
}

pub fn revoke_family(conn: &Connection, family: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?1", [family])?;
    Ok(())
}

/// RFC 7009 for a refresh token: revokes its family when it was issued to `client_id` (None:
/// the guide's /v1/auth tokens, issued to no client). Returns whether it was revoked.
pub fn revoke_refresh_token(state: &AppState, presented: &str, client_id: Option<&str>) -> ApiResult<bool> {
    let conn = state.db.lock()?;
    let family: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT family_id, client_id FROM refresh_tokens WHERE token_hash = ?1",
            [util::sha256_hex(presented)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match family {
        Some((family, owner)) if owner.as_deref() == client_id => {
            revoke_family(&conn, &family)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Puts an access token on the deny-list until it expires.
pub fn revoke_access(conn: &Connection, jti: &str, expires_at: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO revoked_access_tokens (jti, expires_at) VALUES (?1, ?2)",
        params![jti, expires_at],
    )?;
    Ok(())
}
