"""Likely segments on the graph (issue 21 §2): User.likely_segment* for the customers below the threshold with
5+ events, apart from User.segment; `--include-likely` for export-segment and recommend --segment."""

from __future__ import annotations

import csv

import pandas as pd
from typer.testing import CliRunner

from cli import app
from graph.audience import export_segment
from graph.connection import QueryRunner
from segments.writeback import read_run_folder, write_likely_segments, write_run
from shopgraph.workspace import Workspace
from tests.support.published_case import lookalikes_arrive, run_with_an_unpublished_cluster


def _likely_users(db: QueryRunner) -> dict[int, dict]:
    rows = db.run_text(
        "MATCH (u:User) WHERE u.likely_segment IS NOT NULL RETURN u.user_id AS id, u.segment AS segment, "
        "u.likely_segment AS likely, u.likely_segment_id AS sid, u.likely_segment_confidence AS c"
    )
    return {r["id"]: r for r in rows}


def test_likely_segments_on_users_and_include_likely(
    db: QueryRunner, workspace: Workspace, planted_shop, tmp_path, monkeypatch
) -> None:
    workspace, run = run_with_an_unpublished_cluster(planted_shop, tmp_path, db)
    write_run(db, workspace, run.run_dir)
    assignments = pd.read_parquet(run.run_dir / "assignments.parquet")
    guessed = assignments[assignments["likely_segment_id"] > 0].set_index("user_id")
    assert len(guessed) > 10
    _holds_the_guesses(db, guessed)
    assert write_likely_segments(db, read_run_folder(run.run_dir, workspace)) == 0  # the graph holds them already

    name = guessed["likely_segment"].value_counts().index[0]
    likely_here = set(guessed.index[guessed["likely_segment"] == name])
    members = set(assignments.loc[assignments["segment"] == name, "user_id"])
    plain = export_segment(db, workspace, name, tmp_path / "plain.csv")
    assert plain.rows == len(members) and plain.likely_customers == 0
    wide = export_segment(db, workspace, name, tmp_path / "wide.csv", include_likely=True)
    with (tmp_path / "wide.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert wide.likely_customers == len(likely_here) and wide.segment_customers == len(members)
    assert {int(r["user_id"]) for r in rows if r["likely"] == "yes"} == likely_here
    assert {int(r["user_id"]) for r in rows if r["likely"] == "no"} == members

    monkeypatch.setenv("SHOPGRAPH_HOME", str(workspace.home))
    out = tmp_path / "recs.csv"
    result = CliRunner().invoke(app, ["recommend", "--segment", name, "--include-likely", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        recommended = list(csv.DictReader(handle))
    assert {int(r["user_id"]) for r in recommended if r["likely"] == "true"} == likely_here
    assert {int(r["user_id"]) for r in recommended if r["likely"] == "false"} == members

    # the same customers reach a lowered threshold: they get a segment and lose the guess on the graph
    gone = lookalikes_arrive(workspace, run)
    assert CliRunner().invoke(app, ["assign"]).exit_code == 0
    assert not (set(_likely_users(db)) & gone & set(guessed.index))
    after = pd.read_parquet(run.run_dir / "assignments.parquet")
    _holds_the_guesses(db, after[after["likely_segment_id"] > 0].set_index("user_id"))


def _holds_the_guesses(db: QueryRunner, guessed: pd.DataFrame) -> None:
    """The graph holds a likely segment for exactly the users of ``guessed``, with its id, name and confidence."""
    on_graph = _likely_users(db)
    assert set(on_graph) == set(guessed.index)
    for uid, u in on_graph.items():
        assert u["segment"] == "Not enough activity yet"  # the guess never replaces the label
        assert u["sid"] == guessed.loc[uid, "likely_segment_id"] and u["likely"] == guessed.loc[uid, "likely_segment"]
        assert abs(u["c"] - guessed.loc[uid, "likely_segment_confidence"]) < 1e-9
