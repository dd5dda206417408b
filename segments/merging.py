"""Communities merged until the assignment classifier can tell them apart (SCCAF's rule).

A segment is only of use when a new customer can be put in it: two communities that the classifier
keeps confusing are one segment to the shop. As in SCCAF (Single-Cell Clustering Assessment Framework,
Miao et al. 2020), the classifier is trained by cross-validation on the clustered customers, the pair
of communities it confuses most (the share of each one's customers it puts in the other, summed) is
merged, and again, until its cross-validated macro-F1 reaches the assignment goal, or until a merge no
longer raises it: such a merge is undone and the merging stops. The stopping rules are the goal, which
any shop sets, and the classifier's own gain, never the number of segments: two tastes a classifier tells
apart no better once joined stay two segments (issue 21). Why and what it gave: docs/ARCHITECTURE.md,
"segments/merging.py".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from segments import assign
from shopgraph.words import decimal

GOAL_MACRO_F1 = 0.9  # the assignment goal: new customers' segments, macro-F1 on held-out customers
CLASSIFIER = "svm_rbf"  # the assignment classifier's candidate the Leiden runs kept (docs/BENCHMARKS.md)
FOLDS = 3
RULE = (
    f"the pair the assignment classifier confuses most merged until its cross-validated macro-F1 ≥ {GOAL_MACRO_F1}"
    " or a merge no longer raises it"
)
RULE_FR = (
    "la paire que le classifieur d'affectation confond le plus fusionnée jusqu'à ce que son F1 macro en validation "
    f"croisée atteigne {decimal(GOAL_MACRO_F1, 1, 'fr')} ou qu'une fusion ne l'améliore plus"
)


@dataclass
class Merge:
    """One step: the segments before it, the classifier's CV macro-F1 on them, the pair merged (None: stop);
    on the last step, the CV macro-F1 after a merge that was undone because it did not raise it."""

    segments: int
    cv_macro_f1: float
    merged: tuple[int, int] | None
    undone_at: float | None = None


def cross_validated(
    X: np.ndarray, labels: np.ndarray, seed: int, copies: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The labels and the classifier's out-of-fold predictions on a stratified sample of the rows (at most
    ``assign.SVM_CAP``); ``copies`` = ``(rows, source)``: short-history copies of rows of ``X``, learnt with
    their customer's training folds and never scored, as ``assign.train`` learns them."""
    keep = assign.stratified_sample(labels, assign.SVM_CAP, seed)
    X, y = X[keep], labels[keep]
    if copies is not None and len(copies[1]):
        owner = assign._positions(keep, len(labels))[np.asarray(copies[1], np.int64)]
        S, owner = np.asarray(copies[0])[owner >= 0], owner[owner >= 0]
    else:
        S, owner = np.zeros((0, X.shape[1]), X.dtype), np.zeros(0, np.int64)
    estimator = assign.candidates(seed)[CLASSIFIER]
    predicted = np.empty_like(y)
    for fit, score in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(X, y):
        mine = np.isin(owner, fit)
        fit_X, fit_y = np.vstack([X[fit], S[mine]]), np.concatenate([y[fit], y[owner[mine]]])
        model = assign._quiet(lambda fit_X=fit_X, fit_y=fit_y: clone(estimator).fit(fit_X, fit_y))
        predicted[score] = model.predict(X[score])
    return y, predicted


def most_confused(truth: np.ndarray, predicted: np.ndarray) -> tuple[int, int]:
    """The pair (a < b) of labels with the largest share of a's rows predicted b plus of b's predicted a."""
    classes = np.unique(truth)
    index = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)))
    np.add.at(counts, ([index[c] for c in truth], [index.get(c, 0) for c in predicted]), 1)
    rate = counts / counts.sum(axis=1, keepdims=True)
    both = rate + rate.T
    np.fill_diagonal(both, -1.0)
    i, j = np.unravel_index(int(both.argmax()), both.shape)
    return int(classes[min(i, j)]), int(classes[max(i, j)])


def merge_until_assignable(
    X: np.ndarray,
    labels: np.ndarray,
    seed: int,
    copies: tuple[np.ndarray, np.ndarray] | None = None,
    goal: float = GOAL_MACRO_F1,
    progress=None,
    only_gains: bool = True,
) -> tuple[np.ndarray, list[Merge]]:
    """Labels 0..m-1 after merging the most confused pair until the CV macro-F1 reaches ``goal`` (or two
    segments are left), and every step taken. ``only_gains`` (the default): a merge after which the CV
    macro-F1 is not higher is undone and the merging stops there; ``False`` merges on to the goal whatever
    each merge does (the rule before issue 21's decision: docs/BENCHMARKS.md, "how well the true personas
    can be assigned")."""
    labels = np.unique(labels, return_inverse=True)[1]
    steps: list[Merge] = []
    start = int(labels.max()) + 1
    before = labels
    while True:
        k = int(labels.max()) + 1
        truth, predicted = cross_validated(X, labels, seed, copies)
        score = float(f1_score(truth, predicted, average="macro"))
        if progress:
            progress("merging confused segments", start - k, max(start - 2, 1))
        if only_gains and steps and score <= steps[-1].cv_macro_f1:
            steps[-1] = Merge(steps[-1].segments, steps[-1].cv_macro_f1, None, undone_at=score)
            return before, steps
        before = labels
        if score >= goal or k <= 2:
            steps.append(Merge(k, score, None))
            return labels, steps
        a, b = most_confused(truth, predicted)
        steps.append(Merge(k, score, (a, b)))
        labels = np.unique(np.where(labels == b, a, labels), return_inverse=True)[1]


def in_words(steps: list[Merge], lang: str = "en") -> str:
    """``14 → 12 segments (classifier CV macro-F1 0.878, 0.895, 0.901)``, for the run's reason; with
    ``; one more merge gave 0.894 and was undone`` when the merging stopped on a merge that did not help.
    In French with ``lang="fr"``."""
    scores = (" ; " if lang == "fr" else ", ").join(decimal(s.cv_macro_f1, 3, lang) for s in steps)
    undone = steps[-1].undone_at
    span = f"{steps[0].segments} → {steps[-1].segments} segments"
    if lang == "fr":
        tail = "" if undone is None else f" ; une fusion de plus donnait {decimal(undone, 3, lang)} et a été annulée"
        return f"{span} (F1 macro du classifieur en validation croisée {scores}{tail})"
    tail = "" if undone is None else f"; one more merge gave {undone:.3f} and was undone"
    return f"{span} (classifier CV macro-F1 {scores}{tail})"
