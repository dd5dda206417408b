"""Reading and checking a run folder for the graph write-back (no server)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segments.writeback import likely_changes, read_run_folder, segment_key
from shopgraph.errors import ShopgraphError
from tests.support.writeback_case import RUN_A, RUN_B, make_run


def test_a_run_folder_becomes_segments_keys_and_rows(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, RUN_B, list(range(1, 21)), seed=2, previous=RUN_A)
    folder = read_run_folder(run_dir)
    assert folder.run_id == RUN_B and folder.users == 20
    assert [s["segment_key"] for s in folder.segments] == [f"{RUN_B}/0", f"{RUN_B}/1", f"{RUN_B}/2"]
    assert folder.names[1] == ("Window shoppers", "Lèche-vitrines")
    assert folder.run_props["threshold"] == 3 and json.loads(folder.run_props["scores_json"])["silhouette"] == 0.4
    assert {"from_key": f"{RUN_A}/1", "to_key": f"{RUN_B}/2", "users": 4} in folder.migration
    assert all(row["users"] > 0 for row in folder.migration)
    assert {"segment_key": f"{RUN_B}/1", "category_id": 102, "lift": 2.5, "share": 0.2} in folder.prefers_categories
    rows = [r for batch in folder.assignment_rows(0, batch_size=7) for r in batch]
    assert [r["user_id"] for r in rows] == list(range(1, 21))
    assert rows[4]["segment_key"] == segment_key(RUN_B, rows[4]["segment_id"])


@pytest.mark.parametrize("start", [0, 3, 7, 8, 19, 20])
def test_assignment_rows_resume_at_any_row(tmp_path: Path, start: int) -> None:
    folder = read_run_folder(make_run(tmp_path, RUN_A, list(range(1, 21)), seed=1))
    rows = [r["user_id"] for batch in folder.assignment_rows(start, batch_size=7) for r in batch]
    assert rows == list(range(1 + start, 21))


def test_segment_zero_is_added_when_the_profiles_omit_it(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, RUN_A, list(range(1, 10)), seed=1)
    profiles = json.loads((run_dir / "segments.json").read_text())
    (run_dir / "segments.json").write_text(json.dumps({"segments": [p for p in profiles if p["segment_id"]]}))
    folder = read_run_folder(run_dir)
    zero = next(s for s in folder.segments if s["props"]["segment_id"] == 0)
    assert (zero["props"]["name"], zero["props"]["name_fr"]) == ("Not enough activity yet", "Activité insuffisante")
    assert zero["props"]["size"] == 3 and "3 events" in zero["props"]["description"]


def _rewrite(run_dir: Path, **columns) -> None:
    table = pq.read_table(run_dir / "assignments.parquet")
    for name, values in columns.items():
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values))
    pq.write_table(table, run_dir / "assignments.parquet")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: _rewrite(d, segment_id=pa.array([7] * 9, pa.int32()), segment=["Seven"] * 9),
            "assigns segment ids \\[7\\]",
        ),
        (lambda d: _rewrite(d, confidence=[1.5] * 9), "confidence outside 0..1"),
        (lambda d: _rewrite(d, confidence=[None] * 9), "empty user_id, segment_id, confidence"),
        (lambda d: _rewrite(d, segment=["Somebody else"] * 9), "two names|differently"),
        (lambda d: (d / "segments.json").unlink(), "has no segments.json"),
        (lambda d: (d / "run.json").write_text("{"), "unreadable run.json"),
        (lambda d: (d / "segments.json").write_text('{"segments": [{"name": "x"}]}'), "not a list of segments"),
    ],
)
def test_an_inconsistent_folder_is_one_clear_error(tmp_path: Path, change, message: str) -> None:
    run_dir = make_run(tmp_path, RUN_A, list(range(1, 10)), seed=1)
    change(run_dir)
    with pytest.raises(ShopgraphError, match=message):
        read_run_folder(run_dir)


def test_no_folder_says_to_run_segment(tmp_path: Path) -> None:
    with pytest.raises(ShopgraphError, match="run `shopgraph segment` first"):
        read_run_folder(tmp_path / "nope")


@pytest.mark.parametrize("start", [0, 5, 7, 19])
def test_segment_batches_group_every_row_once_by_segment_with_aligned_columns(tmp_path: Path, start: int) -> None:
    folder = read_run_folder(make_run(tmp_path, RUN_B, list(range(1, 21)), seed=2))
    expected = {r["user_id"]: r for batch in folder.assignment_rows(start, batch_size=7) for r in batch}
    seen, upto = [], []
    for done, groups in folder.segment_batches(start, batch_size=7):
        upto.append(done)
        for group in groups:
            for i, user_id in enumerate(group["user_ids"]):
                row = expected[user_id]
                assert group["segment_key"] == row["segment_key"] and group["confidence"][i] == row["confidence"]
                seen.append(user_id)
    assert sorted(seen) == sorted(expected) and upto[-1] == 20 and upto == sorted(upto)
    copies = [g for _, groups in folder.segment_batches(start, 7, "copy") for g in groups]
    assert all(set(g) == {"segment_key", "user_ids", "segment_confidence", "segment_low_confidence"} for g in copies)
    both = [g for _, groups in folder.segment_batches(start, 7, "refresh") for g in groups]
    assert all(set(g) == {*copies[0], "confidence", "low_confidence"} for g in both)


def test_every_copied_column_is_written_by_each_user_copy_statement() -> None:
    """USER_COPY is the one list of copied columns: the Cypher that copies must set each of its properties."""
    import cypher
    from segments.writeback import USER_COPY

    for name in ("segments/copy_users", "segments/copy_missing_users", "segments/refresh_members"):
        text = cypher.text(name)
        for _, prop, _ in USER_COPY:
            assert f"u.{prop} =" in text, (name, prop)


def test_the_check_on_the_workspace_bound_reads_the_same(tmp_path: Path, workspace, monkeypatch) -> None:
    monkeypatch.setenv("SHOPGRAPH_DUCKDB_READ_MEMORY", "64MB")  # the write-back's check, held like the reads
    run_dir = make_run(tmp_path, RUN_A, list(range(1, 10)), seed=1)
    assert read_run_folder(run_dir, workspace) == read_run_folder(run_dir)
    _rewrite(run_dir, user_id=[1, 1, *range(3, 10)])
    with pytest.raises(ShopgraphError, match="assigns 1 users twice"):
        read_run_folder(run_dir, workspace)


def test_the_users_assigned_twice_are_counted_as_sql_counts_them(tmp_path: Path) -> None:
    """The duplicate check counts distinct user ids in one column pass (the file is in user order), as DuckDB's
    ``count(DISTINCT user_id)`` did: a null not counted, a file out of order sorted first."""
    import duckdb

    from segments.writeback import _distinct_users

    path = tmp_path / "assignments.parquet"
    for user_ids in ([1, 2, 3], [3, 1, 2], [5, 1, 5, None, 3, 1], [None, None], [], [7, 7, 7], [2, 2, 9]):
        pq.write_table(pa.table({"user_id": pa.array(user_ids, pa.int64())}), path)
        sql = duckdb.connect().execute(f"SELECT count(DISTINCT user_id) FROM read_parquet('{path}')").fetchone()[0]
        assert _distinct_users(path) == sql, user_ids
    run_dir = make_run(tmp_path, RUN_A, list(range(1, 10)), seed=1)
    _rewrite(run_dir, user_id=[9, 1, 9, 2, 3, 1, 4, 5, 6])  # out of order: 9 and 1 twice
    with pytest.raises(ShopgraphError, match="assigns 2 users twice"):
        read_run_folder(run_dir)


def test_only_the_likely_segments_the_graph_does_not_hold_are_written() -> None:
    """A month that assigns moves the guess of its new and changed customers: the others are not sent again, and a
    user whose guess went (now at the threshold) is cleared."""
    wanted = pd.DataFrame(
        {
            "user_id": np.array([1, 2, 3, 4, 5], np.int64),
            "likely_segment_id": np.array([1, 2, 2, 1, 3], np.int64),
            "likely_segment_confidence": [0.5, 0.6, 0.7, 0.8, 0.9],
        }
    )
    held = {  # 1 as wanted; 2 another confidence; 3 another segment; 4 the names of another run; 5 new; 6 gone
        "keys": np.array([1, 2, 3, 4, 6], np.int64),
        "segment_ids": np.array([1, 2, 1, 1, 2], np.int64),
        "confidences": np.array([0.5, 0.65, 0.7, 0.8, 0.4]),
        "named": np.array([True, True, True, False, True]),
    }
    write, clear = likely_changes(wanted, held)
    assert write["user_id"].tolist() == [2, 3, 4, 5]
    assert write.columns.tolist() == wanted.columns.tolist()
    assert clear.tolist() == [6]
    nothing = {key: value[:0] for key, value in held.items()}
    assert likely_changes(wanted, nothing)[0]["user_id"].tolist() == [1, 2, 3, 4, 5]
    assert likely_changes(wanted.iloc[:0], held)[1].tolist() == [1, 2, 3, 4, 6]  # a run without guesses clears all
