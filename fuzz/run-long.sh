#!/usr/bin/env bash
# Long fuzzing runs: each target for SECONDS (default 1800), two at a time (the machine has 2
# cores), continuing past findings (-fork=1 -ignore_crashes=1), logs in fuzz/logs/ (not kept).
# Usage: fuzz/run-long.sh [SECONDS] [target...]
set -u
cd "$(dirname "$0")"
secs=${1:-1800}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request_head response_head chunked rules client_nets config import)
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/wicket-fuzz-target}
mkdir -p logs
cargo fuzz build || exit 1

dict_of() {
    case $1 in
        request_head | response_head | chunked) echo dicts/http.dict ;;
        rules | client_nets | import) echo dicts/rules.dict ;;
        config) echo dicts/config.dict ;;
    esac
}
max_len_of() {
    case $1 in chunked) echo 9000 ;; *) echo 4096 ;; esac
}

run() {
    local t=$1
    mkdir -p "corpus/$t" "artifacts/$t"
    cargo fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$secs" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -timeout=25 -dict="$(dict_of "$t")" -max_len="$(max_len_of "$t")" \
        -print_final_stats=1 >"logs/$t.log" 2>&1
    echo "$(date -u +%FT%TZ) $t finished: exit $?" >>logs/summary.txt
}

i=0
while [ $i -lt ${#targets[@]} ]; do
    echo "$(date -u +%FT%TZ) starting ${targets[*]:$i:2}" >>logs/summary.txt
    run "${targets[$i]}" &
    if [ $((i + 1)) -lt ${#targets[@]} ]; then run "${targets[$((i + 1))]}" & fi
    wait
    i=$((i + 2))
done
