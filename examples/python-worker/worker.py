#!/usr/bin/python3 -B
"""A Baton worker in Python: serves the `chain` agent over AMQP, written from
docs/contracts (the JSON Schemas and README.md), not from the Swift code.

    PYTHONDONTWRITEBYTECODE=1 python3 worker.py [--broker-url URL] [--queue agents]
        [--events-queue baton.events] [--concurrency 4] [--agent chain] ...

Every command is validated against docs/contracts/command.schema.json as a tolerant reader
(unknown fields allowed); an unreadable one is dead-lettered with the reason. Every message
this worker publishes is validated against its schema, closed, before it leaves: a message
that does not fit is a bug here, and the worker stops (exit 3) rather than send it.

One thread, one event loop: a command connection (commands, this worker's control queue)
and an events connection (publisher confirms), each a pika BlockingConnection driven from
the loop; an activity is a small state machine the loop advances, so heartbeats go out
while a step "works" (sleeps), independent of the step.

The agent is the Swift `chain` agent's twin (Sources/BatonAgents/ChainAgent.swift): input
{"steps": 1..1000 (5), "sleep_ms": 0..3600000 (0), "ask_at": 0..999, "payload_bytes":
0..16384, "exec_log", "hold_at", "hold_file"}; node step_i appends {node, attempt[, payload]}
to state.steps; one checkpoint per step, with the same numbering and shape as the Swift
graph's, so that a Swift worker can resume what this one checkpointed, and the other way
round; the result is the final state {"steps": [...]}.
"""

import argparse
import json
import os
import random
import signal
import socket
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ next to the schemas

import pika  # noqa: E402
import pika.exceptions  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

DEFAULT_LIMITS = {"maxCheckpointBytes": 4 * 1024 * 1024, "maxResultBytes": 1024 * 1024,
                  "maxInterruptBytes": 256 * 1024}
MAXIMUM_MESSAGE_BYTES = 8 * 1024 * 1024
STATUS_INTERVAL = 15.0
MAXIMUM_PAYLOAD_BYTES = 16384

CHAIN_SUMMARY = "A chain of steps that call no model: for tests, benchmarks and trying a deployment out."
CHAIN_INPUT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "steps": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 5},
        "sleep_ms": {"type": "integer", "minimum": 0, "maximum": 3600000, "default": 0,
                     "description": "How long each step sleeps, in place of a model call."},
        "ask_at": {"type": "integer", "minimum": 0, "maximum": 999,
                   "description": "The step that asks a person to go on."},
        "payload_bytes": {"type": "integer", "minimum": 0, "maximum": MAXIMUM_PAYLOAD_BYTES,
                          "description": "Bytes each step adds to the state."},
        "exec_log": {"type": "string", "minLength": 1, "maxLength": 255,
                     "description": "Test hook: a file in the worker's test_hooks_folder that logs every step run."},
        "hold_at": {"type": "integer", "minimum": 0, "maximum": 999,
                    "description": "Test hook: the step that waits for hold_file."},
        "hold_file": {"type": "string", "minLength": 1, "maxLength": 255,
                      "description": "Test hook: a file in the worker's test_hooks_folder whose creation lets step hold_at go on."},
    },
}


def log(message, **fields):
    extra = " ".join("%s=%s" % (key, json.dumps(value) if not isinstance(value, str) else value)
                     for key, value in fields.items())
    sys.stderr.write("%s python-worker %s %s\n" % (time.strftime("%H:%M:%S"), message, extra))
    sys.stderr.flush()


def load_contracts(folder):
    sys.path.insert(0, folder)
    import validate  # docs/contracts/validate.py
    return validate.Contracts(folder)


class BrokerGone(Exception):
    """The events connection could not be restored in time."""


class InputError(Exception):
    pass


class ContractBug(Exception):
    """A message this worker built does not fit its schema."""


def encode(message):
    # Compact, keys sorted, UTF-8 (the Swift writer's form; any JSON form is read).
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                      allow_nan=False).encode("utf-8")


def payload(size, step):
    """ChainAgent.payload: `size` characters from SplitMix64 seeded by the step."""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    mask = (1 << 64) - 1
    state = (step + 0x5EED) & mask
    out = bytearray()
    while len(out) < size:
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        for shift in range(0, 60, 6):
            if len(out) >= size:
                break
            out.append(alphabet[(z >> shift) & 63])
    return out.decode("ascii")


def integer(value, field, default, low, high):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not low <= int(value) <= high:
        raise InputError("'%s' must be a whole number between %d and %d" % (field, low, high))
    return int(value)


class Events:
    """The events connection: publisher confirms, reconnects, holds each message until
    the broker confirmed it (up to `outage` seconds), validates before it sends."""

    def __init__(self, worker):
        self.worker = worker
        self.connection = None
        self.channel = None

    def open(self):
        parameters = pika.URLParameters(self.worker.options.broker_url)
        parameters.client_properties = {"connection_name": "python-worker %s events" % self.worker.worker_id}
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def close(self):
        try:
            if self.connection and self.connection.is_open:
                self.connection.close()
        except Exception:
            pass
        self.connection = None

    def service(self):
        """Answers the broker's heartbeats while nothing is published."""
        try:
            if self.connection and self.connection.is_open:
                self.connection.process_data_events(0)
        except pika.exceptions.AMQPError:
            self.close()

    def publish(self, schema, message, routing_key, exchange=None, persistent=True, headers=None,
                check=True):
        body = encode(message) if not isinstance(message, bytes) else message
        if check:
            problems = self.worker.contracts.errors(schema, body)
            if problems:
                raise ContractBug("%s does not fit %s.schema.json: %s" % (message, schema, "; ".join(problems)))
        properties = pika.BasicProperties(content_type="application/json", delivery_mode=2 if persistent else 1,
                                          headers=headers)
        exchange = self.worker.events_exchange if exchange is None else exchange
        deadline = time.monotonic() + self.worker.options.broker_outage_seconds
        delay = 0.1
        while True:
            try:
                if self.connection is None or not self.connection.is_open:
                    self.open()
                self.channel.basic_publish(exchange, routing_key, body, properties, mandatory=True)
                self.worker.worker_record("sent", exchange, routing_key, body)
                return
            except (pika.exceptions.UnroutableError, pika.exceptions.NackError) as error:
                # The broker has the exchange but not the binding, or refused: not transient.
                raise BrokerGone("the broker refused a message to %s/%s: %s" % (exchange, routing_key, error))
            except (pika.exceptions.AMQPError, OSError) as error:
                self.close()
                if time.monotonic() + delay > deadline:
                    raise BrokerGone("events could not be published for %.0f s: %s"
                                     % (self.worker.options.broker_outage_seconds, error))
                log("events connection lost; retrying", error=str(error), retry_in=delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)


class Activity:
    """One attempt of a `chain` workflow."""

    def __init__(self, worker, command, delivery_tag, redelivered_copy=False):
        self.worker = worker
        self.command = command
        self.workflow_id = command["workflowId"]
        self.attempt = command["attempt"]
        self.key = (self.workflow_id, self.attempt)
        self.delivery_tag = delivery_tag  # None once released (or after a reconnection)
        self.received_at = time.monotonic()
        self.routing_key = command.get("eventsRoutingKey") or worker.options.events_queue
        self.limits = command.get("limits") or DEFAULT_LIMITS
        self.deltas = command.get("acceptsStateDeltas") is True
        interval = command["heartbeatIntervalSeconds"]
        self.heartbeat_interval = min(max(interval, 0.5), 3600.0)
        self.next_heartbeat = time.monotonic() + self.heartbeat_interval
        self.cancelled = False
        self.pause_requested = False
        self.finished = False
        self.progress = None
        self.due = None  # when the running step's work is done
        self.holding = False

    # -- events ------------------------------------------------------------------------

    def event(self, kind, **fields):
        message = {"version": 1, "type": kind, "eventId": str(uuid.uuid4()).upper(),
                   "workflowId": self.workflow_id, "attempt": self.attempt, "workerId": self.worker.worker_id}
        if self.command.get("leaseToken") is not None:
            message["leaseToken"] = self.command["leaseToken"]
        message.update(fields)
        return message

    def emit(self, kind, persistent=True, **fields):
        message = self.event(kind, **fields)
        size = len(encode(message))
        limit, failure_kind, setting = {
            "checkpointed": (self.limits["maxCheckpointBytes"], "checkpoint_too_large", "limits.max_checkpoint_bytes"),
            "completed": (self.limits["maxResultBytes"], "result_too_large", "limits.max_result_bytes"),
            "interrupted": (self.limits["maxInterruptBytes"], "interrupt_too_large", "limits.max_interrupt_bytes"),
        }.get(kind, (MAXIMUM_MESSAGE_BYTES, "event_too_large", ""))
        if size > min(limit, MAXIMUM_MESSAGE_BYTES):
            kind_used = failure_kind if limit <= MAXIMUM_MESSAGE_BYTES else "event_too_large"
            self.fail(kind_used, "%s event of %d bytes is over %d bytes (%s)" % (kind, size, limit, setting or
                                                                                "the message limit"), False)
            return False
        self.worker.events.publish(kind, message, self.routing_key, persistent=persistent)
        return True

    def fail(self, kind, message, retryable):
        self.worker.events.publish("failed", self.event(
            "failed", failure={"kind": kind, "message": message, "retryable": retryable}), self.routing_key)
        self.end("failed (%s)" % kind)

    def end(self, outcome):
        self.finished = True
        log("activity ended", workflow=self.workflow_id, attempt=self.attempt, outcome=outcome)
        self.worker.activity_ended(self)

    # -- the agent -----------------------------------------------------------------------

    def start(self):
        self.emit("started")
        if self.command["agent"] != self.worker.options.agent:
            self.fail("unknown_agent", "this worker has no agent named '%s'; it has: %s"
                      % (self.command["agent"], self.worker.options.agent), False)
            return
        try:
            self.read_input()
            self.resume()
        except InputError as error:
            self.fail("invalid_input", str(error), False)
            return
        log("activity started", workflow=self.workflow_id, attempt=self.attempt,
            resume_step=self.step, next_node=self.index)
        self.begin_node()

    def read_input(self):
        given = self.command["input"]
        given = given if isinstance(given, dict) else {}
        self.total = integer(given.get("steps"), "steps", 5, 1, 1000)
        self.sleep = integer(given.get("sleep_ms"), "sleep_ms", 0, 0, 3600000) / 1000.0
        self.ask_at = integer(given.get("ask_at"), "ask_at", None, 0, 999) if "ask_at" in given else None
        self.payload_bytes = (integer(given.get("payload_bytes"), "payload_bytes", 0, 0, MAXIMUM_PAYLOAD_BYTES)
                              if "payload_bytes" in given else None)
        self.hold_at = integer(given.get("hold_at"), "hold_at", None, 0, 999) if "hold_at" in given else None
        self.exec_log = self.hook_path(given, "exec_log")
        self.hold_file = self.hook_path(given, "hold_file")
        if (self.hold_at is None) != (self.hold_file is None):
            raise InputError("'hold_at' and 'hold_file' go together: give both or neither")

    def hook_path(self, given, field):
        if field not in given:
            return None
        folder = self.worker.options.test_hooks_folder
        if not folder:
            raise InputError("'%s' is a test hook, and this worker does not enable test hooks "
                             "(--test-hooks-folder)" % field)
        name = given[field]
        if not isinstance(name, str) or not name or name.startswith(".") or "/" in name or ".." in name:
            raise InputError("'%s' must be a plain file name, inside the worker's test hooks folder" % field)
        return os.path.join(folder, name)

    def resume(self):
        checkpoint = self.command.get("checkpoint")
        self.answer_pending = None
        if checkpoint is None:
            self.step, self.superstep, self.index, self.steps = 0, 0, 0, []
            self.sent = None  # no base: the first checkpoint goes whole
            self.usage = None
            return
        state = checkpoint.get("state")
        if not isinstance(state, dict) or not isinstance(state.get("steps", []), list):
            raise InputError("the checkpoint's state is not a chain's state")
        nodes = checkpoint["nextNodes"]
        if nodes and (len(nodes) != 1 or not nodes[0].startswith("step_") or not nodes[0][5:].isdigit()):
            raise InputError("the checkpoint names nodes %s, which this chain does not have" % nodes)
        self.step = checkpoint["step"]
        self.superstep = checkpoint.get("superstep")
        self.superstep = self.step if self.superstep is None else self.superstep
        if self.step < 0 or self.superstep < 0:
            raise InputError("the checkpoint's number or super-step count is negative")
        self.steps = list(state.get("steps", []))
        self.index = int(nodes[0][5:]) if nodes else self.total
        if self.index > self.total:
            raise InputError("the checkpoint names node %s, which this chain does not have" % nodes[0])
        self.usage = checkpoint.get("usage")
        self.sent = (self.step, state)
        interrupt = checkpoint.get("interrupt")
        if interrupt is not None and "humanInput" in self.command:
            self.answer_pending = (interrupt["task"], interrupt["key"], self.command["humanInput"])

    def begin_node(self):
        """Starts node step_<index>, or completes when the chain has run them all."""
        if self.index >= self.total:
            self.complete()
            return
        node = "step_%d" % self.index
        self.progress = {"node": node, "step": self.superstep}
        if self.exec_log:
            with open(self.exec_log, "a") as file:
                file.write("%s %s %d\n" % (self.workflow_id, node, self.attempt))
        self.holding = self.hold_at == self.index
        self.due = None if self.holding else time.monotonic() + self.sleep

    def tick(self, now):
        """Advances the activity: a heartbeat when one is due, the running node when its
        work is done (one node per tick, so that the loop hears cancellations between)."""
        if self.finished:
            return
        if self.cancelled:
            self.fail("cancelled", "the activity was cancelled", False)
            return
        if now >= self.next_heartbeat:
            self.next_heartbeat = now + self.heartbeat_interval
            fields = {"progress": self.progress} if self.progress else {}
            self.emit("heartbeat", persistent=False, **fields)
        if self.holding:
            if not os.path.exists(self.hold_file):
                return
            self.holding = False
            self.due = time.monotonic() + self.sleep
        if self.due is not None and time.monotonic() >= self.due:
            self.finish_node()

    def wake_in(self, now):
        """Seconds until this activity has something to do."""
        if self.finished or self.cancelled:
            return 0.0
        wake = self.next_heartbeat - now
        if self.holding:
            wake = min(wake, 0.05)
        elif self.due is not None:
            wake = min(wake, self.due - now)
        return max(0.0, wake)

    def finish_node(self):
        node = "step_%d" % self.index
        if self.index == self.ask_at:
            key = "interrupt#0"
            if self.answer_pending and self.answer_pending[:2] == (node, key):
                # Answered: journaled inside the step, as the Swift graph does, then the step ends.
                answer = self.answer_pending[2]
                self.answer_pending = None
                if not self.checkpoint(journal={node: {key: answer}}):
                    return
            else:
                request = {"title": "Continue?", "question": "Step %d waits for a go-ahead." % self.index,
                           "choices": [{"id": "go", "label": "Go on"}], "allowsFreeText": True}
                if not self.checkpoint(interrupt={"task": node, "key": key, "request": request}):
                    return
                if self.emit("interrupted", request=request):
                    self.end("interrupted")
                return
        record = {"node": node, "attempt": self.attempt}
        if self.payload_bytes is not None:
            record["payload"] = payload(self.payload_bytes, self.index)
        self.steps.append(record)
        self.index += 1
        self.superstep += 1
        self.due = None
        if self.index >= self.total:
            # The graph's last checkpoint: whole (the scheduler then keeps it alone at the end).
            if not self.checkpoint(whole=True, added=[record]):
                return
            self.complete()
            return
        if not self.checkpoint(added=[record]):
            return
        if self.worker.draining or self.pause_requested:
            if self.emit("handed_back"):
                self.end("handed back (%s)" % ("paused" if self.pause_requested else "draining"))
            return
        self.begin_node()

    def checkpoint(self, whole=False, added=(), journal=None, interrupt=None):
        """Publishes the next checkpoint (confirmed before the next step starts)."""
        state = {"steps": list(self.steps)}
        self.step += 1
        checkpoint = {"step": self.step, "superstep": self.superstep, "parentStep": self.step - 1,
                      "nextNodes": ["step_%d" % self.index] if self.index < self.total else [],
                      "state": state}
        if journal is not None:
            checkpoint["journal"] = journal
        if interrupt is not None:
            checkpoint["interrupt"] = interrupt
        if self.usage is not None:
            checkpoint["usage"] = self.usage
        sent = checkpoint
        if self.deltas and self.sent is not None and not whole:
            base_step, base_state = self.sent
            if base_state.get("steps", []) == self.steps[:len(self.steps) - len(added)]:
                changes = [{"op": "append", "field": "steps", "items": list(added)}] if added else []
            else:  # started from another state than the one sent last: compare
                changes = [{"op": "set", "field": "steps", "value": list(self.steps)}]
            if len(encode(changes)) < len(encode(state)):
                sent = dict(checkpoint, state=None, stateDelta=changes, baseStep=base_step)
        if not self.emit("checkpointed", checkpoint=sent):
            return False
        self.sent = (self.step, state)
        return True

    def complete(self):
        if self.emit("completed", output={"steps": list(self.steps)}):
            self.end("completed")


class Worker:
    def __init__(self, options):
        self.options = options
        self.record_file = open(options.record, "a") if options.record else None
        self.contracts = load_contracts(options.contracts)
        self.worker_id = options.worker_id or "py-%s-%d-%s" % (socket.gethostname(), os.getpid(),
                                                                uuid.uuid4().hex[:8])
        self.events_exchange = options.events_queue + ".in"
        self.control_exchange = options.queue + ".control"
        self.control_queue = "%s.%s" % (self.control_exchange, self.worker_id)
        self.events = Events(self)
        self.activities = {}  # (workflowId, attempt) -> Activity
        self.connection = None
        self.channel = None
        self.consumer_tag = None
        self.consumer_limit = None
        self.opened_at = None
        self.draining = False
        self.drain_started = None
        self.stop_now = False
        self.drain_requested = False

    def worker_record(self, direction, exchange, routing_key, body):
        """--record: one JSON line per message received or sent, for debugging."""
        if self.record_file:
            self.record_file.write(json.dumps({"direction": direction, "exchange": exchange,
                                               "routing_key": routing_key,
                                               "body": body.decode("utf-8", "replace")}) + "\n")
            self.record_file.flush()

    # -- reports -------------------------------------------------------------------------

    def status(self, stopping):
        message = {"version": 1, "type": "worker_status", "workerId": self.worker_id,
                   "agents": [self.options.agent],
                   "descriptors": [{"name": self.options.agent, "summary": CHAIN_SUMMARY,
                                    "inputSchema": CHAIN_INPUT_SCHEMA}],
                   "concurrency": self.options.concurrency, "stopping": stopping}
        self.events.publish("worker_status", message, self.options.events_queue)

    # -- the command connection -------------------------------------------------------------

    def connect(self):
        parameters = pika.URLParameters(self.options.broker_url)
        parameters.client_properties = {"connection_name": "python-worker %s commands" % self.worker_id}
        self.connection = pika.BlockingConnection(parameters)
        self.opened_at = time.monotonic()
        self.channel = self.connection.channel()
        self.channel.basic_qos(prefetch_count=self.options.concurrency)
        self.channel.queue_declare(self.control_queue, durable=False, exclusive=True, auto_delete=True)
        self.channel.queue_bind(self.control_queue, self.control_exchange, routing_key="")
        self.channel.basic_consume(self.control_queue, self.on_message)
        self.consumer_tag = None
        self.adjust_consumer()

    def adjust_consumer(self):
        """Prefetch = the slots the broker may fill: concurrency less the activities whose
        commands were released (acknowledged while they still run). RabbitMQ applies a new
        prefetch to new consumers only, so the consumer is replaced when that changes."""
        released = sum(1 for a in self.activities.values() if a.delivery_tag is None)
        limit = 0 if self.draining else self.options.concurrency - released
        if limit == self.consumer_limit and (self.consumer_tag is not None or limit <= 0):
            return
        if self.consumer_tag is not None:
            self.channel.basic_cancel(self.consumer_tag)
            self.consumer_tag = None
        self.consumer_limit = limit
        if limit > 0:
            self.channel.basic_qos(prefetch_count=limit)
            self.consumer_tag = self.channel.basic_consume(self.options.queue, self.on_message)

    def on_message(self, channel, method, properties, body):
        source = self.options.queue
        self.worker_record("received", method.exchange, method.routing_key, body)
        problems = self.contracts.errors("command", body, open_reading=True)
        if problems:
            reason = "malformed message: " + "; ".join(problems)
            log("dead-lettering a command that cannot be read", reason=reason[:300])
            headers = {k: v for k, v in (properties.headers or {}).items() if isinstance(v, str)}
            headers.update({"x-baton-dead-letter-reason": reason[:4096], "x-baton-source-queue": source})
            problems = self.contracts.errors("dead_letter_headers", headers)
            if problems:
                raise ContractBug("dead-letter headers %s do not fit: %s" % (headers, "; ".join(problems)))
            self.events.publish("dead_letter_headers", body, source + ".dead", exchange="baton.dead",
                                headers=headers, check=False)
            channel.basic_ack(method.delivery_tag)
            return
        command = json.loads(body)
        kind = command["type"]
        key = (command["workflowId"], command["attempt"])
        if kind == "cancel_activity":
            activity = self.activities.get(key)
            if activity and command.get("workerId") in (None, self.worker_id):
                log("cancelling activity", workflow=key[0], attempt=key[1])
                activity.cancelled = True
            channel.basic_ack(method.delivery_tag)
        elif kind == "pause_activity":
            activity = self.activities.get(key)
            if activity and command["workerId"] == self.worker_id:
                log("pausing activity at its next checkpoint", workflow=key[0], attempt=key[1])
                activity.pause_requested = True
            channel.basic_ack(method.delivery_tag)
        else:
            self.accept(command, method, channel)

    def accept(self, command, method, channel):
        key = (command["workflowId"], command["attempt"])
        if key in self.activities:
            # Our own command again (after a reconnection) or an outbox re-send: it runs here.
            log("a command for an activity this worker runs came again; it goes on", workflow=key[0])
            channel.basic_ack(method.delivery_tag)
            return
        probe = Activity(self, command, None)
        if method.redelivered:
            # The worker that held it lost its connection: say so, with how long this
            # connection has been open (after one round trip, in case it is closing).
            channel.basic_qos(prefetch_count=max(self.consumer_limit or 1, 1))
            age = max(0.0, time.monotonic() - self.opened_at)
            log("command redelivered; handing it back to the scheduler", workflow=key[0], attempt=key[1],
                connection_age_s=round(age, 3))
            probe.emit("redelivered", connectionAgeSeconds=age)
            channel.basic_ack(method.delivery_tag)
            return
        if self.draining:
            probe.emit("handed_back")
            channel.basic_ack(method.delivery_tag)
            return
        activity = Activity(self, command, method.delivery_tag)
        self.activities[key] = activity
        activity.start()

    def activity_ended(self, activity):
        self.activities.pop(activity.key, None)
        if activity.delivery_tag is not None:
            try:
                self.channel.basic_ack(activity.delivery_tag)
            except pika.exceptions.AMQPError as error:
                log("could not acknowledge a finished command", error=str(error))
        activity.delivery_tag = None

    def release_held_commands(self):
        """A command held for command_hold_seconds is acknowledged (the broker would take it
        back after its consumer_timeout and hand it to another worker): from then on the
        scheduler's heartbeat timeout is what finds a dead worker."""
        now = time.monotonic()
        due = [a for a in self.activities.values()
               if a.delivery_tag is not None and now - a.received_at >= self.options.command_hold_seconds]
        if not due:
            return
        tags = []
        for activity in due:
            tags.append(activity.delivery_tag)
            activity.delivery_tag = None
        # The replacement consumer first (its prefetch leaves the released ones out): each
        # acknowledgement would otherwise free a slot of the old one for another command.
        self.adjust_consumer()
        for tag in tags:
            self.channel.basic_ack(tag)
        log("acknowledged the commands of activities running longer than command_hold_seconds",
            commands=len(due))

    # -- the loop --------------------------------------------------------------------------

    def run(self):
        self.events.open()
        self.status(stopping=False)
        self.open_commands(first=True)
        log("worker ready", worker=self.worker_id, queue=self.options.queue, events=self.options.events_queue,
            agent=self.options.agent, concurrency=self.options.concurrency)
        next_status = time.monotonic() + STATUS_INTERVAL
        failures = 0
        while True:
            try:
                if self.connection is None:
                    self.open_commands(first=False)
                    failures = 0
                if self.drain_requested and not self.draining:
                    self.begin_drain()
                now = time.monotonic()
                wait = min([0.05] + [a.wake_in(now) for a in self.activities.values()])
                self.connection.process_data_events(time_limit=wait)
                now = time.monotonic()
                for activity in list(self.activities.values()):
                    activity.tick(now)
                self.release_held_commands()
                self.adjust_consumer()
                self.events.service()
                if now >= next_status and not self.draining:
                    next_status = now + STATUS_INTERVAL
                    self.status(stopping=False)
                if self.draining and self.drain_over(now):
                    break
            except (pika.exceptions.AMQPConnectionError, pika.exceptions.ChannelClosed,
                    pika.exceptions.StreamLostError, OSError) as error:
                if self.draining:
                    break
                failures += 1
                delay = min(5.0, 0.1 * (2 ** min(failures, 6)))
                log("command connection lost; reconnecting", error=repr(error), retry_in=delay)
                self.drop_connection()
                time.sleep(delay)
        log("worker stopped")
        self.drop_connection()
        self.events.close()

    def open_commands(self, first):
        delay = 0.1
        while True:
            try:
                self.connect()
                break
            except pika.exceptions.ChannelClosedByBroker as error:
                if error.reply_code != 404:
                    raise
                if delay == 0.1:
                    log("waiting for the scheduler to declare the queues", broker=str(error))
            except pika.exceptions.AMQPConnectionError as error:
                if first:
                    raise
                log("could not reconnect", error=repr(error))
            self.drop_connection()
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        if not first and self.activities:
            # The broker requeued our unacknowledged commands when the old connection died:
            # their deliveries are gone, and whoever gets them reports them redelivered. Tell
            # the scheduler at once that this worker lives, so that is not taken for its death.
            for activity in self.activities.values():
                activity.delivery_tag = None
                activity.emit("heartbeat", reconnected=True)
            log("command connection back; told the scheduler", activities=len(self.activities))

    def drop_connection(self):
        try:
            if self.connection is not None and self.connection.is_open:
                self.connection.close()
        except Exception:
            pass
        self.connection = None
        self.channel = None
        self.consumer_tag = None
        self.consumer_limit = None

    def request_drain(self, *_):
        """SIGTERM/SIGINT: only a flag here (the handler may interrupt a publish); the loop
        begins the drain. A second signal ends the drain at once."""
        if self.drain_requested:
            self.stop_now = True
        self.drain_requested = True

    def begin_drain(self):
        log("draining: no new commands; running activities stop at their next checkpoint")
        self.draining = True
        self.drain_started = time.monotonic()
        try:
            self.status(stopping=True)
        except Exception as error:
            log("could not say it stops", error=repr(error))

    def drain_over(self, now):
        if not self.activities:
            return True
        if self.stop_now or now - self.drain_started > self.options.drain_timeout_seconds:
            # Unacknowledged commands go back to the queue when the connection closes;
            # released ones would wait for the heartbeat timeout: hand those back.
            for activity in list(self.activities.values()):
                if activity.delivery_tag is None:
                    try:
                        activity.emit("handed_back")
                    except Exception as error:
                        log("could not hand back an activity", error=repr(error))
            return True
        return False


def main():
    env = os.environ.get
    parser = argparse.ArgumentParser(description="A Baton worker in Python serving the chain agent.")
    parser.add_argument("--broker-url", default=env("BATON_BROKER_URL", "amqp://guest:guest@127.0.0.1:16572"))
    parser.add_argument("--queue", default=env("BATON_QUEUE", "agents"))
    parser.add_argument("--events-queue", default=env("BATON_EVENTS_QUEUE", "baton.events"))
    parser.add_argument("--concurrency", type=int, default=int(env("BATON_WORKER_CONCURRENCY", "4")))
    parser.add_argument("--agent", default=env("BATON_PYTHON_AGENT", "chain"),
                        help="the name the chain agent is served under (default chain)")
    parser.add_argument("--worker-id", default=env("BATON_WORKER_ID"))
    parser.add_argument("--command-hold-seconds", type=float,
                        default=float(env("BATON_COMMAND_HOLD_SECONDS", "900")),
                        help="acknowledge a running activity's command after this long; keep it below the "
                             "broker's consumer_timeout (the project's test broker: 30 s)")
    parser.add_argument("--drain-timeout-seconds", type=float, default=30.0)
    parser.add_argument("--broker-outage-seconds", type=float, default=120.0)
    parser.add_argument("--test-hooks-folder", default=env("BATON_TEST_HOOKS_FOLDER"))
    parser.add_argument("--record", help="append every message received and sent to this file (JSON lines)")
    parser.add_argument("--contracts", default=os.path.normpath(os.path.join(HERE, "..", "..", "docs", "contracts")))
    options = parser.parse_args()
    if options.concurrency < 1:
        parser.error("--concurrency must be 1 or more")
    worker = Worker(options)
    signal.signal(signal.SIGTERM, worker.request_drain)
    signal.signal(signal.SIGINT, worker.request_drain)
    try:
        worker.run()
    except ContractBug as error:
        log("BUG: refusing to publish a message that does not fit its schema", error=str(error))
        return 3
    except BrokerGone as error:
        log("giving up: the broker is unreachable", error=str(error))
        return 1
    return 0


if __name__ == "__main__":
    random.seed()
    sys.exit(main())
