//! /v1/auth/login, /v1/auth/refresh and /v1/resources over real HTTP.

mod common;

use common::*;
use serde_json::json;

#[test]
fn login_answers_the_guide_shape_with_a_signed_jwt() {
    let dir = TempDir::new("login");
    let server = Server::start(dir.path(), &[]);
    let tokens = server.login();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let access = tokens["access_token"].as_str().expect("access_token");
    assert!(tokens["refresh_token"].as_str().is_some_and(|t| t.len() > 40));
    let claims = jwt_payload(access);
    for claim in ["iss", "aud", "sub", "exp", "iat", "jti", "scope"] {
        assert!(!claims[claim].is_null(), "claim {claim} missing: {claims}");
    }
    assert_eq!(claims["iss"], server.base.as_str());
    assert_eq!(claims["aud"], "wasm-auth-api");
    assert_eq!(claims["sub"], "user_demo");
    // The user's scopes, and (first-party tokens only) managing their API keys.
    assert_eq!(claims["scope"], "read:resources write:resources api_keys:read api_keys:write");
    assert_eq!(tokens["scope"], claims["scope"]);
    assert_eq!(claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0), 3600);
    // The signature is checked by the server itself on the API, and by jose in tests/e2e.
    assert_eq!(server.get("/v1/resources", &[("authorization", &bearer(access))]).status, 200);
}

#[test]
fn wrong_credentials_get_the_same_401_whether_or_not_the_email_exists() {
    let dir = TempDir::new("wrong");
    let server = Server::start(dir.path(), &[]);
    let wrong = server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": "nope" }), &[]);
    let unknown =
        server.post_json("/v1/auth/login", &json!({ "email": "nobody@example.com", "password": "nope" }), &[]);
    assert_eq!(wrong.expect_error(401, "invalid_grant"), unknown.expect_error(401, "invalid_grant"));
}

#[test]
fn repeated_failures_from_one_client_are_rate_limited_with_retry_after() {
    let dir = TempDir::new("ratelimit");
    let server = Server::start(dir.path(), &["--login-max-failures", "3", "--login-window", "30"]);
    for _ in 0..3 {
        server
            .post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": "nope" }), &[])
            .expect_error(401, "invalid_grant");
    }
    let limited = server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]);
    limited.expect_error(429, "too_many_requests");
    let retry_after: u64 = limited.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After seconds");
    assert!((1..=30).contains(&retry_after));
}

#[test]
fn a_successful_login_does_not_forgive_earlier_failures() {
    let dir = TempDir::new("forgive");
    let server = Server::start(dir.path(), &["--login-max-failures", "3", "--login-window", "30"]);
    let attempt = |password: &str| {
        server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": password }), &[]).status
    };
    assert_eq!(attempt("nope"), 401);
    assert_eq!(attempt("nope"), 401);
    assert_eq!(attempt(PASSWORD), 200, "an account of one's own");
    assert_eq!(attempt("nope"), 401);
    assert_eq!(attempt(PASSWORD), 429, "three failures in the window, whatever succeeded between them");
}

#[test]
fn parallel_guesses_are_all_counted() {
    let dir = TempDir::new("parallel");
    let server = Server::start(dir.path(), &["--login-max-failures", "3", "--login-window", "30"]);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                scope.spawn(|| {
                    server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": "nope" }), &[]).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 7, "{statuses:?}");
}

#[test]
fn a_refresh_token_presented_twice_at_once_leaves_no_live_token() {
    let dir = TempDir::new("race");
    // Without the grace for lost answers (tests/refresh_grace.rs has the race with it).
    let server = Server::start(dir.path(), &["--refresh-grace-seconds", "0"]);
    for _ in 0..5 {
        let token = server.login()["refresh_token"].clone();
        let [a, b] = std::thread::scope(|scope| {
            let one = scope.spawn(|| server.post_json("/v1/auth/refresh", &json!({ "refresh_token": token }), &[]));
            let two = scope.spawn(|| server.post_json("/v1/auth/refresh", &json!({ "refresh_token": token }), &[]));
            [one.join(), two.join()]
        });
        let (a, b) = (a.expect("thread"), b.expect("thread"));
        let winners: Vec<&Resp> = [&a, &b].into_iter().filter(|r| r.status == 200).collect();
        assert_eq!(winners.len(), 1, "exactly one presentation wins: {} / {}", a.body, b.body);
        // The other was a reuse, which revoked the family, including the winner's new token.
        let fresh = winners[0].json()["refresh_token"].clone();
        server
            .post_json("/v1/auth/refresh", &json!({ "refresh_token": fresh }), &[])
            .expect_error(401, "invalid_grant");
    }
}

#[test]
fn refresh_rotates_and_reuse_of_a_rotated_token_revokes_the_family() {
    let dir = TempDir::new("refresh");
    // Without the grace for lost answers, every reuse revokes (tests/refresh_grace.rs has the rest).
    let server = Server::start(dir.path(), &["--refresh-grace-seconds", "0"]);
    let first = server.login();
    let refresh =
        |token: &serde_json::Value| server.post_json("/v1/auth/refresh", &json!({ "refresh_token": token }), &[]);
    let second = refresh(&first["refresh_token"]);
    assert_eq!(second.status, 200, "{}", second.body);
    let second = second.json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["token_type"], "Bearer");
    // The rotated token is refused, and presenting it revoked the new one as well.
    refresh(&first["refresh_token"]).expect_error(401, "invalid_grant");
    refresh(&second["refresh_token"]).expect_error(401, "invalid_grant");
    // A fresh login starts a new family that works.
    assert_eq!(refresh(&server.login()["refresh_token"]).status, 200);
    refresh(&json!("rt_made_up")).expect_error(401, "invalid_grant");
}

#[test]
fn an_access_token_stops_working_when_it_expires() {
    let dir = TempDir::new("expiry");
    let server = Server::start(dir.path(), &["--access-ttl", "1"]);
    let tokens = server.login();
    assert_eq!(tokens["expires_in"], 1);
    let auth = bearer(tokens["access_token"].as_str().unwrap_or(""));
    assert_eq!(server.get("/v1/resources", &[("authorization", &auth)]).status, 200);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    server.get("/v1/resources", &[("authorization", &auth)]).expect_error(401, "invalid_token");
}

#[test]
fn resources_need_credentials_and_the_right_scope() {
    let dir = TempDir::new("resources");
    let server = Server::start(dir.path(), &[]);
    let missing = server.get("/v1/resources", &[]);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer realm=\"wasm-auth\""));
    missing.expect_error(401, "unauthorized");

    for bad in ["Bearer garbage", "Basic dXNlcjpwYXNz", "Bearer"] {
        let r = server.get("/v1/resources", &[("authorization", bad)]);
        assert!(r.header("www-authenticate").is_some_and(|c| c.contains("error=\"invalid_token\"")), "{bad}");
        r.expect_error(401, "invalid_token");
    }

    let tokens = server.login();
    let auth = bearer(tokens["access_token"].as_str().unwrap_or(""));
    let created = server.post_json("/v1/resources", &json!({ "name": "first" }), &[("authorization", &auth)]);
    assert_eq!(created.status, 201, "{}", created.body);
    let list = server.get("/v1/resources", &[("authorization", &auth)]).json();
    assert_eq!(list["resources"][0]["name"], "first");
    assert_eq!(list["authenticated_via"], "bearer");

    // A read-only API key may list but not create: 403 insufficient_scope naming the scope.
    let key = server
        .post_json("/v1/api-keys", &json!({ "name": "ro", "scopes": ["read:resources"] }), &[("authorization", &auth)])
        .json();
    let key = key["key"].as_str().unwrap_or("");
    let write = server.post_json("/v1/resources", &json!({ "name": "x" }), &[("x-api-key", key)]);
    assert!(
        write
            .header("www-authenticate")
            .is_some_and(|c| c.contains("error=\"insufficient_scope\", scope=\"write:resources\""))
    );
    write.expect_error(403, "insufficient_scope");
    server
        .post_json("/v1/resources", &json!({ "name": "" }), &[("authorization", &auth)])
        .expect_error(400, "invalid_request");
}

#[test]
fn token_answers_are_not_cached() {
    let dir = TempDir::new("nostore");
    let server = Server::start(dir.path(), &[]);
    let r = server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]);
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[test]
fn request_stats_count_each_endpoint_only_when_enabled() {
    let dir = TempDir::new("stats");
    let server = Server::start(dir.path(), &["--request-stats"]);
    let tokens = server.login();
    let refresh = tokens["refresh_token"].as_str().unwrap_or_default();
    server.post_json("/v1/auth/refresh", &json!({ "refresh_token": refresh }), &[]);
    server.get("/v1/resources", &[]);
    let stats = server.get("/_stats", &[]).json();
    assert_eq!(stats["requests"]["POST /v1/auth/login"], 1);
    assert_eq!(stats["requests"]["POST /v1/auth/refresh"], 1);
    assert_eq!(stats["requests"]["GET /v1/resources"], 1);
    server.stop();

    let plain = Server::start(dir.path(), &[]);
    assert_eq!(plain.get("/_stats", &[]).status, 404);
}

#[test]
fn request_stats_count_route_templates_in_a_bounded_table() {
    let dir = TempDir::new("statsbound");
    let server = Server::start(dir.path(), &["--request-stats"]);
    let auth = bearer(server.login()["access_token"].as_str().unwrap_or(""));
    let key = server
        .post_json("/v1/api-keys", &json!({ "name": "k", "scopes": ["read:resources"] }), &[("authorization", &auth)])
        .json();
    let id = key["id"].as_str().unwrap_or("key_missing").to_owned();
    assert_eq!(server.delete(&format!("/v1/api-keys/{id}"), &[("authorization", &auth)]).status, 204);
    let long = "a".repeat(2000);
    for i in 0..300 {
        server.get(&format!("/v1/{long}{i}"), &[]);
        server.get(&format!("/static-{i}-{long}"), &[]);
        server.delete(&format!("/v1/api-keys/key_{i:016x}"), &[("authorization", &auth)]);
    }
    for method in ["PURGE", "X-CUSTOM-1", "X-CUSTOM-2"] {
        server.raw(method, "/v1/resources");
    }
    let stats = server.get("/_stats", &[]);
    assert_eq!(stats.status, 200);
    assert!(stats.body.len() < 2048, "{} bytes: {}", stats.body.len(), &stats.body[..stats.body.len().min(500)]);
    assert!(!stats.body.contains(&id) && !stats.body.contains("key_0"), "no key id: {}", stats.body);
    let requests = &stats.json()["requests"];
    assert_eq!(requests["POST /v1/auth/login"], 1);
    assert_eq!(requests["DELETE /v1/api-keys/{id}"], 301, "{}", stats.body);
    assert!(!stats.body.contains("X-CUSTOM"), "methods are bounded too: {}", stats.body);
}
