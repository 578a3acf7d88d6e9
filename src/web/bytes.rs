//! A `Uint8Array`'s bytes as a `Vec<u8>`.
//!
//! Not js-sys's `Uint8Array::to_vec`: it goes through `copy_to`, whose `assert_eq!` on the two
//! lengths keeps core's `assert_failed` and the `Debug` formatting of `usize` (with its hex
//! forms) in the wasm. The copy is the same one `copy_to` makes (`Uint8Array.prototype.set`
//! with the destination a view on the wasm memory), into a buffer of the array's length.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Uint8Array.prototype.set.call(target, source)`: copies `source` into `target` (a view on
    /// the wasm memory, so nothing is copied back afterwards); throws if `source` is longer.
    #[wasm_bindgen(js_namespace = Uint8Array, js_name = "prototype.set.call")]
    fn copy_into(target: &mut [u8], source: &Uint8Array);
}

/// A copy of `array`'s bytes.
pub fn to_vec(array: &Uint8Array) -> Vec<u8> {
    let mut out = vec![0; array.length() as usize];
    copy_into(&mut out, array);
    out
}
