#!/usr/bin/env bash
# Builds and opens Wicket's desktop app, installing what is missing first (Debian 12).
# Usage: scripts/run-app.sh [--release] [-- app options, e.g. --hidden to start in the tray]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh app
export PATH="$HOME/.cargo/bin:$PATH"

build=()
if [ "${1:-}" = "--release" ]; then
  build=(--release --features custom-protocol)
  shift
fi
[ "${1:-}" = "--" ] && shift

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run-app.sh: no display; run it from a desktop session (or under xvfb-run to try it headless)" >&2
  exit 2
fi
exec cargo run --quiet -p wicket-desktop "${build[@]}" -- "$@"
