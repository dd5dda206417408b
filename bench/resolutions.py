"""Leiden's resolution table on a `bench/quality.py` workspace, optionally after re-training its vectors.

    python bench/resolutions.py WORK/seed-N/home [--embed walk_length=30 walks_per_node=10 epochs=2 seed=42]
                                [--blocks]

Why Leiden chooses the resolution it does (issue 21 §1): the same inputs, clustering view, long
histories and ``segments.communities.evaluate`` / ``choose_resolution`` as `segment --method leiden`, without
the merging and without writing a run. Per resolution: communities / modularity / bootstrap stability / ARI
against the planted personas (``../synthetic/personas.csv``; a diagnostic, never a criterion). ``--embed``
re-trains the workspace's node2vec vectors first with those parameters (a one-off, not the product's
defaults; the workspace's vectors are replaced); ``--blocks`` adds the metric block and the vector block alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segments import communities, segmentation
from shopgraph.workspace import Workspace


def table(label: str, X: np.ndarray, business: np.ndarray, truth: np.ndarray | None) -> None:
    """One line: the chosen resolution, then resolution: communities / modularity / stability [/ ARI]."""
    started = time.perf_counter()
    X = np.asarray(X, np.float64)
    candidates = communities.evaluate(X, 0, business=business)
    pick = communities.choose_resolution(candidates)
    ari = {}
    if truth is not None:
        graph = communities.neighbour_graph(X)
        ari = {
            c.resolution: adjusted_rand_score(truth, communities.communities(X, c.resolution, 0, graph))
            for c in candidates
        }
    cells = [
        f"{c.resolution}: {c.communities} / {c.modularity:.2f} / {c.stability:.2f}"
        + (f" / {ari[c.resolution]:.2f}" if ari else "")
        for c in candidates
    ]
    print(
        f"{label} ({X.shape[1]} dims, {time.perf_counter() - started:.0f} s): chosen {pick.resolution} -> "
        f"{pick.communities}; " + ", ".join(cells),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="a quality.py workspace (WORK/seed-N/home)")
    parser.add_argument("--embed", nargs="*", default=None, help="re-train the vectors first: name=value (int)")
    parser.add_argument("--blocks", action="store_true", help="also the metric block and the vector block alone")
    args = parser.parse_args()
    workspace = Workspace(args.home)
    if args.embed is not None:
        from embeddings.training import embed

        params = {name: int(value) for name, value in (a.split("=", 1) for a in args.embed)}
        seed = params.pop("seed", 42)
        report = embed(workspace, seed=seed, workers=0, **params)
        print(f"embed {params}, seed {seed}: {report.tokens}, {report.timings['total']:.1f} s", flush=True)
    inputs = segmentation.clustering_inputs(workspace, 0)
    transform = inputs.transform
    length, long = communities.long_histories(inputs.n_events[inputs.clustered])
    business = segmentation._business(inputs.f_clustered)
    ratios = [round(r, 3) for r in getattr(transform, "pca_variance_ratio_", [])]
    print(
        f"{args.home}: clustered {len(inputs.clustered)}, {length}+ events: {len(long)}; view "
        f"{inputs.view.shape[1]} dims = {transform.view_blocks_['metrics'].stop} metric components + "
        f"{transform.vector_dims_} vector components (their variance ratios {ratios})",
        flush=True,
    )
    truth = None
    personas = args.home.parent / "synthetic" / "personas.csv"
    if personas.is_file():
        ids = inputs.f_clustered["user_id"].to_numpy(np.int64)[long]
        truth = pd.DataFrame({"user_id": ids}).merge(pd.read_csv(personas), on="user_id", how="left")["persona"]
        truth = truth.fillna("?").to_numpy()
    view = inputs.view[long]
    table("view", view, business[long], truth)
    if args.blocks:
        for name, cols in transform.view_blocks_.items():
            table(name, view[:, cols], business[long], truth)


if __name__ == "__main__":
    main()
