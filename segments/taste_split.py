"""The taste stage: a segment whose customers fall into two stable, separate tastes is split in two.

The clustering groups customers by how they shop first; two groups that shop alike but buy different
brands or departments (one brand family against another, home against fashion) then share a segment,
though the graph vectors tell them apart. After the segments are found, each one's customers are cut in
two by k-means (k = 2) on their taste coordinates (the node2vec block of the clustering view), and the
cut is kept only when any shop would accept it as real: it is bootstrap-stable, two groups fit the
customers better than one (the gap statistic), both halves are large enough to publish, and the
assignment classifier still reaches its goal with them (cross-validated, as ``segments.merging``
checks). The halves are examined once more (one recursion). Why and what it gave: docs/ARCHITECTURE.md,
"segments/taste_split.py".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import adjusted_rand_score, f1_score, silhouette_score

from segments import merging, selection
from shopgraph.words import decimal

STABILITY_MIN = 0.8  # mean pairwise ARI of bootstrap fits, as the segments' own stability goal
GAP_REFERENCES = 10  # reference draws of the gap statistic (Tibshirani, Walther & Hastie 2001: 10 suffice)
LEVELS = 2  # the segments, then their halves once
SILHOUETTE_SAMPLE = 3_000  # the silhouette is recorded beside the cut, not a criterion (docs/ARCHITECTURE.md)
FIT_SAMPLE = 20_000  # a larger segment's cut is fitted and judged on a seeded sample of this many, then given to all
RULE = (
    f"taste split: a segment cut in two by k-means on its customers' graph vectors when the cut has bootstrap "
    f"stability ≥ {STABILITY_MIN}, the gap statistic prefers two groups to one, both halves are publishable, and "
    f"the classifier's cross-validated macro-F1 stays ≥ {merging.GOAL_MACRO_F1}"
)
RULE_FR = (
    "partage par goûts : un segment coupé en deux par k-means sur les vecteurs de graphe de ses clients quand la "
    f"coupe a une stabilité bootstrap ≥ {decimal(STABILITY_MIN, 1, 'fr')}, que la statistique de gap préfère deux "
    "groupes à un, que les deux moitiés sont publiables et que le F1 macro du classifieur en validation croisée reste "
    f"≥ {decimal(merging.GOAL_MACRO_F1, 1, 'fr')}"
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
    gap: tuple[float, float, float]  # Gap(1), Gap(2) and the standard error s2 of Gap(2)
    cv_macro_f1: float | None
    split: bool
    why: str
    new_segment: int | None = None  # the label the second half took
    members: np.ndarray = field(default=None, repr=False)  # the segment's rows when it was examined
    second: np.ndarray = field(default=None, repr=False)  # the rows of its second half

    def as_dict(self) -> dict[str, object]:
        """The entry of run.json's ``taste_split.segments``."""
        keys = ("segment", "level", "customers", "stability", "silhouette", "cv_macro_f1", "split", "why")
        row = {key: getattr(self, key) for key in keys}
        return {**row, "gap": list(self.gap), "halves": list(self.halves), "new": self.new_segment}


def two_tastes(taste: np.ndarray, seed: int):
    """k-means (k = 2) on the rows of ``taste``: the fitted model, the cut's bootstrap stability
    (``selection.stability``) and its silhouette (on a sample of ``SILHOUETTE_SAMPLE`` rows)."""
    model = selection.fit_model("kmeans", 2, taste, seed)
    halves = model.predict(taste)
    if len(np.unique(halves)) < 2:
        return model, 0.0, -1.0
    stability = selection.stability("kmeans", 2, taste, seed)
    rows = np.random.default_rng(seed).choice(len(taste), min(SILHOUETTE_SAMPLE, len(taste)), replace=False)
    sil = silhouette_score(taste[rows], halves[rows]) if len(np.unique(halves[rows])) > 1 else -1.0
    return model, float(stability), float(sil)


def _log_within(rows: np.ndarray, k: int, seed: int) -> float:
    """log of the pooled within-group sum of squares of k-means with ``k`` groups (k = 1: around the mean)."""
    if k == 1:
        return float(np.log(((rows - rows.mean(axis=0)) ** 2).sum()))
    return float(np.log(selection.fit_model("kmeans", k, rows, seed, n_init=3).inertia_))


def gap_statistic(taste: np.ndarray, seed: int, references: int = GAP_REFERENCES) -> tuple[float, float, float]:
    """Gap(1), Gap(2) and s2 (Tibshirani, Walther & Hastie 2001): how much lower the within-group dispersion
    of the rows is than that of uniform draws over the box of their principal axes, for one and two groups;
    two groups are preferred when Gap(1) < Gap(2) − s2."""
    rng = np.random.default_rng([seed, 3])
    centred = taste - taste.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    rotated = centred @ axes.T
    low, high = rotated.min(axis=0), rotated.max(axis=0)
    drawn = {1: [], 2: []}
    for _ in range(references):
        reference = rng.uniform(low, high, size=rotated.shape) @ axes
        for k in (1, 2):
            drawn[k].append(_log_within(reference, k, seed))
    gap = {k: float(np.mean(drawn[k])) - _log_within(taste, k, seed) for k in (1, 2)}
    return gap[1], gap[2], float(np.std(drawn[2]) * np.sqrt(1 + 1 / references))


def examine(taste: np.ndarray, members: np.ndarray, floor: float, segment: int, level: int, seed: int):
    """The cut of one segment (``members``: its rows) and its verdict before the classifier's check: a
    :class:`TasteSplit` and the rows of the second half (empty when no cut was computed)."""
    n = len(members)
    if n < 2 * floor:
        nothing = (float("nan"),) * 3
        verdict = TasteSplit(segment, level, n, (n, 0), float("nan"), float("nan"), nothing, None, False, "too small")
        return verdict, members[:0]
    fit = members
    if n > FIT_SAMPLE:
        fit = np.sort(np.random.default_rng([seed, segment, level]).choice(members, FIT_SAMPLE, replace=False))
    rows = np.asarray(taste[fit], np.float64)
    model, stability, sil = two_tastes(rows, seed)
    gap = gap_statistic(rows, seed)
    halves = model.predict(np.asarray(taste[members], np.float64))
    sizes = (int((halves == 0).sum()), int((halves == 1).sum()))
    why = []
    if stability < STABILITY_MIN:
        why.append(f"stability {stability:.2f} < {STABILITY_MIN}")
    if not gap[0] < gap[1] - gap[2]:
        why.append(f"gap statistic prefers one group (Gap(1) {gap[0]:.3f} ≥ Gap(2) {gap[1]:.3f} − {gap[2]:.3f})")
    if min(sizes) < floor:
        why.append(f"a half of {min(sizes)} < {floor:.0f} customers")
    verdict = TasteSplit(segment, level, n, sizes, stability, sil, gap, None, not why, "; ".join(why))
    verdict.members, verdict.second = members, members[halves == 1]
    return verdict, verdict.second


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
    classifier's CV macro-F1 with it is ≥ ``goal``; the cuts are tried in order of stability, best first."""
    labels = np.asarray(labels, np.int64).copy()
    examined: list[TasteSplit] = []
    todo = [int(s) for s in np.unique(labels)]
    for level in range(levels):
        verdicts = [examine(taste, np.flatnonzero(labels == s), floor, s, level, seed) for s in todo]
        examined.extend(v for v, _ in verdicts)
        todo = []
        if progress:
            progress("taste split", level + 1, levels)
        for verdict, second in sorted(verdicts, key=lambda t: -np.nan_to_num(t[0].stability, nan=-2.0)):
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


def in_words(examined: list[TasteSplit], lang: str = "en") -> str:
    """``segment 1 split into 1 and 4 (1066 + 1271 customers; stability 0.93, gap +0.066 ± 0.007, silhouette
    0.15, classifier CV macro-F1 0.938)`` for each cut made, or that none was. In French with ``lang="fr"``."""
    done = [v for v in examined if v.split]
    if lang == "fr":
        return _in_french(done)
    if not done:
        return "no segment split"
    return "; ".join(
        f"segment {v.segment} split into {v.segment} and {v.new_segment} ({v.halves[0]} + {v.halves[1]} customers; "
        f"stability {v.stability:.2f}, gap {v.gap[1] - v.gap[0]:+.3f} ± {v.gap[2]:.3f}, silhouette {v.silhouette:.2f}, "
        f"classifier CV macro-F1 {v.cv_macro_f1:.3f})"
        for v in done
    )


def _in_french(done: list[TasteSplit]) -> str:
    if not done:
        return "aucun segment partagé"

    def d(value: float, digits: int, sign: bool = False) -> str:
        return decimal(value, digits, "fr", sign)

    return " ; ".join(
        f"segment {v.segment} partagé en {v.segment} et {v.new_segment} ({v.halves[0]} + {v.halves[1]} clients ; "
        f"stabilité {d(v.stability, 2)}, gap {d(v.gap[1] - v.gap[0], 3, True)} ± {d(v.gap[2], 3)}, silhouette "
        f"{d(v.silhouette, 2)}, F1 macro du classifieur en validation croisée {d(v.cv_macro_f1, 3)})"
        for v in done
    )


def replayed_stability(
    first_stage: Callable[[np.ndarray, int], np.ndarray],
    taste: np.ndarray,
    cuts: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    bootstraps: int = selection.BOOTSTRAPS,
) -> float:
    """The bootstrap stability of the whole segmentation, the taste stage included: on each of
    ``bootstraps`` resamples of the rows of ``taste``, ``first_stage(rows, seed)`` gives every row's segment,
    then each of the run's ``cuts`` (its segment's rows, its second half's rows; in the order made) is made
    again: k-means on the resampled rows of the segment that holds most of the cut's rows. The mean
    pairwise ARI of the labellings, as ``selection.stability`` measures the first stage alone."""
    n = len(taste)
    rng = np.random.default_rng([seed, 2])
    fits = []
    for b in range(bootstraps):
        rows = rng.integers(0, n, n)
        labels = np.asarray(first_stage(rows, seed + 1 + b), np.int64).copy()
        for members, second in cuts:
            labels = _cut_again(labels, rows, taste, members, second, seed + 1 + b)
        fits.append(labels)
    pairs = [adjusted_rand_score(fits[i], fits[j]) for i in range(len(fits)) for j in range(i + 1, len(fits))]
    return float(np.mean(pairs))


def _cut_again(
    labels: np.ndarray, rows: np.ndarray, taste: np.ndarray, members: np.ndarray, second: np.ndarray, seed: int
) -> np.ndarray:
    """``labels`` with the segment holding most of ``members`` cut in two by k-means fitted on its resampled
    ``rows``; the half holding more of ``second`` takes a new label."""
    target = int(np.bincount(labels[members]).argmax())
    inside = np.flatnonzero(labels == target)
    fit_rows = rows[labels[rows] == target]
    if len(np.unique(fit_rows)) < 2:
        return labels
    halves = selection.fit_model("kmeans", 2, taste[fit_rows], seed).predict(taste[inside])
    flagged = np.isin(inside, second)
    share = [flagged[halves == h].mean() if (halves == h).any() else 0.0 for h in (0, 1)]
    labels = labels.copy()
    labels[inside[halves == int(share[1] >= share[0])]] = labels.max() + 1
    return labels
