"""Benchmark of ``--engine spark``: one synthetic month through DuckDB, Spark ``local[2]`` and a standalone cluster.

    /tmp/spark-venv/bin/python bench/spark.py                      # 60 000 users, 2019-11
    /tmp/spark-venv/bin/python bench/spark.py --users 200000 --work /tmp/sparkbench

Needs the spark extra (pyspark 3.5) and Java 17. The month is written by ``events.synth``
(``.csv.gz``), then ingested and its feature table computed three times, each into a fresh
workspace with the same key: in this process with DuckDB; by a Spark driver in a child
process on ``local[2]``; and by a Spark driver on a standalone cluster of one master and two
workers of one core each, started on this machine (:func:`events.spark_cluster.local_cluster`).
Each Spark figure includes its driver's start (JVM and SparkSession), shown apart. The three
manifests and feature tables are compared with DuckDB's after the figures are printed.

    /tmp/spark-venv/bin/python bench/spark.py --graph --bolt-port 7870 --http-port 7871

``--graph``: the month ingested by DuckDB only, then loaded three times into an empty graph of a
Neo4j this script starts and stops (its own home under ``--work``, heap and page cache 1g): the
Bolt loader, ``load --bulk`` with DuckDB's import files, and ``load --bulk --engine spark``
(Spark ``local[2]`` in this process; its session's start shown apart). Each load starts from an
imported empty store, without interaction aggregates on disk. The three graphs' node and
relationship counts are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
KEY = "bench-key-not-secret"


def run_driver(master: str, home: str, *files: str) -> None:
    """The child process: ingest ``files`` and compute features on ``master``; print the seconds as JSON."""
    from events.spark_ingest import ingest_files_spark
    from events.spark_session import get_spark
    from features.calendar import load_calendar
    from features.spark_features import build_user_features_spark
    from shopgraph.workspace import Workspace

    t0 = time.perf_counter()
    spark = get_spark(master, app_name="shopgraph-bench")
    t1 = time.perf_counter()
    ingest_files_spark(Workspace(Path(home)), [Path(f) for f in files], master=master)
    t2 = time.perf_counter()
    build_user_features_spark(Workspace(Path(home)), load_calendar(), master=master)
    t3 = time.perf_counter()
    spark.stop()
    print(json.dumps({"session": t1 - t0, "ingest": t2 - t1, "features": t3 - t2}))


def spark_run(master: str, home: Path, files: list[Path]) -> dict[str, float]:
    """One Spark driver in a child process (one SparkContext per process); its seconds per phase."""
    done = subprocess.run(
        [sys.executable, __file__, "--driver", master, str(home), *map(str, files)],
        env={**os.environ, "SHOPGRAPH_PSEUDONYM_KEY": KEY, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"the Spark driver on {master} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def duckdb_run(home: Path, files: list[Path]) -> dict[str, float]:
    from events.ingest import ingest_files
    from features.calendar import load_calendar
    from features.compute import build_user_features
    from shopgraph.workspace import Workspace

    t0 = time.perf_counter()
    ingest_files(Workspace(home), files)
    t1 = time.perf_counter()
    build_user_features(Workspace(home), load_calendar())
    return {"session": 0.0, "ingest": t1 - t0, "features": time.perf_counter() - t1}


#: a share that flips where a purchase price ties its category's median up to float noise (the
#: median of per-product float means): DuckDB's own runs differ there too (docs/BENCHMARKS.md, "Spark")
TIE_METRICS = ("below_median_purchase_share",)


def differences(reference: Path, other: Path) -> str:
    """How ``other``'s manifest counts and feature table compare with ``reference``'s, in one line."""
    import math

    import duckdb

    from events.manifest import read_manifest
    from shopgraph.workspace import Workspace

    counts = [
        [(e.rows_read, e.rows_kept, e.rows_rejected, e.rows_duplicate, e.rows_per_month) for e in read_manifest(w)]
        for w in (Workspace(reference), Workspace(other))
    ]
    if counts[0] != counts[1]:
        raise SystemExit(f"{other}: manifest counts {counts[1]} differ from DuckDB's {counts[0]}")
    tables = [duckdb.sql(f"SELECT * FROM '{h}/features/user_features.parquet'") for h in (reference, other)]
    columns = tables[0].columns
    rows = [t.fetchall() for t in tables]
    if len(rows[0]) != len(rows[1]):
        raise SystemExit(f"{other}: {len(rows[1])} users, DuckDB {len(rows[0])}")
    differing: dict[str, int] = {}
    for a, b in zip(*rows, strict=True):
        for column, x, y in zip(columns, a, b, strict=True):
            same = math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) if isinstance(x, float) and y is not None else x == y
            if not same:
                differing[column] = differing.get(column, 0) + 1
    if set(differing) - set(TIE_METRICS):
        raise SystemExit(f"{other}: feature columns differ from DuckDB's: {differing}")
    ties = ", ".join(f"{c} of {n} users" for c, n in differing.items())
    return f"counts equal, {len(rows[0]):,} users, every value equal" + (f" but {ties} (ties)" if ties else "")


def graph_runs(store: Path, work: Path, bolt_port: int, http_port: int) -> None:
    """The Bolt loader, DuckDB's bulk import and Spark's bulk import of ``store`` into an empty graph; the figures."""
    os.environ.update(
        {
            "SHOPGRAPH_HOME": str(work / "graph-home"),
            "NEO4J_URI": f"bolt://127.0.0.1:{bolt_port}",
            "SHOPGRAPH_NEO4J_HTTP_PORT": str(http_port),
            "SHOPGRAPH_NEO4J_HEAP": "1g",
            "SHOPGRAPH_NEO4J_PAGECACHE": "1g",
        }
    )
    from events.spark_session import get_spark
    from graph.bulk import _wait_for_reads, bulk_load, import_empty_store
    from graph.connection import QueryRunner, open_driver
    from graph.load import load
    from graph.server import LocalServer
    from shopgraph.settings import Settings
    from shopgraph.workspace import Workspace

    settings = Settings.from_env()
    server = LocalServer(settings)
    server.start()
    driver = open_driver(settings)
    workspace, rows = Workspace(store), {}
    try:
        db = QueryRunner(driver)

        def fresh() -> None:  # an empty store imported (deleting a loaded graph needs more than a 1g heap)
            server.stop()
            import_empty_store(server, work / "empty-store")
            server.start()
            _wait_for_reads(db)
            shutil.rmtree(workspace.interactions_dir, ignore_errors=True)

        fresh()
        t0 = time.perf_counter()
        load(db, workspace)
        rows["Bolt loader (graph/load.py)"] = (0.0, 0.0, 0.0, time.perf_counter() - t0, _graph_counts(db))
        for engine in ("duckdb", "spark"):
            fresh()
            t0 = time.perf_counter()
            if engine == "spark":
                get_spark("local[2]", app_name="shopgraph-bench")
            session = time.perf_counter() - t0
            report = bulk_load(db, settings, workspace, server=server, engine=engine)
            label = f"load --bulk --engine {engine}"
            rows[label] = (session, report.phases["csv"], report.phases["import"], report.seconds, _graph_counts(db))
    finally:
        driver.close()
        server.stop()
    print(
        f"{'graph load':<32} {'session':>8} {'files':>8} {'import':>8} {'total':>8} {'× Bolt':>7}  nodes, relationships"
    )
    bolt = rows["Bolt loader (graph/load.py)"][3]
    for label, (session, files, imported, total, counts) in rows.items():
        print(
            f"{label:<32} {session:8.1f} {files:8.1f} {imported:8.1f} {total:8.1f} {total / bolt:7.2f}  "
            f"{counts[0]:,}, {counts[1]:,}"
        )
    if len({row[4] for row in rows.values()}) != 1:
        raise SystemExit("the three graphs differ in their node or relationship counts")


def _graph_counts(db) -> tuple[int, int]:
    nodes = db.run_text("MATCH (n) RETURN count(n) AS n")[0]["n"]
    return nodes, db.run_text("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60_000)
    parser.add_argument("--month", default="2019-11")
    parser.add_argument("--work", type=Path, default=Path("/tmp/shopgraph-bench-spark"))
    parser.add_argument("--graph", action="store_true", help="the graph loads (Bolt, DuckDB bulk, Spark bulk)")
    parser.add_argument("--bolt-port", type=int, default=7692)
    parser.add_argument("--http-port", type=int, default=7479)
    parser.add_argument("--driver", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver:
        run_driver(*args.driver)
        return
    from events.spark_cluster import local_cluster
    from events.synth import generate

    os.environ["SHOPGRAPH_PSEUDONYM_KEY"] = KEY
    shutil.rmtree(args.work, ignore_errors=True)
    made = generate(args.work / "synth", users=args.users, months=args.month, seed=1)
    print(
        f"one synthetic month: {args.month}, {args.users:,} users, {made.events:,} rows "
        f"({made.files[0].stat().st_size / 1e6:.1f} MB gzip)"
    )
    if args.graph:
        from events.ingest import ingest_files
        from shopgraph.workspace import Workspace

        ingest_files(Workspace(args.work / "duckdb"), made.files)
        graph_runs(args.work / "duckdb", args.work, args.bolt_port, args.http_port)
        return
    homes = {name: args.work / name.replace("[2]", "-2") for name in ("duckdb", "local[2]", "cluster")}
    seconds = {"duckdb": duckdb_run(homes["duckdb"], made.files)}
    seconds["local[2]"] = spark_run("local[2]", homes["local[2]"], made.files)
    t0 = time.perf_counter()
    with local_cluster(args.work / "cluster-logs", workers=2, cores=1, memory="2g") as url:
        cluster_start = time.perf_counter() - t0
        seconds["cluster"] = spark_run(url, homes["cluster"], made.files)
    base = seconds["duckdb"]["ingest"] + seconds["duckdb"]["features"]
    print(f"{'engine':<52} {'session':>8} {'ingest':>8} {'features':>9} {'total':>8} {'× DuckDB':>9}")
    labels = {
        "duckdb": "DuckDB (in process)",
        "local[2]": "Spark local[2]",
        "cluster": f"Spark standalone, 2 workers × 1 core (start {cluster_start:.0f}s)",
    }
    for name, s in seconds.items():
        work = s["ingest"] + s["features"]
        print(
            f"{labels[name]:<52} {s['session']:8.1f} {s['ingest']:8.1f} {s['features']:9.1f} {work:8.1f} "
            f"{work / base:9.1f}"
        )
    for name in ("local[2]", "cluster"):
        print(f"{labels[name]}: {differences(homes['duckdb'], homes[name])}")


if __name__ == "__main__":
    main()
