"""`load --bulk` (CSVs + neo4j-admin import) gives exactly the graph of the incremental Bolt load.

The import stops and restarts the test server, so the module pays for as few as it can: the mixed store
and its Bolt graph are built once (``bolt_reference``), and ``run``'s load step imports that store once
(``imported_by_run``) for two tests: what the import gives, and how ``run`` chose it. The server is up
again, with its constraints, after each import, and the session's driver reconnects.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from events.interactions import interactions_path
from graph import bulk
from graph.bulk import BulkReport, bulk_load
from graph.connection import QueryRunner
from graph.load import ingested_files, load
from graph.schema import apply_schema, reset_database
from graph.server import LocalServer
from shopgraph.settings import Settings
from shopgraph.workspace import Workspace
from tests.support.graph_dump import dump_graph
from tests.support.store_builder import store_from_csv

KEY = "test-key-not-secret"  # the ``workspace`` fixture's


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


@dataclass(frozen=True)
class BoltReference:
    """The mixed store after its Bolt load, and what that load gave."""

    store: Workspace
    graph: tuple[list, list]
    types: list[tuple]
    constraints: list[str]

    def copy_to(self, home: Path) -> Workspace:
        """The store, as the Bolt load left it, in ``home`` (a test changes its copy, never the reference)."""
        shutil.copytree(self.store.home, home, dirs_exist_ok=True)
        return Workspace(home)


@pytest.fixture(scope="module")
def bolt_reference(
    neo4j_driver, neo4j_settings: Settings, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> BoltReference:
    """The real sample rows (Oct, Nov) and two synthetic months over the same synthetic users and products,
    loaded through Bolt: counts, amounts, prices and category codes must combine across four files."""
    from events.synth import generate

    root = tmp_path_factory.mktemp("bulk")
    store = Workspace(root / "home")
    store.home.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOPGRAPH_HOME", str(store.home))
        patch.setenv("SHOPGRAPH_PSEUDONYM_KEY", KEY)
        store_from_csv(store, shared_data / "rees46-2019-oct-first5019.csv")
        store_from_csv(store, shared_data / "rees46-2019-nov-first683.csv")
        for path in generate(root / "synth", users=300, months="2019-10..2019-11", seed=1).files:
            store_from_csv(store, path)
        db = QueryRunner(neo4j_driver)
        reset_database(db)
        apply_schema(db)
        load(db, store, batch_size=500)
    return BoltReference(store, dump_graph(db), value_types(db), constraints(db))


@dataclass(frozen=True)
class RunImport:
    """What ``run``'s load step did to an empty graph (it took the bulk import) and what it left."""

    status: str
    detail: str
    said: list[str]
    report: BulkReport
    graph: tuple[list, list]
    types: list[tuple]
    constraints: list[str]
    interactions_back: bool  # every file's interactions, deleted before, were written again
    csvs_left: bool
    second_load: tuple[str, str]  # the step run again on the graph it filled


@pytest.fixture(scope="module")
def imported_by_run(
    bolt_reference: BoltReference, neo4j_driver, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> RunImport:
    """``run``'s load step on a copy of the mixed store, into an empty graph: one import (one server restart)."""
    from pipeline.run import RunHooks, RunOptions, _Runner

    store = bolt_reference.copy_to(tmp_path_factory.mktemp("bulk-run") / "home")
    sources = ingested_files(store)
    for source in sources:
        interactions_path(store, source).unlink()
    reports: list[BulkReport] = []

    def bulk_load_kept(*args, **kwargs) -> BulkReport:
        reports.append(bulk_load(*args, **kwargs))
        return reports[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "BULK_MIN_EVENTS", 1_000)
        patch.setattr(bulk, "bulk_load", bulk_load_kept)  # run imports it when the step starts
        patch.setenv("SHOPGRAPH_HOME", str(neo4j_settings.workspace.home))  # the server that run stops and starts
        patch.setenv("SHOPGRAPH_PSEUDONYM_KEY", KEY)
        for name in ("uri", "user", "password"):
            patch.setenv(f"NEO4J_{name.upper()}", getattr(neo4j_settings, name))
        db = QueryRunner(neo4j_driver)
        reset_database(db)
        apply_schema(db)
        said: list[str] = []
        runner = _Runner(store, db, RunOptions(), RunHooks(progress=lambda label, done, total: said.append(label)))
        status, detail = runner.load()
        graph, types, schema = dump_graph(db), value_types(db), constraints(db)
        interactions_back = all(interactions_path(store, s).exists() for s in sources)
        csvs_left = (store.home / "graph" / "bulk-import").exists()
        second_load = runner.load()  # after what the import left was read
    report = reports[0] if reports else BulkReport()
    return RunImport(status, detail, said, report, graph, types, schema, interactions_back, csvs_left, second_load)


def test_bulk_equals_bolt(imported_by_run: RunImport, bolt_reference: BoltReference) -> None:
    report, bolt = imported_by_run.report, bolt_reference.graph

    assert len(report.files_loaded) == 4
    assert report.nodes == len(bolt[0]) and report.relationships == len(bolt[1])
    assert imported_by_run.graph == bolt
    assert imported_by_run.types == bolt_reference.types
    assert imported_by_run.constraints == bolt_reference.constraints
    assert imported_by_run.interactions_back
    assert report.rows_written["removed"] > 0 and report.rows_written["purchased"] > 0
    assert not imported_by_run.csvs_left  # the CSVs are gone
    # the Bolt path sees every file as loaded
    assert imported_by_run.second_load == ("skipped", "4 file(s) already in the graph")


def test_bolt_load_continues_a_bulk_load(
    db: QueryRunner, bolt_reference: BoltReference, workspace: Workspace, neo4j_settings: Settings
) -> None:
    mixed_store = bolt_reference.copy_to(workspace.home)
    manifest_path = mixed_store.store_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    later = [e for e in manifest["files"] if e["months"] == ["2019-11"]]
    manifest_path.write_text(json.dumps({**manifest, "files": [e for e in manifest["files"] if e not in later]}))

    bulk_load(db, neo4j_settings, mixed_store, server=LocalServer(neo4j_settings), compress=True)
    manifest_path.write_text(json.dumps(manifest))
    report = load(db, mixed_store)

    assert sorted(report.files_loaded) == sorted(e["name"] for e in later)
    assert dump_graph(db) == bolt_reference.graph


def test_bulk_into_a_non_empty_database_is_one_line(db: QueryRunner, workspace: Workspace, shared_data: Path) -> None:
    store_from_csv(workspace, shared_data / "rees46-2019-nov-first683.csv")
    db.run_text("CREATE (:Brand {name: 'already here'})")
    result = CliRunner().invoke(app, ["load", "--bulk"])
    assert result.exit_code == 1
    assert "only loads into an empty database" in result.output and "1 node(s)" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert db.run_text("MATCH (n) RETURN count(n) AS n") == [{"n": 1}]


def test_run_takes_the_bulk_import_into_an_empty_graph_and_gets_the_bolt_graph(
    imported_by_run: RunImport, bolt_reference: BoltReference
) -> None:
    run = imported_by_run
    assert run.status == "ran" and run.detail.startswith("bulk import (empty graph and ") and "4 file(s)" in run.detail
    assert run.said[0].startswith("load through bulk: empty graph and ")
    assert run.graph == bolt_reference.graph
    assert run.second_load == ("skipped", "4 file(s) already in the graph")  # not empty any more: Bolt, nothing new
