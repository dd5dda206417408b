"""segments.taste_split: a segment is cut in two by taste only when the cut is real."""

import numpy as np
from sklearn.metrics import adjusted_rand_score

from segments import selection, taste_split

TASTE_DIMS = 8


def shop(seed: int = 0, n: int = 300, small: int = 15) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Three segments far apart in behaviour (3 columns), each with taste columns: segment 1 two tastes far
    apart (half and half), segment 2 one taste (a round blob), segment 3 two tastes of which one holds only
    ``small`` customers. Returns the classifier's rows (behaviour and taste), the taste rows, the segments
    and the truth (segment 1's tastes as 1 and 4, segment 3's small taste as 5)."""
    rng = np.random.default_rng(seed)
    segments = np.repeat([1, 2, 3], n)
    truth = segments.copy()
    truth[:n][n // 2 :] = 4
    truth[2 * n :][:small] = 5
    behaviour = np.array([[0.0, 0, 0], [10, 0, 0], [0, 10, 0]])[segments - 1] + rng.normal(size=(3 * n, 3))
    taste = rng.normal(size=(3 * n, TASTE_DIMS))
    taste[truth == 1, 0] += 4.0
    taste[truth == 4, 0] -= 4.0
    taste[truth == 5, 1] += 8.0
    return np.hstack([behaviour, taste]).astype(np.float32), taste, segments, truth


def test_a_segment_with_two_tastes_is_split_and_a_round_one_is_not():
    X, taste, segments, truth = shop()
    labels, examined = taste_split.split_by_taste(X, taste, segments, seed=0)
    first = {v.segment: v for v in examined if v.level == 0}
    assert first[1].split and first[1].stability >= taste_split.STABILITY_MIN
    assert first[1].gap[0] < first[1].gap[1] - first[1].gap[2] and first[1].cv_macro_f1 >= 0.9
    assert not first[2].split and "stability" in first[2].why  # one round taste: no reproducible cut
    both = np.isin(truth, [1, 4])
    assert adjusted_rand_score(truth[both], labels[both]) == 1.0  # the two tastes, each one segment
    assert set(np.unique(labels[segments == 2])) == {2}  # the round segment untouched
    assert first[1].new_segment == labels.max() == 4
    assert "segment 1 split into 1 and 4" in taste_split.in_words(examined)
    french = taste_split.in_words(examined, "fr")
    assert "segment 1 partagé en 1 et 4" in french and f"stabilité {first[1].stability:.2f}".replace(".", ",") in french


def test_the_gap_statistic_prefers_two_groups_for_two_tastes_and_one_for_a_round_taste():
    rng = np.random.default_rng(1)
    round_one = rng.normal(size=(300, TASTE_DIMS))
    two = round_one.copy()
    two[:150, 0] += 4.0
    two[150:, 0] -= 4.0
    one_gap, two_gaps, s2 = taste_split.gap_statistic(round_one, seed=0)
    assert not one_gap < two_gaps - s2
    one_gap, two_gaps, s2 = taste_split.gap_statistic(two, seed=0)
    assert one_gap < two_gaps - s2


def test_the_halves_are_examined_once_more_and_no_further():
    X, taste, segments, _ = shop()
    _, examined = taste_split.split_by_taste(X, taste, segments, seed=0)
    assert {v.level for v in examined} == {0, 1}
    assert sorted(v.segment for v in examined if v.level == 1) == [1, 4]  # the two halves of segment 1
    assert not any(v.split for v in examined if v.level == 1)  # each half is one round taste


def test_a_cut_whose_half_is_too_small_to_publish_is_not_made():
    X, taste, segments, _ = shop()
    labels, examined = taste_split.split_by_taste(X, taste, segments, seed=0, floor=20)
    third = next(v for v in examined if v.segment == 3 and v.level == 0)
    assert min(third.halves) == 15 and not third.split and "a half of 15" in third.why
    assert set(np.unique(labels[segments == 3])) == {3}
    _, examined = taste_split.split_by_taste(X, taste, segments, seed=0, floor=10)
    assert next(v for v in examined if v.segment == 3 and v.level == 0).split  # publishable at a floor of 10


def test_a_cut_the_classifier_cannot_learn_is_not_made():
    X, taste, segments, _ = shop()
    hidden = X.copy()
    hidden[:, 3:] = 0.0  # the classifier no longer sees the taste: the cut is real but not assignable
    labels, examined = taste_split.split_by_taste(hidden, taste, segments, seed=0)
    first = next(v for v in examined if v.segment == 1)
    assert not first.split and first.cv_macro_f1 < 0.9 and "classifier" in first.why
    assert (labels == segments).all()


def test_a_segment_too_small_for_two_halves_is_left_alone():
    X, taste, segments, _ = shop()
    labels, examined = taste_split.split_by_taste(X, taste, segments, seed=0, floor=200)
    assert all(v.why == "too small" for v in examined) and (labels == segments).all()
    assert taste_split.in_words(examined) == "no segment split"
    assert taste_split.in_words(examined, "fr") == "aucun segment partagé"


def test_the_replayed_stability_holds_for_a_real_cut_and_drops_for_a_cut_of_one_round_taste():
    X, taste, segments, _ = shop(n=200)
    behaviour = X[:, :3].astype(np.float64)

    def first_stage(rows: np.ndarray, seed: int) -> np.ndarray:
        return selection.fit_model("kmeans", 3, behaviour[rows], seed).predict(behaviour)

    _, examined = taste_split.split_by_taste(X, taste, segments, seed=0)
    cuts = [(v.members, v.second) for v in examined if v.split]
    assert len(cuts) == 1
    assert taste_split.replayed_stability(first_stage, taste, cuts, seed=0) > 0.95
    round_one = np.flatnonzero(segments == 2)
    forced = [(round_one, round_one[taste[round_one, 2] > 0])]  # a cut of the round taste, made anyway
    assert taste_split.replayed_stability(first_stage, taste, forced, seed=0) < 0.9


def test_a_segment_larger_than_the_fit_sample_is_cut_on_a_sample_and_every_member_placed(monkeypatch):
    X, taste, segments, truth = shop()
    monkeypatch.setattr(taste_split, "FIT_SAMPLE", 120)
    labels, examined = taste_split.split_by_taste(X, taste, segments, seed=0, levels=1)
    first = next(v for v in examined if v.segment == 1)
    assert first.split and sum(first.halves) == first.customers == 300
    both = np.isin(truth, [1, 4])
    assert adjusted_rand_score(truth[both], labels[both]) == 1.0
