"""The DuckDB side of the load, the bulk import and embed's graph alone, with and without the read bound.

    python bench/load_reads.py HOME                       # every part, limits "none" then the product's
    python bench/load_reads.py HOME --parts load --limits none 2GB

On a workspace with two ingested files or more (only read; its own aggregates are not touched), without Neo4j:

- ``load``: what `shopgraph load` asks of DuckDB for the last file into a graph holding the others: every file's
  interactions aggregate (events/interactions.py), the new users and the known pairs (semi-joins with the earlier
  files' aggregates), then the two writers' relationship steps read at once in their order, one user range at a
  time (graph/load.py ``_Relationships``), in batches of the load's size, each drained (nothing is sent).
- ``bulk``: the bulk import's files for the first file (graph/bulk.py, as a first month into an empty graph).
- ``graph``: embed's training graph over every file (embeddings/graph.py ``load_graph``), its aggregates made anew.

Each part and limit runs in its own child process: its peak resident memory is ``ru_maxrss``, its seconds the
wall clock. A size is the product's read bound (``SHOPGRAPH_DUCKDB_READ_MEMORY`` for
``events.store.bounded_connection``); ``none`` replaces that function with a plain ``duckdb.connect()``, DuckDB's
default of 80 % of the machine: what these steps had before they were bounded. Run it from a worktree of an
older commit for that commit's statements. Scratch files go under ``HOME/tmp/`` and are removed.
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


def _unbounded(limit: str) -> None:
    """``none``: every module's ``bounded_connection`` becomes a plain connection; a size: the product's bound."""
    import os

    if limit != "none":
        os.environ["SHOPGRAPH_DUCKDB_READ_MEMORY"] = limit
        return
    import importlib

    import duckdb

    for name in ("events.store", "events.interactions", "graph.load", "graph.bulk", "embeddings.graph"):
        module = importlib.import_module(name)
        if hasattr(module, "bounded_connection"):
            module.bounded_connection = lambda _workspace: duckdb.connect()


def _child(home: Path, part: str, limit: str, work: Path) -> dict[str, float]:
    _unbounded(limit)
    import embeddings.graph  # noqa: F401  (imported before the clock starts, in both cases)
    import graph.bulk
    import graph.load  # noqa: F401
    from shopgraph.workspace import Workspace

    # a scratch workspace over the same store: the aggregates are made anew in it, the workspace's are not touched
    scratch = Workspace(work / "home")
    scratch.home.mkdir(parents=True, exist_ok=True)
    (scratch.home / "store").symlink_to(Workspace(home).store_dir.resolve(), target_is_directory=True)
    started = time.perf_counter()
    if part == "load":
        figures = _load_reads(scratch, work)
    elif part == "bulk":
        from graph.bulk import _write_import_csvs
        from graph.load import ingested_files

        _write_import_csvs(scratch, ingested_files(scratch)[:1], work / "csv", False, None)
        figures = {}
    else:
        from embeddings.graph import load_graph

        figures = {"training users": float(load_graph(scratch).counts()["user"])}
    figures["seconds"] = time.perf_counter() - started
    figures["peak GiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return figures


def _load_reads(scratch, work: Path) -> dict[str, float]:
    import duckdb

    import graph.load as load
    from events.interactions import write_interactions
    from shopgraph.sqltext import literal, literal_list

    sources = load.ingested_files(scratch)
    if len(sources) < 2:
        raise SystemExit("needs two ingested files or more (the last is loaded onto the others)")
    con = getattr(load, "bounded_connection", lambda _workspace: duckdb.connect())(scratch)  # older commits: none
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
                          ANTI JOIN {before} USING (user_id) ORDER BY user_id)
                    TO {literal(str(fresh))} (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT user_id, product_id, event_type FROM read_parquet({literal(interactions)})
                          SEMI JOIN (SELECT user_id, product_id, event_type FROM read_parquet({literal_list(earlier)}))
                              USING (user_id, product_id, event_type)
                          ORDER BY user_id, product_id)
                    TO {literal(str(known))} (FORMAT parquet)""")
    figures["new users and known pairs s"] = time.perf_counter() - t0
    events = [str(p) for p in source.event_files(scratch)]
    ranges = load.user_ranges(con, [interactions], load.RANGE_ROWS)
    steps = [
        load._Relationships(sql, load.EVENT_TYPES[step], fresh, known, ranges)
        for index, (step, _query, sql) in enumerate(load.step_queries(events, interactions))
        if index > load.USERS_STEP
    ]
    part = f"(user_id % {load.WRITERS} + {load.WRITERS}) % {load.WRITERS}"
    rows = [0] * load.WRITERS
    failures: list[BaseException] = []

    def writer(w: int) -> None:
        own = con.cursor()
        try:
            for relationships in steps:
                for batch in relationships.batches(own, load.DEFAULT_BATCH_SIZE, 0, f"{part} = {w}"):
                    rows[w] += batch.num_rows
        except BaseException as error:  # a thread's error would only be printed: the child must fail on it
            failures.append(error)
        finally:
            own.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(load.WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    figures["the writers' reads s"] = time.perf_counter() - t0
    figures["relationship rows"] = float(sum(rows))
    con.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("home", type=Path, help="a workspace with two ingested files or more (read only)")
    parser.add_argument("--parts", nargs="+", default=["load", "bulk", "graph"], choices=["load", "bulk", "graph"])
    parser.add_argument("--limits", nargs="+", default=["none", "2GB"], help="read bounds; 'none': unbounded")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    (args.home / "tmp").mkdir(exist_ok=True)
    if args.child:
        work = Path(tempfile.mkdtemp(prefix="load-reads-", dir=args.home / "tmp"))
        try:
            print(json.dumps(_child(args.home, *args.child, work)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    print(f"# bench/load_reads  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {args.home}  code {REPO}")
    for part in args.parts:
        results = {}
        for limit in args.limits:
            command = [sys.executable, __file__, str(args.home), "--child", part, limit]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode:
                print(f"{part} at {limit}: " + (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1])
                continue
            results[limit] = json.loads(done.stdout.strip().splitlines()[-1])
        if not results:
            continue
        print(f"\n{part}\n| figure | " + " | ".join(f"limit {limit}" for limit in results) + " |")
        print("|---|" + "---|" * len(results))
        for name in next(iter(results.values())):
            print(f"| {name} | " + " | ".join(f"{r.get(name, float('nan')):,.1f}" for r in results.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
