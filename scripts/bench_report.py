#!/usr/bin/env python3
"""Prints the results of one `make bench` run as a table, with Baton/peer ratios when
the peer ran in the same run. Input: the JSON lines written by baton-bench and by the
peer's temporal_langgraph_bench.py."""
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def peer_cpu_per_workflow(r):
    total = sum(r.get(k, 0) for k in ("worker_cpu_s", "temporal_server_cpu_s", "postgres_cpu_s", "driver_client_cpu_s"))
    return 1000 * total / r["workflows"]


def main(path):
    rows = load(path)
    baton = [r for r in rows if r.get("system") == "baton"]
    peer_bench = [r for r in rows if r.get("mode") == "bench"]
    peer_kill = [r for r in rows if r.get("mode") == "kill-test"]

    print("\n| W1, C=16, 5 nodes | Baton | peer | Baton / peer |")
    print("|---|---|---|---|")
    for sleep in (0, 50):
        b = next((r for r in baton if r["workload"] == "W1" and r["workflows"] == 200 and r["workers"] == 1
                  and r["node_sleep_ms"] == sleep), None)
        p = next((r for r in peer_bench if r["workflows"] == 200 and r["node_sleep_ms"] == sleep), None)
        if not b:
            continue
        metrics = [
            ("workflows/s", b["workflows_per_s"], p and p["workflows_per_s"], "higher"),
            ("e2e p50 ms", b["e2e_p50_ms"], p and p["e2e_p50_ms"], "lower"),
            ("e2e p99 ms", b["e2e_p99_ms"], p and p["e2e_p99_ms"], "lower"),
            ("submit→start p50 ms", b["submit_to_activity_start_p50_ms"], p and p["submit_to_activity_start_p50_ms"], "lower"),
            ("CPU ms / workflow (stack)", b["cpu_ms_per_workflow"], p and peer_cpu_per_workflow(p), "lower"),
            ("worker peak RSS MiB", b["worker_peak_rss_mib"], p and p["worker_peak_rss_mib"], "lower"),
        ]
        for name, bv, pv, _ in metrics:
            ratio = f"{bv / pv:.2f}" if pv else "—"
            print(f"| sleep {sleep} ms: {name} | {bv:.1f} | {pv:.1f} | {ratio} |" if pv else
                  f"| sleep {sleep} ms: {name} | {bv:.1f} | — | — |")

    big = next((r for r in baton if r["workload"] == "W1" and r["workflows"] == 2000), None)
    if big:
        print(f"\nW1 with 2,000 workflows: {big['workflows_per_s']:.1f} wf/s, {big['node_transitions_per_s']:.0f} "
              f"checkpointed steps/s, {big['history_events_per_s']:.0f} history events/s, "
              f"e2e p50 {big['e2e_p50_ms']:.0f} ms / p99 {big['e2e_p99_ms']:.0f} ms, "
              f"{big['cpu_ms_per_workflow']:.1f} ms CPU per workflow")
    scale = sorted((r for r in baton if r["workload"] == "W1" and r["workflows"] == 200 and r["node_sleep_ms"] == 0),
                   key=lambda r: r["workers"])
    if len(scale) > 1:
        print("W5 (2 cores: this shows overhead, not speed-up): " +
              ", ".join(f"{r['workers']} worker(s) {r['workflows_per_s']:.1f} wf/s" for r in scale))

    b3 = next((r for r in baton if r["workload"] == "W3"), None)
    if b3:
        print("\n| W3, 20 workflows, 5 × 500 ms, SIGKILL | Baton | peer | Baton / peer |")
        print("|---|---|---|---|")
        p3 = peer_kill[0] if peer_kill else None
        for name, bv, pv in [
            ("all done after the kill, s", b3["all_done_after_kill_s"], p3 and p3["all_done_after_kill_s"]),
            ("steps run twice, total", b3["steps_run_twice_total"], p3 and p3["nodes_executed_twice"]),
            ("steps run twice, max per workflow", b3["steps_run_twice_max_per_workflow"],
             p3 and p3["max_reexecuted_nodes_per_workflow"]),
        ]:
            print(f"| {name} | {bv:.2f} | {pv:.2f} | {bv / pv:.2f} |" if pv else f"| {name} | {bv:.2f} | — | — |")

    b2 = next((r for r in baton if r["workload"] == "W2"), None)
    if b2:
        print(f"\nW2 ({b2['workflows']:.0f} workflows one after another): submit→activity start "
              f"p50 {b2['submit_to_activity_start_p50_ms']:.1f} ms / p99 {b2['submit_to_activity_start_p99_ms']:.1f} ms, "
              f"submit→result p50 {b2['submit_to_result_p50_ms']:.1f} ms / p99 {b2['submit_to_result_p99_ms']:.1f} ms")
    b4 = next((r for r in baton if r["workload"] == "W4"), None)
    if b4:
        print(f"W4 ({b4['workflows_waiting']:.0f} workflows waiting for input): scheduler RSS "
              f"{b4['scheduler_rss_mib']:.1f} MiB, idle worker RSS {b4['worker_rss_mib']:.1f} MiB, idle CPU "
              f"scheduler {b4['scheduler_idle_cpu_percent']:.1f} % / worker {b4['worker_idle_cpu_percent']:.1f} %, "
              f"status API p50 {b4['status_api_p50_ms']:.1f} ms / p99 {b4['status_api_p99_ms']:.1f} ms, "
              f"list API p50 {b4['list_api_p50_ms']:.1f} ms / p99 {b4['list_api_p99_ms']:.1f} ms, "
              f"database {b4['database_mib']:.0f} MiB, filled in {b4['fill_s']:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1])
