#!/usr/bin/env bash
# make bench [PEER=1]: Baton's benchmarks in one run, release build; with PEER=1 the
# same workloads on the peer stack (Temporal + LangGraph, ../shared/bench/peer) in the
# same run, then a table of ratios. Results: .run/bench/<time>.jsonl.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/services.sh start
scripts/services.sh clean
eval "export $(scripts/services.sh env | tr '\n' ' ')"
for product in baton-bench baton-scheduler baton-worker; do swift build -c release --product "$product"; done
BIN="$(swift build -c release --show-bin-path)"
mkdir -p .run/bench
OUT=".run/bench/$(date +%Y%m%d-%H%M%S).jsonl"

echo "--- graph runtime overhead"
"$BIN/baton-bench" graph
echo "--- W1 burst: 200 workflows, sleep 0 / 50 ms; 2,000 workflows; W5: 2 and 4 workers"
"$BIN/baton-bench" w1 --workflows 200 --node-sleep-ms 0 --json-out "$OUT"
"$BIN/baton-bench" w1 --workflows 200 --node-sleep-ms 50 --json-out "$OUT"
"$BIN/baton-bench" w1 --workflows 2000 --node-sleep-ms 0 --json-out "$OUT"
"$BIN/baton-bench" w1 --workflows 200 --workers 2 --json-out "$OUT"
"$BIN/baton-bench" w1 --workflows 200 --workers 4 --json-out "$OUT"
echo "--- W2 start latency under light load"
"$BIN/baton-bench" w2 --json-out "$OUT"
echo "--- W3 crash recovery"
"$BIN/baton-bench" w3 --json-out "$OUT"
echo "--- W4 footprint: ${BATON_W4_WORKFLOWS:-10000} workflows waiting for input (takes a few minutes)"
"$BIN/baton-bench" w4 --workflows "${BATON_W4_WORKFLOWS:-10000}" --json-out "$OUT"

if [ "${PEER:-0}" = 1 ]; then
    PEER_DIR="${BATON_PEER_DIR:-$ROOT/../shared/bench/peer}"
    [ -f "$PEER_DIR/temporal_langgraph_bench.py" ] || { echo "no peer benchmark in $PEER_DIR" >&2; exit 1; }
    echo "--- peer: Temporal + LangGraph (setup takes a few minutes the first time)"
    bash "$PEER_DIR/peer_stack.sh" setup
    bash "$PEER_DIR/peer_stack.sh" start
    PY=/tmp/peers/venv/bin/python
    trap 'bash "$PEER_DIR/peer_stack.sh" stop' EXIT
    "$PY" "$PEER_DIR/temporal_langgraph_bench.py" --workflows 200 --concurrency 16 --node-sleep-ms 0 --json-out "$OUT"
    "$PY" "$PEER_DIR/temporal_langgraph_bench.py" --workflows 200 --concurrency 16 --node-sleep-ms 50 --json-out "$OUT"
    "$PY" "$PEER_DIR/temporal_langgraph_bench.py" --kill-test --json-out "$OUT"
fi
python3 scripts/bench_report.py "$OUT"
