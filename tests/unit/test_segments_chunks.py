"""A segmentation run reads and writes the users it does not cluster in chunks (issue 20): the run folder does
not depend on the chunk size, and the chunked labels are those of the whole feature table at once."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segments import assign as assigner
from segments import segmentation
from segments.segmentation import read_features, segment, user_vectors
from shopgraph.workspace import Workspace
from tests.support.planted_shop import PlantedShop

QUICK = ("knn", "decision_tree")


def _with_vectors(planted_shop: PlantedShop, home) -> Workspace:
    """A copy of the planted shop with user vectors in shuffled order, a few users without one, small row groups."""
    workspace = planted_shop.copy(home)
    ids = read_features(workspace)["user_id"].to_numpy(np.int64)
    rng = np.random.default_rng(1)
    ids = rng.permutation(ids)[: len(ids) - 5]
    vectors = rng.normal(size=(len(ids), 8)).astype(np.float32)
    table = pa.table(
        {
            "user_id": pa.array(ids, pa.int64()),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 8),
            "source": pa.array(["trained"] * len(ids)),
        }
    )
    workspace.embeddings_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, workspace.embeddings_dir / "user_vectors.parquet", row_group_size=50)
    return workspace


def _run_files(run) -> dict[str, object]:
    record = json.loads((run.run_dir / "run.json").read_text())
    return {
        "assignments": pd.read_parquet(run.run_dir / "assignments.parquet"),
        "fingerprints": pd.read_parquet(run.run_dir / "fingerprints.parquet"),
        "segments": json.loads((run.run_dir / "segments.json").read_text()),
        "inputs": record["inputs"],
        "users_by": record["users_by"],
    }


def _low_threshold(monkeypatch: pytest.MonkeyPatch, events: int) -> None:
    """The threshold study's result with its threshold set to ``events``."""
    study = segmentation._threshold_study

    def lower(*args, **kwargs) -> dict:
        return {**study(*args, **kwargs), "threshold": events}

    monkeypatch.setattr(segmentation, "_threshold_study", lower)


@pytest.fixture(scope="module")
def two_runs(planted_shop: PlantedShop, tmp_path_factory) -> tuple[Workspace, object, object]:
    """The same run with 7 users a chunk and with every user in one, the threshold set to 3 events so that
    users with 3-4 events (not clustered) are classified chunk by chunk."""
    home = tmp_path_factory.mktemp("chunks")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _low_threshold(monkeypatch, 3)
        tiny_home = _with_vectors(planted_shop, home / "a")
        tiny = segment(tiny_home, seed=0, classifiers=QUICK, chunk_rows=7)
        whole = segment(_with_vectors(planted_shop, home / "b"), seed=0, classifiers=QUICK, chunk_rows=10**7)
    return tiny_home, tiny, whole


def test_the_run_folder_does_not_depend_on_the_chunk_size(two_runs) -> None:
    _, tiny, whole = two_runs
    small, big = _run_files(tiny), _run_files(whole)
    pd.testing.assert_frame_equal(small.pop("assignments"), big.pop("assignments"))
    pd.testing.assert_frame_equal(small.pop("fingerprints"), big.pop("fingerprints"))
    assert small == big
    assert small["inputs"]["users_without_vector"] == 5
    assert small["users_by"].get("classifier", 0) > 0, "users with 3-4 events are classified, chunk by chunk"


@dataclass
class _Classified:
    """Every user's published segment by the run's own transform and classifier, from the whole feature table."""

    predicted: np.ndarray  # segment ids
    sure: np.ndarray  # the confidence of each
    classes: np.ndarray  # the classifier's labels, the columns of proba
    proba: np.ndarray
    to_segment: dict[int, int]


def _classifier_of(run, workspace: Workspace) -> _Classified:
    """The straightforward way: every user's row of the whole table, through the run's transform and classifier."""
    features = read_features(workspace)
    vectors, _ = user_vectors(workspace, features["user_id"].to_numpy(np.int64))
    bundle = assigner.load(run.run_dir / assigner.MODEL_FILE)
    to_segment = bundle["label_to_segment"]
    published = np.array([c for c, s in to_segment.items() if s in {x["segment_id"] for x in run.segments} and s])
    X, _ = bundle["transform"].transform(features, vectors)
    classes, proba = bundle["classifier"].probabilities(X, among=published)
    best = proba.argmax(axis=1)
    predicted = np.array([to_segment[int(c)] for c in classes[best]])
    return _Classified(predicted, proba[np.arange(len(X)), best], classes, proba, to_segment)


def test_the_chunked_labels_are_those_of_the_whole_table(two_runs) -> None:
    workspace, run, _ = two_runs
    features = read_features(workspace)
    whole = _classifier_of(run, workspace)
    predicted, sure = whole.predicted, whole.sure
    classes, proba, to_segment = whole.classes, whole.proba, whole.to_segment
    assignments = pd.read_parquet(run.run_dir / "assignments.parquet")
    assert (assignments["user_id"].to_numpy() == features["user_id"].to_numpy()).all()
    n_events = features["n_events"].to_numpy()
    by = assignments["assigned_by"].to_numpy()
    classified = by == "classifier"
    assert classified.any() and (n_events[classified] < segmentation.MIN_EVENTS_TO_CLUSTER).all()
    assert (assignments["segment_id"].to_numpy()[classified] == predicted[classified]).all()
    assert np.allclose(assignments["confidence"].to_numpy()[classified], sure[classified], rtol=0, atol=1e-12)
    below = n_events < 3
    assert (by[below] == "threshold").all() and (assignments["segment_id"].to_numpy()[below] == 0).all()
    assert (assignments["confidence"].to_numpy()[below] == 1.0).all()
    assert ((by == "threshold") == below).all()
    guessed = (by == "threshold") & (n_events >= segmentation.MIN_EVENTS_TO_CLUSTER)
    assert (assignments["likely_segment_id"].to_numpy()[guessed] == predicted[guessed]).all()
    clustered = np.isin(by, ("cluster", "nearest segment"))
    own = {to_segment[int(c)]: j for j, c in enumerate(classes)}
    column = np.array([own[s] for s in assignments["segment_id"].to_numpy()[clustered]])
    expected = proba[clustered][np.arange(clustered.sum()), column]
    assert np.allclose(assignments["confidence"].to_numpy()[clustered], expected, rtol=0, atol=1e-12)


def test_the_transform_is_fitted_on_a_seeded_sample_above_its_cap() -> None:
    from segments.segmentation import transform_fit_rows

    assert (transform_fit_rows(10, seed=0, cap=10) == np.arange(10)).all()
    rows = transform_fit_rows(1_000, seed=3, cap=100)
    assert len(rows) == len(np.unique(rows)) == 100 and (np.diff(rows) > 0).all() and rows.max() < 1_000
    assert (rows == transform_fit_rows(1_000, seed=3, cap=100)).all()
    assert not (rows == transform_fit_rows(1_000, seed=4, cap=100)).all()


def test_a_run_with_the_transform_fitted_on_a_sample_labels_everyone(
    planted_shop: PlantedShop, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _with_vectors(planted_shop, tmp_path)
    clustered = int((read_features(workspace)["n_events"] >= segmentation.MIN_EVENTS_TO_CLUSTER).sum())
    monkeypatch.setattr(segmentation, "TRANSFORM_FIT_ROWS", clustered // 2)
    run = segment(workspace, seed=0, classifiers=QUICK)
    files = _run_files(run)
    assert files["inputs"]["users_fitting_the_transform"] == clustered // 2
    assert files["inputs"]["users_clustered"] == clustered
    assert len(files["assignments"]) == len(read_features(workspace))


@pytest.fixture(scope="module")
def sampled_runs(planted_shop: PlantedShop, tmp_path_factory) -> tuple[Workspace, object, object, int]:
    """Runs that cluster half the users with enough events (``CLUSTER_USERS``), 7 users a chunk and all in one."""
    home = tmp_path_factory.mktemp("sampled")
    with pytest.MonkeyPatch.context() as monkeypatch:
        workspace = _with_vectors(planted_shop, home / "a")
        eligible = int((read_features(workspace)["n_events"] >= segmentation.MIN_EVENTS_TO_CLUSTER).sum())
        monkeypatch.setattr(segmentation, "CLUSTER_USERS", eligible // 2)
        said: list[tuple[str, int, int]] = []
        tiny = segment(workspace, seed=0, classifiers=QUICK, chunk_rows=7, progress=lambda *a: said.append(a))
        whole = segment(_with_vectors(planted_shop, home / "b"), seed=0, classifiers=QUICK, chunk_rows=10**7)
    tiny.said = said
    return workspace, tiny, whole, eligible


def test_a_run_clustering_a_sample_classifies_the_others_with_enough_events(sampled_runs) -> None:
    workspace, run, _, eligible = sampled_runs
    files = _run_files(run)
    assert files["inputs"]["users_with_enough_events"] == eligible
    assert files["inputs"]["users_clustered"] == eligible // 2
    features = read_features(workspace)
    assignments = files["assignments"]
    assert (assignments["user_id"].to_numpy() == features["user_id"].to_numpy()).all()
    whole = _classifier_of(run, workspace)
    predicted, sure = whole.predicted, whole.sure
    n_events = features["n_events"].to_numpy()
    by = assignments["assigned_by"].to_numpy()
    clustered = np.isin(by, ("cluster", "nearest segment"))
    assert clustered.sum() <= eligible // 2
    classified = by == "classifier"
    assert (n_events[classified] >= segmentation.MIN_EVENTS_TO_CLUSTER).sum() > eligible // 4, "the ones left out"
    assert (assignments["segment_id"].to_numpy()[classified] == predicted[classified]).all()
    assert np.allclose(assignments["confidence"].to_numpy()[classified], sure[classified], rtol=0, atol=1e-12)
    guessed = (by == "threshold") & (n_events >= segmentation.MIN_EVENTS_TO_CLUSTER)
    assert guessed.any(), "users below the threshold, clustered or not, get their likely segment"
    assert (assignments["likely_segment_id"].to_numpy()[guessed] == predicted[guessed]).all()
    sizes = assignments.loc[assignments["segment_id"] > 0, "segment_id"].value_counts()
    assert {s["segment_id"]: s["size"] for s in files["segments"] if s["segment_id"]} == sizes.to_dict()


def test_a_run_clustering_a_sample_does_not_depend_on_the_chunk_size(sampled_runs) -> None:
    _, tiny, whole, _ = sampled_runs
    small, big = _run_files(tiny), _run_files(whole)
    pd.testing.assert_frame_equal(small.pop("assignments"), big.pop("assignments"))
    pd.testing.assert_frame_equal(small.pop("fingerprints"), big.pop("fingerprints"))
    assert small == big


def test_the_clustered_users_are_a_seeded_sample_above_the_cap() -> None:
    from segments.segmentation import cluster_rows, transform_fit_rows

    assert (cluster_rows(10, seed=0, cap=10) == np.arange(10)).all()
    rows = cluster_rows(1_000, seed=3, cap=100)
    assert len(np.unique(rows)) == 100 and (np.diff(rows) > 0).all()
    assert not (rows == transform_fit_rows(1_000, seed=3, cap=100)).all(), "drawn apart from the transform's"


def test_a_run_clustering_a_sample_finds_look_alikes_for_the_long_histories_left_out(sampled_runs) -> None:
    from segments.communities import NEIGHBOURS, long_histories

    workspace, run, _, _ = sampled_runs
    features = read_features(workspace)
    sample = run.clusters["user_id"].to_numpy(np.int64)
    n_events = features.set_index("user_id")["n_events"]
    length, _ = long_histories(n_events.loc[sample].to_numpy())
    left_out = set(n_events.index[(n_events >= length).to_numpy()]) - set(sample)
    assert left_out, "the fixture leaves long histories out of the sample"
    pairs = pd.read_parquet(run.run_dir / "similar.parquet")
    outside = pairs[~pairs["user_id"].isin(sample)]
    assert set(outside["user_id"]) == left_out
    assert outside["other_user_id"].isin(sample).all(), "look-alikes are found among the clustered"
    assert (outside.groupby("user_id").size() == NEIGHBOURS).all()
    assert (outside.groupby("user_id")["score"].apply(lambda s: s.is_monotonic_decreasing)).all()
    shown = [(done, total) for phase, done, total in run.said if phase == "look-alikes of the customers not clustered"]
    assert shown and shown[-1] == (len(left_out), len(left_out)), "the pass shows its progress to the end"
