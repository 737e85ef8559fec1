#!/usr/bin/env bash
# Creates (or updates) Baton's two RabbitMQ users with only the permissions each needs
# (docs/architecture.md, "Broker users"). Idempotent.
#
#   RABBITMQCTL   the rabbitmqctl command to run (default: rabbitmqctl)
#   BATON_QUEUE, BATON_EVENTS_QUEUE                  the names in use (agents, baton.events)
#   BATON_AMQP_SCHEDULER_USER / _PASSWORD, BATON_AMQP_WORKER_USER / _PASSWORD
#   BATON_AMQP_VHOST (default /)
#
# The scheduler may configure, write and read every Baton resource. A worker may
# configure only its own control queue, publish only to the events and dead-letter
# exchanges (never to the default exchange, which would let it put a command on the
# queue), and read only the command queue and the control exchange and queues.
set -euo pipefail
CTL=(${RABBITMQCTL:-rabbitmqctl})
queue="${BATON_QUEUE:-agents}"
events="${BATON_EVENTS_QUEUE:-baton.events}"
vhost="${BATON_AMQP_VHOST:-/}"
scheduler="${BATON_AMQP_SCHEDULER_USER:-baton-scheduler}"
worker="${BATON_AMQP_WORKER_USER:-baton-worker}"
scheduler_password="${BATON_AMQP_SCHEDULER_PASSWORD:?set BATON_AMQP_SCHEDULER_PASSWORD}"
worker_password="${BATON_AMQP_WORKER_PASSWORD:?set BATON_AMQP_WORKER_PASSWORD}"

re() { printf '%s' "$1" | sed 's/[][\.^$*+?(){}|]/\\&/g'; }
q="$(re "$queue")"
e="$(re "$events")"
dead="baton\\.dead"

user() {
    local name="$1" password="$2"
    if "${CTL[@]}" list_users --quiet --no-table-headers 2>/dev/null | cut -f1 | grep -qxF "$name"; then
        "${CTL[@]}" change_password "$name" "$password" >/dev/null
    else
        "${CTL[@]}" add_user "$name" "$password" >/dev/null
    fi
}

user "$scheduler" "$scheduler_password"
"${CTL[@]}" set_permissions -p "$vhost" "$scheduler" \
    "^($q|$e|$dead)(\\..*)?\$" "^(amq\\.default|$q|$e|$dead)(\\..*)?\$" "^($q|$e|$dead)(\\..*)?\$" >/dev/null

user "$worker" "$worker_password"
"${CTL[@]}" set_permissions -p "$vhost" "$worker" \
    "^$q\\.control\\..+\$" "^($e\\.in|$dead|$q\\.text|$q\\.control\\..+)\$" "^($q|$q\\.control|$q\\.control\\..+)\$" >/dev/null
echo "broker users: $scheduler and $worker on vhost $vhost for queues $queue and $events"
