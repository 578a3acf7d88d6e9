//! Strict JSON (RFC 8259) for JOSE headers, claims sets, JWKs and the API's answers: one small
//! parser and data model for the whole crate. Duplicate member names are an error (RFC 7515
//! section 5.2 lets a parser reject them, and accepting "last wins" lets two parsers disagree
//! about a token), nesting is bounded so hostile input cannot exhaust the stack, and so is the
//! work: large objects are checked for duplicates by sorting their names, not pairwise.
//!
//! It replaces serde_json's `Value` in the wasm: a parser that builds exactly this model, with
//! objects as short vectors (JOSE objects have a handful of members), is a fraction of the code
//! and of the time per token. `tests` checks it against serde_json on every kind of input.

use core::fmt;

/// Deepest nesting accepted (objects and arrays). Claims sets seen in practice use 3 or 4.
pub const MAX_DEPTH: usize = 32;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (JSON numbers are doubles in every JS runtime, the only reader of our output).
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

/// A JSON number: an integer (exact up to 2^53, as in JS), or any other number with the text it
/// was written as, which is what gets written back. The crate never formats a float itself:
/// float printing and exact float parsing would be most of this module's size in the wasm.
#[derive(Debug, Clone)]
pub struct Number {
    value: f64,
    /// The literal, for numbers that are not integers; `None` for integers.
    text: Option<Box<str>>,
}

impl Number {
    /// The number as a double: always `Some` (the parser refuses what a double cannot hold).
    pub fn as_f64(&self) -> Option<f64> {
        Some(self.value)
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        self.value == other.value
    }
}

/// A JSON object: its members in document order, names unique.
#[derive(Debug, Clone, Default)]
pub struct Map(Vec<(String, Value)>);

/// Objects are equal when they have the same members, in any order (names are unique).
impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().all(|(name, value)| other.get(name) == Some(value))
    }
}

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map(Vec::new())
    }

    /// The value of member `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Whether the object has a member `name`.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets member `name`, returning its previous value.
    pub fn insert(&mut self, name: String, value: Value) -> Option<Value> {
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some((_, slot)) => Some(core::mem::replace(slot, value)),
            None => {
                self.0.push((name, value));
                None
            }
        }
    }

    /// The members, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The member names, in document order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Value {
    /// Member `name` of an object; `None` for a missing member or a value that is not an object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(name),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// Whether this is a string.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }
}

/// An object from `(name, value)` pairs, for the JSON the crate writes (request bodies, JWKs
/// for WebCrypto): `object([("kty", "EC".into()), ("crv", curve.into())])`.
pub fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(Map(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.clone())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<usize> for Value {
    fn from(n: usize) -> Value {
        Value::Number(Number { value: n as f64, text: None })
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(Number { value: n as f64, text: None })
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

/// Compact JSON text, as `JSON.stringify` writes it.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Value::Number(Number { text: Some(text), .. }) => f.write_str(text),
            Value::Number(Number { value, .. }) => write!(f, "{}", *value as i64),
            Value::String(s) => write_string(f, s),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Object(map) => {
                f.write_str("{")?;
                for (i, (name, value)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_string(f, name)?;
                    write!(f, ":{value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// `name` as a JSON string (`"kid"`), for error messages that quote a name: the same quotes as
/// `{name:?}` for every usual (printable ASCII) name, without Rust's `Debug` escaping, which
/// pulls core's Unicode printability tables and `Debug` machinery (~3 KB) into the wasm.
/// Everything outside printable ASCII is written as `\uXXXX`: the names come from tokens, and
/// a bidi override or zero-width character must not reach a log line as itself.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_json_string(f, self.0, true)
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    write_json_string(f, s, false)
}

/// `s` as a JSON string; with `ascii_only`, every character outside printable ASCII escaped
/// (as UTF-16 code units, the way JSON spells characters beyond U+FFFF).
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str, ascii_only: bool) -> fmt::Result {
    f.write_str("\"")?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            c if ascii_only && !(' '..='~').contains(&c) => "",
            _ => continue,
        };
        // `get`, not `&s[..]`: a slice's panic would bring char-boundary formatting into the wasm
        // (`start` and `i` are char boundaries, so this never fails).
        f.write_str(s.get(start..i).ok_or(fmt::Error)?)?;
        if escaped.is_empty() {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(f, "\\u{:04x}", unit)?;
            }
        } else {
            f.write_str(escaped)?;
        }
        start = i + c.len_utf8();
    }
    f.write_str(s.get(start..).ok_or(fmt::Error)?)?;
    f.write_str("\"")
}

/// Parses `bytes` as one JSON value with unique member names and bounded depth. Every JSON the
/// crate reads goes through here: one parser in the wasm, and one set of rules. The error says
/// what is wrong and where (a byte offset), never quoting the input.
pub fn parse_value(bytes: &[u8]) -> Result<Value, String> {
    let text = core::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 at byte {}", e.valid_up_to()))?;
    let mut parser = Parser { text, bytes: text.as_bytes(), at: 0 };
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.at != parser.bytes.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

/// Parses `bytes` as a JSON object with unique member names and bounded depth.
pub fn parse_object(bytes: &[u8]) -> Result<Map, String> {
    match parse_value(bytes)? {
        Value::Object(map) => Ok(map),
        _ => Err("not a JSON object".to_owned()),
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.at).copied()
    }

    fn consume(&mut self, byte: u8, what: &str) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    /// `self.text[from..self.at]`. Every cut the parser makes is next to an ASCII byte, so a
    /// char boundary; `get` rather than indexing keeps the slice's panic (and its formatting) out
    /// of the wasm.
    fn text_since(&self, from: usize) -> Result<&str, String> {
        self.text.get(from..self.at).ok_or_else(|| self.error("invalid UTF-8"))
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self.bytes.get(self.at..).is_some_and(|rest| rest.starts_with(word.as_bytes())) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        match self.peek() {
            None => Err(self.error("unexpected end")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a value")),
        }
    }

    fn nest(&self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH { Err(format!("JSON nested deeper than {MAX_DEPTH} levels")) } else { Ok(()) }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.nest(depth)?;
        self.at += 1;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, String> {
        self.nest(depth)?;
        self.at += 1;
        // Room for a usual JOSE object (a header's few members, a claims set's registered ones)
        // at once: one allocation instead of a growth per doubling.
        let mut members: Vec<(String, Value)> = Vec::with_capacity(8);
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(Map(members)));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a member name"));
            }
            let name = self.string()?;
            self.consume(b':', "expected `:`")?;
            let value = self.value(depth)?;
            members.push((name, value));
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    break;
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
        // Duplicates: pairwise for the usual handful of members, sorted beyond (a hostile
        // 10,000-member object must not cost 50 million comparisons; a HashSet would bring
        // SipHash and hashbrown into the wasm for this alone).
        let duplicate = if members.len() <= 16 {
            members
                .iter()
                .enumerate()
                .find(|(i, (name, _))| members.iter().take(*i).any(|(other, _)| other == name))
                .map(|(_, (name, _))| name.clone())
        } else {
            first_repeated(&members).map(str::to_owned)
        };
        match duplicate {
            Some(name) => Err(format!("duplicate member {}", Quoted(&name))),
            None => Ok(Value::Object(Map(members))),
        }
    }

    /// A string at `self.at` (an opening quote), unescaped.
    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        let mut run = self.at;
        loop {
            // Skip the plain characters at once: most strings have no escape at all.
            let plain = self
                .bytes
                .get(self.at..)
                .and_then(|rest| rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20));
            self.at = plain.map_or(self.bytes.len(), |n| self.at + n);
            match self.bytes.get(self.at) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    out.push_str(self.text_since(run)?);
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(self.text_since(run)?);
                    self.at += 1;
                    let escaped = match self.bytes.get(self.at) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.error("invalid escape")),
                    };
                    out.push(escaped);
                    self.at += 1;
                    run = self.at;
                }
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => self.at += 1,
            }
        }
    }

    /// `\uXXXX` (with `self.at` on the `u`), and its low half when it starts a surrogate pair;
    /// leaves `self.at` on the last hex digit. Lone surrogates are errors, as in serde_json.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.at + 1..self.at + 3) != Some(b"\\u") {
                    return Err(self.error("lone leading surrogate"));
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("invalid surrogate pair"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("lone trailing surrogate")),
            code => code,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid escape"))
    }

    /// The four hex digits after the `u` at `self.at`; leaves `self.at` on the last one.
    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.bytes.get(self.at + 1..self.at + 5).ok_or_else(|| self.error("invalid escape"))?;
        let mut code = 0;
        for &d in digits {
            let v = (d as char).to_digit(16).ok_or_else(|| self.error("invalid escape"))?;
            code = code * 16 + v;
        }
        self.at += 4;
        Ok(code)
    }

    /// `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`, as a finite double.
    fn number(&mut self) -> Result<Value, String> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while let Some(b'0'..=b'9') = p.bytes.get(p.at) {
                p.at += 1;
            }
            p.at - from
        };
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let int_from = self.at;
        match self.bytes.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("invalid number")),
        }
        // The usual case (times, sizes): a plain integer of at most 15 digits, exact in a double
        // by itself, with no fraction or exponent to find again.
        let int_len = self.at - int_from;
        if int_len <= 15 && !matches!(self.bytes.get(self.at), Some(b'.' | b'e' | b'E')) {
            let digits = self.bytes.get(int_from..self.at).ok_or_else(|| self.error("invalid number"))?;
            let magnitude = digits.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            let value = magnitude as f64;
            return Ok(Value::Number(Number { value: if int_from > start { -value } else { value }, text: None }));
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        let text = self.text_since(start)?;
        let value = decimal(text).ok_or_else(|| self.error("number out of range"))?;
        let integer = !text.contains(['.', 'e', 'E']) && value.abs() <= MAX_EXACT;
        Ok(Value::Number(Number { value, text: if integer { None } else { Some(text.into()) } }))
    }
}

/// 2^53: integers up to this are exact in a double.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// The value of a JSON number literal (already checked against the grammar), or `None` when a
/// double cannot hold it. Exact (correctly rounded) when the digits fit in 2^53 and the power
/// of ten is at most 22 away, which covers every number a JOSE object carries (times, sizes);
/// beyond that within a few units in the last place, as serde_json's default parser. Written
/// here rather than `str::parse::<f64>()`, whose exact algorithm and tables are ~15 KB of wasm.
fn decimal(text: &str) -> Option<f64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (number, exponent) = match text.split_once(['e', 'E']) {
        Some((number, exponent)) => (number, exponent_of(exponent)),
        None => (text, 0),
    };
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    // Significant digits as an integer (the first 19; later ones only shift the exponent).
    let mut mantissa: u64 = 0;
    let mut dropped: i64 = 0;
    let mut digits = 0;
    for d in int_part.bytes().chain(frac_part.bytes()) {
        if digits < 19 {
            if mantissa > 0 || d != b'0' {
                digits += 1;
            }
            mantissa = mantissa * 10 + u64::from(d - b'0');
        } else {
            dropped += 1;
        }
    }
    let power = exponent - frac_part.len() as i64 + dropped;
    let value = if mantissa == 0 {
        0.0
    } else if (mantissa as f64) <= MAX_EXACT && (-22..=22).contains(&power) {
        // One correctly rounded operation on exact operands (Clinger's fast path).
        let scale = POWERS_OF_TEN[power.unsigned_abs() as usize];
        if power < 0 { mantissa as f64 / scale } else { mantissa as f64 * scale }
    } else if power < -400 {
        0.0
    } else if power > 400 {
        return None;
    } else {
        let mut value = mantissa as f64;
        let mut left = power;
        while left > 22 {
            value *= 1e22;
            left -= 22;
        }
        while left < -22 {
            value /= 1e22;
            left += 22;
        }
        let scale = POWERS_OF_TEN[left.unsigned_abs() as usize];
        if left < 0 { value / scale } else { value * scale }
    };
    if !value.is_finite() {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// `[+-]digits`, saturated far beyond any double's range (so that 0e99999999999999999999 is 0).
fn exponent_of(text: &str) -> i64 {
    let (negative, digits) = match text.as_bytes() {
        [b'-', digits @ ..] => (true, digits),
        [b'+', digits @ ..] => (false, digits),
        digits => (false, digits),
    };
    let magnitude = digits.iter().fold(0i64, |n, d| (n * 10 + i64::from(d - b'0')).min(1_000_000));
    if negative { -magnitude } else { magnitude }
}

/// 10^0 ..= 10^22, each exact in a double.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

#[cfg(test)]
macro_rules! json {
    ($($json:tt)+) => {
        $crate::jose::json::from_serde(&serde_json::json!($($json)+))
    };
}
#[cfg(test)]
pub(crate) use json;

/// A serde_json value as this module's [`Value`] (tests only).
#[cfg(test)]
pub fn from_serde(value: &serde_json::Value) -> Value {
    parse_value(value.to_string().as_bytes()).unwrap_or(Value::Null)
}

/// The name of the first member (in document order) whose name an earlier member already has,
/// found in O(n log n): the members' (name, position) pairs sorted, each run of one name
/// repeats at its second position, and the smallest such position is the first repeat.
fn first_repeated(members: &[(String, Value)]) -> Option<&str> {
    let mut order: Vec<(&str, usize)> = members.iter().enumerate().map(|(at, (name, _))| (name.as_str(), at)).collect();
    heapsort(&mut order);
    order
        .windows(2)
        .filter_map(|pair| match pair {
            [(name, _), (again, at)] if name == again => Some((*at, *again)),
            _ => None,
        })
        .min()
        .map(|(_, name)| name)
}

/// In-place heapsort: O(n log n) whatever the input, in a few hundred bytes of wasm (the
/// standard library's sort brings ~3.4 KB of pattern-defeating quicksort for this one use).
fn heapsort<T: Ord>(items: &mut [T]) {
    let len = items.len();
    for root in (0..len / 2).rev() {
        sift_down(items, root, len);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

/// Moves `items[root]` down the max-heap held in `items[..end]` until both its children are
/// no greater.
fn sift_down<T: Ord>(items: &mut [T], mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && items[child] < items[child + 1] {
            child += 1;
        }
        if items[root] >= items[child] {
            return;
        }
        items.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_names_read_as_debug_did_for_printable_ascii_and_escape_everything_else() {
        for name in ["kid", "x5c", "P-256", "", "dpop+jwt", "a b~"] {
            assert_eq!(Quoted(name).to_string(), format!("{name:?}"));
        }
        assert_eq!(Quoted("a\"b\\c\n\u{1}").to_string(), r#""a\"b\\c\n\u0001""#);
        // Nothing invisible or direction-changing reaches a message as itself.
        assert_eq!(Quoted("RS256\u{202e}652SR").to_string(), r#""RS256\u202e652SR""#);
        assert_eq!(Quoted("caf\u{e9}\u{7f}\u{200b}\u{1f600}").to_string(), r#""caf\u00e9\u007f\u200b\ud83d\ude00""#);
        // JSON written for other programs keeps its characters.
        assert_eq!(Value::String("caf\u{e9}".into()).to_string(), "\"caf\u{e9}\"");
    }

    #[test]
    fn numbers_with_exponents_and_strings_with_escapes_survive_the_non_panicking_cuts() {
        let map = parse_object(br#"{"a":1e3,"b":-2.5E-1,"c":"x\"y\u00e9z","d":12345678901234567890}"#).unwrap();
        assert_eq!(map.get("a").and_then(Value::as_f64), Some(1000.0));
        assert_eq!(map.get("b").and_then(Value::as_f64), Some(-0.25));
        assert_eq!(map.get("c").and_then(Value::as_str), Some("x\"y\u{e9}z"));
        assert_eq!(map.get("d").and_then(Value::as_f64), Some(12345678901234567890.0));
        assert_eq!(Value::Object(map).to_string(), r#"{"a":1e3,"b":-2.5E-1,"c":"x\"yéz","d":12345678901234567890}"#);
    }

    #[test]
    fn parses_objects() {
        let map = parse_object(br#"{"a":1,"b":[true,null,"x",1.5],"c":{"d":-2}}"#).expect("valid");
        assert_eq!(map.get("b").and_then(Value::as_array).map(|b| b[3].as_f64()), Some(Some(1.5)));
        assert_eq!(map.get("c").and_then(|c| c.get("d")).and_then(Value::as_f64), Some(-2.0));
    }

    #[test]
    fn rejects_duplicate_members_at_any_level() {
        assert!(parse_object(br#"{"alg":"HS256","alg":"none"}"#).unwrap_err().contains("duplicate"));
        assert!(parse_object(br#"{"a":{"b":1,"b":2}}"#).unwrap_err().contains("duplicate"));
        // Escaped and plain spellings of one name are the same name.
        assert!(parse_object(br#"{"alg":1,"\u0061lg":2}"#).unwrap_err().contains("duplicate"));
        // The sorted check for large objects.
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\":{i}")).collect();
        assert!(parse_object(format!("{{{}}}", many.join(",")).as_bytes()).is_ok());
        assert!(parse_object(format!("{{{},\"k7\":0}}", many.join(",")).as_bytes()).unwrap_err().contains("duplicate"));
    }

    #[test]
    fn heapsort_sorts_like_the_standard_sort() {
        let mut seed = 0x9e37_79b9_u32;
        for len in 0..200 {
            let mut items: Vec<(u32, usize)> = (0..len)
                .map(|at| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    (seed % 7, at)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_unstable();
            heapsort(&mut items);
            assert_eq!(items, expected, "length {len}");
        }
    }

    #[test]
    fn the_sorted_check_names_the_first_repeat_in_document_order_as_the_pairwise_one_does() {
        // Objects of 17-40 members over a small alphabet of names, so that most repeat several
        // names: the large-object check must name the same member the pairwise check would.
        let mut seed = 0x2545_f491_u32;
        for _ in 0..2_000 {
            let mut next = |below: u32| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed % below
            };
            let count = 17 + next(24) as usize;
            let alphabet = 10 + next(60);
            let members: Vec<(String, Value)> =
                (0..count).map(|_| (format!("n{}", next(alphabet)), Value::Null)).collect();
            let pairwise = members
                .iter()
                .enumerate()
                .find(|(i, (name, _))| members.iter().take(*i).any(|(other, _)| other == name))
                .map(|(_, (name, _))| name.as_str());
            assert_eq!(first_repeated(&members), pairwise, "{members:?}");
        }
    }

    #[test]
    fn rejects_non_objects_and_trailing_data() {
        for bad in [&b"[]"[..], b"\"x\"", b"1", b"null", b"{} {}", b"{", b"", b"\xff"] {
            assert!(parse_object(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let depth = 100_000;
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        let err = parse_object(deep.as_bytes()).expect_err("too deep");
        assert!(err.contains("nested"), "{err}");
        let ok = format!("{{\"a\":{}{}}}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(parse_object(ok.as_bytes()).is_ok());
    }

    /// serde_json (a dev-dependency only) as the reference for what is JSON and what it means.
    fn reference(bytes: &[u8]) -> Option<serde_json::Value> {
        serde_json::from_slice(bytes).ok()
    }

    fn same(ours: &Value, theirs: &serde_json::Value) -> bool {
        match (ours, theirs) {
            (Value::Null, serde_json::Value::Null) => true,
            (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
            // Both parsers may be a few units in the last place off for long mantissas.
            (Value::Number(a), serde_json::Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-15 * x.abs().max(y.abs()),
                _ => false,
            },
            (Value::String(a), serde_json::Value::String(b)) => a == b,
            (Value::Array(a), serde_json::Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
            }
            (Value::Object(a), serde_json::Value::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
            }
            _ => false,
        }
    }

    /// Every input: accepted by both with the same meaning, or refused by both, except what this
    /// parser refuses on purpose (duplicate names, nesting deeper than MAX_DEPTH).
    fn agrees(input: &[u8]) -> Result<(), String> {
        match (parse_value(input), reference(input)) {
            (Ok(ours), Some(theirs)) if same(&ours, &theirs) => Ok(()),
            (Ok(ours), theirs) => {
                Err(format!("{:?}: ours {ours:?}, serde_json {theirs:?}", String::from_utf8_lossy(input)))
            }
            (Err(why), Some(_)) if why.contains("duplicate") || why.contains("nested") => Ok(()),
            (Err(why), Some(theirs)) => {
                Err(format!("{:?}: ours refuses ({why}), serde_json {theirs:?}", String::from_utf8_lossy(input)))
            }
            (Err(_), None) => Ok(()),
        }
    }

    #[test]
    fn agrees_with_serde_json_on_edge_cases() {
        let cases: &[&[u8]] = &[
            b"0",
            b"-0",
            b"1",
            b"-1",
            // Either side of the 15-digit integer fast path.
            b"999999999999999",
            b"-999999999999999",
            b"1000000000000000",
            b"-1000000000000000",
            b"9007199254740993",
            b"123456789012345e0",
            b"123456789012345.0",
            b"01",
            b"-01",
            b"1.",
            b".1",
            b"1.5",
            b"1e5",
            b"1E+5",
            b"1e-5",
            b"1e",
            b"1e+",
            b"-",
            b"--1",
            b"+1",
            b"1.5e308",
            b"1e309",
            b"-1e309",
            b"123456789012345678901234567890",
            b"9007199254740993",
            b"0.1",
            b"1e-400",
            b"true",
            b"false",
            b"null",
            b"tru",
            b"nul",
            b"True",
            b"NaN",
            b"Infinity",
            br#""""#,
            br#""a""#,
            br#""\"\\\/\b\f\n\r\t""#,
            br#""\u0041\u00e9\u20ac""#,
            br#""\ud83d\ude00""#,
            br#""\ud83d""#,
            br#""\ude00""#,
            br#""\ud83d\u0041""#,
            br#""\u12""#,
            br#""\x""#,
            b"\"a\x01b\"",
            b"\"a\x7fb\"",
            "\"é€😀\"".as_bytes(),
            b"\"\xff\"",
            br#""unterminated"#,
            b"[]",
            b"[1,2]",
            b"[1,]",
            b"[,1]",
            b"[1 2]",
            b" [ 1 , [ ] , { } ] ",
            b"[",
            b"]",
            b"{}",
            br#"{"a":1}"#,
            br#"{"a":1,}"#,
            br#"{"a"}"#,
            br#"{"a":}"#,
            br#"{a:1}"#,
            br#"{"a" 1}"#,
            br#"{"a":1 "b":2}"#,
            br#"{1:2}"#,
            b"\t{\"a\"\r\n:\n1 }\n",
            b"{\"a\":1}\x00",
            b"\xef\xbb\xbf{}",
            b"{} x",
            b"",
            b" ",
            b"/* c */ {}",
        ];
        let wrong: Vec<String> = cases.iter().filter_map(|c| agrees(c).err()).collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn agrees_with_serde_json_on_generated_inputs() {
        // A deterministic generator over JSON-ish tokens: many valid documents and many broken ones.
        let pieces: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"a\"",
            "\"b\"",
            "\"\\u00e9\"",
            "\"\\ud800\"",
            "1",
            "-0.5e3",
            "01",
            "true",
            "null",
            " ",
            "\"x",
            "\\",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut wrong = Vec::new();
        for _ in 0..20_000 {
            let mut doc = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 1 + (seed % 12) as usize;
            let mut s = seed;
            for _ in 0..len {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                doc.push_str(pieces[(s >> 33) as usize % pieces.len()]);
            }
            if let Err(e) = agrees(doc.as_bytes()) {
                wrong.push(e);
            }
        }
        assert!(
            wrong.is_empty(),
            "{} disagreements, e.g.\n{}",
            wrong.len(),
            wrong.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
        );
    }

    #[test]
    fn numbers_are_exact_where_jose_objects_use_them() {
        for (text, want) in [
            ("1700000000", 1_700_000_000.0),
            ("1700000000.5", 1_700_000_000.5),
            ("-2.5e3", -2500.0),
            ("0.1", 0.1),
            ("1e22", 1e22),
            ("9007199254740993", 9_007_199_254_740_992.0),
            ("123.456e-2", 1.23456),
            ("0e99999999999999999999", 0.0),
            ("1e-400", 0.0),
        ] {
            assert_eq!(decimal(text), Some(want), "{text}");
        }
        assert_eq!(decimal("1e400"), None);
        assert_eq!(decimal("-1e309"), None);
        // Integers print as integers, other numbers as they were written.
        assert_eq!(
            parse_value(b"[1700000000,-0,0.50,1E3,123456789012345678901234567890]").map(|v| v.to_string()),
            Ok("[1700000000,0,0.50,1E3,123456789012345678901234567890]".to_owned())
        );
    }

    #[test]
    fn writes_what_it_reads() {
        let text = r#"{"a":[1,-2.5,true,null],"b":"q\"\\\n\u0001é","c":{}}"#;
        let value = parse_value(text.as_bytes()).expect("valid");
        assert_eq!(value.to_string(), r#"{"a":[1,-2.5,true,null],"b":"q\"\\\n\u0001é","c":{}}"#);
        assert_eq!(parse_value(value.to_string().as_bytes()), Ok(value));
        assert_eq!(
            object([("saltLength", 32usize.into()), ("name", "RSA-PSS".into())]).to_string(),
            r#"{"saltLength":32,"name":"RSA-PSS"}"#
        );
    }
}
