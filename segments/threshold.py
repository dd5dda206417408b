"""The activity threshold: how many events a user needs before their segment can be trusted.

The study truncates long histories to their first n events and measures how often the classifier
gives them the segment of the whole history; the threshold is the smallest n whose agreement reaches
``AGREEMENT_LEVEL``. The study in full: docs/ARCHITECTURE.md, "segments/threshold.py".
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from events.store import connect_events
from features.calendar import Calendar
from features.compute import compute_features
from shopgraph.sqltext import literal
from shopgraph.workspace import Workspace

TRUNCATIONS = (1, 2, 3, 5, 8, 13, 20, 30)
LONG_HISTORY = (30, 20, 13, 8)
MIN_STUDY_USERS = 100
STUDY_USERS = 600
AGREEMENT_LEVEL = 0.8
KEY_METRICS = ("purchase_rate", "view_to_cart_rate", "total_spent", "n_sessions")
FULL_HISTORY = 10**9  # the "truncation" that keeps every event: the study's reference
SLOTS = 16  # pseudo-user id = study index × SLOTS + truncation index
INTENT = {"view": 1.0, "cart": 2.0, "remove_from_cart": 0.0, "purchase": 3.0}


def study_population(n_events: np.ndarray) -> int | None:
    """``L``: the longest history that ``MIN_STUDY_USERS`` users reach, or None when too few users."""
    for length in LONG_HISTORY:
        if int((n_events >= length).sum()) >= MIN_STUDY_USERS:
            return length
    return None


def truncated_events(
    workspace: Workspace,
    user_ids: np.ndarray,
    ns: tuple[int, ...],
    months: Sequence[str] | None = None,
    after: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose ``events`` view holds each study user's first n events as pseudo-users;
    with ``months`` and ``after`` (an ISO timestamp), the first n of those events later than ``after``."""
    con = connect_events(workspace, months)
    con.execute("CREATE TEMP TABLE study (user_id BIGINT, idx BIGINT)")
    con.executemany("INSERT INTO study VALUES (?, ?)", [(int(u), i) for i, u in enumerate(user_ids)])
    con.execute("CREATE TEMP TABLE study_n (ni BIGINT, n BIGINT)")
    con.executemany("INSERT INTO study_n VALUES (?, ?)", list(enumerate(ns)))
    con.execute(f"""
        CREATE TEMP TABLE study_events AS
        SELECT * FROM (
            SELECT e.*, s.idx,
                   row_number() OVER (PARTITION BY e.user_id
                                      ORDER BY e.event_time, e.event_type, e.product_id) AS rn
            FROM events e JOIN study s USING (user_id)
            WHERE {"true" if after is None else f"e.event_time > TIMESTAMP {literal(after)}"})
        WHERE rn <= {max(ns)}
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW events AS
        SELECT event_time, event_type, product_id, category_id, category_code, brand, price,
               idx * {SLOTS} + ni AS user_id, user_session, month, category_l1, category_l2, category_l3
        FROM study_events JOIN study_n ON rn <= n
    """)
    return con


def truncated_features(con: duckdb.DuckDBPyConnection, calendar: Calendar) -> pd.DataFrame:
    """The feature rows of the pseudo-users, with ``study_index`` and ``truncation_index`` columns."""
    compute_features(con, calendar, buckets=1)
    frame = con.execute("SELECT * FROM user_features").df()
    frame["study_index"] = frame["user_id"] // SLOTS
    frame["truncation_index"] = frame["user_id"] % SLOTS
    return frame


def _item_vectors(workspace: Workspace):
    """Trained item vectors as ``{(node_type, key): row}`` and the matrix, or None."""
    import pyarrow.parquet as pq

    path = workspace.embeddings_dir / "item_vectors.parquet"
    if not path.is_file():
        return None
    table = pq.read_table(path)
    keys = list(zip(table.column("node_type").to_pylist(), table.column("node_key").to_pylist(), strict=True))
    flat = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    matrix = flat.reshape(len(keys), -1).astype(np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return {k: i for i, k in enumerate(keys)}, matrix


def truncated_vectors(
    con: duckdb.DuckDBPyConnection, workspace: Workspace, pseudo_ids: np.ndarray
) -> np.ndarray | None:
    """Fold-in vectors of the pseudo-users from their truncated events (the embeddings fold-in formula:
    intent-weighted mean of unit product, category (½) and brand (½) vectors); NaN rows when none known."""
    items = _item_vectors(workspace)
    if items is None:
        return None
    index, matrix = items
    rows = con.execute("""
        SELECT user_id, product_id, category_id, coalesce(brand, '') AS brand, event_type, count(*) AS n
        FROM events GROUP BY ALL
    """).fetchall()
    out = np.zeros((len(pseudo_ids), matrix.shape[1]))
    mass = np.zeros(len(pseudo_ids))
    where = {int(u): i for i, u in enumerate(pseudo_ids)}
    for user, product, category, brand, event_type, n in rows:
        w = INTENT.get(event_type, 0.0) * np.log1p(n)
        if not w or int(user) not in where:
            continue
        r = where[int(user)]
        for kind, key, a in (("product", str(product), 1.0), ("category", str(category), 0.5), ("brand", brand, 0.5)):
            j = index.get((kind, key))
            if j is not None and key:
                out[r] += w * a * matrix[j]
                mass[r] += w * a
    known = mass > 0
    out[known] /= mass[known, None]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
    out[~known] = np.nan
    return out.astype(np.float32)


def kappa(predicted: np.ndarray, reference: np.ndarray) -> float | None:
    """Cohen's κ between two labelings of the same users; None when fewer than two labels occur (undefined)."""
    if len(predicted) == 0 or len(np.union1d(predicted, reference)) < 2:
        return None
    return float(cohen_kappa_score(reference, predicted))


def choose_threshold(curve: list[dict[str, object]], level: float = AGREEMENT_LEVEL) -> tuple[int, bool]:
    """The smallest n whose agreement reaches ``level``; else the largest n studied. And whether it was met."""
    if not curve:
        return 1, False
    for point in sorted(curve, key=lambda p: p["n"]):
        if point["agreement"] >= level:
            return int(point["n"]), True
    return int(max(p["n"] for p in curve)), False


def below_threshold(n_events: np.ndarray, threshold: int) -> np.ndarray:
    """True for users who get segment 0 (fewer events than the threshold). Missing counts count as 0."""
    counts = np.nan_to_num(np.asarray(n_events, np.float64), nan=0.0)
    return counts < threshold


def study_sample(n_events: np.ndarray, seed: int = 0) -> tuple[int | None, np.ndarray]:
    """``L`` and the rows (indices into ``n_events``, sorted) of the users the study truncates; ``(None, [])``
    when too few users have a long history. The classifier never learns from these users' short histories
    (:mod:`segments.short_history`), so the study measures it on histories it has not seen cut."""
    n_events = np.nan_to_num(np.asarray(n_events, np.float64), nan=0.0)
    length = study_population(n_events)
    if length is None:
        return None, np.zeros(0, np.int64)
    eligible = np.flatnonzero(n_events >= length)
    rng = np.random.default_rng([seed, 7])
    return length, np.sort(rng.choice(eligible, min(STUDY_USERS, len(eligible)), replace=False))


def run_study(
    workspace: Workspace,
    calendar: Calendar,
    features: pd.DataFrame,
    labels: np.ndarray,
    vectors: np.ndarray | None,
    predict,
    seed: int = 0,
) -> dict[str, object]:
    """The study of the module docstring over the clustered users (``features`` rows with their ``labels``
    and full-history ``vectors``); ``predict(feature_rows, vectors) -> labels`` is the run's classifier.
    Returns the threshold.json record."""
    n_events = features["n_events"].to_numpy()
    length, chosen = study_sample(n_events, seed)
    if length is None:
        return {
            "threshold": 1,
            "met": False,
            "level": AGREEMENT_LEVEL,
            "curve": [],
            "note": f"fewer than {MIN_STUDY_USERS} clustered users with {min(LONG_HISTORY)}+ events: "
            "no study; threshold 1",
        }
    ns = tuple(n for n in TRUNCATIONS if n <= length)
    con = truncated_events(workspace, features["user_id"].to_numpy()[chosen], (*ns, FULL_HISTORY))
    try:
        frame = truncated_features(con, calendar)
        trunc_vectors = truncated_vectors(con, workspace, frame["user_id"].to_numpy())
    finally:
        con.close()
    vector_source = "fold-in from the truncated events"
    if trunc_vectors is None:
        vector_source = "full-history vector (no item vectors to fold in from)"
        trunc_vectors = None if vectors is None else vectors[chosen][frame["study_index"].to_numpy()]
    predicted = predict(frame, trunc_vectors)
    study_index = frame["study_index"].to_numpy()
    reference_rows = np.flatnonzero(frame["truncation_index"].to_numpy() == len(ns))
    reference = np.zeros(len(chosen), dtype=np.asarray(predicted).dtype)
    reference[study_index[reference_rows]] = predicted[reference_rows]
    reference_agreement = float(
        (reference[study_index[reference_rows]] == labels[chosen][study_index[reference_rows]]).mean()
    )
    full = reference[study_index]
    truth = features.iloc[chosen].reset_index(drop=True)
    curve = []
    for ni, n in enumerate(ns):
        rows = np.flatnonzero(frame["truncation_index"].to_numpy() == ni)
        point: dict[str, object] = {
            "n": n,
            "users": len(rows),
            "agreement": float((predicted[rows] == full[rows]).mean()) if len(rows) else 0.0,
            "kappa": kappa(predicted[rows], full[rows]),
        }
        for metric in KEY_METRICS:
            a = pd.to_numeric(frame[metric].iloc[rows], errors="coerce").fillna(0).to_numpy(float)
            b = (
                pd.to_numeric(truth[metric].iloc[frame["study_index"].to_numpy()[rows]], errors="coerce")
                .fillna(0)
                .to_numpy(float)
            )
            point[f"median_abs_error_{metric}"] = float(np.median(np.abs(a - b))) if len(rows) else None
        curve.append(point)
    threshold, met = choose_threshold(curve)
    return {
        "threshold": threshold,
        "met": met,
        "level": AGREEMENT_LEVEL,
        "long_history_events": length,
        "study_users": len(chosen),
        "vectors": vector_source,
        "curve": curve,
        "reference": "the classifier on the user's whole history, computed the same way as the truncations",
        "reference_agreement_with_clusters": reference_agreement,
        "rule": f"smallest n with agreement >= {AGREEMENT_LEVEL}; else the largest n studied",
    }
