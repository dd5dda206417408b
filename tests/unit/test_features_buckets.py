"""User buckets do not change any metric (features/compute.py): B = 1 and B > 1 give the same table."""

from __future__ import annotations

import itertools
import random

import duckdb
import pyarrow.parquet as pq
import pytest

from events.store import connect_events
from features.calendar import load_calendar
from features.compute import bucket_count, build_user_features, compute_features, user_buckets
from features.registry import KEY
from shopgraph.workspace import Workspace
from tests.support.features_case import CALENDAR, EVENTS
from tests.support.features_store import ev, write_events


def _table(workspace: Workspace, buckets: int) -> list[dict]:
    table = build_user_features(workspace, CALENDAR, buckets=buckets)
    assert table.buckets == buckets
    return pq.read_table(table.path).to_pylist()


def test_hand_built_store_in_three_buckets_equals_one_bucket(workspace: Workspace) -> None:
    write_events(workspace, EVENTS, parts=2)
    one, three = _table(workspace, 1), _table(workspace, 3)
    assert [r[KEY] for r in three] == [1, 2, 3]  # one user per bucket
    assert_same_table(three, one)


def assert_same_table(got_rows: list[dict], want_rows: list[dict]) -> None:
    """Equal row by row, bit for bit: the sums of prices are exact, so the order DuckDB's threads
    add rows in changes no digit (shopgraph.sqltext.exact_sum)."""
    assert len(got_rows) == len(want_rows)
    for got, want in zip(got_rows, want_rows, strict=True):
        for name, value in want.items():
            assert got[name] == value, (got[KEY], name, got[name], value)


def test_the_same_events_in_another_order_give_the_same_table_bit_for_bit(workspace: Workspace) -> None:
    # 0.1 + 0.2 + 0.7 is 1.0 added one way and 0.9999999999999999 the other: a float sum in
    # file order would differ between the two stores on one thread
    prices = [0.1, 0.2, 0.7, 0.3, 0.6]
    events = [
        ev(f"2019-10-0{day} 12:00", user_id=7, event_type=kind, product_id=day, price=price, category_id=10 + day % 2)
        for day, price in enumerate(prices, start=1)
        for kind in ("view", "purchase")
    ] + [ev(f"2019-10-0{d} 13:00", user_id=8, product_id=d, price=p) for d, p in enumerate(prices, start=1)]
    assert sum(prices[:3]) != sum(reversed(prices[:3]))
    tables = []
    for order in (events, events[::-1]):
        write_events(workspace, order)
        table = build_user_features(workspace, CALENDAR, buckets=1, threads=1)
        tables.append(pq.read_table(table.path).to_pylist())
    assert tables[0][0]["total_spent"] == 1.9
    assert tables[0][1]["category_entropy"] == 0.0  # user 8 saw one category: exactly 0, not 4.4e-16
    assert_same_table(tables[1], tables[0])


def test_absurd_prices_that_validation_lets_through_still_give_a_table(workspace: Workspace) -> None:
    # finite and >= 0, so ingested; as fixed-point terms they would overflow: they are added as floats
    events = [
        ev("2019-10-01 10:00", user_id=1, event_type="purchase", product_id=1, price=1e300),
        ev("2019-10-01 10:05", user_id=1, event_type="purchase", product_id=2, price=2.5),
        ev("2019-10-01 11:00", user_id=2, event_type="purchase", product_id=3, price=5e-324),
        ev("2019-10-01 11:05", user_id=2, event_type="view", product_id=4, price=1e20),
    ]
    write_events(workspace, events)
    rows = _table(workspace, 1)
    assert rows[0]["total_spent"] == 1e300 and rows[0]["mean_price_bought"] == 5e299
    assert rows[1]["total_spent"] == 0.0  # 5e-324 rounds to 0 at 12 decimals
    assert rows[1]["mean_price_viewed"] == 1e20


def _random_events(seed: int, users: int = 60, events: int = 1500) -> list[dict]:
    """Events of users with spread-out 63-bit ids (as the pseudonyms are), ties in spend and order counts."""
    rng = random.Random(seed)
    ids = sorted({rng.randrange(-(2**63), 2**63) for _ in range(users)})
    kinds = ["view"] * 12 + ["cart"] * 3 + ["remove_from_cart"] + ["purchase"] * 3
    rows = []
    for _ in range(events):
        user = rng.choice(ids)
        product = rng.randrange(1, 40)
        day = rng.randrange(1, 28)
        month = rng.choice(["2019-10", "2019-11", "2019-12"])
        rows.append(
            ev(
                f"{month}-{day:02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}",
                user_id=user,
                event_type=rng.choice(kinds),
                product_id=product,
                category_id=100 + product % 7,
                category_code=rng.choice([None, "electronics.phone", "kids.toys", "auto.parts"]),
                brand=rng.choice([None, "a", "b", "c"]),
                price=rng.choice([0.0, 10.0, 20.0, 35.5]),
                user_session=rng.choice([None, f"s{user % 97}-{rng.randrange(4)}"]),
            )
        )
    return rows


@pytest.mark.parametrize("buckets", [2, 5, 13])
def test_random_store_gives_the_same_table_in_any_number_of_buckets(workspace: Workspace, buckets: int) -> None:
    write_events(workspace, _random_events(seed=buckets), parts=3)
    one, many = _table(workspace, 1), _table(workspace, buckets)
    assert [r[KEY] for r in many] == sorted(r[KEY] for r in many), "rows not in user_id order"
    assert_same_table(many, one)


def test_rfm_scores_equal_the_percent_rank_quintiles_among_all_buyers(workspace: Workspace) -> None:
    """The cut-based scores equal the plain percent_rank definition of the registry, with ties."""
    write_events(workspace, _random_events(seed=7, users=200, events=4000))
    con = connect_events(workspace, con=duckdb.connect())
    compute_features(con, load_calendar(), buckets=4)
    quintile = "least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY {})))::INTEGER"
    differing = con.execute(f"""
        WITH buyers AS (
            SELECT user_id, rfm_r, rfm_f, rfm_m,
                   {quintile.format("last_seen_purchase")} AS r,
                   {quintile.format("n_orders")} AS f,
                   {quintile.format("total_spent")} AS m
            FROM user_features
            JOIN (SELECT user_id, max(event_time) AS last_seen_purchase FROM events
                  WHERE event_type = 'purchase' GROUP BY user_id) p USING (user_id)
        )
        SELECT count(*) FILTER (WHERE (r, f, m) IS DISTINCT FROM (rfm_r, rfm_f, rfm_m)), count(*),
               count(DISTINCT rfm_r) + count(DISTINCT rfm_f) + count(DISTINCT rfm_m)
        FROM buyers
    """).fetchone()
    assert differing[0] == 0 and differing[1] > 20 and differing[2] > 12
    assert (
        con.execute("SELECT count(*) FROM user_features WHERE n_purchases = 0 AND rfm_code IS NOT NULL").fetchone()[0]
        == 0
    )


def test_buckets_are_contiguous_ascending_and_cover_every_id() -> None:
    for first, last, b in [(1, 3, 3), (-(2**63), 2**63 - 1, 9), (5, 5, 4), (0, 100, 7)]:
        ranges = user_buckets(first, last, b)
        assert ranges[0][0] == first and ranges[-1][1] == last
        assert all(hi + 1 == lo for (_, hi), (lo, _) in itertools.pairwise(ranges))
        assert all(lo <= hi for lo, hi in ranges)
        assert len(ranges) == min(b, last - first + 1)


def test_bucket_count_grows_with_events_at_a_fixed_memory_limit() -> None:
    limit = 6 * 1000**3
    assert bucket_count(1_000, limit) == 1
    small, full = bucket_count(10_000_000, limit), bucket_count(411_000_000, limit)
    assert small >= 1 and full >= small
    # the same events per byte give the same bucket count (the spill check's premise)
    assert bucket_count(10_000_000, int(limit * 10 / 411)) == pytest.approx(full, abs=1)
