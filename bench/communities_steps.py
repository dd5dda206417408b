"""Where `segment --method leiden` spends its time, step by step, on a workspace (issue 21 at size).

    python bench/communities_steps.py HOME [--sample 20000] [--seed 0]

Reads the segment step's inputs as `segment` does, then runs what its ``_communities`` runs, timing each
part: the resolution table on the selection sample (``communities.evaluate``: Leiden and its bootstrap
fits), the final fit on every long history (a sample of ``FIT_CAP`` and a vote for the others), the
other clustered customers to the nearest centre, the merging's cross-validated classifiers, the scores,
and the look-alike graph (``similar.similar_pairs``). Nothing is written to the workspace.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segments import communities, merging, segmentation, selection, similar
from shopgraph.workspace import Workspace


class Laps:
    """Seconds since the previous lap, printed as they come."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        print(f"  {name:<44} {now - self.last:8.1f} s", flush=True)
        self.last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="a workspace after `shopgraph run`")
    parser.add_argument("--sample", type=int, default=20_000, help="the selection sample, as `segment`'s")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    lap = Laps()
    with threadpool_limits(limits=1):  # as segment runs
        inputs = segmentation.clustering_inputs(Workspace(args.home), args.seed)
        n_events = inputs.n_events[inputs.clustered]
        business = segmentation._business(inputs.f_clustered)
        length, long = communities.long_histories(n_events)
        print(f"{len(inputs.clustered):,} clustered customers, {len(long):,} with {length}+ events", flush=True)
        lap("inputs")
        rng = np.random.default_rng(args.seed)
        sample = long if len(long) <= args.sample else np.sort(rng.choice(long, args.sample, replace=False))
        candidates = communities.evaluate(
            np.asarray(inputs.view[sample], np.float64), args.seed, business=business[sample]
        )
        chosen = communities.choose_resolution(candidates)
        lap(f"resolution table ({len(candidates)} resolutions, chose {chosen.resolution})")
        raw = communities.communities(np.asarray(inputs.view[long], np.float64), chosen.resolution, args.seed)
        lap(f"final fit on {len(long):,} long histories")
        labels = np.empty(len(inputs.view), np.int64)
        labels[long] = raw
        others = np.setdiff1d(np.arange(len(inputs.view)), long)
        labels[others] = communities.nearest_centre(np.asarray(inputs.view, np.float64), long, raw, others)
        labels, _ = selection.relabel_by_size(np.unique(labels, return_inverse=True)[1])
        lap(f"nearest centre for {len(others):,} others")
        selection.score(labels, inputs.view, business, args.seed)
        lap("scores")
        _, steps = merging.merge_until_assignable(inputs.X, labels, args.seed, None)
        lap(f"merging ({steps[0].segments} -> {steps[-1].segments})")
    similar.similar_pairs(inputs.user_ids[inputs.clustered][long], inputs.view[long])
    lap("look-alike graph")


if __name__ == "__main__":
    main()
