"""A real run folder from `segments.segmentation.segment` written to Neo4j: the formats of both halves agree."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from events.ingest import ingest_files
from events.synth import generate
from features.calendar import load_calendar
from features.compute import build_user_features
from graph.connection import QueryRunner
from graph.load import load
from segments.segmentation import segment
from segments.writeback import write_run
from shopgraph.workspace import Workspace

pytestmark = pytest.mark.chain  # the whole chain, end to end


def test_a_pipeline_run_lands_whole_in_the_graph(db: QueryRunner, workspace: Workspace, tmp_path) -> None:
    data = generate(tmp_path / "data", users=400, months="2019-11..2019-12", seed=5)
    ingest_files(workspace, sorted(data.files), pseudonymise=False)
    load(db, workspace)
    build_user_features(workspace, load_calendar())
    run = segment(workspace, seed=0, classifiers=("knn", "decision_tree"))

    report = write_run(db, workspace, run.run_dir)

    assert report.not_in_graph == 0 and report.missing_from_run == 0 and report.matched == report.users
    assert (
        db.run_text(
            "MATCH (u:User) WHERE u.segment IS NULL OR u.segment_run <> $r RETURN count(u) AS n", {"r": run.run_id}
        )[0]["n"]
        == 0
    )
    profiles = json.loads((run.run_dir / "segments.json").read_text(encoding="utf-8"))
    graph = {
        r["id"]: r
        for r in db.run_text(
            "MATCH (s:Segment {current: true}) RETURN s.segment_id AS id, s.name AS name, s.name_fr AS fr, "
            "s.size AS size, size(s.actions_fr) AS actions, count{ (s)<-[:IN_SEGMENT]-() } AS members"
        )
    }
    assert sorted(graph) == sorted(int(p["segment_id"]) for p in profiles)
    assignments = pq.read_table(run.run_dir / "assignments.parquet").to_pandas()
    for p in profiles:
        s = graph[int(p["segment_id"])]
        assert (s["name"], s["fr"]) == (p["name"]["en"], p["name"]["fr"]) and s["actions"] >= 2
        assert s["members"] == int((assignments["segment_id"] == int(p["segment_id"])).sum())
        users = db.run_text("MATCH (u:User {segment: $name}) RETURN count(u) AS n", {"name": s["name"]})[0]["n"]
        assert users == s["members"]
    preferred = sum(len(p.get("categories") or []) + len(p.get("brands") or []) for p in profiles)
    linked = db.run_text("MATCH (:Segment {current: true})-[p:PREFERS]->() RETURN count(p) AS n")[0]["n"]
    assert linked == preferred  # every preferred category (by category_id) and brand (by name) is in the graph
    run_node = db.run_text("MATCH (r:SegmentationRun {current: true}) RETURN r AS r")[0]["r"]
    assert run_node["run_id"] == run.run_id and run_node["k"] == run.k and run_node["method"] == run.method
    assert json.loads(run_node["scores_json"]) and run_node["threshold"] >= 1
