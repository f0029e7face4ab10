#!/usr/bin/env bash
# Installs what is missing, then runs every check and test of the project: formatting, clippy,
# the engine's unit and integration tests (real sockets on loopback), one quick pass of the
# benchmark, a short fuzz run of every parser, and the desktop app's tests (mock runtime, then end-to-end in the real WebKitGTK
# webview under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh test
export PATH="$HOME/.cargo/bin:$PATH"

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== the engine for Windows and macOS (cargo clippy --target, where the target installs)" >&2
for target in x86_64-pc-windows-gnu x86_64-apple-darwin; do
  if rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target" >/dev/null 2>&1; then
    cargo clippy -p wicket --target "$target" --quiet -- -D warnings
  else
    echo "test.sh: the $target target cannot be installed here; not checked" >&2
  fi
done
echo "== engine tests" >&2
cargo test -p wicket --quiet
echo "== benchmark smoke (every case once, briefly: it must run through; no timing is judged)" >&2
# The benchmark checks that each proxy really forwarded (nginx's counter) and fails on any
# error answer, so a broken case fails here instead of at the next measurement.
bench/run.sh --rounds 1 --seconds 1 --out "${CARGO_TARGET_DIR:-target}/bench-smoke.json" >/dev/null
echo "== fuzz smoke (every fuzz target for a few seconds, saved findings replayed)" >&2
scripts/fuzz-smoke.sh
echo "== desktop tests" >&2
scripts/test-desktop.sh
