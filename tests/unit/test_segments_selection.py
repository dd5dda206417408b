"""Model selection: the stated rule finds planted blobs; bootstrap stability tells structure from noise."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from segments.selection import Candidate, choose, evaluate, relabel_by_size, stability


def _business(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 2))


@pytest.mark.slow
def test_the_rule_picks_the_planted_k_on_clear_blobs() -> None:
    X, _ = make_blobs(600, n_features=6, centers=5, cluster_std=0.6, center_box=(-12, 12), random_state=3)
    candidates = evaluate(X, _business(len(X)), methods=("kmeans", "gmm", "ward"), ks=(3, 4, 5, 6, 7, 8), seed=0)
    winner = choose(candidates)
    assert winner.k == 5
    assert winner.stability >= 0.95
    assert sum(c.chosen for c in candidates) == 1


def test_stability_is_high_on_clear_data_and_low_on_noise() -> None:
    X, _ = make_blobs(500, n_features=5, centers=6, cluster_std=0.5, center_box=(-15, 15), random_state=1)
    noise = np.random.default_rng(0).random((500, 5))
    clear = stability("kmeans", 6, X, seed=0)
    fuzzy = stability("kmeans", 6, noise, seed=0)
    assert clear >= 0.95
    assert fuzzy < 0.8
    assert clear - fuzzy > 0.2


def _c(method: str, k: int, sil: float, stab: float, smallest: float = 0.1) -> Candidate:
    return Candidate(method, k, sil, 1.0, 1.0, stab, 0.5, smallest)


def test_rule_unstable_fits_are_not_eligible_and_close_silhouettes_go_to_more_segments() -> None:
    cands = [
        _c("kmeans", 4, 0.40, 0.7),
        _c("kmeans", 6, 0.35, 0.9),
        _c("gmm", 5, 0.345, 0.85),
        _c("ward", 3, 0.50, 0.95, smallest=0.005),
        _c("gmm", 8, 0.25, 0.9),
    ]
    assert (choose(cands).method, choose(cands).k) == ("kmeans", 6)  # 0.345 within 0.05 of 0.35; 0.25 is not
    assert [c.eligible for c in cands] == [False, True, True, False, True]


def test_rule_does_not_collapse_to_three_when_stability_is_mediocre_everywhere() -> None:
    cands = [
        _c("kmeans", 3, 0.12, 0.72),
        _c("kmeans", 6, 0.11, 0.70),
        _c("kmeans", 9, 0.10, 0.68),
        _c("kmeans", 12, 0.09, 0.55),
    ]
    assert choose(cands).k == 9  # 0.68 ≥ 0.72 − 0.05 and 0.10 ≥ 0.12 − 0.05; k = 12 is unstable


def test_rule_falls_back_to_the_most_stable_when_nothing_is_eligible() -> None:
    cands = [_c("kmeans", 4, 0.4, 0.5), _c("kmeans", 7, 0.2, 0.7)]
    assert choose(cands).k == 7


def test_relabel_by_size_puts_the_largest_first() -> None:
    labels, mapping = relabel_by_size(np.array([2, 2, 2, 0, 1, 1]))
    assert labels.tolist() == [0, 0, 0, 2, 1, 1]
    assert mapping.tolist() == [2, 1, 0]


def test_choose_refuses_an_empty_table() -> None:
    with pytest.raises(ValueError):
        choose([])
