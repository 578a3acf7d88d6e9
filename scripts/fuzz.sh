#!/usr/bin/env bash
# Runs the cargo-fuzz target on token parsing and verification for $1 seconds (default 300).
# cargo-fuzz needs -Z sanitizer flags, which this stable-only toolchain accepts with
# RUSTC_BOOTSTRAP=1. The corpus grows in target/fuzz-corpus; fuzz/seeds starts it. libFuzzer's
# chatter goes to target/fuzz.log; a crash prints its tail and fails.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
mkdir -p target/fuzz-corpus
log=target/fuzz.log
if RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz verify_token target/fuzz-corpus fuzz/seeds -- -max_total_time="$seconds" >"$log" 2>&1; then
  echo "fuzz: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1), no crash (log: $log)"
else
  tail -40 "$log"
  echo "fuzz: FAILED; the crashing input is under fuzz/artifacts/verify_token/" >&2
  exit 1
fi
