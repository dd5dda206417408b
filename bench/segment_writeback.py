"""Segment write-back (segments/writeback.py) of many users, phase by phase, against a bare property write.

Usage::

    .venv/bin/python bench/segment_writeback.py [--users 150000 1000000 --probe 50000 100000 150000 --batch-size 10000]

Starts its own Neo4j with the default heap (``SHOPGRAPH_NEO4J_HEAP``, 1g unless set; workspace
``--home /tmp/sg-bench-writeback``, Bolt 7695, HTTP 7482), creates ``--users`` User nodes
with load-like and feature-like properties (``UNWIND range`` in batches), 100 categories
and 50 brands, and two run folders A and B (10 segments each, B with a migration matrix).
Then, on the same graph:

* ``reference``: the same rows of run B as a bare ``UNWIND … MATCH (u:User {user_id}) SET
  u.x = …`` of the seven ``User.segment*`` values (under other names), one committed
  transaction per batch: the cheapest way to put those values on the users;
* ``write_run(A)`` (the first run: no previous one to retire), then ``write_run(B)``
  (switching from A, whose IN_SEGMENT are then retired), each phase as rows/s and as a
  ratio to the reference. While they run, ``SHOW TRANSACTIONS`` is sampled for the
  transaction memory (``estimatedUsedHeapMemory``, peak).

``--probe N …`` then tries, on the graph as it is, ONE transaction setting the seven values
on N users, and prints whether the server committed or refused it, with the transaction
state it held before the commit.

The default sizes are 150 k users (just above what one switch transaction takes with a 1 GiB
heap: the server refuses it and write_run falls back to THROUGH_THE_RUN) and 1 M users (far
beyond: THROUGH_THE_RUN from the start); the default probes, on the 1 M graph, are one
transaction of 50 k, 100 k and 150 k users.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEGMENTS = 10


def make_run(folder: Path, run_id: str, users: int, seed: int, previous: str | None) -> Path:
    """A run folder with the fields segments/writeback.py reads."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from shopgraph.words import NOT_ENOUGH_ACTIVITY

    rng = np.random.default_rng(seed)
    run_dir = folder / run_id
    run_dir.mkdir(parents=True)
    segment_id = rng.integers(0, SEGMENTS, users, dtype=np.int32)
    confidence = rng.random(users)
    pq.write_table(
        pa.table(
            {
                "user_id": np.arange(1, users + 1, dtype=np.int64),
                "segment_id": segment_id,
                "confidence": confidence,
                "low_confidence": confidence < 0.3,
            }
        ),
        run_dir / "assignments.parquet",
    )
    names = [f"Bench segment {i}" for i in range(SEGMENTS)]
    names[0] = NOT_ENOUGH_ACTIVITY["en"]
    sizes = np.bincount(segment_id, minlength=SEGMENTS)
    segments = [
        {
            "segment_id": i,
            "name": {"en": names[i], "fr": f"Segment {i} (fr)"},
            "description": {"en": "d", "fr": "d"},
            "actions": {"en": ["a", "b"], "fr": ["a", "b"]},
            "traits": {"en": ["t"], "fr": ["t"]},
            "size": int(sizes[i]),
            "share": float(sizes[i] / users),
            "revenue_share": 0.1,
            "conversion": 0.2,
            "categories": [{"category_id": 1 + (i * 7 + j) % 100, "lift": 2.0, "share": 0.1} for j in range(5)],
            "brands": [{"brand": f"brand{(i * 3 + j) % 50}", "lift": 1.5, "share": 0.1} for j in range(5)],
        }
        for i in range(SEGMENTS)
    ]
    (run_dir / "segments.json").write_text(json.dumps(segments))
    (run_dir / "run.json").write_text(
        json.dumps(
            {
                "run_id": run_id,
                "at": f"2026-12-0{seed}T20:00:00Z",
                "method": "kmeans",
                "k": SEGMENTS - 1,
                "threshold": 5,
                "seed": seed,
                "code_version": "bench",
                "data_window": "2019-10..2019-11",
                "scores": {"silhouette": 0.3},
                "previous_run_id": previous,
            }
        )
    )
    if previous:
        lines = ["previous_segment_id,segment_id,users"]
        lines += [f"{i},{j},{1000}" for i in range(SEGMENTS) for j in range(SEGMENTS)]
        (run_dir / "migration.csv").write_text("\n".join(lines) + "\n")
    return run_dir


def measure(db, workspace, n: int, batch: int, tmp: Path) -> None:
    """One graph of ``n`` users: the reference, then write_run A and B, phase by phase."""
    from graph.schema import apply_schema, reset_database
    from segments.writeback import read_run_folder, switch_capacity, write_run

    reset_database(db)
    apply_schema(db)
    t0 = time.perf_counter()
    for lo in range(1, n + 1, 50_000):
        db.run_text(
            "UNWIND range($lo, $hi) AS i CREATE (:User {user_id: i, n_events: 1 + i % 97, "
            "first_seen: datetime('2019-10-01T00:00:00Z'), last_seen: datetime('2019-11-30T00:00:00Z'), "
            "recency_days: i % 60, total_spent: toFloat(i % 1000), n_orders: i % 5, "
            "purchase_rate: 0.1, rfm_r: 1 + i % 5, rfm_f: 1 + i % 4, rfm_m: 1 + i % 3, promo_share: 0.2})",
            {"lo": lo, "hi": min(n, lo + 49_999)},
        )
    db.run_text("UNWIND range(1, 100) AS i CREATE (:Category {category_id: i})")
    db.run_text("UNWIND range(0, 49) AS i CREATE (:Brand {name: 'brand' + i})")
    print(
        f"\n{n:,} users: created in {time.perf_counter() - t0:.1f}s; one-transaction switch capacity "
        f"{switch_capacity(db):,} users"
    )

    runs = tmp / f"runs-{n}"
    run_a = make_run(runs, "20261201T200000Z-aaaaaa", n, 1, None)
    run_b = make_run(runs, "20261202T200000Z-bbbbbb", n, 2, "20261201T200000Z-aaaaaa")
    folder_b = read_run_folder(run_b)

    t0 = time.perf_counter()
    with db.driver.session() as session:
        for rows in folder_b.assignment_rows(0, batch):
            session.execute_write(
                lambda tx, rows=rows: tx.run(
                    "UNWIND $rows AS row MATCH (u:User {user_id: row.user_id}) "
                    "SET u.x_segment = row.segment, u.x_segment_fr = row.segment_fr, "
                    "u.x_segment_id = row.segment_id, u.x_confidence = row.confidence, "
                    "u.x_low_confidence = row.low_confidence, u.x_at = datetime($at), u.x_run = $run",
                    {"rows": rows, "at": folder_b.at, "run": folder_b.run_id},
                ).consume()
            )
    reference = n / (time.perf_counter() - t0)
    print(f"reference (bare SET of the 7 values, batches of {batch:,} committed): {reference:,.0f} rows/s")

    peak = {"heap": 0}
    sampling = threading.Event()

    def sample() -> None:
        with db.driver.session() as session:
            while not sampling.wait(0.5):
                try:
                    for row in session.run(
                        "SHOW TRANSACTIONS YIELD estimatedUsedHeapMemory AS heap RETURN max(heap) AS heap"
                    ):
                        peak["heap"] = max(peak["heap"], row["heap"] or 0)
                except Exception:
                    continue

    for name, run_dir in (("A (first run)", run_a), ("B (replaces A)", run_b)):
        peak["heap"] = 0
        sampling.clear()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        try:
            report = write_run(db, workspace, run_dir, batch_size=batch)
        finally:
            total = time.perf_counter() - t0
            sampling.set()
            sampler.join()
        print(
            f"write_run {name}: {report.matched:,} users, switch {report.switch}, {total:.1f}s in all "
            f"({n / total:,.0f} rows/s, ratio {n / total / reference:.2f}); "
            f"peak transaction memory {peak['heap'] / 2**20:,.0f} MiB"
        )
        for phase in ("clean", "stage", "switch", "copy", "retire"):
            took = report.seconds.get(phase, 0.0)
            if took >= 0.05:
                print(f"  {phase:<7} {took:7.1f}s  {n / took:>10,.0f} rows/s  ratio {n / took / reference:.2f}")
    check = db.run_text(
        "MATCH (u:User) RETURN count(u) AS users, count(CASE WHEN u.segment_run = $run THEN 1 END) AS on_b",
        {"run": folder_b.run_id},
    )[0]
    links = db.run_text("MATCH (:User)-[m:IN_SEGMENT]->(s:Segment) RETURN s.run_id AS run, count(m) AS n")
    print(
        f"check: {check['on_b']:,} of {check['users']:,} users carry run B; IN_SEGMENT per run: "
        + ", ".join(f"{r['run']}={r['n']:,}" for r in links)
    )


def probe(db, n: int, batch: int) -> None:
    """Can ONE transaction set the seven values on users 1..n of the graph as it is? (committed or refused)"""
    from neo4j.exceptions import TransientError

    statement = (
        "UNWIND range($lo, $hi) AS i MATCH (u:User {user_id: i}) "
        "SET u.segment = 'Probe ' + (i % 10), u.segment_fr = 'Sonde ' + (i % 10), u.segment_id = i % 10, "
        "u.segment_confidence = toFloat(i % 100) / 100, u.segment_low_confidence = i % 3 = 0, "
        "u.segmented_at = datetime($at), u.segment_run = $run"
    )
    run = f"probe-{n}-{time.time_ns()}"
    t0 = time.perf_counter()
    held = 0
    try:
        with db.driver.session() as session, session.begin_transaction() as tx:
            for lo in range(1, n + 1, batch):
                tx.run(
                    statement, {"lo": lo, "hi": min(n, lo + batch - 1), "at": "2026-12-09T00:00:00Z", "run": run}
                ).consume()
            held = max(
                (
                    r["heap"] or 0
                    for r in db.run_text(
                        "SHOW TRANSACTIONS YIELD estimatedUsedHeapMemory AS heap, currentQuery AS q "
                        "WHERE NOT q STARTS WITH 'SHOW' RETURN heap"
                    )
                ),
                default=0,
            )
            sent = time.perf_counter() - t0
            tx.commit()
        took = time.perf_counter() - t0
        outcome = f"committed ({n / took:,.0f} rows/s, commit {took - sent:.1f}s)"
    except TransientError as exc:
        outcome = f"REFUSED {exc.code}: {str(exc.message)[:110]}"
    print(
        f"probe, one transaction of {n:,} users: state {held / 2**20:,.0f} MiB before commit "
        f"({held / n:,.0f} B/user); {outcome}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--users",
        type=int,
        nargs="*",
        default=[150_000, 1_000_000],
        help="graph sizes, one measurement each (none: probe the graph left by the last run)",
    )
    parser.add_argument(
        "--probe",
        type=int,
        nargs="*",
        default=[50_000, 100_000, 150_000],
        help="then try ONE transaction setting the seven values on this many users, each",
    )
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--home", type=Path, default=Path("/tmp/sg-bench-writeback"))
    parser.add_argument("--bolt-port", type=int, default=7695)
    parser.add_argument("--http-port", type=int, default=7482)
    args = parser.parse_args()
    os.environ.update(
        {
            "SHOPGRAPH_HOME": str(args.home),
            "NEO4J_URI": f"bolt://127.0.0.1:{args.bolt_port}",
            "SHOPGRAPH_NEO4J_HTTP_PORT": str(args.http_port),
        }
    )
    os.environ.pop("NEO4J_PASSWORD", None)
    sys.path.insert(0, str(REPO))

    from graph.connection import connect
    from graph.server import LocalServer
    from shopgraph.settings import Settings
    from shopgraph.workspace import Workspace

    settings = Settings.from_env()
    server = LocalServer(settings)
    started = server.start()
    try:
        with connect(settings) as db, tempfile.TemporaryDirectory() as tmp:
            memory = db.run_text(
                "SHOW SETTINGS YIELD name, value WHERE name IN "
                "['server.memory.heap.max_size', 'db.memory.transaction.max', "
                "'dbms.memory.transaction.total.max'] RETURN name, value ORDER BY name"
            )
            load = os.getloadavg()[0]
            print(
                f"# bench/segment_writeback  {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC  "
                f"Neo4j {settings.neo4j_version}  {os.cpu_count()} CPUs  load avg {load:.1f}  "
                f"batch {args.batch_size:,}"
            )
            print("server: " + ", ".join(f"{m['name']}={m['value']}" for m in memory))
            for n in args.users:
                measure(db, Workspace.from_env(), n, args.batch_size, Path(tmp))
            if args.probe:
                users = db.run_text("MATCH (u:User) RETURN count(u) AS n")[0]["n"]
                print(f"\nprobes on the graph of {users:,} users (its segment indexes on):")
            for n in args.probe:
                probe(db, n, args.batch_size)
    finally:
        if started:
            server.stop()


if __name__ == "__main__":
    main()
