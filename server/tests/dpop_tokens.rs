//! DPoP (RFC 9449) at the token endpoints, over real HTTP: /v1/auth/login and /v1/auth/refresh,
//! and /oauth/token's authorization_code (with `dpop_jkt`), refresh_token and client_credentials.
//! Proofs come from the tests' own signer (common/dpop.rs), never from the code under test.

mod common;

use common::dpop::*;
use common::*;
use serde_json::{Value, json};

fn login_with(server: &Server, proof: &str) -> Resp {
    server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[("dpop", proof)])
}

fn refresh_with(server: &Server, refresh_token: &str, proof: Option<&str>) -> Resp {
    let headers: Vec<(&str, &str)> = proof.map(|p| ("dpop", p)).into_iter().collect();
    server.post_json("/v1/auth/refresh", &json!({ "refresh_token": refresh_token }), &headers)
}

/// Asserts a DPoP-bound token answer for `key`; returns it.
fn expect_bound(r: &Resp, key: &DpopKey) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    let tokens = r.json();
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");
    let claims = jwt_payload(tokens["access_token"].as_str().expect("access_token"));
    assert_eq!(claims["cnf"], json!({ "jkt": key.jkt }), "{claims}");
    tokens
}

#[test]
fn a_login_with_a_proof_gets_a_token_bound_to_its_key_and_without_one_a_bearer_token() {
    let dir = TempDir::new("dpop-login");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(7);
    let tokens = expect_bound(&login_with(&server, &key.token_proof(&server.url("/v1/auth/login"))), &key);
    assert!(tokens["refresh_token"].as_str().is_some());
    let plain = server.login();
    assert_eq!(plain["token_type"], "Bearer");
    assert!(jwt_payload(plain["access_token"].as_str().expect("token")).get("cnf").is_none());
}

#[test]
fn token_endpoint_proofs_for_another_request_or_time_are_refused() {
    let dir = TempDir::new("dpop-refusals");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(8);
    let login = server.url("/v1/auth/login");
    let refused = |proof: &str, why: &str| {
        let r = login_with(&server, proof);
        assert_eq!(r.status, 400, "{why}: {}", r.body);
        assert_eq!(r.json()["error"], "invalid_dpop_proof", "{why}: {}", r.body);
    };
    refused(&key.proof("GET", &login, &json!({})), "htm GET for a POST");
    refused(&key.proof("POST", &server.url("/v1/auth/refresh"), &json!({})), "htu of another endpoint");
    refused(&key.proof("POST", "http://elsewhere.example/v1/auth/login", &json!({})), "htu of another host");
    refused(&key.proof("POST", &login, &json!({ "iat": now() - 3600 })), "iat an hour ago");
    refused(&key.proof("POST", &login, &json!({ "iat": now() + 3600 })), "iat an hour ahead");
    refused(&key.proof("POST", &login, &json!({ "jti": null })), "no jti");
    let mut header = key.header();
    header["typ"] = json!("JWT");
    refused(&key.sign(&header, &key.claims("POST", &login, &json!({}))), "typ JWT");
    let mut header = key.header();
    header["alg"] = json!("none");
    refused(&key.sign(&header, &key.claims("POST", &login, &json!({}))), "alg none");
    let mut header = key.header();
    header["alg"] = json!("HS256");
    refused(&key.sign(&header, &key.claims("POST", &login, &json!({}))), "alg HS256");
    let mut header = key.header();
    header["jwk"]["d"] = json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    refused(&key.sign(&header, &key.claims("POST", &login, &json!({}))), "a private key in jwk");
    let mut header = key.header();
    header.as_object_mut().expect("an object").remove("jwk");
    refused(&key.sign(&header, &key.claims("POST", &login, &json!({}))), "no jwk");
    // Signed by another key than the one in its header.
    let other = DpopKey::new(9);
    refused(&other.sign(&key.header(), &key.claims("POST", &login, &json!({}))), "signature of another key");
    refused("not-a-jwt", "not a JWS");

    // The same proof twice: the second is a replay.
    let proof = key.token_proof(&login);
    expect_bound(&login_with(&server, &proof), &key);
    refused(&proof, "replayed jti");
}

#[test]
fn two_dpop_headers_are_refused() {
    let dir = TempDir::new("dpop-two");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(10);
    let login = server.url("/v1/auth/login");
    let (a, b) = (key.token_proof(&login), key.token_proof(&login));
    let r = server.post_json(
        "/v1/auth/login",
        &json!({ "email": EMAIL, "password": PASSWORD }),
        &[("dpop", &a), ("dpop", &b)],
    );
    r.expect_error(400, "invalid_dpop_proof");
}

#[test]
fn a_bound_refresh_token_needs_a_proof_of_its_key() {
    let dir = TempDir::new("dpop-refresh");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(11);
    let refresh_url = server.url("/v1/auth/refresh");
    let tokens = expect_bound(&login_with(&server, &key.token_proof(&server.url("/v1/auth/login"))), &key);
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh_token");

    refresh_with(&server, refresh_token, None).expect_error(401, "invalid_grant");
    let thief = DpopKey::new(12);
    refresh_with(&server, refresh_token, Some(&thief.token_proof(&refresh_url))).expect_error(401, "invalid_grant");
    // The refusals revoked nothing: the key's holder refreshes, and the successor stays bound.
    let next = expect_bound(&refresh_with(&server, refresh_token, Some(&key.token_proof(&refresh_url))), &key);
    let next_refresh = next["refresh_token"].as_str().expect("refresh_token");
    refresh_with(&server, next_refresh, None).expect_error(401, "invalid_grant");
    expect_bound(&refresh_with(&server, next_refresh, Some(&key.token_proof(&refresh_url))), &key);
}

#[test]
fn an_unbound_refresh_token_refreshed_with_a_proof_becomes_bound() {
    let dir = TempDir::new("dpop-upgrade");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(13);
    let refresh_url = server.url("/v1/auth/refresh");
    let plain = server.login();
    let plain_refresh = plain["refresh_token"].as_str().expect("refresh_token");
    let bound = expect_bound(&refresh_with(&server, plain_refresh, Some(&key.token_proof(&refresh_url))), &key);
    let bound_refresh = bound["refresh_token"].as_str().expect("refresh_token");
    refresh_with(&server, bound_refresh, None).expect_error(401, "invalid_grant");
    // An unbound one refreshed without a proof stays a Bearer one, as always.
    let other = server.login();
    let r = refresh_with(&server, other["refresh_token"].as_str().expect("refresh_token"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "Bearer");
}

#[test]
fn the_cookie_mode_binds_the_cookie_refresh_token_too() {
    let dir = TempDir::new("dpop-cookie");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(14);
    let cookie_mode = ("refresh-token-transport", "cookie");
    let origin = ("origin", server.base.as_str());
    let proof = key.token_proof(&server.url("/v1/auth/login"));
    let login = server.post_json(
        "/v1/auth/login",
        &json!({ "email": EMAIL, "password": PASSWORD }),
        &[cookie_mode, origin, ("dpop", &proof)],
    );
    expect_bound(&login, &key);
    let cookie = login.cookie();
    let refresh = |proof: Option<&str>| {
        let mut headers = vec![cookie_mode, origin, ("cookie", cookie.as_str())];
        headers.extend(proof.map(|p| ("dpop", p)));
        server.post_raw("/v1/auth/refresh", "application/json", "{}", &headers)
    };
    // Without a proof: refused, and the browser is told to drop the cookie (a browser that
    // lost its key cannot use it again); nothing is revoked.
    let refused = refresh(None);
    refused.expect_error(401, "invalid_grant");
    assert!(refused.header_all("set-cookie").iter().all(|c| c.contains("Max-Age=0")), "{:?}", refused.headers);
    let proof = key.token_proof(&server.url("/v1/auth/refresh"));
    let refreshed = refresh(Some(&proof));
    expect_bound(&refreshed, &key);
    assert!(refreshed.header_all("set-cookie").iter().all(|c| !c.contains("Max-Age=0")), "a new cookie");
}

fn authorize_params<'a>(redirect_uri: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", redirect_uri),
        ("scope", "openid read:resources"),
        ("state", "st4te"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    params
}

/// The code of an approved authorization request of `demo-spa` with `extra` parameters.
fn code(server: &Server, redirect_uri: &str, extra: &[(&str, &str)]) -> String {
    let r = server.submit_authorize(&authorize_params(redirect_uri, extra), "allow");
    assert_eq!(r.status, 303, "{}", r.body);
    let location = url::Url::parse(r.header("location").unwrap_or("")).expect("Location");
    location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code")
}

fn exchange(server: &Server, code: &str, redirect_uri: &str, proof: Option<&str>) -> Resp {
    let headers: Vec<(&str, &str)> = proof.map(|p| ("dpop", p)).into_iter().collect();
    server.post_form(
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", SPA),
            ("code_verifier", VERIFIER),
        ],
        &headers,
    )
}

fn oauth_refresh(server: &Server, refresh_token: &str, proof: Option<&str>) -> Resp {
    let headers: Vec<(&str, &str)> = proof.map(|p| ("dpop", p)).into_iter().collect();
    server.post_form(
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", SPA)],
        &headers,
    )
}

#[test]
fn the_code_exchange_of_a_public_client_binds_the_access_and_the_refresh_token() {
    let dir = TempDir::new("dpop-code");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(15);
    let token_url = server.url("/oauth/token");
    let redirect = server.url("/callback");
    let code = code(&server, &redirect, &[]);
    let tokens = expect_bound(&exchange(&server, &code, &redirect, Some(&key.token_proof(&token_url))), &key);
    assert!(tokens["id_token"].as_str().is_some(), "openid still gets its ID token");
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh_token");
    oauth_refresh(&server, refresh_token, None).expect_error(400, "invalid_grant");
    oauth_refresh(&server, refresh_token, Some(&DpopKey::new(16).token_proof(&token_url)))
        .expect_error(400, "invalid_grant");
    expect_bound(&oauth_refresh(&server, refresh_token, Some(&key.token_proof(&token_url))), &key);
}

#[test]
fn a_refused_proof_leaves_the_code_unredeemed() {
    let dir = TempDir::new("dpop-code-retry");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(17);
    let redirect = server.url("/callback");
    let code = code(&server, &redirect, &[]);
    exchange(&server, &code, &redirect, Some(&key.proof("GET", &server.url("/oauth/token"), &json!({}))))
        .expect_error(400, "invalid_dpop_proof");
    expect_bound(&exchange(&server, &code, &redirect, Some(&key.token_proof(&server.url("/oauth/token")))), &key);
}

#[test]
fn dpop_jkt_binds_the_code_to_its_key() {
    let dir = TempDir::new("dpop-jkt");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(18);
    let token_url = server.url("/oauth/token");
    let redirect = server.url("/callback");
    let code = code(&server, &redirect, &[("dpop_jkt", &key.jkt)]);
    exchange(&server, &code, &redirect, None).expect_error(400, "invalid_grant");
    exchange(&server, &code, &redirect, Some(&DpopKey::new(19).token_proof(&token_url)))
        .expect_error(400, "invalid_grant");
    expect_bound(&exchange(&server, &code, &redirect, Some(&key.token_proof(&token_url))), &key);

    // A dpop_jkt that is no thumbprint goes back to the client as invalid_request.
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(authorize_params(&redirect, &[("dpop_jkt", "short")]))
        .finish();
    let r = server.get(&format!("/oauth/authorize?{query}"), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").is_some_and(|l| l.contains("error=invalid_request")), "{:?}", r.header("location"));
}

#[test]
fn a_confidential_client_gets_bound_access_tokens_and_an_unbound_refresh_token() {
    let dir = TempDir::new("dpop-confidential");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(20);
    let token_url = server.url("/oauth/token");
    let auth = basic(SERVICE, SERVICE_SECRET);

    let r = server.post_form(
        "/oauth/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth), ("dpop", &key.token_proof(&token_url))],
    );
    let tokens = expect_bound(&r, &key);
    assert!(tokens.get("refresh_token").is_none());
    let plain = server.post_form("/oauth/token", &[("grant_type", "client_credentials")], &[("authorization", &auth)]);
    assert_eq!(plain.json()["token_type"], "Bearer");

    // Its code flow: the refresh token is bound by the client's credentials, not by the key.
    let redirect = server.url("/callback");
    let params = [
        ("response_type", "code"),
        ("client_id", SERVICE),
        ("redirect_uri", redirect.as_str()),
        ("scope", "read:resources"),
        ("state", "s"),
    ];
    let r = server.submit_authorize(&params, "allow");
    let location = url::Url::parse(r.header("location").unwrap_or("")).expect("Location");
    let code = location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code");
    let r = server.post_form(
        "/oauth/token",
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &redirect)],
        &[("authorization", &auth), ("dpop", &key.token_proof(&token_url))],
    );
    let tokens = expect_bound(&r, &key);
    let r = server.post_form(
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().expect("refresh"))],
        &[("authorization", &auth)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "Bearer");
}

#[test]
fn discovery_names_the_proof_algorithms_and_cors_lets_browsers_send_proofs() {
    let dir = TempDir::new("dpop-discovery");
    let server = Server::start(dir.path(), &[]);
    let metadata = server.get("/.well-known/openid-configuration", &[]).json();
    let algs = metadata["dpop_signing_alg_values_supported"].as_array().expect("a list");
    assert!(algs.iter().any(|a| a == "ES256"), "{algs:?}");
    assert!(algs.iter().all(|a| a != "none" && !a.as_str().unwrap_or("").starts_with("HS")), "{algs:?}");

    let r = server.post_raw("/v1/auth/login", "application/json", "{}", &[("origin", server.base.as_str())]);
    assert!(r.header("access-control-expose-headers").is_some_and(|h| h.to_ascii_lowercase().contains("dpop-nonce")));
}

#[test]
fn htu_follows_the_origin_the_client_used_among_the_servers_own() {
    let dir = TempDir::new("dpop-htu-host");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(21);
    let port = server.base.rsplit(':').next().expect("a port").to_owned();
    let localhost = format!("localhost:{port}");
    let via_localhost = |htu: &str| {
        server.post_json(
            "/v1/auth/login",
            &json!({ "email": EMAIL, "password": PASSWORD }),
            &[("host", localhost.as_str()), ("dpop", &key.token_proof(htu))],
        )
    };
    // Reached as localhost: the proof names localhost (a page served from there does).
    expect_bound(&via_localhost(&format!("http://{localhost}/v1/auth/login")), &key);
    // A Host that is not one of the server's own origins counts as the issuer's.
    let r = server.post_json(
        "/v1/auth/login",
        &json!({ "email": EMAIL, "password": PASSWORD }),
        &[("host", "evil.example"), ("dpop", &key.token_proof("http://evil.example/v1/auth/login"))],
    );
    r.expect_error(400, "invalid_dpop_proof");
}

#[test]
fn a_proof_is_remembered_only_once_its_request_is_accepted() {
    // Proofs of refused requests (a wrong password here; anyone can send those) do not go into
    // the replay cache: a flood of them cannot fill it and lock honest clients out.
    let dir = TempDir::new("dpop-remember");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(12);
    let login = server.url("/v1/auth/login");
    let proof = key.token_proof(&login);
    let wrong = server.post_json(
        "/v1/auth/login",
        &json!({ "email": EMAIL, "password": "not the password" }),
        &[("dpop", &proof)],
    );
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    expect_bound(&login_with(&server, &proof), &key);
    // Accepted once, then it is a replay.
    login_with(&server, &proof).expect_error(400, "invalid_dpop_proof");
}
