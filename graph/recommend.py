"""Segment-based product recommendations: what a customer's segment buys, weighted by lift and recency.

The definition (bench/recommend.py computes the same in DuckDB and checks it against this):

* segment list — for the customer's current segment S, every product ``p`` bought by at
  least ``min_buyers`` customers of S scores ``weight(p) × lift(p)``, where ``weight`` sums
  ``2^(−age / half_life_days)`` over S's buyers of ``p`` (``age`` = days between their last
  purchase of ``p`` and S's latest purchase) and ``lift`` = (S's buyers of p ÷ S's buyers) ÷
  (all buyers of p ÷ all buyers);
* fallbacks — customers in no current segment, in "Not enough activity yet" (segment id 0),
  or whose segment list runs out get the popular products (recency-weighted buyers) of their
  department (``User.top_category``), then of the whole shop;
* personalisation — the segment's best ``CANDIDATES`` products are re-ranked by the customer's
  own interest: ``score × (1 + CATEGORY_BOOST × share of their views and carts in the product's
  category) × (1 + ITEM_BOOST if they viewed or carted that very product)``;
* never a product the customer already bought, nor one whose price is 0 or missing (data dirt;
  filtered in the Cypher); ties broken by product id.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.manifest import read_manifest
from events.pseudonym import load_key, pseudonym
from graph.connection import QueryRunner
from shopgraph.errors import ShopgraphError
from shopgraph.files import atomic_write
from shopgraph.progress import Progress
from shopgraph.workspace import Workspace

NOT_ENOUGH_ACTIVITY_ID = 0
DEFAULT_K = 10
HALF_LIFE_DAYS = 30.0
MIN_BUYERS = 2
NO_DEPARTMENT = frozenset({"", "other"})
CANDIDATES = 200
CATEGORY_BOOST = 10.0
ITEM_BOOST = 5.0


@dataclass(frozen=True)
class Recommendation:
    """One recommended product: its rank (1 = best), score and where it came from."""

    product_id: int
    rank: int
    score: float
    source: str  # "segment", "department" or "shop"


@dataclass(frozen=True)
class CustomerRecommendations:
    user_id: int
    segment: str | None
    items: tuple[Recommendation, ...]
    likely: bool = False  # below the activity threshold: ``segment`` is their likely segment (--include-likely)


def stored_id(workspace: Workspace, raw_id: int) -> int:
    """The id the graph holds for the shop's ``raw_id``: its pseudonym (as ingest computed it), or the raw id
    itself when the store was ingested with ``--no-pseudonymise`` (ingest never mixes the two)."""
    files = read_manifest(workspace)
    if files and not any(f.pseudonymised for f in files):
        return int(raw_id)
    return pseudonym(raw_id, load_key(workspace, create=False))


def personalise(
    candidates: Sequence[tuple[int, float]], category_of: dict[int, Any], interactions: Iterable[tuple[int, Any, int]]
) -> list[tuple[int, float]]:
    """Re-rank (product, score) by the customer's interactions [(product, category, views + carts)]."""
    per_category: dict[Any, int] = {}
    products: set[int] = set()
    total = 0
    for product, category, n in interactions:
        per_category[category] = per_category.get(category, 0) + n
        products.add(product)
        total += n
    if not total:
        return list(candidates)
    out = [
        (
            p,
            s
            * (1 + CATEGORY_BOOST * per_category.get(category_of.get(p), 0) / total)
            * (1 + (ITEM_BOOST if p in products else 0.0)),
        )
        for p, s in candidates
    ]
    return sorted(out, key=lambda item: (-item[1], item[0]))


def rank(
    k: int, purchased: Iterable[int], lists: Sequence[tuple[str, Sequence[tuple[int, float]]]]
) -> list[Recommendation]:
    """The first ``k`` products of ``lists`` (source, [(product_id, score)] best first), in order, without
    ``purchased`` products or repeats."""
    seen = set(purchased)
    out: list[Recommendation] = []
    for source, items in lists:
        for product_id, score in items:
            if len(out) >= k:
                return out
            if product_id in seen:
                continue
            seen.add(product_id)
            out.append(Recommendation(int(product_id), len(out) + 1, float(score), source))
    return out


class Recommender:
    """Recommends from the graph, caching each segment's and department's scored list for a batch."""

    def __init__(
        self, db: QueryRunner, k: int = DEFAULT_K, half_life_days: float = HALF_LIFE_DAYS, min_buyers: int = MIN_BUYERS
    ) -> None:
        if k < 1:
            raise ShopgraphError("-k must be at least 1")
        self.db = db
        self.k = k
        self.half_life_days = half_life_days
        self.min_buyers = min_buyers
        self._segments: dict[Any, tuple[int, list[tuple[int, float]]]] = {}
        self._popular: dict[Any, tuple[int, list[tuple[int, float]]]] = {}
        self._category: dict[int, Any] = {}

    def _depth(self, purchased: int) -> int:
        return self.k + purchased

    def _cached(
        self,
        cache: dict[Any, tuple[int, list[tuple[int, float]]]],
        key: Any,
        depth: int,
        fetch: Callable[[int], list[dict[str, Any]]],
    ) -> list[tuple[int, float]]:
        """A scored list long enough for ``depth`` (a list shorter than what was asked for is complete)."""
        asked, items = cache.get(key, (0, []))
        if asked == 0 or (len(items) >= asked and depth > asked):
            asked = max(depth, 4 * self.k, 2 * asked)
            items = [(r["product_id"], r["score"]) for r in fetch(asked)]
            cache[key] = (asked, items)
        return items

    def segment_list(self, segment_id: int, depth: int) -> list[tuple[int, float]]:
        def fetch(limit: int) -> list[dict[str, Any]]:
            rows = self.db.run(
                "recommend/segment_scores",
                segment_id=segment_id,
                half_life_days=self.half_life_days,
                min_buyers=self.min_buyers,
                limit=limit,
            )
            self._category.update({r["product_id"]: r["category_id"] for r in rows})
            return rows

        return self._cached(self._segments, segment_id, depth, fetch)

    def popular_list(self, department: str, depth: int) -> list[tuple[int, float]]:
        return self._cached(
            self._popular,
            department,
            depth,
            lambda limit: self.db.run(
                "recommend/popular",
                department=department,
                half_life_days=self.half_life_days,
                min_buyers=1,
                limit=limit,
            ),
        )

    def for_context(self, context: dict[str, Any]) -> CustomerRecommendations:
        """Top-k for one row of recommend/user_context or recommend/segment_members."""
        purchased = [int(p) for p in context["purchased"]]
        depth = self._depth(len(purchased))
        lists: list[tuple[str, Sequence[tuple[int, float]]]] = []
        segment_id = context.get("segment_id")
        if segment_id is not None and segment_id != NOT_ENOUGH_ACTIVITY_ID:
            candidates = self.segment_list(segment_id, max(depth, CANDIDATES))[: max(depth, CANDIDATES)]
            interactions = [(i["product_id"], i["category_id"], i["n"]) for i in context.get("interest") or []]
            lists.append(("segment", personalise(candidates, self._category, interactions)))
        department = context.get("top_category") or ""
        if department not in NO_DEPARTMENT:
            lists.append(("department", self.popular_list(department, depth)))
        lists.append(("shop", self.popular_list("", depth)))
        return CustomerRecommendations(
            int(context["user_id"]),
            context.get("segment"),
            tuple(rank(self.k, purchased, lists)),
            likely=bool(context.get("likely", False)),
        )

    def for_users(self, user_ids: Sequence[int]) -> list[CustomerRecommendations]:
        """Top-k for stored pseudonyms; an id with no User node is one clear error."""
        rows = self.db.run("recommend/user_context", user_ids=list(user_ids))
        found = {r["user_id"]: r for r in rows}
        missing = [u for u in user_ids if u not in found]
        if missing:
            raise ShopgraphError(
                f"no customer {missing[0]} in the graph (was it loaded, or erased?): "
                "give the shop's id, or --pseudonym for a stored one"
            )
        return [self.for_context(found[u]) for u in user_ids]

    def for_segment(
        self, segment: str, progress: Progress | None = None, include_likely: bool = False
    ) -> list[CustomerRecommendations]:
        """Top-k for every customer of a current segment (English or French name), and with ``include_likely``
        for the customers below the activity threshold whose likely segment it is; progress step ``customers``."""
        members = segment_members(self.db, segment, include_likely)
        if not members:
            raise ShopgraphError(unknown_segment_message(self.db, segment))
        out = []
        for i, member in enumerate(members, start=1):
            out.append(self.for_context(member))
            if progress and (i % 500 == 0 or i == len(members)):
                progress("customers", i, len(members))
        return out


def segment_members(db: QueryRunner, segment: str, include_likely: bool = False) -> list[dict[str, Any]]:
    """The rows of recommend/segment_members, then (``include_likely``) those of recommend/segment_likely_members
    marked ``likely``; empty when no current segment has that name."""
    members = [{**m, "likely": False} for m in db.run("recommend/segment_members", segment=segment)]
    if include_likely and members:
        members += [{**m, "likely": True} for m in db.run("recommend/segment_likely_members", segment=segment)]
    return members


def unknown_segment_message(db: QueryRunner, segment: str) -> str:
    """'no current segment named X: the current ones are …' (or how to make some)."""
    rows = db.run("recommend/current_segments")
    if not rows:
        return f"no current segment named {segment!r}: the graph holds no segmentation yet (run `shopgraph segment`)"
    names = ", ".join(f"{r['name']!r}" for r in rows)
    return f"no customers in a current segment named {segment!r}: the current segments are {names}"


def write_batch(
    results: Sequence[CustomerRecommendations], path: Path, likely_column: bool = False, segment: str | None = None
) -> Path:
    """One CSV row per (customer, rank): user_id, segment, rank, product_id, score, source, and with
    ``likely_column`` (``--include-likely``) ``likely``: true for a customer whose segment is only their likely one;
    atomic. ``segment``: the name to write (the one the user asked for, English or French), else each result's."""
    columns = ["user_id", "segment", "rank", "product_id", "score", "source"]
    with atomic_write(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, "likely"] if likely_column else columns)
        for result in results:
            likely = [str(result.likely).lower()] if likely_column else []
            for item in result.items:
                name = segment or result.segment
                row = [result.user_id, name, item.rank, item.product_id, f"{item.score:.6g}", item.source]
                writer.writerow([*row, *likely])
    return path
