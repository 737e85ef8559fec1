#!/usr/bin/env bash
# make demo: the scripted model, a scheduler and a worker, then the example agents
# driven from the CLI: a chain, an operations analysis, a reviewed analysis that asks
# two questions (answered here) and delegates a child workflow, and a chat.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/services.sh start
eval "export $(scripts/services.sh env | tr '\n' ' ')"
export BATON_HTTP_PORT="${BATON_HTTP_PORT:-18080}"
export BATON_SCHEDULER_URL="http://127.0.0.1:$BATON_HTTP_PORT"
export BATON_WORKER_METRICS_PORT="${BATON_WORKER_METRICS_PORT:-18091}"
LLM_PORT="${BATON_DEMO_LLM_PORT:-18700}"
for product in baton-scheduler baton-worker baton baton-scripted-llm; do swift build --product "$product"; done
BIN="$(swift build --show-bin-path)"
mkdir -p .run/logs
# The API needs a key even here: a fresh administrator key for this run.
eval "export $("$BIN/baton" keys generate --name demo --roles admin --shell | tr '\n' ' ')"
# The worker's configuration points its "default" provider at this port.
[[ "$LLM_PORT" == 18700 ]] || { echo "the demo configuration expects the scripted model on 18700" >&2; exit 1; }
"$BIN/baton-scripted-llm" --script config/scripted-llm/demo.json --port "$LLM_PORT" >.run/logs/scripted-llm.log 2>&1 &
llm=$!
"$BIN/baton-scheduler" --config config/configuration_scheduler.yaml >.run/logs/scheduler.log 2>&1 &
scheduler=$!
mkdir -p .run/test-hooks
"$BIN/baton-worker" --config config/dev/configuration_worker.yaml >.run/logs/worker.log 2>&1 &
worker=$!
trap 'set +e; kill -TERM $scheduler $worker $llm 2>/dev/null; wait $scheduler $worker $llm 2>/dev/null' EXIT

wait_for_port() {
    for _ in $(seq 1 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { cat "$3"; exit 1; }
        sleep 0.2
    done
    echo "nothing listens on port $1; see $3" >&2
    exit 1
}
wait_for_port "$LLM_PORT" $llm .run/logs/scripted-llm.log
wait_for_port "$BATON_HTTP_PORT" $scheduler .run/logs/scheduler.log
wait_for_port "$BATON_WORKER_METRICS_PORT" $worker .run/logs/worker.log

# Waits until workflow $1 asks a question whose title contains $2, and prints it.
wait_for_question() {
    for _ in $(seq 1 300); do
        status="$("$BIN/baton" status "$1")"
        if grep -q "awaiting_input" <<<"$status" && grep -q "$2" <<<"$status"; then
            python3 -c 'import json,sys; v=json.load(sys.stdin); q=v["interrupt"]; print("  question:", q["title"]); print("  " + q["question"].replace("\n", "\n  ")); print("  choices:", ", ".join(c["id"] for c in q["choices"]))' <<<"$status"
            return 0
        fi
        sleep 0.2
    done
    echo "workflow $1 never asked '$2'" >&2
    exit 1
}

echo "=== 1. a 5-step chain (no model)"
"$BIN/baton" submit --agent chain --input '{"steps": 5, "sleep_ms": 200}' --wait >/dev/null && echo "chain completed"

echo
echo "=== 2. operations_analysis: plan, gather with tools, analyse areas in parallel, draft"
"$BIN/baton" submit --agent operations_analysis \
    --input '{"request": "Why are deliveries late this month?"}' --wait

echo
echo "=== 3. reviewed_analysis: a person validates the scope, then the findings"
id="review-$(date +%s)"
"$BIN/baton" submit --id "$id" --agent reviewed_analysis \
    --input '{"request": "Why are deliveries late this month?", "areas": ["logistics", "support", "sales"]}' >/dev/null
wait_for_question "$id" "Validate"
echo "  -> answering: edit, 'Only logistics and support; focus on carriers'"
"$BIN/baton" answer "$id" --choice edit --text "Only logistics and support; focus on carriers" >/dev/null
wait_for_question "$id" "Review the findings"
echo "  child workflows of $id:"
"$BIN/baton" list --parent "$id"
echo "  -> answering: publish"
"$BIN/baton" answer "$id" --choice publish >/dev/null
"$BIN/baton" watch "$id"

echo
echo "=== 4. baton chat: the assistant starts long work as a workflow, in its user's name"
echo "  (with a key made now for bob, who may submit and read)"
bob_key="$("$BIN/baton" keys create --name bob --roles submit,read | tail -1)"
printf 'Please look into our late deliveries\n' |
    BATON_API_KEY="$bob_key" "$BIN/baton" chat --llm-url "http://127.0.0.1:$LLM_PORT" --model scripted
"$BIN/baton" list --limit 1

echo
echo "=== 5. KPIs"
echo "scheduler /metrics (per agent):"
curl -s "http://127.0.0.1:${BATON_SCHEDULER_METRICS_PORT:-18090}/metrics" | grep -E '^baton_workflow_(tokens|cost)_total' || true
echo "worker /metrics (per provider):"
curl -s "http://127.0.0.1:$BATON_WORKER_METRICS_PORT/metrics" | grep -E '^baton_(llm_(requests|tokens|cost)|worker_activities)_total' || true
echo
echo "--- logs: .run/logs/{scheduler,worker,scripted-llm}.log; PostgreSQL and RabbitMQ keep running (make services-stop)"
