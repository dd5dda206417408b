"""REES46-sized synthetic months (`synth --scale rees46`) read like the real files and keep the real proportions."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from events.synth.rees46 import SIDECAR, ScaleResult, generate_rees46
from shopgraph.errors import ShopgraphError

ROW = re.compile(
    r"2019-1[01]-\d\d \d\d:\d\d:\d\d UTC,(view|cart|purchase),\d{7,8},\d{19},[a-z_.]*,[a-z0-9_-]*,\d+\.\d\d,\d{9},"
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> ScaleResult:
    return generate_rees46(tmp_path_factory.mktemp("rees46"), "2019-10..2019-11", 60_000, 90_000, seed=3)


def _sql(made: ScaleResult, query: str, month: str = "2019-Oct") -> list[tuple]:
    source = f"read_csv('{made.out_dir}/{month}.csv.gz', header=true)"
    return duckdb.sql(query.replace("FILE", source)).fetchall()


def test_rows_have_the_real_files_header_and_formats(made: ScaleResult, shared_data: Path) -> None:
    real = (shared_data / "rees46-2019-oct-first5019.csv").read_text().splitlines()
    with gzip.open(made.files[0], "rt") as f:
        lines = f.read().splitlines()
    assert lines[0] == real[0]
    assert all(ROW.fullmatch(line) for line in lines[1:]), next(x for x in lines[1:] if not ROW.fullmatch(x))
    assert any(",," in line for line in lines[1:])  # empty category codes or brands, as in the real files
    real_types = duckdb.sql(f"DESCRIBE SELECT * FROM read_csv('{shared_data / 'rees46-2019-oct-first5019.csv'}')")
    ours = duckdb.sql(f"DESCRIBE SELECT * FROM read_csv('{made.files[0]}')")
    assert [r[:2] for r in ours.fetchall()] == [r[:2] for r in real_types.fetchall()]


def test_a_month_is_in_time_order_and_near_its_size(made: ScaleResult) -> None:
    ((rows, ordered),) = _sql(
        made,
        "SELECT count(*), bool_and(t >= p) FROM (SELECT event_time t, "
        "lag(event_time, 1, event_time) OVER () p FROM FILE)",
    )
    assert ordered
    assert rows == made.months["2019-10"]["events"]
    assert 0.95 * 60_000 < rows < 1.05 * 60_000
    assert 0.95 * 90_000 < made.months["2019-11"]["events"] < 1.05 * 90_000


def test_proportions_follow_the_real_month(made: ScaleResult) -> None:
    ((views, carts, buys, no_code, no_brand, users, products),) = _sql(
        made,
        "SELECT avg((event_type = 'view')::INT), avg((event_type = 'cart')::INT), avg((event_type = 'purchase')::INT),"
        " avg((category_code IS NULL)::INT), avg((brand IS NULL)::INT), count(DISTINCT user_id),"
        " count(DISTINCT product_id) FROM FILE",
    )
    assert 0.92 < views < 0.96 and 0.025 < carts < 0.05 and 0.015 < buys < 0.035
    assert 0.13 < no_code < 0.27 and 0.05 < no_brand < 0.13
    assert users == made.months["2019-10"]["customers"]
    assert 10 < 60_000 / users < 18  # ≈ 14 events per customer
    assert products > 5_000


def test_dirt_and_heavy_tails_are_there(made: ScaleResult) -> None:
    (repeated_cart,) = _sql(
        made, "SELECT max(n) FROM (SELECT count(*) n FROM FILE WHERE event_type = 'cart' GROUP BY ALL)"
    )
    assert repeated_cart[0] >= 3
    top = [n for (n,) in _sql(made, "SELECT count(*) n FROM FILE GROUP BY user_id ORDER BY n DESC LIMIT 200")]
    ((median,),) = _sql(made, "SELECT median(n) FROM (SELECT count(*) n FROM FILE GROUP BY user_id)")
    assert top[0] > 20 * median  # a bot
    assert top[100] > 5 * median  # heavy-tailed customers beyond the bots
    ((zero,),) = _sql(made, "SELECT count(*) FROM FILE WHERE price = 0")
    ((sessions,),) = _sql(made, "SELECT count(DISTINCT user_session) FROM FILE")
    assert 0.97 * made.months["2019-10"]["sessions"] <= sessions <= made.months["2019-10"]["sessions"]
    assert zero > 0  # free products, as in the real files


def test_the_second_month_has_returning_and_new_customers(made: ScaleResult) -> None:
    source = f"read_csv('{made.out_dir}/2019-Oct.csv.gz')"
    ((back, new),) = _sql(
        made,
        f"SELECT count(*) FILTER (WHERE u IN (SELECT user_id FROM {source})), count(*) FILTER (WHERE u NOT IN "
        f"(SELECT user_id FROM {source})) FROM (SELECT DISTINCT user_id u FROM FILE)",
        "2019-Nov",
    )
    assert 0.25 < back / (back + new) < 0.45


def test_the_same_seed_writes_the_same_bytes_month_by_month(made: ScaleResult, tmp_path: Path) -> None:
    again = generate_rees46(tmp_path, "2019-11", 60_000, 90_000, seed=3)  # November alone agrees with the pair
    assert again.files[0].read_bytes() == made.files[1].read_bytes()
    sidecar = json.loads((tmp_path / SIDECAR).read_text())
    assert sidecar["months"]["2019-11"]["events"] == made.months["2019-11"]["events"]


def test_a_month_before_the_series_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ShopgraphError, match="starts at 2019-10"):
        generate_rees46(tmp_path, "2019-09", 10_000, 10_000)
    result = CliRunner().invoke(app, ["synth", "--scale", "rees46", "--months", "2019-09", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "starts at 2019-10" in result.output


def test_the_cli_writes_rees46_months(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", "--scale", "rees46", "--events", "20000", "--months", "2019-10", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "2019-Oct.csv.gz").stat().st_size > 100_000
    assert not list(tmp_path.glob("*.partial"))
