#!/usr/bin/env bash
# The side-by-side benchmark: direct connection vs Wicket vs tinyproxy, on loopback (see
# bench/bench.py for the cases). Installs what is missing, builds Wicket in release mode, and
# writes bench/results/latest.json and latest.md. Options go to bench.py (--rounds, --seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh bench
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet --bin wicket
# 1000 idle tunnels take 2000 descriptors in the proxy.
ulimit -n "$(ulimit -Hn)"
exec python3 bench/bench.py --wicket "${CARGO_TARGET_DIR:-target}/release/wicket" --out bench/results/latest.json "$@"
