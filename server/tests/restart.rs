//! Restarting the server on the same data directory loses nothing: users, the signing key,
//! API keys, refresh tokens and sessions all survive.

mod common;

use common::*;
use serde_json::json;

#[test]
fn users_keys_refresh_tokens_and_sessions_survive_a_restart() {
    let dir = TempDir::new("restart");
    // A fixed issuer: tokens name it, so it must be the same across the restart (the port is not).
    let args = ["--issuer", "http://restart.test"];
    let first = Server::start(dir.path(), &args);
    let tokens = first.login();
    let access = tokens["access_token"].as_str().unwrap_or("").to_owned();
    let auth = bearer(&access);
    let key = first
        .post_json(
            "/v1/api-keys",
            &json!({ "name": "survivor", "scopes": ["read:resources"] }),
            &[("authorization", &auth)],
        )
        .json();
    let created = first.post_json("/v1/resources", &json!({ "name": "kept" }), &[("authorization", &auth)]);
    assert_eq!(created.status, 201);
    let session = first.post_json("/v1/session/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]);
    let cookie = session.cookie();
    let jwks_before = first.get("/.well-known/jwks.json", &[]).json();
    first.stop();

    let second = Server::start(dir.path(), &args);
    // The signing key persisted: same JWKS, and an access token from before the restart works.
    assert_eq!(second.get("/.well-known/jwks.json", &[]).json(), jwks_before);
    assert_eq!(second.get("/v1/resources", &[("authorization", &bearer(&access))]).status, 200);
    // The user can still log in.
    let relogin = second.login();
    let new_auth = bearer(relogin["access_token"].as_str().unwrap_or(""));
    let listed = second.get("/v1/resources", &[("authorization", &new_auth)]).json();
    assert_eq!(listed["resources"][0]["name"], "kept", "data survived");
    // The API key still works and is still listed.
    let secret = key["key"].as_str().unwrap_or("");
    assert_eq!(second.get("/v1/resources", &[("x-api-key", secret)]).status, 200);
    assert_eq!(second.get("/v1/api-keys", &[("authorization", &new_auth)]).json()["api_keys"][0]["id"], key["id"]);
    // The refresh token still rotates.
    let refreshed = second.post_json("/v1/auth/refresh", &json!({ "refresh_token": tokens["refresh_token"] }), &[]);
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    // The session cookie is still valid.
    assert_eq!(second.get("/v1/resources", &[("cookie", &cookie)]).json()["authenticated_via"], "session");
}
