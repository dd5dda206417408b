"""The assignment classifier: predicts a user's segment from their model row, without re-clustering.

Six candidates compared by cross-validated macro-F1 (ties to the cheapest to predict), calibrated,
and predicting among the published segments only; persisted with the library versions that made
it. The procedure and why: docs/ARCHITECTURE.md, "segments/assign.py".
"""

from __future__ import annotations

import functools
import platform
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from shopgraph.cores import usable_cores
from shopgraph.errors import ShopgraphError
from shopgraph.files import atomic_path
from shopgraph.progress import Progress

LOW_CONFIDENCE = 0.5
SVM_CAP = 4_000
TRAIN_CAP = 20_000
MODEL_FILE = "classifier.joblib"
PARALLEL_ROWS = 20_000
"""Rows from which a prediction runs on every core: a month's millions of customers are predicted 250,000 at a
time, where the costly candidates (k-NN, boosting, the SVM, the forest) run about twice as fast on two cores
(bench/classifier_predict.py, docs/BENCHMARKS.md "Segments speed")."""


def candidates(seed: int) -> dict[str, object]:
    """The six classifiers compared, by name."""
    return {
        "knn": KNeighborsClassifier(15, weights="distance"),
        "decision_tree": DecisionTreeClassifier(max_depth=10, min_samples_leaf=5, random_state=seed),
        "svm_rbf": SVC(C=3.0, gamma="scale", random_state=seed),
        "random_forest": RandomForestClassifier(100, min_samples_leaf=2, n_jobs=1, random_state=seed),
        "gradient_boosting": HistGradientBoostingClassifier(max_iter=60, early_stopping=False, random_state=seed),
        "mlp": MLPClassifier((64, 32), max_iter=300, early_stopping=True, random_state=seed),
    }


@dataclass
class AssignmentModel:
    """The kept classifier, calibrated, with how it was chosen."""

    name: str
    model: object  # CalibratedClassifierCV
    classes: np.ndarray
    comparison: list[dict[str, object]] = field(default_factory=list)
    test_macro_f1: float = float("nan")
    short_test_macro_f1: float = float("nan")  # on the truncated copies of the test users
    split: dict[str, int] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def probabilities(self, X: np.ndarray, among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The classes and their calibrated probabilities per row, renormalised over ``among`` when given
        (the published clusters, see the module docstring)."""
        classes = np.asarray(self.model.classes_)
        proba = predict_proba(self.model, X) if len(X) else np.zeros((0, len(classes)))
        if among is None:
            return classes, proba
        keep = np.isin(classes, np.asarray(among, dtype=classes.dtype))
        if not keep.any():
            raise ShopgraphError("the run publishes none of the classifier's segments: run `shopgraph segment` again")
        classes, proba = classes[keep], proba[:, keep]
        total = proba.sum(axis=1, keepdims=True)
        proba = np.divide(proba, total, out=np.full_like(proba, 1.0 / keep.sum()), where=total > 0)
        return classes, proba

    def predict(self, X: np.ndarray, among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Segment labels and their calibrated confidence; only labels in ``among`` when given."""
        classes, proba = self.probabilities(X, among)
        if len(X) == 0:
            return np.zeros(0, classes.dtype), np.zeros(0)
        best = proba.argmax(axis=1)
        return classes[best], proba[np.arange(len(X)), best]


def predict_proba(model, X: np.ndarray) -> np.ndarray:
    """``model.predict_proba(X)``, from :data:`PARALLEL_ROWS` rows in one part of ``X`` per core, each on its own
    thread with BLAS and OpenMP held to one (the candidates' predictions release the GIL). A row's probabilities do
    not depend on the rows predicted beside it, so the parts give the same values, bit for bit, on any machine."""
    cores = usable_cores() if len(X) >= PARALLEL_ROWS else 1
    with threadpool_limits(limits=1):
        if cores == 1:
            return model.predict_proba(X)
        with ThreadPoolExecutor(max_workers=cores, thread_name_prefix="predict") as pool:
            return np.vstack(list(pool.map(model.predict_proba, np.array_split(X, cores))))


def _quiet(func):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*number of unique classes.*")
        warnings.filterwarnings("ignore", message=".*least populated class.*")
        return func()


def _positions(kept: np.ndarray, size: int) -> np.ndarray:
    """For each of ``size`` rows, its position among the rows ``kept``, or -1 when it was not kept."""
    where = np.full(size, -1, np.int64)
    where[kept] = np.arange(len(kept))
    return where


def _fit_candidate(name: str, est, X: np.ndarray, y: np.ndarray, seed: int):
    # The SVM subsample is stratified by label only: short-history copies may be drawn without their user.
    # Harmless, since nothing is scored on this fit's training rows.
    if name == "svm_rbf" and len(X) > SVM_CAP:
        idx, _ = train_test_split(np.arange(len(X)), train_size=SVM_CAP, stratify=y, random_state=seed)
        X, y = X[idx], y[idx]
    return _quiet(lambda: clone(est).fit(X, y))


F1_SLACK = 0.005
#: cheapest to predict first, as measured by bench/classifier_predict.py (a chunk of 250,000 rows on one core, in
#: multiples of the tree over two runs: MLP 2, forest 32-36, boosting 120-172, k-NN 140-179, SVM 479-684)
PREDICT_COST = ("decision_tree", "mlp", "random_forest", "gradient_boosting", "knn", "svm_rbf")


def keep(comparison: list[dict]) -> dict:
    """The kept candidate: the best CV macro-F1, ties within ``F1_SLACK`` to the cheapest to predict."""
    top = max(r["cv_macro_f1"] for r in comparison)
    tied = [r for r in comparison if r["cv_macro_f1"] >= top - F1_SLACK]
    cost = {name: i for i, name in enumerate(PREDICT_COST)}
    return min(tied, key=lambda r: (cost.get(r["classifier"], len(cost)), -r["cv_macro_f1"]))


def _cv_macro_f1(
    name: str,
    est,
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    copies: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> float:
    """3-fold macro-F1 on the whole histories ``X``; ``copies`` = ``(rows, labels, owner)``: short-history
    copies of the rows ``owner`` of ``X``, learnt with their user's training folds, never scored."""
    if name == "svm_rbf" and len(X) > SVM_CAP:
        idx, _ = train_test_split(np.arange(len(X)), train_size=SVM_CAP, stratify=y, random_state=seed)
        if copies is not None:  # keep the copies of the users kept, renumbered
            where = _positions(idx, len(X))
            mine = where[copies[2]] >= 0
            copies = (copies[0][mine], copies[1][mine], where[copies[2][mine]])
        X, y = X[idx], y[idx]
    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    if copies is None or not len(copies[2]):
        return float(np.mean(_quiet(lambda: cross_val_score(clone(est), X, y, cv=folds, scoring="f1_macro"))))
    scores = []
    for fit_rows, score_rows in folds.split(X, y):
        mine = np.isin(copies[2], fit_rows)
        fit_X = np.vstack([X[fit_rows], copies[0][mine]])
        fit_y = np.concatenate([y[fit_rows], copies[1][mine]])
        model = _quiet(functools.partial(clone(est).fit, fit_X, fit_y))
        scores.append(f1_score(y[score_rows], model.predict(X[score_rows]), average="macro"))
    return float(np.mean(scores))


def stratified_sample(y: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """Indices of at most ``cap`` rows, stratified by ``y`` (all rows when fewer)."""
    if len(y) <= cap:
        return np.arange(len(y))
    idx, _ = train_test_split(np.arange(len(y)), train_size=cap, stratify=y, random_state=seed)
    return np.sort(idx)


def train(
    X: np.ndarray,
    y: np.ndarray,
    seed: int = 0,
    *,
    train_cap: int = TRAIN_CAP,
    only: tuple[str, ...] | None = None,
    progress: Progress | None = None,
    short: tuple[np.ndarray, np.ndarray] | None = None,
) -> AssignmentModel:
    """Compare the candidates and keep the best, calibrated (see the module docstring).

    ``short`` = ``(rows, source)``: model rows of truncated copies of users (:mod:`segments.short_history`)
    and, for each, the row of ``X`` it was cut from; each copy takes its user's label and part.
    """
    counts = np.bincount(y)
    if (counts[counts > 0] < 5).any():
        raise ShopgraphError(
            "a segment has fewer than 5 users: too few to train the assignment classifier; choose a smaller --k"
        )
    rows = stratified_sample(y, train_cap, seed)
    n_users = len(y)
    X, y = X[rows], y[rows]
    idx_train, idx_rest = train_test_split(np.arange(len(y)), test_size=0.4, stratify=y, random_state=seed)
    idx_val, idx_test = train_test_split(idx_rest, test_size=0.5, stratify=y[idx_rest], random_state=seed)
    part = np.zeros(len(y), np.int8)
    part[idx_val], part[idx_test] = 1, 2
    if short is not None and len(short[1]):
        owner = _positions(rows, n_users)[np.asarray(short[1], np.int64)]
        S, owner = np.asarray(short[0])[owner >= 0], owner[owner >= 0]  # copies of users left out of the sample
    else:
        S, owner = np.zeros((0, X.shape[1]), X.dtype), np.zeros(0, np.int64)

    def with_copies(idx: np.ndarray, which: int) -> tuple[np.ndarray, np.ndarray]:
        mine = part[owner] == which
        return np.vstack([X[idx], S[mine]]), np.concatenate([y[idx], y[owner[mine]]])

    X_train, y_train = with_copies(idx_train, 0)
    mine = part[owner] == 0
    train_copies = (S[mine], y[owner[mine]], _positions(idx_train, len(y))[owner[mine]])
    pool = {n: e for n, e in candidates(seed).items() if only is None or n in only}
    comparison = []
    for i, (name, est) in enumerate(pool.items()):
        comparison.append(
            {"classifier": name, "cv_macro_f1": _cv_macro_f1(name, est, X[idx_train], y[idx_train], seed, train_copies)}
        )
        if progress:
            progress("classifiers", i + 1, len(pool))
    best = keep(comparison)
    fitted = _fit_candidate(best["classifier"], pool[best["classifier"]], X_train, y_train, seed)
    X_val, y_val = with_copies(idx_val, 1)
    calibrated = _quiet(lambda: CalibratedClassifierCV(FrozenEstimator(fitted), method="sigmoid").fit(X_val, y_val))
    short_test = part[owner] == 2
    model = AssignmentModel(
        best["classifier"],
        calibrated,
        np.unique(y),
        comparison,
        split={
            "train": len(idx_train),
            "validation": len(idx_val),
            "test": len(idx_test),
            "short_train": int((part[owner] == 0).sum()),
            "short_validation": int((part[owner] == 1).sum()),
            "short_test": int(short_test.sum()),
        },
        versions=versions(),
    )
    predicted, _ = model.predict(X[idx_test])
    model.test_macro_f1 = float(f1_score(y[idx_test], predicted, average="macro"))
    if short_test.any():
        predicted, _ = model.predict(S[short_test])
        model.short_test_macro_f1 = float(f1_score(y[owner[short_test]], predicted, average="macro"))
    for r in comparison:
        r["kept"] = r["classifier"] == best["classifier"]
    model.test_rows = (X[idx_test], y[idx_test])  # for the permutation importance; not persisted
    return model


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
    }


def save(bundle: dict[str, object], path: Path) -> None:
    """Persist ``bundle`` (the classifier and the input transform) atomically with the versions."""
    bundle = {**bundle, "versions": versions()}
    with atomic_path(path) as tmp:
        joblib.dump(bundle, tmp)


def load(path: Path) -> dict[str, object]:
    """The bundle saved by :func:`save`; a clear error when it is missing or from another scikit-learn."""
    if not path.is_file():
        raise ShopgraphError(f"no assignment model in {path.parent}: run `shopgraph segment` first")
    bundle = joblib.load(path)
    saved = bundle.get("versions", {}).get("scikit-learn")
    if saved and saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ShopgraphError(
            f"the assignment model was saved with scikit-learn {saved} and this is "
            f"{sklearn.__version__}: run `shopgraph segment` again to retrain it"
        )
    return bundle
