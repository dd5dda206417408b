"""`load --bulk` without Neo4j: the CSVs match their headers, and a remote NEO4J_URI is one clear line."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from graph.bulk import write_csvs
from graph.load import ingested_files
from shopgraph.workspace import Workspace
from tests.support.store_builder import store_from_csv


def test_bulk_refuses_a_remote_server(monkeypatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://db.example.com:7687")
    monkeypatch.setenv("NEO4J_PASSWORD", "whatever-password")
    result = CliRunner().invoke(app, ["load", "--bulk"])
    assert result.exit_code == 1
    assert "is another machine" in result.output and "without --bulk" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


@pytest.mark.parametrize("compress", [False, True])
def test_every_csv_matches_its_header(workspace: Workspace, shared_data: Path, tmp_path: Path, compress: bool) -> None:
    store_from_csv(workspace, shared_data / "rees46-2019-oct-first5019.csv")
    store_from_csv(workspace, shared_data / "rees46-2019-nov-first683.csv")
    out = tmp_path / "csv"
    arguments, rows = write_csvs(workspace, ingested_files(workspace), out, duckdb.connect(), compress=compress)

    assert rows["users"] > 0 and rows["viewed"] > 0 and rows["ingested_files"] == 2
    assert (
        len([a for a in arguments if a.startswith("--nodes=")]) == 6
    )  # User Product Category CategoryLevel Brand IngestedFile
    for argument in arguments:
        header_path, data_path = (Path(p) for p in argument.split("=", 2)[2].split(","))
        header = header_path.read_text().strip().split(",")
        opener = gzip.open if data_path.suffix == ".gz" else open
        with opener(data_path, "rt", encoding="utf-8", newline="") as fh:
            lines = list(csv.reader(fh))
        assert all(len(line) == len(header) for line in lines), data_path.name
    users = out / ("users.csv.gz" if compress else "users.csv")
    with gzip.open(users, "rt") if compress else users.open() as fh:
        first = next(csv.reader(fh))
    assert first[2].endswith("Z") and "T" in first[2]  # 2019-10-01T00:00:20.000Z: a UTC datetime


class _Graph:
    """What choose_load_path asks of the database: how many nodes it holds."""

    def __init__(self, nodes: int) -> None:
        self.nodes = nodes

    def run(self, name: str, **_params) -> list[dict]:
        assert name == "load/count_nodes"
        return [{"nodes": self.nodes}]


class _Server:
    def __init__(self, running: bool) -> None:
        self.running = running

    def pid(self) -> int | None:
        return 4242 if self.running else None


@pytest.mark.parametrize(
    ("wanted", "nodes", "running", "minimum", "path", "why"),
    [
        ("auto", 0, True, 1_000, "bulk", "empty graph and 5,699 events to load"),
        ("auto", 0, True, 10_000, "bolt", "5,699 events is under the 10,000"),
        ("auto", 12, True, 1_000, "bolt", "already holds 12 nodes"),
        ("auto", 0, False, 1_000, "bolt", "not running"),
        ("bolt", 0, True, 1_000, "bolt", "forced with --load bolt"),
        ("bulk", 12, True, 10_000, "bulk", "forced with --load bulk"),
    ],
)
def test_run_chooses_the_bulk_import_for_a_large_history_into_an_empty_graph(
    workspace: Workspace, shared_data: Path, monkeypatch, wanted, nodes, running, minimum, path, why
) -> None:
    from graph import bulk
    from shopgraph.settings import Settings

    store_from_csv(workspace, shared_data / "rees46-2019-oct-first5019.csv")
    store_from_csv(workspace, shared_data / "rees46-2019-nov-first683.csv")
    monkeypatch.setattr(bulk, "BULK_MIN_EVENTS", minimum)
    monkeypatch.setenv("NEO4J_PASSWORD", "whatever-password")
    chosen, reason = bulk.choose_load_path(
        _Graph(nodes), Settings.from_env(), workspace, wanted, server=_Server(running)
    )
    assert (chosen, why in reason) == (path, True), reason


def test_run_refuses_an_unknown_load_path_before_any_work(workspace: Workspace, shared_data: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(shared_data / "rees46-2019-nov-first683.csv"), "--load", "fast"])
    assert result.exit_code == 1
    assert "--load 'fast': choose one of auto, bolt, bulk" in result.output
    assert not (workspace.store_dir / "manifest.json").exists()
