"""Segment profiles: size, revenue share, conversion, standardised differences, preferred items, rules.

* **conversion**: the segment's orders ÷ its sessions (session conversion);
* **standardised difference** of a metric: (segment mean − mean of all clustered users) ÷
  standard deviation of all clustered users, on the ``log1p`` scale for the skewed metrics
  (as the model sees them, :mod:`segments.inputs`), over every candidate metric;
* **lift** of a category (``category_id``) or a brand: the segment's share of events in it ÷
  all clustered users' share; kept when the segment has at least ``MIN_ITEM_EVENTS`` events
  there and it holds ≥ 1 % of the segment's events; the five largest lifts above 1;
* **rules**: a depth-3 decision tree, segment vs the rest, on the raw metrics; the leaf with
  the most segment members among leaves where the segment is the majority, in plain words,
  with its precision and recall.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from events.store import connect_events
from features import vocabulary
from segments.figures import purchase_figures, segment_figures, segment_figures_in_file
from segments.inputs import candidate_metrics, fill_empty
from segments.naming import trait
from shopgraph.words import LANGS
from shopgraph.workspace import Workspace

MIN_ITEM_EVENTS = 10
TOP_ITEMS = 5
RULE_SAMPLE = 20_000


def standardised_differences(
    features: pd.DataFrame, labels: np.ndarray, log_columns: list[str]
) -> tuple[list[str], dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Metric names, and per segment: z of each metric and raw means."""
    metrics = candidate_metrics()
    raw, _ = fill_empty(features, metrics)
    logged = raw.copy()
    for j, m in enumerate(metrics):
        if m in log_columns:
            logged[:, j] = np.log1p(np.maximum(logged[:, j], 0))
    mean, sd = logged.mean(axis=0), logged.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z, means = {}, {}
    for s in np.unique(labels):
        rows = labels == s
        z[int(s)] = (logged[rows].mean(axis=0) - mean) / sd
        means[int(s)] = raw[rows].mean(axis=0)
    return metrics, z, means


def item_lifts(
    workspace: Workspace, user_ids: np.ndarray, labels: np.ndarray
) -> tuple[dict[int, list[dict]], dict[int, list[dict]]]:
    """Per segment: preferred categories and brands by lift (see the module docstring)."""
    con = connect_events(workspace)
    try:
        con.register("assigned", pd.DataFrame({"user_id": user_ids, "segment_id": labels.astype(np.int32)}))
        con.execute("""CREATE TEMP TABLE seg_events AS
                       SELECT a.segment_id, e.category_id, e.category_code, e.brand
                       FROM events e JOIN assigned a USING (user_id)""")
        categories = _lifts(con, "category_id", "any_value(category_code)")
        brands = _lifts(con, "brand", "NULL")
    finally:
        con.close()
    cats = {
        s: [
            {"category_id": int(r.item), "category_code": r.label, "lift": float(r.lift), "share": float(r.share)}
            for r in rows.itertuples()
        ]
        for s, rows in categories.items()
    }
    brs = {
        s: [{"brand": str(r.item), "lift": float(r.lift), "share": float(r.share)} for r in rows.itertuples()]
        for s, rows in brands.items()
    }
    return cats, brs


def store_purchase_figures(workspace: Workspace, user_ids: np.ndarray, labels: np.ndarray) -> dict[int, dict]:
    """segments.figures.purchase_figures over the event store: the pairs and catalogue links the graph holds."""
    con = connect_events(workspace)
    try:
        pairs = con.execute("SELECT DISTINCT user_id, product_id FROM events WHERE event_type = 'purchase'").df()
        categories = con.execute(
            "SELECT DISTINCT product_id, category_id FROM events WHERE category_id IS NOT NULL"
        ).df()
        brands = con.execute("SELECT DISTINCT product_id, brand FROM events WHERE brand IS NOT NULL").df()
    finally:
        con.close()
    assigned = pd.DataFrame({"user_id": user_ids, "segment_id": labels.astype(np.int32)})
    return purchase_figures(pairs, categories, brands, assigned)


def _lifts(con: duckdb.DuckDBPyConnection, column: str, label: str) -> dict[int, pd.DataFrame]:
    frame = con.execute(f"""
        WITH cell AS (SELECT segment_id, {column} AS item, {label} AS label, count(*) AS n
                      FROM seg_events WHERE {column} IS NOT NULL GROUP BY segment_id, {column}),
             seg AS (SELECT segment_id, sum(n) AS seg_n FROM cell GROUP BY segment_id),
             item AS (SELECT item, sum(n) AS item_n FROM cell GROUP BY item),
             total AS (SELECT sum(n) AS all_n FROM cell)
        SELECT c.segment_id, c.item, c.label, c.n, c.n / s.seg_n AS share,
               (c.n / s.seg_n) / (i.item_n / t.all_n) AS lift
        FROM cell c JOIN seg s USING (segment_id) JOIN item i USING (item), total t
        WHERE c.n >= {MIN_ITEM_EVENTS} AND c.n / s.seg_n >= 0.01
        ORDER BY c.segment_id, lift DESC, c.item
    """).df()
    out = {}
    for s, rows in frame.groupby("segment_id"):
        out[int(s)] = rows[rows["lift"] > 1.0].head(TOP_ITEMS)
    return out


def _value(x: float) -> str:
    return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.0f}"


def segment_rules(features: pd.DataFrame, labels: np.ndarray, seed: int = 0) -> dict[int, dict[str, object]]:
    """Per segment: the plain-words rule of the best leaf of a depth-3 tree, in en and fr."""
    metrics = candidate_metrics()
    raw, _ = fill_empty(features, metrics)
    rng = np.random.default_rng(seed)
    rows = (
        rng.choice(len(raw), min(RULE_SAMPLE, len(raw)), replace=False)
        if len(raw) > RULE_SAMPLE
        else np.arange(len(raw))
    )
    X, y_all = raw[rows], labels[rows]
    out = {}
    for s in np.unique(labels):
        y = (y_all == s).astype(int)
        if y.sum() == 0:
            continue
        tree = DecisionTreeClassifier(
            max_depth=3, min_samples_leaf=max(5, len(y) // 200), random_state=seed, class_weight="balanced"
        ).fit(X, y)
        best = _purest_leaf(tree, X, y)
        if best is None:
            out[int(s)] = {"en": [], "fr": [], "precision": None, "recall": None}
            continue
        hits, size, path = best
        en = [f"{vocabulary.label(metrics[f], 'en')} {'>' if up else '≤'} {_value(thr)}" for f, up, thr in path]
        fr = [
            f"{vocabulary.label(metrics[f], 'fr')} {'>' if up else '≤'} {_value(thr).replace('.', ',')}"
            for f, up, thr in path
        ]
        out[int(s)] = {
            "en": [" and ".join(en)],
            "fr": [" et ".join(fr)],
            "precision": hits / size,
            "recall": hits / int(y.sum()),
        }
    return out


def analyst_figures(
    workspace: Workspace | None,
    user_ids: np.ndarray,
    labels: np.ndarray,
    features: pd.DataFrame | None = None,
    features_file: Path | None = None,
) -> dict[int, dict]:
    """Each segment's figures for the per-segment analyst queries (segments/figures.py) over the users
    ``user_ids`` labelled ``labels``: from the feature table on disk (``features_file``) or in memory
    (``features``), and the purchase figures from the event store when there is a ``workspace``."""
    if features_file is not None:
        figures = segment_figures_in_file(features_file, user_ids, labels)
    else:
        figures = segment_figures(features, labels)
    if workspace is not None:
        for s, extra in store_purchase_figures(workspace, user_ids, labels).items():
            figures[s].update(extra)
    return figures


def segment_profiles(
    features: pd.DataFrame,
    labels: np.ndarray,
    log_columns: list[str],
    workspace: Workspace | None,
    seed: int = 0,
    *,
    described: pd.DataFrame | None = None,
    features_file: Path | None = None,
) -> list[dict]:
    """One profile per segment id in ``labels`` (0 included when present; it gets no traits).

    ``features`` needs ``user_id``, ``total_spent``, ``n_orders``, ``n_sessions`` and ``preferred_month`` of
    every user; the metrics (standardised differences, rules) are drawn from ``described``, the whole rows of
    users with a segment (``labels > 0``; all of them or a uniform sample, each taking its label from its
    ``user_id``; default: those rows of ``features``). With
    ``features_file`` (the feature table ``features`` was read from) the analyst figures are
    aggregated from that file, so ``features`` needs no other column of every user.
    """
    clustered = labels > 0
    if described is None:
        described, described_labels = features[clustered], labels[clustered]
    else:
        described_labels = labels[pd.Index(features["user_id"]).get_indexer(described["user_id"])]
    spend = pd.to_numeric(features["total_spent"], errors="coerce").fillna(0).to_numpy(float)
    orders = pd.to_numeric(features["n_orders"], errors="coerce").fillna(0).to_numpy(float)
    sessions = pd.to_numeric(features["n_sessions"], errors="coerce").fillna(0).to_numpy(float)
    month = pd.to_numeric(features["preferred_month"], errors="coerce").fillna(0).to_numpy(float)
    holiday = np.isin(month, (11, 12))
    metrics, z, means = standardised_differences(described, described_labels, log_columns)
    rules = segment_rules(described, described_labels, seed) if clustered.any() else {}
    if workspace is not None and clustered.any():
        cats, brands = item_lifts(workspace, features["user_id"].to_numpy()[clustered], labels[clustered])
    else:
        cats, brands = {}, {}
    figures = analyst_figures(workspace, features["user_id"].to_numpy(), labels, features, features_file)
    total_spend = spend.sum() or 1.0
    base_holiday = holiday[clustered].mean() if clustered.any() else 0.0
    profiles = []
    for s in sorted(int(x) for x in np.unique(labels)):
        rows = labels == s
        p = {
            "segment_id": s,
            "size": int(rows.sum()),
            "share": float(rows.mean()),
            "revenue_share": float(spend[rows].sum() / total_spend),
            "conversion": float(orders[rows].sum() / max(sessions[rows].sum(), 1.0)),
            "holiday_ratio": float(holiday[rows].mean() / base_holiday) if base_holiday else 1.0,
            "z": {},
            "means": {},
            "top_metrics": [],
            "traits": {"en": [], "fr": []},
            "categories": cats.get(s, []),
            "brands": brands.get(s, []),
            "rules": rules.get(s, {"en": [], "fr": [], "precision": None, "recall": None}),
            "figures": figures[s],  # what the per-segment analyst queries read (segments/figures.py)
        }
        if s in z:
            p["z"] = {m: round(float(v), 4) for m, v in zip(metrics, z[s], strict=True)}
            p["means"] = {m: float(v) for m, v in zip(metrics, means[s], strict=True)}
            top = sorted(p["z"].items(), key=lambda t: (-abs(t[1]), t[0]))[:5]
            p["top_metrics"] = [(m, v) for m, v in top if abs(v) >= 0.2]
            p["traits"] = {lang: [trait(m, v, lang) for m, v in p["top_metrics"]] for lang in LANGS}
        profiles.append(p)
    return profiles


def _purest_leaf(tree: DecisionTreeClassifier, X: np.ndarray, y: np.ndarray) -> tuple[int, int, list] | None:
    """The leaf holding most of the segment's members where they are the majority: (hits, size, path)."""
    t = tree.tree_
    leaves = tree.apply(X)
    best = None
    stack: list[tuple[int, list[tuple[int, bool, float]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if t.children_left[node] == -1:
            leaf_rows = leaves == node
            size, hits = int(leaf_rows.sum()), int(y[leaf_rows].sum())
            if size and hits / size > 0.5 and (best is None or hits > best[0]):
                best = (hits, size, path)
            continue
        f, thr = t.feature[node], t.threshold[node]
        stack.append((t.children_right[node], [*path, (f, True, thr)]))
        stack.append((t.children_left[node], [*path, (f, False, thr)]))
    return best
