#!/usr/bin/env bash
# Makes a fresh machine ready to build, test and demo wasm-auth; every README command runs it.
# Idempotent: each step checks what is there first, so a second run takes seconds.
# Installs: rustfmt and clippy (if missing), the wasm32 target, the wasm-bindgen CLI at exactly
# the crate's version, wasm-pack, cargo-fuzz, Debian's chromium + chromium-driver, firefox-esr,
# webkit2gtk-driver and xvfb, geckodriver, and the npm dev dependencies of package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WASM_PACK_VERSION=0.15.1
CARGO_FUZZ_VERSION=0.13.2

log() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

for tool in cargo rustup node npm; do
  command -v "$tool" >/dev/null || die "$tool is not installed; this project needs the Rust toolchain (rustup) and Node.js >= 20.19"
done

# Root installs directly; anyone else needs sudo for apt.
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# cargo install, preferring the crate's own lock file. --locked can fail when the registry
# lacks a locked dependency version (seen here: wasm-bindgen-cli 0.2.130's webpki-roots), so
# fall back to a fresh resolution rather than stop.
cargo_install() {
  cargo install --force --locked "$@" || cargo install --force "$@"
}

# 1. The wasm32 target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 1b. rustfmt and clippy, which gate `make test` (`make lint`).
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    log "adding the $component component"
    rustup component add "$component" || die "cargo ${component/rustfmt/fmt} is missing and rustup could not add it"
  fi
done

# 2. The wasm-bindgen CLI (and its test runner) at exactly the version Cargo.toml pins: any other
#    version fails with "schema version must exactly match".
want_bindgen=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
[ -n "$want_bindgen" ] || die "Cargo.toml must pin wasm-bindgen exactly (wasm-bindgen = \"=X.Y.Z\")"
have_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
have_runner=$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_bindgen" != "$want_bindgen" ] || [ "$have_runner" != "$want_bindgen" ]; then
  log "installing wasm-bindgen-cli $want_bindgen (had: ${have_bindgen:-none}); takes a few minutes"
  cargo_install wasm-bindgen-cli --version "$want_bindgen"
fi

# 3. wasm-pack.
have_pack=$(wasm-pack --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_pack" != "$WASM_PACK_VERSION" ]; then
  log "installing wasm-pack $WASM_PACK_VERSION (had: ${have_pack:-none}); takes a few minutes"
  cargo_install wasm-pack --version "$WASM_PACK_VERSION"
fi

# 3b. cargo-fuzz, for `make fuzz` (and its short pass in `make test`).
have_fuzz=$(cargo fuzz --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_fuzz" != "$CARGO_FUZZ_VERSION" ]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION (had: ${have_fuzz:-none})"
  cargo_install cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

# 4. Debian's Chromium and its driver, for browser tests (browser downloads fail here).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  log "installing Debian's chromium and chromium-driver"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# 4b. The other two browser engines and their WebDriver servers (issue 20): Firefox ESR under
#     geckodriver (built by cargo: no GitHub downloads here) and WebKitGTK's MiniBrowser under
#     WebKitWebDriver, in Xvfb (MiniBrowser has no headless mode). Pinned to the release series:
#     Debian's security archive keeps only the newest build of a series, so an exact apt pin would
#     stop installing at the next security update; a different series fails here, by name.
FIREFOX_ESR_SERIES=153
WEBKITGTK_SERIES=2.50
GECKODRIVER_VERSION=0.37.1
engine_packages=(firefox-esr webkit2gtk-driver xvfb)
missing_engines=()
for pkg in "${engine_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing_engines+=("$pkg")
done
if [ "${#missing_engines[@]}" -gt 0 ]; then
  log "installing Debian's ${missing_engines[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_engines[@]}" >/dev/null
fi
have_firefox=$(dpkg-query -W -f='${Version}' firefox-esr)
case "$have_firefox" in "$FIREFOX_ESR_SERIES".*) ;; *)
  die "firefox-esr is $have_firefox; the browser suites are pinned to Firefox ESR $FIREFOX_ESR_SERIES (FIREFOX_ESR_SERIES in $0)";;
esac
have_webkit=$(dpkg-query -W -f='${Version}' webkit2gtk-driver)
case "$have_webkit" in "$WEBKITGTK_SERIES".*) ;; *)
  die "webkit2gtk-driver is $have_webkit; the browser suites are pinned to WebKitGTK $WEBKITGTK_SERIES (WEBKITGTK_SERIES in $0)";;
esac
[ -x /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser ] || die "MiniBrowser is missing (Debian's libwebkit2gtk-4.1-0 ships it in /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/)"
have_gecko=$(geckodriver --version 2>/dev/null | awk 'NR==1 {print $2}' || true)
if [ "$have_gecko" != "$GECKODRIVER_VERSION" ]; then
  log "installing geckodriver $GECKODRIVER_VERSION (had: ${have_gecko:-none}); takes a few minutes"
  cargo install --force --locked geckodriver --version "$GECKODRIVER_VERSION"
  have_gecko=$(geckodriver --version | awk 'NR==1 {print $2}')
  [ "$have_gecko" = "$GECKODRIVER_VERSION" ] || die "geckodriver is $have_gecko after installing $GECKODRIVER_VERSION"
fi

# 5. npm dev dependencies (binaryen, playwright-core, workerd, jose, oidc-provider, vite, ...),
#    exactly as package-lock.json pins them; redone only when the lock file changes.
#    Install scripts are skipped: none is needed (the binaries come in platform packages), and
#    skipping them gives the same result on every npm version.
stamp=node_modules/.bootstrap-lock.sha256
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  log "installing npm dev dependencies (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$stamp"
fi

# 6. The wasm-opt that the build uses: npm binaryen >= 132, never Debian's binaryen 108,
#    which silently breaks the module.
opt_version=$(node_modules/.bin/wasm-opt --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
[ "${opt_version:-0}" -ge 132 ] || die "node_modules/.bin/wasm-opt is binaryen ${opt_version:-?}; need >= 132"

log "ready (wasm-bindgen $want_bindgen, wasm-pack $WASM_PACK_VERSION, binaryen $opt_version, $(node --version), firefox-esr $have_firefox, webkit2gtk-driver $have_webkit, geckodriver $have_gecko)"
