"""The descriptive analysis of the event store, checked against a tiny store counted by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cli import app
from events.describe import BOT_MIN_EVENTS_PER_DAY, describe, ingest_counts
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace
from tests.support.features_store import SCHEMA

PHONE = (2053013555631882655, "electronics.smartphone")
HIDDEN = (2053013552259662037, None)


def t(day: int, hour: int = 10, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2019, month, day, hour, minute)


def ev(time, etype, product, category, brand, price, user, session):
    return (time, etype, product, category[0], category[1], brand, price, user, session)


# October, by hand:
#   user 1: views phone 1 twice, carts it, buys it (session a)        → 4 events, viewer, carter, buyer
#   user 2: views phone 2, carts it, removes it (session b)             → 3 events, viewer, carter
#   user 3: views hidden product 3 (no code, no brand, price 0)        → 1 event, viewer, session NULL
#   user 4: 400 views of product 3 on one day (a bot)                   → 400 events
OCTOBER = [
    ev(t(1), "view", 1, PHONE, "apple", 1000.0, 1, "a"),
    ev(t(1, minute=1), "view", 1, PHONE, "apple", 1000.0, 1, "a"),
    ev(t(1, minute=2), "cart", 1, PHONE, "apple", 1000.0, 1, "a"),
    ev(t(1, minute=3), "purchase", 1, PHONE, "apple", 1000.0, 1, "a"),
    ev(t(2), "view", 2, PHONE, "samsung", 500.0, 2, "b"),
    ev(t(2, minute=1), "cart", 2, PHONE, "samsung", 500.0, 2, "b"),
    ev(t(2, minute=2), "remove_from_cart", 2, PHONE, "samsung", 500.0, 2, "b"),
    ev(t(3), "view", 3, HIDDEN, None, 0.0, 3, None),
] + [ev(t(5, hour=1) + dt.timedelta(seconds=30 * i), "view", 3, HIDDEN, None, 0.0, 4, "bot") for i in range(400)]
# November: user 1 comes back and buys phone 2 (session c)
NOVEMBER = [
    ev(t(11, month=11), "view", 2, PHONE, "samsung", 480.0, 1, "c"),
    ev(t(11, minute=5, month=11), "purchase", 2, PHONE, "samsung", 480.0, 1, "c"),
]


def write_month(workspace: Workspace, month: str, rows: list[tuple]) -> None:
    part = workspace.events_dir / f"month={month}"
    part.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([dict(zip(SCHEMA.names, r, strict=True)) for r in rows], schema=SCHEMA)
    pq.write_table(table, part / "part-0.parquet")


@pytest.fixture
def store(workspace: Workspace) -> Workspace:
    write_month(workspace, "2019-10", OCTOBER)
    write_month(workspace, "2019-11", NOVEMBER)
    common = {
        "size_bytes": 1,
        "rejects_file": None,
        "pseudonymised": True,
        "ingested_at": "2026-11-25T00:00:00Z",
        "code_version": "test",
    }
    manifest = {
        "format": 1,
        "files": [
            {
                "name": "2019-Oct.csv.gz",
                "sha256": "a" * 64,
                "months": ["2019-10"],
                "rows_read": 420,
                "rows_kept": 408,
                "rows_rejected": 2,
                "rows_duplicate": 10,
                "rows_erased": 0,
                "rows_per_month": {"2019-10": 408},
                "partitions": ["events/month=2019-10/part-0.parquet"],
                **common,
            },
            {
                "name": "2019-Nov.csv.gz",
                "sha256": "b" * 64,
                "months": ["2019-11"],
                "rows_read": 5,
                "rows_kept": 2,
                "rows_rejected": 0,
                "rows_duplicate": 3,
                "rows_erased": 0,
                "rows_per_month": {"2019-11": 2},
                "partitions": ["events/month=2019-11/part-0.parquet"],
                **common,
            },
        ],
    }
    (workspace.store_dir / "manifest.json").write_text(json.dumps(manifest))
    return workspace


def test_counts_types_months_and_days(store: Workspace) -> None:
    d = describe(store)
    assert d.totals == {
        "events": 410,
        "users": 4,
        "products": 3,
        "sessions": 4,
        "brands": 2,
        "categories": 2,
        "category_codes": 1,
    }
    assert d.events_per_type == {"view": 405, "cart": 2, "remove_from_cart": 1, "purchase": 2}
    assert [(m["month"], m["events"], m["purchase"]) for m in d.events_per_month] == [
        ("2019-10", 408, 1),
        ("2019-11", 2, 1),
    ]
    assert {r["day"]: r["events"] for r in d.events_per_day} == {
        "2019-10-01": 4,
        "2019-10-02": 3,
        "2019-10-03": 1,
        "2019-10-05": 400,
        "2019-11-11": 2,
    }
    assert d.first_event.startswith("2019-10-01 10:00") and d.last_event.startswith("2019-11-11 10:05")


def test_missing_rates_and_prices(store: Workspace) -> None:
    d = describe(store)
    assert d.missing_rates["category_code"] == pytest.approx(401 / 410)
    assert d.missing_rates["brand"] == pytest.approx(401 / 410)
    assert d.missing_rates["user_session"] == pytest.approx(1 / 410)
    assert d.missing_rates["price"] == 0.0
    assert d.price["zero_prices"] == 401
    assert d.price["zero_price_rate"] == pytest.approx(401 / 410)
    assert d.price["quantiles"]["max"] == 1000.0
    assert d.price["quantiles"]["min"] == 0.0
    assert sum(b["events"] for b in d.price["log10_histogram"]) == 9  # the events with a price above 0


def test_the_price_quantiles_and_mean_are_exact_at_any_size(workspace: Workspace) -> None:
    """Read off a table of prices and counts: the same as DuckDB's quantile_cont over every event, repeated prices
    and all (t-digest above 20 M events gave other inner quantiles each run, and its ends drifted)."""
    from fractions import Fraction

    import duckdb
    import numpy as np

    from tests.support.features_store import ev, write_events

    rng = np.random.default_rng(0)
    prices = np.round(np.exp(rng.uniform(0, 10, 20_000)), 2)
    prices[rng.integers(0, len(prices), 5_000)] = prices[:5_000]  # many events share a price, as in a shop
    write_events(workspace, [ev("2019-10-01 10:00", user_id=i, price=float(p)) for i, p in enumerate(prices)])
    d = describe(workspace)
    expected = (
        duckdb.connect()
        .execute(
            f"SELECT quantile_cont(p, {[0.0, 0.01, 0.25, 0.5, 0.999, 1.0]}) FROM (SELECT unnest($p) AS p)",
            {"p": prices.tolist()},
        )
        .fetchone()[0]
    )
    got = [d.price["quantiles"][k] for k in ("min", "p1", "p25", "p50", "p99.9", "max")]
    assert got == [round(v, 2) for v in expected]
    assert d.price["mean"] == round(float(sum(Fraction(float(p)) for p in prices) / len(prices)), 2)
    assert d.price["exact_quantiles"] and not d.notes


def test_funnel_in_events_and_users(store: Workspace) -> None:
    f = describe(store).funnel
    assert f["events"] == {"view": 405, "cart": 2, "purchase": 2, "remove_from_cart": 1}
    assert f["users"] == {
        "view": 4,
        "cart": 2,
        "purchase": 1,
        "view_and_purchase": 1,
        "cart_and_purchase": 1,
        "view_and_cart": 2,
    }
    assert f["user_rates"]["purchase_per_cart"] == pytest.approx(0.5)
    assert f["user_rates"]["carters_who_bought"] == pytest.approx(0.5)
    assert f["user_rates"]["viewers_who_carted"] == pytest.approx(0.5)
    assert f["event_rates"]["cart_per_view"] == pytest.approx(2 / 405)


def test_the_funnel_shares_stay_shares_when_customers_buy_without_a_cart_event(workspace: Workspace) -> None:
    """The real sample's first rows hold more buyers than carters: the dossier said "135.1 % of carters bought"."""
    buyers = [ev(t(1, minute=u), "purchase", 1, PHONE, "apple", 1000.0, u, f"s{u}") for u in range(10, 13)]
    write_month(workspace, "2019-10", [*OCTOBER[:4], *buyers])  # user 1 carts and buys; three buy, no cart
    f = describe(workspace).funnel
    assert f["user_rates"]["purchase_per_cart"] == pytest.approx(4.0)  # four buyers per carter, a ratio of counts
    assert f["user_rates"]["carters_who_bought"] == pytest.approx(1.0)
    assert f["user_rates"]["viewers_who_carted"] == pytest.approx(1.0)


def test_top_categories_and_brands(store: Workspace) -> None:
    d = describe(store)
    assert d.top_categories[0] == {
        "category_code": "(no code)",
        "events": 401,
        "purchases": 0,
        "revenue": 0.0,
        "users": 2,
    }
    assert d.top_categories[1] == {
        "category_code": "electronics.smartphone",
        "events": 9,
        "purchases": 2,
        "revenue": 1480.0,
        "users": 2,
    }
    assert [b["brand"] for b in d.top_brands] == ["(no brand)", "samsung", "apple"]


def test_users_per_events_and_bots(store: Workspace) -> None:
    d = describe(store)
    # events per user: 1 → 6, 2 → 3, 3 → 1, 4 → 400
    hist = {(r["events_from"], r["events_to"]): r["users"] for r in d.users_per_events["histogram"]}
    assert hist == {(1, 1): 1, (2, 3): 1, (4, 7): 1, (256, 511): 1}
    assert d.users_per_events["quantiles"]["max"] == 400
    assert d.users_per_events["users_with_at_least"]["5"] == 2
    assert d.bots["users"] == 1
    assert d.bots["top"][0]["user_id"] == 4 and d.bots["top"][0]["max_events_per_day"] == 400
    assert d.bots["threshold_events_per_day"] >= BOT_MIN_EVENTS_PER_DAY
    assert str(BOT_MIN_EVENTS_PER_DAY) in d.bots["rule"]


def test_duplicates_come_from_the_manifest(store: Workspace) -> None:
    assert describe(store).ingest == {
        "files": 2,
        "rows_read": 425,
        "rows_kept": 410,
        "rows_rejected": 2,
        "duplicates_dropped": 13,
    }
    assert describe(store, ["2019-11"]).ingest["duplicates_dropped"] == 3
    (store.store_dir / "manifest.json").write_text("{not json")
    assert ingest_counts(store, ["2019-10"]) is None


def test_one_month_only(store: Workspace) -> None:
    d = describe(store, ["2019-11"])
    assert d.months == ["2019-11"]
    assert d.totals["events"] == 2 and d.totals["users"] == 1
    with pytest.raises(ShopgraphError, match="not in the event store"):
        describe(store, ["2020-01"])


def test_cli_prints_tables_and_writes_json_and_pngs(store: Workspace, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["describe"])
    assert result.exit_code == 0, result.output
    assert "funnel" in result.output and "bot-like" in result.output
    saved = json.loads((store.reports_dir / "describe.json").read_text())
    assert saved["totals"]["events"] == 410
    for name in ("events_per_day", "users_per_events", "price_distribution", "funnel"):
        png = store.reports_dir / f"describe_{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    other = CliRunner().invoke(app, ["describe", "--month", "2019-10", "--out", str(tmp_path / "r")])
    assert other.exit_code == 0, other.output
    assert json.loads((tmp_path / "r" / "describe.json").read_text())["months"] == ["2019-10"]


def test_empty_store_is_one_line_and_exit_1(workspace: Workspace) -> None:
    result = CliRunner().invoke(app, ["describe"])
    assert result.exit_code == 1
    assert "event store" in result.output and "shopgraph ingest" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    bad = CliRunner().invoke(app, ["describe", "--month", "Oct"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output


def test_the_dossier_reads_shares_of_customers_from_an_older_describe_json_too(tmp_path: Path, monkeypatch) -> None:
    """A describe.json written before the shares existed: the note divides the customer counts it holds."""
    from reports.inputs import Inputs
    from reports.sections import data
    from reports.sections.context import Context

    monkeypatch.setattr(data.charts, "funnel", lambda users, lang: "funnel.svg")
    users = {"view": 10, "cart": 2, "purchase": 5, "view_and_purchase": 4, "cart_and_purchase": 1}
    old = {"funnel": {"users": users, "user_rates": {"cart_per_view": 0.2, "purchase_per_cart": 2.5}}}
    [_, note] = data._funnel(Context(Inputs(Workspace(tmp_path)), "en"), old)
    assert note.text == "20.0\u202f% of viewers put something in the cart; 50.0\u202f% of carters bought."
