"""Benchmark every analyst query on a big synthetic graph: p50 / p95 over repeated runs with varied parameters.

Usage (EMPTIES the database of the local test server named by SHOPGRAPH_HOME / NEO4J_URI)::

    SHOPGRAPH_HOME=$PWD/.test-home NEO4J_URI=bolt://127.0.0.1:7696 SHOPGRAPH_NEO4J_HTTP_PORT=7483 \\
        .venv/bin/python bench/queries.py --users 300000

Builds (and reuses under ``--data``) synthetic months, their event store and features, loads
them with ``load --bulk`` (neo4j-admin import into the empty test database), writes stand-in
segments (k-means on the features, as bench/recommend.py; the contract's nodes through the test
fixture) and fake 32-dimensional user vectors (graph/vectors.py, index `user_embedding`), then
times each query ``--repeats`` times with parameters drawn per run (customers from the graph,
every segment in turn, thresholds varied), first WITHOUT then WITH ``cypher/analyst/indexes.cypher``.
The reference figure of each run is the same query's p50 without those indexes.
Goals: per-customer p95 ≤ 50 ms, per-segment p95 ≤ 500 ms (cost classes from the files' @cost).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

INDEXES = (
    "segment_name",
    "user_segment",
    "user_below_median_purchase_share",
    "user_promo_lift",
    "user_rfm_m",
    "carted_last_at",
)  # the indexes of cypher/analyst/indexes.cypher
GOALS_MS = {"per-customer": 50.0, "per-segment": 500.0}


def build(args) -> dict:
    import numpy as np

    from events.ingest import ingest_files
    from events.synth import generate
    from features.calendar import load_calendar
    from features.compute import build_user_features
    from features.graph_write import write_user_features
    from graph.bulk import bulk_load
    from graph.connection import connect
    from graph.schema import reset_database
    from graph.vectors import write_user_vectors
    from shopgraph.settings import Settings
    from shopgraph.workspace import Workspace
    from tests.support.analyst_world import write_fake_vectors
    from tests.support.segment_fixture import NOT_ENOUGH, Assignment, write_segments

    sys.path.insert(0, str(REPO / "bench"))
    from recommend import STANDIN_K, standin_segments

    data = Path(args.data)
    os.environ["SHOPGRAPH_PSEUDONYM_KEY"] = "bench-queries-key"
    synth_dir, store = data / "synth", Workspace(data / "home")
    timings: dict[str, float] = {}
    t = time.perf_counter()
    if not (synth_dir / "personas.csv").exists():
        generate(synth_dir, users=args.users, months=args.months, seed=args.seed)
    timings["synth"] = time.perf_counter() - t
    t = time.perf_counter()
    if not (store.store_dir / "manifest.json").exists():
        store.home.mkdir(parents=True, exist_ok=True)
        ingest_files(store, sorted(synth_dir.glob("*.csv.gz")))
    timings["ingest"] = time.perf_counter() - t
    t = time.perf_counter()
    table = build_user_features(store, load_calendar())
    timings["features"] = time.perf_counter() - t
    settings = Settings.from_env()
    with connect(settings) as db:
        reset_database(db)
        db.run_text("DROP INDEX user_embedding IF EXISTS")
        for name in INDEXES:
            db.run_text(f"DROP INDEX {name} IF EXISTS")
        t = time.perf_counter()
        bulk_load(db, settings, store)
        timings["load --bulk"] = time.perf_counter() - t
    with connect(settings) as db:
        t = time.perf_counter()
        write_user_features(db, table.path, batch_size=5_000)
        timings["features to graph"] = time.perf_counter() - t
        t = time.perf_counter()
        segments = standin_segments(table.path)
        names = {s: (f"Stand-in segment {s}", f"Segment provisoire {s}") for s in range(1, STANDIN_K + 1)}
        names[0] = NOT_ENOUGH[1:]
        rng = np.random.default_rng(1)
        current = {u: Assignment(s, *names[s], float(rng.uniform(0.4, 1.0))) for u, s in segments.items()}
        shuffled = {
            u: Assignment(((s + 1) % (STANDIN_K + 1)), *names[(s + 1) % (STANDIN_K + 1)], 0.8)
            for u, s in segments.items()
        }
        write_segments(db, current, shuffled)
        timings["stand-in segments"] = time.perf_counter() - t
        t = time.perf_counter()
        write_fake_vectors(store, list(segments), dims=32)
        write_user_vectors(db, store, batch_size=5_000)
        timings["vectors"] = time.perf_counter() - t
        counts = db.run("analyst/graph_overview")
    return {
        "timings": timings,
        "counts": {r["name"]: r["count"] for r in counts},
        "segments": sorted({a.name for a in current.values()}),
        "users": sorted(segments),
    }


def reuse(keep_indexes: bool = False) -> dict:
    """The world of a graph built by an earlier run: segment names, customers, counts; drops the bench indexes
    unless ``keep_indexes``."""
    from graph.connection import connect

    with connect() as db:
        for name in () if keep_indexes else INDEXES:
            db.run_text(f"DROP INDEX {name} IF EXISTS")
        segments = [r["name"] for r in db.run_text("MATCH (s:Segment {current: true}) RETURN s.name AS name")]
        users = [r["id"] for r in db.run_text("MATCH (u:User) RETURN u.user_id AS id ORDER BY rand() LIMIT 20000")]
        counts = {r["name"]: r["count"] for r in db.run("analyst/graph_overview")}
    return {"timings": {"reused": 0.0}, "counts": counts, "segments": sorted(segments), "users": users}


def draws(name: str, params, world: dict, rnd: random.Random) -> dict[str, str]:
    """Parameters for one run of ``name``: a random customer, the next segment, varied thresholds."""
    out: dict[str, str] = {}
    for p in params:
        if p.name == "user_id":
            out["user_id"] = str(rnd.choice(world["users"]))
        elif p.name == "segment" and p.required:
            out["segment"] = rnd.choice(world["segments"])
        elif p.name == "since":
            out["since"] = f"2019-{rnd.choice(['10', '11'])}-{rnd.randint(1, 28):02d}"
        elif p.type == "float" and not p.required and p.default:
            out[p.name] = str(round(p.default * rnd.uniform(0.7, 1.3), 3))
        elif p.name == "min_rfm_m":
            out[p.name] = str(rnd.choice([3, 4, 5]))
    return out


def time_all(db, world: dict, repeats: int, seed: int, only: list[str] | None = None) -> dict[str, list[float]]:
    from graph.queries import bind, library

    out: dict[str, list[float]] = {}
    for name, query in library().items():
        if only and name not in only:
            continue
        rnd = random.Random(f"{seed}-{name}")
        samples = []
        for i in range(repeats + 2):
            values = bind(query, draws(name, query.params, world, rnd))
            t = time.perf_counter()
            db.run(query.catalog_name, **values)
            if i >= 2:  # two warm-up runs
                samples.append((time.perf_counter() - t) * 1000)
        out[name] = samples
    return out


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=300_000)
    parser.add_argument("--months", default="2019-10..2019-11")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--data", default="/tmp/sg-bench-queries")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the graph an earlier run built (no rebuild; indexes of the earlier run dropped)",
    )
    parser.add_argument(
        "--indexed-only",
        action="store_true",
        help="with --reuse: time only with the indexes in place (no reference pass without them: on millions of "
        "customers it takes tens of seconds per query)",
    )
    parser.add_argument("--only", nargs="+", metavar="QUERY", help="time these queries only")
    args = parser.parse_args()

    from graph.connection import connect
    from graph.queries import library

    world = reuse(args.indexed_only) if args.reuse else build(args)
    print(
        f"graph: {world['counts'].get('User', 0):,} users, {world['counts'].get('Product', 0):,} products, "
        + ", ".join(f"{world['counts'].get(r, 0):,} {r}" for r in ("VIEWED", "CARTED", "PURCHASED", "IN_SEGMENT"))
        + f"; {len(world['segments'])} segments"
    )
    print("built in: " + ", ".join(f"{k} {v:.0f}s" for k, v in world["timings"].items()))
    with connect() as db:
        before = {} if args.indexed_only else time_all(db, world, args.repeats, args.seed, args.only)
        db.run("analyst/indexes")
        db.run_text("CALL db.awaitIndexes(600)")
        after = time_all(db, world, args.repeats, args.seed, args.only)
    queries = {name: query for name, query in library().items() if name in after}
    print(f"\n{'query':<26}{'cost':<14}{'p50 no idx':>11}{'p50 ms':>9}{'p95 ms':>9}{'ratio':>7}  goal")
    for name, query in queries.items():
        p50, p95 = pct(after[name], 0.5), pct(after[name], 0.95)
        ref = pct(before[name], 0.5) if name in before else float("nan")
        goal = GOALS_MS.get(query.cost)
        verdict = "-" if goal is None else f"p95 ≤ {goal:.0f} {'met' if p95 <= goal else 'NOT met'}"
        print(f"{name:<26}{query.cost:<14}{ref:>11.1f}{p50:>9.1f}{p95:>9.1f}{p50 / ref:>7.2f}  {verdict}")
    print(
        f"({args.repeats} timed runs per query after 2 warm-ups, parameters varied per run; ratio = p50 with "
        "the indexes / p50 without)"
    )


if __name__ == "__main__":
    main()
