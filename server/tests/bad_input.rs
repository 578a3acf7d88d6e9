//! Bad input over real HTTP: every case gets a JSON 400/413 with a clear message, never a 500.

mod common;

use common::*;
use serde_json::json;

#[test]
fn malformed_json_missing_fields_and_wrong_types_are_400_with_a_message() {
    let dir = TempDir::new("badjson");
    let server = Server::start(dir.path(), &[]);
    let cases: &[(&str, &str, &str)] = &[
        ("/v1/auth/login", "{\"email\":", "malformed JSON"),
        ("/v1/auth/login", "not json", "malformed JSON"),
        ("/v1/auth/login", "{\"email\":\"a@b.c\"}", "missing field `password`"),
        ("/v1/auth/login", "{\"email\":1,\"password\":2}", "invalid type"),
        ("/v1/auth/login", "[]", "invalid JSON body"),
        ("/v1/auth/login", "null", "invalid type"),
        ("/v1/auth/refresh", "{}", "missing field `refresh_token`"),
        ("/v1/auth/refresh", "{\"refresh_token\":[\"x\"]}", "invalid type"),
        ("/v1/session/login", "{\"email\":\"a@b.c\",\"password\":null}", "invalid type"),
    ];
    for (path, body, expected) in cases {
        let r = server.post_raw(path, "application/json", body, &[]);
        let error = r.expect_error(400, "invalid_request");
        let description = error["error_description"].as_str().unwrap_or("");
        assert!(description.contains(expected), "{path} {body}: {description}");
    }
    let auth = bearer(server.login()["access_token"].as_str().unwrap_or(""));
    for body in
        ["{}", "{\"name\":5}", "{\"name\":\"k\",\"scopes\":\"read:resources\"}", "{\"name\":\"k\",\"scopes\":[1]}"]
    {
        server
            .post_raw("/v1/api-keys", "application/json", body, &[("authorization", &auth)])
            .expect_error(400, "invalid_request");
    }
    server
        .post_raw("/v1/resources", "application/json", "{\"name\":{}}", &[("authorization", &auth)])
        .expect_error(400, "invalid_request");
}

#[test]
fn a_wrong_or_missing_content_type_is_400() {
    let dir = TempDir::new("ctype");
    let server = Server::start(dir.path(), &[]);
    let body = json!({ "email": EMAIL, "password": PASSWORD }).to_string();
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let r = server.post_raw("/v1/auth/login", content_type, &body, &[]);
        assert!(
            r.expect_error(400, "invalid_request")["error_description"].as_str().unwrap_or("").contains("Content-Type")
        );
    }
    server
        .post_raw("/oauth/token", "application/json", "{\"grant_type\":\"client_credentials\"}", &[])
        .expect_error(400, "invalid_request");
}

#[test]
fn an_oversized_body_is_413() {
    let dir = TempDir::new("big");
    let server = Server::start(dir.path(), &[]);
    let big = json!({ "email": "a".repeat(100_000), "password": "x" }).to_string();
    server.post_raw("/v1/auth/login", "application/json", &big, &[]).expect_error(413, "invalid_request");
    let big_form = format!("grant_type=client_credentials&scope={}", "a".repeat(100_000));
    server
        .post_raw("/oauth/token", "application/x-www-form-urlencoded", &big_form, &[])
        .expect_error(413, "invalid_request");
}

#[test]
fn overlong_credentials_are_refused_before_hashing() {
    let dir = TempDir::new("longpw");
    let server = Server::start(dir.path(), &[]);
    let r = server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": "p".repeat(5000) }), &[]);
    r.expect_error(400, "invalid_request");
}

#[test]
fn malformed_oauth_requests_are_clear_errors() {
    let dir = TempDir::new("badoauth");
    let server = Server::start(dir.path(), &[]);
    let basic_auth = basic(SERVICE, SERVICE_SECRET);
    let token = |params: &[(&str, &str)], headers: &[(&str, &str)]| server.post_form("/oauth/token", params, headers);
    token(&[], &[]).expect_error(401, "invalid_client");
    token(&[("client_id", SPA)], &[]).expect_error(400, "invalid_request");
    token(
        &[("grant_type", "client_credentials"), ("grant_type", "client_credentials")],
        &[("authorization", &basic_auth)],
    )
    .expect_error(400, "invalid_request");
    token(&[("grant_type", "authorization_code"), ("client_id", SPA)], &[]).expect_error(400, "invalid_request");
    token(&[("grant_type", "refresh_token"), ("client_id", SPA)], &[]).expect_error(400, "invalid_request");
    token(&[("grant_type", "client_credentials")], &[("authorization", "Basic %%%not-base64")])
        .expect_error(401, "invalid_client");
    token(&[("grant_type", "client_credentials")], &[("authorization", "Basic Zm9v")])
        .expect_error(401, "invalid_client");
    // The authorize endpoint: repeated parameters and garbage never redirect to an unchecked URI.
    let r = server.get("/oauth/authorize?client_id=demo-spa&client_id=demo-spa", &[]);
    assert_eq!((r.status, r.header("location")), (400, None));
    let r = server.get("/oauth/authorize?%zz=%zz", &[]);
    assert_eq!((r.status, r.header("location")), (400, None));
    let r = server.post_raw("/oauth/authorize", "application/x-www-form-urlencoded", "client_id=%ff%fe", &[]);
    assert_eq!((r.status, r.header("location")), (400, None));
}

#[test]
fn unknown_api_paths_are_json_404s_and_the_demo_page_is_served() {
    let dir = TempDir::new("404");
    let server = Server::start(dir.path(), &[]);
    server.get("/v1/nope", &[]).expect_error(404, "not_found");
    server.get("/oauth/nope", &[]).expect_error(404, "not_found");
    let page = server.get("/", &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("wasm-auth"));
    assert_eq!(server.get("/../Cargo.toml", &[]).status, 404, "no escape from the static root");
}

#[test]
fn no_secret_reaches_the_server_log() {
    let dir = TempDir::new("log");
    let server = Server::start(dir.path(), &[]);
    let tokens = server.login();
    let auth = bearer(tokens["access_token"].as_str().unwrap_or(""));
    let key = server
        .post_json("/v1/api-keys", &json!({ "name": "k", "scopes": ["read:resources"] }), &[("authorization", &auth)])
        .json();
    let key = key["key"].as_str().unwrap_or("?").to_owned();
    server.get(&format!("/v1/resources?api_key={key}"), &[]);
    server.post_form(
        "/oauth/token",
        &[("grant_type", "client_credentials"), ("client_id", SERVICE), ("client_secret", SERVICE_SECRET)],
        &[],
    );
    let log = server.log();
    assert!(log.contains("GET /v1/resources 200"), "request lines are logged: {log}");
    for secret in [
        PASSWORD,
        SERVICE_SECRET,
        &key,
        tokens["access_token"].as_str().unwrap_or("?"),
        tokens["refresh_token"].as_str().unwrap_or("?"),
    ] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
}

#[test]
fn directory_redirects_never_leave_the_origin() {
    let dir = TempDir::new("slashes");
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("sub")).expect("www/sub");
    std::fs::write(www.join("sub/index.html"), "<p>sub</p>").expect("index");
    let data = dir.path().join("data");
    let server = Server::start(&data, &["--www-dir", www.to_str().unwrap_or("")]);
    let plain = server.raw("GET", "/sub");
    assert_eq!((plain.status, plain.header("location")), (307, Some("/sub/")), "an ordinary directory redirect");
    for target in ["//sub", "///sub", "//sub?x=1", "/\\sub", "/%2F/sub", "//127.0.0.1/sub"] {
        let r = server.raw("GET", target);
        let location = r.header("location").unwrap_or("");
        assert!(
            !location.starts_with("//") && !location.starts_with("/\\") && !location.contains("://"),
            "{target}: {} Location {location:?}",
            r.status
        );
        if (300..400).contains(&r.status) {
            assert!(location.starts_with('/'), "{target}: a redirect stays on the origin, got {location:?}");
        }
    }
    // The case the review reproduced still redirects (to a path of this origin), it does not 404.
    let r = server.raw("GET", "//sub");
    assert_eq!(r.status, 307, "//sub");
    assert!(r.header("location").is_some_and(|l| l.starts_with('/') && !l.starts_with("//")), "//sub");
}
