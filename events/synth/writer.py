"""The synthetic files on disk: chunk parts as Parquet, then one time-ordered gzip CSV per month.

Chunks are written split by month to a temporary directory, then DuckDB writes each month
``ORDER BY event_time`` (ties in generation order) with the real header and formats; its sort
spills to disk under a memory limit, so memory is bounded by the chunk size.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from events.synth.catalogue import Catalogue
from events.synth.clock import month_file_name
from events.synth.funnel import EVENT_TYPES
from events.synth.personas import PERSONA_NAMES
from shopgraph.sqltext import literal

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
SORT_MEMORY_LIMIT = "2GB"


def write_chunk_parts(tmp: Path, table: pa.Table, chunk: int, all_months: list[str]) -> None:
    """The chunk's events as ``tmp/month=YYYY-MM/chunk-NNNNN.parquet``, one file per month it touches."""
    month_col = table.column("month").to_numpy()
    for m in np.unique(month_col):
        part = table.filter(pa.array(month_col == m)).drop_columns(["month", "duplicate"])
        mdir = tmp / f"month={all_months[m]}"
        mdir.mkdir(exist_ok=True)
        pq.write_table(part, mdir / f"chunk-{chunk:05d}.parquet", compression="zstd")


def write_months(
    out: Path,
    tmp: Path,
    catalogue: Catalogue,
    month_list: list[str],
    on_month: Callable[[int, str, int], None] | None = None,
) -> tuple[list[Path], dict[str, int], dict[str, int]]:
    """One ``.csv.gz`` per requested month from the chunk parts: the files, events per month and per type.

    ``on_month(done, month, events_written)`` is called after each file.
    """
    con = _sorting_connection(tmp / "spill")
    con.register("products", catalogue.arrow())
    files: list[Path] = []
    per_month: dict[str, int] = {}
    per_type = dict.fromkeys(EVENT_TYPES, 0)
    written = 0
    for i, month in enumerate(month_list):
        target = out / month_file_name(month)
        partial = target.with_name(target.name + ".partial")
        mdir = tmp / f"month={month}"
        if not (mdir.is_dir() and any(mdir.glob("*.parquet"))):
            partial.write_bytes(_gzip_header_only())  # a month without events: the header only
        else:
            source = f"read_parquet({literal(mdir / '*.parquet')})"
            _copy_month(con, source, partial)
            for etype, n in con.execute(f"SELECT event_type, count(*) FROM {source} GROUP BY 1").fetchall():
                per_type[etype] += n
                per_month[month] = per_month.get(month, 0) + n
        per_month.setdefault(month, 0)
        written += per_month[month]
        partial.replace(target)
        files.append(target)
        if on_month:
            on_month(i + 1, month, written)
    con.close()
    return files, per_month, per_type


def write_personas(path: Path, user_ids: np.ndarray, persona: np.ndarray, secondary: np.ndarray) -> None:
    """``user_id,persona,secondary_persona`` (raw ids, in id order; the second persona empty if none)."""
    order = np.argsort(user_ids)
    names = np.array(PERSONA_NAMES)[persona[order]]
    seconds = np.array(("", *PERSONA_NAMES))[secondary[order].astype(np.int64) + 1]
    rows = zip(user_ids[order].tolist(), names.tolist(), seconds.tolist(), strict=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("user_id,persona,secondary_persona\n")
        f.write("".join(f"{u},{n},{m}\n" for u, n, m in rows))


def _sorting_connection(spill: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"SET memory_limit = {literal(SORT_MEMORY_LIMIT)}")
    spill.mkdir()
    con.execute(f"SET temp_directory = {literal(spill)}")
    return con


def _copy_month(con: duckdb.DuckDBPyConnection, source: str, partial: Path) -> None:
    """The month's events joined to the catalogue, in time order, as the published files' gzip CSV."""
    con.execute(f"""
        COPY (
            SELECT e.event_time, e.event_type, p.product_id, p.category_id, p.category_code,
                   p.brand, e.price::DECIMAL(12, 2) AS price, e.user_id, e.user_session
            FROM {source} e JOIN products p ON p.product_idx = e.product_idx
            ORDER BY e.event_time, e.seq
        ) TO {literal(partial)}
        (FORMAT csv, HEADER true, COMPRESSION gzip, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S UTC')
    """)


def _gzip_header_only() -> bytes:
    return gzip.compress((HEADER + "\n").encode(), mtime=0)
