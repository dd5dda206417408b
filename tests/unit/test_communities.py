"""segments.communities: the kNN graph, Leiden, small communities absorbed, the resolution rule."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from segments import communities


def blobs(seed: int = 0, n: int = 150, gap: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.repeat([0, 1], n)
    X = rng.normal(size=(2 * n, 5))
    X[truth == 1, 0] += gap
    return X, truth


def test_neighbour_graph_is_symmetric_and_links_only_neighbours():
    X, truth = blobs()
    graph = communities.neighbour_graph(X, neighbours=10)
    assert abs(graph - graph.T).max() < 1e-12
    rows, cols = graph.nonzero()
    assert (truth[rows] == truth[cols]).all()  # the blobs are 8 sd apart: no link crosses
    assert (graph.diagonal() == 0).all()
    assert ((graph.data > 0) & (graph.data <= 1)).all()


def test_two_separated_blobs_give_two_communities():
    X, truth = blobs()
    labels = communities.communities(X, resolution=0.1, seed=0)
    assert len(np.unique(labels)) == 2
    assert adjusted_rand_score(truth, labels) == 1.0


def test_small_communities_join_the_one_they_link_to():
    X, truth = blobs()
    graph = communities.neighbour_graph(X)
    labels = truth.copy()
    labels[:2] = 2  # a community of 2 users out of 300, inside blob 0
    assert (communities.absorb_small(graph, labels, share=0.01) == truth).all()


def test_a_community_under_twenty_users_joins_even_above_the_share():
    X, truth = blobs()
    graph = communities.neighbour_graph(X)
    labels = truth.copy()
    labels[:12] = 2  # 12 users: 4 % of 300, above the 1 % share, below 20 customers
    assert (communities.absorb_small(graph, labels, share=0.01) == truth).all()
    labels[:25] = 2  # 25 users: a community of its own
    assert len(np.unique(communities.absorb_small(graph, labels, share=0.01))) == 3


def test_short_histories_join_the_nearest_community_centre():
    view = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0], [4.0, 1.0], [6.0, 1.0], [-3.0, 9.0]])
    rows, labels = np.array([0, 1, 2, 3]), np.array([5, 5, 8, 8])
    # centres (0, 1) and (10, 1): (4, 1) and (-3, 9) are nearer the first, (6, 1) the second
    assert communities.nearest_centre(view, rows, labels, np.array([4, 5, 6])).tolist() == [5, 8, 5]


def test_resolution_choice_is_deterministic_and_finds_the_blobs():
    X, truth = blobs(n=100)
    first = communities.evaluate(X, seed=3, resolutions=(0.05, 0.1, 1.0), bootstraps=3)
    again = communities.evaluate(X, seed=3, resolutions=(0.05, 0.1, 1.0), bootstraps=3)
    assert [c.as_row() for c in first] == [c.as_row() for c in again]
    chosen = communities.choose_resolution(first)
    assert chosen.chosen and chosen.eligible
    assert all(c.stability >= min(0.8, max(x.stability for x in first) - 0.05) for c in first if c.eligible)
    labels = communities.communities(X, chosen.resolution, seed=3)
    assert chosen.communities == len(np.unique(labels))
    assert adjusted_rand_score(truth, labels) > 0.3  # the blobs are never split across communities


def test_resolution_table_is_the_same_in_two_processes_as_in_one():
    X, _ = blobs(n=60)
    one = communities.evaluate(X, seed=5, resolutions=(0.1, 1.0), bootstraps=3, jobs=1)
    two = communities.evaluate(X, seed=5, resolutions=(0.1, 1.0), bootstraps=3, jobs=2)
    assert [c.as_row() for c in one] == [c.as_row() for c in two]
    assert communities.workers(communities.PARALLEL_FROM - 1) == 1


def test_choose_prefers_the_finest_reproducible_partition():
    R = communities.Resolution
    candidates = [R(0.1, 2, 0.4, 0.99, 0.5), R(0.5, 4, 0.6, 0.9, 0.2), R(1.0, 9, 0.7, 0.5, 0.05)]
    assert communities.choose_resolution(candidates).resolution == 0.5
    assert [c.eligible for c in candidates] == [True, True, False]


def test_above_the_cap_the_other_users_join_by_their_neighbours(monkeypatch):
    X, truth = blobs(n=200)
    monkeypatch.setattr(communities, "FIT_CAP", 150)
    labels = communities.communities(X, resolution=0.1, seed=0)
    assert len(labels) == len(X)
    assert adjusted_rand_score(truth, labels) == 1.0


def test_the_resolution_table_never_takes_more_than_its_sample(monkeypatch):
    X, truth = blobs(n=150)
    seen, evaluate = [], communities.evaluate

    def recorded(rows, seed, business=None):
        seen.append(len(rows))
        return evaluate(rows, seed, resolutions=(0.1, 1.0), bootstraps=2, business=business)

    monkeypatch.setattr(communities, "TABLE_SAMPLE", 120)
    monkeypatch.setattr(communities, "evaluate", recorded)
    found = communities.segment_customers(X, np.full(len(X), 40), np.zeros((len(X), 2)), seed=0, sample_size=20_000)
    assert seen == [120] and found.sample == 120
    assert len(found.labels) == len(X)  # the final fit still takes every long history
    assert adjusted_rand_score(truth, found.labels) > 0.3


def test_similar_pairs_are_each_customers_nearest_others():
    from segments.similar import similar_pairs

    view = np.array([[0.0], [1.0], [3.0], [10.0]])
    pairs = similar_pairs(np.array([40, 41, 42, 43]), view, neighbours=2)
    first = pairs[pairs["user_id"] == 40]
    assert first["other_user_id"].tolist() == [41, 42] and first["score"].tolist() == [0.5, 0.25]
    assert (pairs["user_id"] != pairs["other_user_id"]).all()
    assert pairs.groupby("user_id").size().tolist() == [2, 2, 2, 2]


def test_above_the_exact_size_the_look_alikes_are_nearly_the_exact_ones():
    from segments.similar import similar_pairs

    X, _ = blobs(n=600)
    ids = np.arange(1000, 1000 + len(X))
    exact = similar_pairs(ids, X, neighbours=5)
    approximate = similar_pairs(ids, X, neighbours=5, exact_up_to=len(X) - 1)  # NN-descent
    assert approximate.groupby("user_id").size().eq(5).all() and len(approximate) == len(exact)
    assert (approximate["user_id"] != approximate["other_user_id"]).all()
    both = exact.merge(approximate, on=["user_id", "other_user_id"], suffixes=("", "_found"))
    assert len(both) >= 0.95 * len(exact)  # recall of the exact neighbours
    assert np.allclose(both["score"], both["score_found"], atol=1e-5)  # the same Euclidean distances


@pytest.mark.parametrize("exact_up_to", [10**6, 0])  # exact search; NN-descent
def test_customers_outside_the_view_get_their_nearest_inside_it(exact_up_to):
    from segments.communities import NEIGHBOURS
    from segments.similar import similar_pairs

    X, _ = blobs(n=600)
    inside, outside = X[:500], X[500:600]
    ids = np.arange(1000, 1500)
    pairs = similar_pairs(ids, inside, exact_up_to=exact_up_to, others=[(np.arange(9000, 9100), outside)])
    theirs = pairs[pairs["user_id"] >= 9000]
    assert theirs["user_id"].nunique() == 100 and theirs.groupby("user_id").size().eq(NEIGHBOURS).all()
    distance = ((outside[:, None, :] - inside[None, :, :]) ** 2).sum(axis=2)
    nearest = np.argsort(distance, axis=1)[:, :NEIGHBOURS]
    truth = {(9000 + i, 1000 + int(j)) for i, row in enumerate(nearest) for j in row}
    found = set(zip(theirs["user_id"], theirs["other_user_id"], strict=True))
    assert len(found & truth) >= 0.95 * len(truth)  # NN-descent's recall, as for the graph's own
    assert len(pairs) == len(theirs) + 500 * NEIGHBOURS
