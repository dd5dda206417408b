"""Benchmark the segment recommender on a temporal hold-out: train on months up to M, test on purchases in M+1.

Usage::

    .venv/bin/python bench/recommend.py --users 20000            # synthetic, 2019-10..2020-01, test month 2020-01
    .venv/bin/python bench/recommend.py --real                    # the real sample rows (Oct → Nov)

The evaluation itself is the library's (segments/recommend_eval.py, which ``shopgraph run``
also uses for the dossier); this script prepares the months and the stand-in segments.

Figures per recommender (top 10, over the customers of the training months who bought a
product in M+1 that they had not bought before): hit rate@10 (share with at least one such
product among the ten), precision@10, recall@10, catalogue coverage (distinct products
recommended ÷ products in the training months). Recommenders:

* **segment** — graph/recommend.py's definition (segment buyers weighted by recency × lift,
  department then shop fallbacks, purchases and products priced 0 excluded), computed in
  DuckDB/Python for speed; ``--check-cypher N`` loads the training months into the Neo4j at
  ``NEO4J_URI`` (it EMPTIES that database: use the test server) and compares N customers'
  lists with the Cypher recommender's;
* **popularity** — the most bought products of the training months (buyers), purchases excluded;
* **item-to-item** — co-purchase cosine similarity to the customer's purchased products (their
  carted, then viewed products when they bought nothing), filled with popularity.

Segments: a STAND-IN, fitted on the training months only (so the bench has no look-ahead and
does not depend on the segmentation's choices) — k-means (k = 8, seed 0) on standardised
features of the training months, users with < 3 events in "Not enough activity yet". The
figures with the real segmentation are the ones ``shopgraph run`` writes into the dossier.
Goals on synthetic data: segment hit rate@10 ≥ 1.5 × popularity and ≥ item-to-item.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402 (after the sys.path line: the bench runs from a checkout)
import numpy as np  # noqa: E402 (same)

K = 10
STANDIN_K = 8
FEATURES = [
    "n_events",
    "n_sessions",
    "n_orders",
    "total_spent",
    "purchase_rate",
    "view_to_cart_rate",
    "cart_abandonment_rate",
    "promo_share",
    "price_index_viewed",
    "recency_days",
    "share_electronics",
    "share_appliances",
    "share_computers",
    "share_apparel",
    "share_furniture",
    "share_kids",
    "share_sport",
    "share_construction",
    "share_auto",
    "share_accessories",
    "share_other",
]


def standin_segments(features: Path) -> dict[int, int]:
    """user_id → stand-in segment id (0 = fewer than 3 events; 1..k = k-means clusters)."""
    from sklearn.cluster import KMeans

    con = duckdb.connect()
    cols = ", ".join(f"coalesce({c}, 0)::DOUBLE" for c in FEATURES)
    rows = con.execute(
        f"SELECT user_id, n_events, {cols} FROM read_parquet(?) ORDER BY user_id", [str(features)]
    ).fetchall()
    ids = np.array([r[0] for r in rows])
    active = np.array([r[1] >= 3 for r in rows])
    x = np.array([r[2:] for r in rows], dtype=float)
    x[:, :4] = np.log1p(x[:, :4])
    x[:, 9] = np.log1p(x[:, 9])
    x = (x - x[active].mean(axis=0)) / (x[active].std(axis=0) + 1e-9)
    labels = KMeans(n_clusters=STANDIN_K, random_state=0, n_init=4).fit(x[active]).labels_ + 1
    out = {int(u): 0 for u in ids}
    out.update({int(u): int(label) for u, label in zip(ids[active], labels, strict=True)})
    return out


def prepare(args) -> tuple[Path, Path, list[str], str]:
    from events.ingest import ingest_files
    from events.synth import generate, parse_months

    home = Path(args.home)
    os.environ["SHOPGRAPH_PSEUDONYM_KEY"] = "bench-recommend-key"
    if args.real:
        files = sorted((REPO.parent / "shared" / "data").glob("*.csv"))
        by_month = {"2019-10": [f for f in files if "oct" in f.name], "2019-11": [f for f in files if "nov" in f.name]}
        months = ["2019-10", "2019-11"]
        home = home / "real"
    else:
        months = parse_months(args.months)
        data_dir = home / f"synth-{args.users}-{args.seed}"
        if not (data_dir / "personas.csv").exists():
            generate(data_dir, users=args.users, months=args.months, seed=args.seed)
        by_month = {m: [p for p in data_dir.glob("*.csv.gz") if _month_of(p.name) == m] for m in months}
        home = home / f"run-{args.users}-{args.seed}"
    train_home, test_home = home / "train", home / "test"
    for target, chosen in ((train_home, months[:-1]), (test_home, months[-1:])):
        if not (target / "store" / "manifest.json").exists():
            target.mkdir(parents=True, exist_ok=True)
            from shopgraph.workspace import Workspace

            ingest_files(Workspace(target), [f for m in chosen for f in by_month[m]])
    return train_home, test_home, months[:-1], months[-1]


def _month_of(name: str) -> str:
    from events.synth import month_file_name, parse_months

    for month in parse_months("2019-10..2020-04"):
        if month_file_name(month) == name:
            return month
    return ""


def check_cypher(train_home: Path, features: Path, segments: dict[int, int], recommend, users: list[int]) -> str:
    """Load the training months into the Neo4j at NEO4J_URI with the stand-in segments; compare lists."""
    from features.graph_write import write_user_features
    from graph.connection import connect
    from graph.load import load
    from graph.recommend import Recommender
    from graph.schema import apply_schema, reset_database
    from shopgraph.workspace import Workspace
    from tests.support.segment_fixture import NOT_ENOUGH, Assignment, write_segments

    names = {sid: (f"Stand-in segment {sid}", f"Segment provisoire {sid}") for sid in range(1, STANDIN_K + 1)}
    names[0] = NOT_ENOUGH[1:]
    assignments = {u: Assignment(s, *names[s], 0.9) for u, s in segments.items()}
    with connect() as db:
        reset_database(db)
        apply_schema(db)
        load(db, Workspace(train_home))
        write_user_features(db, features)
        write_segments(db, assignments)
        t0 = time.perf_counter()
        graph_lists = Recommender(db, k=K).for_users(users)
        seconds = time.perf_counter() - t0
    same = sum([i.product_id for i in g.items] == recommend(u) for u, g in zip(users, graph_lists, strict=True))
    return (
        f"Cypher check: {same}/{len(users)} customers get the same ten products from the Cypher recommender "
        f"({seconds / len(users) * 1000:.0f} ms per customer, segment lists cached)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--months", default="2019-10..2020-01", help="training months then the test month")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--home", default="/tmp/sg-bench-recommend")
    parser.add_argument("--real", action="store_true", help="the real sample rows in ../shared/data (Oct → Nov)")
    parser.add_argument("--check-cypher", type=int, default=0, metavar="N")
    parser.add_argument(
        "--max-users",
        type=int,
        default=None,
        help="evaluate a seeded sample of at most this many test customers (default: the library's)",
    )
    args = parser.parse_args()

    from events.month_digest import month_digests
    from events.store import event_files
    from features.calendar import load_calendar
    from features.compute import build_user_features
    from segments.recommend_eval import MAX_USERS, compare, load_holdout, segment_recommender
    from shopgraph.workspace import Workspace

    args.max_users = args.max_users or MAX_USERS

    t0 = time.perf_counter()
    train_home, test_home, train_months, test_month = prepare(args)
    table = build_user_features(Workspace(train_home), load_calendar())
    segments = standin_segments(table.path)
    data = load_holdout(
        month_digests(Workspace(train_home)), event_files(Workspace(test_home)), max_users=args.max_users
    )
    sampled = f" (evaluated: a sample of {len(data.test):,})" if data.candidates > len(data.test) else ""
    print(
        f"train {', '.join(train_months)} → test {test_month}: {data.known_users:,} customers, "
        f"{len(data.pairs):,} purchase pairs, {data.catalogue:,} products; {data.candidates:,} customers with a "
        f"new purchase in {test_month}{sampled}; stand-in k-means segments k={STANDIN_K} "
        f"({sum(1 for s in segments.values() if s == 0):,} with < 3 events); "
        f"prepared in {time.perf_counter() - t0:.0f}s"
    )
    if not data.test:
        print(f"no customer of the training months bought a new product in {test_month}: no figure to report")
        return
    t1 = time.perf_counter()
    results = compare(data, segments, K, unpersonalised=True)
    print(f"four recommenders scored on {len(data.test):,} customers in {time.perf_counter() - t1:.1f}s")
    print(f"{'recommender':<26}{'hit@10':>9}{'prec@10':>9}{'recall@10':>11}{'coverage':>10}")
    for name, r in results.items():
        print(f"{name:<26}{r['hit_rate']:>9.4f}{r['precision']:>9.4f}{r['recall']:>11.4f}{r['coverage']:>10.4f}")
    seg, pop, i2i = (results[n]["hit_rate"] for n in ("segment", "popularity", "item-to-item"))
    print(
        f"segment / popularity hit rate = {seg / pop if pop else float('inf'):.2f} (goal ≥ 1.5: "
        f"{'met' if pop and seg >= 1.5 * pop else 'NOT met'}); segment / item-to-item = "
        f"{seg / i2i if i2i else float('inf'):.2f} (goal ≥ 1: {'met' if seg >= i2i else 'NOT met'})"
    )
    if args.check_cypher:
        rng = np.random.default_rng(0)
        pool = sorted(data.test)
        users = [int(u) for u in rng.choice(pool, size=min(args.check_cypher, len(pool)), replace=False)]
        print(check_cypher(train_home, table.path, segments, segment_recommender(data, segments, k=K), users))


if __name__ == "__main__":
    main()
