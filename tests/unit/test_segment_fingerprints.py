"""A customer's activity fingerprint changes with new activity, not with the last bits of a float sum."""

from __future__ import annotations

import pandas as pd

from segments.segmentation import fingerprints


def test_the_spend_counts_to_the_cent() -> None:
    base = {"n_events": [12.0] * 4, "n_sessions": [3.0] * 4, "n_purchases": [2.0] * 4}
    spend = [59.98, 59.98 + 1e-12, 59.99, None]  # the same purchases summed in another order; a cent more; none
    prints = fingerprints(pd.DataFrame({**base, "total_spent": spend}))
    assert prints[0] == prints[1]
    assert len({prints[0], prints[2], prints[3]}) == 3
    more = fingerprints(pd.DataFrame({**base, "n_events": [13.0] * 4, "total_spent": spend}))
    assert more[0] != prints[0]  # a new event is new activity
