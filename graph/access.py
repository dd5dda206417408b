"""GDPR right of access: everything shopgraph holds about one user, as JSON-ready data."""

from __future__ import annotations

from typing import Any

import duckdb

from events.manifest import read_manifest
from events.store import bounded_connection
from graph.connection import QueryRunner
from graph.erasure import DERIVED_DIRS, stored_ids, table_source, user_tables
from shopgraph.workspace import Workspace


def export_user(workspace: Workspace, raw_id: int, db: QueryRunner | None) -> dict[str, Any]:
    """The user's events, rows in every derived table, and graph node with relationships."""
    ids = stored_ids(workspace, [raw_id])[0] if read_manifest(workspace) else []
    con = bounded_connection(workspace)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TEMP TABLE wanted (user_id BIGINT)")
    con.executemany("INSERT INTO wanted VALUES (?)", [(i,) for i in ids])
    out: dict[str, Any] = {"user_id": raw_id, "stored_as": ids, "events": [], "tables": {}, "graph": None}
    partitions = [workspace.store_dir / part for entry in read_manifest(workspace) for part in entry.partitions]
    if ids:
        out["events"] = [
            row
            for part in partitions
            for row in _rows(con, f"SELECT * FROM {table_source(part)} WHERE user_id IN (SELECT user_id FROM wanted)")
        ]
        out["events"].sort(key=lambda row: row["event_time"])
        for folder in DERIVED_DIRS:
            for path in user_tables(workspace.home / folder):
                source = table_source(path)
                columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
                if "user_id" in columns:
                    rows = _rows(
                        con, f"SELECT * FROM {source} WHERE TRY_CAST(user_id AS BIGINT) IN (SELECT user_id FROM wanted)"
                    )
                    if rows:
                        out["tables"][str(path.relative_to(workspace.home))] = rows
    if db is not None:
        for stored in ids:
            found = db.run("gdpr/export_user", user_id=stored)
            if found:
                out["graph"] = {"user": found[0]["user"], "relationships": found[0]["relationships"]}
    return out


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
