"""Drift between the customers a segmentation was trained on and the customers that came after it.

``shopgraph run`` assigns a new month's customers with the trained classifier, or retrains when the
behaviour (median PSI of key metrics), the segment shares or the low-confidence share moved past
their thresholds, measured like with like (segments/drift_reference.py: the trained customers cut to
the new customers' lengths) and only on samples of at least ``MIN_SAMPLE`` customers. The figures and
why: docs/ARCHITECTURE.md, "segments/drift.py".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segments.assign import LOW_CONFIDENCE

#: Metrics whose distribution is compared (rates and shares: independent of history length).
KEY_METRICS = (
    "events_per_session",
    "view_to_cart_rate",
    "cart_abandonment_rate",
    "purchase_rate",
    "avg_order_value",
    "price_index_viewed",
    "promo_share",
    "weekend_share",
    "category_entropy",
)
PSI_RETRAIN = 0.25
SHARE_PSI_RETRAIN = 0.25
#: Fewest customers (finite values for a metric) on each side for a figure to be used: below it a PSI over
#: ten bins measures sampling noise (0.05–0.1 for 100 customers drawn from the same population).
MIN_SAMPLE = 200
LOW_CONFIDENCE_RETRAIN = 0.30
SHARE_FLOOR = 1e-4


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float | None:
    """Population stability index of ``current`` against ``reference`` (NaNs ignored).

    None when either side has no finite value. Bin edges are the reference's quantiles, so
    each reference bin holds about ``1 / bins`` of it; values outside fall in the end bins. Bins are
    closed on the right, so a point mass at an edge (a share that is 0 for most customers) stays apart
    from the values above it: left-closed bins put both in one bin and read 0 for any move away from it.
    """
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if ref.size == 0 or cur.size == 0:
        return None
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_share = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=edges.size + 1) / ref.size
    cur_share = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=edges.size + 1) / cur.size
    return share_psi(ref_share, cur_share)


def share_psi(reference: Sequence[float] | np.ndarray, current: Sequence[float] | np.ndarray) -> float:
    """PSI of two distributions over the same categories (shares, each summing to 1)."""
    ref = np.maximum(np.asarray(reference, dtype=float), SHARE_FLOOR)
    cur = np.maximum(np.asarray(current, dtype=float), SHARE_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


#: Like with like, the cut histories' own low-confidence share is the reference: retrain when the new
#: customers' share exceeds it by more than this (short histories are often unsure, new or not).
LOW_CONFIDENCE_MARGIN = 0.15


def low_confidence_limit(training_low_confidence_share: float | None, like_with_like: bool = False) -> float:
    """The low-confidence share above which we retrain: ``LOW_CONFIDENCE_RETRAIN``, or less when the
    training run's own share was low (twice it, at least 5 %); like with like, the cut histories' share
    plus ``LOW_CONFIDENCE_MARGIN``."""
    if training_low_confidence_share is None:
        return LOW_CONFIDENCE_RETRAIN
    if like_with_like:
        return min(1.0, training_low_confidence_share + LOW_CONFIDENCE_MARGIN)
    return min(LOW_CONFIDENCE_RETRAIN, max(2 * training_low_confidence_share, 0.05))


def retrain_causes(
    metric_psi: Mapping[str, float | None],
    segment_share_psi: float | None,
    low_confidence_share: float | None,
    training_low_confidence_share: float | None,
    like_with_like: bool = False,
) -> list[dict[str, object]]:
    """What forces a retrain, as codes with their figures (``code``, ``value``, ``limit``, and ``worst``
    for the metrics); empty when nothing does. Built from the figures alone, so it can be rebuilt from
    any ``run.json`` drift record; :attr:`DriftReport.reasons` and the dossier write the sentences."""
    causes: list[dict[str, object]] = []
    values = {k: float(v) for k, v in metric_psi.items() if v is not None}
    if values:
        median = float(np.median(list(values.values())))
        if median > PSI_RETRAIN:
            causes.append(
                {"code": "median_psi", "value": median, "limit": PSI_RETRAIN, "worst": max(values, key=values.get)}
            )
    if segment_share_psi is not None and segment_share_psi > SHARE_PSI_RETRAIN:
        causes.append({"code": "segment_share_psi", "value": float(segment_share_psi), "limit": SHARE_PSI_RETRAIN})
    if low_confidence_share is not None:
        limit = low_confidence_limit(training_low_confidence_share, like_with_like)
        if low_confidence_share > limit:
            causes.append({"code": "low_confidence_share", "value": float(low_confidence_share), "limit": limit})
    return causes


#: The English sentence of each retrain cause (reports/i18n.py has both languages for the dossier).
CAUSE_TEXT = {
    "median_psi": "median PSI of the key metrics {value:.3f} > {limit} (worst: {worst})",
    "segment_share_psi": "segment-share PSI {value:.3f} > {limit}",
    "low_confidence_share": "low-confidence share {value:.2%} > {limit:.2%}",  # .1% can print 38.9% > 38.9%
}


CUT_HISTORIES = "trained customers cut to the new customers' lengths"
RETURNING_HISTORIES = "returning customers' events since the training window, cut to the new customers' lengths"
LIKE_WITH_LIKE = (CUT_HISTORIES, RETURNING_HISTORIES)  # the references of segments/drift_reference.py


@dataclass
class DriftReport:
    """The drift figures, the thresholds they were compared with, and the decision."""

    new_customers: int
    metric_psi: dict[str, float | None] = field(default_factory=dict)
    segment_share_psi: float | None = None
    low_confidence_share: float | None = None
    training_low_confidence_share: float | None = None
    too_few: bool = False  # fewer than MIN_SAMPLE new customers: no figure is used
    compared_with: str = ""

    @property
    def median_psi(self) -> float | None:
        values = [v for v in self.metric_psi.values() if v is not None]
        return float(np.median(values)) if values else None

    @property
    def causes(self) -> list[dict[str, object]]:
        """What forces a retrain (:func:`retrain_causes`); none for no new customers."""
        if self.new_customers == 0:
            return []
        return retrain_causes(
            self.metric_psi,
            self.segment_share_psi,
            self.low_confidence_share,
            self.training_low_confidence_share,
            self.compared_with in LIKE_WITH_LIKE,
        )

    @property
    def reasons(self) -> list[str]:
        """The causes in English."""
        return [CAUSE_TEXT[c["code"]].format(**c) for c in self.causes]

    @property
    def retrain(self) -> bool:
        return bool(self.causes)

    @property
    def decision(self) -> str:
        """One sentence in English: what to do and why (the command line's; the dossier renders the
        codes of :meth:`as_record` in its language)."""
        if self.new_customers == 0:
            return "no new customers: no drift to measure"
        if self.retrain:
            return "retrain: " + "; ".join(self.reasons)
        if self.too_few:
            return (
                f"assign with the trained classifier: {self.new_customers:,} new customers to compare, "
                f"fewer than the {MIN_SAMPLE} a drift figure needs"
            )
        median = self.median_psi
        parts = [f"median PSI {median:.3f} ≤ {PSI_RETRAIN}" if median is not None else "no metric to compare"]
        if self.compared_with:
            parts[0] += f" against the {self.compared_with}"
        if self.segment_share_psi is not None:
            parts.append(f"segment-share PSI {self.segment_share_psi:.3f} ≤ {SHARE_PSI_RETRAIN}")
        if self.low_confidence_share is not None:
            parts.append(f"low-confidence share {self.low_confidence_share:.1%}")
        return "assign with the trained classifier: " + ", ".join(parts)

    def as_record(self) -> dict[str, object]:
        """The figures as ``run.json`` keeps them under ``drift`` (the shape the dossier reads): the
        decision as a code (``decision``: assign or retrain; ``causes``: the codes and figures behind a
        retrain) and, for older readers, the English sentence (``reason``)."""
        return {
            "new_customers": self.new_customers,
            "psi": self.metric_psi,
            "median_psi": self.median_psi,
            "psi_threshold": PSI_RETRAIN,
            "segment_share_change": self.segment_share_psi,
            "share_change_threshold": SHARE_PSI_RETRAIN,
            "low_confidence_share": self.low_confidence_share,
            "low_confidence_threshold": low_confidence_limit(
                self.training_low_confidence_share, self.compared_with in LIKE_WITH_LIKE
            ),
            "training_low_confidence_share": self.training_low_confidence_share,
            "min_sample": MIN_SAMPLE,
            "too_few": self.too_few,
            "compared_with": self.compared_with,
            "retrain": self.retrain,
            "decision": "retrain" if self.retrain else "assign",
            "causes": self.causes,
            "reason": self.decision,
        }


def measure_drift(
    training: Mapping[str, np.ndarray],
    new: Mapping[str, np.ndarray],
    *,
    training_shares: Mapping[int, float] | None = None,
    new_segments: np.ndarray | None = None,
    new_low_confidence: np.ndarray | None = None,
    training_low_confidence_share: float | None = None,
) -> DriftReport:
    """Compare new customers with the training population and decide (see the module docstring).

    ``training`` and ``new`` map metric names to arrays (one value per customer); metrics of
    :data:`KEY_METRICS` present in both are compared. ``training_shares`` maps segment ids
    to their share in the training run and ``new_segments`` holds the segment predicted for
    each new customer; ``new_low_confidence`` flags the new customers assigned with low
    confidence.
    """
    n_new = len(next(iter(new.values()))) if new else 0
    report = DriftReport(new_customers=n_new, training_low_confidence_share=training_low_confidence_share)
    if n_new == 0:
        return report
    for metric in KEY_METRICS:
        if metric in training and metric in new:
            enough = min(_finite(training[metric]), _finite(new[metric])) >= MIN_SAMPLE
            value = psi(training[metric], new[metric]) if enough else None
            report.metric_psi[metric] = None if value is None else round(value, 4)
    if n_new < MIN_SAMPLE:  # too few new customers for shares: the metrics (all None) say so too
        report.too_few = True
        return report
    if training_shares and new_segments is not None and len(new_segments):
        ids = sorted(set(training_shares) | {int(s) for s in np.unique(new_segments)})
        counts = {int(k): int(v) for k, v in zip(*np.unique(new_segments, return_counts=True), strict=True)}
        current = [counts.get(i, 0) / len(new_segments) for i in ids]
        report.segment_share_psi = round(share_psi([training_shares.get(i, 0.0) for i in ids], current), 4)
    if new_low_confidence is not None and len(new_low_confidence):
        report.low_confidence_share = round(float(np.mean(np.asarray(new_low_confidence, dtype=bool))), 4)
    return report


def _finite(values: np.ndarray) -> int:
    return int(np.isfinite(np.asarray(values, dtype=float)).sum())


def drift_of_new_customers(features, assignments, update, min_events: int = 1, reference=None) -> DriftReport:
    """:func:`measure_drift` for an assignment update (pandas frames, see ``segments.assigning.Decide``).

    New customers: the users of ``update`` the run had never assigned (changed users are left out: they
    were part of the training population). With ``reference`` (segments/drift_reference.py: the trained
    customers cut to the new customers' lengths, with their predicted segment and low-confidence flag)
    the new customers with ``COMPARED_EVENTS`` or more events are compared with it, each by the segment
    the classifier gives (its likely segment below the threshold): lengths match, so the threshold need
    not filter. Without it, the old comparison: trained customers' whole histories, both sides above
    ``min_events`` (the run's threshold).
    """
    if reference is not None:
        return _like_with_like(features, assignments, update, reference)
    active = features[pd.to_numeric(features["n_events"], errors="coerce").fillna(0) >= min_events]
    known = active["user_id"].isin(assignments["user_id"])
    fresh = update[~update["user_id"].isin(assignments["user_id"]) & update["user_id"].isin(active["user_id"])]
    new_rows = active[active["user_id"].isin(fresh["user_id"])]
    assignments = assignments[assignments["user_id"].isin(active["user_id"]) & (assignments["segment_id"] != 0)]
    fresh = fresh[fresh["segment_id"] != 0]
    shares = assignments["segment_id"].value_counts(normalize=True)
    report = measure_drift(
        _columns(active[known]),
        _columns(new_rows) if len(new_rows) else {},
        training_shares={int(k): float(v) for k, v in shares.items()},
        new_segments=fresh["segment_id"].to_numpy(),
        new_low_confidence=fresh["low_confidence"].to_numpy(dtype=bool),
        training_low_confidence_share=float(assignments["low_confidence"].mean()) if len(assignments) else None,
    )
    report.compared_with = "trained customers' whole histories"
    return report


#: With the like-with-like reference, new customers with this many events are compared (the likely segment's floor).
COMPARED_EVENTS = 5


def _columns(frame) -> dict[str, np.ndarray]:
    return {m: frame[m].to_numpy(dtype=float, na_value=np.nan) for m in KEY_METRICS if m in frame}


def _like_with_like(features, assignments, update, reference) -> DriftReport:
    """The new customers with ``COMPARED_EVENTS``+ events against the cut histories of ``reference``."""
    n_events = pd.to_numeric(features["n_events"], errors="coerce").fillna(0)
    active = features[n_events >= COMPARED_EVENTS]
    fresh = update[~update["user_id"].isin(assignments["user_id"]) & update["user_id"].isin(active["user_id"])]
    new_rows = active[active["user_id"].isin(fresh["user_id"])]
    segment = fresh["segment_id"].to_numpy(np.int64)
    confidence = fresh["confidence"].to_numpy(float)
    if "likely_segment_id" in fresh:  # below the threshold: the classifier's guess and its confidence
        guess = segment == 0
        segment = np.where(guess, fresh["likely_segment_id"].fillna(0).to_numpy(np.int64), segment)
        confidence = np.where(guess, fresh["likely_segment_confidence"].to_numpy(float), confidence)
    shares = reference["segment_id"].value_counts(normalize=True)
    report = measure_drift(
        _columns(reference),
        _columns(new_rows) if len(new_rows) else {},
        training_shares={int(k): float(v) for k, v in shares.items()},
        new_segments=segment,
        new_low_confidence=np.nan_to_num(confidence, nan=0.0) < LOW_CONFIDENCE,
        training_low_confidence_share=float(reference["low_confidence"].mean()) if len(reference) else None,
    )
    report.compared_with = reference.attrs.get("compared_with", CUT_HISTORIES)
    return report
