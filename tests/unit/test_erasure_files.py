"""Erasure, retention and the interaction cache on disk (no Neo4j: `forget` with db=None)."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from events.ingest import ingest_files
from events.interactions import interactions_path, prune_interactions, write_interactions
from events.manifest import read_manifest
from events.retention import apply_retention
from graph.erasure import forget
from graph.load import ingested_files
from shopgraph.workspace import Workspace

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
ROWS = (
    "2019-10-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,7,s1\n"
    "2019-10-06 10:00:00 UTC,view,2,2053013555631882655,,,10.00,8,s2\n"
    "2019-11-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,7,s3\n"
    "2019-11-06 10:00:00 UTC,purchase,1,2053013555631882655,,,10.00,7,s3\n"
)


def _store(workspace: Workspace, tmp_path) -> None:
    source = tmp_path / "two-months.csv"
    source.write_text(HEADER + ROWS)
    ingest_files(workspace, [source])


def _interactions(workspace: Workspace) -> list[tuple]:
    [source] = ingested_files(workspace)
    path = write_interactions(workspace, source, duckdb.connect())
    return (
        duckdb.connect()
        .execute("SELECT count(DISTINCT user_id), sum(count), min(first_at) FROM read_parquet(?)", [str(path)])
        .fetchall()
    )


def test_expire_makes_the_next_load_recompute_the_interactions(workspace: Workspace, tmp_path) -> None:
    _store(workspace, tmp_path)
    assert _interactions(workspace)[0][:2] == (2, 4)
    apply_retention(workspace, 1)
    users, events, first = _interactions(workspace)[0]
    assert (users, events) == (1, 2) and first.month == 11  # October's rows are gone from the cache too


def test_aggregates_of_files_with_no_month_left_are_pruned(workspace: Workspace, tmp_path) -> None:
    _store(workspace, tmp_path)
    [source] = ingested_files(workspace)
    write_interactions(workspace, source, duckdb.connect())
    assert interactions_path(workspace, source).exists()
    assert prune_interactions(workspace, []) and not any(workspace.interactions_dir.iterdir())


def test_retention_keeps_months_and_counts_consistent(workspace: Workspace, tmp_path) -> None:
    _store(workspace, tmp_path)
    apply_retention(workspace, 1)
    entry = read_manifest(workspace)[0]
    assert entry.months == ["2019-11"] and entry.rows_per_month == {"2019-11": 2} and entry.balanced


def test_forget_keeps_the_partition_schema_and_recounts_months(workspace: Workspace, tmp_path) -> None:
    _store(workspace, tmp_path)
    columns = pq.read_schema(workspace.store_dir / read_manifest(workspace)[0].partitions[0]).names
    (workspace.home / "graph" / "bulk-import").mkdir(parents=True)
    (workspace.home / "graph" / "bulk-import" / "users.csv").write_text("123,1\n")  # headerless scratch
    report = forget(workspace, [7], db=None)
    assert report.rows_removed["events"] == 3
    entry = read_manifest(workspace)[0]
    assert entry.rows_per_month == {"2019-10": 1, "2019-11": 0} and entry.rows_erased == 3 and entry.balanced
    for part in entry.partitions:
        assert pq.read_schema(workspace.store_dir / part).names == columns  # no hive `month` column added
    assert not (workspace.home / "graph" / "bulk-import").exists()


def test_a_workspace_path_with_a_quote_works(tmp_path, monkeypatch) -> None:
    home = tmp_path / "o'brien"
    home.mkdir()
    monkeypatch.setenv("SHOPGRAPH_HOME", str(home))
    monkeypatch.setenv("SHOPGRAPH_PSEUDONYM_KEY", "test-key-not-secret")
    workspace = Workspace(home)
    _store(workspace, tmp_path)
    assert _interactions(workspace)[0][:2] == (2, 4)
    assert forget(workspace, [8], db=None).rows_removed["events"] == 1


def test_forget_removes_rejected_lines_even_with_quoted_fields(workspace: Workspace, tmp_path) -> None:
    source = tmp_path / "rejects.csv"
    source.write_text(
        HEADER
        + '2019-10-05 10:00:00 UTC,view,1,2053013555631882655,,"acme, inc",-1,541312140,s1\n'
        + '2019-10-05 10:00:01 UTC,view,1,2053013555631882655,,,-1,"541312140",s1\n'
        + "2019-10-05 10:00:02 UTC,view,1,2053013555631882655,,,-1,541312140,s1\n"
        + "2019-10-05 10:00:03 UTC,view,1,2053013555631882655,,,-1,999,s1\n"
        + "2019-10-05 10:00:04 UTC,view,1,2053013555631882655,,,5.00,541312140,s1\n"
    )
    ingest_files(workspace, [source])
    rejects = workspace.store_dir / read_manifest(workspace)[0].rejects_file
    assert sum("541312140" in line for line in rejects.read_text().splitlines()) == 3
    report = forget(workspace, [541312140], db=None)
    assert report.rows_removed["rejects"] == 3 and report.rows_removed["events"] == 1
    assert "541312140" not in rejects.read_text() and ",999," in rejects.read_text()


def test_forget_removes_a_user_from_the_look_alikes_both_ways(workspace: Workspace, tmp_path) -> None:
    import pandas as pd

    from graph.erasure import stored_ids

    _store(workspace, tmp_path)
    [gone], [kept] = stored_ids(workspace, [7])[0], stored_ids(workspace, [8])[0]
    run = workspace.home / "segments" / "runs" / "r1"
    run.mkdir(parents=True)
    pd.DataFrame(
        {"user_id": [gone, kept, kept], "other_user_id": [kept, gone, 99], "score": [0.5, 0.5, 0.2]}
    ).to_parquet(run / "similar.parquet")
    report = forget(workspace, [7], db=None)
    assert report.rows_removed["segments"] == 2
    left = pd.read_parquet(run / "similar.parquet")
    assert left.to_dict("records") == [{"user_id": kept, "other_user_id": 99, "score": 0.2}]
