"""Each segment's analyst figures, computed once from the feature table and the event store when the run is made.

The per-segment analyst queries (cypher/analyst/, ``@cost: per-segment``) read these figures from
the run's ``Segment`` node instead of scanning its members: a query costs O(segments), not O(members),
even for a segment of millions. They are the same aggregates a member scan of the graph gives, over
the users the run assigns (the graph's User properties are the feature table's columns, NaN stored
as null): counts, sums, null-skipping means, and the spread over ``rfm_code`` and ``top_category``;
and from the purchase pairs (one per user and product bought: a PURCHASED relationship) with the
products' categories and brands (IN_CATEGORY, OF_BRAND), each category's and brand's pairs in the
segment and in all, as ``segment_top_categories`` / ``segment_top_brands`` counted them; and the segment's
top ``STORED_TOP`` products by lift and pairs of products bought by the same customers, as
``segment_top_products`` / ``segment_bought_together`` rank them (issue 20).

The figures travel in segments.json (``figures`` of each profile) and the write-back stores them as
the Segment node's properties (:func:`segment_properties`), so they always belong to their run; a month
that assigns restates them over the run's members of now (``segments/members_now.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

MEAN_METRICS = (
    "n_events",
    "n_sessions",
    "n_orders",
    "total_spent",
    "recency_days",
    "purchase_rate",
    "cart_abandonment_rate",
    "promo_share",
    "price_index_bought",
    "distinct_categories",
)
"""User metrics averaged per segment (missing values skipped): stored as ``avg_<metric>``."""
NO_VALUE = ""
"""A missing ``rfm_code`` / ``top_category`` in the stored lists (Neo4j lists hold no null)."""


def _numbers(features: pd.DataFrame, column: str) -> np.ndarray:
    """A metric as floats, NaN where the graph stores null (missing, NaN or ±infinity)."""
    if column not in features:
        return np.full(len(features), np.nan)
    values = pd.to_numeric(features[column], errors="coerce").astype("float64").to_numpy()
    return np.where(np.isfinite(values), values, np.nan)


def _spread(values: pd.Series) -> tuple[list[str], list[int]]:
    """The distinct values (missing as NO_VALUE) and their counts, biggest first, then by value."""
    counts = values.astype("object").where(values.notna(), NO_VALUE).astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    return [k for k, _ in ordered], [int(n) for _, n in ordered]


def segment_figures(features: pd.DataFrame, labels: np.ndarray) -> dict[int, dict[str, Any]]:
    """Per segment id in ``labels`` (aligned with ``features``' rows): the figures the analyst queries read."""
    labels = np.asarray(labels)
    orders = _numbers(features, "n_orders")
    spent = _numbers(features, "total_spent")
    means = {m: _numbers(features, m) for m in MEAN_METRICS}
    rfm = features["rfm_code"] if "rfm_code" in features else pd.Series([None] * len(features))
    top = features["top_category"] if "top_category" in features else pd.Series([None] * len(features))
    out: dict[int, dict[str, Any]] = {}
    for sid in sorted(int(s) for s in np.unique(labels)):
        rows = labels == sid
        figures: dict[str, Any] = {
            "customers": int(rows.sum()),
            "buyers": int((orders[rows] > 0).sum()),
            "orders": float(np.nansum(orders[rows])),
            "revenue": float(np.nansum(spent[rows])),
        }
        for metric, values in means.items():
            kept = values[rows][~np.isnan(values[rows])]
            figures[f"avg_{metric}"] = float(kept.mean()) if len(kept) else None
        figures["rfm_codes"], figures["rfm_customers"] = _spread(rfm[rows].reset_index(drop=True))
        figures["top_categories"], figures["top_category_customers"] = _spread(top[rows].reset_index(drop=True))
        out[sid] = figures
    return out


def segment_figures_in_file(path: Path, user_ids: np.ndarray, labels: np.ndarray) -> dict[int, dict[str, Any]]:
    """:func:`segment_figures` over the feature table on disk (``path``), the users ``user_ids`` labelled ``labels``.

    The same figures, aggregated by DuckDB as it streams the file, so a run does not hold these columns
    of every customer (millions at REES46 size) in pandas.
    """
    con = duckdb.connect()
    try:
        present = {row[0] for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}

        def number(column: str) -> str:  # NaN and ±infinity count as missing, as _numbers has it
            if column not in present:
                return "CAST(NULL AS DOUBLE)"
            return f"CASE WHEN isfinite(CAST(f.{column} AS DOUBLE)) THEN CAST(f.{column} AS DOUBLE) END"

        def text(column: str) -> str:
            return f"coalesce(CAST(f.{column} AS VARCHAR), '')" if column in present else "''"

        con.register("assigned", pd.DataFrame({"user_id": np.asarray(user_ids, np.int64), "segment_id": labels}))
        base = "FROM read_parquet(?) f JOIN assigned a USING (user_id)"
        means = ", ".join(f"avg({number(m)})" for m in MEAN_METRICS)
        totals = con.execute(
            f"SELECT a.segment_id, count(*), count(*) FILTER (WHERE {number('n_orders')} > 0), "
            f"coalesce(sum({number('n_orders')}), 0), coalesce(sum({number('total_spent')}), 0), {means} "
            f"{base} GROUP BY 1",
            [str(path)],
        ).fetchall()
        spreads = {
            column: con.execute(
                f"SELECT a.segment_id, {text(column)} AS value, count(*) {base} GROUP BY 1, 2", [str(path)]
            ).fetchall()
            for column in ("rfm_code", "top_category")
        }
    finally:
        con.close()
    out: dict[int, dict[str, Any]] = {}
    for sid, customers, buyers, orders, revenue, *avgs in totals:
        figures: dict[str, Any] = {
            "customers": int(customers),
            "buyers": int(buyers),
            "orders": float(orders),
            "revenue": float(revenue),
        }
        figures |= {f"avg_{m}": None if v is None else float(v) for m, v in zip(MEAN_METRICS, avgs, strict=True)}
        for column, (values_key, counts_key) in (
            ("rfm_code", ("rfm_codes", "rfm_customers")),
            ("top_category", ("top_categories", "top_category_customers")),
        ):
            ordered = sorted(((v, int(n)) for s, v, n in spreads[column] if s == sid), key=lambda vn: (-vn[1], vn[0]))
            figures[values_key], figures[counts_key] = [v for v, _ in ordered], [n for _, n in ordered]
        out[int(sid)] = figures
    return dict(sorted(out.items()))


PURCHASE_SQL = """
    WITH seg_pairs AS (SELECT a.segment_id, p.product_id FROM pairs p JOIN assigned a USING (user_id)),
         cat AS (SELECT s.segment_id, c.category_id AS item, count(*) AS n
                 FROM seg_pairs s JOIN categories c USING (product_id) GROUP BY 1, 2),
         brand AS (SELECT s.segment_id, b.brand AS item, count(*) AS n
                   FROM seg_pairs s LEFT JOIN brands b USING (product_id) GROUP BY 1, 2),
         all_cat AS (SELECT c.category_id AS item, count(*) AS all_n FROM pairs p JOIN categories c USING (product_id)
                     GROUP BY 1),
         all_brand AS (SELECT b.brand AS item, count(*) AS all_n FROM pairs p JOIN brands b USING (product_id)
                       GROUP BY 1)
    SELECT 'category' AS kind, segment_id, CAST(item AS VARCHAR) AS item, n, all_n
    FROM cat LEFT JOIN all_cat USING (item)
    UNION ALL
    SELECT 'brand', segment_id, item, n, all_n FROM brand LEFT JOIN all_brand USING (item)
    ORDER BY kind, segment_id, n DESC, item
"""


STORED_TOP = 1_000
"""Products, and pairs of products, kept per segment for ``segment_top_products`` / ``segment_bought_together``."""
PRODUCT_FLOOR = 2
"""A product is kept for a segment when at least this many of its customers bought it."""
PAIR_FLOOR = 2
"""A pair of products is kept for a segment when at least this many of its customers bought both."""

PRODUCT_SQL = f"""
    WITH seg_pairs AS (SELECT a.segment_id, p.user_id, p.product_id FROM pairs p JOIN assigned a USING (user_id)),
         seg_buyers AS (SELECT segment_id, count(DISTINCT user_id) AS n FROM seg_pairs GROUP BY 1),
         all_p AS (SELECT product_id, count(*) AS all_n FROM pairs GROUP BY 1),
         seg_p AS (SELECT segment_id, product_id, count(*) AS n FROM seg_pairs GROUP BY 1, 2
                   HAVING count(*) >= {PRODUCT_FLOOR}),
         ranked AS (SELECT s.segment_id, s.product_id, s.n, a.all_n, row_number() OVER (
                        PARTITION BY s.segment_id ORDER BY (s.n::DOUBLE / b.n) / (a.all_n::DOUBLE / $all_buyers) DESC,
                        s.n DESC, s.product_id) AS rank
                    FROM seg_p s JOIN all_p a USING (product_id) JOIN seg_buyers b USING (segment_id))
    SELECT 'product' AS kind, segment_id, product_id, n, all_n, rank FROM ranked WHERE rank <= {STORED_TOP}
    UNION ALL
    SELECT 'buyers', segment_id, NULL, n, NULL, 0 FROM seg_buyers
    ORDER BY kind, segment_id, rank
"""

TOGETHER_SQL = f"""
    WITH seg_pairs AS (SELECT a.segment_id, p.user_id, p.product_id FROM pairs p JOIN assigned a USING (user_id)),
         together AS (SELECT x.segment_id, x.product_id AS a, y.product_id AS b, count(*) AS n
                      FROM seg_pairs x JOIN seg_pairs y ON x.user_id = y.user_id AND x.product_id < y.product_id
                      GROUP BY 1, 2, 3 HAVING count(*) >= {PAIR_FLOOR}),
         ranked AS (SELECT *, row_number() OVER (PARTITION BY segment_id ORDER BY n DESC, a, b) AS rank FROM together)
    SELECT segment_id, a, b, n FROM ranked WHERE rank <= {STORED_TOP} ORDER BY segment_id, rank
"""


def product_figures(con: duckdb.DuckDBPyConnection, out: dict[int, dict[str, Any]]) -> None:
    """Adds to ``out`` (per segment) its top products by lift and its pairs bought together, from ``con``'s
    registered ``pairs`` and ``assigned``: ``product_ids`` / ``product_buyers`` / ``product_all_buyers``
    (aligned; the segment's customers who bought it, all customers who did), ``product_segment_buyers`` and
    ``all_product_buyers`` (customers with a purchase in the segment, in all), ``together_a`` /
    ``together_b`` / ``together_customers`` (a < b; the segment's customers who bought both)."""
    all_buyers = con.execute("SELECT count(DISTINCT user_id) FROM pairs").fetchone()[0]
    for figures in out.values():
        figures |= {
            "product_ids": [],
            "product_buyers": [],
            "product_all_buyers": [],
            "product_segment_buyers": 0,
            "all_product_buyers": int(all_buyers),
            "together_a": [],
            "together_b": [],
            "together_customers": [],
        }
    for kind, sid, product, n, all_n, _ in con.execute(PRODUCT_SQL, {"all_buyers": max(all_buyers, 1)}).fetchall():
        figures = out[int(sid)]
        if kind == "buyers":
            figures["product_segment_buyers"] = int(n)
            continue
        figures["product_ids"].append(int(product))
        figures["product_buyers"].append(int(n))
        figures["product_all_buyers"].append(int(all_n))
    for sid, a, b, n in con.execute(TOGETHER_SQL).fetchall():
        figures = out[int(sid)]
        figures["together_a"].append(int(a))
        figures["together_b"].append(int(b))
        figures["together_customers"].append(int(n))


def purchase_figures(
    pairs: pd.DataFrame, categories: pd.DataFrame, brands: pd.DataFrame, assigned: pd.DataFrame
) -> dict[int, dict[str, Any]]:
    """Per segment of ``assigned`` (user_id, segment_id): its purchase pairs by category and by brand.

    ``pairs``: distinct (user_id, product_id) bought; ``categories``: distinct (product_id, category_id);
    ``brands``: distinct (product_id, brand). Per segment: ``category_ids`` / ``category_purchases`` /
    ``category_all_purchases`` (aligned lists; a pair counts once per category of its product),
    ``category_pairs`` (their sum), ``brands`` / ``brand_purchases`` / ``brand_all_purchases`` and
    ``brand_pairs`` (a pair of a product without a brand counts in the sum only), ``all_purchase_pairs``; and
    the products' and pairs' figures of :func:`product_figures`.
    """
    con = duckdb.connect()
    try:
        for name, frame in (("pairs", pairs), ("categories", categories), ("brands", brands), ("assigned", assigned)):
            con.register(name, frame)
        rows = con.execute(PURCHASE_SQL).fetchall()
        out = _category_and_brand_figures(rows, len(pairs), assigned)
        product_figures(con, out)
    finally:
        con.close()
    return out


def _category_and_brand_figures(rows: list[tuple], n_pairs: int, assigned: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """The rows of ``PURCHASE_SQL`` as each segment's category and brand lists."""
    out = {
        int(sid): {
            "category_ids": [],
            "category_purchases": [],
            "category_all_purchases": [],
            "category_pairs": 0,
            "brands": [],
            "brand_purchases": [],
            "brand_all_purchases": [],
            "brand_pairs": 0,
            "all_purchase_pairs": n_pairs,
        }
        for sid in pd.unique(assigned["segment_id"])
    }
    for kind, sid, item, n, all_n in rows:
        figures = out[int(sid)]
        figures[f"{kind}_pairs"] += int(n)
        if item is None:
            continue
        figures["category_ids" if kind == "category" else "brands"].append(int(item) if kind == "category" else item)
        figures[f"{kind}_purchases"].append(int(n))
        figures[f"{kind}_all_purchases"].append(int(all_n))
    return out


FIGURE_PROPERTIES = (
    "customers",
    "buyers",
    "orders",
    "revenue",
    *(f"avg_{m}" for m in MEAN_METRICS),
    "rfm_codes",
    "rfm_customers",
    "top_categories",
    "top_category_customers",
    "category_ids",
    "category_purchases",
    "category_all_purchases",
    "category_pairs",
    "brands",
    "brand_purchases",
    "brand_all_purchases",
    "brand_pairs",
    "all_purchase_pairs",
    "product_ids",
    "product_buyers",
    "product_all_buyers",
    "product_segment_buyers",
    "all_product_buyers",
    "together_a",
    "together_b",
    "together_customers",
)
"""The Segment node properties the figures become (every one set, null when the run has none)."""


def segment_properties(profile: dict[str, Any]) -> dict[str, Any]:
    """The Segment node properties from a profile's ``figures`` (all null for a run made without them)."""
    figures = profile.get("figures") or {}
    return {name: figures.get(name) for name in FIGURE_PROPERTIES}
