"""Lineage: segment ids carry over when the new run's labels are a permutation of the old ones."""

from __future__ import annotations

import numpy as np

from segments.lineage import match, migration


def test_ids_carry_over_under_a_permutation_of_labels() -> None:
    rng = np.random.default_rng(0)
    users = np.arange(1000)
    old = rng.integers(1, 6, 1000)
    permutation = {1: 4, 2: 1, 3: 5, 4: 2, 5: 3}
    new = np.array([permutation[s] for s in old])
    mapping, jaccard = match(users, old, users, new)
    assert all(mapping[permutation[s]] == s for s in range(1, 6))
    assert all(j == 1.0 for j in jaccard.values())


def test_a_new_segment_gets_a_fresh_id_above_the_old_ones() -> None:
    users = np.arange(300)
    old = np.repeat([1, 2, 3], 100)
    new = np.repeat([7, 8, 9], 100)
    new[200:] = np.where(np.arange(100) % 2 == 0, 9, 10)  # old segment 3 split in two halves
    mapping, _ = match(users, old, users, new)
    assert mapping[7] == 1 and mapping[8] == 2
    assert sorted([mapping[9], mapping[10]]) in ([3, 4],)  # one half keeps 3 (Jaccard 0.5), the other is new
    assert max(mapping.values()) == 4


def test_no_overlap_gives_no_carry_over() -> None:
    mapping, jaccard = match(np.arange(10), np.ones(10, int), np.arange(10, 20), np.ones(10, int))
    assert jaccard == {} and mapping == {1: 2}


def test_migration_counts_users_from_each_old_segment_to_each_new_one() -> None:
    table = migration(np.array([1, 2, 3, 4]), np.array([0, 1, 1, 2]), np.array([2, 3, 4, 5]), np.array([1, 1, 2, 2]))
    cells = {(r.previous_segment_id, r.segment_id): r.users for r in table.itertuples()}
    assert cells == {(1, 1): 2, (2, 2): 1}
