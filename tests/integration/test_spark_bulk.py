"""`load --bulk --engine spark`: the graph neo4j-admin imports from Spark's files is the one from DuckDB's files.

Marked ``spark``: the whole suite leaves it out, ``scripts/test --spark`` (and CI beside the suite) runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from events.synth import generate
from graph.bulk import bulk_load
from graph.connection import QueryRunner
from graph.schema import reset_database
from graph.server import LocalServer
from shopgraph.settings import Settings
from shopgraph.workspace import Workspace
from tests.support.graph_dump import dump_graph
from tests.support.spark_case import PYSPARK_NOISE
from tests.support.store_builder import store_from_csv

pytestmark = [pytest.mark.spark, *(pytest.mark.filterwarnings(noise) for noise in PYSPARK_NOISE)]

COUNTS = [
    "MATCH (n) RETURN labels(n)[0] AS what, count(*) AS n ORDER BY what",
    "MATCH ()-[r]->() RETURN type(r) AS what, count(*) AS n ORDER BY what",
    "MATCH (n) UNWIND keys(n) AS k RETURN labels(n)[0] AS what, k, valueType(n[k]) AS type, count(*) AS n "
    "ORDER BY what, k, type",
    "MATCH ()-[r]->() UNWIND keys(r) AS k RETURN type(r) AS what, k, valueType(r[k]) AS type, count(*) AS n "
    "ORDER BY what, k, type",
]


def test_spark_import_files_give_the_duckdb_graph(
    db: QueryRunner, spark, neo4j_settings: Settings, workspace: Workspace, shared_data: Path, tmp_path: Path
) -> None:
    """The real rows and two synthetic months: counts, amounts, prices and codes combine across four files."""
    for name in ("rees46-2019-oct-first5019.csv", "rees46-2019-nov-first683.csv"):
        store_from_csv(workspace, shared_data / name)
    for path in generate(tmp_path / "synth", users=150, months="2019-10..2019-11", seed=1).files:
        store_from_csv(workspace, path)
    server = LocalServer(neo4j_settings)
    duck = bulk_load(db, neo4j_settings, workspace, server=server)
    duck_graph, duck_counts = dump_graph(db), [db.run_text(q) for q in COUNTS]
    reset_database(db)

    on_spark = bulk_load(db, neo4j_settings, workspace, server=server, engine="spark", compress=True)

    assert on_spark.rows_written == duck.rows_written and on_spark.rows_written["purchased"] > 0
    assert (on_spark.nodes, on_spark.relationships) == (duck.nodes, duck.relationships)
    assert [db.run_text(q) for q in COUNTS] == duck_counts
    assert dump_graph(db) == duck_graph  # every node and relationship with every property


def test_engine_spark_without_bulk_is_one_line(workspace: Workspace) -> None:
    result = CliRunner().invoke(app, ["load", "--engine", "spark"])
    assert result.exit_code == 1 and "use it with --bulk" in result.output
    assert len(result.output.strip().splitlines()) == 1
