//! The API-key endpoints' request bodies and answers (POST/GET /api-keys, DELETE /api-keys/{id}).

use crate::jose::json::{Map, Quoted, Value};

use super::secret::Secret;
use crate::Error;

/// Where `ApiKeyAuth` puts the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// `X-API-Key: <key>`: the guide's recommendation and the default.
    Header,
    /// `?api_key=<key>`: only when asked for, since URLs end up in logs and history.
    Query,
}

impl Placement {
    /// `"header"` (the default when absent) or `"query"`.
    pub fn parse(name: Option<&str>) -> Result<Placement, Error> {
        match name {
            None | Some("header") => Ok(Placement::Header),
            Some("query") => Ok(Placement::Query),
            Some(_) => Err(Error::InvalidOptions("placement must be \"header\" or \"query\"".into())),
        }
    }
}

/// A key's description, as `list()` returns it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// `key_...`.
    pub id: String,
    /// The name given at creation.
    pub name: String,
    /// Scopes the key grants.
    pub scopes: Vec<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// A key just created: the only moment its value is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedKey {
    /// Its description.
    pub info: KeyInfo,
    /// The key, shown once.
    pub key: Secret,
}

/// RFC 6749 3.3 scope-token: `%x21 / %x23-5B / %x5D-7E`.
fn valid_scope(scope: &str) -> bool {
    !scope.is_empty() && scope.bytes().all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// The JSON body of `POST /api-keys`, after checking what the server would refuse anyway.
pub fn create_body(name: &str, scopes: &[String]) -> Result<String, Error> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 100 {
        return Err(Error::InvalidOptions("name must have 1 to 100 characters".into()));
    }
    if scopes.is_empty() {
        return Err(Error::InvalidOptions("scopes must list at least one scope".into()));
    }
    if let Some(bad) = scopes.iter().find(|s| !valid_scope(s)) {
        return Err(Error::InvalidOptions(format!("{} is not a valid scope", Quoted(bad))));
    }
    Ok(crate::jose::json::object([("name", trimmed.into()), ("scopes", scopes.to_vec().into())]).to_string())
}

const CREATED_SHAPE: &str = "the created API key answer is not {id, name, key, scopes, created_at}";
const LIST_SHAPE: &str = "the API key list is not {api_keys: [{id, name, scopes, created_at}]}";

fn text(object: &Map, name: &str) -> Option<String> {
    object.get(name)?.as_str().map(str::to_owned)
}

fn key_info(value: &Value) -> Option<KeyInfo> {
    let object = value.as_object()?;
    let scopes =
        object.get("scopes")?.as_array()?.iter().map(|s| s.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>()?;
    Some(KeyInfo {
        id: text(object, "id")?,
        name: text(object, "name")?,
        scopes,
        created_at: text(object, "created_at")?,
    })
}

impl KeyInfo {
    /// As JSON, in the guide's field names.
    pub fn to_json(&self) -> Value {
        crate::jose::json::object([
            ("id", (&self.id).into()),
            ("name", (&self.name).into()),
            ("scopes", self.scopes.clone().into()),
            ("created_at", (&self.created_at).into()),
        ])
    }
}

/// The answer to `POST /api-keys`.
pub fn parse_created(body: &[u8]) -> Result<CreatedKey, Error> {
    let shape = || Error::InvalidResponse(CREATED_SHAPE.into());
    let value = crate::jose::json::parse_value(body).map_err(|_| shape())?;
    let info = key_info(&value).ok_or_else(shape)?;
    let key = value.get("key").and_then(Value::as_str).ok_or_else(shape)?;
    if key.is_empty() || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(Error::InvalidResponse("the created API key cannot be sent in a header".into()));
    }
    Ok(CreatedKey { info, key: Secret::new(key.to_owned()) })
}

/// The answer to `GET /api-keys`.
pub fn parse_list(body: &[u8]) -> Result<Vec<KeyInfo>, Error> {
    let shape = || Error::InvalidResponse(LIST_SHAPE.into());
    let value = crate::jose::json::parse_value(body).map_err(|_| shape())?;
    value
        .get("api_keys")
        .and_then(Value::as_array)
        .ok_or_else(shape)?
        .iter()
        .map(|k| key_info(k).ok_or_else(shape))
        .collect()
}

/// The path of one key, with the id percent-encoded so it stays one path segment.
pub fn key_path(id: &str) -> Result<String, Error> {
    if id.is_empty() || id.len() > 200 {
        return Err(Error::InvalidOptions("an API key id must have 1 to 200 characters".into()));
    }
    let mut path = String::from("/api-keys/");
    for b in id.bytes() {
        // Dots are encoded too: an id of ".." must not climb out of /api-keys/.
        if b.is_ascii_alphanumeric() || b"-_~".contains(&b) {
            path.push(b as char);
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_create_answer_parses_and_the_key_never_prints() {
        let body = br#"{"id":"key_abc123","name":"Production API Key","key":"sk_live_xyz789","scopes":["read:resources","write:resources"],"created_at":"2025-02-22T10:00:00Z"}"#;
        let created = parse_created(body).expect("valid");
        assert_eq!(created.info.id, "key_abc123");
        assert_eq!(created.info.scopes, ["read:resources", "write:resources"]);
        assert_eq!(created.key.expose(), "sk_live_xyz789");
        assert!(!format!("{created:?}").contains("sk_live"));
    }

    #[test]
    fn malformed_answers_are_invalid_responses() {
        for body in [
            &b""[..],
            b"{}",
            br#"{"id":"k","name":"n","scopes":[],"created_at":"t"}"#,
            br#"{"id":"k","name":"n","key":"a b","scopes":[],"created_at":"t"}"#,
            br#"{"id":1,"name":"n","key":"k","scopes":[],"created_at":"t"}"#,
        ] {
            assert_eq!(parse_created(body).expect_err("refused").code(), "ERR_AUTH_INVALID_RESPONSE");
        }
        assert_eq!(parse_list(br#"{"keys":[]}"#).expect_err("refused").code(), "ERR_AUTH_INVALID_RESPONSE");
        assert_eq!(parse_list(br#"{"api_keys":[]}"#).expect("valid"), []);
    }

    #[test]
    fn create_bodies_are_checked() {
        let scopes = vec!["read:resources".to_owned()];
        assert_eq!(
            create_body(" CI key ", &scopes).expect("valid"),
            r#"{"name":"CI key","scopes":["read:resources"]}"#
        );
        assert!(create_body("", &scopes).is_err());
        assert!(create_body(&"n".repeat(101), &scopes).is_err());
        assert!(create_body("k", &[]).is_err());
        assert!(create_body("k", &["has space".to_owned()]).is_err());
        assert!(create_body("k", &["quote\"".to_owned()]).is_err());
    }

    #[test]
    fn placement_and_paths() {
        assert_eq!(Placement::parse(None).expect("default"), Placement::Header);
        assert_eq!(Placement::parse(Some("query")).expect("query"), Placement::Query);
        assert_eq!(Placement::parse(Some("cookie")).expect_err("refused").code(), "ERR_AUTH_INVALID_OPTIONS");
        assert_eq!(key_path("key_abc123").expect("valid"), "/api-keys/key_abc123");
        assert_eq!(key_path("../x y").expect("valid"), "/api-keys/%2E%2E%2Fx%20y");
        assert!(key_path("").is_err());
    }
}
