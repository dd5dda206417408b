"""segments.taste: TF-IDF of brands and categories, truncated SVD."""

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from segments.taste import TasteBlock, count_matrix


def two_tastes(seed: int = 0, n: int = 60) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Users 0..n-1 touch home brands, n..2n-1 fashion ones; everyone touches the shared category."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(2 * n):
        side = "home" if user < n else "fashion"
        for b in rng.choice(5, 2, replace=False):
            rows.append((user, f"brand:{side}{b}", float(rng.integers(1, 20))))
        rows.append((user, "category:shared", float(rng.integers(1, 50))))
    return pd.DataFrame(rows, columns=["user_id", "token", "n"]), np.arange(2 * n), np.repeat([0, 1], n)


def test_count_matrix_places_counts_and_leaves_unknown_tokens_out():
    counts = pd.DataFrame({"user_id": [7, 7, 9], "token": ["a", "b", "z"], "n": [2.0, 3.0, 5.0]})
    m = count_matrix(counts, np.array([9, 7]), ["a", "b"]).toarray()
    assert m.tolist() == [[0.0, 0.0], [2.0, 3.0]]


def test_the_taste_block_separates_two_tastes():
    counts, users, truth = two_tastes()
    block = TasteBlock(seed=0, components=4)
    rows = block.fit_transform(counts, users)
    assert rows.shape == (len(users), 4)
    assert abs(rows.var(axis=0).sum() - 1) < 1e-9
    labels = KMeans(2, n_init=5, random_state=0).fit_predict(rows)
    assert adjusted_rand_score(truth, labels) == 1.0
    again = block.transform(counts, users)  # the fitted block gives the same rows again
    assert np.allclose(again, rows)


def test_rare_tokens_are_left_out():
    counts, users, _ = two_tastes()
    counts = pd.concat([counts, pd.DataFrame({"user_id": [0], "token": ["brand:rare"], "n": [4.0]})])
    block = TasteBlock(seed=0, components=3)
    block.fit_transform(counts, users)
    assert "brand:rare" not in block.tokens_
    assert "category:shared" in block.tokens_
