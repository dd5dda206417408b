"""`shopgraph assign` with a cluster the threshold emptied: the graph only ever holds the run's published segments."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli import app
from graph.connection import QueryRunner
from segments.writeback import write_run
from shopgraph.workspace import Workspace
from tests.support.published_case import UNPUBLISHED, lookalikes_arrive, run_with_an_unpublished_cluster


def test_assign_writes_only_published_segments_to_the_graph(
    db: QueryRunner, workspace: Workspace, planted_shop, tmp_path
) -> None:
    workspace, run = run_with_an_unpublished_cluster(planted_shop, tmp_path, db)
    write_run(db, workspace, run.run_dir)
    gone = lookalikes_arrive(workspace, run)

    result = CliRunner().invoke(app, ["assign"])

    assert result.exit_code == 0, result.output
    assert "hold the run's segments" in result.output and f"segment {UNPUBLISHED}" not in result.output
    names = {
        int(s["segment_id"]): s["name"]["en"]
        for s in json.loads((run.run_dir / "segments.json").read_text(encoding="utf-8"))
    }
    users = db.run_text(
        "MATCH (u:User) RETURN u.user_id AS id, u.segment AS name, u.segment_id AS sid, u.segment_confidence AS c"
    )
    assert users and all(u["name"] is not None and u["c"] is not None for u in users)
    assert {u["sid"] for u in users} <= set(names) and UNPUBLISHED not in {u["sid"] for u in users}
    assert all(u["name"] == names[u["sid"]] for u in users)
    back = [u for u in users if u["id"] in gone]
    assert len(back) == len(gone) and all(u["sid"] != 0 for u in back)  # classified, into published segments
    assert db.run_text("MATCH (s:Segment {current: true}) RETURN collect(s.segment_id) AS ids")[0]["ids"]
    assert (
        db.run_text("MATCH (s:Segment {current: true, segment_id: $id}) RETURN count(s) AS n", {"id": UNPUBLISHED})[0][
            "n"
        ]
        == 0
    )
