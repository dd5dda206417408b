"""Fold-in: the documented weighted mean, and it lands among users of the same taste."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.foldin import FOLD_WEIGHTS, ItemVectors, fold_in, item_profiles, normalise
from embeddings.node2vec import Node2Vec
from embeddings.training import graph_items, graph_product_attributes
from tests.support.taste_graph import two_communities


def unit(v):
    return np.asarray(v, np.float64) / np.linalg.norm(v)


def test_fold_in_is_the_documented_weighted_mean() -> None:
    items = ItemVectors(
        product_ids=np.array([10, 20]),
        product_vectors=np.array([[2.0, 0, 0], [0, 3.0, 0]], np.float32),
        category_ids=np.array([1]),
        category_vectors=np.array([[0, 0, 5.0]], np.float32),
        brands=np.array(["acme"], dtype=object),
        brand_vectors=np.array([[1.0, 1.0, 0]], np.float32),
    )
    # product 10 in category 1 with brand acme; product 20 in category 1, no brand; product 30 unknown, category 1
    profile, mass = item_profiles(
        items, np.array([10, 20, 30]), np.array([1, 1, 1]), np.array(["acme", None, None], dtype=object)
    )
    a_p, a_c, a_b = FOLD_WEIGHTS["product"], FOLD_WEIGHTS["category"], FOLD_WEIGHTS["brand"]
    assert np.allclose(mass, [a_p + a_c + a_b, a_p + a_c, a_c])
    w10, w20, w30 = 2.0, 0.5, 1.0
    vectors, known = fold_in(
        profile, mass, np.array([0, 0, 0, 1]), np.array([0, 1, 2, 1]), np.array([w10, w20, w30, 1.0]), n_users=3
    )
    e = np.eye(3)
    numerator = (
        w10 * (a_p * e[0] + a_c * e[2] + a_b * unit([1, 1, 0])) + w20 * (a_p * e[1] + a_c * e[2]) + w30 * a_c * e[2]
    )
    denominator = w10 * (a_p + a_c + a_b) + w20 * (a_p + a_c) + w30 * a_c
    assert np.allclose(vectors[0], unit(numerator / denominator), atol=1e-6)
    assert np.allclose(vectors[1], unit(a_p * e[1] + a_c * e[2]), atol=1e-6)
    assert list(known) == [True, True, False] and not vectors[2].any()


def test_normalise_keeps_zero_rows() -> None:
    out = normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(out, [[0.6, 0.8], [0, 0]])


@pytest.mark.slow
def test_a_new_user_lands_among_users_of_the_same_taste() -> None:
    g = two_communities(users_per_side=60)
    vectors = Node2Vec(dimensions=16, walk_length=20, walks_per_node=8, epochs=2, seed=1).fit(g).vectors_
    items = graph_items(g, vectors)
    profile, mass = item_profiles(items, *graph_product_attributes(g))
    # two unseen users: one who touched products 0, 3 and 7 (community a), one who touched 16, 20 and 25 (b)
    new, known = fold_in(
        profile,
        mass,
        np.array([0, 0, 0, 1, 1, 1]),
        np.array([0, 3, 7, 16, 20, 25]),
        np.array([1.0, 1.0, 2.0, 1.0, 2.0, 1.0]),
        n_users=2,
    )
    assert known.all()
    users = normalise(vectors[g.nodes("user")])
    sim = new @ users.T
    k = 60
    assert sim[0, :k].mean() > sim[0, k:].mean() + 0.2
    assert sim[1, k:].mean() > sim[1, :k].mean() + 0.2
    # and its nearest trained users are of its own community
    assert (np.argsort(-sim[0])[:10] < k).all() and (np.argsort(-sim[1])[:10] >= k).all()
