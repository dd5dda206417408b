"""`shopgraph ingest` through typer's CliRunner: exit codes, the balance line, no-op, clear errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli import app
from shopgraph.workspace import Workspace
from tests.support.ingest_support import ROW, ROW2, snapshot, write_csv

runner = CliRunner()


def test_ingest_prints_the_balance_and_is_idempotent(workspace: Workspace, shared_data: Path) -> None:
    result = runner.invoke(app, ["ingest", str(shared_data / "rees46-2019-oct-first5019.csv")])
    assert result.exit_code == 0, result.output
    assert "read 5,019 = kept 5,016 + rejected 0 + duplicates 3 + erased 0" in result.output
    before = snapshot(workspace)
    again = runner.invoke(app, ["ingest", str(shared_data / "*.csv")])
    assert again.exit_code == 0, again.output
    assert "already ingested: nothing added" in again.output
    assert "read 683 = kept 683" in again.output
    assert all(snapshot(workspace)[k] == v for k, v in before.items() if not k.startswith("manifest"))


def test_rejects_are_reported(workspace: Workspace, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(write_csv(tmp_path / "r.csv", [ROW, ROW2 + ",x"]))])
    assert result.exit_code == 0, result.output
    assert "read 2 = kept 1 + rejected 1" in result.output
    assert "rejects/" in result.output


def test_bad_paths_exit_1_with_one_line(workspace: Workspace, tmp_path: Path) -> None:
    for args, message in (
        ([str(tmp_path / "missing.csv")], "does not exist"),
        ([str(tmp_path)], "is a directory"),
        ([str(write_csv(tmp_path / "h.csv", []))], "header but no rows"),
    ):
        result = runner.invoke(app, ["ingest", *args])
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output


def test_help_mentions_no_pseudonymise() -> None:
    result = runner.invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0 and "--no-pseudonymise" in result.output
