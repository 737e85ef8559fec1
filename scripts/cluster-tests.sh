#!/usr/bin/env bash
# The integration suite's broker tests on the local three-node RabbitMQ cluster
# (scripts/rabbitmq-cluster.sh) with one node down: every queue quorum, node 1 stopped
# before the tests start and first in the broker URL, so every connection must find
# another node. PostgreSQL comes from scripts/services.sh as for `make test`.
#
#   scripts/cluster-tests.sh [--keep] [SWIFT-TESTING FILTER]
#
# Builds nothing: run `swift build --build-tests` first. The cluster is stopped at the
# end unless --keep is given. Manual, not in CI: a cluster takes half a minute to start.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
keep=false
if [ "${1:-}" = --keep ]; then keep=true; shift; fi
# Suites that reach the broker through the URL alone, and those that drive it with
# rabbitmqctl (pointed at node 2 below). Left out: TLS (no TLS listener on the cluster),
# permissions (users of the single broker) and the browser, which need no broker change.
filter="${1:-EndToEndTests|WorkerLifecycleTests|BrokerOutageTests|QuorumQueueTests|DeadLetterTests|DuplicateCommandTests|EventPartitionReplicaTests|SchedulerReplicaTests|HeartbeatTests|ZombieWorkerTests|CancelTests|HumanInTheLoopTests|ChildWorkflowTests|AMQPConnectionTests|EventDurabilityTests|CommandReleaseTests|SchedulerCrashTests}"

say() { printf 'cluster-tests: %s\n' "$*" >&2; }

scripts/services.sh start
scripts/rabbitmq-cluster.sh start
$keep || trap 'scripts/rabbitmq-cluster.sh stop' EXIT
scripts/rabbitmq-cluster.sh stop-node 1
say "node 1 is down; running: $filter"

# The services' PostgreSQL and TLS settings, the cluster's broker URLs over them.
environment=()
while IFS= read -r line; do environment+=("$line"); done < <(scripts/services.sh env)
while IFS= read -r line; do environment+=("$line"); done < <(scripts/rabbitmq-cluster.sh env)
started=$(date +%s)
status=0
env "${environment[@]}" BATON_TEST_RABBITMQ_CLUSTER_NODE=2 BATON_TEST_QUEUE_TYPE=quorum \
    swift test --skip-build --filter "$filter" || status=$?
say "$(($(date +%s) - started)) s, exit $status (node 1 down throughout)"
exit $status
