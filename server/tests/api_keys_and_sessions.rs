//! API keys (/v1/api-keys) and cookie sessions (/v1/session/*) over real HTTP.

mod common;

use common::*;
use serde_json::json;

#[test]
fn api_key_lifecycle_create_list_use_by_header_and_query_revoke() {
    let dir = TempDir::new("keys");
    let server = Server::start(dir.path(), &[]);
    let auth = bearer(server.login()["access_token"].as_str().unwrap_or(""));
    let created = server.post_json(
        "/v1/api-keys",
        &json!({ "name": "Production API Key", "scopes": ["read:resources", "write:resources"] }),
        &[("authorization", &auth)],
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let key = created.json();
    let secret = key["key"].as_str().unwrap_or("");
    assert!(secret.starts_with("sk_live_") && secret.len() == 51, "{secret}");
    assert!(key["id"].as_str().is_some_and(|id| id.starts_with("key_")));
    assert_eq!(key["name"], "Production API Key");
    assert_eq!(key["scopes"], json!(["read:resources", "write:resources"]));
    assert!(key["created_at"].as_str().is_some_and(|t| t.len() == 20 && t.ends_with('Z')));

    let list = server.get("/v1/api-keys", &[("authorization", &auth)]);
    assert_eq!(list.json()["api_keys"][0]["id"], key["id"]);
    assert!(!list.body.contains(secret), "the key is never shown again");

    let by_header = server.get("/v1/resources", &[("x-api-key", secret)]);
    assert_eq!(by_header.json()["authenticated_via"], "api_key");
    assert_eq!(server.get(&format!("/v1/resources?api_key={secret}"), &[]).status, 200);
    assert_eq!(server.post_json("/v1/resources", &json!({ "name": "by key" }), &[("x-api-key", secret)]).status, 201);

    let id = key["id"].as_str().unwrap_or("");
    assert_eq!(server.delete(&format!("/v1/api-keys/{id}"), &[("authorization", &auth)]).status, 204);
    server.get("/v1/resources", &[("x-api-key", secret)]).expect_error(401, "invalid_token");
    server.get(&format!("/v1/resources?api_key={secret}"), &[]).expect_error(401, "invalid_token");
    server.delete(&format!("/v1/api-keys/{id}"), &[("authorization", &auth)]).expect_error(404, "not_found");
    assert_eq!(server.get("/v1/api-keys", &[("authorization", &auth)]).json()["api_keys"], json!([]));
}

#[test]
fn api_key_scopes_are_a_subset_of_the_callers_and_only_bearer_tokens_manage_keys() {
    let dir = TempDir::new("keyscopes");
    let server = Server::start(dir.path(), &[]);
    let auth = bearer(server.login()["access_token"].as_str().unwrap_or(""));
    let create = |body: serde_json::Value, header: (&str, &str)| server.post_json("/v1/api-keys", &body, &[header]);
    create(json!({ "name": "k", "scopes": ["admin"] }), ("authorization", &auth)).expect_error(400, "invalid_scope");
    create(json!({ "name": "k", "scopes": [] }), ("authorization", &auth)).expect_error(400, "invalid_scope");
    create(json!({ "name": "k", "scopes": ["bad\"scope"] }), ("authorization", &auth))
        .expect_error(400, "invalid_scope");
    create(json!({ "name": "", "scopes": ["read:resources"] }), ("authorization", &auth))
        .expect_error(400, "invalid_request");
    let key = create(json!({ "name": "k", "scopes": ["read:resources"] }), ("authorization", &auth)).json();
    let secret = key["key"].as_str().unwrap_or("");
    create(json!({ "name": "k2", "scopes": ["read:resources"] }), ("x-api-key", secret))
        .expect_error(403, "access_denied");
    server.delete("/v1/api-keys/key_0000", &[("authorization", &auth)]).expect_error(404, "not_found");
}

#[test]
fn secrets_are_stored_hashed_never_in_plain_text() {
    let dir = TempDir::new("hashed");
    let server = Server::start(dir.path(), &[]);
    let tokens = server.login();
    let auth = bearer(tokens["access_token"].as_str().unwrap_or(""));
    let key = server
        .post_json("/v1/api-keys", &json!({ "name": "k", "scopes": ["read:resources"] }), &[("authorization", &auth)])
        .json();
    let session = server.post_json("/v1/session/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]);
    let cookie_value = session.cookie().split_once('=').map(|(_, v)| v.to_owned()).unwrap_or_default();
    server.stop(); // every file is read below, the WAL included
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(dir.path()).expect("data dir").flatten() {
        stored.extend(std::fs::read(entry.path()).unwrap_or_default());
    }
    let stored = String::from_utf8_lossy(&stored);
    for secret in
        [key["key"].as_str().unwrap_or("?"), tokens["refresh_token"].as_str().unwrap_or("?"), &cookie_value, PASSWORD]
    {
        assert!(secret.len() > 8 && !stored.contains(secret), "a secret is stored in plain text");
    }
}

#[test]
fn session_cookie_is_httponly_samesite_lax_and_logout_ends_it_on_the_server() {
    let dir = TempDir::new("session");
    let server = Server::start(dir.path(), &[]);
    let login = server.post_json("/v1/session/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]);
    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.json()["user"]["email"], EMAIL);
    let set_cookie = login.header("set-cookie").unwrap_or("").to_owned();
    assert!(set_cookie.starts_with("wasm_auth_session="));
    for attribute in ["; Path=/", "; HttpOnly", "; SameSite=Lax", "; Max-Age="] {
        assert!(set_cookie.contains(attribute), "{attribute} missing in {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http: no Secure attribute");
    let cookie = login.cookie();
    let list = server.get("/v1/resources", &[("cookie", &cookie)]);
    assert_eq!(list.json()["authenticated_via"], "session");
    let current = server.get("/v1/session", &[("cookie", &cookie)]);
    assert_eq!(current.status, 200, "{}", current.body);
    assert_eq!(current.json()["user"]["email"], EMAIL);
    assert!(current.json()["expires_in"].as_i64().is_some_and(|s| s > 0 && s <= 8 * 3600));
    server.get("/v1/session", &[]).expect_error(401, "unauthorized");

    let logout = server.post_json("/v1/session/logout", &json!({}), &[("cookie", &cookie)]);
    assert_eq!(logout.status, 204);
    assert!(logout.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    server.get("/v1/resources", &[("cookie", &cookie)]).expect_error(401, "invalid_token");
    server.get("/v1/session", &[("cookie", &cookie)]).expect_error(401, "invalid_token");
}

#[test]
fn session_cookie_is_secure_behind_https() {
    let dir = TempDir::new("secure");
    let server = Server::start(dir.path(), &["--issuer", "https://auth.example.test"]);
    let login = server.post_json("/v1/session/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]);
    assert!(login.header("set-cookie").is_some_and(|c| c.ends_with("; Secure")));
}

#[test]
fn cookie_authenticated_changes_are_protected_against_csrf_by_origin() {
    let dir = TempDir::new("csrf");
    let server = Server::start(dir.path(), &["--cors-origin", "http://127.0.0.1:5173"]);
    let login = server.post_json("/v1/session/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]);
    let cookie = login.cookie();
    let create = |headers: &[(&str, &str)]| server.post_json("/v1/resources", &json!({ "name": "n" }), headers);
    create(&[("cookie", &cookie), ("origin", "https://evil.example")]).expect_error(403, "invalid_request");
    create(&[("cookie", &cookie), ("sec-fetch-site", "cross-site")]).expect_error(403, "invalid_request");
    assert_eq!(create(&[("cookie", &cookie), ("origin", &server.base)]).status, 201);
    assert_eq!(create(&[("cookie", &cookie), ("origin", "http://127.0.0.1:5173")]).status, 201, "configured origin");
    assert_eq!(create(&[("cookie", &cookie)]).status, 201, "no Origin: not a browser, no ambient-cookie risk");
    // Login CSRF: a foreign page cannot log the browser in either.
    server
        .post_json(
            "/v1/session/login",
            &json!({ "email": EMAIL, "password": PASSWORD }),
            &[("origin", "https://evil.example")],
        )
        .expect_error(403, "invalid_request");
    // GET is not a state change.
    assert_eq!(server.get("/v1/resources", &[("cookie", &cookie), ("origin", "https://evil.example")]).status, 200);
}

#[test]
fn cors_allows_the_demo_origins_with_credentials_and_nothing_else() {
    let dir = TempDir::new("cors");
    let server = Server::start(dir.path(), &["--cors-origin", "http://127.0.0.1:5173"]);
    let preflight = |origin: &str| {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let response = agent
            .options(server.url("/v1/resources"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .call()
            .expect("preflight");
        response.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()).map(str::to_owned)
    };
    assert_eq!(preflight("http://127.0.0.1:5173").as_deref(), Some("http://127.0.0.1:5173"));
    assert_eq!(preflight(&server.base).as_deref(), Some(server.base.as_str()));
    assert_eq!(preflight("https://evil.example"), None);
}

#[test]
fn behind_https_the_session_cookie_is_host_prefixed_and_only_that_name_is_accepted() {
    let dir = TempDir::new("hostcookie");
    let server = Server::start(dir.path(), &["--issuer", "https://auth.example.test"]);
    let login = server.post_json("/v1/session/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]);
    assert_eq!(login.status, 200, "{}", login.body);
    let set_cookie = login.header("set-cookie").unwrap_or("").to_owned();
    assert!(set_cookie.starts_with("__Host-wasm_auth_session="), "{set_cookie}");
    assert!(set_cookie.contains("; Path=/;") && set_cookie.contains("; Secure"), "{set_cookie}");
    assert!(!set_cookie.to_ascii_lowercase().contains("domain="), "{set_cookie}");
    let cookie = login.cookie();
    assert_eq!(server.get("/v1/session", &[("cookie", &cookie)]).status, 200, "the prefixed cookie is read back");
    assert_eq!(server.get("/v1/resources", &[("cookie", &cookie)]).json()["authenticated_via"], "session");
    // A cookie without the prefix could have been planted by a sibling host: not a session here.
    let unprefixed = cookie.trim_start_matches("__Host-").to_owned();
    server.get("/v1/session", &[("cookie", &unprefixed)]).expect_error(401, "unauthorized");
    let logout = server.post_json("/v1/session/logout", &json!({}), &[("cookie", &cookie)]);
    assert!(logout.header("set-cookie").is_some_and(|c| c.starts_with("__Host-wasm_auth_session=;")));
    server.get("/v1/session", &[("cookie", &cookie)]).expect_error(401, "invalid_token");
}
