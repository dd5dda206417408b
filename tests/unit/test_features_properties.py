"""Invariants of the feature table on random small event sets (hypothesis): ranges, sums, recounts."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.store import EVENT_TYPES, connect_events
from features.calendar import load_calendar
from features.compute import compute_features
from features.registry import METRICS, PARTS_OF_DAY, TOP_CATEGORIES
from shopgraph.workspace import Workspace
from tests.support.features_store import ev, write_events

# product -> (category_id, category_code, brand): a fixed little catalogue
CATALOGUE = {
    1: (100, "electronics.smartphone", "apple"),
    2: (100, "electronics.smartphone", "samsung"),
    3: (200, "appliances.kitchen.kettle", None),
    4: (300, None, "bosch"),
    5: (400, "kids.toys", "lego"),
    6: (500, "country_yard.lawn", None),
}
START = dt.datetime(2019, 10, 1)

event_strategy = st.builds(
    lambda user, product, kind, minutes, session, price: ev(
        (START + dt.timedelta(minutes=minutes)).isoformat(sep=" "),
        user_id=user,
        product_id=product,
        category_id=CATALOGUE[product][0],
        category_code=CATALOGUE[product][1],
        brand=CATALOGUE[product][2],
        event_type=kind,
        user_session=session,
        price=price,
    ),
    user=st.integers(1, 4),
    product=st.sampled_from(sorted(CATALOGUE)),
    kind=st.sampled_from(EVENT_TYPES),
    minutes=st.integers(0, 60 * 24 * 150),  # 2019-10 .. 2020-02, across the shipped promotions
    session=st.one_of(st.none(), st.sampled_from(["s1", "s2", "s3", "s4", "s5"])),
    price=st.sampled_from([0.0, 1.5, 10.0, 99.99, 1234.5]),
)

RATES = [
    "view_to_cart_rate",
    "cart_to_purchase_rate",
    "cart_abandonment_rate",
    "remove_from_cart_rate",
    "purchase_rate",
    "below_median_purchase_share",
    "weekend_share",
    "promo_share",
    *(f"share_{c}" for c in (*TOP_CATEGORIES, "other")),
    *(f"share_{p}" for p in PARTS_OF_DAY),
]


def compute(events: list[dict]) -> dict[int, dict]:
    with tempfile.TemporaryDirectory() as home:
        workspace = Workspace(Path(home))
        write_events(workspace, events)
        con = connect_events(workspace, con=duckdb.connect())
        compute_features(con, load_calendar())
        cur = con.execute("SELECT * FROM user_features")
        cols = [d[0] for d in cur.description]
        rows = {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}
        con.close()
    return rows


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_strategy, min_size=1, max_size=40))
def test_feature_invariants(events: list[dict]) -> None:
    rows = compute(events)

    # counts are consistent with the events written
    by_user: dict[int, list[dict]] = defaultdict(list)
    for e in events:
        by_user[e["user_id"]].append(e)
    assert set(rows) == set(by_user)
    for user, evs in by_user.items():
        row = rows[user]
        kinds = Counter(e["event_type"] for e in evs)
        assert row["n_events"] == len(evs)
        assert (row["n_views"], row["n_carts"], row["n_removes"], row["n_purchases"]) == (
            kinds["view"],
            kinds["cart"],
            kinds["remove_from_cart"],
            kinds["purchase"],
        )
        assert row["total_spent"] == pytest.approx(sum(e["price"] for e in evs if e["event_type"] == "purchase"))
        assert row["distinct_products"] == len({e["product_id"] for e in evs})
        assert row["active_days"] == len({e["event_time"].date() for e in evs})

        # no NaN or infinity anywhere
        for name, value in row.items():
            assert not (isinstance(value, float) and not math.isfinite(value)), f"{name} = {value}"

        # ranges
        for name in RATES:
            assert row[name] is None or 0.0 <= row[name] <= 1.0 + 1e-12, f"{name} = {row[name]}"
        for name in ("recency_days", "tenure_days", "median_session_minutes", "promo_lift", "total_spent"):
            assert row[name] is None or row[name] >= 0, f"{name} = {row[name]}"
        assert row["purchase_recency_days"] is None or row["purchase_recency_days"] >= row["recency_days"] - 1e-9
        for name in ("brand_hhi_views", "brand_hhi_purchases"):
            assert row[name] is None or 0.0 < row[name] <= 1.0 + 1e-12
        assert 0.0 <= row["category_entropy"] <= math.log2(row["distinct_categories"]) + 1e-9
        assert row["events_per_session"] >= 1.0
        assert row["n_orders"] <= min(row["n_sessions"], row["n_purchases"])
        assert 1 <= row["months_active"] <= row["active_days"]

        # shares sum to 1
        assert sum(row[f"share_{c}"] for c in (*TOP_CATEGORIES, "other")) == pytest.approx(1.0)
        assert sum(row[f"share_{p}"] for p in PARTS_OF_DAY) == pytest.approx(1.0)
        assert row[f"share_{row['top_category']}"] == max(row[f"share_{c}"] for c in (*TOP_CATEGORIES, "other"))

        # RFM exists exactly for buyers
        buyer = kinds["purchase"] > 0
        for name in ("rfm_r", "rfm_f", "rfm_m"):
            assert (row[name] is not None) == buyer
            assert row[name] is None or 1 <= row[name] <= 5
        assert (row["rfm_code"] is not None) == buyer
        assert (row["avg_order_value"] is not None) == buyer

    # the window's last event has recency 0
    assert min(r["recency_days"] for r in rows.values()) == pytest.approx(0.0, abs=1e-9)
    assert {m.name for m in METRICS} <= set(next(iter(rows.values())))
