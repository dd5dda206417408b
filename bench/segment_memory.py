"""The segment step's memory on a later month: shopgraph's and Neo4j's resident size, phase by phase, as it assigns.

    python bench/segment_memory.py HOME [--new 2785714] [--changed 1500006] [--seed 0]
        [--bolt-port 7706] [--http-port 7493]

HOME is a workspace after `shopgraph run` whose current segmentation assigns (bench/scale.py's, with its own local
Neo4j on those ports, started here when it is down and stopped at the end). The run is rolled back so that the
step has a month's work again: ``--new`` customers drawn at random (seeded) lose their fingerprint and assignment
row (new to the run), ``--changed`` others get another fingerprint (their activity changed); the defaults are what
REES46 month 4 brought (bench/scale.py, 2020-01). Then the pipeline's segment step runs as `run` runs it after a
new month (``pipeline.run._Runner.segment``: classify, drift check, save, refresh the graph, likely segments), its
source taken as the run's model's (an edit in a worktree measures, it does not retrain). Every 0.5 s: this
process's resident size, Neo4j's, and Neo4j's split into anonymous memory (heap, page cache, native) and mapped
files (``RssFile``: the vector index's Lucene files), the largest of each by phase. The reference in the same run is
the first row: the step's start, until its first phase, as it reads the run's files and the features' key columns
(the roll-back runs in a process of its own). In `run` the step starts from what the steps before it left: read
the rows as growth over the first.

The same model on the same features assigns the same segments: the workspace ends as it was but for the refresh's
timestamps and run.json's list of updates. Figures: docs/BENCHMARKS.md, "Scale", "The segment step's memory".
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from run_child import add_home_arguments, current_run, own_server, resident  # bench/ is first on sys.path

REPO = Path(__file__).resolve().parents[1]
GIB = 2**30


def roll_back(run_dir: Path, new: int, changed: int, seed: int) -> None:
    """``new`` customers made new to the run, ``changed`` others with another fingerprint (module docstring)."""
    prints = pd.read_parquet(run_dir / "fingerprints.parquet")
    if new + changed > len(prints):
        sys.exit(f"the run holds {len(prints):,} customers, fewer than --new {new:,} + --changed {changed:,}")
    order = np.random.default_rng(seed).permutation(len(prints))
    gone = prints["user_id"].to_numpy()[order[:new]]
    moved = order[new : new + changed]
    prints.loc[moved, "fingerprint"] += 1
    prints[~prints["user_id"].isin(gone)].to_parquet(run_dir / "fingerprints.parquet", index=False)
    assignments = pd.read_parquet(run_dir / "assignments.parquet")
    assignments[~assignments["user_id"].isin(gone)].to_parquet(run_dir / "assignments.parquet", index=False)


class Sampler:
    """The largest resident sizes of this process and of the server, by the phase the step's progress names."""

    def __init__(self, server: object) -> None:
        self.server, self.phase, self.peaks = server, "reading the run and the features", {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def progress(self, label: str, done: int, total: int) -> None:
        if label != self.phase:
            self.phase = label
            print(f"  {time.strftime('%H:%M:%S')} {label}", flush=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            mine, neo4j = resident(os.getpid()), resident(self.server.pid())
            now = {
                "shopgraph": mine.get("VmRSS", 0),
                "neo4j": neo4j.get("VmRSS", 0),
                "neo4j anon": neo4j.get("RssAnon", 0),
                "neo4j files": neo4j.get("RssFile", 0),
            }
            now["together"] = now["shopgraph"] + now["neo4j"]
            peak = self.peaks.setdefault(self.phase, dict.fromkeys(now, 0))
            for key, value in now.items():
                peak[key] = max(peak[key], value)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_home_arguments(parser)
    parser.add_argument("--new", type=int, default=2_785_714)
    parser.add_argument("--changed", type=int, default=1_500_006)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    workspace, run_dir = current_run(args)
    from graph.connection import connect
    from pipeline.run import RunHooks, RunOptions, _Runner
    from shopgraph.settings import Settings

    # in a process of its own: what the roll-back reads is not held by the one that measures
    child = multiprocessing.get_context("spawn").Process(
        target=roll_back, args=(run_dir, args.new, args.changed, args.seed)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        sys.exit(f"the roll-back of {run_dir} failed (exit {child.exitcode})")
    settings = Settings.from_env()
    with own_server(settings) as server, connect(settings) as db, Sampler(server) as sampler:
        runner = _Runner(workspace, db, RunOptions(), RunHooks(progress=sampler.progress))
        runner.state.code_changed = lambda *_: False  # measure the assign path: a worktree's edit must not retrain
        started = time.perf_counter()
        status, detail = runner.segment(f"bench-segment-memory-{time.time():.0f}")
        seconds = time.perf_counter() - started
    print(f"\n{status} in {seconds:.0f} s: {detail}\n")
    phases = runner.progress.seconds()
    print("| phase | seconds | shopgraph GiB | Neo4j GiB (anonymous + mapped files) | together GiB |")
    print("|---|---|---|---|---|")
    for phase, peak in sampler.peaks.items():
        print(
            f"| {phase} | {phases.get(phase, 0.0):.0f} | {peak['shopgraph'] / GIB:.2f} | {peak['neo4j'] / GIB:.2f} "
            f"({peak['neo4j anon'] / GIB:.2f} + {peak['neo4j files'] / GIB:.2f}) | {peak['together'] / GIB:.2f} |"
        )


if __name__ == "__main__":
    main()
