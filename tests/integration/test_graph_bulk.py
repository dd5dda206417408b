"""`load --bulk` (CSVs + neo4j-admin import) gives exactly the graph of the incremental Bolt load.

These tests stop and restart the test server (the import needs it stopped); it is up again,
with its constraints, when each test ends, and the session's driver reconnects.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from events.interactions import interactions_path
from graph.bulk import bulk_load
from graph.connection import QueryRunner
from graph.load import ingested_files, load
from graph.schema import reset_database
from graph.server import LocalServer
from shopgraph.settings import Settings
from shopgraph.workspace import Workspace
from tests.support.graph_dump import dump_graph
from tests.support.store_builder import store_from_csv


def value_types(db: QueryRunner) -> list[tuple]:
    """(label or type, property, Cypher value type, how many): dump_graph compares values as text only."""
    nodes = db.run_text(
        "MATCH (n) UNWIND keys(n) AS k RETURN labels(n)[0] AS what, k, valueType(n[k]) AS type, count(*) AS n"
    )
    rels = db.run_text(
        "MATCH ()-[r]->() UNWIND keys(r) AS k RETURN type(r) AS what, k, valueType(r[k]) AS type, count(*) AS n"
    )
    return sorted(tuple(row.values()) for row in nodes + rels)


def constraints(db: QueryRunner) -> list[str]:
    return sorted(row["name"] for row in db.run_text("SHOW CONSTRAINTS YIELD name RETURN name"))


@pytest.fixture
def mixed_store(workspace: Workspace, shared_data: Path, tmp_path: Path) -> Workspace:
    """The real sample rows (Oct, Nov) and two synthetic months over the same synthetic users and products:
    counts, amounts, prices and category codes must combine across four files."""
    store_from_csv(workspace, shared_data / "rees46-2019-oct-first5019.csv")
    store_from_csv(workspace, shared_data / "rees46-2019-nov-first683.csv")
    from events.synth import generate

    synthetic = generate(tmp_path / "synth", users=300, months="2019-10..2019-11", seed=1)
    for path in synthetic.files:
        store_from_csv(workspace, path)
    return workspace


def test_bulk_equals_bolt(db: QueryRunner, mixed_store: Workspace, neo4j_settings: Settings) -> None:
    load(db, mixed_store, batch_size=500)
    bolt, bolt_types = dump_graph(db), value_types(db)
    schema = constraints(db)
    reset_database(db)
    for source in ingested_files(mixed_store):
        interactions_path(mixed_store, source).unlink()

    report = bulk_load(db, neo4j_settings, mixed_store, server=LocalServer(neo4j_settings))

    assert len(report.files_loaded) == 4
    assert report.nodes == len(bolt[0]) and report.relationships == len(bolt[1])
    assert dump_graph(db) == bolt
    assert value_types(db) == bolt_types
    assert constraints(db) == schema
    assert all(interactions_path(mixed_store, s).exists() for s in ingested_files(mixed_store))
    assert report.rows_written["removed"] > 0 and report.rows_written["purchased"] > 0
    assert not (mixed_store.home / "graph" / "bulk-import").exists()  # the CSVs are gone
    again = load(db, mixed_store)  # the Bolt path sees every file as loaded
    assert again.files_loaded == [] and len(again.files_skipped) == 4


def test_bolt_load_continues_a_bulk_load(db: QueryRunner, mixed_store: Workspace, neo4j_settings: Settings) -> None:
    load(db, mixed_store)
    everything = dump_graph(db)
    reset_database(db)
    manifest_path = mixed_store.store_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    later = [e for e in manifest["files"] if e["months"] == ["2019-11"]]
    manifest_path.write_text(json.dumps({**manifest, "files": [e for e in manifest["files"] if e not in later]}))

    bulk_load(db, neo4j_settings, mixed_store, server=LocalServer(neo4j_settings), compress=True)
    manifest_path.write_text(json.dumps(manifest))
    report = load(db, mixed_store)

    assert sorted(report.files_loaded) == sorted(e["name"] for e in later)
    assert dump_graph(db) == everything


def test_bulk_into_a_non_empty_database_is_one_line(db: QueryRunner, workspace: Workspace, shared_data: Path) -> None:
    store_from_csv(workspace, shared_data / "rees46-2019-nov-first683.csv")
    db.run_text("CREATE (:Brand {name: 'already here'})")
    result = CliRunner().invoke(app, ["load", "--bulk"])
    assert result.exit_code == 1
    assert "only loads into an empty database" in result.output and "1 node(s)" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert db.run_text("MATCH (n) RETURN count(n) AS n") == [{"n": 1}]


def test_run_takes_the_bulk_import_into_an_empty_graph_and_gets_the_bolt_graph(
    db: QueryRunner, mixed_store: Workspace, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph import bulk
    from pipeline.run import RunHooks, RunOptions, _Runner

    load(db, mixed_store, batch_size=500)
    bolt = dump_graph(db)
    reset_database(db)
    monkeypatch.setattr(bulk, "BULK_MIN_EVENTS", 1_000)
    monkeypatch.setenv("SHOPGRAPH_HOME", str(neo4j_settings.workspace.home))  # the server that run stops and starts
    said: list[str] = []
    runner = _Runner(mixed_store, db, RunOptions(), RunHooks(progress=lambda label, done, total: said.append(label)))

    status, detail = runner.load()

    assert status == "ran" and detail.startswith("bulk import (empty graph and ") and "4 file(s)" in detail
    assert said[0].startswith("load through bulk: empty graph and ")
    assert dump_graph(db) == bolt
    assert runner.load() == ("skipped", "4 file(s) already in the graph")  # not empty any more: Bolt, nothing new
