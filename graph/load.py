"""Loads the event store into Neo4j, file after file, additively and safely against crashes.

Each ingested source file (identified by its SHA-256 in the ingest manifest) is loaded once:

1. The file's *interactions* — one row per (user, product, event type) with ``count``,
   ``amount``, ``first_at``, ``last_at`` — are made or reused by :mod:`events.interactions`
   (``graph/interactions/part-<sha12>.parquet``, the same aggregates ``embed`` reads).
2. Eight steps write the file into the graph in parameterised ``UNWIND`` batches: categories,
   brands, products, users, then one relationship type per event type.

Crash safety: the additive steps (``User.n_events``, relationship ``count`` and ``amount``)
must run exactly once per file. Every batch runs in one transaction together with the move
of the file's cursor ``(step, batch)`` stored on its ``(:IngestedFile)`` node
(``cypher/load/advance_cursor.cypher``): either both commit or neither does. Batches are
cut from a deterministic order, so a re-run after ``kill -9`` resumes at the first batch that
did not commit and ends with exactly the graph of one clean run.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

import cypher
from events.interactions import partitions_key, prune_interactions, write_interactions
from events.manifest import read_manifest
from graph.connection import QueryRunner
from graph.schema import apply_schema
from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress
from shopgraph.sqltext import literal_list
from shopgraph.workspace import Workspace

DEFAULT_BATCH_SIZE = 5_000
RELATIONSHIPS = {  # event type → (step name, catalog query)
    "view": ("viewed", "load/add_viewed"),
    "cart": ("carted", "load/add_carted"),
    "remove_from_cart": ("removed", "load/add_removed"),
    "purchase": ("purchased", "load/add_purchased"),
}

# progress(step, rows_done, rows_total) is called after every committed batch.


@dataclass(frozen=True)
class SourceFile:
    """One ingested source file as the manifest records it."""

    sha256: str
    name: str
    months: list[str]
    rows_read: int
    rows_kept: int
    rows_rejected: int
    partitions: list[str]

    @property
    def short(self) -> str:
        return self.sha256[:12]

    def event_files(self, workspace: Workspace) -> list[Path]:
        return [workspace.store_dir / part for part in self.partitions]


@dataclass
class LoadReport:
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
    rows_written: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def ingested_files(workspace: Workspace) -> list[SourceFile]:
    """The files of the ingest manifest that still have events in the store, oldest month first."""
    entries = read_manifest(workspace)
    if not entries:
        raise ShopgraphError(f"nothing ingested in {workspace.store_dir}: run `shopgraph ingest FILE` first")
    files = [
        SourceFile(
            sha256=e.sha256,
            name=e.name,
            months=sorted(e.months),
            rows_read=e.rows_read,
            rows_kept=e.rows_kept,
            rows_rejected=e.rows_rejected,
            partitions=list(e.partitions),
        )
        for e in entries
        if e.partitions
    ]
    return sorted(files, key=lambda f: (f.months[:1], f.name))


# -- step 1: aggregates (DuckDB, events.interactions) and the load steps' SELECTs ------------------
def step_queries(events: list[str], interactions: str) -> list[tuple[str, str, str]]:
    """The load steps as (step name, catalog query, DuckDB SELECT in a deterministic order)."""
    ev = f"read_parquet({literal_list(events)})"
    steps = [
        (
            "categories",
            "load/merge_categories",
            f"""
            SELECT category_id, arg_max(category_code, (event_time, category_code)) AS code
            FROM {ev} WHERE category_id IS NOT NULL GROUP BY category_id ORDER BY category_id""",
        ),
        (
            "brands",
            "load/merge_brands",
            f"""
            SELECT DISTINCT brand AS name FROM {ev} WHERE brand IS NOT NULL ORDER BY name""",
        ),
        (
            "products",
            "load/merge_products",
            f"""
            SELECT product_id,
                   arg_max(price, (event_time, price)) AS price, epoch_ms(max(event_time)) AS price_at,
                   min(price) AS price_min, max(price) AS price_max,
                   arg_max(category_id, (event_time, category_id)) AS category_id,
                   arg_max(brand, (event_time, brand)) AS brand
            FROM {ev} GROUP BY product_id ORDER BY product_id""",
        ),
        (
            "users",
            "load/add_users",
            f"""
            SELECT user_id, count(*)::BIGINT AS n_events,
                   epoch_ms(min(event_time)) AS first_seen, epoch_ms(max(event_time)) AS last_seen
            FROM {ev} GROUP BY user_id ORDER BY user_id""",
        ),
    ]
    for event_type, (step, query) in RELATIONSHIPS.items():
        amount = "amount, " if event_type == "purchase" else ""
        steps.append(
            (
                step,
                query,
                f"""
            SELECT user_id, product_id, count, {amount}epoch_ms(first_at) AS first_at, epoch_ms(last_at) AS last_at
            FROM read_parquet({literal_list([interactions])}) WHERE event_type = '{event_type}'
            ORDER BY user_id, product_id""",
            )
        )
    return steps


# -- step 2: writes (Neo4j) -------------------------------------------------------------
def _batches(con: duckdb.DuckDBPyConnection, sql: str, batch_size: int, skip: int) -> Iterator[list[dict[str, Any]]]:
    cursor = con.execute(f"SELECT * FROM ({sql}) OFFSET {skip * batch_size}")
    columns = [d[0] for d in cursor.description]
    while rows := cursor.fetchmany(batch_size):
        yield [dict(zip(columns, row, strict=True)) for row in rows]


def load_file(
    db: QueryRunner,
    workspace: Workspace,
    source: SourceFile,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, int]:
    """Load one source file (or finish an interrupted load of it). Returns rows written per step."""
    con = con or duckdb.connect()
    events = [str(p) for p in source.event_files(workspace)]
    if not events:
        raise ShopgraphError(f"{source.name}: no events of this file in the store ({workspace.events_dir})")
    interactions = write_interactions(workspace, source, con)
    cursor = _begin_file(db, source, batch_size, hashlib.sha256(partitions_key(workspace, source).encode()).hexdigest())
    if cursor is None:
        return {}
    start_step, start_batch, batch_size = cursor
    written: dict[str, int] = {}
    with db.driver.session(database=db.database) as session:
        for index, (step, query, sql) in enumerate(step_queries(events, str(interactions))):
            if index < start_step:
                continue
            skip = start_batch if index == start_step else 0
            rows = _load_step(db, session, con, source, (index, step, query, sql), skip, batch_size, progress)
            if rows:
                written[step] = rows
    db.run(
        "load/finish_file",
        sha256=source.sha256,
        loaded_at=int(time.time() * 1000),
        interactions=int(
            con.execute(f"SELECT count(*) FROM read_parquet({literal_list([interactions])})").fetchone()[0]
        ),
    )
    return written


def _begin_file(db: QueryRunner, source: SourceFile, batch_size: int, source_key: str) -> tuple[int, int, int] | None:
    """Record the file on its ``(:IngestedFile)`` node; the cursor to resume from, or None when it is loaded."""
    begun = db.run(
        "load/begin_file",
        sha256=source.sha256,
        name=source.name,
        months=source.months,
        rows_read=source.rows_read,
        rows_kept=source.rows_kept,
        rows_rejected=source.rows_rejected,
        batch_size=batch_size,
        source_key=source_key,
    )[0]
    if begun["state"] == "loaded":
        return None
    if begun["source_key"] != source_key:
        # batches are cut by offset: resuming over rewritten partitions would skip or repeat rows
        raise ShopgraphError(
            f"{source.name} was partly loaded before its events changed (forget or expire ran in between): "
            "reload the graph with `shopgraph db reset --yes` then `shopgraph load`"
        )
    return begun["step"], begun["batch"], begun["batch_size"]


def _load_step(
    db: QueryRunner,
    session: Any,
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    step_query: tuple[int, str, str, str],
    skip: int,
    batch_size: int,
    progress: Progress | None,
) -> int:
    """Write one step's rows from batch ``skip`` on, each batch with the move of the file's cursor; rows written."""
    index, step, query, sql = step_query
    advance, statement = cypher.query("load/advance_cursor"), cypher.query(query)
    total = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    done = min(skip * batch_size, total)
    batch_no, written = skip, 0
    if progress:
        progress(step, done, total)
    for rows in _batches(con, sql, batch_size, skip):
        last = done + len(rows) >= total
        cursor = {
            "sha256": source.sha256,
            "step": index,
            "batch": batch_no,
            "next_step": index + 1 if last else index,
            "next_batch": 0 if last else batch_no + 1,
        }
        session.execute_write(_apply_batch, advance, cursor, statement, rows)
        done += len(rows)
        batch_no += 1
        written += len(rows)
        if progress:
            progress(step, done, total)
    if total == 0:  # nothing to write in this step: move the cursor on by itself
        db.run(
            "load/advance_cursor", sha256=source.sha256, step=index, batch=batch_no, next_step=index + 1, next_batch=0
        )
    return written


def _apply_batch(tx, advance: str, cursor: dict[str, Any], statement: str, rows: list[dict[str, Any]]) -> None:
    if tx.run(advance, cursor).single() is None:
        return  # this batch committed before an interruption: applying it again would count twice
    tx.run(statement, {"rows": rows}).consume()


def load(
    db: QueryRunner,
    workspace: Workspace,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    on_file: Callable[[SourceFile], None] | None = None,
) -> LoadReport:
    """Load every ingested file not yet (completely) in the graph."""
    started = time.perf_counter()
    apply_schema(db)
    state = {row["sha256"]: row["state"] for row in db.run("load/loaded_files")}
    report = LoadReport()
    con = duckdb.connect()
    sources = ingested_files(workspace)
    prune_interactions(workspace, sources)
    for source in sources:
        if state.get(source.sha256) == "loaded":
            report.files_skipped.append(source.name)
            continue
        if on_file:
            on_file(source)
        for step, rows in load_file(db, workspace, source, batch_size, progress, con).items():
            report.rows_written[step] = report.rows_written.get(step, 0) + rows
        report.files_loaded.append(source.name)
    report.seconds = time.perf_counter() - started
    return report
