//! API-key management has its own scopes: `api_keys:read` (list) and `api_keys:write` (create,
//! delete). First-party /v1/auth/login tokens carry both; an OAuth client gets them only by
//! asking, on a consent page that names them. Keys made through an OAuth grant stop working
//! when that grant is revoked.

mod common;

use common::*;
use serde_json::json;

fn flow<'a>(redirect: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", redirect),
        ("scope", scope),
        ("state", "s"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

/// The tokens of a code flow in which the demo user consented to `scope`.
fn oauth_tokens(server: &Server, scope: &str) -> serde_json::Value {
    let redirect = server.url("/callback");
    let r = server.submit_authorize(&flow(&redirect, scope), "allow");
    assert_eq!(r.status, 303, "{}", r.body);
    let location = url::Url::parse(r.header("location").unwrap_or("")).expect("Location");
    let code = location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("code");
    let tokens = server.exchange_code(&code, &redirect, VERIFIER);
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    tokens.json()
}

fn access(tokens: &serde_json::Value) -> String {
    bearer(tokens["access_token"].as_str().unwrap_or(""))
}

#[test]
fn oauth_tokens_without_the_api_key_scopes_cannot_manage_keys() {
    let dir = TempDir::new("keyscope");
    let server = Server::start(dir.path(), &[]);
    let first_party = server.login();
    let scope = first_party["scope"].as_str().unwrap_or("");
    assert!(scope.contains("api_keys:read") && scope.contains("api_keys:write"), "login tokens: {scope}");
    let own = access(&first_party);
    let key = server
        .post_json("/v1/api-keys", &json!({ "name": "mine", "scopes": ["read:resources"] }), &[("authorization", &own)])
        .json();
    let id = key["id"].as_str().unwrap_or("").to_owned();

    let openid_only = access(&oauth_tokens(&server, "openid"));
    let listed = server.get("/v1/api-keys", &[("authorization", &openid_only)]);
    assert!(!listed.body.contains(&id), "an openid token listed the keys");
    listed.expect_error(403, "insufficient_scope");
    server
        .delete(&format!("/v1/api-keys/{id}"), &[("authorization", &openid_only)])
        .expect_error(403, "insufficient_scope");

    let reader = access(&oauth_tokens(&server, "read:resources"));
    server
        .post_json("/v1/api-keys", &json!({ "name": "k", "scopes": ["read:resources"] }), &[("authorization", &reader)])
        .expect_error(403, "insufficient_scope");
    server.get("/v1/api-keys", &[("authorization", &reader)]).expect_error(403, "insufficient_scope");
    let lister = access(&oauth_tokens(&server, "read:resources api_keys:read"));
    assert_eq!(server.get("/v1/api-keys", &[("authorization", &lister)]).json()["api_keys"][0]["id"], id.as_str());
    server.delete(&format!("/v1/api-keys/{id}"), &[("authorization", &lister)]).expect_error(403, "insufficient_scope");
    assert_eq!(server.get("/v1/resources", &[("x-api-key", key["key"].as_str().unwrap_or(""))]).status, 200);

    // Keys cannot carry key management (a key never manages keys).
    server
        .post_json("/v1/api-keys", &json!({ "name": "k", "scopes": ["api_keys:write"] }), &[("authorization", &own)])
        .expect_error(400, "invalid_scope");
}

#[test]
fn the_api_key_scopes_are_asked_for_explicitly_and_named_on_the_consent_page() {
    let dir = TempDir::new("keyconsent");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    let mut without_scope = flow(&redirect, "");
    without_scope.retain(|(k, _)| *k != "scope");
    let query = |p: &[(&str, &str)]| url::form_urlencoded::Serializer::new(String::new()).extend_pairs(p).finish();
    let default_page = server.get(&format!("/oauth/authorize?{}", query(&without_scope)), &[]);
    assert_eq!(default_page.status, 200);
    assert!(!default_page.body.contains("api_keys:"), "not granted by default");
    let asked =
        server.get(&format!("/oauth/authorize?{}", query(&flow(&redirect, "read:resources api_keys:write"))), &[]);
    assert!(asked.body.contains("<code>api_keys:write</code>"), "the page names the scope");
    assert!(asked.body.contains("create and delete API keys"), "and says what it allows");
}

#[test]
fn a_key_made_through_an_oauth_grant_dies_with_the_grant() {
    let dir = TempDir::new("keygrant");
    let server = Server::start(dir.path(), &[]);
    let tokens = oauth_tokens(&server, "read:resources api_keys:read api_keys:write");
    let auth = access(&tokens);
    let created = server.post_json(
        "/v1/api-keys",
        &json!({ "name": "by app", "scopes": ["read:resources"] }),
        &[("authorization", &auth)],
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let key = created.json()["key"].as_str().unwrap_or("").to_owned();
    assert_eq!(server.get("/v1/resources", &[("x-api-key", &key)]).status, 200);
    // A key made with a first-party token is not tied to any grant.
    let own = access(&server.login());
    let mine = server
        .post_json("/v1/api-keys", &json!({ "name": "mine", "scopes": ["read:resources"] }), &[("authorization", &own)])
        .json();
    let mine = mine["key"].as_str().unwrap_or("").to_owned();

    // The app revokes the grant (RFC 7009 on its refresh token: the whole family).
    let refresh = tokens["refresh_token"].as_str().unwrap_or("");
    assert_eq!(server.post_form("/oauth/revoke", &[("token", refresh), ("client_id", SPA)], &[]).status, 200);
    server.get("/v1/resources", &[("x-api-key", &key)]).expect_error(401, "invalid_token");
    server.get(&format!("/v1/resources?api_key={key}"), &[]).expect_error(401, "invalid_token");
    let listed = server.get("/v1/api-keys", &[("authorization", &own)]).json();
    assert_eq!(listed["api_keys"].as_array().map(Vec::len), Some(1), "only the live key is listed: {listed}");
    assert_eq!(server.get("/v1/resources", &[("x-api-key", &mine)]).status, 200);
    // The grant's access token still lives until it expires, but it cannot mint a key that outlives the grant.
    server
        .post_json(
            "/v1/api-keys",
            &json!({ "name": "late", "scopes": ["read:resources"] }),
            &[("authorization", &auth)],
        )
        .expect_error(401, "invalid_token");
}
