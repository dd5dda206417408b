"""segments/similar.py's streamed read of similar.parquet: each customer's first links, whatever the read size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segments.similar import SIMILAR_FILE, _first_links, similar_pairs


@pytest.mark.parametrize("rows", [1, 2, 3, 7, 1000])
def test_first_links_match_the_whole_file_read_at_once(tmp_path, rows: int) -> None:
    view = np.random.default_rng(3).normal(size=(40, 2))
    pairs = similar_pairs(np.arange(100, 140), view, neighbours=6)  # 6 a customer, most similar first
    pairs.to_parquet(tmp_path / SIMILAR_FILE, row_group_size=5)  # row groups cut customers too
    expected = pairs.groupby("user_id", sort=False).head(4).reset_index(drop=True)
    parts = list(_first_links(tmp_path / SIMILAR_FILE, links=4, rows=rows))
    got = pd.concat([p for p, _ in parts], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)
    assert [read for _, read in parts] == sorted(read for _, read in parts) and parts[-1][1] == len(pairs)


def test_first_links_of_an_empty_file(tmp_path) -> None:
    empty = pd.DataFrame({"user_id": [], "other_user_id": [], "score": []}).astype(
        {"user_id": "int64", "other_user_id": "int64", "score": "float64"}
    )
    empty.to_parquet(tmp_path / SIMILAR_FILE)
    assert sum(len(p) for p, _ in _first_links(tmp_path / SIMILAR_FILE, links=5)) == 0
