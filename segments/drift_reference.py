"""Like with like for the drift check: trained customers' events cut to the new customers' lengths.

New customers arrive with one month of history, the trained ones have several: their rates, segments and
confidence differ by history length alone (issue 21: a median PSI of 5.7 on a month drawn from the same
shop). So the reference is a sample of trained customers, each cut to n events with n drawn from the new
customers' lengths, described and classified exactly as the new customers are. The events cut are the
trained customers' first ones **since the run's data window** when enough of them came back: those fall
on the new customers' calendar. A trained customer's first events ever fall months earlier, outside the
new month's promotions: at REES46 size that alone gave a segment-share PSI of 1.36 on a month of the same
shop (promo_share 2.1 standard deviations apart; docs/BENCHMARKS.md, "The false retrain of month 3").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from events.store import connect_events, month_dirs
from segments import assign as assigner
from segments import runs, threshold
from segments.drift import (
    COMPARED_EVENTS,
    CUT_HISTORIES,
    KEY_METRICS,
    RETURNING_HISTORIES,
    DriftReport,
    drift_of_new_customers,
)

REFERENCE_USERS = 1_500  # trained customers cut
REFERENCE_ROWS = 3_000  # copies drawn to match the new customers' lengths
LENGTHS = 15  # distinct cut lengths (at most threshold.SLOTS)
RETURNING_MIN = 200  # returning customers needed before their new events are the reference
CANDIDATES = 20 * REFERENCE_USERS  # trained customers whose new events are counted to find them


def cut_lengths(new_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``LENGTHS`` cut lengths (quantiles of the new customers' event counts) and the share of new
    customers nearest to each."""
    lengths = np.asarray(new_lengths, np.float64)
    cuts = np.unique(np.round(np.quantile(lengths, np.linspace(0, 1, LENGTHS))).astype(np.int64))
    nearest = np.abs(lengths[:, None] - cuts[None, :]).argmin(axis=1)
    return cuts, np.bincount(nearest, minlength=len(cuts)) / len(lengths)


def since_window(workspace, run_dir: Path) -> tuple[list[str], str] | None:
    """The store's months from the end of the run's data window on, and that end (ISO); None when the run
    records no window or the store holds nothing after it."""
    end = (runs.read_json(run_dir / "run.json").get("data_window") or {}).get("end")
    if not end:
        return None
    months = [m for m in month_dirs(workspace) if m >= str(end)[:7]]
    return (months, str(end)) if months else None


def events_since(workspace, user_ids: np.ndarray, months: list[str], after: str) -> np.ndarray:
    """How many events each of ``user_ids`` has in ``months`` later than ``after``."""
    con = connect_events(workspace, months)
    try:
        con.register("candidates", pa.table({"user_id": pa.array(user_ids, pa.int64())}))
        found = con.execute(
            "SELECT user_id, count(*) FROM events JOIN candidates USING (user_id) "
            "WHERE event_time > CAST(? AS TIMESTAMP) GROUP BY user_id",
            [after],
        ).fetchall()
    finally:
        con.close()
    counts = dict(found)
    return np.array([counts.get(int(u), 0) for u in user_ids], np.int64)


def _source(
    workspace,
    run_dir: Path,
    features: pd.DataFrame,
    trained_ids: np.ndarray,
    shortest: int,
    rng,
    returning: bool = True,
):
    """Whose events to cut: ``(users, their event counts, months, after, what it is)``, the returning
    customers' events since the window when ``RETURNING_MIN`` of them have ``shortest`` or more (and
    ``returning``), else whole histories."""
    window = since_window(workspace, run_dir) if returning else None
    if window is not None:
        candidates = np.sort(rng.choice(trained_ids, min(CANDIDATES, len(trained_ids)), replace=False))
        counts = events_since(workspace, candidates, *window)
        if int((counts >= shortest).sum()) >= RETURNING_MIN:
            return candidates, counts, *window, RETURNING_HISTORIES
    n_events = features.set_index("user_id")["n_events"].reindex(trained_ids).fillna(0).to_numpy(np.int64)
    return np.asarray(trained_ids), n_events, None, None, CUT_HISTORIES


def cut_reference(
    workspace,
    run_dir: Path,
    features: pd.DataFrame,
    trained_ids: np.ndarray,
    new_lengths: np.ndarray,
    seed: int = 0,
    returning: bool = True,
) -> pd.DataFrame | None:
    """The trained customers ``trained_ids`` cut to the new customers' lengths (their events since the
    run's window, see the module docstring): their key metrics, segment and low-confidence flag as the run's
    classifier gives them, resampled so that their lengths follow the new customers'. What was cut is in
    ``attrs["compared_with"]``. None when no trained customer is long enough."""
    from segments.segmentation import _calendar

    if not len(new_lengths) or not len(trained_ids):
        return None
    cuts, weights = cut_lengths(new_lengths)
    rng = np.random.default_rng([seed, 21])
    users, lengths, months, after, compared_with = _source(
        workspace, run_dir, features, np.asarray(trained_ids, np.int64), int(cuts.min()), rng, returning
    )
    long_enough = lengths >= cuts.min()
    if not long_enough.any():
        return None
    pick = np.sort(rng.choice(np.flatnonzero(long_enough), min(REFERENCE_USERS, int(long_enough.sum())), replace=False))
    chosen, whole = users[pick], lengths[pick]
    con = threshold.truncated_events(workspace, chosen, tuple(int(n) for n in cuts), months, after)
    try:
        frame = threshold.truncated_features(con, _calendar(features.attrs.get("sidecar", {})))
        vectors = threshold.truncated_vectors(con, workspace, frame["user_id"].to_numpy())
    finally:
        con.close()
    frame["cut"] = cuts[frame["truncation_index"].to_numpy()]
    real = frame["cut"].to_numpy() <= whole[frame["study_index"].to_numpy()]  # a cut past the events is not that length
    frame, vectors = frame[real].reset_index(drop=True), None if vectors is None else vectors[real]
    segment_id, low = _classify(run_dir, frame, vectors)
    frame["segment_id"], frame["low_confidence"] = segment_id, low
    picks = []
    for cut, weight in zip(cuts, weights, strict=True):
        rows = np.flatnonzero(frame["cut"].to_numpy() == cut)
        if len(rows) and weight > 0:
            picks.append(rng.choice(rows, max(1, round(weight * REFERENCE_ROWS)), replace=True))
    if not picks:
        return None
    keep = [m for m in KEY_METRICS if m in frame] + ["segment_id", "low_confidence", "cut"]
    reference = frame.iloc[np.concatenate(picks)][keep].reset_index(drop=True)
    reference.attrs["compared_with"] = compared_with
    return reference


def _classify(run_dir: Path, frame: pd.DataFrame, vectors: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The run's published segment and low-confidence flag of each cut history, as the classifier gives them
    whatever the threshold (the segment, or below the threshold the likely segment)."""
    bundle = assigner.load(run_dir / assigner.MODEL_FILE)
    named = {int(s["segment_id"]) for s in runs.read_json(run_dir / "segments.json")} - {0}
    to_segment = bundle.get("label_to_segment", {})
    model: assigner.AssignmentModel = bundle["classifier"]
    published = np.array(
        [c for c in model.model.classes_ if to_segment.get(int(c), int(c)) in named], dtype=model.model.classes_.dtype
    )
    X, _ = bundle["transform"].transform(frame, vectors)
    labels, confidence = model.predict(X, among=published)
    segment_id = np.array([to_segment.get(int(c), int(c)) for c in labels], np.int64)
    return segment_id, confidence < assigner.LOW_CONFIDENCE


def like_with_like(
    workspace,
    run_dir: Path,
    features: pd.DataFrame,
    assignments: pd.DataFrame,
    update: pd.DataFrame,
    returning: bool = True,
) -> pd.DataFrame | None:
    """:func:`cut_reference` for an assignment update (``segments.assigning.Decide``): the trained customers
    with a segment, cut to the lengths of the update's new customers with ``COMPARED_EVENTS`` or more events."""
    n_events = pd.to_numeric(features["n_events"], errors="coerce").fillna(0)
    new = ~features["user_id"].isin(assignments["user_id"]) & features["user_id"].isin(update["user_id"])
    lengths = n_events[new & (n_events >= COMPARED_EVENTS)].to_numpy()
    trained = assignments["user_id"][assignments["segment_id"] != 0]
    return cut_reference(workspace, run_dir, features, trained.to_numpy(np.int64), lengths, returning=returning)


def decide(
    workspace, run_dir: Path, features: pd.DataFrame, assignments: pd.DataFrame, update: pd.DataFrame, threshold: int
) -> DriftReport:
    """The drift figures `run` decides on: the new customers against the returning customers' events since the
    window, and, when those say retrain, against the whole histories cut from their start; it retrains only when
    both do. Each reference leaves one bias in: whole histories start on another calendar (month 3 at REES46
    size, promo_share 2.1 sd apart), and the customers who come back are not a random draw of the segments (on
    the 10 M-event bench shop two segments held 16 % and 13 % of them and 3 % of the new customers: segment-share
    PSI 0.59, where the whole histories gave 0.17). A change in the new customers' behaviour shows against both
    (docs/BENCHMARKS.md, "Drift: two references")."""
    report = drift_of_new_customers(
        features, assignments, update, threshold, like_with_like(workspace, run_dir, features, assignments, update)
    )
    if not report.retrain or report.compared_with != RETURNING_HISTORIES:
        return report
    whole = like_with_like(workspace, run_dir, features, assignments, update, returning=False)
    other = drift_of_new_customers(features, assignments, update, threshold, whole)
    return report if other.retrain else other
