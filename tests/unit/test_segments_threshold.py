"""The activity-threshold study: truncating to the whole history must reproduce the full-history segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.calendar import load_calendar
from features.compute import FEATURES_FILE
from segments import threshold
from shopgraph.workspace import Workspace
from tests.support.planted_shop import PlantedShop


@pytest.fixture(scope="module")
def store(planted_shop: PlantedShop, tmp_path_factory) -> tuple[Workspace, pd.DataFrame]:
    workspace = planted_shop.copy(tmp_path_factory.mktemp("threshold") / "home")
    features = pd.read_parquet(workspace.features_dir / FEATURES_FILE).sort_values("user_id")
    return workspace, features[features["n_events"] >= 5].reset_index(drop=True)


def _by_taste(frame: pd.DataFrame, _vectors) -> np.ndarray:
    """A 'classifier' reading one share-like metric: segment 1 or 2."""
    return np.where(pd.to_numeric(frame["weekend_share"], errors="coerce").fillna(0).to_numpy() > 0.3, 2, 1)


def test_the_whole_history_agrees_with_the_full_history_segment(store) -> None:
    workspace, features = store
    labels = _by_taste(features, None)
    record = threshold.run_study(workspace, load_calendar(), features, labels, None, _by_taste, seed=0)
    assert record["curve"], record
    assert record["reference_agreement_with_clusters"] == pytest.approx(1.0)
    # a user's first n events, n ≥ their whole history, is that history: agreement must be 1.0
    points = {p["n"]: p for p in record["curve"]}
    assert 0.0 <= points[1]["agreement"] <= 1.0
    assert points[1]["median_abs_error_n_sessions"] >= 0


def test_agreement_is_measured_against_the_right_users(store) -> None:
    """Labels shuffled between users break agreement with the clusters; the study's reference does not move."""
    workspace, features = store
    labels = _by_taste(features, None)
    shuffled = np.random.default_rng(0).permutation(labels)
    good = threshold.run_study(workspace, load_calendar(), features, labels, None, _by_taste, seed=0)
    bad = threshold.run_study(workspace, load_calendar(), features, shuffled, None, _by_taste, seed=0)
    assert good["reference_agreement_with_clusters"] > bad["reference_agreement_with_clusters"] + 0.2
    assert [p["agreement"] for p in good["curve"]] == [p["agreement"] for p in bad["curve"]]


def test_kappa_corrects_the_agreement_for_chance() -> None:
    """95 % of users in one segment: guessing it for everyone agrees 95 % of the time and is worth κ = 0."""
    reference = np.array([1] * 95 + [2] * 5)
    assert threshold.kappa(np.ones(100, int), reference) == pytest.approx(0.0)
    assert threshold.kappa(reference.copy(), reference) == pytest.approx(1.0)
    shuffled = np.random.default_rng(0).permutation(reference)
    assert (shuffled == reference).mean() >= 0.85 and threshold.kappa(shuffled, reference) < 0.3
    assert threshold.kappa(np.ones(5, int), np.ones(5, int)) is None  # one segment only: κ is undefined


def test_the_study_records_kappa_beside_the_agreement(store) -> None:
    workspace, features = store
    labels = _by_taste(features, None)
    record = threshold.run_study(workspace, load_calendar(), features, labels, None, _by_taste, seed=0)
    for point in record["curve"]:
        assert point["kappa"] is None or -1.0 <= point["kappa"] <= point["agreement"] + 1e-9


def test_the_rule_takes_the_smallest_n_reaching_the_level() -> None:
    curve = [{"n": 1, "agreement": 0.5}, {"n": 3, "agreement": 0.82}, {"n": 5, "agreement": 0.9}]
    assert threshold.choose_threshold(curve) == (3, True)
    assert threshold.choose_threshold([{"n": 1, "agreement": 0.5}, {"n": 8, "agreement": 0.6}]) == (8, False)


def test_short_histories_are_cut_from_users_outside_the_study_and_shorter_than_their_history(store) -> None:
    from segments import short_history

    workspace, features = store
    _, study = threshold.study_sample(features["n_events"].to_numpy(), seed=0)
    assert len(study)
    copies = short_history.short_histories(workspace, load_calendar(), features, None, study, seed=0)
    assert copies is not None and len(copies) > 0
    assert not np.isin(copies.source, study).any()  # the study measures histories the classifier never saw cut
    whole = features["n_events"].to_numpy()[copies.source]
    assert (copies.truncation < whole).all()
    # a copy of the first n events has n events (metrics recomputed from them, not copied from the user)
    assert (copies.frame["n_events"].to_numpy() == copies.truncation).all()
    assert set(copies.truncation) <= set(short_history.SHORT_TRUNCATIONS)
