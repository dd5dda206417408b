"""GDPR right of access: everything shopgraph holds about one user, as JSON-ready data."""

from __future__ import annotations

from typing import Any

import duckdb

from events.store import month_dirs
from events.workspace import Workspace
from graph.connection import QueryRunner
from graph.erasure import DERIVED_DIRS, _q, _tables, stored_ids


def export_user(workspace: Workspace, raw_id: int, db: QueryRunner | None) -> dict[str, Any]:
    """The user's events, rows in every derived table, and graph node with relationships."""
    ids = stored_ids(workspace, [raw_id]) if (workspace.store_dir / "manifest.json").exists() else []
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TEMP TABLE wanted (user_id BIGINT)")
    con.executemany("INSERT INTO wanted VALUES (?)", [(i,) for i in ids])
    out: dict[str, Any] = {"user_id": raw_id, "stored_as": ids, "events": [], "tables": {}, "graph": None}
    files = [p for d in month_dirs(workspace).values() for p in d.glob("*.parquet")]
    if files and ids:
        listing = ", ".join(f"'{_q(p)}'" for p in files)
        out["events"] = _rows(con, f"""SELECT * FROM read_parquet([{listing}])
            WHERE user_id IN (SELECT user_id FROM wanted) ORDER BY event_time""")
    for folder in DERIVED_DIRS:
        for path in _tables(workspace.home / folder):
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
            source = f"{reader}('{_q(path)}')"
            columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
            if "user_id" in columns and ids:
                rows = _rows(con, f"SELECT * FROM {source} WHERE user_id::BIGINT IN (SELECT user_id FROM wanted)")
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


def is_empty(export: dict[str, Any]) -> bool:
    """True when nothing is held about the user any more."""
    return not export["events"] and not export["tables"] and export["graph"] is None
