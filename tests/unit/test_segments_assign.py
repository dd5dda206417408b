"""Assignment classifier: compared, calibrated, persisted and reloaded with the same predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from segments import assign
from shopgraph.errors import ShopgraphError


def test_classifier_persisted_and_reloaded_gives_the_same_predictions(tmp_path) -> None:
    X, y = make_blobs(600, n_features=5, centers=4, cluster_std=1.0, random_state=0)
    y = y + 1
    model = assign.train(X, y, seed=0, only=("knn", "decision_tree", "mlp"))
    assert {r["classifier"] for r in model.comparison} == {"knn", "decision_tree", "mlp"}
    assert model.test_macro_f1 > 0.9
    assert model.split == {
        "train": 360,
        "validation": 120,
        "test": 120,
        "short_train": 0,
        "short_validation": 0,
        "short_test": 0,
    }
    labels, confidence = model.predict(X)
    assert ((confidence >= 0) & (confidence <= 1)).all()
    del model.test_rows
    path = tmp_path / assign.MODEL_FILE
    assign.save({"classifier": model}, path)
    bundle = assign.load(path)
    again, conf_again = bundle["classifier"].predict(X)
    assert (again == labels).all() and np.allclose(conf_again, confidence)
    assert bundle["versions"]["scikit-learn"]


def test_missing_model_is_a_one_line_error(tmp_path) -> None:
    with pytest.raises(ShopgraphError, match="run `shopgraph segment` first"):
        assign.load(tmp_path / assign.MODEL_FILE)


def test_a_tiny_segment_is_refused_with_a_way_out() -> None:
    X = np.random.default_rng(0).random((50, 3))
    y = np.array([1] * 47 + [2] * 3)
    with pytest.raises(ShopgraphError, match="smaller --k"):
        assign.train(X, y)


def test_a_tie_in_macro_f1_goes_to_the_classifier_cheapest_to_predict() -> None:
    from segments.assign import F1_SLACK, keep

    rows = [
        {"classifier": "knn", "cv_macro_f1": 1.0},
        {"classifier": "decision_tree", "cv_macro_f1": 0.97},
        {"classifier": "mlp", "cv_macro_f1": 1.0 - F1_SLACK / 2},
        {"classifier": "svm_rbf", "cv_macro_f1": 1.0},
    ]
    assert keep(rows)["classifier"] == "mlp"  # tied with k-NN and the SVM, cheaper than both
    rows[2]["cv_macro_f1"] = 1.0 - 2 * F1_SLACK
    assert keep(rows)["classifier"] == "knn"  # the MLP is no longer tied; k-NN before the SVM (its support vectors)
    assert (
        keep([{"classifier": "knn", "cv_macro_f1": 0.9}, {"classifier": "mlp", "cv_macro_f1": 0.8}])["classifier"]
        == "knn"
    )  # a clearly better k-NN is kept


def test_boosting_counts_as_dearer_to_predict_than_the_mlp_and_the_forest() -> None:
    """bench/classifier_predict.py: on one core boosting 120-172× the tree, the forest 32-36×, the MLP 2×."""
    rows = [{"classifier": name, "cv_macro_f1": 0.9} for name in ("gradient_boosting", "random_forest", "mlp")]
    assert assign.keep(rows)["classifier"] == "mlp"
    assert assign.keep(rows[:2])["classifier"] == "random_forest"
    assert assign.PREDICT_COST.index("knn") > assign.PREDICT_COST.index("gradient_boosting")


@pytest.mark.parametrize("name", sorted(assign.candidates(0)))
def test_a_large_prediction_in_parts_on_every_core_gives_the_same_probabilities_bit_for_bit(monkeypatch, name) -> None:
    X, y = make_blobs(1_200, n_features=6, centers=4, cluster_std=3.0, random_state=1)
    model = assign.train(X[:400], y[:400] + 1, seed=0, only=(name,))
    whole = model.model.predict_proba(X)
    monkeypatch.setattr(assign, "usable_cores", lambda: 3)
    monkeypatch.setattr(assign, "PARALLEL_ROWS", 500)
    classes, parts = model.probabilities(X)
    assert np.array_equal(parts, whole) and list(classes) == [1, 2, 3, 4]
    monkeypatch.setattr(assign, "PARALLEL_ROWS", 5_000)  # below it: one part
    assert np.array_equal(model.probabilities(X)[1], whole)


def test_short_history_copies_follow_their_user_into_one_part_and_teach_the_short_case() -> None:
    """Copies are noisy versions of their user: learnt in train, judged in test, never both for one user."""
    rng = np.random.default_rng(0)
    X, y = make_blobs(600, n_features=5, centers=4, cluster_std=0.8, random_state=1)
    y = y + 1
    source = np.repeat(np.arange(600), 2)
    copies = X[source] * 0.5 + rng.normal(0, 0.6, (1200, 5))  # a short history: shrunk toward 0, noisier
    plain = assign.train(X, y, seed=0, only=("decision_tree", "mlp"))
    taught = assign.train(X, y, seed=0, only=("decision_tree", "mlp"), short=(copies, source))
    split = taught.split
    assert (split["short_train"], split["short_validation"], split["short_test"]) == (720, 240, 240)
    assert taught.test_macro_f1 > 0.9  # whole histories are still assigned well
    # the copies of the test users were never learnt from; the model taught with copies reads them better
    from sklearn.model_selection import train_test_split

    _, rest = train_test_split(np.arange(600), test_size=0.4, stratify=y, random_state=0)
    _, test_users = train_test_split(rest, test_size=0.5, stratify=y[rest], random_state=0)
    held_out = np.isin(source, test_users)
    assert held_out.sum() == split["short_test"]
    assert taught.short_test_macro_f1 == pytest.approx(f1(y[source][held_out], taught.predict(copies[held_out])[0]))
    assert taught.short_test_macro_f1 > f1(y[source][held_out], plain.predict(copies[held_out])[0]) + 0.05
    assert np.isnan(plain.short_test_macro_f1)


def f1(truth, predicted) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, predicted, average="macro"))
