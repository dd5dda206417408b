"""Pseudonymisation of user ids: the secret key (environment or owner-only key file) and the keyed hash.

A pseudonym is ``HMAC-SHA256(key, decimal string of the raw id)``, first 8 bytes read
big-endian as a *signed* 64-bit integer, so it fits a BIGINT / Neo4j integer. The same key
always gives the same pseudonym (users stay linkable across months); without the key the
raw id cannot be recomputed from the pseudonym except by trying candidate ids, which is
exactly what the key prevents. See ``docs/GDPR.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace

KEY_ENV = "SHOPGRAPH_PSEUDONYM_KEY"
KEY_FILE_NAME = "pseudonym.key"


def key_path(workspace: Workspace) -> Path:
    """Where the key file lives when the key does not come from the environment."""
    return workspace.secrets_dir / KEY_FILE_NAME


def load_key(workspace: Workspace, create: bool = True) -> bytes:
    """The pseudonymisation key as bytes.

    Parameters
    ----------
    workspace
        The workspace whose ``secrets/`` directory holds the key file.
    create
        Create a new random key file (32 bytes, hex, mode 0600 in a 0700 directory) when
        neither the environment variable nor the file exists.

    Returns
    -------
    bytes
        ``SHOPGRAPH_PSEUDONYM_KEY`` (UTF-8) if set and non-empty, else the key file's text.

    Raises
    ------
    ShopgraphError
        If the key file is readable by others, is empty, or is missing and ``create`` is false.
    """
    from_env = os.environ.get(KEY_ENV, "")
    if from_env.strip():
        return from_env.strip().encode("utf-8")
    path = key_path(workspace)
    if not path.exists():
        if not create:
            raise ShopgraphError(f"no pseudonymisation key: set {KEY_ENV} or restore {path} (the key used at ingest)")
        return _create_key_file(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ShopgraphError(f"the key file {path} is readable by others (mode {mode:o}): run `chmod 600 {path}`")
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ShopgraphError(f"the key file {path} is empty: restore it from your backup or delete it")
    return key.encode("utf-8")


def _create_key_file(path: Path) -> bytes:
    """Write a new random key with owner-only permissions; never overwrite an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it a moment ago: use theirs
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key.encode("utf-8")


def pseudonym(raw_id: int | str, key: bytes) -> int:
    """The pseudonym of one raw user id (see the module docstring)."""
    digest = hmac.digest(key, str(int(raw_id)).encode("ascii"), "sha256")
    return int.from_bytes(digest[:8], "big", signed=True)


def pseudonymise_ids(raw_ids: Iterable[int | str], key: bytes) -> list[int]:
    """Pseudonyms of ``raw_ids``, in the same order.

    Parameters
    ----------
    raw_ids
        Raw user ids as integers or decimal strings (``"00123"`` and ``123`` are the same id).
    key
        The secret from :func:`load_key`.

    Returns
    -------
    list of int
        Signed 64-bit integers, one per input id.
    """
    digest = hmac.digest
    return [
        int.from_bytes(digest(key, str(int(raw)).encode("ascii"), "sha256")[:8], "big", signed=True) for raw in raw_ids
    ]


def pseudonym_sql(column: str, key: bytes | None) -> str:
    """A DuckDB expression computing :func:`pseudonym` of the BIGINT ``column`` (the same values).

    HMAC is spelled out with DuckDB's ``sha256`` (RFC 2104: ``H((K ^ opad) || H((K ^ ipad) ||
    m))``) so the distinct ids of a month are hashed in parallel inside DuckDB instead of
    one by one in Python. The padded key is inlined as a hex literal, never logged. With
    ``key=None`` the column is returned as it is (``--no-pseudonymise``).
    """
    if key is None:
        return column
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in block).hex()
    outer = bytes(b ^ 0x5C for b in block).hex()
    digest = f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode(CAST({column} AS VARCHAR)))))"
    unsigned = f"CAST('0x' || left({digest}, 16) AS UBIGINT)"
    return (
        f"CAST(CAST({unsigned} AS HUGEINT) - CASE WHEN {unsigned} >= 9223372036854775808 "
        f"THEN CAST(18446744073709551616 AS HUGEINT) ELSE 0 END AS BIGINT)"
    )
