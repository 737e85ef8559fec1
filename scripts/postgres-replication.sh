#!/usr/bin/env bash
# A local PostgreSQL primary and a streaming-replication standby on loopback, for
# running Baton by hand through a database failover (docs/database-failover.md).
# Started under .run/replication/ (git-ignored), stopped by PID; works as root without
# systemd. It runs beside the single server of scripts/services.sh (its own ports and
# folders) and leaves that one alone.
#
#   scripts/postgres-replication.sh start|stop|status|env|clean
#   scripts/postgres-replication.sh kill-primary [N]  SIGKILL every process of the primary
#                                                     (or of node N)
#   scripts/postgres-replication.sh freeze-primary    SIGSTOP them: a server that hangs
#   scripts/postgres-replication.sh isolate-primary   drop its TCP traffic (nft): a partition
#   scripts/postgres-replication.sh heal              remove that partition
#   scripts/postgres-replication.sh promote [N]       promote the standby (or node N)
#                         (these print the time they acted, in seconds since the epoch)
#   scripts/postgres-replication.sh rejoin N          make a dead old primary a standby
#                                                     of the new one (pg_rewind)
#   scripts/postgres-replication.sh psql N ARGS...    psql as postgres on node N
#
# Nodes node1 (127.0.0.1:16440, the first primary) and node2 (127.0.0.1:16441, its
# standby, made with pg_basebackup -R). Ports (override the base in the environment),
# below Linux's ephemeral range like services.sh's: BATON_REPLICATION_PORT=16440.
#
# Replication is synchronous (synchronous_standby_names on the primary names the
# standby, synchronous_commit=on): a commit the primary acknowledges is on the
# standby's disk too, so a failover loses no acknowledged transaction. The flip side:
# a primary whose standby is gone makes every commit wait, forever. A promoted node has
# no standby, so `promote` clears synchronous_standby_names on it (and checks that a
# write commits); `rejoin` names the rejoined node again. BATON_REPLICATION_MODE=async
# (when the pair is made) leaves the standby asynchronous, PostgreSQL's default: commits
# do not wait for it, and a failover loses what it had not replayed yet.
#
# `start` brings back the pair as it was left: the primary on record (node1, or the node
# promoted last) and a standby; an old primary that was never rejoined stays stopped,
# since started it would be a second primary with the history of before the failover.
#
# `env` prints the multi-host URL the daemons take (libpq tries the hosts in order and
# keeps the first that accepts writes: target_session_attrs=read-write), and one URL
# per node for experiments.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${BATON_RUN_DIR:-$ROOT/.run}"
REPL="$RUN/replication"
PORT_BASE="${BATON_REPLICATION_PORT:-16440}"
NODES=(1 2)
PG_BIN="${BATON_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
# PostgreSQL runs as the postgres user, which must be able to reach its folders: as in
# services.sh, when the project lies under a folder it cannot enter the data goes to
# /var/tmp instead, named after the project's path.
PG_ROOT="$REPL"
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$(dirname "$RUN")" 2>/dev/null; then
    PG_ROOT="/var/tmp/baton-replication-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"
fi

say() { printf 'postgres-replication: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

check_node() { case "${1:-}" in 1|2) ;; *) die "no node '${1:-}': N is 1 or 2" ;; esac; }
other() { if [ "$1" = 1 ]; then echo 2; else echo 1; fi; }
node_dir() { echo "$PG_ROOT/node$1"; }
node_data() { echo "$PG_ROOT/node$1/data"; }
node_port() { echo $((PORT_BASE + $1 - 1)); }
node_name() { echo "node$1"; }

node_pid() { [ -f "$(node_data "$1")/postmaster.pid" ] && head -1 "$(node_data "$1")/postmaster.pid" 2>/dev/null || true; }
node_running() { local p; p="$(node_pid "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# psql as postgres over node N's Unix socket (trusted there only). A node that does
# not answer (stopped with SIGSTOP, say) must not hang the script: libpq waits for
# ever by default.
psql_node() {
    local n="$1"; shift
    PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -h "$(node_dir "$n")" -p "$(node_port "$n")" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}
value() { PGCONNECT_TIMEOUT=3 timeout 10 "$PG_BIN/psql" -X -h "$(node_dir "$1")" -p "$(node_port "$1")" -U postgres -d postgres -tAc "$2" 2>/dev/null; }
is_primary() { node_running "$1" && [ "$(value "$1" 'SELECT NOT pg_is_in_recovery()')" = t ]; }
is_standby() { node_running "$1" && [ "$(value "$1" 'SELECT pg_is_in_recovery()')" = t ]; }
# The timeline a node writes (a primary) or receives (a standby); each promotion starts
# a new one. The last checkpoint's would lag behind a promotion.
timeline() {
    value "$1" "SELECT CASE WHEN pg_is_in_recovery()
        THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint()))
        ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END"
}

# The roles' passwords, drawn once and kept under .run/ (root only), like
# broker-passwords.sh: the scheduler's (baton) and the standby's (replicator).
PASSWORDS_FILE="$RUN/replication-passwords"
passwords() {
    if [ ! -f "$PASSWORDS_FILE" ]; then
        mkdir -p "$RUN"
        draw() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
        (umask 077; printf 'BATON_DB_PASSWORD=%s\nREPLICATOR_PASSWORD=%s\n' "$(draw)" "$(draw)" >"$PASSWORDS_FILE")
    fi
    # shellcheck source=/dev/null
    . "$PASSWORDS_FILE"
}

# Settings every node gets, whatever its role, rewritten at each start (the standby's
# data folder is a copy of the primary's, this file included). Its role comes from
# standby.signal; synchronous_standby_names lives in postgresql.auto.conf (ALTER SYSTEM),
# where promote and rejoin change it.
write_settings() {
    local n="$1" data; data="$(node_data "$n")"
    cat >"$data/baton-replication.conf" <<CONF
# Written by scripts/postgres-replication.sh at each start.
listen_addresses = '127.0.0.1'
port = $(node_port "$n")
unix_socket_directories = '$(node_dir "$n")'
cluster_name = '$(node_name "$n")'
max_connections = 200
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
hot_standby = on
# pg_rewind (rejoin) needs hint bits logged; initdb --data-checksums gives that as well.
wal_log_hints = on
synchronous_commit = on
fsync = on
password_encryption = 'scram-sha-256'
log_line_prefix = '%m [%p] %q%u@%d '
log_connections = on
CONF
    grep -q "^include_if_exists = 'baton-replication.conf'" "$data/postgresql.conf" \
        || echo "include_if_exists = 'baton-replication.conf'" >>"$data/postgresql.conf"
    # The postgres user over the socket (this script); the scheduler's role and the
    # standby's over loopback TCP, with passwords.
    cat >"$data/pg_hba.conf" <<HBA
# Written by scripts/postgres-replication.sh.
local   all          postgres                 trust
local   replication  postgres                 trust
host    replication  replicator  127.0.0.1/32 scram-sha-256
host    all          baton       127.0.0.1/32 scram-sha-256
HBA
    chown postgres:postgres "$data/baton-replication.conf" "$data/pg_hba.conf" 2>/dev/null || true
}

launch() {
    local n="$1" dir data port
    dir="$(node_dir "$n")" data="$(node_data "$n")" port="$(node_port "$n")"
    if node_running "$n"; then say "$(node_name "$n") already running (pid $(node_pid "$n")) on port $port"; return; fi
    port_busy "$port" && die "port $port is taken by another program; set BATON_REPLICATION_PORT to a free base"
    write_settings "$n"
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || die "$(node_name "$n") did not start; see $dir/server.log"
    say "$(node_name "$n") ready on 127.0.0.1:$port (pid $(node_pid "$n")), $(role "$n")"
}

role() {
    if ! node_running "$1"; then echo stopped
    elif is_primary "$1"; then echo primary
    elif is_standby "$1"; then echo standby
    else echo "no answer"; fi
}

prepare_dir() {
    mkdir -p "$(node_dir "$1")"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$PG_ROOT" "$(node_dir "$1")"
        chmod 700 "$(node_dir "$1")"
    fi
}

# The node that is the primary, on record: node1 at first, the promoted node after a
# promotion (kept in the pair's folder, as a failover manager keeps it in its store).
current_primary() { cat "$PG_ROOT/primary" 2>/dev/null || echo 1; }
record_primary() { echo "$1" >"$PG_ROOT/primary"; }

# The first primary: initdb, the roles and the database, then (once its standby is
# streaming) synchronous replication.
create_primary() {
    local n=1 data; data="$(node_data 1)"
    prepare_dir "$n"
    as_pg "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --data-checksums >"$(node_dir "$n")/initdb.log" 2>&1 \
        || die "initdb failed; see $(node_dir "$n")/initdb.log"
    record_primary "$n"
    launch "$n"
    # The password goes through psql's variables, quoted by psql (:'name').
    psql_node "$n" -q -v baton_pw="$BATON_DB_PASSWORD" -v repl_pw="$REPLICATOR_PASSWORD" <<'SQL'
CREATE ROLE baton LOGIN PASSWORD :'baton_pw';
CREATE ROLE replicator LOGIN REPLICATION PASSWORD :'repl_pw';
CREATE DATABASE baton OWNER baton;
SQL
}

# A standby of node `from`: pg_basebackup -R writes standby.signal and primary_conninfo
# (with application_name, the name synchronous_standby_names knows it by).
create_standby() {
    local n="$1" from="$2" data; data="$(node_data "$n")"
    prepare_dir "$n"
    rm -rf "$data"
    as_pg env PGPASSWORD="$REPLICATOR_PASSWORD" "$PG_BIN/pg_basebackup" -D "$data" -R -X stream -c fast \
        -d "host=127.0.0.1 port=$(node_port "$from") user=replicator application_name=$(node_name "$n")" \
        >"$(node_dir "$n")/basebackup.log" 2>&1 || die "pg_basebackup failed; see $(node_dir "$n")/basebackup.log"
    # The copy carries the primary's own synchronous_standby_names, which would make the
    # commits of this node, once promoted, wait for a standby it does not have.
    as_pg sed -i '/^synchronous_standby_names/d' "$data/postgresql.auto.conf"
    launch "$n"
}

# Names node `standby` as the primary's synchronous standby, once it streams.
make_synchronous() {
    local primary="$1" standby="$2" name
    name="$(node_name "$standby")"
    if [ "${BATON_REPLICATION_MODE:-sync}" = async ]; then
        say "$(node_name "$primary") replicates asynchronously to $name (BATON_REPLICATION_MODE=async)"
        return
    fi
    for _ in $(seq 1 100); do
        [ "$(value "$primary" "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$name' AND state = 'streaming'")" = 1 ] && break
        sleep 0.1
    done
    psql_node "$primary" -qc "ALTER SYSTEM SET synchronous_standby_names = '$name'" -c "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 1 50); do
        [ "$(value "$primary" "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$name'")" = sync ] && break
        sleep 0.1
    done
    say "$(node_name "$primary") replicates synchronously to $name"
}

start() {
    [ -x "$PG_BIN/pg_basebackup" ] || die "PostgreSQL is not installed; run 'scripts/services.sh install'"
    passwords
    mkdir -p "$PG_ROOT"
    local n
    [ -f "$(node_data "$(current_primary)")/PG_VERSION" ] || create_primary
    # Existing nodes keep their roles (after a promotion node2 is the primary); the
    # primary starts first, so that its standby finds it at once. A node that is
    # neither the primary on record nor a standby is an old primary that was never
    # rejoined: started, it would be a second primary, with the history of before the
    # failover (and, with synchronous_standby_names still set, commits that hang).
    local primary; primary="$(current_primary)"
    launch "$primary"
    for n in "${NODES[@]}"; do
        [ "$n" = "$primary" ] || [ ! -f "$(node_data "$n")/PG_VERSION" ] && continue
        if [ -f "$(node_data "$n")/standby.signal" ]; then
            launch "$n"
        else
            say "$(node_name "$n") is an old primary (the primary is $(node_name "$primary") since a promotion): not started; 'rejoin $n' makes it a standby"
        fi
    done
    local standby; standby="$(other "$primary")"
    if [ ! -f "$(node_data "$standby")/PG_VERSION" ]; then
        is_primary "$primary" || die "$(node_name "$primary") is not a primary: cannot make $(node_name "$standby") from it"
        create_standby "$standby" "$primary"
        make_synchronous "$primary" "$standby"
    fi
    status
}

# SIGINT is PostgreSQL's fast shutdown. The primary first, so that its standby
# receives everything it wrote.
stop() {
    local n p order=()
    for n in "${NODES[@]}"; do is_primary "$n" && order+=("$n"); done
    for n in "${NODES[@]}"; do [[ " ${order[*]} " == *" $n "* ]] || order+=("$n"); done
    for n in "${order[@]}"; do
        p="$(node_pid "$n")"
        if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
            # A frozen node (freeze-primary) handles no signal until it runs again.
            # shellcheck disable=SC2046
            kill -CONT $(node_pids "$n") 2>/dev/null || true
            kill -INT "$p"
            for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$p" 2>/dev/null && die "$(node_name "$n") (pid $p) still running 30 s after SIGINT"
            say "$(node_name "$n") stopped"
        fi
    done
}

# The running primary (by its own word), or nothing.
find_primary() { local n; for n in "${NODES[@]}"; do if is_primary "$n"; then echo "$n"; return; fi; done; }
# The postmaster of node N and its children (every backend, the walsenders).
node_pids() { local p; p="$(node_pid "$1")"; [ -n "$p" ] && echo "$p $(pgrep -P "$p" | tr '\n' ' ')"; }

# A machine that dies: the postmaster and every backend at once, by PID (the
# postmaster's children), so no process of it says goodbye to its clients. With N,
# node N whatever it is (a frozen one, which cannot say it is the primary).
kill_primary() {
    local victim="${1:-}" p pids
    if [ -n "$victim" ]; then check_node "$victim"; node_running "$victim" || die "$(node_name "$victim") is not running"
    else victim="$(find_primary)"; [ -n "$victim" ] || die "no node is a running primary"; fi
    p="$(node_pid "$victim")"
    pids="$(node_pids "$victim")"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    local at; at="$(date +%s.%N | cut -c1-14)"
    # Gone, or a zombie nobody has reaped yet (pg_ctl's child is re-parented): dead either way.
    for _ in $(seq 1 100); do
        case "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" in Z | X | "") break ;; esac
        sleep 0.05
    done
    say "$(node_name "$victim") (primary, pid $p and its $(($(wc -w <<<"$pids") - 1)) children) killed with SIGKILL at $(date -u -d "@$at" +%H:%M:%S.%N | cut -c1-12) UTC"
    # For scripts: when the signal went, in seconds since the epoch.
    echo "$at"
}

# A primary that stops answering but whose sockets stay open (a storage freeze, a
# hung kernel): SIGSTOP to every process. Its clients' kernels still see their
# connections acknowledged; nothing fails, everything waits. End it with
# `kill-primary N` (SIGCONT would bring back a second primary).
freeze_primary() {
    local victim; victim="$(find_primary)"
    [ -n "$victim" ] || die "no node is a running primary"
    # shellcheck disable=SC2046
    kill -STOP $(node_pids "$victim")
    local at; at="$(date +%s.%N | cut -c1-14)"
    say "$(node_name "$victim") (primary) frozen with SIGSTOP at $(date -u -d "@$at" +%H:%M:%S.%N | cut -c1-12) UTC; end it with 'kill-primary $victim'"
    echo "$at"
}

# A network partition around the primary: nftables drops every TCP packet to or from
# its port (its Unix socket, which this script uses, still works). Clients' packets go
# unanswered and unacknowledged: they see a timeout (TCP's retransmissions, ~15 min by
# default), not a refusal. Needs nft (apt-get install nftables); `heal` removes the rule.
NFT_TABLE=baton_replication
isolate_primary() {
    command -v nft >/dev/null || die "isolate-primary needs nft: apt-get install nftables"
    local victim; victim="$(find_primary)"
    [ -n "$victim" ] || die "no node is a running primary"
    local port; port="$(node_port "$victim")"
    nft add table inet "$NFT_TABLE"
    nft add chain inet "$NFT_TABLE" input "{ type filter hook input priority -10; policy accept; }"
    nft add rule inet "$NFT_TABLE" input iifname lo tcp dport "$port" drop
    nft add rule inet "$NFT_TABLE" input iifname lo tcp sport "$port" drop
    local at; at="$(date +%s.%N | cut -c1-14)"
    say "$(node_name "$victim") (primary) cut off: TCP to and from 127.0.0.1:$port dropped from $(date -u -d "@$at" +%H:%M:%S.%N | cut -c1-12) UTC"
    echo "$at"
}
heal() {
    if command -v nft >/dev/null && nft list table inet "$NFT_TABLE" >/dev/null 2>&1; then
        nft delete table inet "$NFT_TABLE"
        say "partition removed"
    fi
}

# Promotes the standby (or node N): pg_ctl promote waits until it accepts writes. It
# has no standby of its own, so synchronous_standby_names is cleared at once: with it
# set, every commit on it would wait for a standby that never comes.
promote() {
    local n="${1:-}"
    if [ -z "$n" ]; then
        for n in "${NODES[@]}"; do is_standby "$n" && break; n=""; done
        [ -n "$n" ] || die "no node is a running standby"
    fi
    check_node "$n"
    is_standby "$n" || die "$(node_name "$n") is not a running standby ($(role "$n"))"
    local other_node; other_node="$(other "$n")"
    if is_primary "$other_node"; then
        say "warning: $(node_name "$other_node") is still a running primary; promoting $(node_name "$n") makes two (split brain)"
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$(node_data "$n")" -w -t 60 promote >/dev/null || die "pg_ctl promote failed; see $(node_dir "$n")/server.log"
    local at; at="$(date +%s.%N | cut -c1-14)"
    record_primary "$n"
    psql_node "$n" -qc "ALTER SYSTEM RESET synchronous_standby_names" -c "SELECT pg_reload_conf()" >/dev/null
    # A commit that waited for a standby would hang here: give it 10 s.
    if ! timeout 10 "$PG_BIN/psql" -X -h "$(node_dir "$n")" -p "$(node_port "$n")" -U postgres -d postgres -qAtc \
        "CREATE TEMP TABLE baton_promote_check (x int); INSERT INTO baton_promote_check VALUES (1)" >/dev/null; then
        die "$(node_name "$n") was promoted but a write did not commit within 10 s; see $(node_dir "$n")/server.log"
    fi
    say "$(node_name "$n") promoted at $(date -u -d "@$at" +%H:%M:%S.%N | cut -c1-12) UTC: primary on timeline $(timeline "$n"), asynchronous (no standby)"
    # For scripts: when pg_ctl promote returned (the node takes writes), in seconds since the epoch.
    echo "$at"
}

# Brings a dead old primary back as a standby of the new one: pg_rewind takes back what
# it wrote that the new primary never had (finishing its crash recovery first), writes
# standby.signal and primary_conninfo; then the new primary replicates to it
# synchronously again. Never start an old primary as it was: it would be a second
# primary, and target_session_attrs=read-write would take the first one in the URL.
rejoin() {
    local n="$1" source; check_node "$n"
    source="$(other "$n")"
    passwords
    is_primary "$source" || die "$(node_name "$source") is not a running primary: nothing to rejoin"
    node_running "$n" && die "$(node_name "$n") is running ($(role "$n")); rejoin is for a stopped old primary"
    [ -f "$(node_data "$n")/PG_VERSION" ] || { create_standby "$n" "$source"; make_synchronous "$source" "$n"; return; }
    # PostgreSQL 15's pg_rewind reads the source's timeline from its last checkpoint:
    # one just promoted must checkpoint first, or the rewind goes back to the wrong
    # timeline and the node cannot start.
    psql_node "$source" -qc "CHECKPOINT"
    rm -f "$(node_data "$n")/postmaster.pid"
    if ! as_pg "$PG_BIN/pg_rewind" -D "$(node_data "$n")" -R \
        --source-server="host=$(node_dir "$source") port=$(node_port "$source") user=postgres dbname=postgres" \
        >"$(node_dir "$n")/rewind.log" 2>&1; then
        say "pg_rewind failed (see $(node_dir "$n")/rewind.log); making $(node_name "$n") again from a base backup"
        create_standby "$n" "$source"
        make_synchronous "$source" "$n"
        return
    fi
    # pg_rewind -R connects as postgres over the socket; the standby streams as replicator
    # over TCP like the first one, under its own name. Its old synchronous_standby_names goes.
    as_pg sed -i '/^primary_conninfo/d; /^synchronous_standby_names/d' "$(node_data "$n")/postgresql.auto.conf"
    as_pg tee -a "$(node_data "$n")/postgresql.auto.conf" >/dev/null <<CONF
primary_conninfo = 'host=127.0.0.1 port=$(node_port "$source") user=replicator password=$REPLICATOR_PASSWORD application_name=$(node_name "$n")'
CONF
    launch "$n"
    make_synchronous "$source" "$n"
}

status() {
    local n r
    for n in "${NODES[@]}"; do
        r="$(role "$n")"
        if [ "$r" = stopped ]; then
            echo "$(node_name "$n"): stopped, port $(node_port "$n")"
            continue
        fi
        echo "$(node_name "$n"): running, pid $(node_pid "$n"), port $(node_port "$n"), $r, timeline $(timeline "$n")"
        if [ "$r" = primary ]; then
            echo "  synchronous_standby_names: '$(value "$n" 'SHOW synchronous_standby_names')'"
            value "$n" "SELECT '  standby ' || application_name || ': ' || state || ', ' || sync_state || ', replay lag ' || coalesce(replay_lag::text, '0') FROM pg_stat_replication" || true
        else
            echo "  receiving from: $(value "$n" "SELECT coalesce((SELECT sender_host || ':' || sender_port || ' (' || status || ')' FROM pg_stat_wal_receiver), 'nobody yet (retrying)')")"
        fi
    done
}

print_env() {
    passwords
    local hosts="127.0.0.1:$(node_port 1),127.0.0.1:$(node_port 2)" user="baton:$BATON_DB_PASSWORD"
    # Every node, in order; libpq keeps the first that accepts writes.
    echo "BATON_POSTGRES_URL=postgres://$user@$hosts/baton?target_session_attrs=read-write"
    # No BATON_ prefix (the daemons warn about BATON_ variables they do not read).
    echo "REPLICATION_STANDBY_FIRST_URL=postgres://$user@127.0.0.1:$(node_port 2),127.0.0.1:$(node_port 1)/baton?target_session_attrs=read-write"
    echo "REPLICATION_NODE1_URL=postgres://$user@127.0.0.1:$(node_port 1)/baton"
    echo "REPLICATION_NODE2_URL=postgres://$user@127.0.0.1:$(node_port 2)/baton"
    # These servers have no TLS; the URLs name loopback only.
    echo "PGSSLMODE=disable"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) print_env ;;
    kill-primary) kill_primary "${2:-}" ;;
    freeze-primary) freeze_primary ;;
    isolate-primary) isolate_primary ;;
    heal) heal ;;
    promote) promote "${2:-}" ;;
    rejoin) rejoin "${2:-}" ;;
    clean) heal; stop; rm -rf "$PG_ROOT" "$PASSWORDS_FILE"; say "removed $PG_ROOT" ;;
    psql) check_node "${2:-}"; n="$2"; shift 2; psql_node "$n" "$@" ;;
    *) echo "usage: $0 start|stop|status|env|kill-primary [N]|freeze-primary|isolate-primary|heal|promote [N]|rejoin N|clean|psql N ARGS" >&2; exit 2 ;;
esac
