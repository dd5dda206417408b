"""What the Spark tests share: the pseudonym key, paired workspaces, and manifest entries made comparable."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from shopgraph.workspace import Workspace

KEY = "test-key-not-secret"
#: pyspark 3.5's own warnings: py4j leaves the sockets of collected results to the garbage
#: collector, and its pandas version check uses distutils
PYSPARK_NOISE = (
    "ignore::ResourceWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
    "ignore:distutils Version classes are deprecated:DeprecationWarning",
)


def duck_and_spark(home: Path, name: str) -> tuple[Workspace, Workspace]:
    """Two empty workspaces under ``home``: one for DuckDB, one for Spark."""
    return Workspace(home / name / "duckdb"), Workspace(home / name / "spark")


def comparable(entry) -> dict:
    """A manifest entry without what differs between two runs of the same ingest (time, code version)."""
    record = asdict(entry)
    for varying in ("ingested_at", "code_version"):
        record.pop(varying)
    return record
