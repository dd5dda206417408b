"""Test helper: a small user-product graph of two taste communities (node2vec and fold-in tests)."""

from __future__ import annotations

import numpy as np

from embeddings.graph import InteractionGraph, build_graph


def two_communities(users_per_side: int = 60, seed: int = 0) -> InteractionGraph:
    """Users 0..k-1 touch products 0..14 (brand a, category 1), the others products 15..29 (brand b, category 2)."""
    rng = np.random.default_rng(seed)
    u, p = [], []
    for user in range(2 * users_per_side):
        base = 0 if user < users_per_side else 15
        for j in rng.choice(15, 4, replace=False):
            u.append(user)
            p.append(base + j)
    products = np.arange(30)
    return build_graph(
        np.array(u),
        np.array(p),
        np.ones(len(u)),
        products,
        np.where(products < 15, 1, 2),
        ["a" if x < 15 else "b" for x in products],
    )
