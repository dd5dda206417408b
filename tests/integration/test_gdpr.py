"""GDPR: `forget` removes a user everywhere and keeps them out; `export-user` shows what is held."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from cli import app
from events.ingest import ingest_files
from events.manifest import read_manifest
from features.calendar import load_calendar
from features.compute import build_user_features
from features.graph_write import WRITTEN, write_user_features
from graph.connection import QueryRunner
from graph.load import load
from shopgraph.workspace import Workspace

USER = 551377651  # 12 events and 2 purchases in the October sample
OCT = "rees46-2019-oct-first5019.csv"
runner = CliRunner()


def _export(user_id: int) -> dict:
    result = runner.invoke(app, ["export-user", str(user_id)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_forget_then_export_shows_nothing_and_reingest_keeps_them_out(
    db: QueryRunner, workspace: Workspace, shared_data, tmp_path
) -> None:
    ingest_files(workspace, [shared_data / OCT])
    load(db, workspace)
    write_user_features(db, build_user_features(workspace, load_calendar()).path)
    held = _export(USER)
    assert len(held["events"]) == 12
    assert f"features/{WRITTEN}" in held["tables"], "the copy of what the graph holds is the user's data too"
    assert held["graph"] is not None and len(held["graph"]["relationships"]) >= 2
    assert any(path.startswith("graph/interactions") for path in held["tables"])
    users_before = db.run_text("MATCH (u:User) RETURN count(u) AS n")[0]["n"]

    result = runner.invoke(app, ["forget", str(USER)])
    assert result.exit_code == 0, result.output

    gone = _export(USER)
    assert gone["events"] == [] and gone["tables"] == {} and gone["graph"] is None
    assert not (workspace.features_dir / WRITTEN).exists(), "deleted: the next feature write sends every row"
    assert db.run_text("MATCH (u:User) RETURN count(u) AS n")[0]["n"] == users_before - 1
    entry = read_manifest(workspace)[0]
    assert entry.rows_erased == 12 and entry.balanced

    # the audit trail says how much went, never who
    audit = (workspace.store_dir / "erasure-audit.jsonl").read_text()
    assert str(USER) not in audit and '"events": 12' in audit

    # an old file arriving again (as a different file, so not a no-op) cannot bring the user back
    again = tmp_path / "2019-Oct-resent.csv"
    shutil.copy(shared_data / OCT, again)
    with again.open("a") as fh:
        fh.write("2019-10-01 02:30:00 UTC,view,1,2053013555631882655,,,1.00,1,s\n")
    results, _ = ingest_files(workspace, [again])
    assert results[0].entry.rows_erased == 12
    load(db, workspace)
    assert _export(USER)["graph"] is None and _export(USER)["events"] == []

    # forgetting again finds nothing left and does not fail
    assert runner.invoke(app, ["forget", str(USER)]).exit_code == 0
