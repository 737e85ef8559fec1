#!/usr/bin/env bash
# A measured PostgreSQL failover under a running Baton (docs/database-failover.md):
# a fresh primary + synchronous standby (scripts/postgres-replication.sh), scheduler
# replicas and two workers on the project's RabbitMQ (scripts/services.sh), chain
# workflows submitted, the primary SIGKILLed mid-run and the standby promoted; then the
# figures: how long until the scheduler wrote again, workflows completed against
# submitted, steps run twice, what the daemons logged.
#
#   scripts/failover-run.sh [options]
#     --workflows N        chain workflows submitted before the kill (100)
#     --steps N            steps per workflow (8)
#     --sleep-ms N         each step's sleep (1500)
#     --schedulers N       scheduler replicas, 1 or 2 (2)
#     --kill-after S       seconds from the last submission to the kill (8)
#     --promote-after S    seconds from the kill to the promotion (5)
#     --url multi|standby-first|primary-only
#                          the scheduler's URL: both nodes with target_session_attrs=
#                          read-write (multi, the default), the same with the standby
#                          first, or the old primary alone (the run cannot finish: it
#                          shows what the scheduler says while it keeps retrying)
#     --fault kill|freeze|partition|fence
#                          what happens to the primary: SIGKILL (the default; its
#                          sockets close at once), SIGSTOP (a server that hangs), or its
#                          TCP traffic dropped (a partition, with nft); a frozen or
#                          cut-off primary is SIGKILLed after --wait, and the run
#                          watches 60 s more. fence: no failover, the primary is made
#                          read-only (default_transaction_read_only) for
#                          --promote-after seconds, then writable again
#     --url-params P       appended to the scheduler's URL, e.g.
#                          'connect_timeout=2&tcp_user_timeout=5000&keepalives_idle=5'
#     --wait S             how long to wait for every workflow to end (300; 60 with
#                          primary-only, freeze or partition)
#     --rejoin-old-primary after the wait, bring the old primary back as a standby of
#                          the new one (pg_rewind) and watch 30 s more: with
#                          primary-only, the scheduler's one host is then up but
#                          read-only
#     --async              asynchronous replication (PostgreSQL's default): commits do not
#                          wait for the standby, and what it had not replayed at the
#                          fault is lost with the old primary
#     --keep               leave the daemons and the pair running at the end
#
# Needs the debug binaries (swift build; BATON_BIN to use others). Starts from a fresh
# pair (postgres-replication.sh clean, then start: what the pair held is deleted).
# Leaves the project's RabbitMQ running; stops the replication pair unless --keep. Everything it writes goes
# to .run/failover/<run>/ (daemon logs, the exec log of every step run, figures.txt).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${BATON_BIN:-$ROOT/.build/debug}"
# The daemons warn about BATON_ variables they do not read: this one is the script's.
export -n BATON_BIN 2>/dev/null || true
PG_BIN="${BATON_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
REPLICATION="$ROOT/scripts/postgres-replication.sh"
HTTP_BASE="${BATON_FAILOVER_HTTP_PORT:-18480}"
METRICS_BASE="${BATON_FAILOVER_METRICS_PORT:-18490}"

REPLICATION_MODE=sync WORKFLOWS=100 STEPS=8 SLEEP_MS=1500 SCHEDULERS=2 KILL_AFTER=8 PROMOTE_AFTER=5 URL_KIND=multi WAIT="" KEEP=0 REJOIN=0 FAULT=kill URL_PARAMS=""
while [ $# -gt 0 ]; do
    case "$1" in
        --workflows) WORKFLOWS="$2"; shift 2 ;;
        --steps) STEPS="$2"; shift 2 ;;
        --sleep-ms) SLEEP_MS="$2"; shift 2 ;;
        --schedulers) SCHEDULERS="$2"; shift 2 ;;
        --kill-after) KILL_AFTER="$2"; shift 2 ;;
        --promote-after) PROMOTE_AFTER="$2"; shift 2 ;;
        --url) URL_KIND="$2"; shift 2 ;;
        --wait) WAIT="$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --async) REPLICATION_MODE=async; shift ;;
        --rejoin-old-primary) REJOIN=1; shift ;;
        --fault) FAULT="$2"; shift 2 ;;
        --url-params) URL_PARAMS="$2"; shift 2 ;;
        *) echo "failover-run: unknown option '$1' (see the head of $0)" >&2; exit 2 ;;
    esac
done
case "$SCHEDULERS" in 1|2) ;; *) echo "failover-run: --schedulers is 1 or 2" >&2; exit 2 ;; esac
case "$URL_KIND" in multi|standby-first|primary-only) ;; *) echo "failover-run: --url is multi, standby-first or primary-only" >&2; exit 2 ;; esac
case "$FAULT" in kill|freeze|partition|fence) ;; *) echo "failover-run: --fault is kill, freeze, partition or fence" >&2; exit 2 ;; esac
[ -n "$WAIT" ] || { if [ "$URL_KIND" = primary-only ] || [ "$FAULT" = freeze ] || [ "$FAULT" = partition ]; then WAIT=60; else WAIT=300; fi; }

say() { printf 'failover-run: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
now() { date +%s.%N | cut -c1-14; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for b in baton-scheduler baton-worker baton; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing: build first (swift build), or set BATON_BIN"
done
for i in 1 2; do
    for p in $((HTTP_BASE + i - 1)) $((METRICS_BASE + i - 1)) $((METRICS_BASE + 4 + i)); do
        port_busy "$p" && die "port $p is taken; set BATON_FAILOVER_HTTP_PORT / BATON_FAILOVER_METRICS_PORT to free bases"
    done
done

RUN_ID="$(date -u +%Y%m%d-%H%M%S)-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
OUT="$ROOT/.run/failover/$RUN_ID"
mkdir -p "$OUT/hooks"
# Names services.sh clean recognises as leftovers, should this run be cut short.
TAG="$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
QUEUE="agents_$TAG"
EVENTS="q_$TAG"

scripts/services.sh start >/dev/null 2>&1 || die "scripts/services.sh start failed"
BROKER_URL="$(scripts/services.sh env | sed -n 's/^BATON_BROKER_URL=//p')"
"$REPLICATION" clean >/dev/null 2>&1 || true
BATON_REPLICATION_MODE="$REPLICATION_MODE" "$REPLICATION" start >"$OUT/replication-start.txt" 2>&1 || { cat "$OUT/replication-start.txt" >&2; die "the replication pair did not start"; }
# Shell variables, not exported: the daemons get what they need one by one.
eval "$("$REPLICATION" env)"
case "$URL_KIND" in
    multi) DB_URL="$BATON_POSTGRES_URL" ;;
    standby-first) DB_URL="$REPLICATION_STANDBY_FIRST_URL" ;;
    primary-only) DB_URL="$REPLICATION_NODE1_URL" ;;
esac
if [ -n "$URL_PARAMS" ]; then
    case "$DB_URL" in *\?*) DB_URL="$DB_URL&$URL_PARAMS" ;; *) DB_URL="$DB_URL?$URL_PARAMS" ;; esac
fi
# Figures are read through the multi-host URL: whichever node is the primary.
READ_URL="$BATON_POSTGRES_URL"
# With a connection timeout and an overall one: libpq waits for ever on a server that
# accepts TCP but never answers (--fault freeze), and so would this script.
sql() { PGCONNECT_TIMEOUT=3 timeout 20 "$PG_BIN/psql" -X "$READ_URL" -v ON_ERROR_STOP=1 -tAF '|' -c "$1"; }

eval "$("$BIN/baton" keys generate --name failover --roles admin --shell)"
KEY="$BATON_API_KEY"

PIDS=()
cleanup() {
    set +e
    if [ "$KEEP" = 0 ]; then
        for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
        # A scheduler stuck in a statement on a server that never answers does not stop
        # on SIGTERM (docs/database-failover.md): SIGKILL after its 30 s grace.
        for _ in $(seq 1 80); do
            alive=0; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
            [ "$alive" = 0 ] && break
            sleep 0.5
        done
        for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && { say "pid $p ignored SIGTERM for 40 s: SIGKILL"; kill -KILL "$p"; }; done
        for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
        for q in "$QUEUE" "$EVENTS" $(seq -f "$EVENTS.%g" 0 15) "$EVENTS.in" "$EVENTS.dead" "$QUEUE.dead"; do
            scripts/services.sh rabbitmqctl delete_queue "$q" >/dev/null 2>&1
        done
        "$REPLICATION" stop >/dev/null 2>&1
    fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

start_scheduler() {
    local i="$1"
    env BATON_POSTGRES_URL="$DB_URL" BATON_BROKER_URL="$BROKER_URL" BATON_QUEUE="$QUEUE" BATON_EVENTS_QUEUE="$EVENTS" \
        BATON_HTTP_PORT=$((HTTP_BASE + i - 1)) BATON_SCHEDULER_METRICS_PORT=$((METRICS_BASE + i - 1)) \
        BATON_ADMIN_KEY_SHA256="$BATON_ADMIN_KEY_SHA256" BATON_LOG_FORMAT=json PGSSLMODE=disable \
        "$BIN/baton-scheduler" --config config/configuration_scheduler.yaml >"$OUT/scheduler$i.log" 2>&1 &
    PIDS+=($!)
}
start_worker() {
    local i="$1"
    env BATON_BROKER_URL="$BROKER_URL" BATON_QUEUE="$QUEUE" BATON_EVENTS_QUEUE="$EVENTS" \
        BATON_SCHEDULER_URL="http://127.0.0.1:$HTTP_BASE" BATON_WORKER_METRICS_PORT=$((METRICS_BASE + 4 + i)) \
        BATON_TEST_HOOKS_FOLDER="$OUT/hooks" BATON_LOG_FORMAT=json \
        "$BIN/baton-worker" --config config/dev/configuration_worker.yaml >"$OUT/worker$i.log" 2>&1 &
    PIDS+=($!)
}
wait_port() {
    for _ in $(seq 1 300); do
        port_busy "$1" && return 0
        kill -0 "$2" 2>/dev/null || { tail -20 "$3" >&2; die "$(basename "$3" .log) exited at start"; }
        sleep 0.2
    done
    die "nothing listens on port $1; see $3"
}

# One POST; prints the HTTP status (000: no answer).
submit() {
    local port="$1" id="$2" input="$3"
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
        -d "{\"id\": \"$id\", \"agent\": \"chain\", \"input\": $input}" "http://127.0.0.1:$port/v1/workflows" || true
}

say "run $RUN_ID: $WORKFLOWS workflows of $STEPS steps x ${SLEEP_MS} ms, $SCHEDULERS scheduler(s), URL $URL_KIND, $REPLICATION_MODE replication; logs in $OUT"
for i in $(seq 1 "$SCHEDULERS"); do
    start_scheduler "$i"
    wait_port $((HTTP_BASE + i - 1)) "${PIDS[-1]}" "$OUT/scheduler$i.log"
done
for i in 1 2; do start_worker "$i"; done
for i in 1 2; do wait_port $((METRICS_BASE + 4 + i)) "${PIDS[$((SCHEDULERS + i - 1))]}" "$OUT/worker$i.log"; done
for _ in $(seq 1 100); do
    curl -s -H "Authorization: Bearer $KEY" "http://127.0.0.1:$HTTP_BASE/v1/agents" | grep -q '"chain"' && break
    sleep 0.2
done

INPUT="{\"steps\": $STEPS, \"sleep_ms\": $SLEEP_MS, \"exec_log\": \"exec.log\"}"
T_SUBMIT="$(now)"
for n in $(seq 1 "$WORKFLOWS"); do
    port=$((HTTP_BASE + (n % SCHEDULERS)))
    code="$(submit "$port" "wf-$n" "$INPUT")"
    [ "$code" = 201 ] || die "submission wf-$n answered $code"
done
say "$WORKFLOWS workflows submitted in $(printf '%.1f' "$(echo "$(now) - $T_SUBMIT" | bc)") s"

# Probes: a short workflow submitted every 0.5 s through the failover, its POST retried
# (same id, so idempotent) every 0.25 s until the scheduler takes it. Each attempt is
# logged as: time probe-id http-status.
probe() {
    local n=0 code id
    while [ ! -f "$OUT/probes.stop" ]; do
        n=$((n + 1)); id="probe-$n"
        while :; do
            code="$(submit $((HTTP_BASE + (n % SCHEDULERS))) "$id" '{"steps": 2, "sleep_ms": 200, "exec_log": "exec.log"}')"
            echo "$(now) $id $code" >>"$OUT/probes.txt"
            case "$code" in 200|201) break ;; esac
            [ -f "$OUT/probes.stop" ] && { echo "$(now) $id abandoned" >>"$OUT/probes.txt"; return; }
            sleep 0.25
        done
        sleep 0.5
    done
}
probe &
PROBE=$!
PIDS+=("$PROBE")

sleep "$KILL_AFTER"
running="$(sql "SELECT count(*) FROM workflows WHERE status = 'running'")"
case "$FAULT" in
    kill) T_KILL="$("$REPLICATION" kill-primary 2>>"$OUT/replication.txt")" ;;
    freeze) T_KILL="$("$REPLICATION" freeze-primary 2>>"$OUT/replication.txt")" ;;
    partition) T_KILL="$("$REPLICATION" isolate-primary 2>>"$OUT/replication.txt")" ;;
    fence)
        "$REPLICATION" psql 1 -qc "ALTER SYSTEM SET default_transaction_read_only = on" -c "SELECT pg_reload_conf()" >/dev/null
        T_KILL="$(now)" ;;
esac
case "$FAULT" in kill) done_word=killed ;; freeze) done_word=frozen ;; partition) done_word="cut off" ;; fence) done_word="made read-only" ;; esac
say "primary $done_word at $(date -u -d "@$T_KILL" +%H:%M:%S.%N | cut -c1-12) UTC with $running workflows running"
sleep "$PROMOTE_AFTER"
T_PROMOTE="$(now)"
if [ "$FAULT" = fence ]; then
    "$REPLICATION" psql 1 -qc "ALTER SYSTEM RESET default_transaction_read_only" -c "SELECT pg_reload_conf()" >/dev/null
    T_PROMOTED="$(now)"
    say "primary writable again: $(printf '%.2f' "$(echo "$T_PROMOTED - $T_KILL" | bc)") s after the fence"
else
    T_PROMOTED="$("$REPLICATION" promote 2>>"$OUT/replication.txt")"
    say "standby promoted: $(printf '%.2f' "$(echo "$T_PROMOTED - $T_KILL" | bc)") s after the kill"
fi

# Until every workflow has ended, or WAIT seconds.
deadline=$(( $(date +%s) + WAIT ))
while [ "$(date +%s)" -lt "$deadline" ]; do
    open="$(sql "SELECT count(*) FROM workflows WHERE finished_at IS NULL" 2>/dev/null || echo '?')"
    [ "$open" = 0 ] && [ "$(( $(date +%s) - ${T_KILL%.*} ))" -gt 20 ] && break
    sleep 2
done
T_FAULT_END=""
if [ "$FAULT" = freeze ] || [ "$FAULT" = partition ]; then
    T_FAULT_END="$("$REPLICATION" kill-primary 1 2>>"$OUT/replication.txt")"
    "$REPLICATION" heal 2>>"$OUT/replication.txt"
    say "the $FAULT old primary SIGKILLed $(printf '%.1f' "$(echo "$T_FAULT_END - $T_KILL" | bc)") s after the fault began; watching 60 s more"
    for _ in $(seq 1 30); do
        [ "$(sql "SELECT count(*) FROM workflows WHERE finished_at IS NULL" 2>/dev/null || echo '?')" = 0 ] && break
        sleep 2
    done
fi
if [ "$REJOIN" = 1 ]; then
    T_REJOIN="$(now)"
    BATON_REPLICATION_MODE="$REPLICATION_MODE" "$REPLICATION" rejoin 1 2>>"$OUT/replication.txt"
    say "old primary back as a standby $(printf '%.1f' "$(echo "$(now) - $T_KILL" | bc)") s after the kill; watching 30 s"
    sleep 30
fi
touch "$OUT/probes.stop"
wait "$PROBE" 2>/dev/null || true
sleep 1
for _ in $(seq 1 30); do
    [ "$(sql "SELECT count(*) FROM workflows WHERE finished_at IS NULL" 2>/dev/null || echo '?')" = 0 ] && break
    sleep 1
done
T_END="$(now)"

# --- figures --------------------------------------------------------------------
{
echo "run $RUN_ID: URL $URL_KIND, $REPLICATION_MODE replication, $SCHEDULERS scheduler(s), 2 workers (concurrency 16), $WORKFLOWS chain workflows x $STEPS steps x ${SLEEP_MS} ms"
case "$FAULT" in
    kill) echo "times in seconds after the kill (SIGKILL of every process of the primary)" ;;
    freeze) echo "times in seconds after the freeze (SIGSTOP of every process of the primary)" ;;
    partition) echo "times in seconds after the partition (the primary's TCP traffic dropped)" ;;
    fence) echo "times in seconds after the fence (default_transaction_read_only = on on the primary; no failover: 'promotion' below is the end of the fence)" ;;
esac
[ -n "$URL_PARAMS" ] && echo "scheduler URL parameters: $URL_PARAMS"
if [ "$FAULT" = fence ]; then
    printf 'fence lifted         %6.2f   (default_transaction_read_only reset, configuration reloaded)\n' "$(echo "$T_PROMOTED - $T_KILL" | bc)"
else
    printf 'promotion requested  %6.2f\n' "$(echo "$T_PROMOTE - $T_KILL" | bc)"
    printf 'promotion done       %6.2f   (pg_ctl promote returned, synchronous_standby_names cleared, a write committed)\n' "$(echo "$T_PROMOTED - $T_KILL" | bc)"
fi
[ -n "$T_FAULT_END" ] && printf 'old primary SIGKILLed %5.2f   (the end of the %s)\n' "$(echo "$T_FAULT_END - $T_KILL" | bc)" "$FAULT"
sql "
WITH k AS (SELECT to_timestamp($T_KILL) AS t)
SELECT 'last write before    ' || to_char(extract(epoch FROM max(recorded_at) - (SELECT t FROM k)), 'S990.00') || '   (workflow_events.recorded_at)'
FROM workflow_events WHERE recorded_at < (SELECT t FROM k)
UNION ALL
SELECT 'first write after    ' || coalesce(to_char(extract(epoch FROM min(recorded_at) - (SELECT t FROM k)), 'S990.00'), '  none') || '   (the scheduler''s first commit since)'
FROM workflow_events WHERE recorded_at >= (SELECT t FROM k)
UNION ALL
SELECT 'first write after the ' || CASE WHEN '$FAULT' = 'fence' THEN 'fence lifted ' ELSE 'promotion ' END || coalesce(to_char(extract(epoch FROM min(recorded_at) - to_timestamp($T_PROMOTED)), 'S990.00'), 'none') || ' s'
FROM workflow_events WHERE recorded_at >= (SELECT t FROM k)" 2>/dev/null || echo "no database answers: cannot read the history"
FIRST_WRITE="$(sql "SELECT extract(epoch FROM min(recorded_at)) FROM workflow_events WHERE recorded_at >= to_timestamp($T_KILL)" 2>/dev/null || true)"
python3 - "$OUT" "$T_KILL" "$SCHEDULERS" "$FIRST_WRITE" <<'PY'
import json, sys, os, datetime
out, kill, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
def t(line):
    return datetime.datetime.fromisoformat(line["time"].replace("Z", "+00:00")).timestamp() - kill
for name in [f"scheduler{i}" for i in range(1, n + 1)] + ["worker1", "worker2"]:
    first_down = back = None
    counts, messages = {}, {}
    for raw in open(os.path.join(out, name + ".log"), errors="replace"):
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        level, message = line.get("level", "?"), line.get("message", "")
        if "is unreachable" in message and first_down is None and t(line) > -1: first_down = t(line)
        if "reachable again" in message and back is None and t(line) > 0: back = t(line)
        if level in ("warning", "error", "critical"):
            counts[level] = counts.get(level, 0) + 1
            key = (level, message[:160])
            if key not in messages:
                err = " / ".join(str(line.get("error", "")).split("\n"))[:300]
                messages[key] = (t(line), err)
    label = f"{name}:"
    if first_down is not None: print(f"{label:12s} said the database was unreachable at {first_down:6.2f}")
    if back is not None: print(f"{label:12s} said the database was reachable again at {back:6.2f}")
    print(f"{label:12s} warnings/errors: {counts or 'none'}")
    for (level, message), (when, err) in sorted(messages.items(), key=lambda kv: kv[1][0]):
        print(f"    {when:7.2f} {level}: {message}" + (f"\n              error: {err}" if err else ""))
# Worker side: what the workers did while there was no database, and how late the
# scheduler recorded what they finished meanwhile.
starts, ends, recorded = {}, {}, {}
for name in ["worker1", "worker2"] + [f"scheduler{i}" for i in range(1, n + 1)]:
    for raw in open(os.path.join(out, name + ".log"), errors="replace"):
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        w, m = line.get("workflow"), line.get("message", "")
        if not w: continue
        if m == "activity started": starts.setdefault(w, t(line))
        elif m == "activity completed": ends[w] = t(line)
        elif m == "workflow completed": recorded[w] = t(line)
first_write = float(sys.argv[4]) - kill if len(sys.argv) > 4 and sys.argv[4] else None
spanning = [w for w in ends if w in starts and starts[w] < 0 < ends[w]]
print(f"workers: activities running at the kill: {len(spanning)}", end="")
if spanning:
    d = sorted(ends[w] - starts[w] for w in spanning)
    print(f"; their duration on the worker: median {d[len(d)//2]:.2f} s, max {d[-1]:.2f} s", end="")
print()
if first_write is not None:
    began = sum(1 for w in starts if 0 < starts[w] < first_write)
    done = [w for w in ends if 0 < ends[w] < first_write]
    print(f"    while no database took writes (0 to {first_write:.2f}): {began} activities started, {len(done)} finished on the workers")
    lags = sorted(recorded[w] - ends[w] for w in done if w in recorded)
    if lags: print(f"    those finished: recorded completed by the scheduler {lags[0]:.2f} to {lags[-1]:.2f} s after the worker finished")
    later = sorted(recorded[w] - ends[w] for w in ends if w in recorded and ends[w] > first_write)
    if later: print(f"    activities finished after that: recorded after median {later[len(later)//2]:.2f} s, max {later[-1]:.2f} s")
PY
# The new primary's own log: the scheduler's connections (log_connections is on).
NEW_LOG="$(dirname "$("$REPLICATION" psql 2 -tAc 'SHOW data_directory' 2>/dev/null || echo /nonexistent/x)")/server.log"
if [ -f "$NEW_LOG" ]; then
    python3 - "$NEW_LOG" "$T_KILL" "$T_PROMOTED" <<'PY'
import sys, datetime
log, kill, promoted = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
times = []
for line in open(log, errors="replace"):
    if "connection authorized: user=baton" in line:
        stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
        if stamp > promoted - 60: times.append(stamp - kill)
if times:
    print(f"new primary's log: {len(times)} connections of the scheduler's role, the first at {min(times):.2f}, the last at {max(times):.2f}")
PY
fi
probes_total="$(awk '{print $2}' "$OUT/probes.txt" | sort -u | wc -l)"
awk -v k="$T_KILL" '
    $3 ~ /^(200|201)$/ { if ($1 > k && first == "") first = $1 - k; ok++ }
    $3 !~ /^(200|201)$/ && $3 != "abandoned" { if ($1 > k) { bad[$3]++; if (firstbad == "") firstbad = $1 - k } }
    $3 == "abandoned" { abandoned++ }
    END {
        s = ""; for (c in bad) s = s c " x" bad[c] " ";
        printf "API (probe submissions every 0.5 s, retried until taken): refused answers after the kill: %s\n", (s == "" ? "none" : s)
        if (first != "") printf "    first submission taken after the kill at %6.2f\n", first
        if (abandoned) printf "    %d probe still refused when the run ended\n", abandoned
    }' "$OUT/probes.txt"
echo "workflows (submitted: $WORKFLOWS + $probes_total probes):"
sql "SELECT '    ' || kind || ' ' || status || ': ' || count(*) FROM (SELECT CASE WHEN id LIKE 'probe-%' THEN 'probes' ELSE 'batch ' END AS kind, status FROM workflows) w GROUP BY kind, status ORDER BY kind, status" 2>/dev/null || echo "    (no database answers)"
sql "SELECT '    workflows with more than one attempt: ' || count(*) FILTER (WHERE attempt > 1) FROM workflows" 2>/dev/null || true
# Each step's node ran how many times (the chain's exec_log: one line per node execution).
if [ -f "$OUT/hooks/exec.log" ]; then
    awk '{ n[$1 " " $2]++; runs++ } END {
        for (k in n) { if (n[k] > 1) twice++; steps++ }
        printf "steps run: %d executions of %d distinct steps; steps run more than once: %d\n", runs, steps, twice + 0 }' "$OUT/hooks/exec.log"
fi
# The results: each completed workflow's state lists each of its nodes once.
sql "SELECT '    completed results whose steps are not each node exactly once: ' || count(*) FROM workflows w
     WHERE status = 'completed' AND (SELECT count(*) <> count(DISTINCT s->>'node') OR count(*) <> CASE WHEN w.id LIKE 'probe-%' THEN 2 ELSE $STEPS END
                                     FROM jsonb_array_elements(w.result->'steps') s)" 2>/dev/null || true
# The history: one completion per workflow, one checkpoint per step.
sql "SELECT '    history entries by type: ' || string_agg(type || ' ' || n, ', ' ORDER BY type) FROM (SELECT type, count(*) n FROM workflow_events GROUP BY type) x" 2>/dev/null || true
sql "SELECT '    completed workflows whose history lacks a step''s checkpoint: ' || count(*) FROM workflows w
     WHERE status = 'completed' AND (SELECT count(DISTINCT payload->>'step') FROM workflow_events e WHERE e.workflow_id = w.id AND type = 'checkpointed')
         < CASE WHEN w.id LIKE 'probe-%' THEN 2 ELSE $STEPS END" 2>/dev/null || true
sql "SELECT '    workflows with a step checkpointed twice: ' || count(DISTINCT workflow_id) FROM (
        SELECT workflow_id, payload->>'step' step FROM workflow_events WHERE type = 'checkpointed' GROUP BY 1, 2 HAVING count(*) > 1) x" 2>/dev/null || true
sql "SELECT '    events applied during the outage window (should be 0): ' || count(*) FROM workflow_events
     WHERE recorded_at > to_timestamp($T_KILL) AND recorded_at < to_timestamp($T_PROMOTE)" 2>/dev/null || true
for q in "$EVENTS.dead" "$QUEUE.dead" baton.dead; do
    c="$(scripts/services.sh rabbitmqctl list_queues name messages 2>/dev/null | awk -v q="$q" '$1 == q {print $2}')"
    [ -n "$c" ] && echo "    dead-letter queue $q: $c messages"
done
printf 'run ended %.1f s after the kill\n' "$(echo "$T_END - $T_KILL" | bc)"
} | tee "$OUT/figures.txt"
