//! The data directory holds the ES256 private key: it is created private (0700, files 0600)
//! whatever the umask, and the server refuses to start on one that others can read or write.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn the_data_dir_is_private_whatever_the_umask_and_a_shared_one_is_refused() {
    let dir = TempDir::new("perms");
    let data = dir.path().join("data");
    let server = Server::spawn(command_with_umask("000", &data, &[]));
    // Writes to every file SQLite keeps: the database, its WAL and shared memory.
    let tokens = server.login();
    let auth = bearer(tokens["access_token"].as_str().unwrap_or(""));
    assert_eq!(
        server.post_json("/v1/resources", &serde_json::json!({ "name": "x" }), &[("authorization", &auth)]).status,
        201
    );
    assert_eq!(mode(&data), 0o700, "the data directory");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&data).expect("data dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert_eq!(mode(&entry.path()), 0o600, "{name}");
        names.push(name);
    }
    for name in ["wasm-auth.sqlite3", "wasm-auth.sqlite3-wal", "wasm-auth.sqlite3-shm"] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    server.stop();

    // An existing directory others can enter: refused, with a clear message, before serving.
    chmod(&data, 0o755);
    let (ok, stderr) = run_to_exit(command(&data, &[]));
    assert!(!ok, "started on a 0755 data directory");
    assert!(stderr.contains("group or others") && stderr.contains("chmod"), "{stderr}");
    chmod(&data, 0o700);

    // A database file others can read: refused too.
    let db = data.join("wasm-auth.sqlite3");
    chmod(&db, 0o644);
    let (ok, stderr) = run_to_exit(command(&data, &[]));
    assert!(!ok, "started with a 0644 database");
    assert!(stderr.contains("wasm-auth.sqlite3") && stderr.contains("group or others"), "{stderr}");
    chmod(&db, 0o660);
    assert!(!run_to_exit(command(&data, &[])).0, "started with a group-writable database");
    chmod(&db, 0o600);

    // Private again: it starts, and the data is still there.
    let again = Server::start(&data, &[]);
    assert_eq!(again.login()["token_type"], "Bearer");
}
