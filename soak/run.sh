#!/usr/bin/env bash
# Builds the release `wicket` and soaks it (see soak/soak.py): 10 minutes by default.
# Usage: soak/run.sh [--minutes N] [--workers N] [--report PATH] [other soak.py options]
# WICKET=/path/to/wicket skips the build. Exits non-zero when the soak fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WICKET:-}" ]; then
    export CARGO_TARGET_DIR=${SOAK_TARGET_DIR:-/var/tmp/wicket-soak-target}
    cargo build --release --bin wicket
    WICKET=$CARGO_TARGET_DIR/release/wicket
fi
exec python3 soak/soak.py --wicket "$WICKET" "$@"
