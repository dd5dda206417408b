"""Model selection: fits k-means, a Gaussian mixture and Ward over a range of k, scores them, picks one.

Every candidate (method, k) is fitted on the *selection sample* (at most ``sample_size``
users, drawn with the run's seed) and scored there:

* **silhouette** on at most 3 000 of those users (it is quadratic);
* **Calinski–Harabasz** and **Davies–Bouldin** on the whole selection sample;
* **bootstrap stability**: ``BOOTSTRAPS`` fits on resamples (with replacement) of the
  selection sample, each predicting the whole selection sample; the mean adjusted Rand
  index over all pairs of those fits. Each k-means fit, here as in the selection and the
  final fit, keeps the best of ``KMEANS_STARTS`` starts, so the score measures how much the
  segments depend on *which users* were sampled, not on a random start (k-means at k = 6–7
  on the planted personas: 0.42–0.70 with one start, 0.67–0.86 with ten;
  ``bench/quality.py --kmeans-starts 1`` against the default). ``BOOTSTRAPS`` is 8 (28 pairs):
  with 3 (3 pairs) the estimate itself was noise — on one workspace of the planted personas
  k-means k = 4 scored 0.91, 0.53 and 0.68 under three seeds, with 8 0.59–0.66 (an
  exploratory run, not kept in ``bench/``); and the same shop under three pseudonym keys
  chose k = 5, 6 and 6 with 3 fits, 6 every time with 8 (``bench/reproducibility.py``);
* **business separation**: the Kruskal–Wallis effect size ε² = (H − k + 1)/(n − k) of
  ``purchase_rate`` and of ``total_spent`` across the segments, averaged (0 = the segments
  do not differ in conversion and revenue, 1 = they explain all of it);
* **smallest share**: the smallest segment's share of the sample.

**The rule** (:func:`choose`): a candidate is eligible when its smallest segment holds ≥ 1 %
of users and its stability reaches ``min(0.8, best − 0.05)``, the best being the highest
stability among candidates with that smallest share (so when no fit reaches 0.8 the rule
still compares the fits that are nearly as reproducible as the best, instead of falling back
to the single most stable — usually the coarsest — one). Among eligible candidates, those
whose silhouette is within ``SILHOUETTE_SLACK`` (0.05) of the best eligible silhouette are
"as well separated"; the one with the MOST segments wins (then the higher silhouette, then
k-means before the mixture before Ward): the finest segmentation that is as reproducible and
as well separated as any. On clear clusters the silhouette drops sharply past the true k, so
the planted k wins; on fuzzy behavioural data silhouettes are flat and the finest stable
split wins instead of k = 3. ``--k`` and ``--method`` restrict the candidates before the rule applies.

Ward's hierarchy is built on at most ``WARD_SAMPLE`` users (memory is quadratic) and other
users go to the nearest Ward centroid.
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


def choose(candidates: list[Candidate]) -> Candidate:
    """Apply the rule of the module docstring; marks ``eligible`` and ``chosen``; returns the winner."""
    if not candidates:
        raise ValueError("no candidate to choose from")
    shared = [c for c in candidates if c.smallest_share >= SMALLEST_SHARE_MIN] or candidates
    level = min(STABILITY_MIN, max(c.stability for c in shared) - STABILITY_SLACK)
    for c in candidates:
        c.eligible = c.stability >= level and (c.smallest_share >= SMALLEST_SHARE_MIN or shared is candidates)
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
