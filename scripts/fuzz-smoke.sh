#!/usr/bin/env bash
# Fuzz smoke run: every fuzz target for a few seconds (SECS, default 8) from the committed
# corpus in fuzz/corpus/, plus every saved finding in fuzz/regressions/ replayed once.
# Fails on any crash, panic or broken invariant. Installs cargo-fuzz if it is missing.
#
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer, coverage instrumentation); on the
# stable toolchain RUSTC_BOOTSTRAP=1 unlocks them. New inputs go to a temporary directory, so
# the committed corpus is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${SECS:-8}
targets=(request_head response_head chunked rules client_nets config import)

export RUSTC_BOOTSTRAP=1
# The fuzz build uses its own rustc flags: keep it out of the main target directory.
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$PWD/fuzz/target}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

cd fuzz
cargo fuzz build
bin="$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
    case $t in
        request_head | response_head | chunked) dict=dicts/http.dict ;;
        rules | client_nets | import) dict=dicts/rules.dict ;;
        config) dict=dicts/config.dict ;;
    esac
    if [ -d "regressions/$t" ] && [ -n "$(ls -A "regressions/$t")" ]; then
        # Saved findings: replayed, they must not crash any more (see tests/fuzz_regressions.rs).
        if ! "$bin/$t" regressions/"$t"/* >"$scratch/$t-regressions.log" 2>&1; then
            echo "fuzz-smoke: $t: a saved finding still crashes"
            grep -A5 -m1 -E "panicked|ERROR" "$scratch/$t-regressions.log" || true
            failed+=("$t (regressions)")
        fi
    fi
    mkdir -p "$scratch/$t"
    echo "fuzz-smoke: $t for ${secs}s"
    if ! "$bin/$t" "$scratch/$t" "corpus/$t" -max_total_time="$secs" -timeout=25 \
        -dict="$dict" -max_len=4096 -artifact_prefix="$scratch/" >"$scratch/$t.log" 2>&1; then
        echo "fuzz-smoke: $t FAILED"
        grep -A20 -m1 -E "panicked|ERROR" "$scratch/$t.log" || tail -20 "$scratch/$t.log"
        mkdir -p artifacts/"$t" && cp "$scratch"/crash-* "$scratch"/timeout-* artifacts/"$t"/ 2>/dev/null || true
        failed+=("$t")
    else
        grep -E "^Done " "$scratch/$t.log" | sed "s/^/fuzz-smoke: $t: /"
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz-smoke: failed: ${failed[*]} (crashing inputs in fuzz/artifacts/)"
    exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets passed"
