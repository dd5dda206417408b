"""Retention: months older than the period leave the store; old files stay known to the manifest."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app
from events.ingest import ingest_files
from events.manifest import read_manifest
from events.retention import months_to_drop
from events.store import month_dirs
from shopgraph.errors import ShopgraphError

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"


def test_months_to_drop_counts_calendar_months_back_from_the_newest() -> None:
    months = ["2019-10", "2019-11", "2019-12", "2020-01", "2020-02"]
    assert months_to_drop(months, 3) == ["2019-10", "2019-11"]
    assert months_to_drop(months, 5) == []
    assert months_to_drop(["2019-12", "2020-01"], 1) == ["2019-12"]
    with pytest.raises(ShopgraphError):
        months_to_drop(months, 0)


def test_expire_drops_old_partitions_and_keeps_the_balance(workspace, tmp_path) -> None:
    source = tmp_path / "two-months.csv"
    source.write_text(
        HEADER
        + "2019-10-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,7,s1\n"
        + "2019-10-06 10:00:00 UTC,view,2,2053013555631882655,,,10.00,8,s2\n"
        + "2019-11-05 10:00:00 UTC,purchase,1,2053013555631882655,,,10.00,7,s3\n"
    )
    ingest_files(workspace, [source])
    result = CliRunner().invoke(app, ["expire", "--retention-months", "1"])
    assert result.exit_code == 0, result.output
    assert "2019-10" in result.output
    assert list(month_dirs(workspace)) == ["2019-11"]
    entry = read_manifest(workspace)[0]
    assert entry.rows_kept == 1 and entry.rows_erased == 2 and entry.balanced
    assert entry.extra["rows_expired"] == 2
    # the old file is still known: ingesting it again is a no-op, it does not come back
    results, _ = ingest_files(workspace, [source])
    assert results[0].status != "ingested"
    assert list(month_dirs(workspace)) == ["2019-11"]
