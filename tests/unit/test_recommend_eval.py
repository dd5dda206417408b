"""The recommendation hold-out (segments/recommend_eval.py) on tiny shops whose figures are computed by hand."""

from __future__ import annotations

import json

import pytest

from segments.recommend_eval import (
    Holdout,
    evaluate_recommendations,
    item_to_item_recommender,
    load_holdout,
    popularity_recommender,
    score,
    segment_recommender,
    top_department,
)
from shopgraph.workspace import Workspace
from tests.support.features_store import ev, write_events
from tests.support.item_to_item_loop import item_to_item_by_loop

ELECTRONICS, APPAREL = "electronics.audio", "apparel.shoes"
#: product → (category id, category code, price); product 9 is priced 0 (dirt)
PRODUCTS = {
    1: (1, ELECTRONICS, 10.0),
    2: (1, ELECTRONICS, 20.0),
    3: (1, ELECTRONICS, 30.0),
    4: (2, APPAREL, 5.0),
    5: (2, APPAREL, 6.0),
    6: (2, APPAREL, 7.0),
    9: (3, None, 0.0),
}
#: training purchases (October), all at the same time so every recency weight is 1
TRAINING = {10: [1, 2], 11: [1, 2, 3], 12: [4, 5], 13: [4, 6], 14: [9], 15: [9], 16: [1]}
#: November: the new products u10, u12 and u16 buy; u11 buys again what it had; u99 is not a customer of October
HELD_OUT = {10: [3], 12: [6], 16: [4], 11: [1], 99: [2]}
SEGMENTS = {10: 1, 11: 1, 12: 2, 13: 2, 14: 0, 15: 0, 16: 0}


def purchase(time: str, user: int, product: int) -> dict:
    category, code, price = PRODUCTS[product]
    return ev(
        time,
        event_type="purchase",
        user_id=user,
        product_id=product,
        category_id=category,
        category_code=code,
        price=price,
        user_session=f"{user}-{time[:10]}",
    )


@pytest.fixture
def shop(tmp_path) -> Workspace:
    workspace = Workspace(tmp_path)
    events = [purchase("2019-10-05 10:00", u, p) for u, products in TRAINING.items() for p in products]
    events += [purchase("2019-11-05 10:00", u, p) for u, products in HELD_OUT.items() for p in products]
    write_events(workspace, events)
    return workspace


def test_score_counts_hits_precision_recall_and_coverage() -> None:
    data = Holdout(
        pairs=[],
        catalogue=40,
        department_of={},
        category_of={},
        unpriced=frozenset(),
        bought={},
        interactions={},
        departments={},
        test={1: {100, 101}, 2: {200}, 3: {300, 301, 302}, 4: {400}},
    )
    lists = {1: [100, 101, *range(8)], 2: list(range(10)), 3: [300, *range(9)], 4: [*range(9), 400]}
    figures = score(data, lists.__getitem__, k=10)
    assert figures["hit_rate"] == pytest.approx(3 / 4)  # users 1, 3 and 4 find one or more of their new products
    assert figures["precision"] == pytest.approx((2 + 0 + 1 + 1) / 10 / 4)
    assert figures["recall"] == pytest.approx((1 + 0 + 1 / 3 + 1) / 4)
    assert figures["coverage"] == pytest.approx(14 / 40)  # 0..9, 100, 101, 300 and 400


def test_top_department_follows_the_features_rule() -> None:
    assert top_department({"electronics": 3, "apparel": 3, None: 1}) == "electronics"  # ties: the first
    assert top_department({"apparel": 2, None: 5}) == "other"


def test_holdout_reads_training_purchases_and_new_products_only(shop: Workspace) -> None:
    from events.month_digest import month_digests
    from events.store import event_files

    data = load_holdout(month_digests(shop, ["2019-10"]), event_files(shop, ["2019-11"]))
    assert data.test == {10: {3}, 12: {6}, 16: {4}}  # u11 bought nothing new; u99 is no October customer
    assert data.candidates == 3 and data.known_users == 7 and data.catalogue == 7
    assert data.unpriced == frozenset({9})
    assert data.departments == {10: "electronics", 12: "apparel", 16: "electronics"}
    sampled = load_holdout(month_digests(shop, ["2019-10"]), event_files(shop, ["2019-11"]), max_users=2, seed=0)
    assert len(sampled.test) == 2 and sampled.candidates == 3 and set(sampled.test) < {10, 12, 16}


def test_each_recommender_on_the_tiny_shop(shop: Workspace) -> None:
    from events.month_digest import month_digests
    from events.store import event_files

    data = load_holdout(month_digests(shop, ["2019-10"]), event_files(shop, ["2019-11"]))
    # segment 1 (u10, u11): product 2 lift (2/2)/(2/7) = 3.5, product 1 (2/2)/(3/7) = 2.33 → [2, 1], both
    # bought by u10, so the electronics department (1, 2, 3) gives 3, then the shop (1, 2, 4, 3 …) gives 4
    segment = segment_recommender(data, SEGMENTS, k=2)
    assert [segment(u) for u in (10, 12, 16)] == [[3, 4], [6, 1], [2, 3]]
    popularity = popularity_recommender(data, k=2)  # buyers: 1 → 3, 2 → 2, 4 → 2, 9 (priced 0) never
    assert [popularity(u) for u in (10, 12, 16, 14)] == [[4, 3], [1, 2], [2, 4], [1, 2]]
    item = item_to_item_recommender(data, k=2)  # u10: 3 co-bought with 1 and 2; then popularity
    assert [item(u) for u in (10, 12, 16)] == [[3, 4], [6, 1], [2, 3]]
    assert all(9 not in segment(u) for u in SEGMENTS)


def test_evaluation_writes_the_dossier_file_with_figures_by_hand(shop: Workspace) -> None:
    result = evaluate_recommendations(shop, SEGMENTS, k=2, min_users=3)
    doc = json.loads(result.path.read_text(encoding="utf-8"))
    assert result.path == shop.reports_dir / "recommend_eval.json" and result.reason is None
    assert doc["k"] == 2 and doc["users"] == 3 and doc["chosen"] == "segment" and doc["sampled"] is False
    assert doc["train_months"] == ["2019-10"] and doc["test_month"] == "2019-11"
    models = {m["name"]: m for m in doc["models"]}
    assert list(models) == ["segment", "popularity", "item-to-item"]
    # hits: segment u10 (3) and u12 (6), not u16 (4); popularity u10 (3) and u16 (4); item-to-item as segment
    for name, covered in (
        ("segment", {1, 2, 3, 4, 6}),
        ("popularity", {1, 2, 3, 4}),
        ("item-to-item", {1, 2, 3, 4, 6}),
    ):
        assert models[name]["hit_rate"] == pytest.approx(2 / 3), name
        assert models[name]["precision"] == pytest.approx(2 / 2 / 3), name
        assert models[name]["recall"] == pytest.approx(2 / 3), name
        assert models[name]["coverage"] == pytest.approx(len(covered) / 7), name
    assert "2019-11" in doc["holdout"] and "2019-11" in doc["holdout_fr"] and "price" in doc["note"]


def test_too_few_customers_one_month_or_no_run_give_a_reason(shop: Workspace, tmp_path) -> None:
    few = evaluate_recommendations(shop, SEGMENTS)
    assert few.reason and "only 3 customer(s)" in few.reason and "at least 30" in few.reason
    doc = json.loads(few.path.read_text(encoding="utf-8"))
    assert doc["models"] == [] and doc["reason_fr"].startswith("seuls 3 client(s)")
    no_run = evaluate_recommendations(shop)
    assert no_run.reason and "no segmentation run" in no_run.reason
    single = Workspace(tmp_path / "single")
    write_events(single, [purchase("2019-10-05 10:00", u, p) for u, products in TRAINING.items() for p in products])
    one = evaluate_recommendations(single, SEGMENTS)
    assert one.reason and "one month (2019-10)" in one.reason


def test_item_to_item_gives_what_the_loop_over_the_seeds_gives() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    pairs = sorted(
        {(int(u), int(p), 0.0) for u, p in zip(rng.integers(0, 400, 3000), rng.zipf(1.6, 3000) % 300, strict=True)}
    )
    bought: dict[int, set[int]] = {}
    for user, product, _ in pairs:
        bought.setdefault(user, set()).add(product)
    viewers = range(1000, 1100)  # no purchase: their carts and views are the seeds, some never bought by anyone
    interactions = {u: {int(p): 1 for p in rng.integers(0, 400, 25)} for u in viewers}
    data = Holdout(
        pairs=pairs,
        catalogue=400,
        department_of={},
        category_of={},
        unpriced=frozenset({1, 5, 17}),
        bought=bought,
        interactions=interactions,
        departments={},
        test={u: {1} for u in [*range(0, 400), *viewers]},
    )
    fast, loop = item_to_item_recommender(data), item_to_item_by_loop(data)
    for user in data.users:
        assert fast(user) == loop(user), user
