"""Builds a small event store straight from REES46 CSV rows (no ingest), for graph tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from events.workspace import Workspace


def store_from_csv(workspace: Workspace, csv_path: Path) -> dict:
    """Write ``csv_path`` into the store layout with raw user ids, plus a manifest entry."""
    sha = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""CREATE TEMP TABLE clean AS
        SELECT DISTINCT strptime(replace(event_time, ' UTC', ''), '%Y-%m-%d %H:%M:%S') AS event_time,
               event_type, product_id::BIGINT AS product_id, category_id::BIGINT AS category_id,
               nullif(category_code, '') AS category_code, nullif(lower(trim(brand)), '') AS brand,
               price::DOUBLE AS price, user_id::BIGINT AS user_id, nullif(user_session, '') AS user_session
        FROM read_csv('{csv_path}', all_varchar = true, header = true)"""
    )
    months = [m for (m,) in con.execute("SELECT DISTINCT strftime(event_time, '%Y-%m') FROM clean ORDER BY 1").fetchall()]
    for month in months:
        target = workspace.events_dir / f"month={month}"
        target.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""COPY (SELECT * FROM clean WHERE strftime(event_time, '%Y-%m') = '{month}'
                ORDER BY user_id, event_time) TO '{target}/part-{sha[:12]}.parquet' (FORMAT parquet)"""
        )
    kept = con.execute("SELECT count(*) FROM clean").fetchone()[0]
    manifest_path = workspace.store_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"files": []}
    entry = {"sha256": sha, "name": csv_path.name, "months": months, "rows_read": kept,
             "rows_kept": kept, "rows_rejected": 0}
    manifest["files"].append(entry)
    manifest_path.write_text(json.dumps(manifest))
    return entry
