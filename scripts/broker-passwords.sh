# shellcheck shell=bash
# Sourced by services.sh and rabbitmq-cluster.sh (RUN set): the local broker users'
# passwords, drawn once per checkout and kept under .run/, so that one set of
# credentials works on either broker. Sets SCHEDULER_AMQP_PASSWORD, WORKER_AMQP_PASSWORD.
PASSWORDS_FILE="$RUN/broker-passwords"
if [ ! -f "$PASSWORDS_FILE" ]; then
    mkdir -p "$RUN"
    draw() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
    (umask 077; printf 'SCHEDULER_AMQP_PASSWORD=%s\nWORKER_AMQP_PASSWORD=%s\n' "$(draw)" "$(draw)" >"$PASSWORDS_FILE")
fi
# shellcheck source=/dev/null
. "$PASSWORDS_FILE"
