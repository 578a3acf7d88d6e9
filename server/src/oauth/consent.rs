//! What each user consented to each OAuth client: the scopes of every consent page they
//! approved, accumulated. `prompt=none` may issue a code only within them.

use rusqlite::OptionalExtension;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::util;

/// Whether the user already consented to every one of `scopes` for this client.
pub fn covers(state: &AppState, user_id: &str, client_id: &str, scopes: &[String]) -> ApiResult<bool> {
    let consented: Option<String> = state
        .db
        .lock()?
        .query_row(
            "SELECT scope FROM oauth_consents WHERE user_id = ?1 AND client_id = ?2",
            [user_id, client_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(consented.is_some_and(|c| util::is_subset(scopes, &util::parse_scopes(&c))))
}

/// Records that the user approved `scopes` for this client, on top of earlier consents.
pub fn record(state: &AppState, user_id: &str, client_id: &str, scopes: &[String]) -> ApiResult<()> {
    let mut conn = state.db.lock()?;
    let tx = conn.transaction()?;
    let earlier: Option<String> = tx
        .query_row(
            "SELECT scope FROM oauth_consents WHERE user_id = ?1 AND client_id = ?2",
            [user_id, client_id],
            |r| r.get(0),
        )
        .optional()?;
    let mut all = earlier.map(|e| util::parse_scopes(&e)).unwrap_or_default();
    for scope in scopes {
        if !all.contains(scope) {
            all.push(scope.clone());
        }
    }
    tx.execute(
        "INSERT INTO oauth_consents (user_id, client_id, scope, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, client_id) DO UPDATE SET scope = ?3, updated_at = ?4",
        rusqlite::params![user_id, client_id, all.join(" "), util::now()],
    )?;
    tx.commit()?;
    Ok(())
}
