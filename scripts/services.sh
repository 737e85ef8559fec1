#!/usr/bin/env bash
# Local PostgreSQL and RabbitMQ for Baton's tests, demo and daemons: installed when
# missing, started on loopback under .run/ (git-ignored), stopped by PID.
#
#   scripts/services.sh install|start|stop|status|env
#
# Ports (override in the environment), below Linux's ephemeral range (32768-60999) so
# that no outgoing connection can be holding them: BATON_PG_PORT=16439 BATON_AMQP_PORT=16572
# BATON_AMQP_DIST_PORT=16573 BATON_EPMD_PORT=16574 BATON_AMQPS_PORT=16571. Works as root
# without systemd. Both also accept TLS, with a certificate for `localhost` signed by a CA
# made here (.run/tls/), for the tests of verify-full and amqps://.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${BATON_RUN_DIR:-$ROOT/.run}"
PG_PORT="${BATON_PG_PORT:-16439}"
AMQP_PORT="${BATON_AMQP_PORT:-16572}"
# shellcheck source=scripts/broker-passwords.sh
. "$ROOT/scripts/broker-passwords.sh"
DIST_PORT="${BATON_AMQP_DIST_PORT:-16573}"
AMQPS_PORT="${BATON_AMQPS_PORT:-16571}"
TLS_DIR="$RUN/tls"
EPMD_PORT="${BATON_EPMD_PORT:-16574}"
PG_BIN="${BATON_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
RABBIT_BIN=/usr/lib/rabbitmq/bin
# PostgreSQL runs as the postgres user, which must be able to reach its folder: when the
# project lies under a folder it cannot enter (a clone in /root, say), its data goes to
# a folder of its own under /var/tmp instead, named after the project's path.
PG_DIR="$RUN/pg"
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$(dirname "$RUN")" 2>/dev/null; then
    PG_DIR="/var/tmp/baton-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"
fi

say() { printf 'services: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install_packages() {
    local missing=()
    [ -x "${PG_BIN:-/nonexistent}/postgres" ] || missing+=(postgresql)
    [ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
    [ -x "$RABBIT_BIN/rabbitmq-server" ] || missing+=(rabbitmq-server)
    { [ -f /usr/include/amqp.h ] || [ -f /usr/include/rabbitmq-c/amqp.h ]; } || missing+=(librabbitmq-dev)
    [ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] || missing+=(libcurl4-openssl-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    command -v openssl >/dev/null || missing+=(openssl)
    [ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
    # For the page's test in a real browser (PageBrowserTests).
    command -v chromium >/dev/null || missing+=(chromium)
    # For the contracts' tests and the Python worker (docs/contracts, examples/python-worker).
    /usr/bin/python3 -c 'import pika' 2>/dev/null || missing+=(python3-pika)
    /usr/bin/python3 -c 'import jsonschema' 2>/dev/null || missing+=(python3-jsonschema)
    if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}; run 'sudo $0 install' once"
        say "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    fi
}

# --- TLS ----------------------------------------------------------------------
# A CA of this checkout's own and a certificate for localhost (not for 127.0.0.1, so
# that a test can see a name that does not match refused), plus an unrelated CA that
# must be refused. Made once; both servers read them.
make_certificates() {
    [ -f "$TLS_DIR/server.pem" ] && [ -f "$TLS_DIR/other-ca.pem" ] && return
    mkdir -p "$TLS_DIR"
    (
        cd "$TLS_DIR"
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Baton test CA" -keyout ca.key -out ca.pem
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Unrelated CA" -keyout other-ca.key -out other-ca.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
        printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile server.ext -out server.pem
        chmod 644 ca.pem other-ca.pem server.pem
    ) >"$RUN/tls.log" 2>&1 || die "openssl could not make the test certificates; see $RUN/tls.log"
}

# --- PostgreSQL -------------------------------------------------------------
pg_pid() { [ -f "$PG_DIR/data/postmaster.pid" ] && head -1 "$PG_DIR/data/postmaster.pid" || true; }
pg_running() { local p; p="$(pg_pid)"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
    if pg_running; then say "PostgreSQL already running (pid $(pg_pid)) on port $PG_PORT"; return; fi
    port_busy "$PG_PORT" && die "port $PG_PORT is taken by another program; set BATON_PG_PORT to a free port"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR" && chmod 700 "$PG_DIR"
    if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
        as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
            || die "initdb failed; see $PG_DIR/initdb.log"
    fi
    # pg_stat_statements (shipped in Debian's postgresql-NN package) lets make bench count
    # the statements per workflow; loaded when present, nothing else changes.
    # PostgreSQL reads its key only when the postgres user owns it, with no access for others.
    mkdir -p "$PG_DIR/tls"
    cp "$TLS_DIR/server.pem" "$TLS_DIR/server.key" "$PG_DIR/tls/"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG_DIR/tls"
    chmod 600 "$PG_DIR/tls/server.key"
    local tls="-c ssl=on -c ssl_cert_file=$PG_DIR/tls/server.pem -c ssl_key_file=$PG_DIR/tls/server.key"
    local preload=""
    [ -f "$(dirname "$PG_BIN")/lib/pg_stat_statements.so" ] && preload="-c shared_preload_libraries=pg_stat_statements"
    # The test suite runs its stacks in parallel, each with a few pools and its own
    # database: 300 connections were seen exhausted in a full run.
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=500 -c fsync=on $tls $preload" >/dev/null \
        || die "PostgreSQL did not start; see $PG_DIR/server.log"
    psql_cmd -tAc "SELECT 1 FROM pg_database WHERE datname='baton'" | grep -q 1 \
        || psql_cmd -qc "CREATE DATABASE baton" >/dev/null
    say "PostgreSQL ready on 127.0.0.1:$PG_PORT (pid $(pg_pid))"
}

psql_cmd() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"; }

stop_postgres() {
    local p; p="$(pg_pid)"
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
        kill -INT "$p"
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        say "PostgreSQL stopped"
    fi
}

# --- RabbitMQ ---------------------------------------------------------------
rabbit_env() {
    export HOME="$RUN/rabbitmq/home"
    export RABBITMQ_NODENAME=rabbit@localhost
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT="$AMQP_PORT"
    export RABBITMQ_DIST_PORT="$DIST_PORT"
    export ERL_EPMD_ADDRESS=127.0.0.1
    export ERL_EPMD_PORT="$EPMD_PORT"
    export RABBITMQ_MNESIA_BASE="$RUN/rabbitmq/mnesia"
    export RABBITMQ_LOG_BASE="$RUN/rabbitmq/log"
    export RABBITMQ_CONFIG_FILE="$RUN/rabbitmq/rabbitmq"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RUN/rabbitmq/enabled_plugins"
    export RABBITMQ_PID_FILE="$RUN/rabbitmq/rabbitmq.pid"
    export RABBITMQ_CONF_ENV_FILE="$RUN/rabbitmq/rabbitmq-env.conf"
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rabbit_pid() { [ -f "$RUN/rabbitmq/rabbitmq.pid" ] && cat "$RUN/rabbitmq/rabbitmq.pid" || true; }
rabbit_running() { local p; p="$(rabbit_pid)"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start_rabbitmq() {
    if rabbit_running; then say "RabbitMQ already running (pid $(rabbit_pid)) on port $AMQP_PORT"; return; fi
    port_busy "$AMQP_PORT" && die "port $AMQP_PORT is taken by another program; set BATON_AMQP_PORT to a free port"
    port_busy "$AMQPS_PORT" && die "port $AMQPS_PORT is taken by another program; set BATON_AMQPS_PORT to a free port"
    mkdir -p "$RUN/rabbitmq/home" "$RUN/rabbitmq/log" "$RUN/rabbitmq/mnesia"
    rabbit_env
    # The broker takes back a delivery held unacknowledged longer than consumer_timeout
    # (30 minutes by default). Workers release a long activity's command before that
    # (command_hold_seconds: 20 in config/dev and the tests); the timeout is short here
    # so that the tests show it (WorkerLifecycleTests).
    cat >"$RUN/rabbitmq/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
loopback_users = none
consumer_timeout = 30000
listeners.ssl.default = 127.0.0.1:$AMQPS_PORT
ssl_options.cacertfile = $TLS_DIR/ca.pem
ssl_options.certfile = $TLS_DIR/server.pem
ssl_options.keyfile = $TLS_DIR/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
CONF
    echo "[]." >"$RUN/rabbitmq/enabled_plugins"
    : >"$RUN/rabbitmq/rabbitmq-env.conf"
    setsid "$RABBIT_BIN/rabbitmq-server" >"$RUN/rabbitmq/log/stdout.log" 2>&1 < /dev/null &
    if ! "$RABBIT_BIN/rabbitmqctl" wait --timeout 120 "$RABBITMQ_PID_FILE" >/dev/null 2>&1; then
        die "RabbitMQ did not start; see $RUN/rabbitmq/log/"
    fi
    say "RabbitMQ ready on 127.0.0.1:$AMQP_PORT (pid $(rabbit_pid))"
}

# The scheduler and the workers log in as users with only the rights they need.
broker_users() {
    rabbit_env
    RABBITMQCTL="$RABBIT_BIN/rabbitmqctl" BATON_AMQP_SCHEDULER_PASSWORD="$SCHEDULER_AMQP_PASSWORD" \
        BATON_AMQP_WORKER_PASSWORD="$WORKER_AMQP_PASSWORD" "$ROOT/scripts/broker-users.sh" >/dev/null
}

stop_rabbitmq() {
    local p; p="$(rabbit_pid)"
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
        kill -TERM "$p"
        for _ in $(seq 1 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        say "RabbitMQ stopped"
    fi
    # epmd outlives the broker; stop the one started for our port only (its port is
    # in its environment, not on its command line).
    local e
    for e in $(pgrep -x epmd 2>/dev/null); do
        if tr '\0' '\n' 2>/dev/null <"/proc/$e/environ" | grep -qx "ERL_EPMD_PORT=$EPMD_PORT"; then
            kill "$e" 2>/dev/null || true
        fi
    done
}

print_env() {
    echo "BATON_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PG_PORT/baton"
    # guest may do anything (tests, benchmarks); the daemons of make run-* use their own users.
    echo "BATON_BROKER_URL=amqp://guest:guest@127.0.0.1:$AMQP_PORT"
    echo "BATON_SCHEDULER_BROKER_URL=amqp://baton-scheduler:$SCHEDULER_AMQP_PASSWORD@127.0.0.1:$AMQP_PORT"
    echo "BATON_WORKER_BROKER_URL=amqp://baton-worker:$WORKER_AMQP_PASSWORD@127.0.0.1:$AMQP_PORT"
    # On loopback the daemons and tests talk in the clear (libpq's default, prefer, would
    # use TLS now that the server offers it); a URL's own sslmode= beats this.
    echo "PGSSLMODE=disable"
    # For the TLS tests (PostgresTLSTests, AMQPTLSTests).
    echo "BATON_TEST_TLS_DIR=$TLS_DIR"
    echo "BATON_TEST_AMQPS_PORT=$AMQPS_PORT"
}

# Deletes what tests and benchmarks leave behind on the project's own services: their
# databases (baton_test_*, bench_*) and queues (agents_<hex>, q_<hex>, bench_*). Each
# test names its own; a run that stops halfway cannot delete them itself.
clean_leftovers() {
    local db q n=0
    for db in $(psql_cmd -tAc "SELECT datname FROM pg_database WHERE datname ~ '^(baton_test|bench)_[0-9a-f]+$'"); do
        psql_cmd -qc "DROP DATABASE \"$db\" WITH (FORCE)" && n=$((n + 1))
    done
    rabbit_env
    # One eval instead of a rabbitmqctl per queue: thousands of queues go in seconds.
    q=$("$RABBIT_BIN/rabbitmqctl" eval 'length([ok || Q <- rabbit_amqqueue:list(),
        nomatch =/= re:run(element(4, amqqueue:get_name(Q)), "^(agents_[0-9a-f]{8}|q_[0-9a-f]{8}|bench_)"),
        begin rabbit_amqqueue:delete(Q, false, false, <<"baton-clean">>), true end]).' 2>/dev/null | tail -1)
    n=$((n + ${q:-0}))
    say "removed $n leftover test databases and queues"
}

case "${1:-}" in
    install) install_packages ;;
    clean) clean_leftovers ;;
    start) install_packages; make_certificates; start_postgres; start_rabbitmq; broker_users ;;
    stop) stop_rabbitmq; stop_postgres ;;
    status)
        if pg_running; then echo "postgresql: running, pid $(pg_pid), port $PG_PORT"; else echo "postgresql: stopped"; fi
        if rabbit_running; then echo "rabbitmq: running, pid $(rabbit_pid), port $AMQP_PORT"; else echo "rabbitmq: stopped"; fi ;;
    env) print_env ;;
    # psql against the project's PostgreSQL, as postgres (scripts/image-test.sh).
    psql) shift; psql_cmd "$@" ;;
    # rabbitmqctl against the project's broker, e.g. list_connections (used by tests).
    rabbitmqctl) shift; rabbit_env; exec "$RABBIT_BIN/rabbitmqctl" "$@" ;;
    *) echo "usage: $0 install|start|stop|status|env|clean|psql ARGS|rabbitmqctl ARGS" >&2; exit 2 ;;
esac
