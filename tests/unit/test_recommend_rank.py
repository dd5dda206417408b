"""graph/recommend.py without a server: ranking, personalisation and the per-batch caches."""

from __future__ import annotations

import csv

import pytest

from graph import recommend
from graph.recommend import Recommender, personalise, rank


def test_rank_skips_purchases_and_repeats_and_fills_from_the_next_list() -> None:
    items = rank(
        4,
        purchased=[2],
        lists=[("segment", [(1, 9.0), (2, 8.0), (3, 7.0)]), ("shop", [(3, 5.0), (4, 4.0), (5, 3.0), (6, 2.0)])],
    )
    assert [(i.product_id, i.source, i.rank) for i in items] == [
        (1, "segment", 1),
        (3, "segment", 2),
        (4, "shop", 3),
        (5, "shop", 4),
    ]


def test_personalise_boosts_the_customer_s_categories_and_products() -> None:
    candidates = [(1, 10.0), (2, 9.0), (3, 8.0)]
    out = personalise(candidates, {1: "a", 2: "b", 3: "b"}, [(3, "b", 2), (9, "b", 2)])
    # category b holds all the interest; product 3 was viewed itself
    assert [p for p, _ in out] == [3, 2, 1]
    assert dict(out)[2] == pytest.approx(9.0 * (1 + recommend.CATEGORY_BOOST))
    assert dict(out)[3] == pytest.approx(8.0 * (1 + recommend.CATEGORY_BOOST) * (1 + recommend.ITEM_BOOST))
    assert personalise(candidates, {}, []) == candidates


class FakeDb:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def run(self, name: str, **params):
        self.calls.append(name)
        if name == "recommend/segment_scores":
            return [
                {"product_id": 1, "category_id": "a", "score": 1.0},
                {"product_id": 2, "category_id": "b", "score": 2.0},
            ]
        if name == "recommend/popular":
            return [{"product_id": 1, "score": 5.0}, {"product_id": 7, "score": 4.0}]
        raise AssertionError(name)


def test_a_product_in_the_shop_list_keeps_its_segment_category() -> None:
    db = FakeDb()
    recommender = Recommender(db, k=2)
    context = {
        "user_id": 5,
        "segment": "S",
        "segment_id": 3,
        "top_category": "electronics",
        "purchased": [],
        "interest": [{"product_id": 9, "category_id": "a", "n": 1}],
    }
    first = recommender.for_context(context)
    second = recommender.for_context(context)  # lists come from the cache, categories must survive it
    assert [i.product_id for i in first.items] == [i.product_id for i in second.items] == [1, 2]
    assert db.calls.count("recommend/segment_scores") == 1
    assert not first.likely and recommender.for_context({**context, "likely": True}).likely  # segment_members' mark


def test_cold_customers_skip_the_segment_list() -> None:
    db = FakeDb()
    result = Recommender(db, k=2).for_context(
        {
            "user_id": 5,
            "segment": "Not enough activity yet",
            "segment_id": 0,
            "top_category": "other",
            "purchased": [1],
            "interest": [],
        }
    )
    assert [(i.product_id, i.source) for i in result.items] == [(7, "shop")]
    assert "recommend/segment_scores" not in db.calls


def test_stored_id_takes_raw_ids_from_a_store_ingested_without_pseudonyms(
    workspace, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from events.ingest import ingest_files
    from shopgraph.errors import ShopgraphError
    from tests.support.ingest_support import ROW, write_csv

    monkeypatch.delenv("SHOPGRAPH_PSEUDONYM_KEY")
    with pytest.raises(ShopgraphError, match="no pseudonymisation key"):
        recommend.stored_id(workspace, 541312140)  # nothing ingested: a pseudonymised shop without its key
    ingest_files(workspace, [write_csv(tmp_path / "a.csv", [ROW])], pseudonymise=False)
    assert recommend.stored_id(workspace, 541312140) == 541312140  # no key asked for


def test_stored_id_pseudonymises_for_a_pseudonymised_store(workspace, tmp_path) -> None:
    from events.ingest import ingest_files
    from events.pseudonym import load_key, pseudonym
    from tests.support.ingest_support import ROW, write_csv

    ingest_files(workspace, [write_csv(tmp_path / "a.csv", [ROW])])
    assert recommend.stored_id(workspace, 541312140) == pseudonym(541312140, load_key(workspace, create=False))


def test_batch_csv_marks_the_likely_customers_only_when_asked(tmp_path) -> None:
    item = recommend.Recommendation(product_id=7, rank=1, score=0.5, source="segment")
    results = [
        recommend.CustomerRecommendations(1, "Window shoppers", (item,)),
        recommend.CustomerRecommendations(2, "Window shoppers", (item,), likely=True),
    ]
    plain = recommend.write_batch(results, tmp_path / "plain.csv").read_text(encoding="utf-8").splitlines()
    assert plain[0] == "user_id,segment,rank,product_id,score,source" and len(plain) == 3
    wide = recommend.write_batch(results, tmp_path / "wide.csv", likely_column=True)
    with wide.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["user_id"], r["likely"]) for r in rows] == [("1", "false"), ("2", "true")]
