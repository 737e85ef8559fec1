#!/usr/bin/env bash
# make demo: one 5-step workflow through a real scheduler and worker.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/services.sh start
eval "export $(scripts/services.sh env | tr '\n' ' ')"
export BATON_HTTP_PORT="${BATON_HTTP_PORT:-18080}"
export BATON_SCHEDULER_URL="http://127.0.0.1:$BATON_HTTP_PORT"
swift build --product baton-scheduler && swift build --product baton-worker && swift build --product baton
BIN="$(swift build --show-bin-path)"
mkdir -p .run/logs
"$BIN/baton-scheduler" --config config/configuration_scheduler.yaml >.run/logs/scheduler.log 2>&1 &
scheduler=$!
"$BIN/baton-worker" --config config/configuration_worker.yaml >.run/logs/worker.log 2>&1 &
worker=$!
trap 'set +e; kill -TERM $scheduler $worker 2>/dev/null; wait $scheduler $worker 2>/dev/null' EXIT
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$BATON_HTTP_PORT") 2>/dev/null && break
    kill -0 $scheduler 2>/dev/null || { cat .run/logs/scheduler.log; exit 1; }
    sleep 0.2
done
echo "--- submitting a 5-step chain workflow (200 ms per step)"
"$BIN/baton" submit --agent chain --input '{"steps": 5, "sleep_ms": 200}' --wait
echo "--- logs: .run/logs/scheduler.log .run/logs/worker.log; PostgreSQL and RabbitMQ keep running (make services-stop)"
