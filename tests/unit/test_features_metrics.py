"""Each per-user metric against values computed by hand on a tiny event set (features/compute.py)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from events.store import connect_events
from features.calendar import Calendar
from features.compute import build_user_features, compute_features
from features.registry import KEY, METRICS, TOP_CATEGORIES
from shopgraph.workspace import Workspace
from tests.support.features_case import CALENDAR, EVENTS
from tests.support.features_store import ev, write_events

# category medians of the products' mean prices: phone median(105, 200) = 152.5, kettle 50, no-code 30
PHONE_MEDIAN = 152.5


def _entropy(*counts: int) -> float:
    total = sum(counts)
    return -sum(c / total * math.log2(c / total) for c in counts)


def _shares(**given: float) -> dict[str, float]:
    return {f"share_{c}": given.get(c, 0.0) for c in (*TOP_CATEGORIES, "other")}


EXPECTED = {
    1: {
        "n_events": 12,
        "n_views": 5,
        "n_carts": 3,
        "n_removes": 1,
        "n_sessions": 4,
        "active_days": 4,
        "months_active": 2,
        "first_seen": dt.datetime(2019, 10, 5, 8),
        "last_seen": dt.datetime(2019, 11, 30, 13),
        "tenure_days": 56 + 5 / 24,
        "recency_days": 0.0,
        "events_per_session": 3.0,
        "median_session_minutes": 20.0,  # durations 30, 40, 10, 0
        "median_session_gap_hours": 60.0,  # gaps 60, 1254, 35
        "view_to_cart_rate": 3 / 4,
        "cart_to_purchase_rate": 2 / 3,
        "cart_abandonment_rate": 1 / 3,
        "remove_from_cart_rate": 1 / 3,
        "purchase_rate": 2 / 4,
        "n_purchases": 3,
        "n_orders": 2,
        "total_spent": 300.0,
        "avg_order_value": 150.0,
        "items_per_order": 1.5,
        "purchase_recency_days": (34 + 50 / 60) / 24,
        "rfm_r": 5,
        "rfm_f": 1,
        "rfm_m": 5,
        "rfm_code": "515",
        "mean_price_viewed": 116.0,
        "mean_price_bought": 150.0,
        "price_index_viewed": (500 / PHONE_MEDIAN + 2) / 5,
        "price_index_bought": (300 / PHONE_MEDIAN) / 2,
        "below_median_purchase_share": 0.5,
        "distinct_products": 4,
        "distinct_categories": 3,
        "distinct_brands": 3,
        "category_entropy": _entropy(7, 3, 2),
        **_shares(electronics=7 / 12, appliances=3 / 12, other=2 / 12),
        "top_category": "electronics",
        "brand_hhi_views": 6 / 16,
        "brand_hhi_purchases": 0.5,
        "share_night": 4 / 12,
        "share_morning": 4 / 12,
        "share_afternoon": 1 / 12,
        "share_evening": 3 / 12,
        "weekend_share": 5 / 12,
        "promo_share": 5 / 12,
        "promo_lift": (5 / 3) / (12 / 57),  # 5 events on 3 sale days vs 12 events over 57 days
        "preferred_month": 10,
    },
    2: {
        "n_events": 1,
        "n_views": 1,
        "n_carts": 0,
        "n_removes": 0,
        "n_sessions": 1,
        "active_days": 1,
        "months_active": 1,
        "first_seen": dt.datetime(2019, 10, 10, 12),
        "last_seen": dt.datetime(2019, 10, 10, 12),
        "tenure_days": 0.0,
        "recency_days": 51 + 1 / 24,
        "events_per_session": 1.0,
        "median_session_minutes": 0.0,
        "median_session_gap_hours": None,
        "view_to_cart_rate": 0.0,
        "cart_to_purchase_rate": None,
        "cart_abandonment_rate": None,
        "remove_from_cart_rate": None,
        "purchase_rate": 0.0,
        "n_purchases": 0,
        "n_orders": 0,
        "total_spent": 0.0,
        "avg_order_value": None,
        "items_per_order": None,
        "purchase_recency_days": None,
        "rfm_r": None,
        "rfm_f": None,
        "rfm_m": None,
        "rfm_code": None,
        "mean_price_viewed": None,
        "mean_price_bought": None,
        "price_index_viewed": None,
        "price_index_bought": None,
        "below_median_purchase_share": None,
        "distinct_products": 1,
        "distinct_categories": 1,
        "distinct_brands": 0,
        "category_entropy": 0.0,
        **_shares(other=1.0),
        "top_category": "other",
        "brand_hhi_views": None,
        "brand_hhi_purchases": None,
        "share_night": 0.0,
        "share_morning": 0.0,
        "share_afternoon": 1.0,
        "share_evening": 0.0,
        "weekend_share": 0.0,
        "promo_share": 0.0,
        "promo_lift": None,
        "preferred_month": 10,
    },
    3: {
        "n_events": 3,
        "n_views": 1,
        "n_carts": 0,
        "n_removes": 0,
        "n_sessions": 2,
        "active_days": 2,
        "months_active": 1,
        "first_seen": dt.datetime(2019, 10, 20, 10),
        "last_seen": dt.datetime(2019, 10, 21, 10),
        "tenure_days": 1.0,
        "recency_days": 40 + 3 / 24,
        "events_per_session": 1.5,
        "median_session_minutes": 0.5,
        "median_session_gap_hours": 24.0,
        "view_to_cart_rate": 0.0,
        "cart_to_purchase_rate": None,
        "cart_abandonment_rate": None,
        "remove_from_cart_rate": None,
        "purchase_rate": 1.0,
        "n_purchases": 2,
        "n_orders": 2,
        "total_spent": 220.0,
        "avg_order_value": 110.0,
        "items_per_order": 1.0,
        "purchase_recency_days": 40 + 3 / 24,
        "rfm_r": 1,
        "rfm_f": 1,
        "rfm_m": 1,
        "rfm_code": "111",
        "mean_price_viewed": 110.0,
        "mean_price_bought": 110.0,
        "price_index_viewed": 110 / PHONE_MEDIAN,
        "price_index_bought": 110 / PHONE_MEDIAN,
        "below_median_purchase_share": 1.0,
        "distinct_products": 1,
        "distinct_categories": 1,
        "distinct_brands": 1,
        "category_entropy": 0.0,
        **_shares(electronics=1.0),
        "top_category": "electronics",
        "brand_hhi_views": 1.0,
        "brand_hhi_purchases": 1.0,
        "share_night": 0.0,
        "share_morning": 1.0,
        "share_afternoon": 0.0,
        "share_evening": 0.0,
        "weekend_share": 2 / 3,
        "promo_share": 0.0,
        "promo_lift": None,
        "preferred_month": 10,
    },
}


@pytest.fixture(scope="module")
def feature_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The hand-built events (in two Parquet parts per month) and their feature table, built once."""
    workspace = Workspace(tmp_path_factory.mktemp("features-home"))
    write_events(workspace, EVENTS, parts=2)
    build_user_features(workspace, CALENDAR)
    return workspace


@pytest.fixture(scope="module")
def feature_rows(feature_workspace: Workspace) -> dict[int, dict]:
    path = feature_workspace.features_dir / "user_features.parquet"
    return {row[KEY]: row for row in pq.read_table(path).to_pylist()}


def test_expected_values_cover_every_metric() -> None:
    for user, expected in EXPECTED.items():
        assert set(expected) == {m.name for m in METRICS}, f"user {user}"


@pytest.mark.parametrize("metric", [m.name for m in METRICS])
def test_metric_matches_the_hand_computed_value(feature_rows: dict[int, dict], metric: str) -> None:
    for user, expected in EXPECTED.items():
        got, want = feature_rows[user][metric], expected[metric]
        if isinstance(want, float):
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12), f"user {user}: {metric} = {got}, expected {want}"
        else:
            assert got == want, f"user {user}: {metric} = {got!r}, expected {want!r}"


def test_table_has_the_registry_columns_in_order_and_one_row_per_user(feature_rows, feature_workspace) -> None:
    path = feature_workspace.features_dir / "user_features.parquet"
    schema = pq.read_schema(path)
    assert schema.names == [KEY, *(m.name for m in METRICS)]
    assert sorted(feature_rows) == [1, 2, 3]


def _compute(workspace: Workspace, events: list[dict], calendar: Calendar = CALENDAR) -> dict[int, dict]:
    write_events(workspace, events)
    con = connect_events(workspace, con=duckdb.connect())
    compute_features(con, calendar)
    cur = con.execute("SELECT * FROM user_features")
    cols = [d[0] for d in cur.description]
    return {row[0]: dict(zip(cols, row, strict=True)) for row in cur.fetchall()}


def test_part_of_day_bins_are_inclusive_hours(workspace: Workspace) -> None:
    times = ["05:59:59", "06:00", "11:59:59", "12:00", "17:59:59", "18:00", "23:59:59", "00:00"]
    rows = _compute(workspace, [ev(f"2019-10-01 {t}", user_session=f"s{i}") for i, t in enumerate(times)])
    u = rows[1]
    assert (u["share_night"], u["share_morning"], u["share_afternoon"], u["share_evening"]) == (0.25,) * 4


def test_preferred_month_tie_goes_to_the_month_reached_first(workspace: Workspace) -> None:
    rows = _compute(
        workspace, [ev("2019-11-02 10:00"), ev("2019-11-03 10:00"), ev("2019-10-01 10:00"), ev("2019-10-05 10:00")]
    )
    assert rows[1]["preferred_month"] == 10


def test_top_category_tie_goes_to_the_first_in_column_order(workspace: Workspace) -> None:
    rows = _compute(
        workspace,
        [
            ev("2019-10-01 10:00", category_id=1, category_code="sport.bicycle"),
            ev("2019-10-01 10:01", category_id=2, category_code="kids.toys"),
            ev("2019-10-01 10:02", category_id=3, category_code=None),
        ],
    )
    assert rows[1]["top_category"] == "kids"  # kids precedes sport; other comes last


def test_rfm_quintiles_spread_five_buyers_over_scores_1_to_5(workspace: Workspace) -> None:
    events = []
    for user in range(1, 6):  # user k buys k items in k orders, the last on day k
        for order in range(user):
            events.append(
                ev(
                    f"2019-10-0{user} 1{order}:00",
                    user_id=user,
                    user_session=f"u{user}o{order}",
                    event_type="purchase",
                    price=10.0,
                )
            )
    rows = _compute(workspace, events)
    assert [rows[u]["rfm_code"] for u in range(1, 6)] == ["111", "222", "333", "444", "555"]


def test_promo_lift_is_null_without_a_promotion_day_in_the_span(workspace: Workspace) -> None:
    rows = _compute(workspace, [ev("2019-11-27 10:00"), ev("2019-11-28 10:00", user_id=2)])
    assert rows[1]["promo_lift"] is None and rows[1]["promo_share"] == 0.0
    assert rows[2]["promo_lift"] == pytest.approx(1.0) and rows[2]["promo_share"] == 1.0


def test_sidecar_records_window_calendar_version_and_rows(workspace: Workspace) -> None:
    import json

    write_events(workspace, EVENTS)
    table = build_user_features(workspace, CALENDAR)
    record = json.loads(Path(table.sidecar).read_text())
    assert record["rows"] == 3
    assert record["data_window"] == {
        "start": "2019-10-05T08:00:00",
        "end": "2019-11-30T13:00:00",
        "months": ["2019-10", "2019-11"],
    }
    assert record["calendar"]["periods"][0]["name"] == "test sale"
    from shopgraph.version import code_version

    assert record["code_version"] == code_version()  # the same stamp as the ingest manifest
    assert not list(workspace.features_dir.glob(".*tmp*")), "temporary files left behind"
