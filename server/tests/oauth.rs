//! OAuth 2.0 over real HTTP: the authorize page, the code flow with PKCE, refresh, revocation,
//! client credentials and discovery.

mod common;

use common::*;
use serde_json::Value;

fn authorize_params<'a>(redirect_uri: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", redirect_uri),
        ("scope", "openid read:resources"),
        ("state", "st4te"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("nonce", "n0nce"),
    ];
    for (k, v) in extra {
        params.retain(|(key, _)| key != k);
        params.push((k, v));
    }
    params
}

fn query(params: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
}

/// Submits the login + consent form; returns the redirect Location.
fn consent(server: &Server, redirect_uri: &str, extra: &[(&str, &str)], decision: &str) -> url::Url {
    let r = server.submit_authorize(&authorize_params(redirect_uri, extra), decision);
    assert_eq!(r.status, 303, "{}", r.body);
    url::Url::parse(r.header("location").unwrap_or("")).expect("Location is a URL")
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

#[test]
fn the_authorize_page_is_a_plain_html_login_and_consent_form() {
    let dir = TempDir::new("page");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    let r = server.get(&format!("/oauth/authorize?{}", query(&authorize_params(&redirect, &[]))), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert!(r.body.contains("<form method=\"post\" action=\"/oauth/authorize\">"));
    assert!(r.body.contains(&format!("name=\"code_challenge\" value=\"{CHALLENGE}\"")));
    assert!(!r.body.contains("<script"), "works without JavaScript");
    let hostile = server.get(
        &format!("/oauth/authorize?{}", query(&authorize_params(&redirect, &[("state", "\"><script>x</script>")]))),
        &[],
    );
    assert!(!hostile.body.contains("<script>x"), "parameters are escaped");
}

#[test]
fn unknown_client_or_redirect_uri_gets_an_error_page_never_a_redirect() {
    let dir = TempDir::new("nored");
    let server = Server::start(dir.path(), &[]);
    let good = server.url("/callback");
    let slash = server.url("/callback/");
    for (extra, redirect) in [
        (vec![("client_id", "nope")], good.as_str()),
        (vec![("client_id", "")], good.as_str()),
        (vec![], "https://evil.example/cb"),
        (vec![], slash.as_str()),
        (vec![], ""),
    ] {
        let r = server.get(&format!("/oauth/authorize?{}", query(&authorize_params(redirect, &extra))), &[]);
        assert_eq!(r.status, 400, "{extra:?} {redirect}");
        assert_eq!(r.header("location"), None, "never a redirect");
        assert!(r.body.contains("Authorization error"));
    }
}

#[test]
fn other_errors_redirect_back_with_error_and_state() {
    let dir = TempDir::new("errred");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    for (extra, error) in [
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge", "short")], "invalid_request"),
        (vec![("response_type", "token")], "unsupported_response_type"),
        (vec![("scope", "admin")], "invalid_scope"),
    ] {
        let r = server.get(&format!("/oauth/authorize?{}", query(&authorize_params(&redirect, &extra))), &[]);
        assert_eq!(r.status, 303, "{extra:?}: {}", r.body);
        let location = url::Url::parse(r.header("location").unwrap_or("")).expect("URL");
        assert!(location.as_str().starts_with(&redirect));
        assert_eq!(param(&location, "error").as_deref(), Some(error), "{extra:?}");
        assert_eq!(param(&location, "state").as_deref(), Some("st4te"));
    }
    let denied = consent(&server, &redirect, &[], "deny");
    assert_eq!(param(&denied, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&denied, "state").as_deref(), Some("st4te"));
}

#[test]
fn code_flow_with_pkce_issues_tokens_once_and_a_replayed_code_revokes_them() {
    let dir = TempDir::new("codeflow");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    let location = consent(&server, &redirect, &[], "allow");
    assert_eq!(param(&location, "state").as_deref(), Some("st4te"));
    assert_eq!(param(&location, "iss").as_deref(), Some(server.base.as_str()), "RFC 9207 iss");
    let code = param(&location, "code").expect("code");
    let tokens = server.exchange_code(&code, &redirect, VERIFIER);
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let tokens = tokens.json();
    assert_eq!(tokens["scope"], "openid read:resources");
    assert_eq!(jwt_payload(tokens["access_token"].as_str().unwrap_or(""))["client_id"], SPA);
    let id_token = jwt_payload(tokens["id_token"].as_str().expect("id_token for scope openid"));
    assert_eq!(id_token["aud"], SPA);
    assert_eq!(id_token["nonce"], "n0nce");
    assert_eq!(id_token["iss"], server.base.as_str());
    let auth = bearer(tokens["access_token"].as_str().unwrap_or(""));
    assert_eq!(server.get("/v1/resources", &[("authorization", &auth)]).status, 200);

    server.exchange_code(&code, &redirect, VERIFIER).expect_error(400, "invalid_grant");
    let refresh = tokens["refresh_token"].as_str().unwrap_or("");
    server
        .post_form(
            "/oauth/token",
            &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", SPA)],
            &[],
        )
        .expect_error(400, "invalid_grant");
    // RFC 6749 4.1.2: the access token issued from the replayed code is revoked too.
    server.get("/v1/resources", &[("authorization", &auth)]).expect_error(401, "invalid_token");
}

#[test]
fn wrong_verifier_redirect_uri_client_or_expired_code_fail_with_invalid_grant() {
    let dir = TempDir::new("badcode");
    let server = Server::start(dir.path(), &["--code-ttl", "1", "--spa-redirect-uri", "http://127.0.0.1:9/cb"]);
    let redirect = server.url("/callback");
    let code = |extra: &[(&str, &str)]| param(&consent(&server, &redirect, extra, "allow"), "code").expect("code");
    server.exchange_code(&code(&[]), &redirect, &"x".repeat(43)).expect_error(400, "invalid_grant");
    server.exchange_code(&code(&[]), &redirect, "not a verifier").expect_error(400, "invalid_grant");
    server.exchange_code(&code(&[]), "http://127.0.0.1:9/cb", VERIFIER).expect_error(400, "invalid_grant");
    server
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code(&[])),
                ("redirect_uri", &redirect),
                ("code_verifier", VERIFIER),
            ],
            &[("authorization", &basic(SERVICE, SERVICE_SECRET))],
        )
        .expect_error(400, "invalid_grant");
    server
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code(&[])),
                ("redirect_uri", &redirect),
                ("client_id", SPA),
            ],
            &[],
        )
        .expect_error(400, "invalid_request");
    let late = code(&[]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    server.exchange_code(&late, &redirect, VERIFIER).expect_error(400, "invalid_grant");
}

#[test]
fn wrong_password_on_the_login_page_shows_the_form_again_without_redirecting() {
    let dir = TempDir::new("pagepw");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    let mut params = authorize_params(&redirect, &[]);
    let (cookie, token) = server.authorize_form(&params);
    params.extend([("email", EMAIL), ("password", "wrong"), ("decision", "allow"), ("csrf_token", &token)]);
    let r = server.post_form("/oauth/authorize", &params, &[("cookie", &cookie), ("origin", &server.base)]);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("location"), None);
    assert!(r.body.contains("Invalid email or password"));
}

#[test]
fn refresh_grant_rotates_and_revocation_ends_refresh_and_access_tokens() {
    let dir = TempDir::new("revoke");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    let code = param(&consent(&server, &redirect, &[("scope", "read:resources")], "allow"), "code").expect("code");
    let tokens = server.exchange_code(&code, &redirect, VERIFIER).json();
    assert!(tokens["id_token"].is_null(), "no openid scope, no ID token");
    let refresh = |token: &str| {
        server.post_form(
            "/oauth/token",
            &[("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", SPA)],
            &[],
        )
    };
    // RFC 6749 6: a narrower scope may be asked for; a broader one may not.
    let first_refresh = tokens["refresh_token"].as_str().unwrap_or("");
    let narrowed = server.post_form(
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first_refresh),
            ("client_id", SPA),
            ("scope", "write:resources"),
        ],
        &[],
    );
    narrowed.expect_error(400, "invalid_scope");
    let next = refresh(first_refresh);
    assert_eq!(next.status, 200, "{}", next.body);
    let next = next.json();
    let narrow = server.post_form(
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", next["refresh_token"].as_str().unwrap_or("")),
            ("client_id", SPA),
            ("scope", "read:resources"),
        ],
        &[],
    );
    assert_eq!(narrow.status, 200, "{}", narrow.body);
    let next = narrow.json();
    assert_eq!(next["scope"], "read:resources");
    assert_ne!(next["refresh_token"], tokens["refresh_token"]);
    let next_refresh = next["refresh_token"].as_str().unwrap_or("");
    let next_access = next["access_token"].as_str().unwrap_or("");
    // Another client cannot use or revoke it.
    server
        .post_form(
            "/oauth/token",
            &[("grant_type", "refresh_token"), ("refresh_token", next_refresh)],
            &[("authorization", &basic(SERVICE, SERVICE_SECRET))],
        )
        .expect_error(400, "invalid_grant");

    assert_eq!(server.post_form("/oauth/revoke", &[("token", next_refresh), ("client_id", SPA)], &[]).status, 200);
    refresh(next_refresh).expect_error(400, "invalid_grant");
    assert_eq!(
        server
            .post_form(
                "/oauth/revoke",
                &[("token", next_access), ("token_type_hint", "access_token"), ("client_id", SPA)],
                &[]
            )
            .status,
        200
    );
    server.get("/v1/resources", &[("authorization", &bearer(next_access))]).expect_error(401, "invalid_token");
    assert_eq!(
        server.post_form("/oauth/revoke", &[("token", "unknown"), ("client_id", SPA)], &[]).status,
        200,
        "unknown tokens: 200"
    );
    server.post_form("/oauth/revoke", &[("client_id", SPA)], &[]).expect_error(400, "invalid_request");

    // The guide's /v1/auth tokens belong to no client: holding the refresh token is enough.
    let own = server.login();
    assert_eq!(
        server.post_form("/oauth/revoke", &[("token", own["refresh_token"].as_str().unwrap_or(""))], &[]).status,
        200
    );
    server
        .post_json("/v1/auth/refresh", &serde_json::json!({ "refresh_token": own["refresh_token"] }), &[])
        .expect_error(401, "invalid_grant");
}

#[test]
fn client_credentials_with_basic_and_post_authentication() {
    let dir = TempDir::new("cc");
    let server = Server::start(dir.path(), &[]);
    let basic_auth = basic(SERVICE, SERVICE_SECRET);
    for (params, headers) in [
        (
            vec![("grant_type", "client_credentials"), ("scope", "read:resources")],
            vec![("authorization", basic_auth.as_str())],
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "read:resources"),
                ("client_id", SERVICE),
                ("client_secret", SERVICE_SECRET),
            ],
            vec![],
        ),
    ] {
        let r = server.post_form("/oauth/token", &params, &headers);
        assert_eq!(r.status, 200, "{}", r.body);
        let tokens: Value = r.json();
        assert!(tokens["refresh_token"].is_null());
        assert_eq!(tokens["scope"], "read:resources");
        let access = tokens["access_token"].as_str().unwrap_or("");
        assert_eq!(jwt_payload(access)["sub"], SERVICE);
        assert_eq!(server.get("/v1/resources", &[("authorization", &bearer(access))]).status, 200);
    }
    let wrong = server.post_form(
        "/oauth/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &basic(SERVICE, "wrong"))],
    );
    assert!(wrong.header("www-authenticate").is_some_and(|c| c.starts_with("Basic ")));
    wrong.expect_error(401, "invalid_client");
    server
        .post_form(
            "/oauth/token",
            &[("grant_type", "client_credentials"), ("client_id", SERVICE), ("client_secret", "wrong")],
            &[],
        )
        .expect_error(401, "invalid_client");
    server
        .post_form("/oauth/token", &[("grant_type", "client_credentials"), ("client_id", SERVICE)], &[])
        .expect_error(401, "invalid_client");
    server
        .post_form(
            "/oauth/token",
            &[("grant_type", "client_credentials"), ("client_id", SERVICE), ("client_secret", SERVICE_SECRET)],
            &[("authorization", &basic_auth)],
        )
        .expect_error(400, "invalid_request");
    server
        .post_form(
            "/oauth/token",
            &[("grant_type", "client_credentials"), ("scope", "admin")],
            &[("authorization", &basic_auth)],
        )
        .expect_error(400, "invalid_scope");
    server
        .post_form("/oauth/token", &[("grant_type", "client_credentials"), ("client_id", SPA)], &[])
        .expect_error(400, "unauthorized_client");
    server
        .post_form("/oauth/token", &[("grant_type", "password"), ("client_id", SPA)], &[])
        .expect_error(400, "unsupported_grant_type");
}

#[test]
fn discovery_documents_and_jwks() {
    let dir = TempDir::new("disco");
    let server = Server::start(dir.path(), &[]);
    for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
        let meta = server.get(path, &[]).json();
        assert_eq!(meta["issuer"], server.base.as_str());
        assert_eq!(meta["authorization_endpoint"], server.url("/oauth/authorize"));
        assert_eq!(meta["token_endpoint"], server.url("/oauth/token"));
        assert_eq!(meta["revocation_endpoint"], server.url("/oauth/revoke"));
        assert_eq!(meta["jwks_uri"], server.url("/.well-known/jwks.json"));
        assert_eq!(meta["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    }
    let jwks = server.get("/.well-known/jwks.json", &[]).json();
    let key = &jwks["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
        (Some("EC"), Some("P-256"), Some("ES256"))
    );
    assert!(key["d"].is_null(), "no private part");
    let token = server.login();
    let header: Value = {
        use base64::Engine as _;
        let part = token["access_token"].as_str().unwrap_or("").split('.').next().unwrap_or("");
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap_or_default())
            .unwrap_or_default()
    };
    assert_eq!(header["kid"], key["kid"], "tokens name the published key");
}
