"""node2vec: valid walks, seeded determinism (also across walk threads), hub cost, the p/q bias, taste."""

from __future__ import annotations

import itertools

import numba
import numpy as np
import pytest

from embeddings.graph import InteractionGraph, from_edges
from embeddings.node2vec import Node2Vec, random_walks
from tests.support.taste_graph import two_communities


def csr_graph(n, src, dst, weights=None) -> InteractionGraph:
    indptr, indices, w = from_edges(n, np.asarray(src), np.asarray(dst), weights)
    return InteractionGraph(indptr, indices, w, np.zeros(n, np.int8))


def test_walks_follow_edges_and_have_the_asked_shape() -> None:
    g = two_communities()
    walks, proposals = random_walks(g, walk_length=9, walks_per_node=2, p=0.5, q=2.0, seed=1)
    assert walks.shape == (2 * g.n_nodes, 9) and walks.dtype == np.int32
    for walk in walks:
        for a, b in itertools.pairwise(walk):
            assert b in g.indices[g.indptr[a] : g.indptr[a + 1]]
    assert sorted(np.bincount(walks[:, 0], minlength=g.n_nodes)) == [2] * g.n_nodes
    assert proposals >= walks.shape[0] * 8


def test_walks_stop_at_nodes_without_neighbours() -> None:
    g = csr_graph(3, [0], [1])
    walks, _ = random_walks(g, walk_length=4, walks_per_node=1)
    assert list(walks[walks[:, 0] == 2][0]) == [2, -1, -1, -1]


@pytest.mark.slow
def test_first_order_steps_follow_the_weights() -> None:
    g = csr_graph(3, [0, 0], [1, 2], np.array([1.0, 3.0]))
    walks, _ = random_walks(g, walk_length=2, walks_per_node=4000, starts=np.array([0]))
    share = np.mean(walks[:, 1] == 2)
    assert 0.72 < share < 0.78


def test_walks_do_not_depend_on_the_number_of_threads() -> None:
    g = two_communities()
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one, _ = random_walks(g, walk_length=15, walks_per_node=3, p=0.7, q=0.5, seed=9)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two, _ = random_walks(g, walk_length=15, walks_per_node=3, p=0.7, q=0.5, seed=9)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one, two)
    other, _ = random_walks(g, walk_length=15, walks_per_node=3, p=0.7, q=0.5, seed=10)
    assert not np.array_equal(one, other)


def test_return_parameter_biases_backtracking() -> None:
    """On a cycle, the share of steps straight back to the previous node is (1/p) / (1/p + 1/q)."""
    n = 50
    g = csr_graph(n, np.arange(n), (np.arange(n) + 1) % n)
    walks, _ = random_walks(g, walk_length=30, walks_per_node=20, p=0.25, q=1.0, seed=3)
    back = np.mean(walks[:, 2:] == walks[:, :-2])
    assert abs(back - 0.8) < 0.03
    walks, _ = random_walks(g, walk_length=30, walks_per_node=20, p=4.0, q=1.0, seed=3)
    assert abs(np.mean(walks[:, 2:] == walks[:, :-2]) - 0.2) < 0.03


def test_a_hub_costs_a_bounded_number_of_draws_per_step() -> None:
    """A star with 100 000 leaves: every step is O(1) draws (alias + rejection), never O(degree)."""
    leaves = 100_000
    g = csr_graph(leaves + 1, np.zeros(leaves, np.int64), np.arange(1, leaves + 1))
    walk_length, starts = 20, np.arange(1, 2001)
    walks, proposals = random_walks(g, walk_length=walk_length, walks_per_node=1, p=1.0, q=0.5, seed=4, starts=starts)
    steps = len(starts) * (walk_length - 1)
    assert (walks >= 0).all()
    # max bias 1/q = 2: a step back to the hub is accepted with 1/2, a step out to a leaf always → ≤ 1.5 per step
    assert proposals <= 1.6 * steps
    assert proposals >= steps


def test_node2vec_is_deterministic_for_a_seed() -> None:
    g = two_communities()
    params = {"dimensions": 8, "walk_length": 10, "walks_per_node": 3, "epochs": 1, "seed": 5}
    a = Node2Vec(**params).fit(g)
    b = Node2Vec(**params).fit(g)
    c = Node2Vec(**{**params, "seed": 6}).fit(g)
    assert a.vectors_.shape == (g.n_nodes, 8) and a.vectors_.dtype == np.float32
    assert np.array_equal(a.vectors_, b.vectors_)
    assert not np.array_equal(a.vectors_, c.vectors_)
    assert a.tokens_ == g.n_nodes * 3 * 10 and a.steps_ == g.n_nodes * 3 * 9 and a.proposals_ >= a.steps_


def test_node2vec_training_is_the_same_with_one_or_two_walk_threads() -> None:
    g = two_communities()
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = Node2Vec(dimensions=8, walk_length=10, walks_per_node=2, seed=2).fit(g).vectors_
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = Node2Vec(dimensions=8, walk_length=10, walks_per_node=2, seed=2).fit(g).vectors_
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one, two)


def test_users_of_the_same_taste_end_up_closer() -> None:
    g = two_communities()
    v = Node2Vec(dimensions=16, walk_length=20, walks_per_node=8, epochs=2, seed=1).fit(g).vectors_
    users = v[g.nodes("user")]
    users = users / np.linalg.norm(users, axis=1, keepdims=True)
    sim = users @ users.T
    k = len(users) // 2
    same = (sim[:k, :k].sum() - k + sim[k:, k:].sum() - k) / (2 * k * (k - 1))
    across = sim[:k, k:].mean()
    assert same > across + 0.2


@pytest.mark.parametrize("bad", [{"p": 0}, {"q": -1.0}, {"dimensions": 0}, {"walk_length": 0}])
def test_bad_parameters_raise(bad) -> None:
    with pytest.raises(ValueError):
        Node2Vec(**bad).fit(two_communities(5))


def test_auto_threads_keep_small_corpora_reproducible_and_use_every_cpu_on_big_ones() -> None:
    import os

    from embeddings.node2vec import AUTO_PARALLEL_TOKENS, training_threads

    assert training_threads(0, AUTO_PARALLEL_TOKENS - 1) == 1
    assert training_threads(0, AUTO_PARALLEL_TOKENS) == len(os.sched_getaffinity(0))
    assert training_threads(3, 10) == 3 and training_threads(1, 10 * AUTO_PARALLEL_TOKENS) == 1
    with pytest.raises(ValueError, match="workers"):
        Node2Vec(workers=-1)._validate()
