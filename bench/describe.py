"""What the report step's description of the event store costs (``events.describe``), against one pass over it.

    python bench/describe.py HOME [--repeat 2]

On a workspace with an event store (after ``shopgraph ingest`` or ``run``): ``describe`` over every month, as the
report step and ``shopgraph describe`` call it, timed ``--repeat`` times. The reference in the same run: one bare
DuckDB pass over every column ``describe`` reads (a ``max`` of each, so that every value is read once and nothing
is grouped), on the same bounded connection. Prints wall and CPU seconds, the ratio to the pass, and the process's
peak resident memory. Run it from two checkouts to compare them (docs/BENCHMARKS.md, "The dossier").
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.describe import describe
from events.store import COLUMNS, connect_events
from shopgraph.workspace import Workspace


def bare_pass_seconds(workspace: Workspace) -> tuple[float, int]:
    """Seconds of one pass reading every stored column, and the events it read."""
    con = connect_events(workspace)
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    row = con.execute(f"SELECT count(*), {', '.join(f'max({c})' for c in COLUMNS)} FROM events").fetchone()
    seconds = time.perf_counter() - started
    con.close()
    return seconds, int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    workspace = Workspace(args.home)
    reference, events = bare_pass_seconds(workspace)
    print(f"# bench/describe  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {args.home}")
    print(f"reference, one bare pass over every column of {events:,} events: {reference:.1f}s")
    for run in range(1, args.repeat + 1):
        cpu, started = time.process_time(), time.perf_counter()
        described = describe(workspace, None)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"run {run}: describe {seconds:.1f}s ({cpu:.1f} CPU s) = {seconds / reference:.1f}x the pass; "
            f"{described.totals['users']:,} customers, {len(described.events_per_day)} days"
        )
    print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
