"""The synthetic month files look like the real REES46 files and carry the planted personas."""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from events.synth import (
    BLEND_SHARE,
    HEADER,
    PERSONA_NAMES,
    TASTE_CATEGORIES,
    TASTE_PAIRS,
    SynthResult,
    generate,
    month_file_name,
    parse_months,
)
from shopgraph.errors import ShopgraphError

MONTHS = "2019-10..2019-12"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return generate(tmp_path_factory.mktemp("synth"), users=4000, months=MONTHS, seed=7)


@pytest.fixture(scope="module")
def synth_dir(made: SynthResult) -> Path:
    return made.out_dir


@pytest.fixture(scope="module")
def con(synth_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"""
        CREATE VIEW ev AS SELECT *, filename AS file,
               strptime(event_time, '%Y-%m-%d %H:%M:%S UTC') AS t, price::DOUBLE AS amount
        FROM read_csv('{synth_dir}/*.csv.gz', all_varchar = true, filename = true)
    """)
    con.execute(f"CREATE VIEW pe AS SELECT * FROM read_csv('{synth_dir}/personas.csv', all_varchar = true)")
    con.execute("CREATE VIEW evp AS SELECT ev.*, pe.persona, pe.secondary_persona FROM ev JOIN pe USING (user_id)")
    # users who play one persona only (no blend): the personas' own habits
    con.execute("CREATE VIEW solo AS SELECT * FROM evp WHERE secondary_persona IS NULL")
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", users=300, months="2019-11..2019-12", seed=3)
    second = generate(tmp_path / "b", users=300, months="2019-11..2019-12", seed=3)
    other = generate(tmp_path / "c", users=300, months="2019-11..2019-12", seed=4)
    names = [p.name for p in first.files] + ["personas.csv"]
    assert [p.name for p in second.files] == names[:-1]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "2019-Nov.csv.gz").read_bytes() != (tmp_path / "c" / "2019-Nov.csv.gz").read_bytes()
    assert first.events == second.events != other.events


def test_files_have_the_real_names_header_and_formats(synth_dir: Path, shared_data: Path) -> None:
    assert sorted(p.name for p in synth_dir.glob("*.csv.gz")) == [
        "2019-Dec.csv.gz",
        "2019-Nov.csv.gz",
        "2019-Oct.csv.gz",
    ]
    real_header = (shared_data / "rees46-2019-oct-first5019.csv").read_text().splitlines()[0]
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    with gzip.open(synth_dir / "2019-Nov.csv.gz", "rt", newline="") as f:
        assert f.readline().rstrip("\n") == HEADER == real_header
        rows = [row for _, row in zip(range(20_000), csv.reader(f), strict=False)]
    assert rows
    for row in rows:
        assert len(row) == 9
        time_, etype, product, category, code, brand, price, user, session = row
        assert re.fullmatch(r"2019-11-\d\d \d\d:\d\d:\d\d UTC", time_)
        assert etype in {"view", "cart", "remove_from_cart", "purchase"}
        assert re.fullmatch(r"[1-9]\d{5,8}", product)
        assert re.fullmatch(r"2\d{18}", category)
        assert code == "" or re.fullmatch(r"[a-z_]+(\.[a-z_]+){0,2}", code)
        assert brand == "" or brand == brand.strip().lower()
        assert re.fullmatch(r"\d+\.\d\d", price)
        assert re.fullmatch(r"[1-9]\d{8}", user)
        assert uuid.fullmatch(session)


def test_each_file_holds_its_month_in_time_order(con: duckdb.DuckDBPyConnection) -> None:
    for name, month in (("2019-Oct", "2019-10"), ("2019-Nov", "2019-11"), ("2019-Dec", "2019-12")):
        times = [
            r[0]
            for r in con.execute(
                "SELECT event_time FROM read_csv(? , all_varchar = true)",
                [str(Path(one(con, f"SELECT any_value(file) FROM ev WHERE file LIKE '%{name}%'")))],
            ).fetchall()
        ]
        assert times == sorted(times)
        assert all(t.startswith(month) for t in times)


def test_event_mix_is_close_to_the_real_one(con: duckdb.DuckDBPyConnection) -> None:
    share = dict(con.execute("SELECT event_type, count(*) / sum(count(*)) OVER () FROM ev GROUP BY 1").fetchall())
    assert share["view"] == pytest.approx(0.94, abs=0.02)
    assert share["cart"] == pytest.approx(0.036, abs=0.012)
    assert share["purchase"] == pytest.approx(0.024, abs=0.008)
    assert 0 < share["remove_from_cart"] < 0.015


def test_missing_code_and_brand_near_the_real_rates_and_per_product(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "SELECT avg((category_code IS NULL)::INT) FROM ev") == pytest.approx(0.20, abs=0.05)
    assert one(con, "SELECT avg((brand IS NULL)::INT) FROM ev") == pytest.approx(0.09, abs=0.04)
    # a product has one category, one brand, one code: missing values belong to the product
    assert (
        one(
            con,
            """SELECT max(n) FROM (SELECT count(DISTINCT (category_id, coalesce(category_code, ''),
                       coalesce(brand, ''))) n FROM ev GROUP BY product_id)""",
        )
        == 1
    )
    assert (
        one(
            con,
            "SELECT count(DISTINCT coalesce(category_code, '')) "
            "FROM (SELECT DISTINCT category_id, category_code FROM ev) GROUP BY category_id ORDER BY 1 DESC LIMIT 1",
        )
        == 1
    )
    assert one(con, "SELECT count(*) FROM ev WHERE amount = 0") > 0


def test_exact_duplicates_and_bot_like_users_are_present(con: duckdb.DuckDBPyConnection) -> None:
    rows, distinct = con.execute("""SELECT count(*), count(DISTINCT (event_time, event_type, product_id, category_id,
                                    category_code, brand, price, user_id, user_session)) FROM ev""").fetchone()
    assert rows > distinct
    assert one(con, "SELECT max(n) FROM (SELECT count(*) n FROM ev GROUP BY user_id)") > 1000
    assert one(con, "SELECT count(*) FROM evp WHERE persona = 'bot'") > 1000


def test_sessions_are_separated_by_long_pauses(con: duckdb.DuckDBPyConnection) -> None:
    gap = one(
        con,
        """
        SELECT min(epoch(first_t) - epoch(prev_last)) FROM (
            SELECT first_t, lag(last_t) OVER (PARTITION BY user_id ORDER BY first_t) AS prev_last
            FROM (SELECT user_id, user_session, min(t) first_t, max(t) last_t FROM ev GROUP BY ALL))
        WHERE prev_last IS NOT NULL""",
    )
    assert gap > 30 * 60


def test_black_friday_and_weeks_before_christmas_are_peaks(con: duckdb.DuckDBPyConnection) -> None:
    per_day = dict(con.execute("SELECT t::DATE::VARCHAR, count(*) FROM ev GROUP BY 1").fetchall())
    october = sorted(v for d, v in per_day.items() if d.startswith("2019-10"))
    typical = october[len(october) // 2]
    assert per_day["2019-11-29"] > 2 * typical
    assert per_day["2019-12-02"] > 1.5 * typical
    assert per_day["2019-12-20"] > 1.3 * typical
    hours = dict(con.execute("SELECT hour(t), count(*) FROM ev GROUP BY 1").fetchall())
    assert hours[15] > 3 * hours[2]  # afternoon vs the middle of the night


def test_persona_file_covers_every_user(synth_dir: Path, con: duckdb.DuckDBPyConnection) -> None:
    assert (synth_dir / "personas.csv").read_text().splitlines()[0] == "user_id,persona,secondary_persona"
    assert one(con, "SELECT count(*) FROM pe") == 4000
    assert one(con, "SELECT count(DISTINCT user_id) FROM pe") == 4000
    assert one(con, "SELECT count(DISTINCT user_id) FROM ev WHERE user_id NOT IN (SELECT user_id FROM pe)") == 0
    assert one(con, "SELECT count(*) FROM pe WHERE user_id NOT IN (SELECT user_id FROM ev)") == 0
    assert {r[0] for r in con.execute("SELECT DISTINCT persona FROM pe").fetchall()} == set(PERSONA_NAMES)


def test_personas_shop_differently(con: duckdb.DuckDBPyConnection) -> None:
    stats = {
        r[0]: r[1:]
        for r in con.execute("""
        SELECT persona,
               count(*) FILTER (event_type = 'purchase') AS purchases,
               count(*) FILTER (event_type = 'cart') AS carts,
               avg(amount) FILTER (event_type = 'purchase') AS mean_purchase_price,
               count(DISTINCT user_session) / count(DISTINCT user_id) AS sessions_per_user,
               count(*) FILTER (event_type = 'purchase') / count(DISTINCT user_id) AS purchases_per_user
        FROM solo GROUP BY 1""").fetchall()
    }
    purchases, carts, price, sessions, per_user = (
        dict(zip(stats, col, strict=True)) for col in zip(*stats.values(), strict=True)
    )
    small_basket = ("frequent_small_basket_home", "frequent_small_basket_fashion")
    assert purchases["window_shopper"] == carts["window_shopper"] == 0
    assert carts["cart_abandoner"] > 8 * purchases["cart_abandoner"]
    assert price["big_ticket_electronics"] > 10 * max(price[p] for p in small_basket)
    assert price["bargain_hunter"] < 0.5 * price["holiday_shopper"]
    others = [p for p in per_user if p not in (*small_basket, "bot")]
    for p in small_basket:
        assert per_user[p] > 1.5 * max(per_user[o] for o in others), p
        assert sessions[p] > max(sessions[o] for o in others), p
    assert sessions["one_visit"] == 1
    # holiday shoppers are seen only from 20 November to the end of December
    assert one(con, "SELECT min(t) FROM solo WHERE persona = 'holiday_shopper'").isoformat() >= "2019-11-20"
    # brand loyalists buy one or two brands each
    assert (
        one(
            con,
            """SELECT max(n) FROM (SELECT count(DISTINCT brand) n FROM solo
                       WHERE persona LIKE 'brand_loyalist%' AND event_type = 'purchase' GROUP BY user_id)""",
        )
        <= 2
    )
    # bargain hunters buy mostly during promotions (Black Friday week … Christmas)
    in_promo = one(
        con,
        """SELECT avg((t::DATE BETWEEN '2019-11-25' AND '2019-12-24')::INT) FROM solo
                           WHERE persona = 'bargain_hunter' AND event_type = 'purchase'""",
    )
    assert in_promo > 0.6
    # big-ticket buyers come rarely and buy electronics and appliances (their off-taste views are not bought)
    assert sessions["big_ticket_electronics"] < sessions["window_shopper"]
    assert (
        one(
            con,
            """SELECT avg((split_part(category_code, '.', 1) IN ('electronics', 'computers', 'appliances'))::INT)
                       FROM solo WHERE persona = 'big_ticket_electronics' AND event_type = 'purchase'""",
        )
        == 1.0
    )


def pair_stats(con: duckdb.DuckDBPyConnection, persona: str) -> dict[str, float]:
    """A persona's funnel, spend and timing habits over its one-persona users."""
    row = con.execute(
        """
        WITH u AS (
            SELECT user_id, count(*) FILTER (event_type = 'view') AS views,
                   count(*) FILTER (event_type = 'cart') AS carts,
                   count(*) FILTER (event_type = 'purchase') AS purchases,
                   count(DISTINCT user_session) AS sessions,
                   sum(ln(amount)) FILTER (event_type = 'purchase' AND amount > 0) AS log_price,
                   count(*) FILTER (event_type = 'purchase' AND amount > 0) AS priced,
                   avg(hour(t)) AS hour
            FROM solo WHERE persona = ? GROUP BY 1)
        SELECT sum(carts) / sum(views), sum(purchases) / sum(carts), median(sessions),
               sum(views) / sum(sessions), exp(sum(log_price) / sum(priced)), avg(hour), count(*)
        FROM u""",
        [persona],
    ).fetchone()
    return dict(
        zip(
            [
                "cart_per_view",
                "purchase_per_cart",
                "median_sessions",
                "views_per_session",
                "purchase_price",
                "mean_hour",
                "users",
            ],
            row,
            strict=True,
        )
    )


@pytest.mark.parametrize("pair", TASTE_PAIRS, ids=lambda pair: pair[0])
def test_each_taste_pair_shops_alike(con: duckdb.DuckDBPyConnection, pair: tuple[str, str]) -> None:
    """The two personas of a pair have the same funnel, spend and timing, within sampling noise.

    About 150 one-persona users each, heavy-tailed: medians, ratios of sums for the funnel and
    the geometric mean of the purchases' prices (a few hundred purchases, of € 20 headphones
    and € 300 phones alike).
    """
    a, b = (pair_stats(con, p) for p in pair)
    assert min(a["users"], b["users"]) >= 80
    assert a["cart_per_view"] == pytest.approx(b["cart_per_view"], rel=0.25)
    assert a["purchase_per_cart"] == pytest.approx(b["purchase_per_cart"], rel=0.25)
    assert abs(a["median_sessions"] - b["median_sessions"]) <= 1
    # views per session, not per user: the per-user count also carries the activity multiplier
    # (log-normal, sigma 1), whose median over ~100 users moves by ±30 % from one seed to another
    assert a["views_per_session"] == pytest.approx(b["views_per_session"], rel=0.15)
    assert a["purchase_price"] == pytest.approx(b["purchase_price"], rel=0.35)  # geometric mean
    assert a["mean_hour"] == pytest.approx(b["mean_hour"], abs=1.0)


def test_brand_loyalists_of_the_two_families_buy_disjoint_brands(
    made: SynthResult, con: duckdb.DuckDBPyConnection
) -> None:
    families = made.brand_families
    assert set(families) == {"apple_family", "samsung_family"}
    apple, samsung = (set(families[f]) for f in ("apple_family", "samsung_family"))
    assert families["apple_family"][0] == "apple" and families["samsung_family"][0] == "samsung"
    assert not apple & samsung and 2 <= len(apple) <= 4 and 2 <= len(samsung) <= 4
    bought = {
        p: {
            r[0]
            for r in con.execute(
                """SELECT DISTINCT brand FROM solo
                                                WHERE persona = ? AND event_type = 'purchase'""",
                [p],
            ).fetchall()
        }
        for p in TASTE_PAIRS[0]
    }
    assert bought["brand_loyalist_apple_family"] and bought["brand_loyalist_apple_family"] <= apple
    assert bought["brand_loyalist_samsung_family"] and bought["brand_loyalist_samsung_family"] <= samsung
    # most of their views are of their family's brands (90 % of the on-taste views)
    for persona, family in zip(TASTE_PAIRS[0], (apple, samsung), strict=True):
        own = one(
            con,
            f"""SELECT avg((brand IN ({", ".join(f"'{b}'" for b in family)}))::INT) FROM solo
                           WHERE persona = '{persona}' AND event_type = 'view'""",
        )
        assert 0.6 < own < 0.9, persona


def test_small_basket_shoppers_of_home_and_fashion_shop_disjoint_categories(con: duckdb.DuckDBPyConnection) -> None:
    home, fashion = (set(TASTE_CATEGORIES[t]) for t in ("home", "fashion"))
    assert not home & fashion
    assert {c.split(".")[0] for c in home} == {"appliances", "furniture", "construction"}
    assert {c.split(".")[0] for c in fashion} == {"apparel", "accessories"}
    for persona, taste in zip(TASTE_PAIRS[1], (home, fashion), strict=True):
        listed = ", ".join(f"'{c}'" for c in taste)
        bought = one(
            con,
            f"""SELECT avg((category_code IN ({listed}))::INT) FROM solo
                              WHERE persona = '{persona}' AND event_type = 'purchase'""",
        )
        viewed = one(
            con,
            f"""SELECT avg((coalesce(category_code, '') IN ({listed}))::INT) FROM solo
                              WHERE persona = '{persona}' AND event_type = 'view'""",
        )
        assert bought == 1.0, persona  # off-taste views are never bought
        assert 0.8 < viewed < 0.92, persona  # 10–15 % of views are off-taste noise


def test_a_tenth_of_users_blend_two_personas(synth_dir: Path, con: duckdb.DuckDBPyConnection) -> None:
    share, same, never = con.execute("""
        SELECT avg((secondary_persona IS NOT NULL)::INT), count(*) FILTER (secondary_persona = persona),
               count(*) FILTER (secondary_persona IN ('one_visit', 'bot') OR persona IN ('one_visit', 'bot')
                                AND secondary_persona IS NOT NULL)
        FROM pe""").fetchone()
    assert share == pytest.approx(BLEND_SHARE, abs=0.02)
    assert same == 0 and never == 0
    # a blend's second persona shows in its sessions: users blending in a small-basket persona view
    # the small-basket categories far more than the one-persona users of the same main personas
    listed = ", ".join(f"'{c}'" for t in TASTE_CATEGORIES.values() for c in t)
    blended, alone = con.execute(f"""
        SELECT avg((coalesce(category_code, '') IN ({listed}))::INT) FILTER (secondary_persona LIKE 'frequent_small%'),
               avg((coalesce(category_code, '') IN ({listed}))::INT) FILTER (secondary_persona IS NULL)
        FROM evp WHERE event_type = 'view' AND persona NOT LIKE 'frequent_small%'
          AND persona IN (SELECT persona FROM pe WHERE secondary_persona LIKE 'frequent_small%')""").fetchone()
    assert blended > 1.8 * alone


def test_activity_is_heavy_tailed(con: duckdb.DuckDBPyConnection) -> None:
    top10, top1, median, mean = con.execute("""
        WITH u AS (SELECT user_id, count(*) AS n FROM evp WHERE persona <> 'bot' GROUP BY 1),
             r AS (SELECT n, row_number() OVER (ORDER BY n DESC) AS rank, count(*) OVER () AS users FROM u)
        SELECT sum(n) FILTER (rank <= users / 10) / sum(n), sum(n) FILTER (rank <= users / 100) / sum(n),
               median(n), avg(n)
        FROM r""").fetchone()
    # "about half": window shoppers have at least two sessions, which thins the tail a little (0.45 → 0.447)
    assert top10 >= 0.42 and top1 >= 0.10
    assert mean > 1.8 * median
    # and within one persona too (not only because personas differ)
    top10_one = one(
        con,
        """
        WITH u AS (SELECT user_id, count(*) AS n FROM solo WHERE persona = 'window_shopper' GROUP BY 1),
             r AS (SELECT n, row_number() OVER (ORDER BY n DESC) AS rank, count(*) OVER () AS users FROM u)
        SELECT sum(n) FILTER (rank <= users / 10) / sum(n) FROM r""",
    )
    assert top10_one >= 0.3


def test_months_are_parsed_and_bad_ones_refused() -> None:
    assert parse_months("2019-10..2020-01") == ["2019-10", "2019-11", "2019-12", "2020-01"]
    assert parse_months("2019-12,2019-10") == ["2019-10", "2019-12"]
    assert month_file_name("2020-04") == "2020-Apr.csv.gz"
    with pytest.raises(ShopgraphError, match="YYYY-MM"):
        parse_months("October")
    with pytest.raises(ShopgraphError, match="ends before"):
        parse_months("2020-01..2019-10")


def test_a_gap_in_the_months_is_a_gap_in_the_files(tmp_path: Path) -> None:
    result = generate(tmp_path, users=200, months="2019-10,2019-12", seed=1)
    assert [p.name for p in result.files] == ["2019-Oct.csv.gz", "2019-Dec.csv.gz"]
    assert set(result.events_per_month) == {"2019-10", "2019-12"}
    assert sum(result.events_per_month.values()) == result.events
    # holiday shoppers exist only when the months cover the season
    assert "holiday_shopper" not in generate(tmp_path / "spring", users=300, months="2020-03", seed=1).users_per_persona


def test_cli_synth_writes_files_and_reports(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", "--users", "300", "--months", "2019-10", "--seed", "2", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "2019-Oct.csv.gz").is_file()
    assert (tmp_path / "out" / "personas.csv").is_file()
    assert "events" in result.output
    bad = CliRunner().invoke(app, ["synth", "--users", "10", "--months", "Oct", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1
    assert "YYYY-MM" in bad.output and "Traceback" not in bad.output


def test_the_persona_table_in_the_docstring_matches_the_parameters() -> None:
    import events.synth as synth

    rows = {
        line.split()[0]: line.split()
        for line in synth.__doc__.splitlines()
        if line.split() and line.split()[0] in PERSONA_NAMES
    }
    assert set(rows) == set(PERSONA_NAMES)
    for p in synth.PERSONAS:
        cells = rows[p.name]
        assert float(cells[1]) == pytest.approx(p.share), p.name
        assert float(cells[2]) == pytest.approx(p.sessions_per_month), p.name
        numbers = [float(c.rstrip("*†")) for c in cells[3:] if c.rstrip("*†").replace(".", "").isdigit()]
        assert numbers[:5] == pytest.approx([p.views_per_session, p.p_cart, p.p_buy, p.p_remove, p.p_buy_now]), p.name
