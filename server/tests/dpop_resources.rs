//! DPoP-bound access tokens at the protected API (RFC 9449 7), over real HTTP: accepted only as
//! `Authorization: DPoP` with a proof of the bound key for the very request; refusals carry
//! `WWW-Authenticate: DPoP` challenges (7.1).

mod common;

use common::dpop::*;
use common::*;
use serde_json::json;

/// A bound access token of `key`, from /v1/auth/login.
fn bound_token(server: &Server, key: &DpopKey) -> String {
    let proof = key.token_proof(&server.url("/v1/auth/login"));
    let r = server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[("dpop", &proof)]);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["access_token"].as_str().expect("access_token").to_owned()
}

/// Asserts a 401 whose challenges offer both schemes (as the core's `verifyRequest` with
/// `dpop: 'allowed'`) with `error` on the DPoP one.
fn expect_challenge(r: &Resp, error: &str) {
    let (bearer, dpop) = challenges(r, error);
    assert!(!bearer.contains("error="), "{bearer}");
    assert!(dpop.contains(&format!("error=\"{error}\"")), "{dpop}");
}

/// Asserts a 401 `error`; returns its Bearer and its DPoP challenge.
fn challenges(r: &Resp, error: &str) -> (String, String) {
    assert_eq!(r.status, 401, "expected 401 {error}: {}", r.body);
    assert_eq!(r.json()["error"], error, "{}", r.body);
    let header = r.header("www-authenticate").unwrap_or("");
    let (bearer, dpop) = header.split_once(", DPoP ").unwrap_or_else(|| panic!("two challenges: {header}"));
    assert!(bearer.starts_with("Bearer realm=\"wasm-auth\""), "{header}");
    assert!(dpop.starts_with("realm=\"wasm-auth\", algs=\"") && dpop.contains("ES256"), "{header}");
    (bearer.to_owned(), dpop.to_owned())
}

#[test]
fn a_bound_token_with_a_proof_of_its_key_reaches_every_protected_route() {
    let dir = TempDir::new("dpop-api");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(30);
    let token = bound_token(&server, &key);
    let resources = server.url("/v1/resources");
    let r = server.get(
        "/v1/resources",
        &[("authorization", &dpop_auth(&token)), ("dpop", &key.resource_proof("GET", &resources, &token))],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["authenticated_via"], "dpop");
    let r = server.post_json(
        "/v1/resources",
        &json!({ "name": "bound" }),
        &[("authorization", &dpop_auth(&token)), ("dpop", &key.resource_proof("POST", &resources, &token))],
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // The query is not part of htu.
    let r = server.get(
        "/v1/resources?page=1",
        &[("authorization", &dpop_auth(&token)), ("dpop", &key.resource_proof("GET", &resources, &token))],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Key management takes a bound token as it takes a Bearer one.
    let keys = server.url("/v1/api-keys");
    let r = server.get(
        "/v1/api-keys",
        &[("authorization", &dpop_auth(&token)), ("dpop", &key.resource_proof("GET", &keys, &token))],
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn a_bound_token_sent_as_bearer_is_refused() {
    let dir = TempDir::new("dpop-as-bearer");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(31);
    let token = bound_token(&server, &key);
    // The error goes on the scheme the request used: Bearer.
    let (bearer_challenge, dpop_challenge) =
        challenges(&server.get("/v1/resources", &[("authorization", &bearer(&token))]), "invalid_token");
    assert!(bearer_challenge.contains("error=\"invalid_token\""), "{bearer_challenge}");
    assert!(!dpop_challenge.contains("error="), "{dpop_challenge}");
    // Even with a valid proof alongside: the scheme says Bearer.
    let proof = key.resource_proof("GET", &server.url("/v1/resources"), &token);
    let r = server.get("/v1/resources", &[("authorization", &bearer(&token)), ("dpop", &proof)]);
    challenges(&r, "invalid_token");
}

#[test]
fn an_unbound_token_sent_as_dpop_is_refused_and_bearer_tokens_work_as_before() {
    let dir = TempDir::new("dpop-unbound");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(32);
    let plain = server.login()["access_token"].as_str().expect("token").to_owned();
    let proof = key.resource_proof("GET", &server.url("/v1/resources"), &plain);
    let r = server.get("/v1/resources", &[("authorization", &dpop_auth(&plain)), ("dpop", &proof)]);
    expect_challenge(&r, "invalid_token");
    let r = server.get("/v1/resources", &[("authorization", &bearer(&plain))]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["authenticated_via"], "bearer");
    // A DPoP header next to a Bearer token that is not bound changes nothing.
    let r = server.get("/v1/resources", &[("authorization", &bearer(&plain)), ("dpop", "ignored")]);
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn proofs_that_do_not_fit_the_request_or_the_token_are_refused() {
    let dir = TempDir::new("dpop-api-refusals");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(33);
    let token = bound_token(&server, &key);
    let resources = server.url("/v1/resources");
    let auth = dpop_auth(&token);
    let get = |proof: Option<&str>| {
        let mut headers = vec![("authorization", auth.as_str())];
        headers.extend(proof.map(|p| ("dpop", p)));
        server.get("/v1/resources", &headers)
    };
    let ath = sha256_b64url(&token);
    expect_challenge(&get(None), "invalid_dpop_proof");
    expect_challenge(&get(Some(&key.proof("GET", &resources, &json!({})))), "invalid_dpop_proof");
    expect_challenge(
        &get(Some(&key.proof("GET", &resources, &json!({ "ath": sha256_b64url("another token") })))),
        "invalid_dpop_proof",
    );
    expect_challenge(&get(Some(&key.proof("POST", &resources, &json!({ "ath": ath })))), "invalid_dpop_proof");
    expect_challenge(
        &get(Some(&key.proof("GET", &server.url("/v1/api-keys"), &json!({ "ath": ath })))),
        "invalid_dpop_proof",
    );
    expect_challenge(
        &get(Some(&key.proof("GET", &resources, &json!({ "ath": ath, "iat": now() - 3600 })))),
        "invalid_dpop_proof",
    );
    // A valid proof of another key: the token is not bound to it.
    let thief = DpopKey::new(34);
    expect_challenge(&get(Some(&thief.resource_proof("GET", &resources, &token))), "invalid_token");
    // A replayed proof.
    let proof = key.resource_proof("GET", &resources, &token);
    assert_eq!(get(Some(&proof)).status, 200);
    expect_challenge(&get(Some(&proof)), "invalid_dpop_proof");
}

#[test]
fn logout_ends_a_bound_access_token_sent_as_dpop() {
    let dir = TempDir::new("dpop-logout");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(35);
    let proof = key.token_proof(&server.url("/v1/auth/login"));
    let tokens = server
        .post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[("dpop", &proof)])
        .json();
    let token = tokens["access_token"].as_str().expect("access_token");
    let r = server.post_json(
        "/v1/auth/logout",
        &json!({ "refresh_token": tokens["refresh_token"] }),
        &[("authorization", &dpop_auth(token))],
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let proof = key.resource_proof("GET", &server.url("/v1/resources"), token);
    let r = server.get("/v1/resources", &[("authorization", &dpop_auth(token)), ("dpop", &proof)]);
    expect_challenge(&r, "invalid_token");
}
