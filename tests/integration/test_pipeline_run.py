"""`shopgraph run` end to end on a real Neo4j: first months, a re-run that skips, a new month, an interrupted run."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from commands.server import _indexes_line
from events.synth import generate, month_file_name
from graph.connection import QueryRunner
from graph.queries import run_query
from graph.schema import wait_for_indexes
from pipeline.run import STEPS, RunOptions, lookalike_floor, run_pipeline
from pipeline.state import PipelineState
from shopgraph.settings import Settings
from shopgraph.workspace import Workspace
from tests.support.quick_dossier import skip_dossier, skip_drawing, skip_pdf

pytestmark = pytest.mark.chain  # the whole chain, end to end

MONTHS = ["2019-11", "2019-12", "2020-01"]


def statuses(report) -> dict[str, str]:
    return {s.step: s.status for s in report.steps}


def test_run_does_each_months_work_once_and_a_new_month_only_its_own(
    db: QueryRunner, workspace: Workspace, tmp_path, monkeypatch
) -> None:
    data = generate(tmp_path / "data", users=500, months=",".join(MONTHS), seed=3)
    files = [tmp_path / "data" / month_file_name(m) for m in MONTHS]
    assert [f.name for f in files] == [f.name for f in data.files]

    db.run("vectors/drop_vector_index")  # an earlier test of this worker may have left one: run makes it here
    skip_drawing(monkeypatch)  # this test reads the HTML's text; the other test's `run` draws and prints for real
    skip_pdf(monkeypatch)
    first = run_pipeline(workspace, db, files[:2])
    assert statuses(first) == dict.fromkeys(STEPS, "ran")
    assert first.decision == "retrained (first segmentation)"
    timed = {s.step: s.phases for s in first.steps if s.phases}  # where each step's time went (PhaseClock)
    assert "segment" in timed and all(sum(timed[s.step].values()) <= s.seconds for s in first.steps if s.phases)
    assert "made anew (Neo4j populates it beside the report step)" in first.outcome("vectors").detail
    threshold = json.loads((first.run_dir / "run.json").read_text(encoding="utf-8"))["threshold"]
    assert lookalike_floor(workspace) == max(5, threshold)
    said = (
        "the activity threshold)"
        if threshold >= 5
        else f"the fewest events a customer is clustered with; the activity threshold is {threshold})"
    )
    assert f"≥ {max(5, threshold)} events, {said}" in first.outcome("vectors").detail
    features = pd.read_parquet(workspace.features_dir / "user_features.parquet", columns=["user_id", "n_events"])
    active = set(features.loc[features["n_events"] >= max(5, threshold), "user_id"])
    held = {r["u"] for r in db.run_text("MATCH (u:User) WHERE u.embedding IS NOT NULL RETURN u.user_id AS u")}
    assert held and held <= active  # look-alike vectors for the customers the segmentation classifies only
    # `run` says where the look-alike index stands without waiting for it; the query answers once it is online
    assert first.lookalike_index == "ONLINE" or first.lookalike_index.startswith("POPULATING ")
    wait_for_indexes(db)
    assert _indexes_line(Settings.from_env()) == "all online"  # `shopgraph neo4j status`'s line
    member = next(iter(held))
    query, similar = run_query(db, "similar_customers", {"user_id": str(member), "k": "3"})
    assert query.index == "user_embedding" and len(similar) == 3 and member not in {r["user_id"] for r in similar}
    assert {r["user_id"] for r in similar} <= held
    users_without = db.run_text("MATCH (u:User) WHERE u.segment IS NULL RETURN count(u) AS n")[0]["n"]
    assert users_without == 0
    assert all(p.is_file() and p.stat().st_size > 0 for p in first.report_paths)
    holdout = json.loads((workspace.reports_dir / "recommend_eval.json").read_text(encoding="utf-8"))
    assert holdout["train_months"] == MONTHS[:1] and holdout["test_month"] == MONTHS[1]
    assert holdout["users"] >= 30 and [m["name"] for m in holdout["models"]] == [
        "segment",
        "popularity",
        "item-to-item",
    ]
    assert (
        holdout["segment_run"] == first.run_dir.name and "recommendation hold-out on" in first.outcome("report").detail
    )
    html = first.report_paths[0].read_text(encoding="utf-8")
    section = html[html.index("Recommendations") :]
    assert "No recommendation evaluation" not in html and "item-to-item" in section and "hit rate" in section
    assert f"{holdout['models'][0]['hit_rate']:.3f}" in section  # the segment's hit rate is printed

    again = run_pipeline(workspace, db, files[:2])
    assert statuses(again) == dict.fromkeys(STEPS, "skipped")

    new_month = run_pipeline(workspace, db, files[2:])
    done = statuses(new_month)
    assert done["ingest"] == done["load"] == done["features"] == done["segment"] == done["report"] == "ran"
    embed = new_month.outcome("embed")
    assert embed.status == "ran" and "folded in, no retraining" in embed.detail
    assert new_month.decision.startswith(("assigned", "retrained: "))
    record = json.loads((new_month.run_dir / "run.json").read_text(encoding="utf-8"))
    assert record["drift"]["decision"] in ("assign", "retrain")
    assert db.run_text("MATCH (u:User) WHERE u.segment IS NULL RETURN count(u) AS n")[0]["n"] == 0
    later = json.loads((workspace.reports_dir / "recommend_eval.json").read_text(encoding="utf-8"))
    assert later["test_month"] == MONTHS[2] and (later["models"] or later["reason"])
    assert "No recommendation evaluation" not in new_month.report_paths[0].read_text(encoding="utf-8")
    counts = db.run_text("MATCH (s:Segment {current: true})<-[:IN_SEGMENT]-(u:User) RETURN count(u) AS n")[0]["n"]
    assert counts == db.run_text("MATCH (u:User) RETURN count(u) AS n")[0]["n"]


def test_the_run_command_prints_its_report_then_an_interrupted_run_finishes_and_an_upgrade_retrains(
    db: QueryRunner, workspace: Workspace, tmp_path, monkeypatch
) -> None:
    """On one finished run (one chain, not one per case): `shopgraph run` prints the steps, the decision, the
    table, the report and Browser; a run stopped inside the segment step finishes without redoing finished
    steps; new segmentation or embedding code retrains on the same data instead of assigning with the old model."""
    import pipeline.run as run_module

    generate(tmp_path / "data", users=300, months="2019-11..2019-12", seed=5)
    files = sorted((tmp_path / "data").glob("*.csv.gz"))
    _run_command_prints_its_report(workspace, tmp_path)  # the one real dossier of this test
    dossiers = skip_dossier(monkeypatch)  # the later reports: the step runs, the rendering is left out
    state = PipelineState.load(workspace)
    state.forget("segment", "report")  # as if the run had stopped inside the segment step
    state.mark_done("embed", state.steps["embed"])

    resumed = run_pipeline(workspace, db, files)

    assert [s for s, status in statuses(resumed).items() if status == "ran"] == ["segment", "report"]

    real = run_module.step_code
    monkeypatch.setattr(run_module, "step_code", lambda step: "decides" if step == "segment" else real(step))
    decided = run_pipeline(workspace, db, files)  # an upgrade of the drift check or the write-back only
    assert statuses(decided)["segment"] == "ran" and decided.run_dir == resumed.run_dir
    assert decided.decision.startswith("assigned") or decided.decision.startswith("no new customers"), decided.decision

    monkeypatch.setattr(run_module, "step_code", lambda step: "upgraded" if step == "segment" else real(step))
    monkeypatch.setattr(run_module, "model_code", lambda step: "upgraded")
    upgraded = run_pipeline(workspace, db, files)

    done = statuses(upgraded)
    assert [s for s, status in done.items() if status == "ran"] == ["segment", "report"]
    assert upgraded.decision == "retrained (shopgraph's segmentation code changed since the last run)"
    assert upgraded.run_dir != resumed.run_dir
    assert PipelineState.load(workspace).code["segment"] == "upgraded"
    assert statuses(run_pipeline(workspace, db, files)) == dict.fromkeys(STEPS, "skipped")  # recorded: once

    monkeypatch.setattr(
        run_module, "step_code", lambda step: "upgraded" if step in ("segment", "embed") else real(step)
    )
    embedded = run_pipeline(workspace, db, files)
    assert embedded.outcome("embed").status == "ran"
    assert "embedding code changed" in embedded.outcome("embed").detail
    assert statuses(embedded)["vectors"] == statuses(embedded)["segment"] == "ran"  # they read the new vectors

    rule = run_pipeline(workspace, db, files, RunOptions(method="rule"))  # another method retrains
    assert [s for s, status in statuses(rule).items() if status == "ran"] == ["segment", "report"]
    assert rule.decision == "retrained (method rule, the current run's was leiden)"
    record = json.loads((rule.run_dir / "run.json").read_text(encoding="utf-8"))
    assert record["method"] in ("kmeans", "gmm", "ward") and record["parameters"]["method"] is None
    assert statuses(run_pipeline(workspace, db, files, RunOptions(method="rule"))) == dict.fromkeys(STEPS, "skipped")
    back = run_pipeline(workspace, db, files)  # and back to the default
    assert back.decision == "retrained (method leiden, the current run's was rule)"
    record = json.loads((back.run_dir / "run.json").read_text(encoding="utf-8"))
    assert record["method"] == record["parameters"]["method"] == "leiden"
    reports = [resumed, decided, upgraded, embedded, rule, back]
    assert len(dossiers) == sum(statuses(r)["report"] == "ran" for r in reports) == 6  # each asked for its dossier


def _run_command_prints_its_report(workspace: Workspace, tmp_path) -> None:
    result = CliRunner().invoke(app, ["run", str(tmp_path / "data" / "*.csv.gz")])
    assert result.exit_code == 0, result.output
    for expected in (
        "what ran",
        "segmentation: retrained (first segmentation)",
        "segments of run",
        "report:",
        "dossier-en.pdf",
        "/browser/",
        "on disk in",
        "event store",
    ):
        assert expected in result.output
    sizes = workspace.sizes()
    assert sizes["event store"] > 0 and sizes["features, vectors, runs, reports"] > 0
    missing = CliRunner().invoke(app, ["run", str(tmp_path / "nothing-*.csv.gz")])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    unknown = CliRunner().invoke(app, ["run", "--method", "dbscan", str(tmp_path / "data" / "*.csv.gz")])
    assert unknown.exit_code == 1 and "--method 'dbscan' is not one of leiden, kmeans" in unknown.output
