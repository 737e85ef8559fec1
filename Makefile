# Baton — see README.md. Every target that needs PostgreSQL/RabbitMQ starts them
# under .run/ with scripts/services.sh (installing the Debian packages if missing).
SHELL := /bin/bash
SERVICES := scripts/services.sh
SERVICE_ENV = $(shell $(SERVICES) env)
SWIFT_TEST_FLAGS ?=
PEER ?= 0

.PHONY: image-test all build test test-unit simulate services-start services-stop services-status run-scheduler run-worker run-scripted-llm demo format lint clean bench chaos chaos-short

all: build

build: deps
	swift build

deps:
	@$(SERVICES) install

services-start:
	@$(SERVICES) start

services-stop:
	@$(SERVICES) stop

services-status:
	@$(SERVICES) status

# The whole suite against real PostgreSQL and RabbitMQ; services are stopped afterwards
# whether the tests pass or not.
test:
	@$(SERVICES) start
	@$(SERVICES) clean
	@start=$$(date +%s); status=0; \
	env $(SERVICE_ENV) swift test $(SWIFT_TEST_FLAGS) || status=$$?; \
	$(SERVICES) stop; \
	echo "make test: $$(( $$(date +%s) - start )) s, exit $$status"; exit $$status

# Pure tests only (no services needed).
test-unit:
	swift test --skip BatonIntegrationTests

# The scheduler simulation at scale (release build): the production engine, 3 replicas,
# parent/child trees, SEEDS seeds of STEPS steps each, safety and liveness modes. A
# failure prints its seed; BATON_SIM_SEED=N replays it.
SEEDS ?= 500
STEPS ?= 2500
simulate:
	BATON_SIM_SEEDS=$(SEEDS) BATON_SIM_STEPS=$(STEPS) swift test -c release --filter EngineSimulationTests

# Benchmarks, release build (WORKLOADS.md W1, W3, W5 and the graph runtime's overhead).
# Timings live here, never in tests. PEER=1 also runs the peer stack in the same run.
bench:
	@PEER=$(PEER) scripts/bench.sh

# The chaos suite (docs/chaos.md): mixed workflows while workers and schedulers are
# SIGKILLed and RabbitMQ and PostgreSQL restarted, then the guarantees checked.
# SEED=N replays a run. Own service ports (17439, 17572): a make test elsewhere is untouched.
CHAOS_SEED = $(if $(SEED),--seed $(SEED),)
chaos:
	@CHAOS_BUILD=$${CHAOS_BUILD:-debug} scripts/chaos.sh $(CHAOS_SEED) --workflows 300 --duration 540 --faults 40 --settle 240

# The short version CI runs after make test (debug build, reused from the test build).
# Builds docker/Dockerfile with podman and runs the image as a compose stack (minutes;
# as root; not in CI): scripts/image-test.sh.
image-test:
	scripts/image-test.sh

chaos-short:
	@scripts/chaos.sh $(CHAOS_SEED) --workflows 80 --duration 120 --faults 10 --settle 120

# The daemons log in to the broker as their own users (scripts/broker-users.sh).
run-scheduler: services-start
	env $(SERVICE_ENV) bash -c 'BATON_BROKER_URL=$$BATON_SCHEDULER_BROKER_URL exec swift run baton-scheduler --config config/configuration_scheduler.yaml' 

# The development worker: the real agents plus the chain test agent and its test hooks
# (config/dev/). config/configuration_worker.yaml is the production template.
run-worker: services-start
	mkdir -p .run/test-hooks
	env $(SERVICE_ENV) bash -c 'BATON_BROKER_URL=$$BATON_WORKER_BROKER_URL exec swift run baton-worker --config config/dev/configuration_worker.yaml' 

# The scripted OpenAI-compatible test server the default worker configuration points at.
run-scripted-llm:
	swift run baton-scripted-llm --script config/scripted-llm/demo.json --port 18700

# Starts the services, the scripted model, a scheduler and a worker; runs a chain, an
# operations analysis, a reviewed analysis answered from the CLI (with its child
# workflow) and a chat with the assistant; prints reports, usage and KPIs.
demo:
	@scripts/demo.sh

format:
	swift format --in-place --recursive Sources Tests Package.swift

lint:
	swift format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build

# libFuzzer targets (Sources/BatonFuzz) with the address sanitizer, FUZZ_SECONDS each;
# manual, not in CI. Corpora in .run/fuzz/<target>; see docs/fuzzing.md.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh
