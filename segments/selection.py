"""Model selection: fits k-means, a Gaussian mixture and Ward over a range of k, scores them, picks one.

Each (method, k) is scored on the selection sample (silhouette, Calinski–Harabasz, Davies–Bouldin,
bootstrap stability, business separation, smallest share); :func:`choose` keeps the finest
segmentation that is as reproducible and as well separated as any. The scores, the rule and the
figures behind them: docs/ARCHITECTURE.md, "segments/selection.py".
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.stats import kruskal
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.mixture import GaussianMixture

from shopgraph.progress import Progress

METHODS = ("kmeans", "gmm", "ward")
K_RANGE = tuple(range(3, 16))
BOOTSTRAPS = 8
STABILITY_MIN = 0.8
SMALLEST_SHARE_MIN = 0.01
SILHOUETTE_SLACK = 0.05
STABILITY_SLACK = 0.05
SILHOUETTE_SAMPLE = 3_000
WARD_SAMPLE = 3_000
KMEANS_STARTS = 10  # k-means keeps the best of this many starts, in every fit (selection, bootstraps, final)
MINIBATCH_ABOVE = 100_000  # final k-means fits on more users than this use MiniBatchKMeans


@dataclass
class Candidate:
    """One (method, k) with its scores."""

    method: str
    k: int
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    stability: float
    separation: float
    smallest_share: float
    eligible: bool = False
    chosen: bool = False

    def as_row(self) -> dict[str, object]:
        return asdict(self)


class CentroidModel:
    """Assigns points to the nearest of fixed centroids (Ward, and anything else without ``predict``)."""

    def __init__(self, centroids: np.ndarray) -> None:
        self.centroids_ = np.asarray(centroids, np.float64)

    def predict(self, X: np.ndarray) -> np.ndarray:
        out = np.empty(len(X), np.int64)
        c2 = (self.centroids_**2).sum(axis=1)
        for lo in range(0, len(X), 65_536):
            part = np.asarray(X[lo : lo + 65_536], np.float64)
            out[lo : lo + 65_536] = np.argmin(c2[None, :] - 2 * part @ self.centroids_.T, axis=1)
        return out


def _centroids(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return np.vstack([X[labels == c].mean(axis=0) if (labels == c).any() else X[0] for c in range(k)])


def fit_model(method: str, k: int, X: np.ndarray, seed: int, *, n_init: int | None = None):
    """Fit one clustering model on ``X``; returns an object with ``predict`` (``n_init``: k-means starts,
    ``KMEANS_STARTS`` when not given)."""
    n_init = n_init or KMEANS_STARTS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "kmeans":
            if len(X) > MINIBATCH_ABOVE:
                return MiniBatchKMeans(k, random_state=seed, n_init=n_init, batch_size=8192, max_no_improvement=20).fit(
                    X
                )
            return KMeans(k, random_state=seed, n_init=n_init).fit(X)
        if method == "gmm":
            return GaussianMixture(
                k,
                covariance_type="diag",
                random_state=seed,
                reg_covar=1e-4,
                max_iter=200,
                n_init=1,
                init_params="k-means++",
            ).fit(X)
        if method == "ward":
            rows = X
            if len(X) > WARD_SAMPLE:
                rows = X[np.random.default_rng(seed).choice(len(X), WARD_SAMPLE, replace=False)]
            labels = fcluster(linkage(rows, "ward"), k, "maxclust") - 1
            return CentroidModel(_centroids(rows, labels, int(labels.max()) + 1))
    raise ValueError(f"unknown method {method!r}")


def _ward_tree(X: np.ndarray, seed: int):
    rows = X if len(X) <= WARD_SAMPLE else X[np.random.default_rng(seed).choice(len(X), WARD_SAMPLE, replace=False)]
    return rows, linkage(rows, "ward")


def _ward_model(rows: np.ndarray, tree, k: int) -> CentroidModel:
    labels = fcluster(tree, k, "maxclust") - 1
    return CentroidModel(_centroids(rows, labels, int(labels.max()) + 1))


def separation(labels: np.ndarray, business: np.ndarray) -> float:
    """Mean Kruskal–Wallis ε² of the business columns (conversion, revenue) across the segments."""
    groups = np.unique(labels)
    k, n = len(groups), len(labels)
    if k < 2 or n <= k:
        return 0.0
    sizes = []
    for j in range(business.shape[1]):
        col = business[:, j]
        if np.ptp(col) == 0:
            sizes.append(0.0)
            continue
        h = kruskal(*(col[labels == g] for g in groups)).statistic
        sizes.append(max(0.0, (h - k + 1) / (n - k)))
    return float(np.mean(sizes))


def stability(method: str, k: int, X: np.ndarray, seed: int, bootstraps: int | None = None) -> float:
    """Mean pairwise ARI of fits on bootstrap resamples of ``X``, each predicting all of ``X``
    (``BOOTSTRAPS`` of them unless given)."""
    bootstraps = bootstraps or BOOTSTRAPS
    rng = np.random.default_rng([seed, k, METHODS.index(method)])
    predictions = []
    for b in range(bootstraps):
        rows = X[rng.integers(0, len(X), len(X))]
        predictions.append(fit_model(method, k, rows, seed + 1 + b).predict(X))
    scores = [
        adjusted_rand_score(predictions[i], predictions[j])
        for i in range(len(predictions))
        for j in range(i + 1, len(predictions))
    ]
    return float(np.mean(scores))


def score(labels: np.ndarray, X: np.ndarray, business: np.ndarray, seed: int) -> dict[str, float]:
    """Silhouette (on a sample), Calinski–Harabasz, Davies–Bouldin, separation and smallest share."""
    k = len(np.unique(labels))
    if k < 2:
        return {
            "silhouette": -1.0,
            "calinski_harabasz": 0.0,
            "davies_bouldin": float("inf"),
            "separation": 0.0,
            "smallest_share": 1.0,
        }
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(X), min(SILHOUETTE_SAMPLE, len(X)), replace=False)
    sil = silhouette_score(X[idx], labels[idx]) if len(np.unique(labels[idx])) > 1 else -1.0
    return {
        "silhouette": float(sil),
        "calinski_harabasz": float(calinski_harabasz_score(X, labels)),
        "davies_bouldin": float(davies_bouldin_score(X, labels)),
        "separation": separation(labels, business),
        "smallest_share": float(np.bincount(labels).min() / len(labels)) if labels.min() >= 0 else 0.0,
    }


def evaluate(
    X: np.ndarray,
    business: np.ndarray,
    *,
    methods: tuple[str, ...] = METHODS,
    ks: tuple[int, ...] = K_RANGE,
    seed: int = 0,
    bootstraps: int | None = None,
    progress: Progress | None = None,
) -> list[Candidate]:
    """Score every (method, k) on the selection sample ``X`` (rows) with ``business`` columns."""
    bootstraps = bootstraps or BOOTSTRAPS
    ks = tuple(k for k in ks if 2 <= k < len(X))
    out: list[Candidate] = []
    total, done = len(methods) * len(ks), 0
    for method in methods:
        if method == "ward":
            rows, tree = _ward_tree(X, seed)
            boot = []
            rng = np.random.default_rng([seed, 99])
            for _ in range(bootstraps):
                sample = X[rng.integers(0, len(X), min(len(X), WARD_SAMPLE))]
                boot.append((sample, linkage(sample, "ward")))
        for k in ks:
            if method == "ward":
                labels = _ward_model(rows, tree, k).predict(X)
                preds = [_ward_model(s, t, k).predict(X) for s, t in boot]
                stab = float(
                    np.mean(
                        [
                            adjusted_rand_score(preds[i], preds[j])
                            for i in range(len(preds))
                            for j in range(i + 1, len(preds))
                        ]
                    )
                )
            else:
                labels = fit_model(method, k, X, seed).predict(X)
                stab = stability(method, k, X, seed, bootstraps)
            labels = np.unique(labels, return_inverse=True)[1]
            out.append(Candidate(method, k, stability=stab, **score(labels, X, business, seed)))
            done += 1
            if progress:
                progress("model selection", done, total)
    return out


def choose(candidates: list[Candidate], min_share: float = SMALLEST_SHARE_MIN) -> Candidate:
    """Apply the rule of the module docstring; marks ``eligible`` and ``chosen``; returns the winner.

    ``min_share``: the smallest segment share a fit may have (at least :data:`SMALLEST_SHARE_MIN`; the
    segmentation raises it so that every segment can hold the customers a published segment needs)."""
    if not candidates:
        raise ValueError("no candidate to choose from")
    min_share = max(min_share, SMALLEST_SHARE_MIN)
    shared = [c for c in candidates if c.smallest_share >= min_share] or candidates
    level = min(STABILITY_MIN, max(c.stability for c in shared) - STABILITY_SLACK)
    for c in candidates:
        c.eligible = c.stability >= level and (c.smallest_share >= min_share or shared is candidates)
        c.chosen = False
    pool = [c for c in candidates if c.eligible]
    best = max(c.silhouette for c in pool)
    close = [c for c in pool if c.silhouette >= best - SILHOUETTE_SLACK]
    winner = min(close, key=lambda c: (-c.k, -c.silhouette, METHODS.index(c.method)))
    winner.chosen = True
    return winner


def relabel_by_size(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels 0..k-1 renumbered so 0 is the largest cluster (ties: the smaller old label); and the mapping."""
    counts = np.bincount(labels)
    order = sorted(range(len(counts)), key=lambda c: (-counts[c], c))
    mapping = np.empty(len(counts), np.int64)
    mapping[order] = np.arange(len(counts))
    return mapping[labels], mapping
