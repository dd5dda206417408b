"""The segment table after a month that assigned: sizes, revenue and conversion of the members as they are now."""

from __future__ import annotations

import pandas as pd
import pytest

from features.compute import FEATURES_FILE
from segments.coverage import segment_figures_now
from shopgraph.workspace import Workspace


def test_figures_follow_the_assignments_and_features_of_now(workspace: Workspace, tmp_path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    workspace.features_dir.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4, 5],
            "total_spent": [100.0, 0.0, 300.0, 50.0, None],  # a missing spend counts as none
            "n_orders": [1, 0, 3, 1, 0],
            "n_sessions": [4, 2, 6, 2, 1],
        }
    ).to_parquet(workspace.features_dir / FEATURES_FILE)
    # customer 4 was assigned to segment 1 by a later month; 6 has no feature row (counts as no spend)
    pd.DataFrame({"user_id": [1, 2, 3, 4, 5, 6], "segment_id": [1, 1, 2, 1, 0, 0]}).to_parquet(
        run_dir / "assignments.parquet"
    )

    now = segment_figures_now(workspace, run_dir)

    assert sorted(now) == [0, 1, 2]
    assert now[1]["size"] == 3 and now[1]["share"] == pytest.approx(0.5)
    assert now[1]["revenue_share"] == pytest.approx(150 / 450) and now[1]["conversion"] == pytest.approx(2 / 8)
    assert now[2]["revenue_share"] == pytest.approx(300 / 450) and now[2]["conversion"] == pytest.approx(0.5)
    assert now[0] == {"size": 2, "share": pytest.approx(2 / 6), "revenue_share": 0.0, "conversion": 0.0}
