#!/usr/bin/env bash
# make bench [PEER=1]: Baton's benchmarks in one run, release build; with PEER=1 the
# same workloads on the peer stack (Temporal + LangGraph, bench/peer/, copied from
# ../shared/bench/peer) in the same run. pgbench on the project's own PostgreSQL gives the
# physical limit. Raw results: $BATON_RUN_DIR/bench/<time>.jsonl (one line per run); the
# summary with the issue #12 targets: bench/results/<date>.json, .md and .svg.
#
# The services are the project's own (scripts/services.sh), on the ports and run folder
# it is given: BATON_RUN_DIR, BATON_PG_PORT, BATON_AMQP_PORT, BATON_AMQP_DIST_PORT and
# BATON_EPMD_PORT are passed through. BATON_W4_WORKFLOWS (default 10000) sizes W4,
# BATON_BENCH_RESULTS (default bench/results) is where the summary goes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STARTED=$(date +%s)
export BATON_RUN_DIR="${BATON_RUN_DIR:-$ROOT/.run}"
section() { echo "--- [$(($(date +%s) - STARTED)) s] $*"; }

scripts/services.sh start
scripts/services.sh clean
eval "export $(scripts/services.sh env | tr '\n' ' ')"
# One product at a time: the machine is shared with other builds.
# As the images ship them: release, the Swift runtime linked in (an idle worker's RSS is
# about 5 MiB smaller than with the shared libraries). A build folder of its own, so that
# plain release builds are not rebuilt with other flags.
BUILD=(-c release --static-swift-stdlib --scratch-path "${BATON_BENCH_BUILD:-$ROOT/.build/static}")
for product in baton-bench baton-scheduler baton-worker; do swift build "${BUILD[@]}" --product "$product"; done
BIN="$(swift build "${BUILD[@]}" --show-bin-path)"
mkdir -p "$BATON_RUN_DIR/bench"
STAMP="$(date +%Y-%m-%d-%H%M)"
OUT="$BATON_RUN_DIR/bench/$(date +%Y%m%d-%H%M%S).jsonl"

# --- pgbench: durable single-row INSERT transactions on the project's own PostgreSQL,
# the peer's script, 8 clients, 20 s, on a scratch database made and dropped here.
section "pgbench: ${BATON_PGBENCH_SECONDS:-20} s, 8 clients, one single-row INSERT per transaction"
PG_BIN="${BATON_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
[[ "$BATON_POSTGRES_URL" =~ ^postgresql://([^@/]+)@([^:/]+):([0-9]+)/ ]] || { echo "cannot read $BATON_POSTGRES_URL" >&2; exit 1; }
PG_ARGS=(-h "${BASH_REMATCH[2]}" -p "${BASH_REMATCH[3]}" -U "${BASH_REMATCH[1]}")
"$PG_BIN/psql" "${PG_ARGS[@]}" -d postgres -qc "DROP DATABASE IF EXISTS baton_pgbench" -c "CREATE DATABASE baton_pgbench"
"$PG_BIN/psql" "${PG_ARGS[@]}" -d baton_pgbench -qc \
    "CREATE TABLE pgb_ins (id bigserial PRIMARY KEY, v int NOT NULL, ts timestamptz NOT NULL DEFAULT now())"
SYNC_COMMIT="$("$PG_BIN/psql" "${PG_ARGS[@]}" -d baton_pgbench -Atc "SHOW synchronous_commit")"
PGBENCH_LOG="$BATON_RUN_DIR/bench/pgbench-$STAMP.txt"
"$PG_BIN/pgbench" "${PG_ARGS[@]}" -n -c 8 -j 2 -T "${BATON_PGBENCH_SECONDS:-20}" -f bench/pgbench_insert.sql baton_pgbench \
    >"$PGBENCH_LOG" 2>&1
grep -E "^tps|latency average" "$PGBENCH_LOG"
"$PG_BIN/psql" "${PG_ARGS[@]}" -d postgres -qc "DROP DATABASE baton_pgbench"
python3 - "$PGBENCH_LOG" "$SYNC_COMMIT" "$OUT" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"^tps = ([0-9.]+)", text, re.M).group(1))
latency = float(re.search(r"^latency average = ([0-9.]+) ms", text, re.M).group(1))
line = {"system": "pgbench", "workload": "pgbench_insert", "clients": 8, "threads": 2, "tps": tps,
        "latency_avg_ms": latency, "synchronous_commit": sys.argv[2]}
open(sys.argv[3], "a").write(json.dumps(line) + "\n")
PY

section "graph runtime overhead"
"$BIN/baton-bench" graph
section "W1 burst: 200 workflows, sleep 0 / 50 ms; 2,000 workflows, sleep 0 / 50 ms"
"$BIN/baton-bench" w1 --workflows 200 --node-sleep-ms 0 --json-out "$OUT"
"$BIN/baton-bench" w1 --workflows 200 --node-sleep-ms 50 --json-out "$OUT"
"$BIN/baton-bench" w1 --workflows 2000 --node-sleep-ms 0 --json-out "$OUT"
"$BIN/baton-bench" w1 --workflows 2000 --node-sleep-ms 50 --json-out "$OUT"
section "W5 scale-out: 1, 2, 4 scheduler replicas x 1, 2, 4 workers (200 workflows, sleep 0)"
for replicas in 1 2 4; do
    for workers in 1 2 4; do
        "$BIN/baton-bench" w1 --workflows 200 --replicas "$replicas" --workers "$workers" --tag scale --json-out "$OUT"
    done
done
section "W6 checkpoint growth: one run, 500 steps of 1 KB each"
"$BIN/baton-bench" w6 --steps 500 --payload-bytes 1024 --json-out "$OUT"
section "W2 start latency under light load"
"$BIN/baton-bench" w2 --json-out "$OUT"
section "W7 fairness: tenant A bursts 1,000, tenant B submits 10 a second later (fair, then first come first served)"
"$BIN/baton-bench" w7 --json-out "$OUT"
section "W3 crash recovery"
"$BIN/baton-bench" w3 --json-out "$OUT"
section "W4 footprint: ${BATON_W4_WORKFLOWS:-10000} workflows waiting for input (takes a few minutes)"
"$BIN/baton-bench" w4 --workflows "${BATON_W4_WORKFLOWS:-10000}" --json-out "$OUT"

if [ "${PEER:-0}" = 1 ]; then
    PEER_DIR="${BATON_PEER_DIR:-$ROOT/bench/peer}"
    [ -f "$PEER_DIR/temporal_langgraph_bench.py" ] || { echo "no peer benchmark in $PEER_DIR" >&2; exit 1; }
    section "peer: Temporal + LangGraph (setup takes a few minutes the first time)"
    bash "$PEER_DIR/peer_stack.sh" setup
    bash "$PEER_DIR/peer_stack.sh" start
    PY=/tmp/peers/venv/bin/python
    trap 'bash "$PEER_DIR/peer_stack.sh" stop' EXIT
    "$PY" "$PEER_DIR/temporal_langgraph_bench.py" --workflows 200 --concurrency 16 --node-sleep-ms 0 --json-out "$OUT"
    "$PY" "$PEER_DIR/temporal_langgraph_bench.py" --workflows 200 --concurrency 16 --node-sleep-ms 50 --json-out "$OUT"
    "$PY" "$PEER_DIR/temporal_langgraph_bench.py" --kill-test --json-out "$OUT"
    section "peer W6: LangGraph, 500 steps of 1 KB each"
    "$PY" "$PEER_DIR/w6_langgraph.py" --steps 500 --payload-bytes 1024 --json-out "$OUT"
fi
section "report"
python3 scripts/bench_report.py "$OUT" --results "${BATON_BENCH_RESULTS:-$ROOT/bench/results}" --stamp "$STAMP" \
    --duration-s "$(($(date +%s) - STARTED))"
