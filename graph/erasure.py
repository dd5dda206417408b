"""GDPR erasure (right to be forgotten): removes a user from every table, the graph, and future ingests.

Order matters for safety: the pseudonyms go onto the tombstone list *first* (so a crash
later on can never let a re-ingest bring the user back, and a re-run finishes the job),
then every Parquet table of the workspace is rewritten without the user's rows (each file
replaced atomically), then the graph nodes are deleted, and an audit line is appended
last. Re-running ``forget`` for the same ids is safe and finds nothing left.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from events.ingest import store_lock
from events.manifest import read_manifest, write_manifest
from events.pseudonym import load_key, pseudonymise_ids
from events.tombstones import add_tombstones
from events.workspace import Workspace
from graph.connection import QueryRunner

AUDIT_FILE = "erasure-audit.jsonl"
DERIVED_DIRS = ("graph", "features", "embeddings", "segments", "exports")
"""Workspace folders whose Parquet/CSV tables hold per-user rows keyed by ``user_id``."""


@dataclass
class ErasureReport:
    users: int
    rows_removed: dict[str, int] = field(default_factory=dict)
    graph_users_deleted: int = 0
    tombstones_added: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows_removed.values())


def stored_ids(workspace: Workspace, raw_ids: Sequence[int]) -> list[int]:
    """The values the store holds for ``raw_ids``: their pseudonyms, plus the raw ids when some
    file was ingested with ``--no-pseudonymise``."""
    key = load_key(workspace, create=False) if _any_pseudonymised(workspace) else None
    ids = set(pseudonymise_ids(raw_ids, key)) if key else set()
    if any(not f.pseudonymised for f in read_manifest(workspace)):
        ids |= {int(r) for r in raw_ids}
    return sorted(ids)


def _any_pseudonymised(workspace: Workspace) -> bool:
    files = read_manifest(workspace)
    return not files or any(f.pseudonymised for f in files)


def forget(workspace: Workspace, raw_ids: Sequence[int], db: QueryRunner | None) -> ErasureReport:
    """Erase ``raw_ids`` (ids as the shop knows them) from the store, derived tables and graph."""
    ids = stored_ids(workspace, raw_ids)
    report = ErasureReport(users=len(set(raw_ids)))
    with store_lock(workspace):
        key = load_key(workspace, create=False) if _any_pseudonymised(workspace) else None
        pseudonyms = pseudonymise_ids(raw_ids, key) if key else []
        report.tombstones_added = add_tombstones(workspace, pseudonyms or ids)
        con = duckdb.connect()
        con.execute("CREATE TEMP TABLE erased (user_id BIGINT)")
        con.executemany("INSERT INTO erased VALUES (?)", [(i,) for i in ids])
        report.rows_removed["events"] = _erase_events(workspace, con)
        report.rows_removed["rejects"] = _erase_rejects(workspace, con, raw_ids)
        for folder in DERIVED_DIRS:
            removed = sum(_rewrite_without(path, con) for path in _tables(workspace.home / folder))
            if removed:
                report.rows_removed[folder] = removed
    if db is not None:
        deleted = db.run("gdpr/forget_users", user_ids=ids)
        report.graph_users_deleted = deleted[0]["deleted"] if deleted else 0
    _audit(workspace, report)
    return report


def _tables(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in {".parquet", ".csv"} and p.is_file())


def _rewrite_without(path: Path, con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite one table without the erased users' rows (atomic replace); rows removed."""
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    source = f"{reader}('{_q(path)}')"
    columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    if "user_id" not in columns:
        return 0
    hits = con.execute(f"SELECT count(*) FROM {source} WHERE user_id::BIGINT IN (SELECT user_id FROM erased)").fetchone()[0]
    if not hits:
        return 0
    tmp = path.with_name(f".{path.name}.erasing")
    fmt = "(FORMAT parquet, COMPRESSION zstd)" if path.suffix == ".parquet" else "(FORMAT csv, HEADER true)"
    con.execute(
        f"COPY (SELECT * FROM {source} WHERE user_id::BIGINT NOT IN (SELECT user_id FROM erased)) TO '{_q(tmp)}' {fmt}"
    )
    os.replace(tmp, path)
    return int(hits)


def _erase_events(workspace: Workspace, con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite affected partitions and re-balance their manifest entries from the files themselves."""
    manifest = read_manifest(workspace)
    removed = 0
    updated = []
    for entry in manifest:
        removed += sum(_rewrite_without(workspace.store_dir / part, con) for part in entry.partitions)
        kept = sum(
            con.execute(f"SELECT count(*) FROM read_parquet('{_q(workspace.store_dir / part)}')").fetchone()[0]
            for part in entry.partitions
        )
        erased = entry.rows_read - kept - entry.rows_rejected - entry.rows_duplicate
        updated.append(replace(entry, rows_kept=kept, rows_erased=erased))
    if updated != manifest:
        write_manifest(workspace, updated)
    return removed


def _erase_rejects(workspace: Workspace, con: duckdb.DuckDBPyConnection, raw_ids: Sequence[int]) -> int:
    """Rejected rows keep the raw line, raw user id included: drop lines whose 8th field is one of them."""
    removed = 0
    raw = {str(int(r)) for r in raw_ids}
    for entry in read_manifest(workspace):
        if not entry.rejects_file:
            continue
        path = workspace.store_dir / entry.rejects_file
        rows = con.execute(f"SELECT raw_text FROM read_csv('{_q(path)}', all_varchar = true)").fetchall()
        hits = sum(1 for (text,) in rows if _raw_user(text) in raw)
        if hits:
            con.execute("CREATE OR REPLACE TEMP TABLE raw_erased (id VARCHAR)")
            con.executemany("INSERT INTO raw_erased VALUES (?)", [(r,) for r in raw])
            tmp = path.with_name(f".{path.name}.erasing")
            con.execute(
                f"""COPY (SELECT * FROM read_csv('{_q(path)}', all_varchar = true)
                    WHERE coalesce(trim(split_part(raw_text, ',', 8)), '') NOT IN (SELECT id FROM raw_erased))
                    TO '{_q(tmp)}' (FORMAT csv, HEADER true)"""
            )
            os.replace(tmp, path)
            removed += hits
    return removed


def _raw_user(raw_text: str | None) -> str:
    parts = (raw_text or "").split(",")
    return parts[7].strip() if len(parts) > 7 else ""


def _audit(workspace: Workspace, report: ErasureReport) -> None:
    """Append one line: when, how many users and rows — never an id."""
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "action": "forget", **asdict(report)}
    path = workspace.store_dir / AUDIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _q(path: Path) -> str:
    return str(path).replace("'", "''")
