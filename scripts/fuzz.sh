#!/usr/bin/env bash
# Runs Baton's libFuzzer targets (Sources/BatonFuzz), each for FUZZ_SECONDS, with the
# address sanitizer, then greps the logs for findings and secrets. Manual, not in CI:
# `make fuzz` (docs/fuzzing.md). Builds into .build-fuzz so the normal build is untouched.
#
#   FUZZ_SECONDS=60              time per target
#   FUZZ_TARGETS="json messages" which targets (default: all four)
#   FUZZ_JOBS=1                  libFuzzer worker processes per target (2 cores: keep 1)
#
# Corpora grow in .run/fuzz/<target>/corpus; committed seeds in Tests/Fuzz/corpus/<target>
# are read, never written. Crashes land in .run/fuzz/<target>/artifacts/; replay one
# without sanitizers with `swift run <product> <file>`.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=${FUZZ_TARGETS:-"json messages state-machine llm-stream"}
FUZZ_JOBS=${FUZZ_JOBS:-1}
SCRATCH=.build-fuzz
RUN=.run/fuzz
FLAGS=(-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DBATON_LIBFUZZER)

product() {
    case $1 in
        json) echo BatonFuzzJSON ;;
        messages) echo BatonFuzzMessages ;;
        state-machine) echo BatonFuzzStateMachine ;;
        llm-stream) echo BatonFuzzLLMStream ;;
        *) echo "unknown fuzz target '$1' (json, messages, state-machine, llm-stream)" >&2; exit 2 ;;
    esac
}

dictionary() {
    case $1 in
        json | messages | llm-stream) echo "-dict=Tests/Fuzz/dictionaries/json.dict" ;;
    esac
}

status=0
summary=()
for target in $FUZZ_TARGETS; do
    name=$(product "$target")
    echo "== building $name (sanitizers: fuzzer, address)"
    # ld.gold warns "Cannot export local symbol '__asan_…'" for every module: harmless.
    swift build --scratch-path "$SCRATCH" "${FLAGS[@]}" --product "$name" 2>&1 \
        | grep -v "Cannot export local symbol" || true
    binary="$SCRATCH/debug/$name"
    [[ -x $binary ]] || { echo "fuzz: $binary was not built" >&2; exit 1; }

    mkdir -p "$RUN/$target/corpus" "$RUN/$target/artifacts"
    log="$RUN/$target/fuzz.log"
    seeds="Tests/Fuzz/corpus/$target"
    [[ -d $seeds ]] || seeds=""
    echo "== fuzzing $target for ${FUZZ_SECONDS} s (log: $log)"
    # -timeout: an input that runs 10 s is a hang; -rss_limit_mb: one that eats memory is a finding too.
    fuzz_status=0
    "$binary" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        $( ((FUZZ_JOBS > 1)) && echo "-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS") -print_final_stats=1 \
        -artifact_prefix="$RUN/$target/artifacts/" $(dictionary "$target") \
        "$RUN/$target/corpus" $seeds >"$log" 2>&1 || fuzz_status=$?
    # With -jobs the runs log to fuzz-N.log in the working directory: collect them.
    for job_log in fuzz-[0-9]*.log; do
        [[ -e $job_log ]] && { cat "$job_log" >>"$log"; rm -f "$job_log"; }
    done

    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{ sum += $NF } END { print sum + 0 }')
    corpus=$(find "$RUN/$target/corpus" -type f | wc -l)
    findings=$(grep -Ec 'BATON-FUZZ-VIOLATION|ERROR: AddressSanitizer|ERROR: libFuzzer|deadly signal|Fatal error|SUMMARY: libFuzzer: timeout|out-of-memory' "$log" || true)
    # Secrets: nothing a target handles is a real secret, so any hit means a leak path.
    secrets=$(grep -Eic 'Bearer [A-Za-z0-9._-]{8,}|sk-[A-Za-z0-9]{16,}|password=|://[^/@ :]+:[^/@ ]+@|secret-lease-' "$log" || true)
    line="$target: ${execs:-0} inputs tried, corpus $corpus, findings $findings, secret hits $secrets, libFuzzer exit $fuzz_status"
    summary+=("$line")
    echo "   $line"
    if [[ $findings != 0 || $secrets != 0 || $fuzz_status != 0 ]]; then
        status=1
        grep -E -m 20 'BATON-FUZZ-VIOLATION|ERROR:|deadly signal|Fatal error|Test unit written' "$log" || true
        ls "$RUN/$target/artifacts/" || true
    fi
done

echo "== fuzz summary (${FUZZ_SECONDS} s per target)"
printf '   %s\n' "${summary[@]}"
exit $status
