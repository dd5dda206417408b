"""`shopgraph report`: writes both files and prints their paths; a bad --lang is one line and exit 1."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app
from shopgraph.workspace import Workspace
from tests.support.quick_dossier import skip_drawing, skip_pdf

runner = CliRunner()


def test_report_on_an_empty_workspace_writes_both_files_and_names_what_is_missing(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", "--lang", "fr", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "dossier-fr.html").is_file() and (out / "dossier-fr.pdf").is_file()
    flat = " ".join(result.output.split())
    assert "dossier-fr.html" in flat and "dossier-fr.pdf" in flat
    assert "missing inputs" in flat and "4. Le choix du modèle" in flat


def test_unknown_language_is_one_line(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    result = runner.invoke(app, ["report", "--lang", "de"])
    assert result.exit_code == 1
    assert "--lang 'de' is not one of en, fr" in result.output
    assert "Traceback" not in result.output


def test_report_computes_the_recommendation_holdout_once_per_segmentation_run(
    report_workspace, monkeypatch, tmp_path
) -> None:
    import json
    import shutil

    from tests.support.report_workspace import RUN_ID

    workspace = Workspace(shutil.copytree(report_workspace.home, tmp_path / "home"))
    monkeypatch.setenv("SHOPGRAPH_HOME", str(workspace.home))
    skip_drawing(monkeypatch)  # the HTML's text is what this test reads
    skip_pdf(monkeypatch)
    holdout = workspace.reports_dir / "recommend_eval.json"
    holdout.unlink()
    result = runner.invoke(app, ["report", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    record = json.loads(holdout.read_text(encoding="utf-8"))
    assert record["segment_run"] == RUN_ID and (record["models"] or record["reason"])
    again = runner.invoke(app, ["report", "--out", str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    assert json.loads(holdout.read_text(encoding="utf-8"))["computed_at"] == record["computed_at"]  # current: kept
    html = (tmp_path / "out" / "dossier-en.html").read_text(encoding="utf-8")
    assert "No recommendation evaluation" not in html
