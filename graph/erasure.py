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
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from events.ingest import store_lock
from events.manifest import read_manifest, write_manifest
from events.pseudonym import load_key, pseudonymise_ids
from events.store import bounded_connection
from events.tombstones import add_tombstones
from features.graph_write import WRITTEN as FEATURES_WRITTEN
from graph.connection import QueryRunner
from segments.writeback import WRITTEN
from shopgraph.files import atomic_path
from shopgraph.sqltext import literal
from shopgraph.workspace import Workspace

AUDIT_FILE = "erasure-audit.jsonl"
DERIVED_DIRS = ("graph", "features", "embeddings", "segments", "exports", "store/digests")
"""Workspace folders whose Parquet/CSV tables hold per-user rows keyed by ``user_id`` (``export-user`` reads them;
``forget`` rewrites them, but for the digests, which it deletes as a scratch folder first)."""
USER_COLUMNS = ("user_id", "other_user_id")
"""The columns naming a user in those tables (``other_user_id``: the look-alike in a run's similar.parquet)."""
COPIES = (WRITTEN, FEATURES_WRITTEN)
"""Files that copy another table's rows for speed (segments/writeback.py's copy of the assignments the graph
holds, features/graph_write.py's of the metrics it holds): deleted when they hold an erased user, not rewritten,
so each user's rows are counted once (the next write then sends every row)."""
SCRATCH_DIRS = ("graph/bulk-import", "store/digests")
"""Folders deleted whole by ``forget``: headerless CSVs of an interrupted ``load --bulk``; the months' digests of
the store (events/month_digest.py, customers' counts by id), which the next describe makes again."""


@dataclass
class ErasureReport:
    users: int
    rows_removed: dict[str, int] = field(default_factory=dict)
    graph_users_deleted: int = 0
    tombstones_added: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows_removed.values())


def stored_ids(workspace: Workspace, raw_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """The values the store holds for ``raw_ids`` and, separately, their pseudonyms.

    Stored values are the pseudonyms, plus the raw ids themselves when some file was
    ingested with ``--no-pseudonymise``.
    """
    files = read_manifest(workspace)
    pseudonymised = not files or any(f.pseudonymised for f in files)
    pseudonyms = pseudonymise_ids(raw_ids, load_key(workspace, create=False)) if pseudonymised else []
    ids = set(pseudonyms)
    if any(not f.pseudonymised for f in files):
        ids |= {int(r) for r in raw_ids}
    return sorted(ids), pseudonyms


def forget(workspace: Workspace, raw_ids: Sequence[int], db: QueryRunner | None) -> ErasureReport:
    """Erase ``raw_ids`` (ids as the shop knows them) from the store, derived tables and graph."""
    report = ErasureReport(users=len(set(raw_ids)))
    with store_lock(workspace):
        ids, pseudonyms = stored_ids(workspace, raw_ids)
        con = bounded_connection(workspace)  # before the first write: a bound it cannot set changes nothing
        report.tombstones_added = add_tombstones(workspace, pseudonyms or ids)
        con.execute("CREATE TEMP TABLE erased (user_id BIGINT)")
        con.executemany("INSERT INTO erased VALUES (?)", [(i,) for i in ids])
        report.rows_removed["events"] = _erase_events(workspace, con)
        report.rows_removed["rejects"] = _erase_rejects(workspace, con, raw_ids)
        for scratch in SCRATCH_DIRS:
            shutil.rmtree(workspace.home / scratch, ignore_errors=True)
        for folder in DERIVED_DIRS:
            for path in user_tables(workspace.home / folder):
                if path.name in COPIES and _hits(path, con):
                    path.unlink()
            removed = sum(
                _rewrite_without(path, con, column)
                for path in user_tables(workspace.home / folder)
                for column in USER_COLUMNS
            )
            if removed:
                report.rows_removed[folder] = removed
    if db is not None:
        deleted = db.run("gdpr/forget_users", user_ids=ids)
        report.graph_users_deleted = deleted[0]["deleted"] if deleted else 0
    _audit(workspace, report)
    return report


def user_tables(folder: Path) -> list[Path]:
    """The Parquet and CSV files under ``folder`` (the candidates for rows keyed by ``user_id``)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in {".parquet", ".csv"} and p.is_file())


def table_source(path: Path) -> str:
    """The DuckDB table function reading ``path`` as stored (no hive columns from its folder names)."""
    if path.suffix == ".parquet":
        return f"read_parquet({literal(path)}, hive_partitioning = false)"
    return f"read_csv({literal(path)}, all_varchar = true, hive_partitioning = false)"


def _rewrite_without(
    path: Path, con: duckdb.DuckDBPyConnection, column: str = "user_id", erased: str = "SELECT user_id FROM erased"
) -> int:
    """Rewrite one table without the erased users' rows (fsync, atomic replace); rows removed."""
    source = table_source(path)
    match = f"TRY_CAST({column} AS {'BIGINT' if erased.endswith('FROM erased') else 'VARCHAR'}) IN ({erased})"
    hits = _hits(path, con, column, match)
    if not hits:
        return 0
    fmt = "(FORMAT parquet, COMPRESSION zstd)" if path.suffix == ".parquet" else "(FORMAT csv, HEADER true)"
    with atomic_path(path) as tmp:
        con.execute(f"COPY (SELECT * FROM {source} WHERE {match} IS NOT TRUE) TO {literal(tmp)} {fmt}")
    return int(hits)


def _hits(path: Path, con: duckdb.DuckDBPyConnection, column: str = "user_id", match: str | None = None) -> int:
    """Rows of the table at ``path`` that ``match`` (default: ``column`` names an erased user); 0 without ``column``."""
    source = table_source(path)
    columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    if column.isidentifier() and column not in columns:
        return 0
    match = match or f"TRY_CAST({column} AS BIGINT) IN (SELECT user_id FROM erased)"
    return int(con.execute(f"SELECT count(*) FROM {source} WHERE {match}").fetchone()[0])


def _erase_events(workspace: Workspace, con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite affected partitions and re-balance their manifest entries from the files themselves."""
    manifest = read_manifest(workspace)
    removed = 0
    updated = []
    for entry in manifest:
        removed += sum(_rewrite_without(workspace.store_dir / part, con) for part in entry.partitions)
        per_month = {
            part.split("/")[1].removeprefix("month="): int(
                con.execute(f"SELECT count(*) FROM {table_source(workspace.store_dir / part)}").fetchone()[0]
            )
            for part in entry.partitions
        }
        kept = sum(per_month.values())
        erased = entry.rows_read - kept - entry.rows_rejected - entry.rows_duplicate
        updated.append(replace(entry, rows_kept=kept, rows_erased=erased, rows_per_month=per_month))
    if updated != manifest:
        write_manifest(workspace, updated)
    return removed


def _erase_rejects(workspace: Workspace, con: duckdb.DuckDBPyConnection, raw_ids: Sequence[int]) -> int:
    """Rejected rows keep the raw line, raw user id included.

    Ingest records the parsed raw id in the rejects file's ``user_id`` column; where it is
    empty (a line that could not be split into fields) and in files written before that
    column existed, the 8th comma-separated field of the raw line is used.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE raw_erased (id VARCHAR)")
    con.executemany("INSERT INTO raw_erased VALUES (?)", [(str(int(r)),) for r in raw_ids])
    removed = 0
    for entry in read_manifest(workspace):
        if not entry.rejects_file:
            continue
        path = workspace.store_dir / entry.rejects_file
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {table_source(path)}").fetchall()]
        fallback = "trim(split_part(raw_text, ',', 8))"  # lines that could not be split into fields
        column = f"coalesce(nullif(user_id, ''), {fallback})" if "user_id" in columns else fallback
        removed += _rewrite_without(path, con, column=column, erased="SELECT id FROM raw_erased")
    return removed


def _audit(workspace: Workspace, report: ErasureReport) -> None:
    """Append one line: when, how many users and rows — never an id."""
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "action": "forget", **asdict(report)}
    path = workspace.store_dir / AUDIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
