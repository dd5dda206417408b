"""Puts REES46 CSV rows into a test workspace's event store through the real ingest."""

from __future__ import annotations

from pathlib import Path

from events.ingest import ingest_files
from events.manifest import IngestedFile
from shopgraph.workspace import Workspace


def store_from_csv(workspace: Workspace, csv_path: Path) -> IngestedFile:
    """Ingest ``csv_path`` (pseudonymised with the test key) and return its manifest entry."""
    results, _ = ingest_files(workspace, [csv_path])
    return results[0].entry
