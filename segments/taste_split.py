"""The taste stage: a segment whose customers fall into two stable, separate tastes is split in two.

The clustering groups customers by how they shop first; two groups that shop alike but buy different
brands or departments (one brand family against another, home against fashion) then share a segment,
though the graph vectors tell them apart. After the segments are found, each one's customers are cut in
two by k-means (k = 2) on their taste coordinates (the node2vec block of the clustering view), and the
cut is kept only when any shop would accept it as real: it is bootstrap-stable, the two halves are
clearly separated (silhouette), both are large enough to publish, and the assignment classifier still
reaches its goal with them (cross-validated, as ``segments.merging`` checks). The halves are examined
once more (one recursion). Why and what it gave: docs/ARCHITECTURE.md, "segments/taste_split.py".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import f1_score, silhouette_score

from segments import merging, selection

STABILITY_MIN = 0.8  # mean pairwise ARI of bootstrap fits, as the segments' own stability goal
SILHOUETTE_MIN = 0.25  # below it, "no substantial structure" (Kaufman & Rousseeuw, Finding Groups in Data)
LEVELS = 2  # the segments, then their halves once
SILHOUETTE_SAMPLE = 3_000
RULE = (
    f"taste split: a segment cut in two by k-means on its customers' graph vectors when the cut has bootstrap "
    f"stability ≥ {STABILITY_MIN}, silhouette ≥ {SILHOUETTE_MIN}, both halves publishable, and the classifier's "
    f"cross-validated macro-F1 stays ≥ {merging.GOAL_MACRO_F1}"
)


@dataclass
class TasteSplit:
    """One segment examined: its customers, the halves' sizes, the cut's figures, and whether it was split."""

    segment: int
    level: int
    customers: int
    halves: tuple[int, int]
    stability: float
    silhouette: float
    cv_macro_f1: float | None
    split: bool
    why: str
    new_segment: int | None = None  # the label the second half took

    def as_dict(self) -> dict[str, object]:
        """The entry of run.json's ``taste_split.segments``."""
        row = asdict(self)
        row["halves"] = list(self.halves)
        return row


def two_tastes(taste: np.ndarray, seed: int) -> tuple[np.ndarray, float, float]:
    """k-means (k = 2) on the rows of ``taste``: the halves (0/1), the cut's bootstrap stability
    (``selection.stability``) and its silhouette (on a sample of ``SILHOUETTE_SAMPLE`` rows)."""
    halves = selection.fit_model("kmeans", 2, taste, seed).predict(taste)
    if len(np.unique(halves)) < 2:
        return halves, 0.0, -1.0
    stability = selection.stability("kmeans", 2, taste, seed)
    rows = np.random.default_rng(seed).choice(len(taste), min(SILHOUETTE_SAMPLE, len(taste)), replace=False)
    sil = silhouette_score(taste[rows], halves[rows]) if len(np.unique(halves[rows])) > 1 else -1.0
    return halves, float(stability), float(sil)


def examine(taste: np.ndarray, members: np.ndarray, floor: float, segment: int, level: int, seed: int):
    """The cut of one segment (``members``: its rows) and its verdict before the classifier's check: a
    :class:`TasteSplit` and the rows of the second half (empty when no cut was computed)."""
    n = len(members)
    if n < 2 * floor:
        return TasteSplit(segment, level, n, (n, 0), float("nan"), float("nan"), None, False, "too small"), members[:0]
    halves, stability, sil = two_tastes(np.asarray(taste[members], np.float64), seed)
    sizes = (int((halves == 0).sum()), int((halves == 1).sum()))
    why = []
    if stability < STABILITY_MIN:
        why.append(f"stability {stability:.2f} < {STABILITY_MIN}")
    if sil < SILHOUETTE_MIN:
        why.append(f"silhouette {sil:.2f} < {SILHOUETTE_MIN}")
    if min(sizes) < floor:
        why.append(f"a half of {min(sizes)} < {floor:.0f} customers")
    verdict = TasteSplit(segment, level, n, sizes, stability, sil, None, not why, "; ".join(why))
    return verdict, members[halves == 1]


def cv_macro_f1(X: np.ndarray, labels: np.ndarray, seed: int, copies=None) -> float:
    """The assignment classifier's cross-validated macro-F1 on ``labels`` (``merging.cross_validated``)."""
    truth, predicted = merging.cross_validated(X, labels, seed, copies)
    return float(f1_score(truth, predicted, average="macro"))


def split_by_taste(
    X: np.ndarray,
    taste: np.ndarray,
    labels: np.ndarray,
    seed: int,
    copies: tuple[np.ndarray, np.ndarray] | None = None,
    floor: float = 20,
    goal: float = merging.GOAL_MACRO_F1,
    levels: int = LEVELS,
    progress=None,
) -> tuple[np.ndarray, list[TasteSplit]]:
    """Labels 1..m after the taste stage, and every segment examined.

    ``X``: the rows as the assignment classifier sees them; ``taste``: the same rows' taste coordinates;
    ``labels``: 1..k; ``copies``: short-history copies (``merging.cross_validated``); ``floor``: the fewest
    customers a half may hold. A cut that passes the internal criteria (:func:`examine`) is kept when the
    classifier's CV macro-F1 with it is ≥ ``goal``; the cuts are tried in order of silhouette, best first."""
    labels = np.asarray(labels, np.int64).copy()
    examined: list[TasteSplit] = []
    todo = [int(s) for s in np.unique(labels)]
    for level in range(levels):
        verdicts = [examine(taste, np.flatnonzero(labels == s), floor, s, level, seed) for s in todo]
        examined.extend(v for v, _ in verdicts)
        todo = []
        for verdict, second in sorted(verdicts, key=lambda t: -np.nan_to_num(t[0].silhouette, nan=-2.0)):
            if progress:
                progress("taste split", len(examined), len(examined))
            if not verdict.split:
                continue
            trial = labels.copy()
            trial[second] = int(labels.max()) + 1
            verdict.cv_macro_f1 = cv_macro_f1(X, trial, seed, copies)
            if verdict.cv_macro_f1 < goal:
                verdict.split = False
                verdict.why = f"classifier CV macro-F1 {verdict.cv_macro_f1:.3f} < {goal}"
                continue
            labels, verdict.new_segment = trial, int(trial.max())
            verdict.why = "split"
            todo += [verdict.segment, verdict.new_segment]
        if not todo:
            break
    return labels, examined


def in_words(examined: list[TasteSplit]) -> str:
    """``segment 3 split (stability 0.95, silhouette 0.41, classifier CV macro-F1 0.93)``, or that none was."""
    done = [v for v in examined if v.split]
    if not done:
        return "no segment split"
    return "; ".join(
        f"segment {v.segment} split into {v.segment} and {v.new_segment} ({v.halves[0]} + {v.halves[1]} customers; "
        f"stability {v.stability:.2f}, silhouette {v.silhouette:.2f}, classifier CV macro-F1 {v.cv_macro_f1:.3f})"
        for v in done
    )
