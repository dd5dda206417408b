"""ingest → features → embed → segment with no Neo4j: the interaction aggregates come from the event store."""

from __future__ import annotations

import duckdb
from typer.testing import CliRunner

from cli import app
from events.interactions import interactions_path, refresh_interactions
from events.manifest import read_manifest
from events.retention import apply_retention
from events.synth import generate
from segments import runs
from tests.support.embed_support import taste_rows
from tests.support.ingest_support import write_csv

runner = CliRunner()
NO_SERVER = "bolt://127.0.0.1:9"  # the discard port: any attempt to reach Neo4j fails at once


def test_ingest_features_embed_segment_run_without_a_graph_server(workspace, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NEO4J_URI", NO_SERVER)
    data = generate(tmp_path / "data", users=250, months="2019-11..2019-12", seed=3)
    steps = [
        ["ingest", *map(str, sorted(data.files))],
        ["features", "--no-graph"],
        ["embed", "--dimensions", "8", "--walk-length", "8", "--walks-per-node", "2", "--epochs", "1"],
        ["segment", "--no-graph", "--k", "3", "--method", "kmeans", "--sample-size", "200"],
    ]
    for args in steps:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"shopgraph {args[0]}: {result.output}"
    assert len(list(workspace.interactions_dir.glob("part-*.parquet"))) == len(data.files)
    run_dir = runs.current_run_dir(workspace)
    run = runs.read_json(run_dir / "run.json")
    assert run["k"] == 3 and run["inputs"]["vectors"] == "embeddings/user_vectors.parquet"  # the graph vectors used
    segments = [s for s in runs.read_json(run_dir / "segments.json") if s["segment_id"] != 0]  # 0: too little activity
    assert len(segments) == 3 and all(s["size"] > 0 for s in segments)


def _events_in_aggregates(workspace) -> int:
    files = [str(p) for p in refresh_interactions(workspace)]
    return duckdb.connect().execute("SELECT sum(count) FROM read_parquet(?)", [files]).fetchone()[0]


def test_aggregates_are_rebuilt_when_a_partition_changes(workspace, tmp_path) -> None:
    from events.ingest import ingest_files

    october = taste_rows({"apple": [11, 12], "xiaomi": [21]}, month="2019-10")
    november = taste_rows({"apple": [13]}, month="2019-11")
    ingest_files(workspace, [write_csv(tmp_path / "two-months.csv", october + november)])
    [entry] = read_manifest(workspace)
    assert _events_in_aggregates(workspace) == len(october) + len(november)
    cached = interactions_path(workspace, entry).stat().st_mtime_ns
    assert _events_in_aggregates(workspace) == len(october) + len(november)
    assert interactions_path(workspace, entry).stat().st_mtime_ns == cached  # current: reused, not rewritten
    apply_retention(workspace, 1)  # rewrites the store without October
    assert _events_in_aggregates(workspace) == len(november)


def test_aggregates_of_files_gone_from_the_store_are_removed(workspace, tmp_path) -> None:
    from events.ingest import ingest_files

    months = ("2019-10", "2019-11")
    for month in months:
        ingest_files(workspace, [write_csv(tmp_path / f"{month}.csv", taste_rows({"apple": [11]}, month=month))])
    assert len(refresh_interactions(workspace)) == len(months)
    apply_retention(workspace, 1)
    assert len(refresh_interactions(workspace)) == 1
    assert len(list(workspace.interactions_dir.glob("part-*.parquet"))) == 1
