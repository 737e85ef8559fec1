#!/usr/bin/env python3
"""W6 on the peer: one LangGraph run whose state grows by one 1 KB message per step.

A graph with one node that loops (one super-step, so one checkpoint, per message) over
a `messages: Annotated[list, operator.add]` channel, checkpointed by AsyncPostgresSaver
(durability `sync` by default: each checkpoint is written before the next step starts,
as Baton's are). Reports what Baton's `baton-bench w6` reports: bytes in the
checkpointer's tables (`checkpoints`, `checkpoint_blobs`, `checkpoint_writes`: the whole
tables and this run's rows), WAL bytes written during the run, and the time per step
around step 10 and around the last step (the mean interval between consecutive node
starts in a window of 20; the median is reported too), with their ratio.

Runs in the peer's venv against the peer's PostgreSQL (peer_stack.sh start):
  /tmp/peers/venv/bin/python bench/peer/w6_langgraph.py --json-out results.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import os
import random
import statistics
import string
import sys
import time
import uuid
from typing import Annotated, TypedDict

DEFAULT_PG = "postgresql://postgres@127.0.0.1:15432/bench"
TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
ALPHABET = string.ascii_letters + string.digits


class State(TypedDict):
    messages: Annotated[list, operator.add]


def payload(size: int, seed: int) -> str:
    """`size` letters and digits, different for every step and not compressible by
    PostgreSQL's TOAST compression (as Baton's chain agent makes them)."""
    rng = random.Random(seed)
    return "".join(rng.choice(ALPHABET) for _ in range(size))


def build_graph(steps: int, size: int, starts: list[float]):
    from langgraph.graph import END, START, StateGraph

    async def step(state: State) -> dict:
        starts.append(time.time())
        index = len(state["messages"])
        return {"messages": [{"role": "assistant", "step": index, "content": payload(size, index)}]}

    def more(state: State) -> str:
        return "step" if len(state["messages"]) < steps else END

    graph = StateGraph(State)
    graph.add_node("step", step)
    graph.add_edge(START, "step")
    graph.add_conditional_edges("step", more, ["step", END])
    return graph


async def run_once(saver, thread: str, steps: int, size: int, durability: str) -> tuple[list[float], int]:
    starts: list[float] = []
    graph = build_graph(steps, size, starts).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": thread}, "recursion_limit": steps + 10}
    async for _ in graph.astream({"messages": []}, config, stream_mode="updates", durability=durability):
        pass
    state = await graph.aget_state(config)
    return starts, len(state.values.get("messages", []))


async def scalar(conn, sql: str, params=()):
    cur = await conn.execute(sql, params)
    row = await cur.fetchone()
    return row[0] if row else None


def step_time(starts: list[float], around: int, window: int) -> tuple[float | None, float | None]:
    """Median and mean (ms) of the `window` intervals between consecutive node starts
    that end nearest node start number `around` (1-based)."""
    if len(starts) <= window:
        return None, None
    first = max(1, min(around - 1 - window // 2 + 1, len(starts) - window))
    intervals = [(starts[i] - starts[i - 1]) * 1000 for i in range(first, first + window)]
    mean = (starts[first + window - 1] - starts[first - 1]) * 1000 / window
    return statistics.median(intervals), mean


async def main_async(args) -> dict:
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with AsyncPostgresSaver.from_conn_string(args.pg_dsn) as saver:
        await saver.setup()
        await run_once(saver, f"w6-warm-{uuid.uuid4().hex[:8]}", 5, args.payload_bytes, args.durability)
        thread = f"w6-{uuid.uuid4().hex[:8]}"
        async with await psycopg.AsyncConnection.connect(args.pg_dsn, autocommit=True) as conn:
            wal0 = await scalar(conn, "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")
            t0 = time.time()
            starts, messages = await run_once(saver, thread, args.steps, args.payload_bytes, args.durability)
            wall = time.time() - t0
            wal1 = await scalar(conn, "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")
            tables = {}
            for table in TABLES:
                total = await scalar(conn, "select pg_total_relation_size(%s::regclass)", (table,))
                cur = await conn.execute(
                    f"select count(*), coalesce(sum(pg_column_size(t.*)), 0) from {table} t where t.thread_id = %s",
                    (thread,))
                rows, row_bytes = await cur.fetchone()
                tables[table] = {"total_relation_bytes": total, "workflow_rows": rows, "workflow_row_bytes": row_bytes}

    early_median, early_mean = step_time(starts, args.early_step, args.window)
    last_median, last_mean = step_time(starts, len(starts), args.window)

    def ratio(a, b):
        return a / b if a is not None and b else None

    return {
        "system": "peer",
        "workload": "W6",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "steps": args.steps,
        "payload_bytes": args.payload_bytes,
        "durability": args.durability,
        "verified_ok": messages == args.steps and len(starts) == args.steps,
        "checkpoints_recorded": len(starts),
        "wall_s": round(wall, 3),
        "wal_bytes": float(wal1 - wal0),
        "checkpoint_tables": tables,
        "window_intervals": args.window,
        "early_step": args.early_step,
        # As Baton's: the window's time over its steps.
        "step_ms_early": early_mean,
        "step_ms_last": last_mean,
        "step_time_ratio_last_vs_early": ratio(last_mean, early_mean),
        "step_ms_early_median": early_median,
        "step_ms_last_median": last_median,
        "step_time_ratio_last_vs_early_median": ratio(last_median, early_median),
        "step_ms_overall_mean": (starts[-1] - starts[0]) * 1000 / (len(starts) - 1) if len(starts) > 1 else None,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--payload-bytes", type=int, default=1024)
    ap.add_argument("--window", type=int, default=20)
    ap.add_argument("--early-step", type=int, default=10)
    ap.add_argument("--durability", choices=["async", "sync", "exit"], default="sync")
    ap.add_argument("--pg-dsn", default=os.environ.get("PEER_PG_DSN", DEFAULT_PG))
    ap.add_argument("--json-out", default=None, help="append the result as one JSON line to this file")
    args = ap.parse_args(argv)
    out = asyncio.run(main_async(args))
    print(json.dumps(out))
    if args.json_out:
        with open(args.json_out, "a") as f:
            f.write(json.dumps(out) + "\n")
    if not out["verified_ok"]:
        print("VERIFY FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
