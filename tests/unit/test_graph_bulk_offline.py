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
