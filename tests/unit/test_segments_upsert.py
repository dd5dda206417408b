"""`runs.upsert_parquet`: a run's per-user file rewritten by DuckDB with an update's rows, never whole in memory."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from segments import runs


def _old(path) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user_id": np.array([1, 2, 3, 4], np.int64),
            "segment_id": np.array([1, 1, 2, 0], np.int32),
            "segment": ["a", "a", "b", "none"],
            "confidence": [0.9, 0.8, 0.7, 1.0],
            "low_confidence": [False, False, True, False],
        }
    )
    frame.to_parquet(path, index=False)
    return frame


def test_update_replaces_adds_drops_and_keeps_the_types(tmp_path) -> None:
    path = tmp_path / "assignments.parquet"
    old = _old(path)
    update = pd.DataFrame(  # user 3 changed, user 0 is new; columns in another order, wider types
        {
            "segment": ["c", "a"],
            "user_id": [3, 0],
            "segment_id": [3, 1],
            "confidence": [0.5, 0.6],
            "low_confidence": [False, True],
        }
    )
    with duckdb.connect() as con:
        runs.upsert_parquet(path, update, pd.Series([0, 1, 3, 4]), con)  # user 2 left the feature table
    after = pd.read_parquet(path)
    assert after["user_id"].tolist() == [0, 1, 3, 4]
    assert after["segment"].tolist() == ["a", "a", "c", "none"]
    assert after.dtypes.to_dict() == old.dtypes.to_dict()
    assert not list(tmp_path.glob(".*tmp"))


def test_a_column_new_to_the_file_is_kept_with_nulls_for_the_old_rows(tmp_path) -> None:
    path = tmp_path / "assignments.parquet"
    _old(path)
    update = pd.DataFrame(
        {
            "user_id": [5],
            "segment_id": [1],
            "segment": ["a"],
            "confidence": [0.9],
            "low_confidence": [False],
            "likely_segment": ["b"],
        }
    )
    with duckdb.connect() as con:
        runs.upsert_parquet(path, update, pd.Series([1, 5]), con)
    after = pd.read_parquet(path)
    assert after["user_id"].tolist() == [1, 5]
    assert after["likely_segment"].isna().tolist() == [True, False]
