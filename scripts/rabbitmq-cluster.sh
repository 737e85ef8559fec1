#!/usr/bin/env bash
# A local three-node RabbitMQ cluster on loopback, for running Baton by hand against a
# real cluster (quorum queues, a node killed mid-run). Started under .run/cluster/
# (git-ignored), stopped by PID; works as root without systemd. It runs beside the
# single broker of scripts/services.sh (its own ports, cookie and epmd) and leaves that
# one alone.
#
#   scripts/rabbitmq-cluster.sh start|stop|status|env
#   scripts/rabbitmq-cluster.sh kill-node N|stop-node N|start-node N    (N = 1, 2 or 3)
#   scripts/rabbitmq-cluster.sh rabbitmqctl N ARGS...
#
# Nodes baton-c1@localhost .. baton-c3@localhost. Ports (override the bases in the
# environment), below Linux's ephemeral range like services.sh's:
# BATON_CLUSTER_AMQP_PORT=16672 (AMQP 16672-16674), BATON_CLUSTER_DIST_PORT=16682
# (Erlang distribution 16682-16684), BATON_CLUSTER_EPMD_PORT=16690. After `stop`, bring
# the cluster back with `start` (all nodes at once): a lone start-node waits for its peers.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${BATON_RUN_DIR:-$ROOT/.run}"
CLUSTER="$RUN/cluster"
AMQP_BASE="${BATON_CLUSTER_AMQP_PORT:-16672}"
DIST_BASE="${BATON_CLUSTER_DIST_PORT:-16682}"
EPMD_PORT="${BATON_CLUSTER_EPMD_PORT:-16690}"
NODES=(1 2 3)
RABBIT_BIN=/usr/lib/rabbitmq/bin
# shellcheck source=scripts/broker-passwords.sh
. "$ROOT/scripts/broker-passwords.sh"

say() { printf 'rabbitmq-cluster: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

node_name() { echo "baton-c$1@localhost"; }
node_dir() { echo "$CLUSTER/node$1"; }
amqp_port() { echo $((AMQP_BASE + $1 - 1)); }
dist_port() { echo $((DIST_BASE + $1 - 1)); }

check_node() { case "${1:-}" in 1|2|3) ;; *) die "no node '${1:-}': N is 1, 2 or 3" ;; esac; }

# Exports node N's environment, as services.sh's rabbit_env does for its broker; call it
# in a subshell when more than one node is involved. rabbitmqctl finds the node (its
# name, epmd and cookie) through the same variables.
node_env() {
    local dir; dir="$(node_dir "$1")"
    export HOME="$dir/home"
    export RABBITMQ_NODENAME; RABBITMQ_NODENAME="$(node_name "$1")"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT; RABBITMQ_NODE_PORT="$(amqp_port "$1")"
    export RABBITMQ_DIST_PORT; RABBITMQ_DIST_PORT="$(dist_port "$1")"
    export ERL_EPMD_ADDRESS=127.0.0.1
    export ERL_EPMD_PORT="$EPMD_PORT"
    export RABBITMQ_MNESIA_BASE="$dir/mnesia"
    export RABBITMQ_LOG_BASE="$dir/log"
    export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
    export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
    # One scheduler thread per node: three nodes share a small machine with whatever
    # else runs on it (builds, the services.sh broker), and a test cluster needs no more.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +S 1:1"
}

ctl() { local n="$1"; shift; (node_env "$n"; "$RABBIT_BIN/rabbitmqctl" "$@"); }

# A node removes its pid file as it stops gracefully: the file may go at any time.
node_pid() { cat "$(node_dir "$1")/rabbitmq.pid" 2>/dev/null || true; }
node_running() { local p; p="$(node_pid "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# Nodes must share one Erlang cookie to talk to each other (and rabbitmqctl to them):
# drawn once into the cluster's folder, copied into each node's HOME.
cookie() {
    local n f
    mkdir -p "$CLUSTER"
    if [ ! -s "$CLUSTER/erlang-cookie" ]; then
        (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' >"$CLUSTER/erlang-cookie")
        chmod 400 "$CLUSTER/erlang-cookie"
    fi
    for n in "${NODES[@]}"; do
        f="$(node_dir "$n")/home/.erlang.cookie"
        mkdir -p "$(dirname "$f")"
        if ! cmp -s "$CLUSTER/erlang-cookie" "$f"; then
            rm -f "$f"
            cp "$CLUSTER/erlang-cookie" "$f"
            chmod 400 "$f"
        fi
    done
}

# Starts node N's VM in the background; wait_node waits for it. The nodes of a cluster
# that was stopped whole must start together: each waits for the others (the last one
# stopped, at least) before it opens its databases.
launch_node() {
    local n="$1" dir; dir="$(node_dir "$1")"
    local port; port="$(amqp_port "$n")"
    port_busy "$port" && die "port $port is taken by another program; set BATON_CLUSTER_AMQP_PORT to a free base"
    port_busy "$(dist_port "$n")" && die "port $(dist_port "$n") is taken by another program; set BATON_CLUSTER_DIST_PORT to a free base"
    mkdir -p "$dir/home" "$dir/log" "$dir/mnesia"
    # As services.sh: loopback only, guest allowed over it, and a short consumer_timeout
    # (see there) so that a run against the cluster behaves like one against that broker.
    # The cluster's name would otherwise be the first node's, with the machine's host name.
    cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$port
cluster_name = baton-cluster
loopback_users = none
consumer_timeout = 30000
CONF
    echo "[]." >"$dir/enabled_plugins"
    : >"$dir/rabbitmq-env.conf"
    rm -f "$dir/rabbitmq.pid"
    (node_env "$n"; setsid "$RABBIT_BIN/rabbitmq-server" >"$dir/log/stdout.log" 2>&1 </dev/null &)
}

wait_node() {
    local n="$1"
    if ! (node_env "$n"; "$RABBIT_BIN/rabbitmqctl" wait --timeout 180 "$RABBITMQ_PID_FILE" >/dev/null 2>&1); then
        die "node $(node_name "$n") did not start; see $(node_dir "$n")/log/"
    fi
    say "$(node_name "$n") ready on 127.0.0.1:$(amqp_port "$n") (pid $(node_pid "$n"))"
}

# A node is a member once its own view of the cluster names node 1.
is_member() { ctl "$1" cluster_status --formatter json 2>/dev/null | grep -qF "\"$(node_name 1)\""; }

join_node() {
    local n="$1"
    node_running 1 || die "node 1 is not running: $(node_name "$n") cannot join it"
    # join_cluster's CLI also prints the joining node's own log lines (harmless
    # "Failed to create a tracked connection table" errors): shown only on failure.
    local step out
    for step in stop_app "join_cluster $(node_name 1)" start_app; do
        # shellcheck disable=SC2086
        out="$(ctl "$n" $step 2>&1)" || die "$(node_name "$n"): rabbitmqctl $step failed: $out"
    done
    say "$(node_name "$n") joined $(node_name 1)"
}

# Starts the given nodes that are not running, together, then makes each one that is
# not yet a member (a new node) join node 1.
start_nodes() {
    local n started=()
    cookie
    for n in "$@"; do
        if node_running "$n"; then
            say "$(node_name "$n") already running (pid $(node_pid "$n")) on port $(amqp_port "$n")"
        else
            launch_node "$n"
            started+=("$n")
        fi
    done
    for n in "${started[@]}"; do wait_node "$n"; done
    for n in "$@"; do
        [ "$n" = 1 ] && continue
        is_member "$n" || join_node "$n"
    done
}

# The scheduler and the workers log in as users with only the rights they need; users
# live in the cluster's shared database, so creating them through node 1 is enough.
broker_users() {
    (node_env 1
     RABBITMQCTL="$RABBIT_BIN/rabbitmqctl" BATON_AMQP_SCHEDULER_PASSWORD="$SCHEDULER_AMQP_PASSWORD" \
         BATON_AMQP_WORKER_PASSWORD="$WORKER_AMQP_PASSWORD" "$ROOT/scripts/broker-users.sh" >/dev/null)
}

# SIGTERM is RabbitMQ's graceful shutdown; SIGKILL stands for a machine that dies.
signal_nodes() {
    local sig="$1" n p i signalled=() pids=()
    shift
    for n in "$@"; do
        p="$(node_pid "$n")"
        if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
            kill "-$sig" "$p"
            signalled+=("$n")
            pids+=("$p")
        fi
    done
    for i in "${!signalled[@]}"; do
        n="${signalled[$i]}" p="${pids[$i]}"
        for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$p" 2>/dev/null && die "$(node_name "$n") (pid $p) still running 30 s after SIG$sig"
        say "$(node_name "$n") stopped (SIG$sig)"
    done
}

stop_epmd() {
    # epmd outlives the nodes; stop the one started for the cluster's port only (its
    # port is in its environment, not on its command line), never services.sh's.
    local e
    for e in $(pgrep -x epmd 2>/dev/null); do
        if tr '\0' '\n' 2>/dev/null <"/proc/$e/environ" | grep -qx "ERL_EPMD_PORT=$EPMD_PORT"; then
            kill "$e" 2>/dev/null || true
        fi
    done
}

# The nodes named in one list of cluster_status's JSON, e.g. running_nodes.
json_list() { grep -o "\"$1\":\[[^]]*\]" | sed 's/^[^[]*\[//; s/\]$//; s/"//g; s/,/ /g'; }

status() {
    local n first="" json
    for n in "${NODES[@]}"; do
        if node_running "$n"; then
            echo "$(node_name "$n"): running, pid $(node_pid "$n"), port $(amqp_port "$n")"
            [ -n "$first" ] || first="$n"
        else
            echo "$(node_name "$n"): stopped"
        fi
    done
    if [ -z "$first" ]; then echo "cluster: stopped"; return; fi
    json="$(ctl "$first" cluster_status --formatter json 2>/dev/null)" || { echo "cluster: no answer from $(node_name "$first")"; return; }
    echo "cluster members: $(json_list disk_nodes <<<"$json")"
    echo "cluster running: $(json_list running_nodes <<<"$json")"
    if grep -q '"partitions":{}' <<<"$json"; then echo "partitions: none"; else echo "partitions: $(grep -o '"partitions":{[^}]*}' <<<"$json")"; fi
}

print_env() {
    local n hosts=""
    for n in "${NODES[@]}"; do hosts="${hosts:+$hosts,}127.0.0.1:$(amqp_port "$n")"; done
    # One URL naming every node (libpq style): a client tries them in turn.
    echo "BATON_BROKER_URL=amqp://guest:guest@$hosts"
    echo "BATON_SCHEDULER_BROKER_URL=amqp://baton-scheduler:$SCHEDULER_AMQP_PASSWORD@$hosts"
    echo "BATON_WORKER_BROKER_URL=amqp://baton-worker:$WORKER_AMQP_PASSWORD@$hosts"
    echo "BATON_QUEUE_TYPE=quorum"
}

[ -x "$RABBIT_BIN/rabbitmq-server" ] || die "RabbitMQ is not installed; run 'scripts/services.sh install'"
case "${1:-}" in
    start) start_nodes "${NODES[@]}"; broker_users; say "cluster ready: $(print_env | head -1 | sed 's/.*@//')" ;;
    stop) signal_nodes TERM "${NODES[@]}"; stop_epmd ;;
    status) status ;;
    env) print_env ;;
    kill-node) check_node "${2:-}"; signal_nodes KILL "$2" ;;
    stop-node) check_node "${2:-}"; signal_nodes TERM "$2" ;;
    # A node that was a member comes back into the cluster by itself.
    start-node) check_node "${2:-}"; start_nodes "$2" ;;
    rabbitmqctl) check_node "${2:-}"; n="$2"; shift 2; node_env "$n"; exec "$RABBIT_BIN/rabbitmqctl" "$@" ;;
    *) echo "usage: $0 start|stop|status|env|kill-node N|stop-node N|start-node N|rabbitmqctl N ARGS" >&2; exit 2 ;;
esac
