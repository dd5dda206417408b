"""Helpers for the ingest tests: write small REES46 files and fingerprint the store."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from events.validate import HEADER
from shopgraph.workspace import Workspace

ROW = (
    "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,541312140,"
    "72d76fde-8bb3-4e00-8c23-a032dfed738c"
)
ROW2 = (
    "2019-10-01 00:00:01 UTC,cart,3900821,2053013552326770905,appliances.environment.water_heater,aqua,33.20,554748717,"
    "9333dfbd-b87a-4708-9857-6336556b0fcc"
)
ROW3 = (
    "2019-10-02 10:00:00 UTC,purchase,17200506,2053013559792632471,furniture.living_room.sofa,,543.10,519107250,"
    "566511c2-e2e3-422b-b695-cf8e6e792ca8"
)


def write_csv(path: Path, lines: list[str] | bytes, header: bool = True, gz: bool = False) -> Path:
    """Write ``lines`` (joined with ``\\n``, final newline) or raw bytes to ``path``."""
    if isinstance(lines, bytes):
        data = lines
    else:
        data = ("\n".join(([HEADER] if header else []) + lines) + "\n").encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def snapshot(workspace: Workspace) -> dict[str, str]:
    """SHA-256 of every file in the store (the lock file aside), by relative path."""
    store = workspace.store_dir
    if not store.exists():
        return {}
    return {
        p.relative_to(store).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(store.rglob("*"))
        if p.is_file() and p.name != ".ingest.lock"
    }


def leftovers(workspace: Workspace) -> list[Path]:
    """Temporary directories an ingest left in the store (there must be none)."""
    return list(workspace.store_dir.glob(".tmp-ingest-*")) if workspace.store_dir.exists() else []
