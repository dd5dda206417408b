"""On the real REES46 rows (../shared/data): per-user counts and purchase sums match a plain recount."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from features.calendar import load_calendar
from features.compute import build_user_features
from shopgraph.workspace import Workspace


def fill_store(workspace: Workspace, csv_files: list[Path]) -> str:
    """The store from the CSV files: through events/ingest.py (raw user ids) when it is there,
    else converted with DuckDB directly; returns which way was used."""
    try:
        from events.ingest import ingest_files
    except ImportError:
        ingest_files = None
    if ingest_files is not None:
        ingest_files(workspace, csv_files, pseudonymise=False)
        return "ingest"
    workspace.events_dir.mkdir(parents=True, exist_ok=True)
    listing = ", ".join(f"'{p}'" for p in csv_files)
    duckdb.connect().execute(f"""
        COPY (SELECT *, strftime(event_time, '%Y-%m') AS month
              FROM (SELECT DISTINCT strptime(replace(event_time, ' UTC', ''), '%Y-%m-%d %H:%M:%S') AS event_time,
                           event_type, product_id::BIGINT AS product_id, category_id::BIGINT AS category_id,
                           nullif(category_code, '') AS category_code, nullif(lower(trim(brand)), '') AS brand,
                           price::DOUBLE AS price, user_id::BIGINT AS user_id,
                           nullif(user_session, '') AS user_session
                    FROM read_csv([{listing}], all_varchar = true, header = true)))
        TO '{workspace.events_dir}' (FORMAT parquet, PARTITION_BY (month), OVERWRITE_OR_IGNORE)
    """)
    return "duckdb"


@pytest.fixture(scope="module")
def real_features(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    workspace = Workspace(tmp_path_factory.mktemp("real-home"))
    csv_files = sorted(shared_data.glob("rees46-*.csv"))
    assert csv_files, f"no REES46 rows in {shared_data}"
    fill_store(workspace, csv_files)
    table = build_user_features(workspace, load_calendar())
    return csv_files, table


def test_counts_and_purchase_sums_match_a_plain_recount(real_features) -> None:
    csv_files, table = real_features
    listing = ", ".join(f"'{p}'" for p in csv_files)
    con = duckdb.connect()
    recount = con.execute(f"""
        SELECT user_id::BIGINT, count(*), count_if(event_type = 'purchase'),
               coalesce(sum(price::DOUBLE) FILTER (WHERE event_type = 'purchase'), 0)
        FROM (SELECT DISTINCT * FROM read_csv([{listing}], all_varchar = true, header = true))
        GROUP BY 1 ORDER BY 1""").fetchall()
    features = con.execute(
        "SELECT user_id, n_events, n_purchases, total_spent FROM read_parquet($1) ORDER BY 1", [str(table.path)]
    ).fetchall()
    assert len(features) == len(recount) == 1755 + 233 - len(_overlap(con, listing))
    for (uid, n, p, spent), (fuid, fn, fp, fspent) in zip(recount, features, strict=True):
        assert (uid, n, p) == (fuid, fn, fp)
        assert fspent == pytest.approx(spent, abs=1e-6)


def _overlap(con: duckdb.DuckDBPyConnection, listing: str) -> list:
    return con.execute(f"""
        SELECT user_id FROM read_csv([{listing}], all_varchar = true, header = true, filename = true)
        GROUP BY user_id HAVING count(DISTINCT filename) > 1""").fetchall()


def test_real_rows_give_no_nan_and_sane_headline_figures(real_features) -> None:
    _, table = real_features
    con = duckdb.connect()
    cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [str(table.path)]).fetchall()]
    doubles = [
        r[0]
        for r in con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [str(table.path)]).fetchall()
        if r[1] == "DOUBLE"
    ]
    bad = con.execute(
        "SELECT "
        + " + ".join(f"count(*) FILTER (WHERE isnan({c}) OR isinf({c}))" for c in doubles)
        + " FROM read_parquet($1)",
        [str(table.path)],
    ).fetchone()[0]
    assert bad == 0
    buyers, views = con.execute(
        "SELECT count_if(n_purchases > 0), sum(n_views) FROM read_parquet($1)", [str(table.path)]
    ).fetchone()
    assert buyers == 48 + 2 and views > 5000
    assert "rfm_code" in cols
