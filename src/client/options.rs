//! The decisions of the options layer (`web::options` only reads JS values): what each kind of
//! option must be and how that is said, the one `null` rule, the range of every number, and
//! the nearest valid name for a misspelt key.
//!
//! The `null` rule: `undefined` (or a missing key) means "not given"; `null` is never a value
//! of any option, so it is refused like any other value of the wrong kind, and the message says
//! so (`"issuer must be a string (null is not one)"`). One rule for every class: `null` cannot
//! mean "absent" in one class and "wrong" in another.

use crate::Error;
use crate::client::base_url::BaseUrl;
use crate::jose::options::{self as checks, invalid};

/// What an option must be. `describe` is the second half of "`name` must be ...".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Any string.
    String,
    /// A string of at least one character.
    NonEmptyString,
    /// A string of at least one visible ASCII character and nothing else (an API key).
    VisibleAscii,
    /// A string, or an array of strings.
    StringOrStrings,
    /// An array of strings.
    Strings,
    /// An absolute http: or https: URL.
    Url,
    /// An absolute http: or https: URL that may have a query (a redirect URI).
    UrlWithQuery,
    /// An array of http: or https: origins.
    Origins,
    /// One of a closed set of strings.
    OneOf(&'static [&'static str]),
    /// Milliseconds, more than 0 and within a JS timer's range.
    Milliseconds,
    /// Seconds, 0 or more (fractions kept).
    Seconds,
    /// A whole number of bytes, 1 or more.
    Bytes,
    /// `true` or `false`.
    Boolean,
    /// A JSON Web Key, as an object.
    Jwk,
    /// A function.
    Function,
    /// A plain object.
    Object,
    /// An object whose values are strings (extra URL parameters).
    StringRecord,
    /// Anything `JSON.stringify` can write.
    Json,
    /// An object with the methods of the named class.
    Instance(&'static str),
    /// A kind only one class has, in words (`"a non-empty string or a Uint8Array"`).
    Words(&'static str),
}

impl Expected {
    /// What the option must be, in words.
    pub fn describe(self) -> String {
        let mut words = String::new();
        self.describe_into(&mut words);
        words
    }

    /// Appends what the option must be, in words, to `out`: plain pushes, no `format!` or
    /// `join` (each would add its own formatting or copying code to the wasm).
    fn describe_into(self, out: &mut String) {
        let words = match self {
            Expected::String => "a string",
            Expected::NonEmptyString => "a non-empty string",
            Expected::VisibleAscii => "a non-empty string of visible ASCII",
            Expected::StringOrStrings => "a string or an array of strings",
            Expected::Strings => "an array of strings",
            Expected::Url | Expected::UrlWithQuery => "an http: or https: URL",
            Expected::Origins => "an array of http: or https: origins",
            Expected::OneOf(values) => {
                for (i, value) in values.iter().enumerate() {
                    out.push_str(if i == 0 { "\"" } else { " or \"" });
                    out.push_str(value);
                    out.push('"');
                }
                return;
            }
            Expected::Milliseconds => checks::MILLIS_WORDS,
            Expected::Seconds => "a number of seconds, 0 or more",
            Expected::Bytes => "a whole number of bytes, 1 or more",
            Expected::Boolean => "a boolean",
            Expected::Jwk => "a JWK object",
            Expected::Function => "a function",
            Expected::Object => "an object",
            Expected::StringRecord => "an object of strings",
            Expected::Json => "JSON data",
            Expected::Words(words) => words,
            Expected::Instance(class) => {
                out.push_str("a ");
                class
            }
        };
        out.push_str(words);
    }
}

/// "`name` must be `expected``tail`".
fn must_be(name: &str, expected: Expected, tail: &str) -> Error {
    let mut message = String::from(name);
    message.push_str(" must be ");
    expected.describe_into(&mut message);
    message.push_str(tail);
    Error::InvalidOptions(message)
}

/// `name` got a value that is not what it expects (`was_null`: the value was `null`).
pub fn wrong_kind(name: &str, expected: Expected, was_null: bool) -> Error {
    must_be(name, expected, if was_null { " (null is not one)" } else { "" })
}

/// Entry `index` of the list option `name` is not `expected`; `text`: the entry, when it was a
/// string. A PEM where a JWK belongs is a likely mix-up (`keys: [pem]`): the message says where
/// a PEM goes instead of leaving every token to fail later.
pub fn wrong_entry(name: &str, index: usize, expected: Expected, text: Option<&str>) -> Error {
    let pem = expected == Expected::Jwk && text.is_some_and(|t| t.trim_start().starts_with("-----BEGIN"));
    let hint = if pem { "; a PEM goes in publicKey" } else { "" };
    let mut at = String::from(name);
    at.push('[');
    at.push_str(&index.to_string());
    at.push(']');
    must_be(&at, expected, hint)
}

/// Member `key` of the object option `name` is not `expected` (`was_null`: it was `null`).
pub fn wrong_member(name: &str, key: &str, expected: Expected, was_null: bool) -> Error {
    let mut at = String::from(name);
    at.push('.');
    at.push_str(key);
    wrong_kind(&at, expected, was_null)
}

/// Whether `url` is an absolute http: or https: URL with a host, a query allowed (RFC 6749
/// 3.1.2: a redirect URI may have one) but no fragment, user, password or spaces.
pub fn is_url_with_query(url: &str) -> bool {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    BaseUrl::parse(base).is_ok() && !query.contains('#') && !query.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Options `name` and `other` were both given but cannot work together (`why` says why).
pub fn conflict(name: &str, other: &str, why: &str) -> Error {
    invalid(&[name, " cannot be combined with ", other, why])
}

/// A required option that was not given.
pub fn required(name: &str) -> Error {
    invalid(&[name, " is required"])
}

/// A string option: `NonEmptyString` refuses `""`, `VisibleAscii` also spaces, controls and
/// non-ASCII (a header value must not carry them), `OneOf` anything outside its set.
pub fn text(name: &str, expected: Expected, value: String) -> Result<String, Error> {
    let fits = match expected {
        Expected::NonEmptyString => !value.is_empty(),
        Expected::VisibleAscii => !value.is_empty() && value.bytes().all(|b| (0x21..=0x7e).contains(&b)),
        Expected::OneOf(values) => values.contains(&value.as_str()),
        _ => true,
    };
    if fits { Ok(value) } else { Err(wrong_kind(name, expected, false)) }
}

/// A number option (`None`: not a number at all), checked against its unit's range.
/// Seconds keep their fraction (`refreshMarginSeconds: 0.5` is half a second).
pub fn number(name: &str, expected: Expected, value: Option<f64>) -> Result<f64, Error> {
    let fits = match (expected, value) {
        (Expected::Seconds, Some(n)) => n.is_finite() && n >= 0.0,
        (Expected::Milliseconds, Some(n)) => checks::is_millis(n),
        (Expected::Bytes, Some(n)) => checks::is_bytes(n),
        _ => false,
    };
    match value {
        Some(n) if fits => Ok(n),
        _ => Err(wrong_kind(name, expected, false)),
    }
}

/// The Damerau (optimal string alignment) distance between `a` and `b`, ignoring ASCII case:
/// the insertions, deletions, substitutions and swaps of neighbours that turn one into the other.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let width = b.len() + 1;
    // Three rows of the table in one allocation (the swap looks two rows back): row i % 3 holds
    // the distances between a[..i] and b[..j].
    let mut rows = vec![0; 3 * width];
    for (j, cell) in rows[..width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (now, up, up2) = ((i % 3) * width, ((i - 1) % 3) * width, ((i + 1) % 3) * width);
        rows[now] = i;
        for j in 1..=b.len() {
            let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
            let mut best = (rows[up + j] + 1).min(rows[now + j - 1] + 1).min(rows[up + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1].eq_ignore_ascii_case(&b[j - 2]) && a[i - 2].eq_ignore_ascii_case(&b[j - 1]) {
                best = best.min(rows[up2 + j - 2] + 1);
            }
            rows[now + j] = best;
        }
    }
    rows[(a.len() % 3) * width + b.len()]
}

/// The valid name `unknown` was most likely meant to be: the nearest one, if it is near enough
/// to be a slip (up to 1 edit per 4 characters, at least 1, at most 3), the first on a tie.
pub fn nearest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for &name in known {
        let allowed = (1 + name.len() / 4).min(3);
        // The distance is at least the length difference: skip the quadratic table when that
        // alone is too far (a huge key costs nothing).
        if unknown.len().abs_diff(name.len()) > allowed {
            continue;
        }
        let distance = edit_distance(unknown, name);
        if distance <= allowed && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, name));
        }
    }
    best.map(|(_, name)| name)
}

/// How many characters of an unknown key an error message repeats.
const MAX_KEY_SHOWN: usize = 64;

/// Refuses the first key of `given` that is not in `known`, naming the nearest valid one.
pub fn only_known<S: AsRef<str>>(given: &[S], known: &[&str]) -> Result<(), Error> {
    let Some(unknown) = given.iter().map(AsRef::as_ref).find(|key| !known.contains(key)) else {
        return Ok(());
    };
    let mut message = String::from("unknown option `");
    // A key is the caller's text: at most MAX_KEY_SHOWN characters of it go into the message.
    match unknown.char_indices().nth(MAX_KEY_SHOWN) {
        Some((cut, _)) => {
            // `get` (`cut` is a char boundary) rather than a slice, whose panic would bring
            // char-boundary formatting into the wasm.
            message.push_str(unknown.get(..cut).unwrap_or_default());
            message.push_str("...");
        }
        None => message.push_str(unknown),
    }
    if let Some(meant) = nearest(unknown, known) {
        message.push_str("`: did you mean `");
        message.push_str(meant);
        message.push_str("`?");
    } else {
        message.push_str("`: the options are ");
        for (i, name) in known.iter().enumerate() {
            message.push_str(if i == 0 { "" } else { ", " });
            message.push_str(name);
        }
    }
    Err(Error::InvalidOptions(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<T: core::fmt::Debug>(result: Result<T, Error>) -> String {
        match result.expect_err("refused") {
            Error::InvalidOptions(why) => why,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_substitutions_and_swaps() {
        assert_eq!(edit_distance("issuer", "issuer"), 0);
        assert_eq!(edit_distance("isuer", "issuer"), 1);
        assert_eq!(edit_distance("issuerr", "issuer"), 1);
        assert_eq!(edit_distance("issuar", "issuer"), 1);
        assert_eq!(edit_distance("isseur", "issuer"), 1, "a swap of neighbours is one edit");
        assert_eq!(edit_distance("apikey", "apiKey"), 0, "case is ignored");
        assert_eq!(edit_distance("", "typ"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn nearest_names_a_slip_and_nothing_far() {
        let known = ["issuer", "audience", "subject", "typ", "refreshMarginSeconds", "baseUrl"];
        assert_eq!(nearest("isuer", &known), Some("issuer"));
        assert_eq!(nearest("audiance", &known), Some("audience"));
        assert_eq!(nearest("type", &known), Some("typ"));
        assert_eq!(nearest("baseURL", &known), Some("baseUrl"));
        assert_eq!(nearest("refreshMarginSecs", &known), Some("refreshMarginSeconds"));
        assert_eq!(nearest("refreshMargin", &known), None, "seven letters away");
        assert_eq!(nearest("x", &known), None);
        assert_eq!(nearest("secret", &known), None);
    }

    #[test]
    fn a_huge_unknown_key_is_cut_in_the_message_and_never_compared() {
        let huge = "é".repeat(100_000);
        assert_eq!(nearest(&huge, &["issuer"]), None);
        let message = only_known(&[huge.as_str()], &["issuer"]).unwrap_err().to_string();
        assert!(message.contains(&format!("`{}...`", "é".repeat(64))), "{message}");
        assert!(message.len() < 200, "{}", message.len());
    }

    #[test]
    fn unknown_keys_are_refused_with_the_nearest_name_or_the_list() {
        let known = ["baseUrl", "apiKey", "placement"];
        assert_eq!(only_known(&["baseUrl", "apiKey"], &known), Ok(()));
        assert_eq!(only_known::<&str>(&[], &known), Ok(()));
        assert_eq!(
            message(only_known(&["baseUrl", "apikey"], &known)),
            "unknown option `apikey`: did you mean `apiKey`?"
        );
        assert_eq!(
            message(only_known(&["token"], &known)),
            "unknown option `token`: the options are baseUrl, apiKey, placement"
        );
    }

    #[test]
    fn wrong_kinds_name_the_option_what_it_expects_and_null() {
        assert_eq!(
            message::<()>(Err(wrong_kind("issuer", Expected::String, true))),
            "issuer must be a string (null is not one)"
        );
        assert_eq!(
            message::<()>(Err(wrong_kind("revokeOnLogout", Expected::Boolean, false))),
            "revokeOnLogout must be a boolean"
        );
        assert_eq!(
            message::<()>(Err(wrong_kind("placement", Expected::OneOf(&["header", "query"]), false))),
            "placement must be \"header\" or \"query\""
        );
        assert_eq!(
            message::<()>(Err(wrong_kind("tokenManager", Expected::Instance("TokenManager"), false))),
            "tokenManager must be a TokenManager"
        );
        assert_eq!(message::<()>(Err(required("baseUrl"))), "baseUrl is required");
    }

    #[test]
    fn a_wrong_list_entry_is_named_by_its_index_and_a_pem_among_jwks_says_where_it_goes() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkw...\n-----END PUBLIC KEY-----\n";
        assert_eq!(
            message::<()>(Err(wrong_entry("keys", 0, Expected::Jwk, Some(pem)))),
            "keys[0] must be a JWK object; a PEM goes in publicKey"
        );
        assert_eq!(
            message::<()>(Err(wrong_entry("keys", 2, Expected::Jwk, Some("x")))),
            "keys[2] must be a JWK object"
        );
        assert_eq!(message::<()>(Err(wrong_entry("keys", 1, Expected::Jwk, None))), "keys[1] must be a JWK object");
        assert_eq!(
            message::<()>(Err(wrong_entry("scopes", 0, Expected::NonEmptyString, Some(pem)))),
            "scopes[0] must be a non-empty string"
        );
    }

    #[test]
    fn a_redirect_uri_may_have_a_query_but_no_fragment() {
        for good in ["https://app.example/cb", "https://app.example/cb?b", "http://127.0.0.1:8080/?x=1&y=2"] {
            assert!(is_url_with_query(good), "{good}");
        }
        for bad in [
            "",
            "not a url",
            "/cb",
            "ftp://files.example/x",
            "https://",
            "https://app.example/cb#f",
            "https://app.example/?a#f",
        ] {
            assert!(!is_url_with_query(bad), "{bad}");
        }
        assert!(!is_url_with_query("https://u:p@app.example/cb?x"));
        assert!(!is_url_with_query("https://app.example/cb?a b"));
    }

    #[test]
    fn a_wrong_member_is_named_by_its_key() {
        assert_eq!(
            message::<()>(Err(wrong_member("extraParams", "prompt", Expected::String, true))),
            "extraParams.prompt must be a string (null is not one)"
        );
        assert_eq!(
            message::<()>(Err(wrong_kind("extraParams", Expected::StringRecord, false))),
            "extraParams must be an object of strings"
        );
        assert_eq!(
            message::<()>(Err(wrong_kind("appState", Expected::Json, true))),
            "appState must be JSON data (null is not one)"
        );
    }

    #[test]
    fn texts_must_fit_their_kind() {
        assert_eq!(text("scope", Expected::String, String::new()), Ok(String::new()));
        assert_eq!(
            message(text("clientId", Expected::NonEmptyString, String::new())),
            "clientId must be a non-empty string"
        );
        assert_eq!(text("apiKey", Expected::VisibleAscii, "sk_live_x".into()), Ok("sk_live_x".to_owned()));
        for bad in ["", "sk live", "sk\u{e9}", "sk\n"] {
            assert_eq!(
                message(text("apiKey", Expected::VisibleAscii, bad.into())),
                "apiKey must be a non-empty string of visible ASCII"
            );
        }
        let placement = Expected::OneOf(&["header", "query"]);
        assert_eq!(text("placement", placement, "query".into()), Ok("query".to_owned()));
        assert!(message(text("placement", placement, "cookie".into())).starts_with("placement must be"));
    }

    #[test]
    fn numbers_must_be_in_their_units_range() {
        assert_eq!(number("refreshMarginSeconds", Expected::Seconds, Some(0.0)), Ok(0.0));
        assert_eq!(number("refreshMarginSeconds", Expected::Seconds, Some(0.5)), Ok(0.5), "fractions kept");
        for bad in [None, Some(-1.0), Some(f64::NAN), Some(f64::INFINITY)] {
            assert_eq!(
                message(number("refreshMarginSeconds", Expected::Seconds, bad)),
                "refreshMarginSeconds must be a number of seconds, 0 or more",
                "{bad:?}"
            );
        }
        assert_eq!(number("timeoutDuration", Expected::Milliseconds, Some(5000.0)), Ok(5000.0));
        for bad in [None, Some(0.0), Some(-1.0), Some(f64::NAN), Some(3e9)] {
            assert!(
                message(number("timeoutDuration", Expected::Milliseconds, bad)).contains("milliseconds"),
                "{bad:?}"
            );
        }
        assert_eq!(number("maxResponseBytes", Expected::Bytes, Some(1024.0)), Ok(1024.0));
        for bad in [None, Some(0.0), Some(1.5), Some(-1.0), Some(f64::NAN)] {
            assert!(message(number("maxResponseBytes", Expected::Bytes, bad)).contains("bytes"), "{bad:?}");
        }
        assert!(message(number("x", Expected::Boolean, Some(1.0))).contains("boolean"), "not a number kind");
    }
}
