"""The ingest manifest ``store/manifest.json``: which source files the store holds, with their counts.

The manifest is the store's commit record: a partition or rejects file that no entry
names is a leftover of an interrupted ingest and is not part of the store. It is only
ever replaced whole (temporary file, fsync, ``os.replace``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shopgraph.errors import ShopgraphError
from shopgraph.files import atomic_write
from shopgraph.workspace import Workspace

MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class IngestedFile:
    """One source file in the store: identity, counts and the files it produced.

    ``rows_read = rows_kept + rows_rejected + rows_duplicate + rows_erased`` always.
    Paths in ``partitions`` and ``rejects_file`` are relative to ``store/``. ``sha256`` is
    the hash of the file's bytes, ``content_sha256`` of its decompressed bytes (the same
    for ``x.csv``, ``x.csv.gz`` and any recompression); entries written before it was
    recorded have None.
    """

    name: str
    sha256: str
    size_bytes: int
    months: list[str]
    rows_read: int
    rows_kept: int
    rows_rejected: int
    rows_duplicate: int
    rows_erased: int
    rows_per_month: dict[str, int]
    partitions: list[str]
    rejects_file: str | None
    pseudonymised: bool
    ingested_at: str
    code_version: str
    source_path: str = ""
    content_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_kept + self.rows_rejected + self.rows_duplicate + self.rows_erased


def manifest_path(workspace: Workspace) -> Path:
    return workspace.store_dir / MANIFEST_FILE


def read_manifest(workspace: Workspace) -> list[IngestedFile]:
    """Every ingested file, oldest first (empty if nothing was ingested yet)."""
    path = manifest_path(workspace)
    if not path.exists():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [IngestedFile(**entry) for entry in doc["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ShopgraphError(f"the manifest {path} is unreadable ({exc}): restore it from a backup") from None


def write_manifest(workspace: Workspace, files: list[IngestedFile]) -> None:
    """Replace the manifest atomically with ``files``."""
    path = manifest_path(workspace)
    doc = {"format": FORMAT_VERSION, "files": [asdict(f) for f in files]}
    with atomic_write(path) as handle:
        json.dump(doc, handle, indent=2)
        handle.write("\n")


def find_by_sha256(files: list[IngestedFile], sha256: str) -> IngestedFile | None:
    return next((f for f in files if f.sha256 == sha256), None)


def find_by_content_sha256(files: list[IngestedFile], content_sha256: str) -> IngestedFile | None:
    return next((f for f in files if f.content_sha256 == content_sha256), None)
