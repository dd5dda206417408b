"""Segments speed: model selection over k = 3..15, the final fit and the classifier on 1 M users × 60 dims.

    python bench/segment.py [--users 1000000] [--dims 60] [--centres 10] [--seed 0]

The modelling matrix is synthetic (``--centres`` Gaussian blobs of unequal sizes and
spreads, float32), standing for the output of :mod:`segments.inputs`. Timed, as
``segments.segmentation`` runs them (BLAS/OpenMP on one thread): selection on the 20 000-user
sample (k-means, Gaussian mixture, Ward; `BOOTSTRAPS` bootstrap fits each), the final fit of the chosen
(method, k) on every user, the classifier comparison and calibration (20 000-user cap), and
predicting every user. Reference in the same script: one plain scikit-learn ``KMeans`` at
the chosen k on all users (default settings). Goals: ≤ 5 minutes, peak memory ≤ 4 GiB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segments import assign, selection
from segments.segmentation import DEFAULT_SAMPLE, fit_labels


def matrix(users: int, dims: int, centres: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(centres, 2.0))
    labels = rng.choice(centres, users, p=weights)
    means = rng.normal(0, 1.0, (centres, dims)).astype(np.float32)
    spread = rng.uniform(0.3, 0.6, centres).astype(np.float32)
    X = np.empty((users, dims), np.float32)
    for lo in range(0, users, 200_000):
        part = labels[lo : lo + 200_000]
        X[lo : lo + 200_000] = means[part] + rng.standard_normal((len(part), dims), np.float32) * spread[part, None]
    return X, labels


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--dims", type=int, default=60)
    parser.add_argument("--centres", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    X, truth = matrix(args.users, args.dims, args.centres, args.seed)
    business = np.random.default_rng(1).random((len(X), 2))
    print(
        f"matrix {X.shape} float32 ({X.nbytes / 2**30:.2f} GiB), {args.centres} planted centres; "
        f"peak so far {peak_gib():.2f} GiB"
    )
    t = {}
    with threadpool_limits(1):
        start = time.perf_counter()
        sample = np.sort(np.random.default_rng(0).choice(len(X), min(DEFAULT_SAMPLE, len(X)), replace=False))
        candidates = selection.evaluate(X[sample], business[sample], seed=0)
        chosen = selection.choose(candidates)
        t[f"selection ({len(candidates)} candidates × {1 + selection.BOOTSTRAPS} fits)"] = time.perf_counter() - start
        mark = time.perf_counter()
        labels = fit_labels(chosen.method, chosen.k, X, 0)
        t[f"final fit ({chosen.method}, k={chosen.k}, all users)"] = time.perf_counter() - mark
        mark = time.perf_counter()
        model = assign.train(X, labels, seed=0)
        t[f"classifiers (6 compared, kept {model.name})"] = time.perf_counter() - mark
        mark = time.perf_counter()
        predicted = np.concatenate([model.predict(X[lo : lo + 100_000])[0] for lo in range(0, len(X), 100_000)])
        t["predict every user"] = time.perf_counter() - mark
        total = time.perf_counter() - start
    mark = time.perf_counter()
    KMeans(chosen.k, random_state=0).fit(X)
    reference = time.perf_counter() - mark
    from sklearn.metrics import adjusted_rand_score

    print("| step | seconds |")
    print("|---|---|")
    for name, seconds in t.items():
        print(f"| {name} | {seconds:.1f} |")
    print(f"| **total** | **{total:.1f}** |")
    print(f"| reference: sklearn KMeans(k={chosen.k}) on all users, default threads | {reference:.1f} |")
    print()
    peak = peak_gib()
    print(
        f"ratio total / reference: {total / reference:.2f}; peak memory {peak:.2f} GiB; ARI vs planted "
        f"{adjusted_rand_score(truth, labels):.3f}; classifier agreement with the fit "
        f"{(predicted == labels).mean():.3f}, test macro-F1 {model.test_macro_f1:.3f}"
    )
    print(f"goal ≤ 300 s: {'met' if total <= 300 else 'NOT met'}; goal ≤ 4 GiB: {'met' if peak <= 4 else 'NOT met'}")


if __name__ == "__main__":
    main()
