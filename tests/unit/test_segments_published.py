"""A cluster emptied by the activity threshold is never published: assign, confusion.csv and the run skip it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from typer.testing import CliRunner

from cli import app
from segments import assign, assigning, segmentation
from shopgraph.workspace import Workspace
from tests.support.published_case import (
    NO_VECTOR,
    UNPUBLISHED,
    lookalikes_arrive,
    run_with_an_unpublished_cluster,
    tiny_members,
)


def _blobs() -> tuple[np.ndarray, np.ndarray, assign.AssignmentModel]:
    X, y = make_blobs(800, n_features=4, centers=4, cluster_std=1.5, random_state=1)
    return X, y + 1, assign.train(X, y + 1, seed=0, only=("knn", "decision_tree"))


def test_predict_among_the_published_never_gives_another_and_renormalises() -> None:
    X, _y, model = _blobs()
    free, _ = model.predict(X)
    assert (free == UNPUBLISHED).sum() > 100  # the classifier does give the cluster when allowed to
    published = np.array([1, 2, 3])
    labels, confidence = model.predict(X, among=published)
    assert set(labels.tolist()) <= {1, 2, 3}
    classes, proba = model.probabilities(X, among=published)
    assert list(classes) == [1, 2, 3] and np.allclose(proba.sum(axis=1), 1.0)
    full = model.model.predict_proba(X)
    expected = full[:, :3] / full[:, :3].sum(axis=1, keepdims=True)
    pick = np.searchsorted(classes, labels)
    assert np.allclose(confidence, expected[np.arange(len(X)), pick])  # the confidence of the segment given
    kept = free != UNPUBLISHED
    assert (labels[kept] == free[kept]).all()  # users of a published segment keep it


def test_the_confusion_table_lists_only_published_segments() -> None:
    _X, _y, model = _blobs()
    to_segment = {1: 1, 2: 2, 3: 3, 4: 9}  # cluster 4 got a fresh id in the lineage
    table, f1 = segmentation.confusion_table(model, to_segment, np.array([1, 2, 3]))
    assert list(table["segment_id"]) == [1, 2, 3] and list(table.columns[1:]) == [1, 2, 3]
    _X_test, y_test = model.test_rows
    assert table.iloc[:, 1:].to_numpy().sum() == int(np.isin(y_test, [1, 2, 3]).sum())
    assert 0.0 <= f1 <= 1.0
    everything, _ = segmentation.confusion_table(model, to_segment)
    assert list(everything["segment_id"]) == [1, 2, 3, 9]


def test_published_clusters_keep_enough_members_at_or_above_the_threshold() -> None:
    floor = segmentation.MIN_SEGMENT_CUSTOMERS
    labels = np.repeat([1, 2, 3, 4], [floor + 3, floor + 3, floor, floor + 3])
    below = np.zeros(len(labels), bool)
    below[labels == 2] = True  # emptied by the threshold
    below[np.flatnonzero(labels == 4)[:4]] = True  # floor - 1 left above it: too few to act on
    assert segmentation.published_clusters(labels, below).tolist() == [1, 3]
    # the share rule takes over on big runs: 1 % of 100 000 classified customers is 1 000
    big = np.repeat([1, 2], [99_001, 999])
    assert segmentation.published_clusters(big, np.zeros(len(big), bool)).tolist() == [1]
    # never nothing: a tiny run publishes its largest cluster
    assert segmentation.published_clusters(np.array([1, 2, 2]), np.zeros(3, bool)).tolist() == [2]


@pytest.fixture(scope="module")
def unpublished_run(planted_shop, tmp_path_factory) -> tuple[Workspace, segmentation.SegmentRun]:
    return run_with_an_unpublished_cluster(planted_shop, tmp_path_factory.mktemp("published"))


def test_a_cluster_too_small_to_act_on_is_not_published_and_its_members_get_a_published_segment(
    planted_shop, tmp_path
) -> None:
    tiny = segmentation.MIN_SEGMENT_CUSTOMERS - 2
    workspace, run = run_with_an_unpublished_cluster(planted_shop, tmp_path, tiny=tiny)
    ids = {s["segment_id"] for s in run.segments}
    assert UNPUBLISHED not in ids and run.record["classifier"]["unpublished_clusters"] == [UNPUBLISHED]
    assignments = pd.read_parquet(run.run_dir / "assignments.parquet").set_index("user_id")
    members = assignments.loc[tiny_members(workspace, tiny)]
    assert len(members) == tiny and members["segment_id"].isin(ids - {0}).all()  # a real segment, not 0
    assert (members["assigned_by"] == "nearest segment").all()
    assert members["confidence"].between(0, 1).all() and (members["confidence"] < 1).any()
    assert all(s["size"] >= segmentation.MIN_SEGMENT_CUSTOMERS for s in run.segments if s["segment_id"])


def test_members_of_an_unpublished_cluster_go_to_the_nearest_published_centre() -> None:
    view = np.array([[0.0, 0.0], [0.2, 0.0], [10.0, 0.0], [10.2, 0.0], [9.0, 0.0], [1.0, 0.0]])
    labels = np.array([1, 1, 2, 2, 3, 3])  # cluster 3 is not published: one member near 2, one near 1
    moved = segmentation.nearest_published(labels, view, np.array([1, 2]))
    assert moved.tolist() == [1, 1, 2, 2, 2, 1]
    assert segmentation.nearest_published(labels, view, np.array([1, 2, 3])).tolist() == labels.tolist()


def test_the_run_publishes_no_emptied_cluster(unpublished_run) -> None:
    _workspace, run = unpublished_run
    ids = {s["segment_id"] for s in run.segments}
    assert UNPUBLISHED not in ids and {1, 2, 3} <= ids
    assignments = pd.read_parquet(run.run_dir / "assignments.parquet")
    assert set(assignments["segment_id"]) <= ids
    assert not assignments["segment"].str.startswith("segment ").any()
    confusion = pd.read_csv(run.run_dir / "confusion.csv", index_col=0)
    assert set(confusion.index) <= ids - {0} and set(confusion.columns.astype(int)) <= ids - {0}
    assert run.record["classifier"]["unpublished_clusters"] == [UNPUBLISHED]
    assert run.record["inputs"]["users_without_vector"] == NO_VECTOR
    no_vector = assignments.sort_values("user_id").tail(NO_VECTOR)
    assert no_vector[["segment_id", "segment", "confidence"]].notna().all().all()
    assert (no_vector["segment_id"] > 0).any()  # some of them are above the threshold and got a real segment


def test_assign_never_gives_an_unpublished_cluster(unpublished_run, monkeypatch) -> None:
    workspace, run = unpublished_run
    gone = lookalikes_arrive(workspace, run)
    features = segmentation.read_features(workspace)
    rows = features[features["user_id"].isin(gone)].reset_index(drop=True)
    bundle = assign.load(run.run_dir / assign.MODEL_FILE)
    vectors, _ = segmentation.user_vectors(workspace, rows["user_id"].to_numpy(np.int64))
    X, _ = bundle["transform"].transform(rows, vectors)
    free, _ = bundle["classifier"].predict(X)
    assert (free == UNPUBLISHED).mean() > 0.5  # without the fix they would get the nameless cluster
    monkeypatch.setenv("SHOPGRAPH_HOME", str(workspace.home))
    result = CliRunner().invoke(app, ["assign", "--no-graph"])
    assert result.exit_code == 0, result.output
    assert f"segment {UNPUBLISHED}" not in result.output and "→" in result.output
    after = pd.read_parquet(run.run_dir / "assignments.parquet")
    back = after[after["user_id"].isin(gone)]
    assert len(back) == len(gone) and (back["assigned_by"] == "classifier").all()
    names = {s["segment_id"]: s["name"]["en"] for s in run.segments}
    assert set(back["segment_id"]) <= set(names) - {0}
    assert (back["segment"] == back["segment_id"].map(names)).all()
    assert back["confidence"].between(0, 1).all()
    assert sorted(after["user_id"]) == sorted(features["user_id"])
    assert json.loads((run.run_dir / "run.json").read_text())["assign_updates"][-1]["new_users"] == len(gone)


def test_a_new_user_without_vector_or_below_a_threshold_no_one_was_under_gets_a_named_segment(unpublished_run) -> None:
    workspace, run = unpublished_run
    features = segmentation.read_features(workspace)
    bundle = assign.load(run.run_dir / assign.MODEL_FILE)
    light = features["n_events"].to_numpy() < bundle["threshold"]
    # as if no training user had been under the threshold: segments.json lists no segment 0
    doc = [s for s in json.loads((run.run_dir / "segments.json").read_text()) if s["segment_id"] != 0]
    (run.run_dir / "segments.json").write_text(json.dumps(doc))
    no_vector = features["user_id"].to_numpy()[-NO_VECTOR:]
    gone = set(features["user_id"][light].tolist()) | set(no_vector.tolist())
    for name in ("assignments.parquet", "fingerprints.parquet"):
        table = pd.read_parquet(run.run_dir / name)
        table[~table["user_id"].isin(gone)].to_parquet(run.run_dir / name, index=False)
    report = assigning.classify_new_customers(workspace)
    assert report.new_users == len(gone)
    after = pd.read_parquet(run.run_dir / "assignments.parquet")
    back = after[after["user_id"].isin(gone)]
    assert len(back) == len(gone) and back[["segment_id", "segment", "confidence"]].notna().all().all()
    zero = back[back["segment_id"] == 0]
    assert len(zero) and (zero["segment"] == "Not enough activity yet").all()
    n_events = zero["user_id"].map(features.set_index("user_id")["n_events"])
    assert (zero.loc[n_events >= 5, "likely_segment_id"] > 0).all()  # the assign path guesses too
    assert (
        zero.loc[n_events >= 5, "likely_segment"]
        == zero.loc[n_events >= 5, "likely_segment_id"].map({s["segment_id"]: s["name"]["en"] for s in doc})
    ).all()
    assert (zero.loc[n_events < 5, "likely_segment_id"] == 0).all()
    named = {s["segment_id"]: s["name"]["en"] for s in doc}
    rest = back[back["segment_id"] != 0]
    assert (rest["segment"] == rest["segment_id"].map(named)).all()
    assert set(after[after["user_id"].isin(no_vector)]["segment_id"]) - {0}  # vector-less users classified
