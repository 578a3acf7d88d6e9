//! Reference auth server for wasm-auth's demo and end-to-end tests.
//!
//! Placeholder member of the workspace: the API guide's endpoints arrive with issue 3.
//! Until then `make demo` serves the demo page with `scripts/serve.mjs`.

fn main() {
    eprintln!("wasm-auth-server: not implemented yet (see issue 3); `make demo` serves www/ meanwhile");
    std::process::exit(2);
}
