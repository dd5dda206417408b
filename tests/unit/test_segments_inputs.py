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


def _clustered_frame(n: int = 900, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Four groups (two independent habits, high or low) seen in four metrics; every other metric is noise."""
    rng = np.random.default_rng(seed)
    frame = _frame(n, seed)
    group = rng.integers(0, 4, n)
    frame["n_sessions"] = rng.integers(1, 40, n).astype(float)  # not tied to n_events here
    # two habits: the funnel pair follows one pattern over the groups, the promo/price pair another
    centres = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    for j, name in enumerate(("view_to_cart_rate", "cart_to_purchase_rate", "promo_share", "mean_price_viewed")):
        frame[name] = centres[group, j] + rng.normal(0, 0.15, n)
    return frame, group


def test_the_clustering_view_keeps_the_shared_behaviour_and_leaves_out_noise() -> None:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    frame, group = _clustered_frame()
    transform = InputTransform(seed=0, use_vectors=False).fit(frame, None)
    X, _ = transform.transform(frame, None)
    view = transform.cluster_view(X)
    # two directions separate the four groups; the ~30 noise metrics stay under the Marchenko–Pastur edge
    assert view.shape[1] == len(transform.view_eigenvalues_) <= 4 < len(transform.metrics_)
    assert min(transform.view_eigenvalues_[:2]) > transform.view_edge_
    assert abs(view.var(axis=0).sum() - 1.0) < 0.05  # the block has total variance 1, like the vectors'
    top = {words[0][0] for _, words in transform.view_components_in_words()[:2]}  # largest loadings
    assert top <= {
        "view_to_cart_rate",
        "cart_to_purchase_rate",
        "promo_share",
        "mean_price_viewed",
        "price_index_viewed",
        "below_median_purchase_share",
    }
    on_view = adjusted_rand_score(group, KMeans(4, n_init=5, random_state=0).fit_predict(view))
    on_rows = adjusted_rand_score(group, KMeans(4, n_init=5, random_state=0).fit_predict(X))
    assert on_view > 0.7 and on_view > on_rows + 0.3  # measured 0.79 vs 0.18
    # the view of new rows is the fitted projection: the same rows give the same view
    assert np.allclose(transform.cluster_view(transform.transform(frame.iloc[:50], None)[0]), view[:50], atol=1e-5)
    assert transform.report()["cluster_view"]["metric_components"] == view.shape[1]


def test_the_recencies_are_profiled_but_not_clustered() -> None:
    from segments.inputs import NOT_MODELLED, model_metrics
    from segments.profile import standardised_differences

    assert {"recency_days", "purchase_recency_days"} == NOT_MODELLED
    assert not NOT_MODELLED & set(model_metrics())
    frame = _frame(60)
    names, z, _ = standardised_differences(frame, np.repeat([1, 2], 30), [])
    assert set(names) >= NOT_MODELLED and len(z[1]) == len(names)
    transform = InputTransform(seed=0, use_vectors=False).fit(frame, None)
    assert not NOT_MODELLED & set(transform.metrics_)
