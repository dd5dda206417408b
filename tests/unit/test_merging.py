"""segments.merging: the pair the classifier confuses most is merged until it reaches the goal, or until a merge
no longer raises its score."""

import numpy as np
from sklearn.metrics import adjusted_rand_score

from segments import merging


def groups(seed: int = 0, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Four groups of ``n`` rows: 0 and 1 drawn from the same place (no classifier can tell them apart),
    2 and 3 far from them and from each other."""
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1, 2, 3], n)
    centre = np.array([[0.0, 0.0], [0.0, 0.0], [12.0, 0.0], [0.0, 12.0]])
    return centre[labels] + rng.normal(size=(len(labels), 2)), labels


def test_most_confused_is_the_pair_with_the_largest_shares_predicted_as_each_other():
    truth = np.array([0] * 10 + [1] * 10 + [2] * 10)
    predicted = truth.copy()
    predicted[:3] = 2  # 30 % of 0 taken for 2
    predicted[10:14], predicted[20:22] = 2, 1  # 40 % of 1 taken for 2, 20 % of 2 for 1: 60 % in all
    assert merging.most_confused(truth, predicted) == (1, 2)


def test_the_two_groups_no_classifier_tells_apart_are_merged_and_nothing_else():
    X, labels = groups()
    merged, steps = merging.merge_until_assignable(X, labels, seed=0)
    assert len(steps) == 2 and steps[0].segments == 4 and steps[0].merged == (0, 1)
    assert steps[0].cv_macro_f1 < merging.GOAL_MACRO_F1 <= steps[-1].cv_macro_f1 and steps[-1].merged is None
    assert adjusted_rand_score(np.where(labels == 1, 0, labels), merged) == 1.0  # 0 and 1 together, 2 and 3 apart
    assert "4 → 3 segments" in merging.in_words(steps)


def test_segments_the_classifier_already_tells_apart_are_kept():
    X, labels = groups()
    keep = labels != 1
    merged, steps = merging.merge_until_assignable(X[keep], labels[keep], seed=0)
    assert len(steps) == 1 and steps[0].merged is None
    assert adjusted_rand_score(labels[keep], merged) == 1.0


def test_a_merge_that_does_not_raise_the_score_is_undone_and_the_merging_stops(monkeypatch):
    X, labels = groups()
    scores = iter([0.70, 0.69, 0.95])  # the first merge lowers the CV macro-F1; a third fit would reach the goal
    monkeypatch.setattr(merging, "f1_score", lambda *_a, **_k: next(scores))
    merged, steps = merging.merge_until_assignable(X, labels, seed=0)  # the default
    assert adjusted_rand_score(labels, merged) == 1.0  # the four groups as they came
    assert [(s.segments, s.cv_macro_f1, s.merged) for s in steps] == [(4, 0.70, None)]
    assert merging.in_words(steps) == (
        "4 → 4 segments (classifier CV macro-F1 0.700; one more merge gave 0.690 and was undone)"
    )
    assert merging.in_words(steps, "fr") == (  # run.json's reason_fr, for the French dossier
        "4 → 4 segments (F1 macro du classifieur en validation croisée 0,700 ; une fusion de plus donnait 0,690 et a "
        "été annulée)"
    )
    scores = iter([0.70, 0.69, 0.95])
    merged, steps = merging.merge_until_assignable(X, labels, seed=0, only_gains=False)  # on to the goal
    assert [s.cv_macro_f1 for s in steps] == [0.70, 0.69, 0.95] and merged.max() == 1


def test_copies_are_learnt_with_their_customers_label_never_scored():
    X, labels = groups()
    owners = np.tile(np.flatnonzero(labels == 2), 2)
    copies = (np.vstack([X[labels == 3]] * 2), owners)  # two copies of each group 2 customer, looking like group 3
    truth, predicted = merging.cross_validated(X, labels, 0)
    assert len(truth) == len(X) and (predicted[truth == 3] == 3).all()
    truth, predicted = merging.cross_validated(X, labels, 0, copies)
    assert len(truth) == len(X)  # only the customers' own rows are scored
    assert (predicted[truth == 3] == 2).sum() > 10  # the copies were learnt, as group 2
