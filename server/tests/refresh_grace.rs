//! A refresh whose answer was lost (`--refresh-grace-seconds`) over real HTTP: the retry with
//! the rotated token gets a new pair that replaces the unused successor; every other reuse
//! still revokes the family (RFC 9700 4.14.2). The JSON mode and /oauth/token's refresh grant;
//! the cookie mode is in tests/refresh_cookie.rs.

mod common;

use common::*;
use serde_json::{Value, json};

fn refresh(server: &Server, token: &Value) -> Resp {
    server.post_json("/v1/auth/refresh", &json!({ "refresh_token": token }), &[])
}

/// A successful refresh of `token`: the new answer.
fn rotated(server: &Server, token: &Value) -> Value {
    let r = refresh(server, token);
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert!(body["refresh_token"].as_str().is_some_and(|t| t.starts_with("rt_")), "{body}");
    body
}

fn refused(server: &Server, token: &Value) {
    refresh(server, token).expect_error(401, "invalid_grant");
}

fn resources_status(server: &Server, tokens: &Value) -> u16 {
    server.get("/v1/resources", &[("authorization", &bearer(tokens["access_token"].as_str().unwrap_or("")))]).status
}

#[test]
fn a_lost_answer_is_retried_within_the_grace_and_replaces_the_unused_successor() {
    let dir = TempDir::new("grace");
    let server = Server::start(dir.path(), &[]);
    let login = server.login();
    let first = &login["refresh_token"];
    // The server rotates `first`; the answer is lost on the way back.
    let lost = rotated(&server, first);
    // The client retries with the only token it has.
    let retried = rotated(&server, first);
    assert_ne!(retried["refresh_token"], lost["refresh_token"]);
    assert_ne!(retried["refresh_token"], *first);
    assert_eq!(resources_status(&server, &retried), 200);
    // The family has one refreshable token, `retried`'s: it rotates on...
    let next = rotated(&server, &retried["refresh_token"]);
    // ...and the lost answer's token is refused: presenting it is a reuse, which revokes all.
    refused(&server, &lost["refresh_token"]);
    refused(&server, &next["refresh_token"]);

    // Presenting the replaced token first ends the family too (only someone who saw the lost
    // answer holds it).
    let first = server.login()["refresh_token"].clone();
    let lost = rotated(&server, &first);
    let retried = rotated(&server, &first);
    refused(&server, &lost["refresh_token"]);
    refused(&server, &retried["refresh_token"]);
    refused(&server, &first);
}

#[test]
fn answers_lost_twice_leave_only_the_last_successor() {
    let dir = TempDir::new("gracetwice");
    let server = Server::start(dir.path(), &[]);
    let first = server.login()["refresh_token"].clone();
    let lost_once = rotated(&server, &first);
    let lost_twice = rotated(&server, &first);
    let kept = rotated(&server, &first);
    let next = rotated(&server, &kept["refresh_token"]);
    for replaced in [&lost_once, &lost_twice] {
        refused(&server, &replaced["refresh_token"]);
    }
    refused(&server, &next["refresh_token"]);
}

#[test]
fn a_reuse_after_the_successor_was_refreshed_revokes_the_family() {
    let dir = TempDir::new("graceused");
    let server = Server::start(dir.path(), &[]);
    let first = server.login()["refresh_token"].clone();
    let second = rotated(&server, &first);
    let third = rotated(&server, &second["refresh_token"]);
    refused(&server, &first);
    refused(&server, &third["refresh_token"]);
    refused(&server, &second["refresh_token"]);
}

#[test]
fn a_reuse_after_the_successors_access_token_was_used_revokes_the_family() {
    let dir = TempDir::new("graceseen");
    let server = Server::start(dir.path(), &[]);
    let first = server.login()["refresh_token"].clone();
    let second = rotated(&server, &first);
    // The client used the answer: it was not lost.
    assert_eq!(resources_status(&server, &second), 200);
    refused(&server, &first);
    refused(&server, &second["refresh_token"]);
}

#[test]
fn a_reuse_after_the_grace_window_revokes_the_family() {
    let dir = TempDir::new("gracelate");
    let server = Server::start(dir.path(), &["--refresh-grace-seconds", "1"]);
    let first = server.login()["refresh_token"].clone();
    let second = rotated(&server, &first);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    refused(&server, &first);
    refused(&server, &second["refresh_token"]);
    // Within the 1 s window, the retry still works.
    let first = server.login()["refresh_token"].clone();
    rotated(&server, &first);
    rotated(&server, &first);
}

#[test]
fn a_grace_of_zero_is_the_strict_rotation() {
    let dir = TempDir::new("gracezero");
    let server = Server::start(dir.path(), &["--refresh-grace-seconds", "0"]);
    let first = server.login()["refresh_token"].clone();
    let second = rotated(&server, &first);
    refused(&server, &first);
    refused(&server, &second["refresh_token"]);
}

#[test]
fn a_revoked_family_gets_no_grace() {
    let dir = TempDir::new("gracerevoked");
    let server = Server::start(dir.path(), &[]);
    let first = server.login()["refresh_token"].clone();
    let second = rotated(&server, &first);
    let token = second["refresh_token"].as_str().unwrap_or("");
    assert_eq!(server.post_form("/oauth/revoke", &[("token", token)], &[]).status, 200);
    refused(&server, &first);
}

#[test]
fn with_the_grace_a_token_presented_twice_at_once_leaves_one_refreshable_token() {
    let dir = TempDir::new("gracerace");
    let server = Server::start(dir.path(), &[]);
    for _ in 0..5 {
        let token = server.login()["refresh_token"].clone();
        let [a, b] = std::thread::scope(|scope| {
            let one = scope.spawn(|| refresh(&server, &token));
            let two = scope.spawn(|| refresh(&server, &token));
            [one.join(), two.join()]
        });
        let (a, b) = (a.expect("thread"), b.expect("thread"));
        // Both look like the retry of a lost answer, so both are answered; the later answer's
        // token replaced the earlier one's, so of the two at most one refreshes, and once one is
        // refused (the replaced one), the family is over.
        assert_eq!((a.status, b.status), (200, 200), "{} / {}", a.body, b.body);
        let first = refresh(&server, &a.json()["refresh_token"]);
        assert!(first.status == 200 || first.status == 401, "{}", first.body);
        refresh(&server, &b.json()["refresh_token"]).expect_error(401, "invalid_grant");
    }
}

/// An authorization code for demo-spa, through the login and consent form.
fn oauth_tokens(server: &Server) -> Value {
    let redirect = server.url("/callback");
    let params = [
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", redirect.as_str()),
        ("scope", "read:resources"),
        ("state", "st4te"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let r = server.submit_authorize(&params, "allow");
    let location = url::Url::parse(r.header("location").unwrap_or("")).expect("redirect");
    let code = location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("code");
    let r = server.exchange_code(&code, &redirect, VERIFIER);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[test]
fn the_oauth_refresh_grant_has_the_same_grace() {
    let dir = TempDir::new("graceoauth");
    let server = Server::start(dir.path(), &[]);
    let refresh = |token: &Value| {
        server.post_form(
            "/oauth/token",
            &[("grant_type", "refresh_token"), ("refresh_token", token.as_str().unwrap_or("")), ("client_id", SPA)],
            &[],
        )
    };
    let first = oauth_tokens(&server)["refresh_token"].clone();
    let lost = refresh(&first).json();
    let retried = refresh(&first);
    assert_eq!(retried.status, 200, "{}", retried.body);
    refresh(&lost["refresh_token"]).expect_error(400, "invalid_grant");
    refresh(&retried.json()["refresh_token"]).expect_error(400, "invalid_grant");
}

#[test]
fn an_older_data_dir_is_upgraded_and_its_rotated_tokens_get_no_grace() {
    let dir = TempDir::new("gracemigrate");
    let args = ["--issuer", "http://migrate.test"];
    let server = Server::start(dir.path(), &args);
    let first = server.login()["refresh_token"].clone();
    let second = rotated(&server, &first);
    let kept = server.login()["refresh_token"].clone();
    server.stop();
    // The database as the version before the grace left it.
    let db = rusqlite::Connection::open(dir.path().join("wasm-auth.sqlite3")).expect("open the database");
    for column in ["rotated_at_ms", "successor_hash", "access_jti", "access_seen"] {
        db.execute_batch(&format!("ALTER TABLE refresh_tokens DROP COLUMN {column}")).expect("drop column");
    }
    drop(db);
    let server = Server::start(dir.path(), &args);
    // A token rotated before the upgrade has no recorded successor: its reuse revokes, as before.
    refused(&server, &first);
    refused(&server, &second["refresh_token"]);
    // The other tokens still rotate, and now get the grace.
    let lost = rotated(&server, &kept);
    let retried = rotated(&server, &kept);
    rotated(&server, &retried["refresh_token"]);
    refused(&server, &lost["refresh_token"]);
}
