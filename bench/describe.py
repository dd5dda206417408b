"""What the report step's description of the event store costs (``events.describe``), against one pass over it.

    python bench/describe.py HOME [--repeat 2] [--compare OLD/describe.json]

On a workspace with an event store (after ``shopgraph ingest`` or ``run``): ``describe`` over every month, as the
report step and ``shopgraph describe`` call it, three ways: with no month digest yet (every month read: a first
describe, or the first after an upgrade or an erasure), with the newest month's digest removed (what a later
month's report pays, ``--repeat`` times), and with every digest there. The reference in the same run: one bare
DuckDB pass over every column ``describe`` reads (a ``max`` of each, so that every value is read once and nothing
is grouped), on the same bounded connection. Prints wall and CPU seconds, the ratio to the pass, and the process's
peak resident memory. ``--compare``: a describe.json written earlier on the same store (by another version), and
the fields that differ from it. It writes the months' digests under HOME/store/digests (a cache; the bench
removes them at the start). Run it from two checkouts to compare them (docs/BENCHMARKS.md, "The dossier").
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.describe import describe
from events.month_digest import digests_dir
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
    parser.add_argument("--compare", type=Path, help="a describe.json written earlier on the same store")
    args = parser.parse_args()
    workspace = Workspace(args.home)
    reference, events = bare_pass_seconds(workspace)
    print(f"# bench/describe  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {args.home}")
    print(f"reference, one bare pass over every column of {events:,} events: {reference:.1f}s")
    shutil.rmtree(digests_dir(workspace), ignore_errors=True)
    newest = None
    runs = ["no digest yet", *["the newest month new"] * args.repeat, "every digest there"]
    for run in runs:
        if run == "the newest month new" and newest is not None:
            shutil.rmtree(newest, ignore_errors=True)
        cpu, started = time.process_time(), time.perf_counter()
        described = describe(workspace, None)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        newest = max(digests_dir(workspace).glob("month=*"))
        print(
            f"{run}: describe {seconds:.1f}s ({cpu:.1f} CPU s) = {seconds / reference:.2f}x the pass; "
            f"{described.totals['users']:,} customers, {len(described.events_per_day)} days",
            flush=True,
        )
    size = sum(p.stat().st_size for p in digests_dir(workspace).rglob("*") if p.is_file())
    print(f"the digests: {size / 2**20:,.0f} MiB for {len(described.months)} months")
    print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
    if args.compare:
        compare(json.loads(described.to_json()), json.loads(args.compare.read_text(encoding="utf-8")))


def compare(now: dict, before: dict, path: str = "") -> None:
    """Print every leaf of the two records that differs (revenue within a cent counts as the same)."""
    if isinstance(now, dict) and isinstance(before, dict):
        for key in sorted(set(now) | set(before)):
            compare(now.get(key), before.get(key), f"{path}.{key}")
    elif isinstance(now, list) and isinstance(before, list) and len(now) == len(before):
        for i, (a, b) in enumerate(zip(now, before, strict=True)):
            compare(a, b, f"{path}[{i}]")
    elif now != before and not (path.endswith(".revenue") and abs(float(now) - float(before)) <= 0.011):
        print(f"differs from --compare: {path}: {str(now)[:80]} (before: {str(before)[:80]})")
    if not path:
        print("compared with --compare: done (no line above: the same)")


if __name__ == "__main__":
    main()
