"""Stable segment identity across runs: match new segments to the previous run's by membership overlap.

The rule: build the Jaccard matrix of user sets (previous segment × new segment, segment 0
left out on both sides), solve the assignment that maximises the total Jaccard (Hungarian
algorithm), and keep a pair when its Jaccard is ≥ ``MIN_JACCARD`` (0.3). A kept pair gives
the new segment the previous id and names; the other new segments get fresh ids above every
id the previous run used. The migration matrix counts users from each previous segment
(0 included) to each new one, over users present in both runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

MIN_JACCARD = 0.3


def jaccard_matrix(
    prev_ids: np.ndarray, prev_labels: np.ndarray, new_ids: np.ndarray, new_labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(J, previous segments, new segments)`` over segments > 0."""
    prev = pd.DataFrame({"user_id": prev_ids, "prev": prev_labels})
    new = pd.DataFrame({"user_id": new_ids, "new": new_labels})
    prev_segs = np.array(sorted(int(s) for s in np.unique(prev_labels) if s > 0))
    new_segs = np.array(sorted(int(s) for s in np.unique(new_labels) if s > 0))
    both = prev.merge(new, on="user_id")
    inter = both.groupby(["prev", "new"]).size()
    p_size = prev["prev"].value_counts()
    n_size = new["new"].value_counts()
    J = np.zeros((len(prev_segs), len(new_segs)))
    for i, a in enumerate(prev_segs):
        for j, b in enumerate(new_segs):
            shared = int(inter.get((a, b), 0))
            union = int(p_size.get(a, 0)) + int(n_size.get(b, 0)) - shared
            J[i, j] = shared / union if union else 0.0
    return J, prev_segs, new_segs


def match(
    prev_ids: np.ndarray, prev_labels: np.ndarray, new_ids: np.ndarray, new_labels: np.ndarray
) -> tuple[dict[int, int], dict[int, float]]:
    """``{new label: id to use}`` for every new segment > 0, and the Jaccard of each carried-over pair."""
    J, prev_segs, new_segs = jaccard_matrix(prev_ids, prev_labels, new_ids, new_labels)
    mapping: dict[int, int] = {}
    jaccard: dict[int, float] = {}
    if J.size:
        rows, cols = linear_sum_assignment(-J)
        for i, j in zip(rows, cols, strict=True):
            if J[i, j] >= MIN_JACCARD:
                mapping[int(new_segs[j])] = int(prev_segs[i])
                jaccard[int(new_segs[j])] = float(J[i, j])
    next_id = max([int(prev_labels.max()) if len(prev_labels) else 0, *mapping.values(), 0]) + 1
    for s in new_segs:
        if int(s) not in mapping:
            mapping[int(s)] = next_id
            next_id += 1
    return mapping, jaccard


def migration(
    prev_ids: np.ndarray, prev_labels: np.ndarray, new_ids: np.ndarray, new_labels: np.ndarray
) -> pd.DataFrame:
    """``previous_segment_id, segment_id, users`` over users in both runs (segment 0 included)."""
    both = pd.DataFrame({"user_id": prev_ids, "previous_segment_id": prev_labels}).merge(
        pd.DataFrame({"user_id": new_ids, "segment_id": new_labels}), on="user_id"
    )
    table = both.groupby(["previous_segment_id", "segment_id"]).size().rename("users").reset_index()
    return table.astype({"previous_segment_id": "int64", "segment_id": "int64", "users": "int64"})
