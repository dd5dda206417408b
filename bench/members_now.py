"""What a month that assigns pays to restate its segments' figures (``segments.members_now``).

    python bench/members_now.py HOME

On a workspace after ``shopgraph run``: the current run's segment figures over its members (the analyst
figures of ``segments/figures.py`` from the feature table and the event store's purchases, and each
segment's size, shares and conversion), as ``refresh_segment_figures`` computes them, without writing
anything. The reference in the same run: a bare DuckDB scan of the event store's purchases
(``SELECT count(*) … WHERE event_type = 'purchase'``), the part of the store the figures read.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.store import connect_events
from features.compute import FEATURES_FILE
from segments import coverage, profile, runs
from shopgraph.workspace import Workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    args = parser.parse_args()
    workspace = Workspace(args.home)
    run_dir = runs.require_current(workspace)
    started = time.perf_counter()
    con = connect_events(workspace)
    purchases = con.execute("SELECT count(*) FROM events WHERE event_type = 'purchase'").fetchone()[0]
    con.close()
    scan = time.perf_counter() - started
    started = time.perf_counter()
    assignments = pd.read_parquet(run_dir / "assignments.parquet", columns=["user_id", "segment_id"])
    features_file = workspace.features_dir / FEATURES_FILE
    ids, labels = assignments["user_id"].to_numpy(np.int64), assignments["segment_id"].to_numpy(np.int64)
    figures = profile.analyst_figures(workspace, ids, labels, features_file=features_file)
    coverage.figures_now(assignments, coverage.read_figure_columns(features_file))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{args.home}: run {run_dir.name}, {len(assignments):,} customers, {len(figures)} segments")
    print(f"reference, bare scan of the store's purchases ({purchases:,}): {scan:.1f}s")
    ratio = seconds / scan
    print(f"segment figures over the members of now: {seconds:.1f}s = {ratio:.1f}x the scan; peak {peak:.2f} GiB")


if __name__ == "__main__":
    main()
