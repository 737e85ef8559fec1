#!/usr/bin/env bash
# The chaos suite (docs/chaos.md): builds the binaries, starts the project's PostgreSQL
# and RabbitMQ on ports of its own (so a `make test` elsewhere on the machine is not
# touched), runs `baton-bench chaos` with the arguments given, stops the services.
#
#   scripts/chaos.sh [--seed N] [--workflows N] [--duration S] [--faults N] ...
#   CHAOS_BUILD=release scripts/chaos.sh ...      (debug by default)
#
#   CHAOS_BROKER=cluster scripts/chaos.sh ...     on a three-node RabbitMQ cluster
#                                                 (scripts/rabbitmq-cluster.sh, quorum queues)
#
# The chaos driver also calls this script for the two service faults, which stop and
# start one service only (services.sh stop/start would take both):
#   scripts/chaos.sh rabbitmq-restart SECONDS N   stop_app, wait, start_app; on the
#                                                 cluster: SIGKILL node N, wait, start it
#   scripts/chaos.sh postgres-restart SECONDS     pg_ctl -m fast stop, wait, start
#   scripts/chaos.sh rabbitmqctl ARGS...          on the broker, or a live cluster node
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BATON_PG_PORT="${BATON_PG_PORT:-17439}"
export BATON_AMQP_PORT="${BATON_AMQP_PORT:-17572}"
export BATON_AMQP_DIST_PORT="${BATON_AMQP_DIST_PORT:-17573}"
export BATON_EPMD_PORT="${BATON_EPMD_PORT:-17574}"
export BATON_AMQPS_PORT="${BATON_AMQPS_PORT:-17571}"
export BATON_RUN_DIR="${BATON_RUN_DIR:-$ROOT/.run/chaos-services}"
SERVICES="$ROOT/scripts/services.sh"
CLUSTER="$ROOT/scripts/rabbitmq-cluster.sh"
BROKER="${CHAOS_BROKER:-single}"
case "$BROKER" in single | cluster) ;; *) echo "chaos: CHAOS_BROKER is single or cluster, not '$BROKER'" >&2; exit 2 ;; esac
export CHAOS_BROKER="$BROKER"
PG_BIN="${BATON_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"

say() { printf 'chaos: %s\n' "$*" >&2; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_value() { "$PG_BIN/psql" -h 127.0.0.1 -p "$BATON_PG_PORT" -U postgres -d postgres -tAc "$1"; }

restart_rabbitmq() {
    if [ "$BROKER" = cluster ]; then
        "$CLUSTER" kill-node "$2" >/dev/null
        sleep "$1"
        "$CLUSTER" start-node "$2" >/dev/null
        return
    fi
    "$SERVICES" rabbitmqctl stop_app >/dev/null
    sleep "$1"
    "$SERVICES" rabbitmqctl start_app >/dev/null
}

# rabbitmqctl on the broker, or on the first cluster node that answers.
broker_ctl() {
    [ "$BROKER" = cluster ] || exec "$SERVICES" rabbitmqctl "$@"
    local n
    for n in 1 2 3; do
        if "$CLUSTER" rabbitmqctl "$n" "$@" 2>/dev/null; then return 0; fi
    done
    return 1
}

# Stops and starts the running server with the options services.sh gives it; the data
# folder and socket folder are asked of the server itself, so they match wherever
# services.sh put them.
restart_postgres() {
    local data sockets
    data="$(psql_value 'SHOW data_directory')"
    sockets="$(psql_value 'SHOW unix_socket_directories')"
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    sleep "$1"
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$(dirname "$data")/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $BATON_PG_PORT -k $sockets -c max_connections=300 -c fsync=on" >/dev/null
}

case "${1:-}" in
    rabbitmq-restart) restart_rabbitmq "${2:?seconds}" "${3:-1}"; exit 0 ;;
    rabbitmqctl) shift; broker_ctl "$@"; exit $? ;;
    postgres-restart) restart_postgres "${2:?seconds}"; exit 0 ;;
esac

cd "$ROOT"
CONFIGURATION="${CHAOS_BUILD:-debug}"
build_start=$(date +%s)
mkdir -p .run/chaos
for product in baton-bench baton-scheduler baton-worker; do
    swift build -c "$CONFIGURATION" --product "$product" >.run/chaos/build.log 2>&1 \
        || { tail -40 .run/chaos/build.log; say "build of $product failed"; exit 1; }
done
BIN="$(swift build -c "$CONFIGURATION" --show-bin-path)"
say "build ($CONFIGURATION): $(( $(date +%s) - build_start )) s"

# Daemons the driver started, killed by pid if it dies before stopping them itself.
export CHAOS_PID_FILE="$ROOT/.run/chaos/daemons.pids"
: >"$CHAOS_PID_FILE"
kill_leftover_daemons() {
    local pid
    while read -r pid; do
        if [ -n "$pid" ] && grep -q baton- "/proc/$pid/cmdline" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    done <"$CHAOS_PID_FILE"
}
"$SERVICES" start
trap 'kill_leftover_daemons; "$SERVICES" stop' EXIT
eval "export $("$SERVICES" env | tr '\n' ' ')"
if [ "$BROKER" = cluster ]; then
    "$CLUSTER" start
    trap 'kill_leftover_daemons; "$CLUSTER" stop; "$SERVICES" stop' EXIT
    # The cluster's URLs (every node) and queue_type quorum win over the single broker's.
    eval "export $("$CLUSTER" env | tr '\n' ' ')"
fi
status=0
"$BIN/baton-bench" chaos --root "$ROOT" "$@" || status=$?
say "exit $status; daemon logs and report.txt under .run/chaos/"
exit $status
