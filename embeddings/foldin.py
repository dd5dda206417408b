"""Fold-in: a vector for a user who was not in the training graph, from the items they touched.

The intent-weighted mean of the unit vectors of their products and of those products' categories
and brands (:data:`FOLD_WEIGHTS`), normalised. The formula and why: docs/ARCHITECTURE.md,
"embeddings/foldin.py".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

FOLD_WEIGHTS = {"product": 1.0, "category": 0.5, "brand": 0.5}
"""Weight of a touched product's own vector, its category's and its brand's in the fold-in mean."""


@dataclass
class ItemVectors:
    """Trained vectors of products, categories and brands with their keys (sorted within each type)."""

    product_ids: np.ndarray
    product_vectors: np.ndarray
    category_ids: np.ndarray
    category_vectors: np.ndarray
    brands: np.ndarray
    brand_vectors: np.ndarray

    @property
    def dimensions(self) -> int:
        return int(self.product_vectors.shape[1])


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), float32."""
    vectors = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row of each key in ``sorted_keys``, -1 when absent."""
    if len(sorted_keys) == 0 or len(keys) == 0:
        return np.full(len(keys), -1, np.int64)
    pos = np.searchsorted(sorted_keys, keys)
    pos_c = np.minimum(pos, len(sorted_keys) - 1)
    return np.where(sorted_keys[pos_c] == keys, pos_c, -1)


def item_profiles(
    items: ItemVectors,
    product_ids: np.ndarray,
    category_ids: np.ndarray,
    brands: np.ndarray,
    weights: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per product: ``(profile float32[P, d], mass float64[P])``, the numerator and denominator terms.

    ``profile_j = a_p·p̂_j + a_c·ĉ(j) + a_b·b̂(j)`` over the parts that have a trained vector,
    ``mass_j`` the sum of the ``a`` used. ``product_ids`` with their current ``category_ids`` and
    ``brands`` (None for none) come from the event store, so new products count through their
    category and brand.
    """
    a = weights or FOLD_WEIGHTS
    d = items.dimensions
    n = len(product_ids)
    profile = np.zeros((n, d), np.float32)
    mass = np.zeros(n, np.float64)
    parts = (
        (a["product"], _lookup(items.product_ids, np.asarray(product_ids, np.int64)), items.product_vectors),
        (a["category"], _lookup(items.category_ids, np.asarray(category_ids, np.int64)), items.category_vectors),
    )
    brand_keys = np.array(["" if b is None else str(b) for b in brands], dtype=object)
    has_brand = brand_keys != ""
    brand_rows = np.full(n, -1, np.int64)
    if has_brand.any() and len(items.brands):
        brand_rows[has_brand] = _lookup(np.asarray(items.brands).astype(str), brand_keys[has_brand].astype(str))
    parts += ((a["brand"], brand_rows, items.brand_vectors),)
    for weight, rows, vectors in parts:
        known = rows >= 0
        if weight and known.any():
            profile[known] += weight * normalise(vectors[rows[known]])
            mass[known] += weight
    return profile, mass


def fold_in(
    profile: np.ndarray,
    mass: np.ndarray,
    user_index: np.ndarray,
    product_index: np.ndarray,
    weights: np.ndarray,
    n_users: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Fold-in vectors of ``n_users`` users from their (user row, product row, intent weight) triples.

    Returns ``(vectors float32[n_users, d] unit length, known bool[n_users])``; ``known`` is False
    (and the row zero) for a user none of whose products has a profile. Pure: the formula of
    the module docstring, one sparse matrix product.
    """
    w = sp.csr_matrix((np.asarray(weights, np.float64), (user_index, product_index)), shape=(n_users, profile.shape[0]))
    numerator = w @ profile.astype(np.float64)
    denominator = w @ mass
    known = denominator > 0
    mean = np.divide(numerator, denominator[:, None], out=np.zeros_like(numerator), where=known[:, None])
    return normalise(mean), known


def fold_in_batches(
    profile: np.ndarray,
    mass: np.ndarray,
    product_ids_sorted: np.ndarray,
    batches: Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each batch of ``(user_ids, product_ids, weights)`` rows (a user's rows all in one batch):
    ``(user_ids unique, vectors, known)``. ``product_ids_sorted`` indexes the rows of ``profile``."""
    for user_ids, product_ids, weights in batches:
        users, user_index = np.unique(np.asarray(user_ids, np.int64), return_inverse=True)
        rows = _lookup(product_ids_sorted, np.asarray(product_ids, np.int64))
        keep = rows >= 0
        vectors, known = fold_in(profile, mass, user_index[keep], rows[keep], np.asarray(weights)[keep], len(users))
        yield users, vectors, known
