"""Short histories for the assignment classifier: clustered users' first n events, labelled with their cluster.

The classifier labels new customers who arrive with a handful of events; trained on whole histories
only it misplaces them, so it also learns from truncated copies of a few clustered users (never the
threshold study's). Why these cuts and what they changed: docs/ARCHITECTURE.md,
"segments/short_history.py".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.calendar import Calendar
from segments import threshold
from shopgraph.workspace import Workspace

SHORT_TRUNCATIONS = (13, 20, 30)
SHORT_USERS = 500


@dataclass
class ShortHistories:
    """The truncated copies: their feature rows and vectors, whose clustered row each copies, and its n."""

    frame: pd.DataFrame
    vectors: np.ndarray | None
    source: np.ndarray  # row in the clustered users of the user each copy was cut from
    truncation: np.ndarray  # number of events kept

    def __len__(self) -> int:
        return len(self.source)


def short_histories(
    workspace: Workspace,
    calendar: Calendar,
    features: pd.DataFrame,
    vectors: np.ndarray | None,
    exclude: np.ndarray,
    seed: int = 0,
) -> ShortHistories | None:
    """The copies of the module docstring for the clustered users ``features`` (rows aligned with
    ``vectors``), leaving out the rows in ``exclude``; None when no user has more than the shortest cut."""
    n_events = pd.to_numeric(features["n_events"], errors="coerce").fillna(0).to_numpy(np.float64)
    eligible = np.setdiff1d(np.flatnonzero(n_events > min(SHORT_TRUNCATIONS)), np.asarray(exclude, np.int64))
    if not len(eligible):
        return None
    rng = np.random.default_rng([seed, 11])
    chosen = np.sort(rng.choice(eligible, min(SHORT_USERS, len(eligible)), replace=False))
    con = threshold.truncated_events(workspace, features["user_id"].to_numpy()[chosen], SHORT_TRUNCATIONS)
    try:
        frame = threshold.truncated_features(con, calendar)
        copies = threshold.truncated_vectors(con, workspace, frame["user_id"].to_numpy())
    finally:
        con.close()
    index = frame["study_index"].to_numpy()
    kept_n = np.asarray(SHORT_TRUNCATIONS)[frame["truncation_index"].to_numpy()]
    shorter = kept_n < n_events[chosen][index]  # a cut at or past the whole history is not a short history
    if copies is None and vectors is not None:
        copies = vectors[chosen][index]  # no item vectors to fold in from: the whole-history vector, as the study
    frame = frame[shorter].reset_index(drop=True)
    copies = None if copies is None else copies[shorter]
    return ShortHistories(frame, copies, chosen[index[shorter]], kept_n[shorter])
