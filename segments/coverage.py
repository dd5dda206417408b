"""Likely segments below the activity threshold, and how much of the shop the segments cover.

A customer under the threshold keeps ``segment`` "Not enough activity yet"; with at least
``MIN_EVENTS_TO_CLUSTER`` events they also get a *likely* segment (the classifier's guess, with its
confidence) in separate columns, so the reliable label is never mixed with the guess. Coverage counts
customers and revenue with a segment, with a likely segment only, and with neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from shopgraph.workspace import Workspace

LIKELY_COLUMNS = ("likely_segment_id", "likely_segment", "likely_segment_confidence")


def with_likely(
    assignments: pd.DataFrame, likely: np.ndarray, confidence: np.ndarray, names: Mapping[int, str]
) -> pd.DataFrame:
    """``assignments`` with the likely-segment columns (id 0, name None and NaN confidence: none)."""
    likely = np.asarray(likely, np.int64)
    out = assignments.copy()
    out["likely_segment_id"] = likely.astype(np.int32)
    out["likely_segment"] = [names.get(int(s), f"segment {s}") if s else None for s in likely]
    out["likely_segment_confidence"] = np.where(likely > 0, np.asarray(confidence, np.float64), np.nan)
    return out


def coverage(assignments: pd.DataFrame, features: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Customers and revenue (``total_spent``) with a segment, with a likely segment only, with neither:
    ``{"segment"|"likely"|"neither": {"customers", "customer_share", "revenue", "revenue_share"}}``."""
    spend = features[["user_id", "total_spent"]].copy()
    spend["total_spent"] = pd.to_numeric(spend["total_spent"], errors="coerce").fillna(0.0)
    frame = assignments.merge(spend, on="user_id", how="left").fillna({"total_spent": 0.0})
    has_segment = frame["segment_id"].to_numpy() != 0
    likely = frame["likely_segment_id"].fillna(0).to_numpy() if "likely_segment_id" in frame else np.zeros(len(frame))
    has_likely = ~has_segment & (likely != 0)
    groups = {"segment": has_segment, "likely": has_likely, "neither": ~has_segment & ~has_likely}
    revenue = frame["total_spent"].to_numpy(float)
    total_customers, total_revenue = max(len(frame), 1), float(revenue.sum()) or 1.0
    return {
        name: {
            "customers": int(rows.sum()),
            "customer_share": float(rows.sum() / total_customers),
            "revenue": float(revenue[rows].sum()),
            "revenue_share": float(revenue[rows].sum() / total_revenue),
        }
        for name, rows in groups.items()
    }


def run_coverage(workspace: Workspace, run_dir: Path) -> dict[str, dict[str, float]]:
    """:func:`coverage` of a run folder's assignments as they are now, revenue from the feature table."""
    from features.compute import FEATURES_FILE

    assignments = pd.read_parquet(run_dir / "assignments.parquet")
    path = workspace.features_dir / FEATURES_FILE
    if path.is_file():
        features = pd.read_parquet(path, columns=["user_id", "total_spent"])
    else:  # no feature table any more: customers only
        features = pd.DataFrame({"user_id": assignments["user_id"], "total_spent": 0.0})
    return coverage(assignments, features)


FIGURE_COLUMNS = ["user_id", "total_spent", "n_orders", "n_sessions"]
NO_MEMBERS = {"size": 0, "share": 0.0, "revenue_share": 0.0, "conversion": 0.0}  # a segment no one holds now


def figures_now(assignments: pd.DataFrame, features: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Each segment's size, share, revenue share and session conversion from ``assignments`` (``user_id``,
    ``segment_id``) as they are now and the feature table's ``FIGURE_COLUMNS``: after a month that assigned,
    the segment tables show the members the segments hold now, not the ones they were trained on (the
    figures of ``segments.profile``: spend over all customers' spend, orders over sessions)."""
    frame = assignments[["user_id", "segment_id"]].merge(features[FIGURE_COLUMNS], on="user_id", how="left")
    for column in FIGURE_COLUMNS[1:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0.0)
    sums = frame.groupby("segment_id")[FIGURE_COLUMNS[1:]].sum()
    sizes = frame["segment_id"].value_counts()
    customers, spend = max(len(frame), 1), float(frame["total_spent"].sum()) or 1.0
    return {
        int(segment): {
            "size": int(sizes[segment]),
            "share": float(sizes[segment] / customers),
            "revenue_share": float(row["total_spent"] / spend),
            "conversion": float(row["n_orders"] / max(row["n_sessions"], 1.0)),
        }
        for segment, row in sums.iterrows()
    }


def read_figure_columns(path: Path | None) -> pd.DataFrame:
    """The feature table's ``FIGURE_COLUMNS`` (none of its rows when there is no table any more)."""
    if path is None or not Path(path).is_file():
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "user_id" else "float64") for c in FIGURE_COLUMNS})
    return pd.read_parquet(path, columns=FIGURE_COLUMNS)


def segment_figures_now(workspace: Workspace, run_dir: Path) -> dict[int, dict[str, float]]:
    """:func:`figures_now` of a run folder's assignments and the workspace's feature table."""
    from features.compute import FEATURES_FILE

    assignments = pd.read_parquet(run_dir / "assignments.parquet", columns=["user_id", "segment_id"])
    return figures_now(assignments, read_figure_columns(workspace.features_dir / FEATURES_FILE))


#: The three rows of a coverage table, in en and fr.
COVERAGE_LABELS = {
    "segment": ("with a segment", "avec un segment"),
    "likely": ("with a likely segment only", "avec un segment probable seulement"),
    "neither": ("with neither", "sans l'un ni l'autre"),
}
