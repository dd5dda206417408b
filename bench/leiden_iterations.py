"""Leiden's passes on a workspace's customer graph: what iterating until stable buys over a few passes.

    python bench/leiden_iterations.py HOME [--iterations -1 2 5] [--resolutions 0.5 1.0] [--users 50000]

On a workspace after `shopgraph run`, this reads the segment step's inputs as `segment` does, draws ``--users``
clustered customers (``communities.FIT_CAP``: the graph the final fit is made on) and builds their
shared-nearest-neighbour graph as ``communities.neighbour_graph`` does. At each resolution it runs Leiden with
each number of passes (-1: until a pass changes nothing, the reference in the same run) and prints the seconds,
the communities before small ones are absorbed, the partition's quality (the RB configuration model's) and
the ARI to the reference's partition.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segments import communities, segmentation
from shopgraph.workspace import Workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="a workspace after `shopgraph run`")
    parser.add_argument("--iterations", type=int, nargs="+", default=[-1, 2, 5], help="the first is the reference")
    parser.add_argument("--resolutions", type=float, nargs="+", default=[0.5, 1.0])
    parser.add_argument("--users", type=int, default=communities.FIT_CAP)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    import leidenalg

    inputs = segmentation.clustering_inputs(Workspace(args.home), 0)
    X = np.asarray(inputs.view, np.float64)
    rows = np.sort(np.random.default_rng(args.seed).choice(len(X), min(args.users, len(X)), replace=False))
    started = time.perf_counter()
    graph = communities.as_igraph(communities.neighbour_graph(X[rows]))
    print(
        f"{args.home}: {len(X):,} clustered customers, {len(rows):,} drawn; graph of {graph.ecount():,} links "
        f"in {time.perf_counter() - started:.1f} s"
    )
    header = ("resolution", "passes", "seconds", "× ref", "communities", "quality", "ARI")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (10, 6, 8, 6, 11, 12, 6), strict=True)))
    for resolution in args.resolutions:
        reference = None
        for passes in args.iterations:
            started = time.perf_counter()
            part = leidenalg.find_partition(
                graph,
                leidenalg.RBConfigurationVertexPartition,
                weights="weight",
                resolution_parameter=resolution,
                seed=args.seed,
                n_iterations=passes,
            )
            seconds = time.perf_counter() - started
            labels = np.asarray(part.membership)
            reference = reference or (seconds, labels)
            print(
                f"{resolution:>10} {passes:>6} {seconds:8.1f} {seconds / reference[0]:6.2f} {labels.max() + 1:>11} "
                f"{part.quality():12.1f} {adjusted_rand_score(reference[1], labels):6.3f}"
            )


if __name__ == "__main__":
    main()
