"""Short histories for the assignment classifier: clustered users' first n events, labelled with their cluster.

The classifier labels new customers, who arrive with a handful of events, and the activity
threshold (:mod:`segments.threshold`) is the fewest events at which it gives a user's first n
events the segment of their whole history. Trained on whole histories only, it learns where
long histories lie: a short history's rates are noisier, its breadth smaller and its fold-in
vector rougher, so at n = 20 it agreed with the whole history for 61 % of the study's users
(planted personas, seed 11). So it also learns from *truncated copies* of clustered users:

* up to ``SHORT_USERS`` clustered users (drawn with the run's seed), **never the threshold
  study's users** (:func:`segments.threshold.study_sample`), so the study still measures the
  classifier on histories it has not seen cut;
* for each n in ``SHORT_TRUNCATIONS`` below the user's number of events, the first n events,
  with their metrics recomputed and a vector folded in exactly as the study does (one
  DuckDB pass, :func:`segments.threshold.truncated_events`);
* each copy labelled with its user's cluster, and sent to the same train / validation / test
  part as its user (:func:`segments.assign.train`), so no user is learnt from in one part and
  judged in another.

The cuts start at 13 and the copies are few because a copy carries the label of its user's long
history, which can differ from the label k-means gave a customer who has only that many events:
with cuts 5 / 8 / 13 / 20 of 1 500 users the whole-history test macro-F1 fell from 0.957 to 0.88
(an exploratory run). With 13 / 20 / 30 of 500 users it was 0.912 / 0.915 / 0.958 (seed 11,
seed 12, 20 000 users; 0.957 / 0.939 / 0.972 before), and the agreement at n = 30 rose from
0.79 / 0.82 / 0.82 to 0.83 / 0.84 / 0.85, measured when the selection made 3 bootstrap fits;
with today's 8 the 20 000-user macro-F1 is 0.945 (docs/BENCHMARKS.md, "Segments quality").

The cost does not grow with the shop: at most ``SHORT_USERS × len(SHORT_TRUNCATIONS)`` rows.
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
