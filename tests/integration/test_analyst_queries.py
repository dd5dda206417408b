"""Every analyst query on a small segmented graph, checked against DuckDB over the event store."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from graph.queries import bind, library
from tests.support.analyst_world import World

SEGMENT = "Loyal buyers"
CHECKED: set[str] = set()


def run(world: World, name: str, **params):
    CHECKED.add(name)
    query = library()[name]
    return world.db.run(query.catalog_name, **bind(query, {k: str(v) for k, v in params.items()}))


def members(world: World, segment: str = SEGMENT) -> list[int]:
    return sorted(u for u, a in world.current.items() if a.name == segment)


def a_member(world: World) -> int:
    return members(world)[0]


def test_graph_overview(segmented: World) -> None:
    rows = {(r["kind"], r["name"]): r["count"] for r in run(segmented, "graph_overview")}
    con = segmented.duck()
    users, products = con.execute("SELECT count(DISTINCT user_id), count(DISTINCT product_id) FROM events").fetchone()
    pairs = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT user_id, product_id FROM events WHERE event_type = 'purchase')"
    ).fetchone()[0]
    assert rows[("node", "User")] == users and rows[("node", "Product")] == products
    assert rows[("relationship", "PURCHASED")] == pairs
    assert rows[("relationship", "IN_SEGMENT")] == users


def test_segment_sizes(segmented: World) -> None:
    got = {r["segment"]: r for r in run(segmented, "segment_sizes")}
    expected = (
        segmented.duck()
        .execute("""
        SELECT s.segment, count(*) AS customers, count(b.user_id) AS buyers, coalesce(sum(b.spent), 0) AS revenue
        FROM seg s LEFT JOIN (SELECT user_id, sum(price) AS spent FROM events WHERE event_type = 'purchase'
                              GROUP BY user_id) b USING (user_id)
        GROUP BY s.segment""")
        .fetchall()
    )
    total_revenue = sum(e[3] for e in expected)
    assert set(got) == {e[0] for e in expected}
    for name, customers, buyers, revenue in expected:
        row = got[name]
        assert (row["customers"], row["buyers"]) == (customers, buyers), name
        assert row["revenue"] == pytest.approx(revenue)
        assert row["conversion"] == pytest.approx(buyers / customers)
        assert row["share"] == pytest.approx(customers / len(segmented.current))
        assert row["revenue_share"] == pytest.approx(revenue / total_revenue)


def test_segment_profile(segmented: World) -> None:
    [row] = run(segmented, "segment_profile", segment=SEGMENT)
    customers, revenue, avg_events = (
        segmented.duck()
        .execute(
            """
        SELECT count(DISTINCT s.user_id), sum(CASE WHEN e.event_type = 'purchase' THEN e.price END),
               count(*) / count(DISTINCT s.user_id)
        FROM seg s JOIN events e USING (user_id) WHERE s.segment = ?""",
            [SEGMENT],
        )
        .fetchone()
    )
    assert row["customers"] == customers and row["buyers"] == customers  # every loyal buyer bought
    assert row["revenue"] == pytest.approx(revenue)
    assert row["avg_total_spent"] == pytest.approx(revenue / customers)
    assert row["avg_n_events"] == pytest.approx(avg_events)
    assert row["description"] == f"fixture segment {SEGMENT}" and row["traits"] == ["rule segment 1"]
    assert run(segmented, "segment_profile", segment="Acheteurs fidèles")[0]["customers"] == customers


def test_customer_segment(segmented: World) -> None:
    user = a_member(segmented)
    rows = {r["metric"]: r for r in run(segmented, "customer_segment", user_id=user)}
    con = segmented.duck()
    n_events, spent = con.execute(
        "SELECT count(*), sum(CASE WHEN event_type = 'purchase' THEN price END) FROM events WHERE user_id = ?", [user]
    ).fetchone()
    seg_events, seg_spent = con.execute(
        """
        SELECT avg(n), avg(spent) FROM (SELECT s.user_id, count(*) AS n,
               coalesce(sum(CASE WHEN e.event_type = 'purchase' THEN e.price END), 0) AS spent
        FROM seg s JOIN events e USING (user_id) WHERE s.segment = ? GROUP BY s.user_id)""",
        [SEGMENT],
    ).fetchone()
    assert rows["n_events"]["segment"] == SEGMENT
    assert rows["n_events"]["confidence"] == pytest.approx(segmented.current[user].confidence)
    assert rows["n_events"]["customer"] == n_events and rows["n_events"]["segment_avg"] == pytest.approx(seg_events)
    assert rows["total_spent"]["customer"] == pytest.approx(spent)
    assert rows["total_spent"]["segment_avg"] == pytest.approx(seg_spent)
    assert rows["n_events"]["ratio"] == pytest.approx(n_events / seg_events)


def test_segment_customers_filtered_by_value(segmented: World) -> None:
    rows = run(segmented, "segment_customers", segment=SEGMENT, max_recency_days=10_000, min_spent=300, limit=1000)
    expected = (
        segmented.duck()
        .execute(
            """
        SELECT s.user_id, sum(e.price) AS spent FROM seg s JOIN events e USING (user_id)
        WHERE s.segment = ? AND e.event_type = 'purchase' GROUP BY s.user_id HAVING sum(e.price) >= 300
        ORDER BY spent DESC""",
            [SEGMENT],
        )
        .fetchall()
    )
    assert {r["user_id"] for r in rows} == {e[0] for e in expected} and expected
    assert [r["total_spent"] for r in rows] == pytest.approx([e[1] for e in expected])
    recent = run(segmented, "segment_customers", segment=SEGMENT, max_recency_days=5, limit=1000)
    end = segmented.duck().execute("SELECT max(event_time) FROM events").fetchone()[0]
    last = dict(
        segmented.duck()
        .execute(
            "SELECT user_id, max(event_time) FROM events WHERE user_id IN (SELECT user_id FROM seg WHERE segment = ?) "
            "GROUP BY user_id",
            [SEGMENT],
        )
        .fetchall()
    )
    assert {r["user_id"] for r in recent} == {u for u, t in last.items() if (end - t) <= dt.timedelta(days=5)}


def test_segment_customers_the_index_and_the_member_scan_agree(segmented: World) -> None:
    """Once the User copy is done the members come through user_segment_spent, during a copy through IN_SEGMENT:
    both give the same rows."""
    import cypher

    scan = cypher.query("analyst/segment_customers")
    run = "MATCH (p:CurrentSegmentation) MATCH (r:SegmentationRun {run_id: p.run_id}) "
    assert segmented.db.run_text(run + "RETURN r.user_copy AS c") == [{"c": "done"}]
    with segmented.db.driver.session() as session:
        plan = session.run("EXPLAIN " + scan, segment=SEGMENT, max_recency_days=1.0, min_spent=0.0, limit=5).consume()
    assert "segment_run, segment_id, total_spent" in str(plan.plan)
    cases = (
        {"max_recency_days": 10_000.0, "min_spent": 300.0, "limit": 1000},
        {"max_recency_days": 5.0, "min_spent": 0.0, "limit": 1000},
        {"max_recency_days": 10_000.0, "min_spent": 0.0, "limit": 7},
    )
    indexed = [segmented.db.run_text(scan, {"segment": SEGMENT, **p}) for p in cases]
    segmented.db.run_text(run + "SET r.user_copy = 'refreshing'")  # as while a User copy runs
    try:
        for params, found in zip(cases, indexed, strict=True):
            bound = {"segment": SEGMENT, **params}
            assert found == segmented.db.run_text(scan, bound) and found
    finally:
        segmented.db.run_text(run + "SET r.user_copy = 'done'")


LIFT_SQL = """
    WITH pairs AS (SELECT DISTINCT user_id, product_id FROM events WHERE event_type = 'purchase'),
         products AS (SELECT product_id, any_value(category_id) AS category_id, any_value(brand) AS brand
                      FROM events GROUP BY product_id),
         seg_pairs AS (SELECT p.* FROM pairs p JOIN seg s USING (user_id) WHERE s.segment = $segment)
    """


def test_segment_top_products(segmented: World) -> None:
    rows = run(segmented, "segment_top_products", segment=SEGMENT, min_buyers=2, limit=500)
    expected = (
        segmented.duck()
        .execute(
            LIFT_SQL
            + """
        SELECT product_id, count(*) AS buyers,
               (count(*) / (SELECT count(DISTINCT user_id) FROM seg_pairs))
               / (any_value(all_n) / (SELECT count(DISTINCT user_id) FROM pairs)) AS lift
        FROM seg_pairs JOIN (SELECT product_id, count(*) AS all_n FROM pairs GROUP BY product_id) USING (product_id)
        GROUP BY product_id HAVING count(*) >= 2 ORDER BY lift DESC, buyers DESC, product_id""",
            {"segment": SEGMENT},
        )
        .fetchall()
    )
    assert [(r["product_id"], r["buyers"]) for r in rows] == [(e[0], e[1]) for e in expected] and expected
    assert [r["lift"] for r in rows] == pytest.approx([e[2] for e in expected])


@pytest.mark.parametrize(
    ("name", "column", "key"),
    [("segment_top_categories", "category_id", "category_id"), ("segment_top_brands", "brand", "brand")],
)
def test_segment_top_categories_and_brands(segmented: World, name: str, column: str, key: str) -> None:
    rows = run(segmented, name, segment=SEGMENT, min_purchases=1, limit=500)
    expected = (
        segmented.duck()
        .execute(
            LIFT_SQL
            + f"""
        , seg_n AS (SELECT {column} AS k, count(*) AS n FROM seg_pairs JOIN products USING (product_id) GROUP BY 1),
          all_n AS (SELECT {column} AS k, count(*) AS n FROM pairs JOIN products USING (product_id) GROUP BY 1)
        SELECT seg_n.k, seg_n.n, (seg_n.n / (SELECT count(*) FROM seg_pairs)) / (all_n.n / (SELECT count(*) FROM pairs))
        FROM seg_n JOIN all_n USING (k) WHERE seg_n.k IS NOT NULL""",
            {"segment": SEGMENT},
        )
        .fetchall()
    )
    got = {r[key]: (r["purchases"], r["lift"]) for r in rows}
    assert set(got) == {e[0] for e in expected} and expected
    for k, n, lift in expected:
        assert got[k][0] == n and got[k][1] == pytest.approx(lift), k
    assert [r["lift"] for r in rows] == sorted((r["lift"] for r in rows), reverse=True)


def test_segment_bought_together(segmented: World) -> None:
    rows = run(segmented, "segment_bought_together", segment=SEGMENT, min_customers=2, limit=1000)
    expected = (
        segmented.duck()
        .execute(
            """
        WITH p AS (SELECT DISTINCT e.user_id, e.product_id FROM events e JOIN seg s USING (user_id)
                   WHERE s.segment = $segment AND e.event_type = 'purchase')
        SELECT a.product_id, b.product_id, count(*) FROM p a JOIN p b ON a.user_id = b.user_id
        AND a.product_id < b.product_id GROUP BY 1, 2 HAVING count(*) >= 2""",
            {"segment": SEGMENT},
        )
        .fetchall()
    )
    assert {(r["product_a"], r["product_b"]): r["customers"] for r in rows} == {(a, b): n for a, b, n in expected}
    assert expected


def test_segment_migration(segmented: World) -> None:
    rows = run(segmented, "segment_migration")
    expected = (
        segmented.duck()
        .execute("SELECT p.segment, s.segment, count(*) FROM prev p JOIN seg s USING (user_id) GROUP BY 1, 2")
        .fetchall()
    )
    assert {(r["from_segment"], r["to_segment"]): r["customers"] for r in rows} == {(a, b): n for a, b, n in expected}
    buyers_total = sum(n for a, _, n in expected if a == "Buyers")
    assert sum(r["share_of_from"] for r in rows if r["from_segment"] == "Buyers") == pytest.approx(1.0)
    assert buyers_total > 0


def test_cart_abandoners(segmented: World) -> None:
    rows = run(segmented, "cart_abandoners", since="2019-11-15", limit=10_000)
    expected = (
        segmented.duck()
        .execute("""
        WITH c AS (SELECT user_id, product_id, max(event_time) AS at FROM events
                   WHERE event_type = 'cart' GROUP BY 1, 2),
             b AS (SELECT user_id, product_id, max(event_time) AS at FROM events
                   WHERE event_type = 'purchase' GROUP BY 1, 2)
        SELECT c.user_id, list(c.product_id ORDER BY c.product_id) FROM c LEFT JOIN b USING (user_id, product_id)
        WHERE c.at >= TIMESTAMP '2019-11-15' AND (b.at IS NULL OR b.at < c.at) GROUP BY c.user_id""")
        .fetchall()
    )
    assert {r["user_id"]: r["products"] for r in rows} == {u: list(p) for u, p in expected} and expected
    only = run(segmented, "cart_abandoners", since="2019-11-15", segment=SEGMENT, limit=10_000)
    assert {r["user_id"] for r in only} == {u for u, _ in expected if segmented.current[u].name == SEGMENT}


def _feature_filter(world: World, where: str) -> set[int]:
    return {u for (u,) in world.duck().execute(f"SELECT user_id FROM feat WHERE {where}").fetchall()}


def test_price_sensitive(segmented: World) -> None:
    rows = run(segmented, "price_sensitive", min_bargain_share=0.5, limit=10_000)
    expected = _feature_filter(segmented, "below_median_purchase_share >= 0.5 AND n_orders >= 1")
    assert {r["user_id"] for r in rows} == expected and expected
    # independently from the events: every one of them bought something
    buyers = {
        u
        for (u,) in segmented.duck()
        .execute("SELECT DISTINCT user_id FROM events WHERE event_type = 'purchase'")
        .fetchall()
    }
    assert expected <= buyers


def test_holiday_shoppers(segmented: World) -> None:
    rows = run(segmented, "holiday_shoppers", min_promo_lift=1.2, min_orders=1, limit=10_000)
    expected = _feature_filter(segmented, "promo_lift >= 1.2 AND n_orders >= 1")
    assert {r["user_id"] for r in rows} == expected and expected
    assert [r["promo_lift"] for r in rows] == sorted((r["promo_lift"] for r in rows), reverse=True)


def test_lapsing_high_value(segmented: World) -> None:
    rows = run(segmented, "lapsing_high_value", min_rfm_m=3, min_recency_days=20, limit=10_000)
    con = segmented.duck()
    end = con.execute("SELECT max(event_time) FROM events").fetchone()[0]
    quiet = {
        u
        for u, t in con.execute("SELECT user_id, max(event_time) FROM events GROUP BY 1").fetchall()
        if (end - t).total_seconds() >= 20 * 86400
    }
    expected = _feature_filter(segmented, "rfm_m >= 3") & quiet
    assert {r["user_id"] for r in rows} == expected and expected


def test_similar_customers(segmented: World) -> None:
    user = a_member(segmented)
    rows = run(segmented, "similar_customers", user_id=user, k=5)
    ids = np.array(sorted(segmented.vectors))
    matrix = np.stack([segmented.vectors[i] for i in ids])
    target = segmented.vectors[user]
    cosine = matrix @ target / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(target))
    order = [int(i) for i in ids[np.argsort(-cosine)] if i != user]
    by_id = dict(zip(ids.tolist(), cosine.tolist(), strict=True))
    # the vector index is approximate (HNSW): the nearest ones exact, the rest among the nearest few
    assert [r["user_id"] for r in rows][:3] == order[:3] and len(rows) == 5
    assert {r["user_id"] for r in rows} <= set(order[:8])
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= 1
    for r in rows:  # Neo4j's cosine score is (1 + cosine) / 2 (exact: the index is not quantized)
        assert r["score"] == pytest.approx((1 + by_id[r["user_id"]]) / 2, abs=1e-4)
    assert user not in {r["user_id"] for r in rows}


def test_customer_purchases(segmented: World) -> None:
    user = a_member(segmented)
    rows = run(segmented, "customer_purchases", user_id=user)
    expected = (
        segmented.duck()
        .execute(
            "SELECT product_id, count(*), sum(price) FROM events WHERE user_id = ? "
            "AND event_type = 'purchase' GROUP BY 1",
            [user],
        )
        .fetchall()
    )
    assert {r["product_id"]: (r["purchases"], pytest.approx(r["amount"])) for r in rows} == {
        p: (n, pytest.approx(a)) for p, n, a in expected
    }


def test_segment_rfm_cells(segmented: World) -> None:
    rows = run(segmented, "segment_rfm_cells", segment=SEGMENT)
    expected = (
        segmented.duck()
        .execute(
            "SELECT f.rfm_code, count(*) FROM feat f JOIN seg s USING (user_id) WHERE s.segment = ? GROUP BY 1",
            [SEGMENT],
        )
        .fetchall()
    )
    assert {r["rfm_code"]: r["customers"] for r in rows} == dict(expected)
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)


def test_segments_by_top_category(segmented: World) -> None:
    rows = run(segmented, "segments_by_top_category")
    expected = (
        segmented.duck()
        .execute("SELECT s.segment, f.top_category, count(*) FROM feat f JOIN seg s USING (user_id) GROUP BY 1, 2")
        .fetchall()
    )
    assert {(r["segment"], r["top_category"]): r["customers"] for r in rows} == {(a, b): n for a, b, n in expected}


def test_every_library_query_is_checked_here() -> None:
    """Runs last in this module: a new query without a check fails the suite."""
    assert set(library()) == CHECKED
