"""End to end: synthetic months through `shopgraph run`, wall time and peak memory per step, at two sizes.

Usage::

    .venv/bin/python bench/pipeline.py                       # ≈ 2 M and ≈ 10 M events
    .venv/bin/python bench/pipeline.py --events 2e6          # one size

For each size the script generates four synthetic months (2019-10..2020-01, about 30 events
per user over seven months, so ≈ 17 per user here), then, in a fresh workspace with its own
Neo4j (``--home``, Bolt 7702, HTTP 7489, heap and page cache ``--memory``):

1. ``run`` on the first three months (everything is new: ingest, load, features, embed,
   vectors, segment, report);
2. ``run`` on the fourth month (the incremental case: that month's ingest and load, the
   features refreshed, the new customers folded in and assigned or a retrain if drift says so).

Each run happens in a child process (so one size's memory never inflates the next), which
calls :func:`pipeline.run.run_pipeline` and prints its per-step outcomes as JSON
(bench/run_child.py, shared with bench/scale.py); the peak memory of a step is the child's
resident memory sampled during the step (pipeline/meter.py), Neo4j's own memory is its fixed
heap + page cache, shown apart.

Figures and their references (same script, same machine):

* **growth** — seconds per step at the large size over the small size, next to the ratio of
  events: linear growth gives a ratio close to the events ratio. Goals (issue 20): 10 M events
  through ``run`` in ≤ 10 minutes; shopgraph and Neo4j together ≤ 16 GiB.
* **a bare DuckDB scan** of each run's files (``SELECT count(*) FROM read_csv(…)``), timed just before the run:
  the box's speed, so that a run reads as a multiple of it (the months of bench/scale.py are read the same way).
* **incremental month** — seconds of the second run over the first: a month's cost, not the
  history's (the features step recomputes every user by design, docs/ARCHITECTURE.md; the
  others touch only the new month or the new customers).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from run_child import METHOD, REPO, bare_scan_seconds, bench_env, bench_server, run_in_child  # bench/ first on path

MONTHS = ["2019-10", "2019-11", "2019-12", "2020-01"]
EVENTS_PER_USER = 17.0  # synthetic users over these four months (measured: printed below)


def run_size(events: float, args: argparse.Namespace) -> dict:
    from events.synth import generate, month_file_name

    home = args.home / f"events-{int(events)}"
    shutil.rmtree(home, ignore_errors=True)
    users = int(events / EVENTS_PER_USER)
    started = time.perf_counter()
    synth = generate(home / "synth", users=users, months=MONTHS, seed=args.seed)
    print(f"synth: {synth.events:,} events, {synth.users:,} users in {time.perf_counter() - started:.0f}s", flush=True)
    env = bench_env(home, args.bolt_port, args.http_port, args.memory)
    if args.method:
        env[METHOD] = args.method
    with bench_server(env) as server:
        files = [str(home / "synth" / month_file_name(m)) for m in MONTHS]
        runs = []
        for label, chunk in (("first three months", files[:-1]), ("the fourth month", files[-1:])):
            scan = sum(bare_scan_seconds(Path(f)) for f in chunk)  # the reference, just before the run
            runs.append({"label": label, "scan_seconds": scan, **run_in_child(home, chunk, env, server)})
    return {"events": synth.events, "users": synth.users, "runs": runs}


def print_size(result: dict, memory: str) -> None:
    print(f"\n{result['events']:,} events, {result['users']:,} users (Neo4j heap + page cache {memory} each)")
    for run in result["runs"]:
        print(
            f"  run on {run['label']}: {run['seconds']:.0f}s, {run['seconds'] / run['scan_seconds']:.1f}× a bare "
            f"DuckDB scan of its files ({run['scan_seconds']:.1f}s) — segmentation: {run['decision']}"
        )
        for step, status, detail, seconds, peak in run["steps"]:
            print(f"    {step:<9} {status:<8} {seconds:8.1f}s  peak {peak / 1024:5.2f} GiB  {detail[:70]}")
            phases = [(phase, took) for phase, took in run.get("phases", {}).get(step, {}).items() if took >= 1]
            if phases:  # where the step's time went, by the phases its progress named (pipeline/meter.py)
                print("      " + ", ".join(f"{phase[:40]} {took:.1f}s" for phase, took in phases))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", nargs="+", type=float, default=[2e6, 10e6], help="approximate sizes")
    parser.add_argument("--home", type=Path, default=Path("/tmp/sg-bench-pipeline"))
    parser.add_argument("--bolt-port", type=int, default=7702)
    parser.add_argument("--http-port", type=int, default=7489)
    parser.add_argument("--memory", default="2g", help="heap and page cache of the bench Neo4j")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--method", help="the segmentation's method, as `run --method` (default: run's, leiden)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    results = [run_size(events, args) for events in sorted(args.events)]
    method = f"segmentation --method {args.method}" if args.method else "segmentation by run's default (leiden)"
    print("\n# bench/pipeline", time.strftime("%Y-%m-%d %H:%M"), f"{os.cpu_count()} CPUs,", method)
    for result in results:
        print_size(result, args.memory)
    if len(results) >= 2:
        small, large = results[0], results[-1]
        ratio = large["events"] / small["events"]
        print(f"\ngrowth, {large['events']:,} vs {small['events']:,} events (events ×{ratio:.2f}):")
        for (step, _, _, s_small, _), (_, _, _, s_large, _) in zip(
            small["runs"][0]["steps"], large["runs"][0]["steps"], strict=True
        ):
            print(f"  {step:<9} ×{s_large / s_small if s_small > 0.05 else float('nan'):5.2f}")
        total = large["runs"][0]["seconds"]
        peak = max(s[4] for s in large["runs"][0]["steps"])
        print(
            f"  whole run ×{total / small['runs'][0]['seconds']:.2f}; {large['events']:,} events in {total / 60:.1f}"
            f" min (goal ≤ 10: {'met' if total <= 600 else 'NOT met'}), peak {peak / 1024:.2f} GiB + Neo4j's"
        )
    for result in results:
        first, second = result["runs"]
        print(
            f"incremental month at {result['events']:,} events: {second['seconds']:.0f}s vs {first['seconds']:.0f}s "
            f"for the first three months (ratio {second['seconds'] / first['seconds']:.2f})"
        )


if __name__ == "__main__":
    main()
