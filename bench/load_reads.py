"""The load's DuckDB side alone, with and without a memory bound: a later month's interactions and the writers' reads.

    python bench/load_reads.py HOME                     # the workspace's last ingested file, read only
    python bench/load_reads.py HOME --limits none 2GB   # the first is the reference

What `shopgraph load` asks of DuckDB for a file into a graph that holds the earlier ones, without Neo4j: the file's
interactions aggregate (events/interactions.py), the known pairs (a semi-join with the earlier files' aggregates),
then the two writers' relationship steps read at once in their order, in batches of the load's size, each drained
(the rows are not sent). Each limit runs in its own child process: its peak resident memory is the process's
``ru_maxrss``, its seconds the wall clock. ``none`` is DuckDB's own default (80 % of the machine); a size is set
with a spill folder, as ``events.store.bounded_connection`` does. Everything is written under ``HOME/tmp/`` and
removed; the workspace's own aggregates are not touched.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def _child(home: Path, limit: str, work: Path) -> dict[str, float]:
    import duckdb

    from events.buckets import set_memory_limit
    from events.interactions import write_interactions
    from graph.load import (
        DEFAULT_BATCH_SIZE,
        EVENT_TYPES,
        USERS_STEP,
        WRITERS,
        _column_batches,
        _with_fresh,
        ingested_files,
        step_queries,
    )
    from shopgraph.sqltext import literal, literal_list
    from shopgraph.workspace import Workspace

    workspace = Workspace(home)
    # the aggregates go to a scratch folder: the workspace's own are left as they are
    scratch = Workspace(work / "home")
    scratch.home.mkdir(parents=True, exist_ok=True)
    (scratch.home / "store").symlink_to(workspace.store_dir.resolve(), target_is_directory=True)
    sources = ingested_files(workspace)
    if len(sources) < 2:
        raise SystemExit(f"{home}: needs two ingested files or more (the last is loaded onto the others)")
    con = duckdb.connect()
    if limit != "none":
        set_memory_limit(con, limit)
        con.execute(f"SET temp_directory = {literal(str(work / 'spill'))}")
    figures: dict[str, float] = {}
    t0 = time.perf_counter()
    earlier = [str(write_interactions(scratch, s, con)) for s in sources[:-1]]
    figures["earlier files' aggregates s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    source = sources[-1]
    interactions = str(write_interactions(scratch, source, con))
    figures["the file's aggregate s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fresh, known = work / "fresh.parquet", work / "known.parquet"
    before = f"(SELECT DISTINCT user_id FROM read_parquet({literal_list(earlier)}))"
    con.execute(f"""COPY (SELECT DISTINCT user_id FROM read_parquet({literal(interactions)})
                          ANTI JOIN {before} USING (user_id))
                    TO {literal(str(fresh))} (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT user_id, product_id, event_type FROM read_parquet({literal(interactions)})
                          SEMI JOIN (SELECT user_id, product_id, event_type FROM read_parquet({literal_list(earlier)}))
                              USING (user_id, product_id, event_type))
                    TO {literal(str(known))} (FORMAT parquet)""")
    figures["new users and known pairs s"] = time.perf_counter() - t0
    events = [str(workspace.store_dir / p) for p in source.partitions]
    steps = [
        (step, _with_fresh(sql, fresh, known, EVENT_TYPES[step]))
        for index, (step, _query, sql) in enumerate(step_queries(events, interactions))
        if index > USERS_STEP
    ]
    part = f"(user_id % {WRITERS} + {WRITERS}) % {WRITERS}"
    rows = [0] * WRITERS

    def writer(w: int) -> None:
        own = con.cursor()
        for _step, sql in steps:
            ordered = f"SELECT * FROM ({sql}) WHERE {part} = {w} ORDER BY user_id, product_id"
            for batch in _column_batches(own, ordered, DEFAULT_BATCH_SIZE, 0):
                rows[w] += batch.num_rows
        own.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    figures["the writers' reads s"] = time.perf_counter() - t0
    figures["relationship rows"] = sum(rows)
    con.close()
    figures["peak GiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("home", type=Path, help="a workspace with two ingested files or more (read only)")
    parser.add_argument("--limits", nargs="+", default=["none", "2GB"], help="DuckDB memory limits; 'none' = default")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        work = Path(tempfile.mkdtemp(prefix="load-reads-", dir=args.home / "tmp"))
        try:
            print(json.dumps(_child(args.home, args.child, work)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    (args.home / "tmp").mkdir(exist_ok=True)
    print(f"# bench/load_reads  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {args.home}")
    results = {}
    for limit in args.limits:
        done = subprocess.run(
            [sys.executable, __file__, str(args.home), "--child", limit], capture_output=True, text=True, check=False
        )
        if done.returncode:
            print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
            return 1
        results[limit] = json.loads(done.stdout.strip().splitlines()[-1])
    names = list(next(iter(results.values())))
    print("| figure | " + " | ".join(f"limit {limit}" for limit in results) + " |")
    print("|---|" + "---|" * len(results))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{r[name]:,.1f}" for r in results.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
