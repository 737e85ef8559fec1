#!/usr/bin/python3 -B
"""Validates Baton broker messages against the JSON Schemas in this folder.

    validate.py SCHEMA [FILE ...]   each FILE (or standard input: none, or '-') against SCHEMA
    validate.py --examples          every examples/<schema>.<label>.json must pass, and every
                                    examples/invalid/<schema>.<label>.json must fail
    validate.py --batch [FILE]      JSON lines {"schema": S, "text": "<message text>"} (or
                                    "message": {...} instead of "text"); prints one line
                                    {"index": i, "ok": true|false, "errors": [...]} each
    validate.py --list              the schema names

SCHEMA is a file name here without '.schema.json' (run_activity, heartbeat, worker_status,
text_delta, ...), or 'auto' (chosen by the message's 'type': message.schema.json).

--open reads as a tolerant reader would (the Swift decoders ignore fields they do not
know): unknown fields are allowed. Without it, the schemas are closed, as for a message a
worker is about to publish.

Besides the schema, a message's text is checked as Baton's JSON reader checks it
(Sources/BatonContracts/JSON/JSONParser.swift, MessageCodec.swift): at most 8388608 bytes,
UTF-8, a JSON object, nesting at most 192 levels deep, no NaN/Infinity, no integer literal
beyond +-2^53, no number beyond a double, no NUL and no unpaired surrogate in any string
or key. The x-baton-* keywords of the schemas are checked here too (README.md).

Exit status: 0 when everything passed, 1 when something did not, 2 on a usage error.
Needs python3 and jsonschema 4 (Debian: python3-jsonschema).
"""

import copy
import glob
import json
import math
import os
import re
import sys

import jsonschema
from jsonschema import validators
from jsonschema.exceptions import ValidationError, best_match

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = "https://baton.example/contracts/v1/"

MAXIMUM_MESSAGE_BYTES = 8 * 1024 * 1024  # ContractVersion.maximumMessageBytes
MAXIMUM_DEPTH = 192  # JSONLimits.message
LARGEST_EXACT_INTEGER = 9007199254740992  # 2^53, JSONLimits.largestExactInteger

sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


class WireError(Exception):
    """The text is not a message Baton's reader accepts."""


def _int_literal(text):
    value = int(text)
    if abs(value) > LARGEST_EXACT_INTEGER:
        raise WireError(
            "an integer beyond ±2^53 (9007199254740992) cannot be kept exactly; send it as a string (%s)" % text[:40])
    return value


def _float_literal(text):
    value = float(text)
    if not math.isfinite(value):
        raise WireError("a number is out of the range of a double (%s)" % text[:40])
    return value


def _constant(name):
    raise WireError("%s is not JSON" % name)


def _check_tree(value):
    """Depth, NUL and unpaired surrogates, iteratively (no recursion limit to meet)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAXIMUM_DEPTH:
                raise WireError("objects and arrays nest deeper than %d levels" % MAXIMUM_DEPTH)
            if isinstance(node, dict):
                for key, member in node.items():
                    _check_string(key)
                    stack.append((member, depth + 1))
            else:
                stack.extend((member, depth + 1) for member in node)
        elif isinstance(node, str):
            _check_string(node)


_BAD_CHARACTER = re.compile("[\u0000\ud800-\udfff]")


def _check_string(text):
    found = _BAD_CHARACTER.search(text)
    if found:
        if found.group() == "\u0000":
            raise WireError("strings may not contain NUL (\\u0000): it cannot be stored")
        raise WireError("invalid \\u escape (unpaired surrogate)")


def parse_message(data):
    """The JSON value of a message's bytes (or text), as Baton's reader would accept it;
    raises WireError saying why not."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAXIMUM_MESSAGE_BYTES:
        raise WireError("message of %d bytes exceeds the limit of %d bytes" % (len(data), MAXIMUM_MESSAGE_BYTES))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WireError("not valid JSON: a string is not valid UTF-8")
    try:
        value = json.loads(text, parse_int=_int_literal, parse_float=_float_literal, parse_constant=_constant)
    except WireError:
        raise
    except ValueError as error:
        raise WireError("not valid JSON: %s" % error)
    if not isinstance(value, dict):
        raise WireError("a message must be a JSON object")
    _check_tree(value)
    return value


# Keywords of these schemas that standard JSON Schema does not have.

def _max_utf8_bytes(validator, limit, instance, schema):
    if isinstance(instance, str):
        size = len(instance.encode("utf-8", "surrogatepass"))
        if size > limit:
            yield ValidationError("%r is %d bytes of UTF-8, more than %d" % (instance[:40], size, limit))


def _less_than(validator, names, instance, schema):
    lower, upper = names
    if isinstance(instance, dict):
        a, b = instance.get(lower), instance.get(upper)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
                and not isinstance(b, bool) and not a < b:
            yield ValidationError("%s must be an earlier checkpoint (0 to %s), got %s" % (lower, b - 1, a))


def _described_agents_listed(validator, enabled, instance, schema):
    if not enabled or not isinstance(instance, dict):
        return
    agents, descriptors = instance.get("agents"), instance.get("descriptors")
    if isinstance(agents, list) and isinstance(descriptors, list):
        for descriptor in descriptors:
            name = descriptor.get("name") if isinstance(descriptor, dict) else None
            if isinstance(name, str) and name not in agents:
                yield ValidationError("descriptor of '%s', which 'agents' does not list" % name)


def _ecma_pattern(validator, pattern, instance, schema):
    # ECMA-262 '$' ends the string; Python's '$' also matches before a final newline.
    if isinstance(instance, str):
        translated = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
        if not re.search(translated, instance):
            yield ValidationError("%r does not match %r" % (instance[:60], pattern))


BatonValidator = validators.extend(
    jsonschema.Draft202012Validator,
    {
        "x-baton-maxUtf8Bytes": _max_utf8_bytes,
        "x-baton-lessThan": _less_than,
        "x-baton-describedAgentsListed": _described_agents_listed,
        "pattern": _ecma_pattern,
    },
)


def _opened(node):
    """The schema without 'additionalProperties: false' (a tolerant reader's view)."""
    if isinstance(node, dict):
        return {key: _opened(value) for key, value in node.items()
                if not (key == "additionalProperties" and value is False)}
    if isinstance(node, list):
        return [_opened(value) for value in node]
    return node


class Contracts:
    """The schemas of a folder, ready to check messages."""

    def __init__(self, folder=HERE):
        self.folder = folder
        self.schemas = {}
        for path in sorted(glob.glob(os.path.join(folder, "*.schema.json"))):
            with open(path, encoding="utf-8") as file:
                schema = json.load(file)
            name = os.path.basename(path)[: -len(".schema.json")]
            if schema.get("$id") != BASE + os.path.basename(path):
                raise SystemExit("%s: $id should be %s" % (path, BASE + os.path.basename(path)))
            BatonValidator.check_schema(schema)
            self.schemas[name] = schema
        self._validators = {}

    @property
    def names(self):
        return sorted(self.schemas)

    def _validator(self, name, open_reading):
        key = (name, open_reading)
        if key not in self._validators:
            schemas = {n: (_opened(s) if open_reading else s) for n, s in self.schemas.items()}
            store = {s["$id"]: s for s in schemas.values()}
            root = schemas[name]
            resolver = jsonschema.RefResolver(base_uri=root["$id"], referrer=root, store=store)
            self._validators[key] = BatonValidator(root, resolver=resolver)
        return self._validators[key]

    def errors(self, name, message, open_reading=False):
        """What is wrong with `message` (bytes or text: checked as Baton reads it; or an
        already parsed value) for schema `name` ('auto' for any message); [] when nothing."""
        if name == "auto":
            name = "message"
        if name not in self.schemas:
            return ["no schema named '%s' (known: %s)" % (name, ", ".join(self.names))]
        if isinstance(message, (bytes, bytearray, str)):
            try:
                message = parse_message(bytes(message) if not isinstance(message, str) else message)
            except WireError as error:
                return [str(error)]
        found = []
        for error in sorted(self._validator(name, open_reading).iter_errors(message), key=lambda e: list(e.path)):
            text = _describe(error)
            if text not in found:  # a union schema meets the same error through several routes
                found.append(text)
        return found

    def check(self, name, message, open_reading=False):
        """Raises ValueError with every problem of `message`."""
        problems = self.errors(name, message, open_reading)
        if problems:
            raise ValueError("; ".join(problems))


def _describe(error):
    """One line: where, what; for a failed anyOf/allOf/if, the most telling inner error
    (the deepest, leaving out the 'is not null' of optional fields that are not null)."""
    where = "/" + "/".join(str(p) for p in error.absolute_path)
    inner = _innermost(error)
    if inner is error:
        return "%s: %s" % (where, _short(error.message))
    return "%s: %s" % ("/" + "/".join(str(p) for p in inner.absolute_path), _short(inner.message))


def _innermost(error):
    while error.context:
        candidates = [e for e in error.context
                      if not (e.validator == "type" and e.validator_value in ("null", ["null"])
                              and len(e.absolute_path) == len(error.absolute_path))]
        if not candidates:
            break
        error = max(candidates, key=lambda e: (len(e.absolute_path), e.validator not in ("anyOf", "oneOf", "allOf")))
    return error


def _short(text):
    return text if len(text) <= 240 else text[:240] + "…"


def _example_schema(path):
    return os.path.basename(path).split(".", 1)[0]


def run_examples(contracts, out):
    failures = 0
    valid = sorted(glob.glob(os.path.join(contracts.folder, "examples", "*.json")))
    invalid = sorted(glob.glob(os.path.join(contracts.folder, "examples", "invalid", "*.json")))
    covered = set()
    for path in valid:
        name = _example_schema(path)
        with open(path, "rb") as file:
            data = file.read()
        problems = contracts.errors(name, data)
        if not problems and name != "dead_letter_headers":
            problems = ["as any message: " + p for p in contracts.errors("auto", data)]
            problems += ["read openly: " + p for p in contracts.errors(name, data, open_reading=True)]
        if problems:
            failures += 1
            out.write("FAIL %s\n" % os.path.relpath(path, contracts.folder))
            for problem in problems:
                out.write("     %s\n" % problem)
        else:
            covered.add(name)
            out.write("ok   %s\n" % os.path.relpath(path, contracts.folder))
    for path in invalid:
        name = _example_schema(path)
        with open(path, "rb") as file:
            data = file.read()
        problems = contracts.errors(name, data)
        if problems:
            out.write("ok   %s (refused: %s)\n" % (os.path.relpath(path, contracts.folder), problems[0][:160]))
        else:
            failures += 1
            out.write("FAIL %s: should be refused, passed\n" % os.path.relpath(path, contracts.folder))
    kinds = [n for n in contracts.names
             if n not in ("common", "command", "event", "events_queue_message", "message")]
    for name in kinds:
        if name not in covered:
            failures += 1
            out.write("FAIL no valid example of %s (examples/%s.<label>.json)\n" % (name, name))
    out.write("%d valid and %d invalid examples, %d schemas, %d failure(s)\n"
              % (len(valid), len(invalid), len(contracts.names), failures))
    return failures == 0


def run_batch(contracts, lines, out, open_reading):
    all_ok = True
    for index, line in enumerate(lines):
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
            message = request["text"] if "text" in request else request["message"]
            problems = contracts.errors(request.get("schema", "auto"), message, open_reading)
        except (ValueError, KeyError, TypeError) as error:
            problems = ["unreadable batch line: %s" % error]
        all_ok = all_ok and not problems
        out.write(json.dumps({"index": index, "ok": not problems, "errors": problems}) + "\n")
    return all_ok


def main(argv):
    arguments = list(argv)
    open_reading = "--open" in arguments
    arguments = [a for a in arguments if a != "--open"]
    if not arguments or arguments[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if arguments else 2
    contracts = Contracts()
    if arguments[0] == "--list":
        sys.stdout.write("\n".join(contracts.names) + "\n")
        return 0
    if arguments[0] == "--examples":
        return 0 if run_examples(contracts, sys.stdout) else 1
    if arguments[0] == "--batch":
        if len(arguments) > 1 and arguments[1] != "-":
            with open(arguments[1], encoding="utf-8") as file:
                lines = file.readlines()
        else:
            lines = sys.stdin.readlines()
        return 0 if run_batch(contracts, lines, sys.stdout, open_reading) else 1
    name, files = arguments[0], arguments[1:] or ["-"]
    if name != "auto" and name not in contracts.schemas:
        sys.stderr.write("no schema named '%s'; known: %s\n" % (name, ", ".join(contracts.names)))
        return 2
    all_ok = True
    for path in files:
        data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
        problems = contracts.errors(name, data, open_reading)
        label = "stdin" if path == "-" else path
        if problems:
            all_ok = False
            sys.stdout.write("FAIL %s\n" % label)
            for problem in problems:
                sys.stdout.write("     %s\n" % problem)
        else:
            sys.stdout.write("ok   %s\n" % label)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
