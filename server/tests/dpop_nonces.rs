//! DPoP server nonces (RFC 9449 8 and 9), over real HTTP: `--dpop-nonce` at the token endpoints,
//! `--dpop-resource-nonce` at the protected API, rotation with `--dpop-nonce-seconds`.

mod common;

use common::dpop::*;
use common::*;
use serde_json::json;

fn login(server: &Server, proof: &str) -> Resp {
    server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[("dpop", proof)])
}

/// Asserts a 400 use_dpop_nonce; returns the nonce it hands out.
fn expect_use_nonce(r: &Resp) -> String {
    r.expect_error(400, "use_dpop_nonce");
    r.header("dpop-nonce").expect("a DPoP-Nonce header").to_owned()
}

#[test]
fn without_the_flag_no_nonce_is_asked_for() {
    let dir = TempDir::new("dpop-no-nonce");
    let server = Server::start(dir.path(), &[]);
    let key = DpopKey::new(40);
    let r = login(&server, &key.token_proof(&server.url("/v1/auth/login")));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("dpop-nonce"), None);
}

#[test]
fn the_token_endpoints_ask_for_the_nonce_and_take_it() {
    let dir = TempDir::new("dpop-nonce");
    let server = Server::start(dir.path(), &["--dpop-nonce"]);
    let key = DpopKey::new(41);
    let url = server.url("/v1/auth/login");
    let nonce = expect_use_nonce(&login(&server, &key.token_proof(&url)));
    assert!(nonce.len() >= 22, "{nonce}");
    expect_use_nonce(&login(&server, &key.proof("POST", &url, &json!({ "nonce": "made-up" }))));
    let r = login(&server, &key.proof("POST", &url, &json!({ "nonce": nonce })));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "DPoP");
    assert_eq!(r.header("dpop-nonce"), Some(nonce.as_str()), "the answer hands out the current nonce");
    // A client without DPoP is not asked for anything.
    assert_eq!(server.login()["token_type"], "Bearer");

    // /oauth/token too, and a refusal for the nonce leaves the refresh token usable.
    let refresh_token = r.json()["refresh_token"].as_str().expect("refresh_token").to_owned();
    let refresh_url = server.url("/v1/auth/refresh");
    let refresh = |proof: &str| {
        server.post_json("/v1/auth/refresh", &json!({ "refresh_token": refresh_token }), &[("dpop", proof)])
    };
    expect_use_nonce(&refresh(&key.token_proof(&refresh_url)));
    let r = refresh(&key.proof("POST", &refresh_url, &json!({ "nonce": nonce })));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server.post_form(
        "/oauth/token",
        &[("grant_type", "client_credentials")],
        &[("authorization", &basic(SERVICE, SERVICE_SECRET)), ("dpop", &key.token_proof(&server.url("/oauth/token")))],
    );
    expect_use_nonce(&r);
}

#[test]
fn nonces_rotate_and_the_previous_one_still_works_for_one_period() {
    let dir = TempDir::new("dpop-rotate");
    let server = Server::start(dir.path(), &["--dpop-nonce", "--dpop-nonce-seconds", "1"]);
    let key = DpopKey::new(42);
    let url = server.url("/v1/auth/login");
    let first = expect_use_nonce(&login(&server, &key.token_proof(&url)));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = expect_use_nonce(&login(&server, &key.token_proof(&url)));
    assert_ne!(first, second, "rotated after its period");
    // Within the next period the previous nonce is still taken (a client that just got it).
    let r = login(&server, &key.proof("POST", &url, &json!({ "nonce": first })));
    if r.status != 200 {
        // The test itself may have crossed another period boundary: then the first is two old.
        expect_use_nonce(&r);
    }
    std::thread::sleep(std::time::Duration::from_millis(2100));
    expect_use_nonce(&login(&server, &key.proof("POST", &url, &json!({ "nonce": first }))));
}

#[test]
fn the_api_asks_for_its_nonce_with_a_dpop_challenge() {
    let dir = TempDir::new("dpop-resource-nonce");
    let server = Server::start(dir.path(), &["--dpop-resource-nonce"]);
    let key = DpopKey::new(43);
    // The token endpoints need no nonce in this mode.
    let r = login(&server, &key.token_proof(&server.url("/v1/auth/login")));
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["access_token"].as_str().expect("token").to_owned();
    let resources = server.url("/v1/resources");
    let auth = dpop_auth(&token);
    let r = server
        .get("/v1/resources", &[("authorization", &auth), ("dpop", &key.resource_proof("GET", &resources, &token))]);
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["error"], "use_dpop_nonce");
    let challenge = r.header("www-authenticate").unwrap_or("");
    let dpop = challenge.split_once(", DPoP ").map(|(_, dpop)| dpop).unwrap_or("");
    assert!(dpop.contains("error=\"use_dpop_nonce\""), "{challenge}");
    let nonce = r.header("dpop-nonce").expect("a DPoP-Nonce header").to_owned();
    let proof = key.proof("GET", &resources, &json!({ "ath": sha256_b64url(&token), "nonce": nonce }));
    let r = server.get("/v1/resources", &[("authorization", &auth), ("dpop", &proof)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("dpop-nonce"), Some(nonce.as_str()), "answers to DPoP requests hand out the nonce");
    // Bearer clients see no change.
    let plain = server.login()["access_token"].as_str().expect("token").to_owned();
    let r = server.get("/v1/resources", &[("authorization", &bearer(&plain))]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("dpop-nonce"), None);
}
