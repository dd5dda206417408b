"""Recommendations, audience exports (consent, erasure, k-anonymity) and user vectors on a small segmented graph."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from events.pseudonym import pseudonym
from graph.audience import export_profiles, export_segment
from graph.recommend import Recommender
from graph.vectors import write_user_vectors
from tests.support.analyst_world import PSEUDONYM_KEY, World, write_fake_vectors, write_vectors

SEGMENT = "Loyal buyers"
runner = CliRunner()


def read_rows(path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def purchased(world: World) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for user, product in (
        world.duck().execute("SELECT DISTINCT user_id, product_id FROM events WHERE event_type = 'purchase'").fetchall()
    ):
        out.setdefault(user, set()).add(product)
    return out


def raw_ids(world: World) -> dict[int, int]:
    """pseudonym → the shop's raw id, from the synthetic month files."""
    raws = (
        duckdb.connect()
        .execute(f"SELECT DISTINCT user_id FROM read_csv('{world.synth_dir}/*.csv.gz', all_varchar = true)")
        .fetchall()
    )
    key = PSEUDONYM_KEY.encode()
    return {pseudonym(int(r), key): int(r) for (r,) in raws}


def test_query_command_prints_and_writes_csv(segmented: World, tmp_path) -> None:
    out = tmp_path / "top.csv"
    result = runner.invoke(
        app,
        [
            "query",
            "segment_top_products",
            "--param",
            f"segment={SEGMENT}",
            "--param",
            "min_buyers=2",
            "--csv",
            str(out),
        ],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    expected = segmented.db.run("analyst/segment_top_products", segment=SEGMENT, min_buyers=2, limit=20)
    rows = read_rows(out)
    assert [int(r["product_id"]) for r in rows] == [r["product_id"] for r in expected] and rows
    assert str(expected[0]["product_id"]) in result.output and f"{len(expected)} row(s)" in result.output
    dated = runner.invoke(app, ["query", "cart_abandoners", "--param", "since=2019-12-01", "--param", "limit=3"])
    assert dated.exit_code == 0 and "3 row(s)" in dated.output
    negative = runner.invoke(app, ["query", "cart_abandoners", "--param", "limit=-1"], env={"COLUMNS": "250"})
    assert negative.exit_code == 1
    assert negative.output.strip().startswith("error: query cart_abandoners (") and "Traceback" not in negative.output
    assert "Neo4j refused it: LIMIT" in negative.output and len(negative.output.strip().splitlines()) == 1


def test_segment_scores_follow_the_documented_definition(segmented: World) -> None:
    rows = segmented.db.run("recommend/segment_scores", segment_id=1, half_life_days=30.0, min_buyers=2, limit=1000)
    expected = (
        segmented.duck()
        .execute("""
        WITH pairs AS (SELECT user_id, product_id, max(event_time) AS last_at FROM events
                       WHERE event_type = 'purchase' GROUP BY 1, 2),
             sp AS (SELECT p.* FROM pairs p JOIN seg s USING (user_id) WHERE s.segment_id = 1),
             ref AS (SELECT max(last_at) AS ref FROM sp),
             agg AS (SELECT product_id, count(*) AS buyers,
                            sum(pow(2, -epoch(ref.ref - last_at) / 86400.0 / 30.0)) AS weight FROM sp, ref GROUP BY 1)
        SELECT product_id, weight * ((buyers / (SELECT count(DISTINCT user_id) FROM sp))
               / ((SELECT count(*) FROM pairs q WHERE q.product_id = agg.product_id)
                  / (SELECT count(DISTINCT user_id) FROM pairs))) AS score
        FROM agg WHERE buyers >= 2 AND product_id NOT IN (  -- never a product whose latest price is 0 or missing
            SELECT product_id FROM events GROUP BY 1 HAVING coalesce(arg_max(price, (event_time, price)), 0) <= 0)
        ORDER BY score DESC, product_id""")
        .fetchall()
    )
    assert [r["product_id"] for r in rows] == [e[0] for e in expected] and expected
    assert [r["score"] for r in rows] == pytest.approx([e[1] for e in expected])


def test_recommendations_never_repeat_a_purchase(segmented: World) -> None:
    bought = purchased(segmented)
    results = Recommender(segmented.db, k=10).for_segment(SEGMENT)
    assert len(results) == sum(1 for a in segmented.current.values() if a.name == SEGMENT)
    for result in results:
        ids = [i.product_id for i in result.items]
        assert len(ids) == 10 and len(set(ids)) == 10
        assert not set(ids) & bought.get(result.user_id, set()), result.user_id
        assert result.items[0].source == "segment"
        assert [i.rank for i in result.items] == list(range(1, 11))


def test_cold_users_get_department_then_shop_popular(segmented: World) -> None:
    cold = next(u for u, a in segmented.current.items() if a.segment_id == 0)
    [result] = Recommender(segmented.db, k=5).for_users([cold])
    assert result.segment == "Not enough activity yet"
    assert {i.source for i in result.items} <= {"department", "shop"} and len(result.items) == 5


def test_products_priced_0_or_without_price_are_never_proposed(segmented: World) -> None:
    db = segmented.db
    shop = [
        r["product_id"] for r in db.run("recommend/popular", department="", half_life_days=30.0, min_buyers=1, limit=10)
    ]
    segment = [
        r["product_id"]
        for r in db.run("recommend/segment_scores", segment_id=1, half_life_days=30.0, min_buyers=2, limit=3)
    ]
    free, unpriced = shop[0], segment[0]
    assert free != unpriced
    prices = {
        r["id"]: r["price"]
        for r in db.run_text(
            "MATCH (p:Product) WHERE p.product_id IN $ids RETURN p.product_id AS id, p.price AS price",
            {"ids": [free, unpriced]},
        )
    }
    assert all(price > 0 for price in prices.values())
    db.run_text("MATCH (p:Product {product_id: $id}) SET p.price = 0.0", {"id": free})
    db.run_text("MATCH (p:Product {product_id: $id}) REMOVE p.price", {"id": unpriced})
    try:
        cold = next(u for u, a in segmented.current.items() if a.segment_id == 0)
        member = next(u for u, a in sorted(segmented.current.items()) if a.segment_id == 1)
        results = Recommender(db, k=10).for_users([cold, member]) + Recommender(db, k=10).for_segment(SEGMENT)
        proposed = {i.product_id for r in results for i in r.items}
        assert proposed and not proposed & {free, unpriced}
        after = [
            r["product_id"]
            for r in db.run("recommend/popular", department="", half_life_days=30.0, min_buyers=1, limit=10)
        ]
        assert after[:5] == [p for p in shop if p not in (free, unpriced)][:5]
    finally:
        for product_id, price in prices.items():
            db.run_text("MATCH (p:Product {product_id: $id}) SET p.price = $price", {"id": product_id, "price": price})


def test_recommend_command_takes_the_shop_id(segmented: World) -> None:
    raw_of = raw_ids(segmented)
    member = next(u for u, a in sorted(segmented.current.items()) if a.name == SEGMENT)
    result = runner.invoke(app, ["recommend", str(raw_of[member]), "-k", "3"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"segment: {SEGMENT}" in result.output and "segment" in result.output
    by_pseudonym = runner.invoke(
        app, ["recommend", "--pseudonym", "-k", "3", "--", str(member)], env={"COLUMNS": "200"}
    )
    assert by_pseudonym.output.split("\n", 1)[1] == result.output.split("\n", 1)[1]
    unknown = runner.invoke(app, ["recommend", "123456789012"])
    assert unknown.exit_code == 1 and "no customer" in unknown.output
    out = segmented.workspace.home / "exports" / "loyal.csv"
    batch = runner.invoke(app, ["recommend", "--segment", SEGMENT, "--out", str(out), "-k", "4"])
    assert batch.exit_code == 0, batch.output
    rows = read_rows(out)
    assert len(rows) == 4 * sum(1 for a in segmented.current.values() if a.name == SEGMENT)
    french = runner.invoke(app, ["recommend", "--segment", "Acheteurs fidèles", "-k", "4"])
    assert french.exit_code == 0, french.output
    in_french = read_rows(segmented.workspace.home / "exports" / "recommendations-acheteurs-fideles.csv")
    assert [{**r, "segment": SEGMENT} for r in in_french] == rows and {r["segment"] for r in in_french} == {
        "Acheteurs fidèles"
    }
    bad = runner.invoke(app, ["recommend", "--segment", "Nobody"])
    assert bad.exit_code == 1 and "Loyal buyers" in bad.output


def test_export_segment_with_pseudonyms(segmented: World) -> None:
    report = export_segment(segmented.db, segmented.workspace, SEGMENT)
    assert report.path.parent == segmented.workspace.home / "exports"
    rows = read_rows(report.path)
    members = {u for u, a in segmented.current.items() if a.name == SEGMENT}
    assert {int(r["user_id"]) for r in rows} == members and "customer_id" not in rows[0]
    bought = purchased(segmented)
    for r in rows:
        recs = {int(p) for p in r["recommendations"].split()}
        assert len(recs) == 10 and not recs & bought.get(int(r["user_id"]), set())
        assert float(r["confidence"]) == pytest.approx(segmented.current[int(r["user_id"])].confidence, abs=1e-3)
    assert {r["segment"] for r in rows} == {SEGMENT}
    french = export_segment(segmented.db, segmented.workspace, "Acheteurs fidèles")  # named as the team names it
    assert french.path.name == "segment-acheteurs-fideles.csv"
    in_french = [(r["user_id"], r["segment"]) for r in read_rows(french.path)]
    assert in_french == [(r["user_id"], "Acheteurs fidèles") for r in rows]


def test_consented_export_and_erasure(segmented: World, tmp_path) -> None:
    raw_of = raw_ids(segmented)
    members = sorted(u for u, a in segmented.current.items() if a.name == SEGMENT)
    others = [u for u, a in segmented.current.items() if a.name != SEGMENT][:3]
    consenting = [raw_of[u] for u in members[:5]] + [raw_of[u] for u in others] + [999_999_999]
    consent = tmp_path / "consent.csv"
    consent.write_text("customer_id\n" + "\n".join(map(str, consenting)) + "\n")
    report = export_segment(segmented.db, segmented.workspace, SEGMENT, consented=consent)
    rows = read_rows(report.path)
    assert {int(r["customer_id"]) for r in rows} == {raw_of[u] for u in members[:5]}
    assert all(raw_of[int(r["user_id"])] == int(r["customer_id"]) for r in rows)
    assert (report.consented_ids, report.consented_not_in_segment) == (9, 4)

    # the customer asks to be forgotten: `shopgraph forget` walks exports/ and the graph
    erased_raw = raw_of[members[0]]
    forget = runner.invoke(app, ["forget", str(erased_raw)])
    assert forget.exit_code == 0, forget.output
    for old in (segmented.workspace.home / "exports").glob("*.csv"):
        assert str(members[0]) not in old.read_text(), old.name
    again = export_segment(segmented.db, segmented.workspace, SEGMENT, consented=consent)
    ids = {int(r["customer_id"]) for r in read_rows(again.path)}
    assert erased_raw not in ids and len(ids) == 4
    plain = export_segment(segmented.db, segmented.workspace, SEGMENT)
    assert members[0] not in {int(r["user_id"]) for r in read_rows(plain.path)}


def test_malformed_consent_file_is_one_line(segmented: World, tmp_path) -> None:
    consent = tmp_path / "bad.csv"
    consent.write_text("customer_id\n12\nabc\n")
    result = runner.invoke(app, ["export-segment", SEGMENT, "--consented", str(consent)])
    assert result.exit_code == 1 and "line 3" in result.output and "Traceback" not in result.output


def test_export_profiles_k_anonymity(segmented: World) -> None:
    sizes = {r["name"]: r["customers"] for r in segmented.db.run("export/segment_profiles", top=3)}
    k = sorted(sizes.values())[1] + 1  # more than the two smallest segments
    report = export_profiles(segmented.db, segmented.workspace, "json", k=k)
    data = json.loads(report.path.read_text())
    small = {name for name, n in sizes.items() if n < k}
    assert len(small) >= 2
    for profile in data["segments"]:
        if profile["name"] in small:
            assert profile["customers"] is None and profile["avg_total_spent"] is None
            assert any(f"segment {profile['name']!r}" in line for line in report.suppressed)
        else:
            assert profile["customers"] == sizes[profile["name"]]
        for pref in profile["preferred_categories"] + profile["preferred_brands"]:
            assert pref["customers"] >= k
    assert data["suppressed"] == report.suppressed
    relaxed = export_profiles(segmented.db, segmented.workspace, "csv", k=1)
    assert relaxed.suppressed == []
    rows = read_rows(relaxed.path)
    assert {r["name"]: int(r["customers"]) for r in rows} == sizes
    cli = runner.invoke(app, ["export-profiles", "--k-anonymity", str(k)])
    assert cli.exit_code == 0 and "suppressed" in cli.output


def test_user_vectors_with_the_index_rebuilt_answer_look_alikes(
    segmented: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graph.vectors

    monkeypatch.setattr(graph.vectors, "REBUILD_INDEX_FROM", 1)  # a write this big re-makes the index by default
    written = write_user_vectors(segmented.db, segmented.workspace)
    assert written.index_created and written.index_seconds > 0
    assert written.matched == written.rows and written.removed == 0
    [index] = segmented.db.run("vectors/vector_index")
    assert index["dimensions"] == written.dimensions and index["similarity"] == "COSINE"
    assert (index["m"], index["ef_construction"]) == (graph.vectors.HNSW_M, graph.vectors.HNSW_EF_CONSTRUCTION)
    [user] = [
        r["u"] for r in segmented.db.run_text("MATCH (u:User) WHERE u.embedding IS NOT NULL RETURN min(u.user_id) AS u")
    ]
    rows = segmented.db.run("analyst/similar_customers", user_id=user, k=3)
    assert len(rows) == 3 and user not in {r["user_id"] for r in rows}


def test_user_vectors_are_idempotent_and_follow_the_file(segmented: World) -> None:
    again = write_user_vectors(segmented.db, segmented.workspace)
    assert not again.index_created and again.written == 0 and again.removed == 0  # nothing changed: nothing sent
    assert again.matched == again.rows
    users = sorted(segmented.vectors)
    write_fake_vectors(segmented.workspace, users[:-10], dims=4, seed=9)
    changed = write_user_vectors(segmented.db, segmented.workspace)
    assert changed.index_created and changed.dimensions == 4 and changed.removed == 10
    assert changed.matched == changed.rows - 1  # the customer erased above has no node any more
    [index] = segmented.db.run("vectors/vector_index")
    assert index["dimensions"] == 4 and index["similarity"] == "COSINE"
    [row] = segmented.db.run_text(
        "MATCH (u:User) WHERE u.embedding IS NOT NULL RETURN count(u) AS n, min(size(u.embedding)) AS d"
    )
    assert row == {"n": changed.matched, "d": 4}


def test_a_later_write_sends_only_the_changed_vectors_unless_the_graph_lost_the_last_one(segmented: World) -> None:
    import numpy as np

    users = sorted(segmented.vectors)
    before = write_fake_vectors(segmented.workspace, users, dims=4, seed=9)
    write_user_vectors(segmented.db, segmented.workspace)
    after = write_fake_vectors(segmented.workspace, users[:-1], dims=4, seed=9)  # the last one leaves the file
    assert all(np.array_equal(before[u], after[u]) for u in users[:-1])
    after = {u: -v if u in users[:3] else v for u, v in after.items()}  # three customers get a new vector
    write_vectors(segmented.workspace, after)
    later = write_user_vectors(segmented.db, segmented.workspace)
    nodeless = later.rows - later.matched  # the customer erased above: sent each time, in case its node returns
    assert nodeless == 1 and later.written == 3 + nodeless and later.removed == 1 and not later.index_created
    on_graph = {r["u"]: r["e"] for r in segmented.db.run_text(WITH_EMBEDDING)}
    assert users[-1] not in on_graph and later.matched == len(on_graph)
    assert np.allclose(on_graph[users[0]], after[users[0]], atol=1e-6)  # the new vector, not the old one
    segmented.db.run_text("MATCH (w:VectorsOnGraph) DETACH DELETE w")  # a graph made anew since: no token
    segmented.db.run_text("MATCH (u:User {user_id: $u}) REMOVE u.embedding", {"u": users[4]})
    whole = write_user_vectors(segmented.db, segmented.workspace)
    assert whole.written == whole.rows and whole.matched == len(on_graph)  # everything sent again
    assert users[4] in {r["u"] for r in segmented.db.run_text(WITH_EMBEDDING)}


WITH_EMBEDDING = "MATCH (u:User) WHERE u.embedding IS NOT NULL RETURN u.user_id AS u, u.embedding AS e"


def test_user_vectors_only_for_customers_with_enough_events(segmented: World) -> None:
    import pyarrow.parquet as pq

    from graph.vectors import vectors_path

    table = pq.read_table(segmented.features, columns=["user_id", "n_events"]).to_pandas()
    floor = int(table["n_events"].median()) + 1  # about half the customers fall below
    kept = set(table.loc[table["n_events"] >= floor, "user_id"].tolist())
    in_file = set(pq.read_table(vectors_path(segmented.workspace), columns=["user_id"]).column(0).to_pylist())
    assert 0 < len(kept & in_file) < len(in_file)
    written = write_user_vectors(segmented.db, segmented.workspace, min_events=floor)
    assert written.rows == len(kept & in_file) and written.removed > 0  # the others lost the vector they had
    with_vector = {
        r["u"] for r in segmented.db.run_text("MATCH (u:User) WHERE u.embedding IS NOT NULL RETURN u.user_id AS u")
    }
    assert with_vector and with_vector <= kept & in_file and written.matched == len(with_vector)
    everyone = write_user_vectors(segmented.db, segmented.workspace)  # back to every customer for what follows
    assert everyone.matched > written.matched


def test_a_write_stopped_midway_is_not_trusted_by_the_next(segmented: World, monkeypatch) -> None:
    """A write killed after sending (no record saved) left the last record trusted, and the vectors it sent beyond
    that record stayed on the graph for good (REES46 month 4: 3.83 M held where the record listed 1.98 M)."""
    import pyarrow.parquet as pq

    import graph.vectors as vectors

    table = pq.read_table(segmented.features, columns=["user_id", "n_events"]).to_pandas()
    floor = int(table["n_events"].median()) + 1
    kept = set(table.loc[table["n_events"] >= floor, "user_id"].tolist())
    write_user_vectors(segmented.db, segmented.workspace, min_events=floor)  # the record: the active half

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt  # killed after every vector was sent, before its record

    with monkeypatch.context() as patch:
        patch.setattr(vectors, "_remove", stopped)
        with pytest.raises(KeyboardInterrupt):
            write_user_vectors(segmented.db, segmented.workspace)  # every customer's vector sent
    again = write_user_vectors(segmented.db, segmented.workspace, min_events=floor)
    held = {r["u"] for r in segmented.db.run_text(WITH_EMBEDDING)}
    assert held and held <= kept and again.matched == len(held)  # the stopped write's extra vectors are gone
    assert again.removed > 0
    write_user_vectors(segmented.db, segmented.workspace)  # back to every customer for what follows
