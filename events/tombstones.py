"""The erasure list: pseudonyms of users who asked to be forgotten, never to be ingested again.

``store/tombstones.txt`` holds one signed 64-bit integer per line (the value stored in
the event store's ``user_id``). Ingest drops every row of these users and counts them as
*erased*. Nothing else identifies the user: the file holds pseudonyms only.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from shopgraph.errors import ShopgraphError
from shopgraph.files import atomic_write
from shopgraph.workspace import Workspace

TOMBSTONES_FILE = "tombstones.txt"


def tombstones_path(workspace: Workspace) -> Path:
    """``store/tombstones.txt`` of ``workspace``."""
    return workspace.store_dir / TOMBSTONES_FILE


def parse_tombstones(text: str, source: str = TOMBSTONES_FILE) -> set[int]:
    """The pseudonyms in ``text`` (one integer per line; blank lines and ``#`` comments ignored)."""
    found: set[int] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            value = int(line)
        except ValueError:
            raise ShopgraphError(f"{source} line {number} is not an integer pseudonym: {line[:40]!r}") from None
        if not -(2**63) <= value < 2**63:
            raise ShopgraphError(f"{source} line {number} is outside the 64-bit range: {line[:40]!r}")
        found.add(value)
    return found


def read_tombstones(workspace: Workspace) -> set[int]:
    """Every pseudonym on the erasure list (empty if the file does not exist)."""
    path = tombstones_path(workspace)
    if not path.exists():
        return set()
    return parse_tombstones(path.read_text(encoding="utf-8"), str(path))


def add_tombstones(workspace: Workspace, pseudonyms: Iterable[int]) -> int:
    """Add ``pseudonyms`` to the erasure list atomically; return how many were new.

    The whole list is rewritten to a temporary file in the same directory, flushed to
    disk and renamed over the old one, so a crash leaves either the old or the new list.
    """
    path = tombstones_path(workspace)
    existing = read_tombstones(workspace)
    merged = existing | {int(p) for p in pseudonyms}
    added = len(merged) - len(existing)
    if not added:
        return 0
    with atomic_write(path) as handle:
        handle.writelines(f"{value}\n" for value in sorted(merged))
    return added
