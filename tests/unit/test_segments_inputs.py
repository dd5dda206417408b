"""The modelling matrix's volume rule and quantile-normal scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segments.inputs import DERIVED, VOLUME, InputTransform, candidate_metrics


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {m: rng.random(n) for m in candidate_metrics()}
    data["n_events"] = rng.integers(5, 200, n).astype(float)
    data["n_sessions"] = np.maximum(1, data["n_events"] // 5)
    data["months_active"] = rng.integers(1, 5, n).astype(float)
    data["distinct_products"] = np.maximum(1, data["n_events"] // 2)
    data["total_spent"] = rng.lognormal(4, 1.5, n)
    return pd.DataFrame(data)


def test_volume_enters_once_as_the_activity_level() -> None:
    frame = _frame()
    transform = InputTransform(seed=0, use_vectors=False).fit(frame, None)
    assert not set(transform.metrics_) & VOLUME
    assert "activity_level" in transform.metrics_ and set(transform.metrics_) & set(DERIVED) == set(DERIVED)
    X, _ = transform.transform(frame, None)
    assert X.shape == (len(frame), len(transform.metrics_)) and np.isfinite(X).all()


def test_doubling_a_users_totals_moves_only_the_activity_columns() -> None:
    frame = _frame()
    transform = InputTransform(seed=0, use_vectors=False).fit(frame, None)
    busier = frame.copy()
    for col in ("n_events", "n_views", "n_sessions", "distinct_products", "total_spent", "n_orders"):
        busier[col] = frame[col] * 2
    a, _ = transform.transform(frame, None)
    b, _ = transform.transform(busier, None)
    moved = [m for j, m in enumerate(transform.metrics_) if not np.allclose(a[:, j], b[:, j], atol=1e-6)]
    assert set(moved) == {"activity_level", "sessions_per_active_month"}  # rates and shares stay put


def test_quantile_normal_scaling_bounds_a_bot() -> None:
    frame = _frame()
    frame.loc[0, "promo_share"] = 1e9  # a bot-like outlier
    transform = InputTransform(seed=0, use_vectors=False).fit(frame, None)
    X, _ = transform.transform(frame, None)
    assert np.abs(X).max() < 10 * np.abs(X[1:]).max()
