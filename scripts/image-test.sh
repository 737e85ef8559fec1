#!/usr/bin/env bash
# make image-test: builds docker/Dockerfile unchanged with podman and runs the image as
# a compose stack (docker/image-test.compose.yml): two schedulers and three workers
# against the project's PostgreSQL and RabbitMQ, workflows submitted, workers scaled to
# five, one worker container killed mid-run; every workflow must complete. Minutes,
# not for CI. As root (rootful podman); the log is .run/image-test/image-test.log.
#
# These machines reach no registry: the Debian base is made with debootstrap and the
# Swift builder from the local toolchain, each tagged with its upstream name so that the
# Dockerfile's FROM lines resolve locally (../shared/notes/platform.md, "Containers").
# SwiftPM in the build reaches the local package mirror through GIT_URL_REWRITE.
#
#   IMAGE_TEST_WORKFLOWS   workflows submitted (default 30)
#   SWIFT_TOOLCHAIN        the toolchain copied into the builder (default: swift's)
#   PACKAGE_MIRROR         the folder git rewrites github.com to (default: git config)
#   IMAGE_TEST_REUSE=1     run the image built before instead of building it again
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$ROOT/.run/image-test"
mkdir -p "$WORK"
LOG="$WORK/image-test.log"
exec > >(tee "$LOG") 2>&1
WORKFLOWS="${IMAGE_TEST_WORKFLOWS:-30}"
IMAGE=localhost/baton:image-test
PROJECT=baton-image-test
began=$(date +%s)
say() { echo "image-test $(date +%T) (+$(($(date +%s) - began)) s): $*"; }
die() { say "FAILED: $*"; exit 1; }

# --- tools and podman's configuration ---------------------------------------------
missing=()
for tool in podman buildah debootstrap docker-compose curl; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]/docker-compose/docker-compose}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman buildah debootstrap docker-compose curl >/dev/null
fi
# Default ulimits the VM allows (root cannot raise hard limits here); no systemd; runc,
# since crun refuses this machine's hybrid cgroups.
cat >"$WORK/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF="$WORK/containers.conf"

# --- stand-ins for the Dockerfile's base images ------------------------------------
if ! podman image exists docker.io/library/debian:bookworm-slim; then
    say "making the Debian base with debootstrap"
    mirror=$(grep -h -m1 '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}')
    rootfs="$WORK/rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc \
        "$rootfs"/usr/share/man "$rootfs"/usr/share/locale
    # The image's apt reads the same mirror as this machine's.
    echo "deb ${mirror:-http://deb.debian.org/debian} bookworm main" >"$rootfs/etc/apt/sources.list"
    tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - localhost/debian:bookworm-slim >/dev/null
    podman tag localhost/debian:bookworm-slim docker.io/library/debian:bookworm-slim
    rm -rf "$rootfs"
fi
if ! podman image exists docker.io/library/swift:6.3-bookworm; then
    toolchain="${SWIFT_TOOLCHAIN:-$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")}"
    say "making the Swift builder from $toolchain"
    cat >"$WORK/Containerfile.swift" <<'FILE'
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      git gcc libc6-dev binutils libstdc++-12-dev libxml2-dev zlib1g-dev tzdata ca-certificates \
      libcurl4-openssl-dev libpq-dev librabbitmq-dev pkg-config libedit2 libsqlite3-0 libncurses6 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=swifttc . /opt/swift/
ENV PATH=/opt/swift/usr/bin:$PATH
FILE
    podman build --pull=never --build-context swifttc="$toolchain" -f "$WORK/Containerfile.swift" \
        -t docker.io/library/swift:6.3-bookworm "$WORK" >"$WORK/builder-build.log"
fi

# --- the image, from the real Dockerfile ---------------------------------------------
package_mirror="${PACKAGE_MIRROR:-$(git config --get-regexp '^url\..*\.insteadof$' | awk '$2 == "https://github.com/" {print $1}' | sed 's/^url\.//; s/\.insteadof$//' | head -1)}"
[ -d "$package_mirror" ] || die "no package mirror found (set PACKAGE_MIRROR)"
if [ -n "${IMAGE_TEST_REUSE:-}" ] && podman image exists "$IMAGE"; then
    say "IMAGE_TEST_REUSE: running the image already built ($(podman image inspect "$IMAGE" --format '{{.Created}}'))"
else
say "building docker/Dockerfile (packages from $package_mirror)"
build_began=$(date +%s)
podman build --pull=never --format docker -f "$ROOT/docker/Dockerfile" -t "$IMAGE" \
    --build-arg GIT_URL_REWRITE=/mirror/ -v "$package_mirror:/mirror:ro" "$ROOT" >"$WORK/image-build.log" 2>&1 \
    || { tail -30 "$WORK/image-build.log"; die "the image did not build (see $WORK/image-build.log)"; }
say "image built in $(($(date +%s) - build_began)) s: $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"
fi
user=$(podman image inspect "$IMAGE" --format '{{.Config.User}}')
health=$(podman image inspect "$IMAGE" --format '{{json .HealthCheck}}')
say "image user $user, health check $health"
[ "$user" = "10001:10001" ] || die "the image runs as '$user', not the baton user"
podman run --rm "$IMAGE" baton --help >/dev/null || die "the CLI does not start in the image"

# --- the stack ---------------------------------------------------------------------
"$ROOT/scripts/services.sh" start >/dev/null
eval "$("$ROOT/scripts/services.sh" env | sed 's/^/export /')"
db="baton_image_test_$(date +%s)"
PG_URL_BASE="${BATON_POSTGRES_URL%/*}"
podman run --rm --network host "$IMAGE" true  # host networking works
"$ROOT/scripts/services.sh" psql -c "CREATE DATABASE $db" >/dev/null 2>&1 \
    || die "could not create database $db"
export BATON_POSTGRES_URL="$PG_URL_BASE/$db"
keys=$(podman run --rm "$IMAGE" baton keys generate --name admin --roles admin --shell)
export BATON_ADMIN_KEY_SHA256=$(echo "$keys" | sed -n 's/^BATON_ADMIN_KEY_SHA256=//p')
API_KEY=$(echo "$keys" | sed -n 's/^BATON_API_KEY=//p')

SOCKET="$WORK/podman.sock"
rm -f "$SOCKET"
podman system service --time=0 "unix://$SOCKET" &
service_pid=$!
export DOCKER_HOST="unix://$SOCKET"
# podman 4.3 runs health checks from systemd timers; without systemd, this loop does.
(while sleep 3; do
    for c in $(podman ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}'); do
        podman healthcheck run "$c" >/dev/null 2>&1 || true
    done
done) &
health_pid=$!
compose() { docker-compose -p "$PROJECT" -f "$ROOT/docker/image-test.compose.yml" "$@"; }
cleanup() {
    compose down --timeout 40 >/dev/null 2>&1 || true
    kill "$health_pid" "$service_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do [ -S "$SOCKET" ] && break; sleep 0.2; done

compose down --timeout 5 >/dev/null 2>&1 || true  # what an interrupted run left
say "starting 2 schedulers and 3 workers"
compose up -d --scale worker=3 >/dev/null
api() { curl -fsS -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' "$@"; }
for port in 18080 18081; do
    for _ in $(seq 120); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 1; done
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || die "the scheduler on $port is not ready"
done
for _ in $(seq 60); do
    [ "$(api http://127.0.0.1:18080/v1/agents | grep -o '"name":"chain"' | head -1)" ] && break
    sleep 1
done
say "stack up: $(compose ps | tail -n +3 | wc -l) containers"

say "submitting $WORKFLOWS workflows (chain, 40 steps of 500 ms: 20 s each)"
ids=()
for i in $(seq "$WORKFLOWS"); do
    port=$((18080 + i % 2))  # both schedulers take submissions
    body='{"agent":"chain","input":{"steps":40,"sleep_ms":500}}'
    id=$(api -X POST "http://127.0.0.1:$port/v1/workflows" -d "$body" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
    [ -n "$id" ] || die "submission $i refused"
    ids+=("$id")
done

sleep 3
say "scaling workers to 5"
compose up -d --no-recreate --scale worker=5 worker >/dev/null
sleep 2
victim=$(podman ps --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=worker" --format '{{.Names}}' | head -1)
running=$(for id in "${ids[@]}"; do api "http://127.0.0.1:18080/v1/workflows/$id" | grep -c '"status":"running"'; done | paste -sd+ | bc)
say "killing worker container $victim ($running of ${#ids[@]} workflows running)"
podman kill --signal KILL "$victim" >/dev/null
killed_at=$(date +%s)

deadline=$(($(date +%s) + 300))
while :; do
    done_count=0; failed=0
    for id in "${ids[@]}"; do
        status=$(api "http://127.0.0.1:18080/v1/workflows/$id" | sed -n 's/.*"status":"\([^"]*\)".*/\1/p')
        case "$status" in completed) done_count=$((done_count + 1)) ;; failed|cancelled|timed_out) failed=$((failed + 1)) ;; esac
    done
    [ $((done_count + failed)) -eq "${#ids[@]}" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || die "$done_count of ${#ids[@]} completed after 300 s"
    sleep 2
done
say "all finished $(($(date +%s) - killed_at)) s after the kill: $done_count completed, $failed failed"
restarted=$(podman inspect "$victim" --format '{{.RestartCount}}' 2>/dev/null || echo "?")
say "killed worker's restarts: $restarted; containers now:"
compose ps
say "health: $(for c in $(podman ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}'); do echo -n "$c=$(podman inspect "$c" --format '{{.State.Health.Status}}') "; done)"
[ "$failed" -eq 0 ] || die "$failed workflows did not complete"
say "passed"
