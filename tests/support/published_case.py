"""TEST SUPPORT: a real segmentation run in which the activity threshold empties one cluster (issue 9's rule).

Cluster 4 is made of the clustered users under a threshold of 8 events, so the run must not
publish it; the last ``NO_VECTOR`` users have no vector (their fold-in failed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from segments import segmentation
from segments import threshold as threshold_module
from shopgraph.workspace import Workspace
from tests.support.planted_shop import PlantedShop

QUICK = ("knn", "decision_tree")
THRESHOLD = 8  # the run's activity threshold in the case below
UNPUBLISHED = 4  # the cluster made of users under it
NO_VECTOR = 40  # users (the last ids) without a vector


def _write_vectors(workspace: Workspace, ids: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    vectors = np.random.default_rng(0).normal(size=(len(ids), 8)).astype(np.float32)
    table = pa.table(
        {
            "user_id": pa.array(ids, pa.int64()),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 8),
            "source": pa.array(["trained"] * len(ids)),
        }
    )
    workspace.embeddings_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, workspace.embeddings_dir / "user_vectors.parquet")


def run_with_an_unpublished_cluster(
    shop: PlantedShop, root: Path, db=None, tiny: int = 0
) -> tuple[Workspace, segmentation.SegmentRun]:
    """A real run on a copy of the planted shop in ``root / "home"`` where cluster 4 holds exactly the
    clustered users under the threshold of 8 events (the final fit and the threshold study are replaced
    to make it so); loaded into ``db`` when given. With ``tiny``, cluster 4 also holds that many users at
    or above the threshold (too few to publish)."""
    workspace = shop.copy(root / "home")
    if db is not None:
        from graph.load import load

        load(db, workspace)
    features = segmentation.read_features(workspace)
    _write_vectors(workspace, features["user_id"].to_numpy(np.int64)[:-NO_VECTOR])  # fold-in failed for the rest
    n_events = features["n_events"].to_numpy(float)
    low = n_events[n_events >= segmentation.MIN_EVENTS_TO_CLUSTER] < THRESHOLD
    assert 20 <= low.sum() <= 0.5 * len(low)
    real_fit, real_order = segmentation.fit_labels, segmentation.key_independent_order
    orders: list[np.ndarray] = []

    def key_independent_order(X):  # the run's row order: ``low`` and the tiny ones are in user_id order
        orders.append(real_order(X))
        return orders[-1]

    def fit_labels(method, k, X, seed):
        labels = real_fit(method, k - 1, X, seed)
        order = orders[-1]  # row i of the run is row order[i] in user_id order
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        labels[low[order]] = UNPUBLISHED
        labels[position[np.flatnonzero(~low)[:tiny]]] = UNPUBLISHED
        return labels

    def run_study(*_args, **_kwargs):
        return {"threshold": THRESHOLD, "met": True, "level": 0.8, "curve": [], "note": "set by the test"}

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(segmentation, "fit_labels", fit_labels)
        mp.setattr(segmentation, "key_independent_order", key_independent_order)
        mp.setattr(threshold_module, "run_study", run_study)
        run = segmentation.segment(workspace, k=4, method="kmeans", seed=0, classifiers=QUICK)
    return workspace, run


def tiny_members(workspace: Workspace, tiny: int) -> np.ndarray:
    """The ids of the ``tiny`` users at or above the threshold that the case put in cluster 4."""
    features = segmentation.read_features(workspace)
    n_events = features["n_events"].to_numpy(float)
    clustered = features["user_id"].to_numpy(np.int64)[n_events >= segmentation.MIN_EVENTS_TO_CLUSTER]
    above = n_events[n_events >= segmentation.MIN_EVENTS_TO_CLUSTER] >= THRESHOLD
    return clustered[np.flatnonzero(above)[:tiny]]


def lookalikes_arrive(workspace: Workspace, run: segmentation.SegmentRun) -> set[int]:
    """New customers who look like the unpublished cluster yet reach the threshold: the cluster's own
    members, forgotten by the run, with the bundle's threshold lowered to the clustering minimum.
    Returns their ids."""
    import pandas as pd

    from segments import assign

    path = run.run_dir / assign.MODEL_FILE
    bundle = assign.load(path)
    bundle["threshold"] = segmentation.MIN_EVENTS_TO_CLUSTER
    assign.save(bundle, path)
    features = segmentation.read_features(workspace)
    small = features["n_events"].between(segmentation.MIN_EVENTS_TO_CLUSTER, THRESHOLD - 1).to_numpy()
    gone = set(features["user_id"][small].tolist())
    for name in ("assignments.parquet", "fingerprints.parquet"):
        table = pd.read_parquet(run.run_dir / name)
        table[~table["user_id"].isin(gone)].to_parquet(run.run_dir / name, index=False)
    return gone
