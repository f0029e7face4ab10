#!/usr/bin/env bash
# Installs what is missing, then runs every test of the desktop app:
#  - its unit tests and its commands on tauri's mock runtime (no display needed);
#  - the end-to-end tests in the real WebKitGTK webview, through tauri-driver and
#    WebKitWebDriver, each test on its own Xvfb display with its own D-Bus session, config
#    directory and port. They also refresh docs/screenshots/ and measure the app's memory.
# Nothing is skipped: a missing tool or a broken app fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh test
export PATH="$HOME/.cargo/bin:$PATH"

echo "== desktop: unit and mock-runtime tests, the window's catalogues" >&2
cargo test -p wicket-desktop --lib --test commands --test catalogues

echo "== desktop: end-to-end tests in the real webview" >&2
# Each test runs a display, a bus, a driver and a WebKit app: two at a time suit two cores.
cargo test -p wicket-desktop --test e2e -- --test-threads="${E2E_THREADS:-2}"

rss="${CARGO_TARGET_DIR:-target}/tmp/wicket-desktop-rss.txt"
if [ -f "$rss" ]; then
  echo "== desktop: memory of the app's process tree (debug build)" >&2
  cat "$rss" >&2
fi
