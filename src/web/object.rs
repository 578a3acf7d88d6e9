//! Plain JS objects built from Rust values: the few result objects the exports hand out
//! (serde-wasm-bindgen did this for one of them, and brought serde's serializer and a
//! thread-local HashMap of interned names into the wasm for it).

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// `{ key: value, ... }` in the order given. Setting a data property on a fresh plain object
/// cannot fail (no setter, no proxy), so `Reflect::set`'s result is not looked at.
pub(crate) fn js_object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}
