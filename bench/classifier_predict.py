"""What each assignment classifier costs to predict, on one core and as the product predicts.

    python bench/classifier_predict.py [--rows 250000] [--dims 100] [--centres 8] [--noise 3] [--repeat 2]

A month assigns millions of customers with the kept classifier (`segments/assign.py`), so which candidate wins
a tie, and how many cores a prediction uses, decide minutes of the segment step. Each of the six candidates is
trained by ``assign.train(..., only=(name,))`` on the training cap of a synthetic matrix (overlapping Gaussian blobs
standing for the model rows), then predicts one chunk of ``--rows`` rows (the chunk the product
reads, ``population.CHUNK_ROWS``): once by the calibrated model under a one-thread limit (as the segmentation ran
it before) and once through ``AssignmentModel.probabilities``, as the product now calls it. Reference in the same
run: the decision tree's one-core prediction; each figure is also given as a multiple of it. The fastest of
``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segments import assign
from segments.population import CHUNK_ROWS
from shopgraph.cores import usable_cores


def matrix(rows: int, dims: int, centres: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs that overlap (``noise`` × unit centres): the kept classifier's test macro-F1 lands near the
    product's (≈ 0.9), and an SVM keeps many support vectors, as on real model rows."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, centres, rows)
    centre = rng.normal(size=(centres, dims)).astype(np.float32)
    return centre[labels] + noise * rng.standard_normal((rows, dims), np.float32), labels


def fastest(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--dims", type=int, default=100)
    parser.add_argument("--centres", type=int, default=8)
    parser.add_argument("--noise", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    X, y = matrix(assign.TRAIN_CAP + args.rows, args.dims, args.centres, args.noise)
    train_X, train_y, chunk = X[: assign.TRAIN_CAP], y[: assign.TRAIN_CAP], X[assign.TRAIN_CAP :]
    print(
        f"# bench/classifier_predict  {time.strftime('%Y-%m-%d %H:%M')} UTC  {usable_cores()} cores  "
        f"load avg {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{assign.TRAIN_CAP:,} training rows, a chunk of {args.rows:,} rows × {args.dims} dims, "
        f"{args.centres} classes; fastest of {args.repeat}"
    )
    rows = []
    for name in assign.candidates(0):
        with threadpool_limits(limits=1):  # trained as the segmentation trains it; predicted as it did before
            model = assign.train(train_X, train_y, seed=0, only=(name,))
            one = fastest(lambda model=model: model.model.predict_proba(chunk), args.repeat)
        shipped = fastest(lambda model=model: model.probabilities(chunk), args.repeat)
        rows.append((name, one, shipped))
        print(
            f"  {name}: test macro-F1 {model.test_macro_f1:.3f}; one core {one:.2f} s, as shipped {shipped:.2f} s",
            flush=True,
        )
    reference = dict((name, one) for name, one, _ in rows)["decision_tree"]
    print(f"\nreference: the decision tree on one core, {reference:.3f} s for the chunk\n")
    print("| classifier | one core, s | × reference | as shipped, s | × reference | s per million rows, as shipped |")
    print("|---|---|---|---|---|---|")
    for name, one, shipped in sorted(rows, key=lambda r: r[1]):
        print(
            f"| {name} | {one:.2f} | {one / reference:.0f} | {shipped:.2f} | {shipped / reference:.0f} | "
            f"{shipped * 1e6 / args.rows:.1f} |"
        )
    print(f"\nPREDICT_COST (cheapest first) in segments/assign.py: {', '.join(assign.PREDICT_COST)}")
    print(f"measured order, one core: {', '.join(name for name, _, _ in sorted(rows, key=lambda r: r[1]))}")


if __name__ == "__main__":
    main()
