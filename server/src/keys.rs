//! The ES256 signing key: generated on first start, kept in the database, published as JWKS.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use crate::db::Db;
use crate::util;

/// Claims the server puts in its tokens beyond the registered ones.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct TokenClaims {
    /// Space-separated scopes (RFC 9068 style).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// The OAuth client the token was issued to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Access tokens: the grant (refresh-token family) the token belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// ID tokens: the nonce of the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// ID tokens: the user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Access tokens bound to a DPoP key (RFC 9449 6.1): `{ "jkt": <its RFC 7638 thumbprint> }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// The confirmation claim (RFC 7800) of a DPoP-bound access token.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Confirmation {
    pub jkt: String,
}

pub struct Signer {
    key: ES256KeyPair,
    public: ES256PublicKey,
    kid: String,
    issuer: String,
    audience: String,
}

/// What a valid access token says.
pub struct AccessToken {
    pub subject: String,
    pub scopes: Vec<String>,
    pub jti: String,
    pub expires_at: i64,
    /// The OAuth client it was issued to (None for the guide's /v1/auth tokens).
    pub client_id: Option<String>,
    /// The grant (refresh-token family) it belongs to; None for client_credentials tokens.
    pub grant: Option<String>,
    /// The thumbprint of the DPoP key it is bound to (`cnf.jkt`); None for a Bearer token.
    pub jkt: Option<String>,
}

impl Signer {
    /// Loads the key from the database, generating and storing one on first start.
    pub fn load_or_create(db: &Db, issuer: String, audience: String) -> Result<Signer, String> {
        let conn = db.lock().map_err(|e| e.description().to_owned())?;
        let stored: Option<(String, Vec<u8>)> = conn
            .query_row(
                "SELECT kid, private_key FROM signing_keys WHERE alg = 'ES256' ORDER BY created_at DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| format!("signing key: {e}"))?;
        let (kid, key) = match stored {
            Some((kid, bytes)) => {
                let key = ES256KeyPair::from_bytes(&bytes).map_err(|e| format!("stored signing key: {e}"))?;
                (kid, key)
            }
            None => {
                let key = ES256KeyPair::generate();
                let kid = util::random_id("es256-").map_err(|e| e.description().to_owned())?;
                conn.execute(
                    "INSERT INTO signing_keys (kid, alg, private_key, created_at) VALUES (?1, 'ES256', ?2, ?3)",
                    params![kid, key.to_bytes(), util::now()],
                )
                .map_err(|e| format!("signing key: {e}"))?;
                (kid, key)
            }
        };
        let key = key.with_key_id(&kid);
        let public = key.public_key().with_key_id(&kid);
        Ok(Signer { key, public, kid, issuer, audience })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public key as a JWKS document.
    pub fn jwks(&self) -> Value {
        let point = self.public.public_key().to_bytes_uncompressed();
        // SEC1 uncompressed: 0x04 || x (32 bytes) || y (32 bytes).
        let (x, y) = point.get(1..33).zip(point.get(33..65)).unwrap_or((&[], &[]));
        json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        }]})
    }

    /// Signs an access token for `subject` with `scopes`, valid `ttl` seconds, belonging to the
    /// grant `sid` (a refresh-token family) if any, bound to the DPoP key of thumbprint `jkt` if
    /// any; returns the token and its `jti` (the handle for revoking it).
    pub fn sign_access(
        &self,
        subject: &str,
        scope: &str,
        client_id: Option<&str>,
        sid: Option<&str>,
        jkt: Option<&str>,
        ttl: u64,
    ) -> Result<(String, String), String> {
        let custom = TokenClaims {
            scope: scope.to_owned(),
            client_id: client_id.map(str::to_owned),
            sid: sid.map(str::to_owned),
            cnf: jkt.map(|jkt| Confirmation { jkt: jkt.to_owned() }),
            ..Default::default()
        };
        let jti = util::random_id("at_").map_err(|e| e.description().to_owned())?;
        let claims = Claims::with_custom_claims(custom, Duration::from_secs(ttl))
            .with_issuer(&self.issuer)
            .with_audience(&self.audience)
            .with_subject(subject)
            .with_jwt_id(&jti);
        let token = self.key.sign(claims).map_err(|e| format!("sign: {e}"))?;
        Ok((token, jti))
    }

    /// Signs an OpenID Connect ID token for `client_id`.
    pub fn sign_id_token(
        &self,
        subject: &str,
        email: &str,
        client_id: &str,
        nonce: Option<String>,
        ttl: u64,
    ) -> Result<String, String> {
        let custom = TokenClaims { nonce, email: Some(email.to_owned()), ..Default::default() };
        let claims = Claims::with_custom_claims(custom, Duration::from_secs(ttl))
            .with_issuer(&self.issuer)
            .with_audience(client_id)
            .with_subject(subject);
        self.key.sign(claims).map_err(|e| format!("sign: {e}"))
    }

    /// Verifies an access token: signature, issuer, audience, expiry (no tolerance).
    pub fn verify_access(&self, token: &str) -> Result<AccessToken, String> {
        let options = VerificationOptions {
            allowed_issuers: Some(HashSet::from([self.issuer.clone()])),
            allowed_audiences: Some(HashSet::from([self.audience.clone()])),
            time_tolerance: Some(Duration::from_secs(0)),
            max_token_length: Some(8192),
            ..Default::default()
        };
        let claims = self.public.verify_token::<TokenClaims>(token, Some(options)).map_err(|e| e.to_string())?;
        let subject = claims.subject.ok_or("token has no sub")?;
        let jti = claims.jwt_id.ok_or("token has no jti")?;
        let expires_at = claims.expires_at.map(|t| t.as_secs() as i64).ok_or("token has no exp")?;
        Ok(AccessToken {
            subject,
            scopes: util::parse_scopes(&claims.custom.scope),
            jti,
            expires_at,
            client_id: claims.custom.client_id,
            grant: claims.custom.sid,
            jkt: claims.custom.cnf.map(|cnf| cnf.jkt),
        })
    }
}

/// Whether an access token's `jti` was revoked (RFC 7009 on an access token).
pub fn is_revoked(db: &Db, jti: &str) -> crate::error::ApiResult<bool> {
    let conn = db.lock()?;
    Ok(conn.query_row("SELECT 1 FROM revoked_access_tokens WHERE jti = ?1", [jti], |_| Ok(())).optional()?.is_some())
}
