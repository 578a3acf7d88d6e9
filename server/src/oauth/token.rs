//! POST /oauth/token (form-encoded): authorization_code (with PKCE), refresh_token (rotating)
//! and client_credentials, with client_secret_basic, client_secret_post or a public client_id.
//!
//! With a `DPoP` header (RFC 9449), every grant checks the proof (and the nonce, with
//! `--dpop-nonce`) before anything is redeemed, and answers with a DPoP-bound access token.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use rusqlite::OptionalExtension;
use wasm_auth::pkce::CodeVerifier;

use super::{Client, authenticate_client};
use crate::dpop;
use crate::error::{ApiError, ApiResult};
use crate::extract::Form;
use crate::state::AppState;
use crate::tokens::{self, Grant, Presenter, TokenResponse};
use crate::util;

type Params = HashMap<String, String>;

/// The endpoint's path under the issuer: the `htu` of its DPoP proofs.
const PATH: &str = "/oauth/token";

/// Scopes that only a user can grant: never in a client_credentials token.
const USER_ONLY_SCOPES: [&str; 3] = ["openid", util::API_KEYS_READ, util::API_KEYS_WRITE];

fn required<'a>(params: &'a Params, name: &str) -> ApiResult<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid_request(format!("{name} is missing")))
}

fn invalid_grant(description: &str) -> ApiError {
    ApiError::invalid_grant(StatusCode::BAD_REQUEST, description)
}

pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> ApiResult<axum::Json<TokenResponse>> {
    let mut params = Params::new();
    for (k, v) in pairs {
        if params.insert(k.clone(), v).is_some() {
            return Err(ApiError::invalid_request(format!("the parameter {k} is repeated")));
        }
    }
    let client = authenticate_client(&state, &headers, &params)?;
    let grant_type = required(&params, "grant_type")?;
    if !matches!(grant_type, "authorization_code" | "refresh_token" | "client_credentials") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type {grant_type} is not supported"),
        ));
    }
    if !client.allows_grant(grant_type) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            format!("this client may not use {grant_type}"),
        ));
    }
    // Before anything is redeemed: a retry with a nonce must find the code or token unused.
    // The proof is remembered once the grant is accepted (see dpop's module comment).
    let proof = dpop::token_request(&state, &headers, PATH)?;
    let dpop_jkt = proof.as_ref().map(|proof| proof.jkt.as_str());
    let response = match grant_type {
        "authorization_code" => authorization_code(&state, &client, &params, dpop_jkt)?,
        "refresh_token" => {
            let presented = required(&params, "refresh_token")?;
            let narrower = params.get("scope").map(|s| util::parse_scopes(s));
            let by = Presenter { client_id: Some(&client.client_id), public: client.is_public(), dpop_jkt };
            tokens::rotate(&state, presented, &by, narrower.as_deref(), StatusCode::BAD_REQUEST)?
        }
        _ => client_credentials(&state, &client, &params, dpop_jkt)?,
    };
    dpop::accepted(&state, proof)?;
    Ok(axum::Json(response))
}

struct CodeRow {
    client_id: String,
    user_id: String,
    redirect_uri: String,
    scope: String,
    code_challenge: String,
    nonce: Option<String>,
    expires_at: i64,
    used: bool,
    /// The authorization request's `dpop_jkt` (RFC 9449 10): the key the exchange must prove.
    dpop_jkt: Option<String>,
}

/// RFC 6749 4.1.2: a code redeemed twice revokes the tokens it produced.
fn revoke_code_grant(conn: &rusqlite::Connection, code_hash: &str) -> ApiResult<()> {
    let grant: Option<(String, String, i64)> = conn
        .query_row(
            "SELECT family_id, access_jti, access_expires_at FROM code_grants WHERE code_hash = ?1",
            [code_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((family, jti, expires_at)) = grant {
        tokens::revoke_family(conn, &family)?;
        tokens::revoke_access(conn, &jti, expires_at)?;
    }
    Ok(())
}

fn authorization_code(
    state: &AppState,
    client: &Client,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> ApiResult<TokenResponse> {
    let code = required(params, "code")?;
    let code_hash = util::sha256_hex(code);
    let row = state
        .db
        .lock()?
        .query_row(
            "SELECT client_id, user_id, redirect_uri, scope, code_challenge, nonce, expires_at, used, dpop_jkt
         FROM auth_codes WHERE code_hash = ?1",
            [&code_hash],
            |r| {
                Ok(CodeRow {
                    client_id: r.get(0)?,
                    user_id: r.get(1)?,
                    redirect_uri: r.get(2)?,
                    scope: r.get(3)?,
                    code_challenge: r.get(4)?,
                    nonce: r.get(5)?,
                    expires_at: r.get(6)?,
                    used: r.get(7)?,
                    dpop_jkt: r.get(8)?,
                })
            },
        )
        .optional()?;
    let row = row.ok_or_else(|| invalid_grant("the authorization code is invalid"))?;
    if row.used {
        revoke_code_grant(&*state.db.lock()?, &code_hash)?;
        return Err(invalid_grant("the authorization code was already used"));
    }
    if row.client_id != client.client_id {
        return Err(invalid_grant("the authorization code was issued to another client"));
    }
    if util::now() >= row.expires_at {
        return Err(invalid_grant("the authorization code has expired"));
    }
    if params.get("redirect_uri").map(String::as_str) != Some(row.redirect_uri.as_str()) {
        return Err(invalid_grant("redirect_uri does not match the authorization request"));
    }
    match (row.code_challenge.as_str(), params.get("code_verifier")) {
        ("", None) => {}
        ("", Some(_)) => {
            return Err(invalid_grant("code_verifier sent but the authorization request had no code_challenge"));
        }
        (_, None) => return Err(ApiError::invalid_request("code_verifier is missing")),
        (challenge, Some(verifier)) => {
            let ok = CodeVerifier::parse(verifier).is_ok_and(|v| util::ct_eq(v.challenge().as_str(), challenge));
            if !ok {
                return Err(invalid_grant("code_verifier does not match the code_challenge"));
            }
        }
    }
    if let Some(bound) = &row.dpop_jkt {
        match dpop_jkt {
            Some(proven) if util::ct_eq(proven, bound) => {}
            Some(_) => {
                return Err(invalid_grant("the DPoP proof's key is not the dpop_jkt of the authorization request"));
            }
            None => {
                return Err(invalid_grant("the authorization request named a DPoP key (dpop_jkt): send a DPoP proof"));
            }
        }
    }
    let grant = Grant {
        user_id: &row.user_id,
        client_id: Some(&client.client_id),
        scope: &row.scope,
        dpop_jkt,
        // RFC 9449 5: a public client's refresh token is bound to the key; a confidential
        // client's is bound to its credentials already.
        refresh_jkt: dpop_jkt.filter(|_| client.is_public()),
    };
    let family = util::random_id("fam_")?;
    let minted = tokens::mint(state, &grant, &family)?;
    {
        // Marking the code used, storing its tokens and recording them for a later reuse are one
        // step: a concurrent second redemption sees either nothing or all of it.
        let mut conn = state.db.lock()?;
        let tx = conn.transaction()?;
        let claimed = tx.execute("UPDATE auth_codes SET used = 1 WHERE code_hash = ?1 AND used = 0", [&code_hash])?;
        if claimed == 0 {
            revoke_code_grant(&tx, &code_hash)?;
            tx.commit()?;
            return Err(invalid_grant("the authorization code was already used"));
        }
        tokens::store(&tx, state, &grant, &minted, &family)?;
        tx.execute(
            "INSERT INTO code_grants (code_hash, family_id, access_jti, access_expires_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![code_hash, family, minted.access_jti, util::now() + state.config.access_ttl as i64],
        )?;
        tx.commit()?;
    }
    let mut response = minted.response;
    if util::parse_scopes(&row.scope).iter().any(|s| s == "openid") {
        let email: String =
            state.db.lock()?.query_row("SELECT email FROM users WHERE id = ?1", [&row.user_id], |r| r.get(0))?;
        let id_token = state
            .signer
            .sign_id_token(&row.user_id, &email, &client.client_id, row.nonce, state.config.access_ttl)
            .map_err(ApiError::internal)?;
        response.id_token = Some(id_token);
    }
    Ok(response)
}

fn client_credentials(
    state: &AppState,
    client: &Client,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> ApiResult<TokenResponse> {
    if client.is_public() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "public clients cannot use client_credentials",
        ));
    }
    // The token is the client's own (sub = client_id): scopes about a user make no sense in it.
    let needs_user = |s: &String| USER_ONLY_SCOPES.contains(&s.as_str());
    let scopes = match params.get("scope") {
        Some(scope) => util::parse_scopes(scope),
        None => client.scopes.iter().filter(|s| !needs_user(s)).cloned().collect(),
    };
    if let Some(scope) = scopes.iter().find(|s| needs_user(s)) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!("{scope} needs a user; a client_credentials token has none"),
        ));
    }
    if scopes.iter().any(|s| !util::valid_scope_token(s)) || !util::is_subset(&scopes, &client.scopes) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "the requested scope is not allowed for this client",
        ));
    }
    let scope = scopes.join(" ");
    let (access_token, _) = state
        .signer
        .sign_access(&client.client_id, &scope, Some(&client.client_id), None, dpop_jkt, state.config.access_ttl)
        .map_err(ApiError::internal)?;
    Ok(TokenResponse {
        access_token,
        refresh_token: None,
        token_type: tokens::token_type(dpop_jkt),
        expires_in: state.config.access_ttl,
        scope,
        id_token: None,
    })
}
