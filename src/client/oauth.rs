//! OAuth 2.0 for public clients (authorization code + PKCE) and confidential ones (client
//! credentials), as request builders and response processors: discovery metadata, the
//! authorization URL, the transaction kept across the redirect, the callback, token requests.

use crate::jose::json::{Map, Value};
use crate::jose::jws::{b64_encode, base64_standard};

use super::answer::{Answer, Purpose};
use super::base_url::{BaseUrl, split_scheme};
use super::form;
use super::secret::Secret;
use super::token_set::TokenSet;
use crate::jose::claims::ClaimRules;
use crate::jose::verify::VerifyOptions;
use crate::pkce::{CodeVerifier, METHOD_S256};
use crate::{CallbackRefusal, ClaimFailure, Error, TokenRefusal};

/// A PKCE transaction older than this is refused (10 minutes: long enough for a login
/// page, short enough that a stolen transaction goes stale).
pub const TRANSACTION_MAX_AGE_MS: f64 = 600_000.0;

/// Parameters `authorize` sets itself: extra parameters may not replace them.
const RESERVED: [&str; 7] =
    ["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "nonce"];

/// An authorization server's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// `issuer`, when known (discovery, or given): ID tokens and RFC 9207 `iss` must match it.
    pub issuer: Option<String>,
    /// Where the user is sent.
    pub authorization_endpoint: String,
    /// Where codes and refresh tokens are exchanged.
    pub token_endpoint: String,
    /// RFC 7009 revocation, if the server has it.
    pub revocation_endpoint: Option<String>,
    /// The keys that sign ID tokens.
    pub jwks_uri: Option<String>,
    /// RFC 9207: the server puts `iss` in every authorization response, so one without it is refused.
    pub iss_parameter_supported: bool,
}

fn url(value: Option<&Value>, name: &str) -> Result<Option<String>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => BaseUrl::parse(s)
            .map(|_| Some(s.clone()))
            .map_err(|_| Error::InvalidResponse(format!("the discovery document's {name} is not an http(s) URL"))),
        Some(_) => Err(Error::InvalidResponse(format!("the discovery document's {name} is not a string"))),
    }
}

/// Issuers compare as strings, exactly (RFC 8414 3.3, RFC 9207 2.4): `https://as.example/`
/// is another issuer than `https://as.example`.
fn same_issuer(a: &str, b: &str) -> bool {
    a == b
}

/// Seconds an ID token's `iat` may lie in the future (the server's clock ahead of ours).
pub const ID_TOKEN_CLOCK_TOLERANCE_S: f64 = 60.0;

/// The discovery URLs to try for `issuer`, in order: OpenID Connect Discovery's
/// `{issuer}/.well-known/openid-configuration`, then RFC 8414's
/// `{origin}/.well-known/oauth-authorization-server{path}`.
pub fn discovery_urls(issuer: &str) -> Result<[String; 2], Error> {
    let base = BaseUrl::parse(issuer)
        .map_err(|_| Error::InvalidOptions("the issuer must be an http: or https: URL".into()))?;
    let text = base.as_str();
    let after_scheme = split_scheme(text).map_or(0, |(scheme, _)| scheme.len() + 3);
    // A byte search and `split_at_checked` (never failing at an ASCII `/`): a `&str` slice's
    // panic would bring char-boundary formatting into the wasm.
    let slash = text.bytes().skip(after_scheme).position(|b| b == b'/');
    let (origin, path) = slash.and_then(|at| text.split_at_checked(after_scheme + at)).unwrap_or((text, ""));
    Ok([
        format!("{text}/.well-known/openid-configuration"),
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
    ])
}

/// What a discovery URL's answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovered {
    /// The server's validated metadata.
    Found(Metadata),
    /// Not at this URL (404): try the next; the error, should none be left.
    NotHere(Error),
}

impl Metadata {
    /// A discovery URL's answer ([`discovery_urls`]): the metadata, "try the next URL" for a
    /// 404, or the error any other failure means.
    pub fn process_discovery_response(answer: Answer<'_>, expected_issuer: &str) -> Result<Discovered, Error> {
        match answer.status {
            404 => Ok(Discovered::NotHere(answer.error(Purpose::Other))),
            200..=299 => Metadata::from_discovery(answer.body, expected_issuer).map(Discovered::Found),
            _ => Err(answer.error(Purpose::Other)),
        }
    }

    /// Validates a discovery document fetched for `expected_issuer` (RFC 8414 3.3: its
    /// `issuer` must be the one asked for, or a server could impersonate another).
    pub fn from_discovery(body: &[u8], expected_issuer: &str) -> Result<Metadata, Error> {
        let doc = crate::jose::json::parse_object(body)
            .map_err(|_| Error::InvalidResponse("the discovery document is not a JSON object".into()))?;
        let issuer = doc
            .get("issuer")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidResponse("the discovery document has no issuer".into()))?;
        if !same_issuer(issuer, expected_issuer) {
            // Not quoted: it is the server's text, of any size.
            return Err(Error::IssuerMismatch(
                "the discovery document names another issuer than the one asked for (compared exactly)".into(),
            ));
        }
        // PKCE is never downgraded: a server that lists its methods must list S256.
        if let Some(methods) = doc.get("code_challenge_methods_supported").and_then(Value::as_array) {
            if !methods.iter().any(|m| m.as_str() == Some(METHOD_S256)) {
                return Err(Error::InvalidResponse("the server does not support PKCE with S256".into()));
            }
        }
        let required = |name: &str| {
            url(doc.get(name), name)?
                .ok_or_else(|| Error::InvalidResponse(format!("the discovery document has no {name}")))
        };
        Ok(Metadata {
            issuer: Some(issuer.to_owned()),
            authorization_endpoint: required("authorization_endpoint")?,
            token_endpoint: required("token_endpoint")?,
            revocation_endpoint: url(doc.get("revocation_endpoint"), "revocation_endpoint")?,
            jwks_uri: url(doc.get("jwks_uri"), "jwks_uri")?,
            iss_parameter_supported: doc.get("authorization_response_iss_parameter_supported")
                == Some(&Value::Bool(true)),
        })
    }
}

/// What is kept in sessionStorage between `authorize` and the callback: one flow per tab and
/// client, bound to the client that started it.
pub struct Transaction {
    /// The issuer of the client that started it (empty when the client has none configured).
    pub issuer: String,
    /// The client that started it.
    pub client_id: String,
    /// The scope asked for (`None`: none), which says whether an ID token must come back.
    pub scope: Option<String>,
    /// The `state` sent, compared with the callback's.
    pub state: String,
    /// The PKCE verifier (one-use, not `Clone`).
    pub verifier: CodeVerifier,
    /// The OpenID `nonce` sent, which the ID token must carry.
    pub nonce: Option<String>,
    /// The redirect URI sent, which the token request repeats.
    pub redirect_uri: String,
    /// When the flow started (wall clock, ms).
    pub created_at_ms: f64,
    /// Whatever the app asked to get back after the redirect (JSON text).
    pub app_state: Option<String>,
    /// A silent restore (`prompt=none`): the server's "nobody is signed in here" answers
    /// ([`NO_SESSION_ERRORS`]) then mean no session, not a failure.
    pub silent: bool,
}

/// The authorization errors by which a `prompt=none` request says it cannot sign anyone in
/// without showing a page (OpenID Connect Core 3.1.2.6): for a silent flow, "no session".
pub const NO_SESSION_ERRORS: [&str; 4] =
    ["login_required", "consent_required", "interaction_required", "account_selection_required"];

fn random_token() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| Error::CryptoUnavailable)?;
    Ok(b64_encode(bytes))
}

/// Whether a space-separated scope list asks for OpenID Connect.
pub fn wants_openid(scope: Option<&str>) -> bool {
    scope.is_some_and(|s| s.split(' ').any(|part| part == "openid"))
}

impl Transaction {
    /// A new flow of `client` asking for `scope`: a fresh verifier, state and (for `openid`) nonce.
    pub fn start(
        client: &PublicClient,
        scope: Option<&str>,
        app_state: Option<String>,
        now_ms: f64,
    ) -> Result<Transaction, Error> {
        Ok(Transaction {
            issuer: client.metadata.issuer.clone().unwrap_or_default(),
            client_id: client.client_id.clone(),
            scope: scope.map(str::to_owned),
            state: random_token()?,
            verifier: CodeVerifier::generate()?,
            nonce: if wants_openid(scope) { Some(random_token()?) } else { None },
            redirect_uri: client.redirect_uri.clone(),
            created_at_ms: now_ms,
            app_state,
            silent: false,
        })
    }

    /// This flow as a silent restore: its URL asks for `prompt=none`, and its callback may
    /// answer "no session" ([`CallbackVerdict::NoSession`]).
    pub fn silently(self) -> Transaction {
        Transaction { silent: true, ..self }
    }

    /// Whether this flow asked for OpenID Connect (then an ID token must come back).
    pub fn wants_openid(&self) -> bool {
        wants_openid(self.scope.as_deref())
    }

    /// The JSON kept in sessionStorage.
    pub fn to_json(&self) -> String {
        crate::jose::json::object([
            ("issuer", (&self.issuer).into()),
            ("client_id", (&self.client_id).into()),
            ("scope", self.scope.clone().into()),
            ("state", (&self.state).into()),
            ("code_verifier", self.verifier.secret().into()),
            ("nonce", self.nonce.clone().into()),
            ("redirect_uri", (&self.redirect_uri).into()),
            // Milliseconds from Date.now(): a whole number.
            ("created_at", (self.created_at_ms as i64).into()),
            ("app_state", self.app_state.clone().into()),
            ("silent", self.silent.into()),
        ])
        .to_string()
    }

    /// Reads back the record `client` stored; anything malformed (edited storage), made by
    /// another client (issuer, client id, redirect URI), or asking for `openid` without a
    /// nonce is "no transaction".
    pub fn load(text: &str, client: &PublicClient) -> Result<Transaction, Error> {
        let tx = Transaction::from_json(text)?;
        let ours = tx.issuer == client.metadata.issuer.as_deref().unwrap_or_default()
            && tx.client_id == client.client_id
            && tx.redirect_uri == client.redirect_uri;
        if !ours || (tx.wants_openid() && tx.nonce.is_none()) {
            return Err(Error::TransactionMissing);
        }
        Ok(tx)
    }

    /// Parses a stored record; anything malformed is "no transaction".
    fn from_json(text: &str) -> Result<Transaction, Error> {
        let missing = || Error::TransactionMissing;
        let doc = crate::jose::json::parse_object(text.as_bytes()).map_err(|_| missing())?;
        let text_of = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
        // `scope` must be there (null for none): a record stripped of it is not ours.
        let scope = match doc.get("scope") {
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            _ => return Err(missing()),
        };
        Ok(Transaction {
            issuer: text_of("issuer").ok_or_else(missing)?,
            client_id: text_of("client_id").ok_or_else(missing)?,
            scope,
            state: text_of("state").ok_or_else(missing)?,
            verifier: CodeVerifier::parse(&text_of("code_verifier").ok_or_else(missing)?).map_err(|_| missing())?,
            nonce: text_of("nonce"),
            redirect_uri: text_of("redirect_uri").ok_or_else(missing)?,
            created_at_ms: doc.get("created_at").and_then(Value::as_f64).ok_or_else(missing)?,
            app_state: text_of("app_state"),
            // Absent in records stored before silent restores existed: an ordinary sign-in.
            silent: doc.get("silent") == Some(&Value::Bool(true)),
        })
    }

    /// Checks the callback against this flow (the state it sent), and then, for its own
    /// callback, the flow's age, RFC 9207 `iss` and the server's `error`: the code to exchange,
    /// or, for a silent flow the server answered with one of [`NO_SESSION_ERRORS`], no session.
    pub fn validate_callback(&self, callback: Callback, metadata: &Metadata, now_ms: f64) -> CallbackVerdict {
        if callback.state() != Some(self.state.as_str()) {
            return CallbackVerdict::Foreign;
        }
        CallbackVerdict::Ours(match callback {
            // The server's refusal counts only from the server this flow went to.
            Callback::Refused { error, description, iss, .. } => match check_iss(metadata, iss.as_deref()) {
                Err(mismatch) => Err(mismatch),
                Ok(()) => match error {
                    Some(error) if self.silent && NO_SESSION_ERRORS.contains(&error.as_str()) => {
                        return CallbackVerdict::NoSession(error);
                    }
                    error => Err(callback_error(error, description)),
                },
            },
            Callback::Code { code, iss, .. } => {
                self.check_age(now_ms).and_then(|()| check_iss(metadata, iss.as_deref())).map(|()| code)
            }
        })
    }

    /// Refuses a flow older than 10 minutes (or from the future: a clock set back).
    pub fn check_age(&self, now_ms: f64) -> Result<(), Error> {
        let age = now_ms - self.created_at_ms;
        if (0.0..=TRANSACTION_MAX_AGE_MS).contains(&age) { Ok(()) } else { Err(Error::TransactionExpired) }
    }
}

/// The public client's settings.
#[derive(Debug, Clone)]
pub struct PublicClient {
    /// `client_id`.
    pub client_id: String,
    /// The registered redirect URI.
    pub redirect_uri: String,
    /// Default scope.
    pub scope: Option<String>,
    /// The server.
    pub metadata: Metadata,
}

impl PublicClient {
    /// What tells this client's sign-ins from another's in the same page: its issuer, client
    /// id and redirect URI. It names the sessionStorage record and keys the callback memo.
    pub fn key(&self) -> String {
        crate::jose::json::object([
            ("issuer", self.metadata.issuer.clone().into()),
            ("client_id", (&self.client_id).into()),
            ("redirect_uri", (&self.redirect_uri).into()),
        ])
        .to_string()
    }

    /// The authorization URL for `tx` (RFC 6749 4.1.1 + RFC 7636 4.3 + OpenID nonce).
    pub fn authorization_url(
        &self,
        tx: &Transaction,
        scope: Option<&str>,
        extra: &[(String, String)],
    ) -> Result<String, Error> {
        let challenge = tx.verifier.challenge();
        let mut pairs: Vec<(&str, &str)> =
            vec![("response_type", "code"), ("client_id", &self.client_id), ("redirect_uri", &tx.redirect_uri)];
        if let Some(scope) = scope.or(self.scope.as_deref()) {
            pairs.push(("scope", scope));
        }
        pairs.extend([
            ("state", tx.state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", METHOD_S256),
        ]);
        if let Some(nonce) = &tx.nonce {
            pairs.push(("nonce", nonce));
        }
        // A silent flow shows no page: the server answers at once, with a code or an error.
        if tx.silent {
            pairs.push(("prompt", "none"));
        }
        for (name, value) in extra {
            if RESERVED.contains(&name.as_str()) || name == "scope" || (tx.silent && name == "prompt") {
                return Err(Error::InvalidOptions(format!("extraParams cannot set {name}")));
            }
            pairs.push((name, value));
        }
        let endpoint = &self.metadata.authorization_endpoint;
        let joiner = if endpoint.contains('?') { '&' } else { '?' };
        Ok(format!("{endpoint}{joiner}{}", form::encode(&pairs)))
    }

    /// The token request for a code, to the token endpoint ([`PublicClient::code_exchange_body`]).
    pub fn code_exchange_request(&self, tx: &Transaction, code: &str) -> Post {
        Post::new(self.metadata.token_endpoint.clone(), FORM, self.code_exchange_body(tx, code))
    }

    /// The token request body for a code (RFC 6749 4.1.3 + RFC 7636 4.5), with this
    /// client's redirect URI (never one read back from storage).
    pub fn code_exchange_body(&self, tx: &Transaction, code: &str) -> String {
        form::encode(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("client_id", &self.client_id),
            ("code_verifier", tx.verifier.secret()),
        ])
    }
}

/// What the authorization server sent back to the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// Success: a code to exchange.
    Code {
        /// The authorization code.
        code: Secret,
        /// The state, as sent.
        state: String,
        /// RFC 9207 `iss`, when present.
        iss: Option<String>,
    },
    /// The server refused (access_denied, invalid_scope, ...).
    Refused {
        /// RFC 6749 4.1.2.1 `error`; `None` when it is not an RFC 6749 error code.
        error: Option<String>,
        /// `error_description`, bounded and sanitised (`answer::description`).
        description: Option<String>,
        /// The state, if echoed.
        state: Option<String>,
        /// RFC 9207 `iss`, when present.
        iss: Option<String>,
    },
}

impl Callback {
    /// The state it carries, if any: it names the flow (and keys the page's callback memo).
    pub fn state(&self) -> Option<&str> {
        match self {
            Callback::Code { state, .. } => Some(state),
            Callback::Refused { state, .. } => state.as_deref(),
        }
    }
}

/// A callback judged against the stored flow ([`Transaction::validate_callback`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackVerdict {
    /// Another state than this flow's: [`Error::StateMismatch`], and the stored flow stays for
    /// its real callback.
    Foreign,
    /// This flow's callback: the flow is spent, whatever follows; the code, or why there is none.
    Ours(Result<Secret, Error>),
    /// A silent flow's callback where the server signed nobody in without a page (its error,
    /// one of [`NO_SESSION_ERRORS`]): the flow is spent, and there is simply no session.
    NoSession(String),
}

/// The parameters a callback URL may carry, removed from the address bar after handling.
pub const CALLBACK_PARAMS: [&str; 7] =
    ["code", "state", "iss", "error", "error_description", "error_uri", "session_state"];

/// Parses the redirect URI the server sent the browser to (parameters in the query).
pub fn parse_callback(url: &str) -> Result<Callback, Error> {
    let without_fragment = url.split('#').next().unwrap_or_default();
    let query = without_fragment.split_once('?').map_or("", |(_, q)| q);
    let mut params: Map = Map::new();
    for (name, value) in form::decode(query) {
        // RFC 6749 3.1: a parameter must not appear twice; a second one is an attack or a bug.
        if CALLBACK_PARAMS.contains(&name.as_str()) && params.insert(name.clone(), Value::String(value)).is_some() {
            return Err(Error::InvalidResponse(format!("the callback URL repeats {name}")));
        }
    }
    let get = |name: &str| params.get(name).and_then(Value::as_str).map(str::to_owned);
    if let Some(error) = get("error") {
        return Ok(Callback::Refused {
            error: super::answer::error_code(&error),
            description: get("error_description").as_deref().and_then(super::answer::description),
            state: get("state"),
            iss: get("iss"),
        });
    }
    let code = get("code").filter(|c| !c.is_empty()).ok_or_else(|| {
        Error::InvalidResponse("the URL is not an authorization callback: it has no code and no error".into())
    })?;
    let state = get("state").ok_or(Error::StateMismatch)?;
    Ok(Callback::Code { code: Secret::new(code), state, iss: get("iss") })
}

/// RFC 9207: an `iss` in the response must be the issuer; a server that promises `iss` must send it.
pub fn check_iss(metadata: &Metadata, iss: Option<&str>) -> Result<(), Error> {
    match (iss, &metadata.issuer) {
        // Neither is quoted: `got` is the server's (or an attacker's) text, of any size.
        (Some(got), Some(expected)) if !same_issuer(got, expected) => Err(Error::IssuerMismatch(
            "the authorization response names another issuer than the configured one (compared exactly)".into(),
        )),
        (None, Some(_)) if metadata.iss_parameter_supported => Err(Error::IssuerMismatch(
            "the authorization response lacks the iss parameter the server promises (RFC 9207)".into(),
        )),
        _ => Ok(()),
    }
}

/// The callback's refusal as the error to report: [`Error::CallbackError`] with the server's
/// code, or [`Error::InvalidResponse`] when its `error` is not an RFC 6749 code.
pub fn callback_error(error: Option<String>, description: Option<String>) -> Error {
    match error {
        Some(error) => Error::CallbackError(Box::new(CallbackRefusal { error, description })),
        None => Error::InvalidResponse("the callback's error parameter is not an RFC 6749 error code".into()),
    }
}

/// A token answer to a code exchange: when the sign-in asked for `openid`, it must carry an ID
/// token (OpenID Connect Core 3.1.3.3); one without is refused, not taken as plain OAuth.
fn require_id_token(openid: bool, has_id_token: bool) -> Result<(), Error> {
    if openid && !has_id_token {
        return Err(Error::InvalidResponse(
            "the token answer has no id_token, though the sign-in asked for openid".into(),
        ));
    }
    Ok(())
}

fn claim_failed(claim: &str, reason: &'static str, message: &str) -> Error {
    Error::ClaimValidationFailed(Box::new(ClaimFailure { claim: claim.into(), reason, message: message.into() }))
}

/// What an ID token is verified with (OpenID Connect Core 3.1.3.7): issued by `issuer`, for
/// `client_id` among its audiences, with `sub`, `exp` and `iat`, unexpired, and carrying the
/// `nonce` this sign-in sent. The rest is [`check_id_token_claims`]'s, after verification.
pub fn id_token_options(issuer: &str, client_id: &str, nonce: Option<&str>) -> VerifyOptions {
    VerifyOptions {
        rules: ClaimRules {
            issuer: vec![issuer.to_owned()],
            audience: vec![client_id.to_owned()],
            required: ["sub", "exp", "iat"].map(str::to_owned).to_vec(),
            nonce: nonce.map(str::to_owned),
            ..ClaimRules::default()
        },
        ..VerifyOptions::default()
    }
}

/// The ID token checks the verifier ([`id_token_options`]) does not make: a sign-in that sent no
/// nonce accepts no ID token, `azp` (OpenID Connect Core 3.1.3.7: required with several
/// audiences, and then, or whenever present, the client id), and an `iat` no further in the
/// future than [`ID_TOKEN_CLOCK_TOLERANCE_S`].
pub fn check_id_token_claims(claims: &Map, client_id: &str, nonce_sent: bool, now_s: f64) -> Result<(), Error> {
    if !nonce_sent {
        return Err(claim_failed("nonce", "check_failed", "an ID token came back for a sign-in that sent no nonce"));
    }
    let audiences = match claims.get("aud") {
        Some(Value::Array(list)) => list.len(),
        _ => 1,
    };
    match claims.get("azp") {
        None if audiences > 1 => {
            return Err(claim_failed("azp", "missing", "an ID token with several audiences must name its azp"));
        }
        None => {}
        Some(Value::String(azp)) if azp == client_id => {}
        Some(Value::String(_)) => {
            return Err(claim_failed("azp", "check_failed", "the ID token's azp is not this client"));
        }
        Some(_) => return Err(claim_failed("azp", "invalid", "the ID token's azp is not a string")),
    }
    match claims.get("iat").and_then(Value::as_f64) {
        Some(iat) if iat > now_s + ID_TOKEN_CLOCK_TOLERANCE_S => {
            Err(claim_failed("iat", "check_failed", "the ID token's iat is in the future"))
        }
        _ => Ok(()),
    }
}

/// A token endpoint's error answer as an [`Error::OAuth`] (`invalid_grant`, `invalid_client`...).
pub fn token_error(answer: Answer<'_>) -> Error {
    match answer.error(Purpose::Other) {
        Error::Http(mut failure) => match failure.error.take() {
            Some(error) => Error::OAuth(Box::new(TokenRefusal {
                status: failure.status,
                error,
                description: failure.description.take(),
            })),
            None => Error::Http(failure),
        },
        other => other,
    }
}

/// `Content-Type` of OAuth token and revocation requests.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// `Content-Type` of the guide's JSON endpoints (`/auth/login`, `/auth/refresh`).
pub const JSON: &str = "application/json";

/// A request for the web layer to send: `POST url` with `body` (which may hold a credential,
/// hence a [`Secret`]) of type `content_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Where to send it.
    pub url: String,
    /// [`FORM`] or [`JSON`].
    pub content_type: &'static str,
    /// The body.
    pub body: Secret,
    /// Sent with [`REFRESH_COOKIE_HEADER`] and the browser's cookies: the refresh token is the
    /// API's HttpOnly cookie, not in the body (`refreshTokenInCookie`).
    pub refresh_cookie: bool,
}

/// The header by which the guide's API keeps a session's refresh token in an HttpOnly cookie:
/// on login it asks for the cookie, on refresh and logout it says to read it. Being a custom
/// header, it also keeps a cross-site form (which cannot send one) from driving those endpoints.
pub const REFRESH_COOKIE_HEADER: (&str, &str) = ("refresh-token-transport", "cookie");

impl Post {
    fn new(url: String, content_type: &'static str, body: String) -> Post {
        Post { url, content_type, body: Secret::new(body), refresh_cookie: false }
    }

    /// This request, asking for (login) or reading (refresh, logout) the refresh cookie.
    pub fn with_refresh_cookie(self) -> Post {
        Post { refresh_cookie: true, ..self }
    }
}

/// Where a session's refreshes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshVia {
    /// The guide's `POST {baseUrl}/auth/refresh` with `{"refresh_token": ...}`.
    Json(String),
    /// An OAuth token endpoint's refresh_token grant (RFC 6749 6).
    OAuth(String),
    /// The guide's `POST {baseUrl}/auth/refresh` with the refresh token in its HttpOnly cookie.
    Cookie(String),
}

/// A session's refresh request: with the refresh token it holds, or with none for
/// [`RefreshVia::Cookie`]. `None`: the session has no way to refresh.
pub fn session_refresh_request(via: &RefreshVia, held: Option<&Secret>, client_id: Option<&str>) -> Option<Post> {
    match (via, held) {
        (RefreshVia::Cookie(url), _) => Some(Post::new(url.clone(), JSON, "{}".into()).with_refresh_cookie()),
        (_, Some(refresh_token)) => Some(refresh_request(via, refresh_token, client_id)),
        (_, None) => None,
    }
}

/// `POST {baseUrl}/auth/logout` of a session whose refresh token is the API's cookie: the API
/// revokes it and clears the cookie (JavaScript cannot).
pub fn cookie_logout_request(base: &BaseUrl) -> Post {
    Post::new(base.endpoint("/auth/logout"), JSON, "{}".into()).with_refresh_cookie()
}

/// The refresh request for `refresh_token` (with `client_id`, when the client has one, on the
/// OAuth grant).
pub fn refresh_request(via: &RefreshVia, refresh_token: &Secret, client_id: Option<&str>) -> Post {
    match via {
        RefreshVia::Json(url) | RefreshVia::Cookie(url) => Post::new(
            url.clone(),
            JSON,
            crate::jose::json::object([("refresh_token", refresh_token.expose().into())]).to_string(),
        ),
        RefreshVia::OAuth(url) => {
            let mut pairs = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose())];
            if let Some(client_id) = client_id {
                pairs.push(("client_id", client_id));
            }
            Post::new(url.clone(), FORM, form::encode(&pairs))
        }
    }
}

/// An RFC 7009 revocation request for `token` (`hint`: "access_token" or "refresh_token").
pub fn revocation_request(endpoint: &str, token: &str, hint: Option<&str>, client_id: Option<&str>) -> Post {
    let mut pairs = vec![("token", token)];
    if let Some(hint) = hint {
        pairs.push(("token_type_hint", hint));
    }
    if let Some(client_id) = client_id {
        pairs.push(("client_id", client_id));
    }
    Post::new(endpoint.to_owned(), FORM, form::encode(&pairs))
}

/// The guide's login request: `POST {baseUrl}/auth/login` with `{"email", "password"}`.
pub fn login_request(base: &BaseUrl, email: &str, password: &str) -> Post {
    json_login(base.endpoint("/auth/login"), email, password)
}

/// `POST url` with `{"email", "password"}`, the body kept secret: the guide's login, and the
/// cookie session's.
pub fn json_login(url: String, email: &str, password: &str) -> Post {
    let body = crate::jose::json::object([("email", email.into()), ("password", password.into())]).to_string();
    Post::new(url, JSON, body)
}

/// The revocations a logout sends: the refresh token first (revoking it may revoke the access
/// token too, and it is the one that lives long), then the access token, each with its hint.
pub fn logout_revocations(endpoint: &str, tokens: &TokenSet, client_id: Option<&str>) -> Vec<Post> {
    let refresh = tokens.refresh_token.as_ref().map(|t| (t.expose(), "refresh_token"));
    let access = Some((tokens.access_token.expose(), "access_token"));
    [refresh, access]
        .into_iter()
        .flatten()
        .map(|(token, hint)| revocation_request(endpoint, token, Some(hint), client_id))
        .collect()
}

/// What a token request was for: it decides what an error answer means, and what a success
/// must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// `POST /auth/login`: a 401 (or 400 `invalid_grant`) means wrong credentials.
    Login,
    /// A session's own refresh: a 401 (or 400 `invalid_grant`) means the session is over; a
    /// 429 keeps its Retry-After for the backoff.
    SessionRefresh,
    /// A code exchange; `openid`: the sign-in asked for it, so an ID token must come back.
    CodeExchange {
        /// Whether the sign-in asked for `openid`.
        openid: bool,
    },
    /// A refresh or client-credentials grant the app asked for itself: an error answer is the
    /// server's [`Error::OAuth`].
    Grant,
}

/// A token endpoint's answer (`answer.status` any) as the tokens, or the coded error it means
/// for `purpose`.
pub fn process_token_response(purpose: TokenPurpose, answer: Answer<'_>) -> Result<TokenSet, Error> {
    if !(200..300).contains(&answer.status) {
        return Err(match purpose {
            TokenPurpose::Login => answer.error(Purpose::Login),
            TokenPurpose::SessionRefresh => answer.error(Purpose::Refresh),
            TokenPurpose::CodeExchange { .. } | TokenPurpose::Grant => {
                token_error(Answer { retry_after: None, ..answer })
            }
        });
    }
    let tokens = TokenSet::from_json(answer.body)?;
    if let TokenPurpose::CodeExchange { openid } = purpose {
        require_id_token(openid, tokens.id_token.is_some())?;
    }
    Ok(tokens)
}

/// A revocation endpoint's answer: 2xx is done (RFC 7009 2.2), anything else the server's error.
pub fn process_revocation_response(answer: Answer<'_>) -> Result<(), Error> {
    if (200..300).contains(&answer.status) { Ok(()) } else { Err(token_error(Answer { retry_after: None, ..answer })) }
}

/// How a confidential client authenticates (RFC 6749 2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `Authorization: Basic` (the default every server must support).
    Basic,
    /// `client_id` and `client_secret` in the body.
    Post,
}

impl ClientAuth {
    /// `"client_secret_basic"` (default) or `"client_secret_post"`.
    pub fn parse(name: Option<&str>) -> Result<ClientAuth, Error> {
        match name {
            None | Some("client_secret_basic") => Ok(ClientAuth::Basic),
            Some("client_secret_post") => Ok(ClientAuth::Post),
            Some(_) => Err(Error::InvalidOptions(
                "authMethod must be \"client_secret_basic\" or \"client_secret_post\"".into(),
            )),
        }
    }
}

/// A client-credentials token request: `(Authorization header if any, form body)`, both secret
/// (with `client_secret_post` the body holds the client secret).
pub fn client_credentials_request(
    client_id: &str,
    secret: &Secret,
    scope: Option<&str>,
    auth: ClientAuth,
) -> (Option<Secret>, Secret) {
    let mut pairs = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    match auth {
        ClientAuth::Basic => {
            // RFC 6749 2.3.1: both parts are form-urlencoded before base64.
            let credentials =
                format!("{}:{}", form::encode_component(client_id), form::encode_component(secret.expose()));
            (Some(Secret::new(format!("Basic {}", base64_standard(credentials)))), Secret::new(form::encode(&pairs)))
        }
        ClientAuth::Post => {
            pairs.extend([("client_id", client_id), ("client_secret", secret.expose())]);
            (None, Secret::new(form::encode(&pairs)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> Metadata {
        Metadata {
            issuer: Some("https://as.example".into()),
            authorization_endpoint: "https://as.example/oauth/authorize".into(),
            token_endpoint: "https://as.example/oauth/token".into(),
            revocation_endpoint: None,
            jwks_uri: Some("https://as.example/jwks".into()),
            iss_parameter_supported: true,
        }
    }

    fn client() -> PublicClient {
        PublicClient {
            client_id: "demo-spa".into(),
            redirect_uri: "https://app.example/cb".into(),
            scope: Some("openid read:resources".into()),
            metadata: metadata(),
        }
    }

    fn rfc7636_transaction(nonce: Option<&str>) -> Transaction {
        Transaction {
            issuer: "https://as.example".into(),
            client_id: "demo-spa".into(),
            scope: nonce.map(|_| "openid".into()),
            state: "af0ifjsldkj".into(),
            verifier: CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").expect("RFC 7636 B"),
            nonce: nonce.map(str::to_owned),
            redirect_uri: "https://app.example/cb".into(),
            created_at_ms: 1_000.0,
            app_state: None,
            silent: false,
        }
    }

    #[test]
    fn the_authorization_url_carries_pkce_s256_state_and_nonce() {
        let url = client()
            .authorization_url(&rfc7636_transaction(Some("n-0S6_WzA2Mj")), None, &[("prompt".into(), "login".into())])
            .expect("valid");
        assert_eq!(
            url,
            "https://as.example/oauth/authorize?response_type=code&client_id=demo-spa&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
             &scope=openid+read%3Aresources&state=af0ifjsldkj&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&nonce=n-0S6_WzA2Mj&prompt=login"
        );
        let mut other = client();
        other.metadata.authorization_endpoint = "https://as.example/authorize?tenant=a".into();
        let url = other.authorization_url(&rfc7636_transaction(None), Some("read"), &[]).expect("valid");
        assert!(url.starts_with("https://as.example/authorize?tenant=a&response_type=code&"), "{url}");
        assert!(url.contains("&scope=read&") && !url.contains("nonce"), "{url}");
    }

    #[test]
    fn extra_parameters_cannot_replace_the_protocol_ones() {
        for name in [
            "state",
            "code_challenge_method",
            "redirect_uri",
            "client_id",
            "nonce",
            "response_type",
            "code_challenge",
            "scope",
        ] {
            let err = client()
                .authorization_url(&rfc7636_transaction(None), None, &[(name.into(), "plain".into())])
                .expect_err(name);
            assert_eq!(err.code(), "ERR_AUTH_INVALID_OPTIONS");
        }
    }

    #[test]
    fn the_code_exchange_sends_the_verifier() {
        let request = client().code_exchange_request(&rfc7636_transaction(None), "SplxlOBeZQQYbYS6WxSbIA");
        assert_eq!((request.url.as_str(), request.content_type), ("https://as.example/oauth/token", FORM));
        let body = request.body.expose();
        assert_eq!(
            body,
            "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&client_id=demo-spa&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
    }

    #[test]
    fn transactions_round_trip_expire_and_never_print_the_verifier() {
        let tx =
            Transaction::start(&client(), Some("openid"), Some("{\"to\":\"/x\"}".into()), 5_000.0).expect("random");
        assert_eq!(tx.state.len(), 43);
        assert!(tx.nonce.as_ref().is_some_and(|n| n.len() == 43 && *n != tx.state));
        let back = Transaction::load(&tx.to_json(), &client()).expect("round trip");
        assert_eq!(
            (back.state.as_str(), back.verifier.secret(), back.nonce.as_deref()),
            (tx.state.as_str(), tx.verifier.secret(), tx.nonce.as_deref())
        );
        assert_eq!(back.app_state.as_deref(), Some("{\"to\":\"/x\"}"));
        assert!(back.wants_openid());
        assert!(tx.check_age(5_000.0 + TRANSACTION_MAX_AGE_MS).is_ok());
        assert_eq!(
            tx.check_age(5_001.0 + TRANSACTION_MAX_AGE_MS).expect_err("old").code(),
            "ERR_OAUTH_TRANSACTION_EXPIRED"
        );
        assert_eq!(tx.check_age(4_000.0).expect_err("future").code(), "ERR_OAUTH_TRANSACTION_EXPIRED");
        assert!(Transaction::start(&client(), Some("read"), None, 0.0).expect("random").nonce.is_none());
        for bad in ["", "{}", "[]", r#"{"state":"s","code_verifier":"short","redirect_uri":"r","created_at":1}"#] {
            assert_eq!(
                Transaction::load(bad, &client()).err().map(|e| e.code()),
                Some("ERR_OAUTH_TRANSACTION_MISSING"),
                "{bad}"
            );
        }
    }

    /// Edits `tx`'s stored JSON: `name` set to `value` (JSON), or removed when `None`.
    fn edited(tx: &Transaction, name: &str, value: Option<&str>) -> String {
        let stored = crate::jose::json::parse_object(tx.to_json().as_bytes()).expect("object");
        let mut doc = Map::new();
        for (key, kept) in stored.iter().filter(|(key, _)| key.as_str() != name) {
            doc.insert(key.clone(), kept.clone());
        }
        if let Some(value) = value {
            doc.insert(name.into(), crate::jose::json::parse_value(value.as_bytes()).expect("json"));
        }
        Value::Object(doc).to_string()
    }

    #[test]
    fn a_transaction_belongs_to_the_client_that_started_it() {
        let tx = Transaction::start(&client(), Some("openid"), None, 0.0).expect("random");
        let missing = |text: &str, who: &PublicClient| Transaction::load(text, who).err().map(|e| e.code());
        let gone = Some("ERR_OAUTH_TRANSACTION_MISSING");
        // Another client of the page, told apart by issuer, client id or redirect URI.
        let mut other = client();
        other.metadata.issuer = Some("https://as.example/".into());
        assert_eq!(missing(&tx.to_json(), &other), gone);
        let mut other = client();
        other.client_id = "other-spa".into();
        assert_eq!(missing(&tx.to_json(), &other), gone);
        let mut other = client();
        other.redirect_uri = "https://app.example/elsewhere".into();
        assert_eq!(missing(&tx.to_json(), &other), gone);
        assert_ne!(client().key(), other.key());
        // An edited record: binding, redirect URI, nonce or scope removed or changed.
        for (name, value) in [
            ("issuer", None),
            ("client_id", Some(r#""other-spa""#)),
            ("redirect_uri", Some(r#""https://evil.example/cb""#)),
            ("nonce", None),
            ("nonce", Some("null")),
            ("scope", None),
        ] {
            assert_eq!(missing(&edited(&tx, name, value), &client()), gone, "{name} {value:?}");
        }
        // The exchange sends the client's redirect URI, whatever the record says.
        let body = client().code_exchange_body(&tx, "c");
        assert!(body.contains("redirect_uri=https%3A%2F%2Fapp.example%2Fcb&"), "{body}");
        // Without openid, no nonce is needed.
        let plain = Transaction::start(&client(), Some("read"), None, 0.0).expect("random");
        assert!(Transaction::load(&plain.to_json(), &client()).is_ok());
        assert_eq!(require_id_token(plain.wants_openid(), false), Ok(()));
        assert_eq!(require_id_token(tx.wants_openid(), true), Ok(()));
        assert_eq!(require_id_token(tx.wants_openid(), false).expect_err("openid").code(), "ERR_AUTH_INVALID_RESPONSE");
    }

    fn claims(json: &str) -> Map {
        crate::jose::json::parse_object(json.as_bytes()).expect("object")
    }

    /// `json`'s claims (with a valid iss, aud, sub, exp and iat unless it sets them) through the
    /// whole ID-token policy: the verifier's rules, then `check_id_token_claims`.
    fn id_token_error(json: &str, nonce: Option<&str>) -> Option<(String, &'static str)> {
        let mut all = claims(r#"{"iss":"https://as.example","aud":"demo-spa","sub":"u","exp":2000000,"iat":1000000}"#);
        for (name, value) in claims(json).iter() {
            all.insert(name.clone(), value.clone());
        }
        let header =
            crate::jose::jws::Header { alg: crate::jose::alg::Alg::Hs256, kid: None, typ: None, members: Map::new() };
        let rules = id_token_options("https://as.example", "demo-spa", nonce).rules;
        let checked =
            crate::jose::claims::validate(&header, Value::Object(all).to_string().as_bytes(), &rules, 1_000_000)
                .and_then(|claims| check_id_token_claims(&claims, "demo-spa", nonce.is_some(), 1_000_000.0));
        match checked {
            Ok(()) => None,
            Err(Error::ClaimValidationFailed(failure)) => Some((failure.claim, failure.reason)),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn id_tokens_need_the_nonce_a_fitting_azp_and_a_past_iat() {
        let n = Some("n1");
        assert_eq!(id_token_error(r#"{"nonce":"n1","aud":"demo-spa","iat":1000000}"#, n), None);
        assert_eq!(id_token_error(r#"{"nonce":"n1","aud":["demo-spa"],"iat":1000060}"#, n), None);
        assert_eq!(id_token_error(r#"{"nonce":"n1","aud":["demo-spa","api"],"azp":"demo-spa"}"#, n), None);
        let failed = |claim: &str, reason| Some((claim.to_owned(), reason));
        assert_eq!(id_token_error(r#"{"aud":"demo-spa"}"#, n), failed("nonce", "missing"));
        assert_eq!(id_token_error(r#"{"nonce":"n2"}"#, n), failed("nonce", "check_failed"));
        assert_eq!(id_token_error(r#"{"nonce":7}"#, n), failed("nonce", "check_failed"));
        // A record without a nonce accepts no ID token (the check cannot be switched off).
        assert_eq!(id_token_error(r#"{"aud":"demo-spa"}"#, None), failed("nonce", "check_failed"));
        assert_eq!(id_token_error(r#"{"nonce":"n1","aud":["demo-spa","api"]}"#, n), failed("azp", "missing"));
        assert_eq!(
            id_token_error(r#"{"nonce":"n1","aud":["demo-spa","api"],"azp":"api"}"#, n),
            failed("azp", "check_failed")
        );
        assert_eq!(
            id_token_error(r#"{"nonce":"n1","aud":"demo-spa","azp":"other"}"#, n),
            failed("azp", "check_failed")
        );
        assert_eq!(id_token_error(r#"{"nonce":"n1","azp":["demo-spa"]}"#, n), failed("azp", "invalid"));
        assert_eq!(id_token_error(r#"{"nonce":"n1","iat":1000061}"#, n), failed("iat", "check_failed"));
        assert_eq!(id_token_error(r#"{"nonce":"n1","iat":1086400}"#, n), failed("iat", "check_failed"));
        // The verifier's rules: the issuer, this client among the audiences, sub, exp and iat.
        assert_eq!(id_token_error(r#"{"nonce":"n1","iss":"https://evil.example"}"#, n), failed("iss", "check_failed"));
        assert_eq!(id_token_error(r#"{"nonce":"n1","aud":"api"}"#, n), failed("aud", "check_failed"));
        let policy = id_token_options("https://as.example", "demo-spa", n).rules;
        assert_eq!(policy.required, ["sub", "exp", "iat"]);
        assert_eq!(policy.nonce.as_deref(), Some("n1"));
    }

    #[test]
    fn callbacks_parse_codes_errors_and_refuse_garbage() {
        let ok = parse_callback(
            "https://app.example/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=https%3A%2F%2Fas.example#frag",
        )
        .expect("valid");
        assert_eq!(
            ok,
            Callback::Code {
                code: Secret::new("SplxlOBeZQQYbYS6WxSbIA".into()),
                state: "af0ifjsldkj".into(),
                iss: Some("https://as.example".into())
            }
        );
        let refused =
            parse_callback("https://app.example/cb?error=access_denied&error_description=The+user+said+no&state=xyz")
                .expect("valid");
        assert_eq!(
            refused,
            Callback::Refused {
                error: Some("access_denied".into()),
                description: Some("The user said no".into()),
                state: Some("xyz".into()),
                iss: None
            }
        );
        // The server's (or an attacker's) text: the code only if RFC 6749 allows it, the
        // description bounded and sanitised, and neither ever in a message.
        let Callback::Refused { error, description, .. } = parse_callback(&format!(
            "https://app.example/cb?error=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E&error_description=%22%0A{}&state=s",
            "d".repeat(1000)
        ))
        .expect("valid") else {
            panic!("a refusal")
        };
        assert_eq!(error.as_deref(), Some("<img src=x onerror=alert(1)>"));
        let description = description.expect("kept");
        assert!(description.starts_with("?ddd") && description.chars().count() == 200, "{description}");
        let shown = callback_error(error, Some(description)).to_string();
        assert!(!shown.contains('<') && !shown.contains("ddd"), "{shown}");
        let Callback::Refused { error, .. } =
            parse_callback("https://app.example/cb?error=caf%C3%A9%22&state=s").expect("valid")
        else {
            panic!("a refusal")
        };
        assert_eq!(error, None);
        assert_eq!(callback_error(None, None).code(), "ERR_AUTH_INVALID_RESPONSE");
        assert_eq!(
            parse_callback("https://app.example/cb?code=abc").expect_err("no state").code(),
            "ERR_OAUTH_STATE_MISMATCH"
        );
        assert_eq!(parse_callback("https://app.example/cb").expect_err("nothing").code(), "ERR_AUTH_INVALID_RESPONSE");
        assert_eq!(
            parse_callback("https://app.example/cb?code=a&code=b&state=s").expect_err("twice").code(),
            "ERR_AUTH_INVALID_RESPONSE"
        );
        assert_eq!(parse_callback("not a url").expect_err("garbage").code(), "ERR_AUTH_INVALID_RESPONSE");
    }

    #[test]
    fn rfc9207_iss_checks() {
        let m = metadata();
        assert!(check_iss(&m, Some("https://as.example")).is_ok());
        // RFC 9207: exact string comparison.
        for near in ["https://as.example/", "https://as.example//", "HTTPS://as.example", "https://as.example:443"] {
            assert_eq!(check_iss(&m, Some(near)).expect_err(near).code(), "ERR_OAUTH_ISSUER_MISMATCH");
        }
        let huge = "x".repeat(1 << 20);
        let message = check_iss(&m, Some(&huge)).expect_err("huge").to_string();
        assert!(message.len() < 200, "the rejected iss is not quoted");
        assert_eq!(
            check_iss(&m, Some("https://evil.example")).expect_err("mix-up").code(),
            "ERR_OAUTH_ISSUER_MISMATCH"
        );
        assert_eq!(check_iss(&m, None).expect_err("promised").code(), "ERR_OAUTH_ISSUER_MISMATCH");
        let quiet = Metadata { iss_parameter_supported: false, ..metadata() };
        assert!(check_iss(&quiet, None).is_ok());
    }

    #[test]
    fn discovery_checks_the_issuer_and_pkce() {
        let doc = br#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t",
            "revocation_endpoint":"https://as.example/r","jwks_uri":"https://as.example/k","code_challenge_methods_supported":["S256"],
            "authorization_response_iss_parameter_supported":true}"#;
        let m = Metadata::from_discovery(doc, "https://as.example").expect("valid");
        // RFC 8414 3.3: exact comparison, a trailing slash on either side is another issuer.
        assert_eq!(
            Metadata::from_discovery(doc, "https://as.example/").expect_err("slash").code(),
            "ERR_OAUTH_ISSUER_MISMATCH"
        );
        let slashed = br#"{"issuer":"https://as.example/","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t"}"#;
        assert_eq!(
            Metadata::from_discovery(slashed, "https://as.example").expect_err("slash").code(),
            "ERR_OAUTH_ISSUER_MISMATCH"
        );
        assert_eq!(m.token_endpoint, "https://as.example/t");
        assert_eq!(m.revocation_endpoint.as_deref(), Some("https://as.example/r"));
        assert!(m.iss_parameter_supported);
        assert_eq!(
            Metadata::from_discovery(doc, "https://other.example").expect_err("impersonation").code(),
            "ERR_OAUTH_ISSUER_MISMATCH"
        );
        let plain = br#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["plain"]}"#;
        assert_eq!(
            Metadata::from_discovery(plain, "https://as.example").expect_err("no S256").code(),
            "ERR_AUTH_INVALID_RESPONSE"
        );
        let partial = br#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a"}"#;
        assert_eq!(
            Metadata::from_discovery(partial, "https://as.example").expect_err("no token endpoint").code(),
            "ERR_AUTH_INVALID_RESPONSE"
        );
        let bad_url = br#"{"issuer":"https://as.example","authorization_endpoint":"javascript:alert(1)","token_endpoint":"https://as.example/t"}"#;
        assert_eq!(
            Metadata::from_discovery(bad_url, "https://as.example").expect_err("bad url").code(),
            "ERR_AUTH_INVALID_RESPONSE"
        );
        assert_eq!(
            discovery_urls("https://as.example/tenant/").expect("valid"),
            [
                "https://as.example/tenant/.well-known/openid-configuration".to_owned(),
                "https://as.example/.well-known/oauth-authorization-server/tenant".to_owned()
            ]
        );
        assert_eq!(
            discovery_urls("http://127.0.0.1:8080").expect("valid")[1],
            "http://127.0.0.1:8080/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn token_errors_carry_the_oauth_code() {
        let e = token_error(Answer {
            status: 400,
            body: br#"{"error":"invalid_grant","error_description":"PKCE verification failed"}"#,
            retry_after: None,
            request: None,
        });
        assert_eq!(
            e,
            Error::OAuth(Box::new(TokenRefusal {
                status: 400,
                error: "invalid_grant".into(),
                description: Some("PKCE verification failed".into())
            }))
        );
        assert_eq!(e.code(), "ERR_OAUTH_TOKEN_ERROR");
        assert_eq!(
            token_error(Answer { status: 502, body: b"<html>", retry_after: None, request: None }).code(),
            "ERR_AUTH_HTTP"
        );
        assert_eq!(
            token_error(Answer { status: 429, body: b"{}", retry_after: Some("3"), request: None }).code(),
            "ERR_AUTH_RATE_LIMITED"
        );
    }

    #[test]
    fn client_credentials_requests() {
        let secret = Secret::new("s3cr=t:x".into());
        let (auth, body) = client_credentials_request("my client", &secret, Some("read:resources"), ClientAuth::Basic);
        // base64("my+client:s3cr%3Dt%3Ax")
        assert_eq!(auth.as_ref().map(Secret::expose), Some("Basic bXkrY2xpZW50OnMzY3IlM0R0JTNBeA=="));
        assert_eq!(body.expose(), "grant_type=client_credentials&scope=read%3Aresources");
        let (auth, body) = client_credentials_request("svc", &secret, None, ClientAuth::Post);
        assert_eq!(auth, None);
        assert_eq!(body.expose(), "grant_type=client_credentials&client_id=svc&client_secret=s3cr%3Dt%3Ax");
        assert_eq!(
            ClientAuth::parse(Some("private_key_jwt")).expect_err("unsupported").code(),
            "ERR_AUTH_INVALID_OPTIONS"
        );
    }

    fn code(status: u16, body: &str, purpose: TokenPurpose) -> Result<TokenSet, &'static str> {
        process_token_response(purpose, Answer { status, body: body.as_bytes(), retry_after: Some("7"), request: None })
            .map_err(|e| e.code())
    }

    #[test]
    fn token_answers_mean_what_their_purpose_says() {
        let grant = r#"{"error":"invalid_grant"}"#;
        assert_eq!(code(400, grant, TokenPurpose::Login).err(), Some("ERR_AUTH_INVALID_CREDENTIALS"));
        assert_eq!(code(400, grant, TokenPurpose::SessionRefresh).err(), Some("ERR_AUTH_SESSION_EXPIRED"));
        assert_eq!(code(401, "", TokenPurpose::SessionRefresh).err(), Some("ERR_AUTH_SESSION_EXPIRED"));
        assert_eq!(code(400, grant, TokenPurpose::Grant).err(), Some("ERR_OAUTH_TOKEN_ERROR"));
        assert_eq!(code(400, grant, TokenPurpose::CodeExchange { openid: false }).err(), Some("ERR_OAUTH_TOKEN_ERROR"));
        assert_eq!(code(503, "", TokenPurpose::Grant).err(), Some("ERR_AUTH_HTTP"));
        // Only the session's refresh backs off by the server's Retry-After.
        let limited = |purpose| {
            process_token_response(purpose, Answer { status: 429, body: b"", retry_after: Some("7"), request: None })
        };
        assert_eq!(limited(TokenPurpose::SessionRefresh), Err(Error::RateLimited { retry_after: Some(7).into() }));
        assert_eq!(limited(TokenPurpose::Grant), Err(Error::RateLimited { retry_after: None.into() }));
        let ok = r#"{"access_token":"at","expires_in":60}"#;
        assert_eq!(code(200, ok, TokenPurpose::Grant).map(|t| t.expires_in), Ok(Some(60.0)));
        assert_eq!(code(200, "{}", TokenPurpose::Login).err(), Some("ERR_AUTH_INVALID_RESPONSE"));
        // A sign-in that asked for openid needs an ID token.
        assert_eq!(code(200, ok, TokenPurpose::CodeExchange { openid: true }).err(), Some("ERR_AUTH_INVALID_RESPONSE"));
        assert!(code(200, ok, TokenPurpose::CodeExchange { openid: false }).is_ok());
        let with_id = r#"{"access_token":"at","id_token":"h.p.s"}"#;
        assert!(code(200, with_id, TokenPurpose::CodeExchange { openid: true }).is_ok());
        let revoked = |status| {
            process_revocation_response(Answer { status, body: grant.as_bytes(), retry_after: None, request: None })
        };
        assert_eq!(revoked(200), Ok(()));
        assert_eq!(revoked(400).map_err(|e| e.code()), Err("ERR_OAUTH_TOKEN_ERROR"));
    }

    #[test]
    fn refresh_and_revocation_requests_have_one_shape() {
        let rt = Secret::new("rt/1+x".into());
        let json = refresh_request(&RefreshVia::Json("https://api.example/auth/refresh".into()), &rt, Some("spa"));
        assert_eq!((json.content_type, json.body.expose()), (JSON, r#"{"refresh_token":"rt/1+x"}"#));
        let oauth = refresh_request(&RefreshVia::OAuth("https://as.example/token".into()), &rt, Some("spa"));
        assert_eq!(oauth.url, "https://as.example/token");
        assert_eq!(
            (oauth.content_type, oauth.body.expose()),
            (FORM, "grant_type=refresh_token&refresh_token=rt%2F1%2Bx&client_id=spa")
        );
        let anonymous = refresh_request(&RefreshVia::OAuth("https://as.example/token".into()), &rt, None);
        assert_eq!(anonymous.body.expose(), "grant_type=refresh_token&refresh_token=rt%2F1%2Bx");
        assert!(!format!("{oauth:?}").contains("rt%2F1"), "the body is a secret");
        let revoke = revocation_request("https://as.example/revoke", "at", Some("access_token"), Some("spa"));
        assert_eq!(revoke.body.expose(), "token=at&token_type_hint=access_token&client_id=spa");
        assert_eq!(revocation_request("https://as.example/revoke", "t", None, None).body.expose(), "token=t");
    }

    #[test]
    fn a_callback_is_judged_against_its_flow() {
        let tx = rfc7636_transaction(None);
        let m = metadata();
        let now = 2_000.0;
        let code = |state: &str, iss: Option<&str>| Callback::Code {
            code: Secret::new("c".into()),
            state: state.into(),
            iss: iss.map(str::to_owned),
        };
        let refused = |state: Option<&str>, iss: Option<&str>| Callback::Refused {
            error: Some("access_denied".into()),
            description: None,
            state: state.map(str::to_owned),
            iss: iss.map(str::to_owned),
        };
        let verdict = |callback, now| match tx.validate_callback(callback, &m, now) {
            CallbackVerdict::Foreign => Err("foreign"),
            CallbackVerdict::Ours(result) => result.map(|c| c.expose().len()).map_err(|e| e.code()),
            CallbackVerdict::NoSession(_) => Err("no session"),
        };
        assert_eq!(verdict(code("af0ifjsldkj", Some("https://as.example")), now), Ok(1));
        assert_eq!(verdict(code("other", Some("https://as.example")), now), Err("foreign"));
        assert_eq!(verdict(refused(None, None), now), Err("foreign"));
        assert_eq!(verdict(refused(Some("x"), None), now), Err("foreign"));
        assert_eq!(verdict(code("af0ifjsldkj", None), now), Err("ERR_OAUTH_ISSUER_MISMATCH"), "iss promised");
        assert_eq!(verdict(code("af0ifjsldkj", Some("https://evil.example")), now), Err("ERR_OAUTH_ISSUER_MISMATCH"));
        assert_eq!(
            verdict(code("af0ifjsldkj", Some("https://as.example")), 1_001.0 + TRANSACTION_MAX_AGE_MS),
            Err("ERR_OAUTH_TRANSACTION_EXPIRED")
        );
        assert_eq!(
            verdict(refused(Some("af0ifjsldkj"), Some("https://as.example")), now),
            Err("ERR_OAUTH_CALLBACK_ERROR")
        );
        assert_eq!(
            verdict(refused(Some("af0ifjsldkj"), Some("https://evil.example")), now),
            Err("ERR_OAUTH_ISSUER_MISMATCH"),
            "a refusal from another server is not this one's"
        );
    }

    #[test]
    fn a_silent_flow_asks_prompt_none_and_round_trips() {
        let tx = rfc7636_transaction(Some("n")).silently();
        let url = client().authorization_url(&tx, None, &[("login_hint".into(), "a@b".into())]).expect("valid");
        assert!(url.ends_with("&nonce=n&prompt=none&login_hint=a%40b"), "{url}");
        let err = client().authorization_url(&tx, None, &[("prompt".into(), "login".into())]).expect_err("prompt");
        assert_eq!(err.code(), "ERR_AUTH_INVALID_OPTIONS");
        let plain = client().authorization_url(&rfc7636_transaction(Some("n")), None, &[]).expect("valid");
        assert!(!plain.contains("prompt"), "{plain}");

        let started = Transaction::start(&client(), Some("openid"), None, 0.0).expect("random");
        assert!(!Transaction::load(&started.to_json(), &client()).expect("plain").silent);
        let silent = started.silently();
        assert!(Transaction::load(&silent.to_json(), &client()).expect("silent").silent);
        // A record stored before silent flows existed (no "silent"), or with a non-boolean: ordinary.
        for value in [None, Some("\"true\""), Some("1")] {
            assert!(!Transaction::load(&edited(&silent, "silent", value), &client()).expect("old").silent, "{value:?}");
        }
    }

    #[test]
    fn a_silent_flow_without_a_server_session_is_no_session_not_an_error() {
        let refused = |error: &str, iss: Option<&str>| Callback::Refused {
            error: Some(error.into()),
            description: Some("sign in first".into()),
            state: Some("af0ifjsldkj".into()),
            iss: iss.map(str::to_owned),
        };
        let verdict = |tx: &Transaction, callback| match tx.validate_callback(callback, &metadata(), 2_000.0) {
            CallbackVerdict::Foreign => "foreign".to_owned(),
            CallbackVerdict::Ours(Ok(_)) => "code".to_owned(),
            CallbackVerdict::Ours(Err(e)) => e.code().to_owned(),
            CallbackVerdict::NoSession(error) => format!("no session: {error}"),
        };
        let silent = rfc7636_transaction(None).silently();
        let plain = rfc7636_transaction(None);
        let issuer = Some("https://as.example");
        for error in NO_SESSION_ERRORS {
            assert_eq!(verdict(&silent, refused(error, issuer)), format!("no session: {error}"));
            // An interactive sign-in that gets the same answer failed, as before.
            assert_eq!(verdict(&plain, refused(error, issuer)), "ERR_OAUTH_CALLBACK_ERROR", "{error}");
        }
        // Other refusals stay errors, silent or not; a refusal from another server is not this one's.
        for error in ["access_denied", "invalid_scope", "server_error", "temporarily_unavailable"] {
            assert_eq!(verdict(&silent, refused(error, issuer)), "ERR_OAUTH_CALLBACK_ERROR", "{error}");
        }
        assert_eq!(
            verdict(&silent, refused("login_required", Some("https://evil.example"))),
            "ERR_OAUTH_ISSUER_MISMATCH"
        );
        assert_eq!(verdict(&silent, refused("login_required", None)), "ERR_OAUTH_ISSUER_MISMATCH", "iss promised");
        let mut other_state = refused("login_required", issuer);
        if let Callback::Refused { state, .. } = &mut other_state {
            *state = Some("other".into());
        }
        assert_eq!(verdict(&silent, other_state), "foreign");
        // A silent flow that comes back with a code is an ordinary sign-in.
        let code = Callback::Code {
            code: Secret::new("c".into()),
            state: "af0ifjsldkj".into(),
            iss: issuer.map(str::to_owned),
        };
        assert_eq!(verdict(&silent, code), "code");
        // `error` that is not an RFC 6749 code never counts as "no session".
        let garbage = parse_callback(
            "https://app.example/cb?error=login_required%22&state=af0ifjsldkj&iss=https%3A%2F%2Fas.example",
        )
        .expect("parsed");
        assert_eq!(verdict(&silent, garbage), "ERR_AUTH_INVALID_RESPONSE");
    }

    #[test]
    fn login_logout_and_discovery_answers() {
        let base = BaseUrl::parse("https://api.example/v1").expect("url");
        let login = login_request(&base, "a@example.com", "p\"w");
        assert_eq!(login.url, "https://api.example/v1/auth/login");
        assert_eq!((login.content_type, login.body.expose()), (JSON, r#"{"email":"a@example.com","password":"p\"w"}"#));
        let both = TokenSet::from_json(br#"{"access_token":"at","refresh_token":"rt"}"#).expect("valid");
        let bodies: Vec<_> = logout_revocations("https://as.example/revoke", &both, Some("spa"))
            .into_iter()
            .map(|post| post.body.expose().to_owned())
            .collect();
        assert_eq!(
            bodies,
            [
                "token=rt&token_type_hint=refresh_token&client_id=spa",
                "token=at&token_type_hint=access_token&client_id=spa"
            ]
        );
        let access_only = TokenSet::from_json(br#"{"access_token":"at"}"#).expect("valid");
        assert_eq!(logout_revocations("https://as.example/revoke", &access_only, None).len(), 1);
        let doc = br#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t"}"#;
        let answer = |status, body: &'static [u8]| Answer { status, body, retry_after: None, request: None };
        assert!(matches!(
            Metadata::process_discovery_response(answer(200, doc), "https://as.example"),
            Ok(Discovered::Found(_))
        ));
        assert!(matches!(
            Metadata::process_discovery_response(answer(404, b""), "https://as.example"),
            Ok(Discovered::NotHere(Error::Http(failure))) if failure.status == 404
        ));
        assert_eq!(
            Metadata::process_discovery_response(answer(500, b""), "https://as.example").map_err(|e| e.code()),
            Err("ERR_AUTH_HTTP")
        );
        assert_eq!(
            Metadata::process_discovery_response(answer(200, doc), "https://other.example").map_err(|e| e.code()),
            Err("ERR_OAUTH_ISSUER_MISMATCH")
        );
    }
}
