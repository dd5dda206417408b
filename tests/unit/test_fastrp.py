"""FastRP: shapes, determinism by seed, and two planted communities that end up apart."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.fastrp import FastRP
from embeddings.graph import from_edges


def two_communities(size: int = 60, seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Two dense random communities of ``size`` nodes joined by three bridge edges."""
    rng = np.random.default_rng(seed)
    src, dst = [], []
    for offset in (0, size):
        a = rng.integers(0, size, 8 * size) + offset
        b = rng.integers(0, size, 8 * size) + offset
        src.append(a)
        dst.append(b)
    src.append(np.array([0, 1, 2]))
    dst.append(np.array([size, size + 1, size + 2]))
    graph = from_edges(2 * size, np.concatenate(src), np.concatenate(dst))
    return graph, np.repeat([0, 1], size)


def test_shapes_and_dtype():
    graph, _ = two_communities()
    model = FastRP(dimensions=24, block=10, seed=3)
    assert model.fit(graph) is model
    assert model.vectors_.shape == (120, 24)
    assert model.vectors_.dtype == np.float32
    assert np.isfinite(model.vectors_).all()
    assert (np.linalg.norm(model.vectors_, axis=1) > 0).all()


def test_accepts_an_object_with_csr_arrays():
    (indptr, indices, weights), _ = two_communities()

    class Graph:
        pass

    g = Graph()
    g.indptr, g.indices, g.weights = indptr, indices, weights
    a = FastRP(dimensions=8, seed=1).fit(g).vectors_
    b = FastRP(dimensions=8, seed=1).fit((indptr, indices, weights)).vectors_
    np.testing.assert_array_equal(a, b)


def test_same_seed_same_vectors_other_seed_other_vectors():
    graph, _ = two_communities()
    a = FastRP(dimensions=16, seed=7).fit(graph).vectors_
    b = FastRP(dimensions=16, seed=7).fit(graph).vectors_
    c = FastRP(dimensions=16, seed=8).fit(graph).vectors_
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_two_communities_separate():
    graph, community = two_communities()
    z = FastRP(dimensions=32, seed=5).fit(graph).vectors_
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    cos = z @ z.T
    same = community[:, None] == community[None, :]
    off_diagonal = ~np.eye(len(community), dtype=bool)
    within = cos[same & off_diagonal].mean()
    across = cos[~same].mean()
    assert within > across + 0.3
    # every node is closer to its own community's centroid than to the other's
    centroids = np.stack([z[community == k].mean(0) for k in (0, 1)])
    assert ((z @ centroids.T).argmax(1) == community).all()


def test_isolated_node_gets_a_zero_vector():
    indptr, indices, weights = from_edges(4, np.array([0, 1]), np.array([1, 2]))
    z = FastRP(dimensions=8, seed=0).fit((indptr, indices, weights)).vectors_
    assert (z[3] == 0).all()
    assert (np.linalg.norm(z[:3], axis=1) > 0).all()


@pytest.mark.parametrize("bad", [{"dimensions": 0}, {"weights": ()}, {"sparsity": 0.5}, {"block": 0}])
def test_bad_parameters_are_refused(bad):
    graph, _ = two_communities(size=10)
    with pytest.raises(ValueError):
        FastRP(**bad).fit(graph)
