//! Reading the options object of an exported class: one typed reader per kind of option, with
//! the unit in its name, and one `null` rule (`client::options` decides; this file only reads
//! JS values).
//!
//! A class reads every option it knows through one [`Options`], then calls [`Options::finish`]
//! before using any result: the names read are the valid names, so a key nobody read is
//! refused with the nearest of them ("unknown option `isuer`: did you mean `issuer`?"), and a
//! misspelling is reported rather than the "is required" it causes. The names are thus written
//! twice: in the TypeScript interface and in the reader calls. A class whose checks come in
//! another order than its reads lists its names first ([`Options::declare`], a third time, in
//! its read order), calls `finish`, then reads each option where it is checked.

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::http;
use crate::Error;
use crate::client::base_url::BaseUrl;
use crate::client::options::{self as rules, Expected};

/// An object that is neither an array nor a function.
fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !Array::is_array(value) && !value.is_function()
}

/// The options object of one constructor call.
pub(crate) struct Options {
    object: JsValue,
    /// Every name asked for so far: the valid names, for `finish`.
    known: RefCell<Vec<&'static str>>,
}

/// A reader's refusal, boxed: a reader's `Result` is then a few bytes rather than an [`Error`]'s
/// 56, which every `?` after a reader would copy (readers are called at some 80 sites). `?`
/// turns it back into an [`Error`].
pub(crate) type Refused = Box<Error>;

impl From<Refused> for Error {
    fn from(refused: Refused) -> Error {
        *refused
    }
}

/// `Ok(Some(v))` unless `result` holds `None`: then "`name` is required".
pub(crate) fn required<T>(name: &str, result: Result<Option<T>, Refused>) -> Result<T, Refused> {
    match result? {
        Some(value) => Ok(value),
        None => Err(missing(name)),
    }
}

/// "`name` is required", boxed: one copy rather than one in each `required::<T>`.
#[inline(never)]
pub(crate) fn missing(name: &str) -> Refused {
    refused(rules::required(name))
}

/// `error`, boxed. Where a function that returns a [`Refused`] gets an [`Error`], write
/// `.map_err(refused)?` rather than `?`: `?`'s `From` boxes the Error in code of its own at each
/// site (spelling it out saved 0.35 KB gzip over JwtVerifier's and ClientCredentials' readers).
#[inline(never)]
pub(crate) fn refused(error: Error) -> Refused {
    Box::new(error)
}

/// `name` got a value that is not what it expects.
pub(crate) fn wrong(name: &str, expected: Expected) -> Refused {
    refused(rules::wrong_kind(name, expected, false))
}

// The `verify` build has no browser client, whose classes use most of these readers.
#[cfg_attr(not(feature = "browser-client"), allow(dead_code, reason = "the browser client's readers"))]
impl Options {
    /// `value` as an options object; anything but a plain object (or an array) is refused.
    pub(crate) fn new(value: &JsValue) -> Result<Options, Error> {
        if !is_plain_object(value) {
            return Err(Error::InvalidOptions("options must be an object".into()));
        }
        Ok(Options { object: value.clone(), known: RefCell::new(Vec::new()) })
    }

    /// Declares the valid names before any is read (in the order "the options are ..." lists
    /// them): [`Options::finish`] may then come first, and each reader's refusal be returned at
    /// once. A class that reads every option before `finish` must keep each result until its
    /// checks, and drop them all on each refusal: more code in each constructor.
    pub(crate) fn declare(&self, names: &[&'static str]) {
        self.known.borrow_mut().extend_from_slice(names);
    }

    /// The optional options object of a method (`logout(options?)`): `undefined` is none given.
    pub(crate) fn optional(value: Option<JsValue>) -> Result<Options, Error> {
        match value {
            Some(value) if !value.is_undefined() => Options::new(&value),
            _ => Ok(Options { object: Object::new().into(), known: RefCell::new(Vec::new()) }),
        }
    }

    /// Refuses a key that no reader asked for, naming the nearest valid one.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        let given: Vec<String> =
            Object::keys(self.object.unchecked_ref::<Object>()).iter().filter_map(|k| k.as_string()).collect();
        rules::only_known(&given, &self.known.borrow())
    }

    /// `options[name]`: `None` when undefined; `null` is refused as not `expected`. For a kind
    /// only one class reads (e.g. JwtVerifier's `secret`), which then checks the value itself.
    pub(crate) fn value(&self, name: &'static str, expected: Expected) -> Result<Option<JsValue>, Refused> {
        let mut known = self.known.borrow_mut();
        if !known.contains(&name) {
            known.push(name);
        }
        let value = Reflect::get(&self.object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() {
            Ok(None)
        } else if value.is_null() {
            Err(refused(rules::wrong_kind(name, expected, true)))
        } else {
            Ok(Some(value))
        }
    }

    /// A string of the `expected` kind: any, non-empty, visible ASCII, or one of a set.
    pub(crate) fn string(&self, name: &'static str, expected: Expected) -> Result<Option<String>, Refused> {
        let Some(value) = self.value(name, expected)? else { return Ok(None) };
        let text = value.as_string().ok_or_else(|| wrong(name, expected))?;
        rules::text(name, expected, text).map(Some).map_err(refused)
    }

    /// A string of at least one character.
    pub(crate) fn non_empty_string(&self, name: &'static str) -> Result<Option<String>, Refused> {
        self.string(name, Expected::NonEmptyString)
    }

    /// An absolute http: or https: URL, as given.
    pub(crate) fn url(&self, name: &'static str) -> Result<Option<String>, Refused> {
        let Some(url) = self.string(name, Expected::Url)? else { return Ok(None) };
        BaseUrl::parse(&url).map_err(|_| wrong(name, Expected::Url))?;
        Ok(Some(url))
    }

    /// An absolute http: or https: URL that may have a query but no fragment (a redirect URI).
    pub(crate) fn url_with_query(&self, name: &'static str) -> Result<Option<String>, Refused> {
        let Some(url) = self.string(name, Expected::UrlWithQuery)? else { return Ok(None) };
        if rules::is_url_with_query(&url) { Ok(Some(url)) } else { Err(wrong(name, Expected::UrlWithQuery)) }
    }

    /// `baseUrl`, with `BaseUrl::resolve`'s reason when it is not a usable base. A path (`/v1`)
    /// resolves against the page's origin where there is a page.
    pub(crate) fn base_url(&self) -> Result<Option<BaseUrl>, Refused> {
        self.string("baseUrl", Expected::Url)?
            .map(|url| BaseUrl::resolve(&url, http::page_origin().as_deref()).map_err(refused))
            .transpose()
    }

    /// A list of http: or https: origins (`allowedOrigins`), each reduced to its origin.
    pub(crate) fn origins(&self, name: &'static str) -> Result<Option<Vec<String>>, Refused> {
        let Some(value) = self.value(name, Expected::Origins)? else { return Ok(None) };
        let bad = || wrong(name, Expected::Origins);
        if !Array::is_array(&value) {
            return Err(bad());
        }
        // Loops rather than `collect::<Result<..>>()`: each such collect is its own generic
        // adapter in the wasm.
        let mut origins = Vec::new();
        for entry in Array::from(&value).iter() {
            let text = entry.as_string().ok_or_else(bad)?;
            BaseUrl::parse(&text).map_err(|_| bad())?;
            origins.push(http::origin_of(&text).map_err(|_| bad())?);
        }
        Ok(Some(origins))
    }

    /// A string, or an array of strings (`single_allowed: false`: only the array).
    pub(crate) fn strings(&self, name: &'static str, single_allowed: bool) -> Result<Option<Vec<String>>, Refused> {
        let expected = if single_allowed { Expected::StringOrStrings } else { Expected::Strings };
        let Some(value) = self.value(name, expected)? else { return Ok(None) };
        if single_allowed && let Some(text) = value.as_string() {
            return Ok(Some(vec![text]));
        }
        let bad = || wrong(name, expected);
        if !Array::is_array(&value) {
            return Err(bad());
        }
        let mut texts = Vec::new();
        for entry in Array::from(&value).iter() {
            texts.push(entry.as_string().ok_or_else(bad)?);
        }
        Ok(Some(texts))
    }

    /// An object whose values are strings (`extraParams`), as its pairs; an `undefined` value
    /// is a pair not given.
    pub(crate) fn string_record(&self, name: &'static str) -> Result<Option<Vec<(String, String)>>, Refused> {
        let Some(value) = self.value(name, Expected::StringRecord)? else { return Ok(None) };
        if !value.is_object() || Array::is_array(&value) || value.is_function() {
            return Err(wrong(name, Expected::StringRecord));
        }
        let mut pairs = Vec::new();
        for key in Object::keys(value.unchecked_ref::<Object>()).iter().filter_map(|k| k.as_string()) {
            let member = Reflect::get(&value, &JsValue::from_str(&key)).unwrap_or(JsValue::UNDEFINED);
            if member.is_undefined() {
                continue;
            }
            let Some(text) = member.as_string() else {
                return Err(refused(rules::wrong_member(name, &key, Expected::String, member.is_null())));
            };
            pairs.push((key, text));
        }
        Ok(Some(pairs))
    }

    /// Any value `JSON.stringify` can write, as that JSON text.
    pub(crate) fn json(&self, name: &'static str) -> Result<Option<String>, Refused> {
        let Some(value) = self.value(name, Expected::Json)? else { return Ok(None) };
        let text = js_sys::JSON::stringify(&value).ok().and_then(|text| text.as_string());
        text.map(Some).ok_or_else(|| wrong(name, Expected::Json))
    }

    /// An array of JWK objects (`keys`): an entry that is not an object is named by its index,
    /// and a PEM string among them says where a PEM goes.
    pub(crate) fn jwks(&self, name: &'static str) -> Result<Option<Vec<JsValue>>, Refused> {
        let Some(value) = self.value(name, Expected::Jwk)? else { return Ok(None) };
        if !Array::is_array(&value) {
            return Err(refused(crate::jose::options::invalid(&[name, " must be an array of JWK objects"])));
        }
        let mut jwks = Vec::new();
        for (index, entry) in Array::from(&value).iter().enumerate() {
            if !is_plain_object(&entry) {
                return Err(refused(rules::wrong_entry(name, index, Expected::Jwk, entry.as_string().as_deref())));
            }
            jwks.push(entry);
        }
        Ok(Some(jwks))
    }

    fn number(&self, name: &'static str, expected: Expected) -> Result<Option<f64>, Refused> {
        let Some(value) = self.value(name, expected)? else { return Ok(None) };
        rules::number(name, expected, value.as_f64()).map(Some).map_err(refused)
    }

    /// Seconds, 0 or more, fraction kept.
    pub(crate) fn seconds(&self, name: &'static str) -> Result<Option<f64>, Refused> {
        self.number(name, Expected::Seconds)
    }

    /// Milliseconds, more than 0, within a JS timer's range.
    pub(crate) fn positive_milliseconds(&self, name: &'static str) -> Result<Option<f64>, Refused> {
        self.number(name, Expected::Milliseconds)
    }

    /// A whole number of bytes, 1 or more.
    pub(crate) fn bytes(&self, name: &'static str) -> Result<Option<f64>, Refused> {
        self.number(name, Expected::Bytes)
    }

    /// `true` or `false`.
    pub(crate) fn boolean(&self, name: &'static str) -> Result<Option<bool>, Refused> {
        let Some(value) = self.value(name, Expected::Boolean)? else { return Ok(None) };
        value.as_bool().map(Some).ok_or_else(|| wrong(name, Expected::Boolean))
    }

    /// A plain object (not an array, not a function).
    pub(crate) fn object(&self, name: &'static str) -> Result<Option<JsValue>, Refused> {
        let Some(value) = self.value(name, Expected::Object)? else { return Ok(None) };
        if is_plain_object(&value) { Ok(Some(value)) } else { Err(wrong(name, Expected::Object)) }
    }

    /// An instance of `class`, recognised by its `method` (e.g. a TokenManager by `fetch`).
    pub(crate) fn instance(
        &self,
        name: &'static str,
        class: &'static str,
        method: &str,
    ) -> Result<Option<JsValue>, Refused> {
        let expected = Expected::Instance(class);
        let Some(value) = self.value(name, expected)? else { return Ok(None) };
        let has_method =
            value.is_object() && Reflect::get(&value, &JsValue::from_str(method)).is_ok_and(|m| m.is_function());
        if has_method { Ok(Some(value)) } else { Err(wrong(name, expected)) }
    }
}

#[cfg_attr(not(feature = "browser-client"), allow(dead_code, reason = "the browser client's"))]
/// The origins a client may send its credential to: `base`'s and the `allowedOrigins` given.
pub(crate) fn trusted_origins(base: &BaseUrl, allowed: Option<Vec<String>>) -> Result<Array, Refused> {
    trusted_origins_of(base.as_str(), "baseUrl", allowed)
}

/// The origins a client may send its credential to: the origin of its URL option `name` (e.g.
/// ClientCredentials' `tokenEndpoint`) and the `allowedOrigins` given. Never empty.
pub(crate) fn trusted_origins_of(
    url: &str,
    name: &'static str,
    allowed: Option<Vec<String>>,
) -> Result<Array, Refused> {
    let list = Array::new();
    let origin = http::origin_of(url).map_err(|_| wrong(name, Expected::Url))?;
    list.push(&JsValue::from_str(&origin));
    for origin in allowed.unwrap_or_default() {
        list.push(&JsValue::from_str(&origin));
    }
    Ok(list)
}

#[cfg_attr(not(feature = "browser-client"), allow(dead_code, reason = "the browser client's"))]
/// An optional string argument of a method (`revoke(token, hint?)`), checked as a string option
/// is. wasm-bindgen hands an omitted, `undefined` or `null` argument over as `None`: a positional
/// argument keeps JS's usual "null or undefined is omitted" (the null rule is for options).
pub(crate) fn string_argument(
    name: &'static str,
    value: Option<JsValue>,
    expected: Expected,
) -> Result<Option<String>, Error> {
    match value {
        None => Ok(None),
        Some(value) if value.is_undefined() || value.is_null() => Ok(None),
        Some(value) => {
            let text = value.as_string().ok_or_else(|| rules::wrong_kind(name, expected, false))?;
            rules::text(name, expected, text).map(Some)
        }
    }
}
