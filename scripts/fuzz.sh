#!/usr/bin/env bash
# Build the libFuzzer targets (clang, AddressSanitizer, UBSan) and run each
# for MINUTES, seeded from samples/ and tests/.
#
# usage: scripts/fuzz.sh [MINUTES] [TARGET...]
#   MINUTES  per target (default 30); targets: frontmatter convert config layout
#   JOBS=k   targets run k at a time (default: the number of cores)
#
# Findings (crash-*, leak-*, timeout-*) are left in build-fuzz/findings/TARGET/;
# each one fixed becomes a case of tests/fuzz/regressions/, which the test
# suite replays (tests/fuzz/replay.sh). A summary line per target (time,
# executions, findings) goes to build-fuzz/summary.txt for docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frontmatter convert config layout)
jobs=${JOBS:-$(nproc)}
command -v clang >/dev/null || { echo "fuzz.sh needs clang (apt-get install clang)" >&2; exit 1; }

CC=clang cmake -S . -B build-fuzz -DBK_FUZZ=ON -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null

# Seeds: every Markdown post of the samples and tests for the post targets,
# every YAML file (with its parser's selector byte) for the settings target.
seed() {
    local t=$1 dir=build-fuzz/corpus/$1
    mkdir -p "$dir"
    [ -n "$(ls -A "$dir")" ] && return 0
    case $t in
    config)
        local i=0
        while IFS= read -r f; do
            i=$((i + 1))
            for k in 0 1 2 3; do { printf "\\x0$k"; head -c 65536 "$f"; } >"$dir/seed-$i-$k"; done
        done < <(find samples tests styles -name '*.yml' -o -name '*.yaml' | sort)
        ;;
    *)
        local i=0
        while IFS= read -r f; do
            i=$((i + 1))
            head -c 65536 "$f" >"$dir/seed-$i"
        done < <(find samples tests -name '*.md' -o -name '*.markdown' | sort)
        ;;
    esac
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run() {
    local t=$1 log=build-fuzz/fuzz-$1.log
    seed "$t"
    mkdir -p "build-fuzz/findings/$t"
    local start=$SECONDS
    build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time=$((minutes * 60)) -timeout=30 -rss_limit_mb=4096 \
        -max_len=262144 -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$t/" \
        "build-fuzz/corpus/$t" >"$log" 2>&1 || true
    local execs findings
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    findings=$(find "build-fuzz/findings/$t" -type f | wc -l)
    printf '%s  %-12s %4d min  %10s executions  %d findings  corpus %d\n' "$(date -u +%F)" "$t" \
        $(((SECONDS - start) / 60)) "${execs:-?}" "$findings" "$(ls "build-fuzz/corpus/$t" | wc -l)" \
        | tee -a build-fuzz/summary.txt
}

running=0
for t in "${targets[@]}"; do
    run "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
