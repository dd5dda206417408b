"""segments/figures.py: each segment's stored figures are the aggregates a member scan of the graph gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segments.figures import (
    FIGURE_PROPERTIES,
    NO_VALUE,
    purchase_figures,
    segment_figures,
    segment_figures_in_file,
    segment_properties,
)


def test_figures_count_sum_and_average_like_a_member_scan() -> None:
    features = pd.DataFrame(
        {
            "n_events": [10, 4, 7, 1],
            "n_orders": [2, 0, None, 0],
            "total_spent": [100.0, np.nan, 30.0, np.inf],  # NaN and infinity are null in the graph
            "recency_days": [1.0, 3.0, np.nan, 9.0],
            "rfm_code": ["555", None, "555", None],
            "top_category": ["electronics", "electronics", None, "apparel"],
        }
    )
    figures = segment_figures(features, np.array([1, 1, 1, 0]))
    one = figures[1]
    assert (one["customers"], one["buyers"], one["orders"], one["revenue"]) == (3, 1, 2.0, 130.0)
    assert one["avg_n_events"] == 7.0 and one["avg_recency_days"] == 2.0  # missing values skipped
    assert one["avg_total_spent"] == 65.0 and one["avg_n_orders"] == 1.0
    assert one["avg_promo_share"] is None  # a metric the table lacks: null, as avg() over nulls
    assert (one["rfm_codes"], one["rfm_customers"]) == (["555", NO_VALUE], [2, 1])
    assert (one["top_categories"], one["top_category_customers"]) == (["electronics", NO_VALUE], [2, 1])
    zero = figures[0]
    assert (zero["customers"], zero["buyers"], zero["revenue"]) == (1, 0, 0.0)
    assert zero["avg_total_spent"] is None  # its one value is infinity: null in the graph


def test_figures_from_the_feature_file_equal_those_of_the_frame(tmp_path) -> None:
    rng = np.random.default_rng(3)
    n = 500
    features = pd.DataFrame(
        {
            "user_id": rng.permutation(n).astype(np.int64) * 7 - 900,
            "n_events": rng.integers(1, 90, n),
            "n_orders": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 4, n)),
            "total_spent": np.where(rng.random(n) < 0.05, np.inf, rng.gamma(2.0, 40.0, n)),
            "purchase_rate": np.where(rng.random(n) < 0.3, np.nan, rng.random(n)),
            "rfm_code": np.where(rng.random(n) < 0.2, None, rng.choice(["111", "345", "555"], n)),
            "top_category": rng.choice(["electronics", "apparel", None], n),
        }
    )
    path = tmp_path / "user_features.parquet"
    features.to_parquet(path)
    labels = rng.integers(0, 5, n)
    order = rng.permutation(n)  # the run's users in another order than the file's
    from_file = segment_figures_in_file(path, features["user_id"].to_numpy()[order], labels[order])
    from_frame = segment_figures(features, labels)
    assert from_file.keys() == from_frame.keys()
    for sid, expected in from_frame.items():
        got = from_file[sid]
        assert got.keys() == expected.keys()
        for name, value in expected.items():
            if isinstance(value, float):
                assert got[name] == pytest.approx(value, rel=1e-9), (sid, name)
            else:
                assert got[name] == value, (sid, name)


def test_properties_are_all_set_and_null_without_figures() -> None:
    assert segment_properties({}) == dict.fromkeys(FIGURE_PROPERTIES)
    figures = segment_figures(pd.DataFrame({"n_events": [3], "n_orders": [1]}), np.array([2]))[2]
    props = segment_properties({"figures": figures})
    assert set(props) == set(FIGURE_PROPERTIES) and props["customers"] == 1 and props["buyers"] == 1


def test_purchase_figures_count_pairs_per_category_and_brand_as_the_graph_paths() -> None:
    pairs = pd.DataFrame({"user_id": [1, 1, 2, 3, 9], "product_id": [10, 11, 10, 12, 12]})  # user 9: no segment
    categories = pd.DataFrame({"product_id": [10, 10, 11], "category_id": [100, 101, 100]})  # 10 in two categories
    brands = pd.DataFrame({"product_id": [10, 12], "brand": ["acme", "zeta"]})  # 11 has no brand
    assigned = pd.DataFrame({"user_id": [1, 2, 3], "segment_id": [1, 1, 2]})
    figures = purchase_figures(pairs, categories, brands, assigned)
    one = figures[1]
    lists = [one[f"category_{k}"] for k in ("ids", "purchases", "all_purchases")]
    cats = {c: (n, a) for c, n, a in zip(*lists, strict=True)}
    assert cats == {100: (3, 3), 101: (2, 2)} and one["category_pairs"] == 5
    lists = [one["brands"], one["brand_purchases"], one["brand_all_purchases"]]
    brand = {b: (n, a) for b, n, a in zip(*lists, strict=True)}
    assert brand == {"acme": (2, 2)} and one["brand_pairs"] == 3  # the unbranded pair counts in the sum only
    two = figures[2]
    assert two["category_ids"] == [] and two["category_pairs"] == 0
    assert (two["brands"], two["brand_purchases"], two["brand_all_purchases"]) == (["zeta"], [1], [2])
    assert one["all_purchase_pairs"] == two["all_purchase_pairs"] == 5


def test_purchase_figures_keep_each_segments_products_and_pairs_of_two_customers_or_more() -> None:
    pairs = pd.DataFrame(
        {"user_id": [1, 1, 2, 2, 3, 3, 4, 9, 9], "product_id": [10, 11, 10, 11, 10, 12, 12, 12, 10]}
    )  # users 1-3 in segment 1, user 4 in segment 2, user 9 without a segment
    assigned = pd.DataFrame({"user_id": [1, 2, 3, 4], "segment_id": [1, 1, 1, 2]})
    empty = pd.DataFrame({"product_id": pd.Series([], dtype="int64"), "category_id": pd.Series([], dtype="int64")})
    figures = purchase_figures(pairs, empty, empty.rename(columns={"category_id": "brand"}), assigned)
    one = figures[1]
    assert (one["product_segment_buyers"], one["all_product_buyers"]) == (3, 5)
    # 11: 2 of the 3 segment buyers against 2 of 5 in all (lift 5/3); 10: 3 of 3 against 4 of 5 (lift 5/4)
    assert (one["product_ids"], one["product_buyers"], one["product_all_buyers"]) == ([11, 10], [2, 3], [2, 4])
    assert (one["together_a"], one["together_b"], one["together_customers"]) == ([10], [11], [2])  # 10+12: one
    two = figures[2]
    assert two["product_ids"] == [] and two["together_a"] == [] and two["product_segment_buyers"] == 1
