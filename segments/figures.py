"""Each segment's analyst figures, computed once from the feature table when the run is made (issue 20).

The per-segment analyst queries (cypher/analyst/, ``@cost: per-segment``) read these figures from
the run's ``Segment`` node instead of scanning its members: a query costs O(segments), not O(members),
even for a segment of millions. They are the same aggregates a member scan of the graph gives, over
the users the run assigns (the graph's User properties are the feature table's columns, NaN stored
as null): counts, sums, null-skipping means, and the spread over ``rfm_code`` and ``top_category``.

The figures travel in segments.json (``figures`` of each profile) and the write-back stores them as
the Segment node's properties (:func:`segment_properties`), so they always belong to their run.
"""

from __future__ import annotations

from typing import Any

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
)
"""The Segment node properties the figures become (every one set, null when the run has none)."""


def segment_properties(profile: dict[str, Any]) -> dict[str, Any]:
    """The Segment node properties from a profile's ``figures`` (all null for a run made without them)."""
    figures = profile.get("figures") or {}
    return {name: figures.get(name) for name in FIGURE_PROPERTIES}
