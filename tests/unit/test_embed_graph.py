"""The interaction graph: CSR from edges, node layout, intent weights, the user sample."""

from __future__ import annotations

import math

import numpy as np
import pytest

from embeddings.graph import (
    BRAND_WEIGHT,
    CATEGORY_WEIGHT,
    INTENT_WEIGHTS,
    build_graph,
    from_edges,
    load_graph,
    sample_users,
)
from shopgraph.errors import ShopgraphError
from tests.support.embed_support import add_month, stored, taste_rows


def dense(indptr, indices, weights, n):
    m = np.zeros((n, n))
    for v in range(n):
        for k in range(indptr[v], indptr[v + 1]):
            m[v, indices[k]] += weights[k]
    return m


def test_from_edges_is_symmetric_sorted_and_sums_duplicates() -> None:
    indptr, indices, weights = from_edges(
        4, np.array([0, 2, 0, 1, 3]), np.array([2, 0, 1, 1, 0]), np.array([1.0, 2.0, 0.5, 9.0, -1.0])
    )
    assert indptr.dtype == np.int64 and indices.dtype == np.int32 and weights.dtype == np.float32
    m = dense(indptr, indices, weights, 4)
    assert np.array_equal(m, m.T)
    assert m[0, 2] == 3.0 and m[0, 1] == 0.5  # 0–2 twice summed; the self loop 1–1 and the weight ≤ 0 dropped
    assert m[1, 1] == 0 and m[0, 3] == 0
    for v in range(4):
        row = indices[indptr[v] : indptr[v + 1]]
        assert np.all(np.diff(row) > 0)
    assert indices.nbytes + weights.nbytes == 8 * len(indices)


def test_from_edges_rejects_endpoints_outside_the_graph() -> None:
    with pytest.raises(ValueError):
        from_edges(2, np.array([0]), np.array([2]))


def test_build_graph_layout_keys_and_weights() -> None:
    g = build_graph(
        np.array([7, 7, 5]),
        np.array([30, 10, 10]),
        np.array([2.0, 1.0, 3.0]),
        products=np.array([30, 10, 20]),
        product_categories=np.array([900, 800, 900]),
        product_brands=["acme", None, ""],
    )
    assert g.counts() == {"user": 2, "product": 3, "category": 2, "brand": 1}
    assert list(g.user_ids) == [5, 7] and list(g.product_ids) == [10, 20, 30]
    assert list(g.category_ids) == [800, 900] and list(g.brands) == ["acme"]
    assert list(g.node_type) == [0, 0, 1, 1, 1, 2, 2, 3]
    m = dense(g.indptr, g.indices, g.weights, g.n_nodes)
    user, product, category, brand = (g.nodes(t).start for t in ("user", "product", "category", "brand"))
    assert m[user + 1, product + 2] == 2.0  # user 7 – product 30
    assert m[user + 0, product + 0] == 3.0  # user 5 – product 10
    assert m[product + 1, category + 1] == CATEGORY_WEIGHT  # product 20 is in category 900
    assert m[product + 2, brand] == BRAND_WEIGHT  # only product 30 has a brand
    assert m[product + 0, brand:].sum() == 0 and m[product + 1, brand:].sum() == 0
    assert list(g.product_brand) == [-1, -1, brand]
    assert list(g.product_category) == [category, category + 1, category + 1]


def test_sample_users_is_seeded_keeps_the_order_and_takes_everyone_when_small() -> None:
    users = np.arange(1000, 0, -1)
    assert np.array_equal(sample_users(users, 5000, 1), users)
    a, b, c = sample_users(users, 100, 1), sample_users(users, 100, 1), sample_users(users, 100, 2)
    assert len(a) == 100 and np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.all(np.diff(a) < 0)  # in the order given
    # positions are drawn, not ids: the same positions of another list of users
    assert np.array_equal(sample_users(users + 5000, 100, 1), a + 5000)


def test_build_graph_numbers_users_in_the_order_given() -> None:
    g = build_graph(
        np.array([5, 7, 7]),
        np.array([10, 10, 20]),
        np.array([1.0, 2.0, 3.0]),
        products=np.array([10, 20]),
        product_categories=np.array([900, 900]),
        product_brands=[None, None],
        users=np.array([7, 5]),
    )
    assert list(g.user_ids) == [7, 5]
    m = dense(g.indptr, g.indices, g.weights, g.n_nodes)
    assert m[0, 2] == 2.0 and m[0, 3] == 3.0 and m[1, 2] == 1.0
    with pytest.raises(ValueError, match="edge user"):
        build_graph(np.array([5]), np.array([10]), np.array([1.0]), np.array([10]), np.array([900]), [None], users=[7])


def test_load_graph_reads_interactions_and_the_store(workspace, tmp_path) -> None:
    add_month(workspace, tmp_path, taste_rows({"apple": [11, 12], "xiaomi": [21]}, views=3, carts=1), "2019-Oct.csv")
    g = load_graph(workspace)
    assert g.counts() == {"user": 3, "product": 9, "category": 2, "brand": 2}
    assert set(g.user_ids) == set(stored(workspace, [11, 12, 21]))
    m = dense(g.indptr, g.indices, g.weights, g.n_nodes)
    # each user's first product: one view, one cart, one purchase
    expected = sum(INTENT_WEIGHTS[t] for t in ("view", "cart", "purchase")) * math.log1p(1)
    assert np.isclose(m[: g.counts()["user"]].max(), expected, rtol=1e-6)
    assert (
        sorted(np.round(m[:3].sum(axis=1), 4)) == [round(expected + 2 * INTENT_WEIGHTS["view"] * math.log1p(1), 4)] * 3
    )
    small = load_graph(workspace, max_users=2, seed=3)
    assert small.counts()["user"] == 2 and small.counts()["product"] == 9 and small.users_total == 3


def test_load_graph_without_events_says_to_ingest_first(workspace) -> None:
    with pytest.raises(ShopgraphError, match="shopgraph ingest"):
        load_graph(workspace)
