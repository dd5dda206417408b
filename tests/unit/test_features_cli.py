"""`shopgraph features`: runs end to end without Neo4j (--no-graph) and fails in one line."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app
from shopgraph.workspace import Workspace
from tests.support.features_store import ev, write_events

runner = CliRunner()


def test_features_no_graph_writes_the_table_and_prints_a_summary(workspace: Workspace) -> None:
    write_events(workspace, [ev("2019-11-29 10:00", event_type="purchase"), ev("2019-10-01 10:00", user_id=2)])
    result = runner.invoke(app, ["features", "--no-graph"])
    assert result.exit_code == 0, result.output
    assert (workspace.features_dir / "user_features.parquet").is_file()
    assert (workspace.features_dir / "user_features.json").is_file()
    assert "users" in result.output and "skipped (--no-graph)" in result.output


def test_bad_calendar_is_one_line_and_exit_1(workspace: Workspace, tmp_path) -> None:
    bad = tmp_path / "cal.csv"
    bad.write_text("name,start,end,kind\nsale,2019-11-31,2019-12-01,promotion\n")
    result = runner.invoke(app, ["features", "--no-graph", "--calendar", str(bad)])
    assert result.exit_code == 1
    assert "line 2: start '2019-11-31' is not a date" in result.output
    assert "Traceback" not in result.output


def test_empty_store_is_one_line_and_exit_1(workspace: Workspace) -> None:
    result = runner.invoke(app, ["features", "--no-graph"])
    assert result.exit_code == 1
    assert "event store" in result.output and "empty" in result.output
