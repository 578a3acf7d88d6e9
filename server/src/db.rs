//! The SQLite store: schema, first-start seeding, and the one connection the handlers share.
//!
//! One connection behind a mutex is plenty for a reference server; every statement is short
//! (password hashing happens outside the lock).

use std::fs::Permissions;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, params};

use crate::error::{ApiError, ApiResult};
use crate::password;

/// The seeded demo user: the API guide's own example credentials.
pub const DEMO_EMAIL: &str = "user@example.com";
pub const DEMO_PASSWORD: &str = "securepassword";
pub const USER_SCOPES: &str = "read:resources write:resources";

#[derive(Clone)]
pub struct Db(Arc<Mutex<Connection>>);

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, scopes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_key BLOB NOT NULL, created_at INTEGER NOT NULL);
-- The refresh-token grace (tokens::rotate): rotated_at_ms and successor_hash (the token that
-- replaced it; NULL once none may) of a rotated token; access_jti, the access token issued with
-- it, and access_seen, whether the API has seen that access token (the answer reached its client).
-- dpop_jkt: the thumbprint of the DPoP key a public client's refresh token is bound to (RFC 9449
-- 5), NULL for an unbound one.
CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, user_id TEXT NOT NULL, client_id TEXT,
  scope TEXT NOT NULL, expires_at INTEGER NOT NULL, rotated INTEGER NOT NULL DEFAULT 0,
  revoked INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, rotated_at_ms INTEGER,
  successor_hash TEXT, access_jti TEXT, access_seen INTEGER NOT NULL DEFAULT 0, dpop_jkt TEXT);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id);
CREATE TABLE IF NOT EXISTS revoked_access_tokens (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
-- client_id and grant_family: the OAuth client and grant (refresh-token family) a key was made
-- through; such a key works only while that grant lives. NULL for first-party keys.
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER, client_id TEXT, grant_family TEXT);
CREATE TABLE IF NOT EXISTS clients (
  client_id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash TEXT, redirect_uris TEXT NOT NULL,
  scopes TEXT NOT NULL, grant_types TEXT NOT NULL);
-- dpop_jkt: the authorization request's `dpop_jkt` (RFC 9449 10), the key the exchange must prove.
CREATE TABLE IF NOT EXISTS auth_codes (
  code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
  scope TEXT NOT NULL, code_challenge TEXT NOT NULL, nonce TEXT, expires_at INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0, dpop_jkt TEXT);
-- What a redeemed code produced, so that a second redemption revokes all of it (RFC 6749 4.1.2).
CREATE TABLE IF NOT EXISTS code_grants (
  code_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, access_jti TEXT NOT NULL, access_expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
-- The sign-in session of /oauth/authorize (the oauth_session cookie), and what each user
-- consented to each OAuth client (the scopes shown on the consent page they approved).
CREATE TABLE IF NOT EXISTS oauth_sessions (
  id_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS oauth_consents (
  user_id TEXT NOT NULL, client_id TEXT NOT NULL, scope TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, client_id));
CREATE TABLE IF NOT EXISTS resources (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL);
";

/// A registered OAuth client, as the seed defines it.
pub struct ClientSeed<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    /// None for a public client (PKCE required, no secret).
    pub secret: Option<&'a str>,
    pub redirect_uris: Vec<String>,
    pub scopes: &'a str,
    pub grant_types: &'a str,
}

/// The database file; SQLite adds `-wal`, `-shm` and `-journal` files next to it.
const DB_FILE: &str = "wasm-auth.sqlite3";
const DB_FILE_SUFFIXES: [&str; 4] = ["", "-wal", "-shm", "-journal"];

/// Refuses `path` if its mode lets group or others in (it holds the private signing key).
fn check_private(path: &Path, what: &str, fix: &str) -> Result<(), String> {
    let mode =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{what} {} has mode {:04o}: it is readable or writable by group or others, and it holds the \
             private signing key; refusing to start (run `chmod {fix} {}`, or choose another --data-dir)",
            path.display(),
            mode & 0o7777,
            path.display()
        ));
    }
    Ok(())
}

/// Makes `data_dir` private, whatever the umask: created 0700 with a 0600 database file when
/// new; refused when an existing directory or database file is open to group or others.
/// SQLite gives its -wal, -shm and -journal files the database file's mode.
fn prepare_data_dir(data_dir: &Path) -> Result<PathBuf, String> {
    if data_dir.exists() {
        check_private(data_dir, "the data directory", "700")?;
    } else {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        // The umask may have taken bits off the owner's; set exactly 0700.
        std::fs::set_permissions(data_dir, Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot chmod {}: {e}", data_dir.display()))?;
    }
    for suffix in DB_FILE_SUFFIXES {
        let file = data_dir.join(format!("{DB_FILE}{suffix}"));
        if file.exists() {
            check_private(&file, "the database file", "600")?;
        }
    }
    let path = data_dir.join(DB_FILE);
    if !path.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        std::fs::set_permissions(&path, Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot chmod {}: {e}", path.display()))?;
    }
    Ok(path)
}

/// After SQLite opened the database (and created its -wal and -shm files): every one 0600.
fn restrict_db_files(data_dir: &Path) -> Result<(), String> {
    for suffix in DB_FILE_SUFFIXES {
        let file = data_dir.join(format!("{DB_FILE}{suffix}"));
        if file.exists() {
            std::fs::set_permissions(&file, Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot chmod {}: {e}", file.display()))?;
        }
    }
    Ok(())
}

/// Whether `table` has `column` (a database made by an older version may not).
fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    conn.query_row("SELECT EXISTS(SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)", params![table, column], |r| {
        r.get(0)
    })
}

/// Brings a database made by an older version up to the schema: api_keys gained client_id and
/// grant_family (existing keys are first-party: NULL); refresh_tokens gained the grace columns
/// (existing rotated tokens have no recorded successor, so their reuse revokes, as before);
/// refresh_tokens and auth_codes gained dpop_jkt (existing ones are unbound: NULL).
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    for table in ["refresh_tokens", "auth_codes"] {
        if !has_column(conn, table, "dpop_jkt")? {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN dpop_jkt TEXT;"))?;
        }
    }
    if !has_column(conn, "refresh_tokens", "successor_hash")? {
        conn.execute_batch(
            "ALTER TABLE refresh_tokens ADD COLUMN rotated_at_ms INTEGER;
             ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
             ALTER TABLE refresh_tokens ADD COLUMN access_jti TEXT;
             ALTER TABLE refresh_tokens ADD COLUMN access_seen INTEGER NOT NULL DEFAULT 0;",
        )?;
    }
    let has_grant_family: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM pragma_table_info('api_keys') WHERE name = 'grant_family')",
        [],
        |r| r.get(0),
    )?;
    if !has_grant_family {
        conn.execute_batch(
            "ALTER TABLE api_keys ADD COLUMN client_id TEXT; ALTER TABLE api_keys ADD COLUMN grant_family TEXT;",
        )?;
    }
    Ok(())
}

impl Db {
    /// Opens (creating on first start) `<data_dir>/wasm-auth.sqlite3` and seeds the demo user.
    /// The directory and its files are private to the server's user (see `prepare_data_dir`).
    pub fn open(data_dir: &Path) -> Result<Db, String> {
        let path = prepare_data_dir(data_dir)?;
        let conn = Connection::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        conn.execute_batch(SCHEMA).map_err(|e| format!("schema: {e}"))?;
        migrate(&conn).map_err(|e| format!("schema migration: {e}"))?;
        restrict_db_files(data_dir)?;
        let has_user: bool = conn
            .query_row("SELECT EXISTS(SELECT 1 FROM users WHERE email = ?1)", [DEMO_EMAIL], |r| r.get(0))
            .map_err(|e| format!("seed: {e}"))?;
        if !has_user {
            let hash = password::hash(DEMO_PASSWORD)?;
            conn.execute(
                "INSERT INTO users (id, email, password_hash, scopes) VALUES ('user_demo', ?1, ?2, ?3)",
                params![DEMO_EMAIL, hash, USER_SCOPES],
            )
            .map_err(|e| format!("seed: {e}"))?;
        }
        Ok(Db(Arc::new(Mutex::new(conn))))
    }

    /// Registers or updates clients: redirect URIs depend on the address the server runs on.
    pub fn upsert_clients(&self, clients: &[ClientSeed<'_>]) -> Result<(), String> {
        let conn = self.lock().map_err(|e| e.description().to_owned())?;
        for c in clients {
            conn.execute(
                "INSERT INTO clients (client_id, name, secret_hash, redirect_uris, scopes, grant_types)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (client_id) DO UPDATE SET name = ?2, secret_hash = ?3, redirect_uris = ?4,
                   scopes = ?5, grant_types = ?6",
                params![
                    c.client_id,
                    c.name,
                    c.secret.map(crate::util::sha256_hex),
                    c.redirect_uris.join(" "),
                    c.scopes,
                    c.grant_types
                ],
            )
            .map_err(|e| format!("clients: {e}"))?;
        }
        Ok(())
    }

    pub fn lock(&self) -> ApiResult<MutexGuard<'_, Connection>> {
        self.0.lock().map_err(|_| ApiError::internal("database lock poisoned"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_api_keys_table_gains_the_grant_columns_once() {
        let conn = Connection::open_in_memory().expect("in-memory database");
        conn.execute_batch(
            "CREATE TABLE api_keys (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL,
             key_hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
             INSERT INTO api_keys VALUES ('key_1', 'u', 'old', 'h', 'read:resources', 0, NULL);",
        )
        .expect("old schema");
        conn.execute_batch(SCHEMA).expect("schema over the old table");
        migrate(&conn).expect("migrate");
        migrate(&conn).expect("migrate again: nothing to do");
        let grant: Option<String> =
            conn.query_row("SELECT grant_family FROM api_keys WHERE id = 'key_1'", [], |r| r.get(0)).expect("row");
        assert_eq!(grant, None, "an existing key is first-party");
    }

    #[test]
    fn an_older_refresh_tokens_table_gains_the_grace_columns_once() {
        let conn = Connection::open_in_memory().expect("in-memory database");
        conn.execute_batch(
            "CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL,
             user_id TEXT NOT NULL, client_id TEXT, scope TEXT NOT NULL, expires_at INTEGER NOT NULL,
             rotated INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
             INSERT INTO refresh_tokens (token_hash, family_id, user_id, scope, expires_at, rotated, created_at)
             VALUES ('h', 'fam_1', 'u', 'read:resources', 9, 1, 0);",
        )
        .expect("old schema");
        conn.execute_batch(SCHEMA).expect("schema over the old table");
        migrate(&conn).expect("migrate");
        migrate(&conn).expect("migrate again: nothing to do");
        let (successor, seen): (Option<String>, bool) = conn
            .query_row("SELECT successor_hash, access_seen FROM refresh_tokens WHERE token_hash = 'h'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("row");
        assert_eq!(successor, None, "a token rotated before the upgrade has no successor: no grace");
        assert!(!seen);
        let jkt: Option<String> = conn
            .query_row("SELECT dpop_jkt FROM refresh_tokens WHERE token_hash = 'h'", [], |r| r.get(0))
            .expect("row");
        assert_eq!(jkt, None, "a token issued before the upgrade is not DPoP-bound");
    }

    #[test]
    fn an_older_auth_codes_table_gains_dpop_jkt_once() {
        let conn = Connection::open_in_memory().expect("in-memory database");
        conn.execute_batch(
            "CREATE TABLE auth_codes (code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
             redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, code_challenge TEXT NOT NULL, nonce TEXT,
             expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
             INSERT INTO auth_codes VALUES ('c', 'demo-spa', 'u', 'http://x/', 'openid', '', NULL, 9, 0);",
        )
        .expect("old schema");
        conn.execute_batch(SCHEMA).expect("schema over the old table");
        migrate(&conn).expect("migrate");
        migrate(&conn).expect("migrate again: nothing to do");
        let jkt: Option<String> =
            conn.query_row("SELECT dpop_jkt FROM auth_codes WHERE code_hash = 'c'", [], |r| r.get(0)).expect("row");
        assert_eq!(jkt, None, "a code issued before the upgrade asks for no key");
    }
}
