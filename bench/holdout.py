"""Where the report step's recommendation hold-out spends its time, on a workspace of two months or more.

Usage::

    .venv/bin/python bench/holdout.py HOME        # a workspace whose store holds ≥ 2 months and a feature table

Times, in this process, the hold-out's read of the store (``load_holdout``, from the training months' digests of
events/month_digest.py, made first where missing) and each recommender over the evaluated
customers (at most 20,000), with stand-in segments (``user_id % 8`` over the feature table's customers: the segment
recommender's cost does not depend on what the segments are). The item-to-item recommender runs twice: as shipped
(NumPy) and as the loop over the seeds it replaced (tests/support/item_to_item_loop.py), the reference in the same
run; the two must give the same ten products to every customer, which the bench checks and prints.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(step, *args):
    started, cpu = time.perf_counter(), time.process_time()
    out = step(*args)
    return out, time.perf_counter() - started, time.process_time() - cpu


def fingerprint(data) -> str:
    """A short digest of everything the hold-out read (pairs, products, customers, interactions, departments)."""
    import hashlib

    parts = (
        data.pairs,
        sorted(data.department_of.items(), key=str),
        sorted(data.category_of.items(), key=str),
        sorted(data.unpriced),
        sorted((u, sorted(p)) for u, p in data.test.items()),
        sorted((u, list(p.items())) for u, p in data.interactions.items()),
        sorted(data.departments.items()),
        data.catalogue,
        data.known_users,
        data.candidates,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("home", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    os.environ["SHOPGRAPH_HOME"] = str(args.home)
    import pyarrow.parquet as pq

    import segments.recommend_eval as holdout
    from events.month_digest import month_digests
    from events.store import event_files, month_dirs
    from shopgraph.workspace import Workspace
    from tests.support.item_to_item_loop import item_to_item_by_loop

    workspace = Workspace(args.home)
    months = list(month_dirs(workspace))
    if len(months) < 2:
        sys.exit(f"{args.home}: the store holds {len(months)} month(s); the hold-out needs two or more")
    now = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    print(f"# bench/holdout  {now} UTC  load avg {os.getloadavg()[0]:.1f}  {args.home}")
    digests, seconds, _ = timed(month_digests, workspace, months[:-1])
    print(f"the training months' digests (made where missing, as describe makes them): {seconds:.1f}s")
    data, seconds, cpu = timed(holdout.load_holdout, digests, event_files(workspace, months[-1:]))
    print(
        f"read the hold-out ({', '.join(months[:-1])} → {months[-1]}): {seconds:.1f}s ({cpu:.1f} CPU s); "
        f"{len(data.pairs):,} training purchase pairs, {data.catalogue:,} products, {len(data.test):,} customers"
    )
    print(f"the hold-out's contents (equal across checkouts when equal here): {fingerprint(data)}")
    users = pq.read_table(workspace.features_dir / "user_features.parquet", columns=["user_id"]).column(0)
    segments = dict(zip(users.to_pylist(), (u % 8 for u in users.to_pylist()), strict=True))
    lists = {}
    for name, build in (
        ("segment", lambda: holdout.segment_recommender(data, segments)),
        ("popularity", lambda: holdout.popularity_recommender(data)),
        ("item-to-item (now)", lambda: holdout.item_to_item_recommender(data)),
        ("item-to-item (the loop before)", lambda: item_to_item_by_loop(data)),
    ):
        recommend, built, _ = timed(build)
        lists[name], seconds, cpu = timed(lambda r=recommend: {u: r(u) for u in data.users})
        print(f"{name}: {built + seconds:.1f}s ({cpu:.1f} CPU s scoring)")
    same = lists["item-to-item (now)"] == lists["item-to-item (the loop before)"]
    print(f"item-to-item: the same ten products for every customer as the loop: {same}")


if __name__ == "__main__":
    main()
