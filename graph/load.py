"""Loads the event store into Neo4j, file after file, additively and safely against crashes.

Each ingested source file (identified by its SHA-256 in the ingest manifest) is loaded once:

1. The file's *interactions* — one row per (user, product, event type) with ``count``,
   ``amount``, ``first_at``, ``last_at`` — are made or reused by :mod:`events.interactions`
   (``graph/interactions/part-<sha12>.parquet``, the same aggregates ``embed`` reads).
2. Eight steps write the file into the graph in parameterised ``UNWIND`` batches: categories,
   brands, products, users, then one relationship type per event type. A pair (user, product)
   the graph cannot hold yet is made with ``CREATE`` (``cypher/load/create_*``): every pair of
   a user with no ``(:User)`` node before the file (:func:`_new_users`), and a returning user's
   pairs that no other file in the graph has (:func:`_known_pairs`, from the store). The others
   get an additive ``MERGE`` (``cypher/load/add_*``). Relationship batches travel as parallel
   lists, written by :data:`WRITERS` concurrent writers on disjoint users
   (:func:`_write_relationships`).

Crash safety: the additive steps (``User.n_events``, relationship ``count`` and ``amount``)
must run exactly once per file. Every batch runs in one transaction together with the move
of a cursor ``(step, batch)``: the file's, on its ``(:IngestedFile)`` node
(``cypher/load/advance_cursor.cypher``), or in the relationship steps its writer's, on a
``(:LoadCursor)`` node (``cypher/load/advance_writer.cypher``): either both commit or neither
does. Batches are cut from a deterministic order, so a re-run after ``kill -9`` resumes at
the first batch that did not commit and ends with exactly the graph of one clean run. The
list of new users is taken before the first relationship step and kept on disk under the
load's id (a re-run that finds none falls back to ``MERGE`` for every row, which is always
right); the known pairs are read from the store again, the same.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import cypher
from events.interactions import (
    partitions_key,
    prune_interactions,
    user_range_condition,
    user_ranges,
    write_interactions,
)
from events.manifest import read_manifest
from events.store import bounded_connection
from graph.connection import RETRIED, QueryRunner, prefetched
from graph.node_ids import NodeIds
from graph.schema import apply_schema
from shopgraph.errors import ShopgraphError
from shopgraph.files import atomic_path
from shopgraph.progress import Progress
from shopgraph.sqltext import literal, literal_list
from shopgraph.workspace import Workspace

DEFAULT_BATCH_SIZE = 5_000
WRITERS = 2  # concurrent writers of the relationship steps, each on its own users (docs/BENCHMARKS.md, "Load")
#: interactions per user range a relationship step is read by (:class:`_Relationships`): a range's joins and sort
#: stay well inside the read bound with both writers reading at once
RANGE_ROWS = 4_000_000
RELATIONSHIPS = {  # event type → (step name, catalog query)
    "view": ("viewed", "load/add_viewed"),
    "cart": ("carted", "load/add_carted"),
    "remove_from_cart": ("removed", "load/add_removed"),
    "purchase": ("purchased", "load/add_purchased"),
}
EVENT_TYPES = {step: event_type for event_type, (step, _) in RELATIONSHIPS.items()}
USERS_STEP = 3  # index of the users step in step_queries(): the new users are known before it ends

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
    retried: int = 0  # transactions the driver retried (a deadlock between the writers): none is lost

    def retried_note(self) -> str:
        """``; 2 batch(es) retried after a deadlock between the writers``, or nothing."""
        return f"; {self.retried} batch(es) retried after a deadlock between the writers" if self.retried else ""


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
    """The load steps as (step name, catalog query, DuckDB SELECT).

    The node steps' SELECTs are in a deterministic order (a resumed step skips its committed batches by offset).
    The relationship steps' are not sorted: the Bolt writers sort each user range once, after its joins
    (:class:`_Relationships`), and the bulk import groups the rows; a sort here ran before either, a second one.
    """
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
            FROM read_parquet({literal_list([interactions])}) WHERE event_type = '{event_type}'""",
            )
        )
    return steps


# -- step 2: writes (Neo4j) -------------------------------------------------------------
def _batches(con: duckdb.DuckDBPyConnection, sql: str, batch_size: int, skip: int) -> Iterator[list[dict[str, Any]]]:
    cursor = con.cursor().execute(f"SELECT * FROM ({sql}) OFFSET {skip * batch_size}")  # its own: read in a thread
    columns = [d[0] for d in cursor.description]
    while rows := cursor.fetchmany(batch_size):
        yield [dict(zip(columns, row, strict=True)) for row in rows]


def _column_batches(con: duckdb.DuckDBPyConnection, sql: str, batch_size: int, skip: int) -> Iterator[pa.RecordBatch]:
    """The rows of ``sql`` from batch ``skip`` on, in Arrow batches of exactly ``batch_size`` rows (the last fewer)."""
    reader = con.cursor().sql(f"SELECT * FROM ({sql}) OFFSET {skip * batch_size}").to_arrow_reader(batch_size)
    return _exact_batches(reader, batch_size)


def _exact_batches(chunks: Iterable[pa.RecordBatch], batch_size: int) -> Iterator[pa.RecordBatch]:
    """``chunks`` cut again into batches of exactly ``batch_size`` rows (the last fewer), in order."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for chunk in chunks:
        pending.append(chunk)
        held += chunk.num_rows
        while held >= batch_size:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, batch_size).combine_chunks().to_batches()[0]
            rest = table.slice(batch_size)
            pending, held = rest.combine_chunks().to_batches() if rest.num_rows else [], rest.num_rows
    if held:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]


def column_lists(batch: pa.RecordBatch | pa.Table) -> dict[str, list[Any]]:
    """A batch as the parallel lists the relationship statements take (``$user_id[i]``, ``$count[i]`` …)."""
    return {name: batch.column(name).to_pylist() for name in batch.schema.names if name != "fresh"}


@dataclass
class _Nodes:
    """The node ids of the graph's customers and products (graph/node_ids.py), read once the users step is written,
    the first time a relationship batch needs them: each batch then finds its nodes by id, not by index."""

    db: QueryRunner

    @cached_property
    def users(self) -> NodeIds:
        return NodeIds.read(self.db, "user")

    @cached_property
    def products(self) -> NodeIds:
        return NodeIds.read(self.db, "product")

    def read_both(self) -> None:
        for kind in ("users", "products"):
            getattr(self, kind)

    def lists(self, batch: pa.RecordBatch | pa.Table) -> dict[str, list[Any]]:
        """:func:`column_lists` and the nodes' ids (``$user_node[i]``, ``$product_node[i]``)."""
        users = self.users.ids(batch.column("user_id").to_numpy())
        return column_lists(batch) | {
            "user_node": users,
            "product_node": self.products.ids(batch.column("product_id").to_numpy()),
        }


def load_file(
    db: QueryRunner,
    workspace: Workspace,
    source: SourceFile,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    writers: int = WRITERS,
) -> dict[str, int]:
    """Load one source file (or finish an interrupted load of it). Returns rows written per step.

    ``writers`` > 1 writes the relationship steps with that many concurrent writers
    (:func:`_write_relationships`); a load begun with another number finishes with its own.
    """
    con = con or bounded_connection(workspace)
    events = [str(p) for p in source.event_files(workspace)]
    if not events:
        raise ShopgraphError(f"{source.name}: no events of this file in the store ({workspace.events_dir})")
    interactions = write_interactions(workspace, source, con)
    ranges = user_ranges(con, [interactions], RANGE_ROWS)
    cursor = _begin_file(db, source, batch_size, hashlib.sha256(partitions_key(workspace, source).encode()).hexdigest())
    if cursor is None:
        return {}
    start_step, start_batch, batch_size, load_id, begun_writers = cursor
    # a load an older version left inside its relationship steps goes on with one writer, on the file's cursor
    single = begun_writers is None and (writers <= 1 or (start_step, start_batch) > (USERS_STEP + 1, 0))
    fresh = _new_users(db, con, workspace, str(interactions), load_id, start_step <= USERS_STEP)
    known = _known_pairs(db, con, workspace, source, str(interactions), load_id)
    written: dict[str, int] = {}
    relationship_steps = []
    nodes = _Nodes(db)
    with db.driver.session(database=db.database) as session:
        for index, (step, query, sql) in enumerate(step_queries(events, str(interactions))):
            if index > USERS_STEP:
                sql = _Relationships(sql, EVENT_TYPES[step], fresh, known, ranges)
                if not single:
                    relationship_steps.append((index, step, query, sql))
                    continue
            if index < start_step:
                continue
            skip = start_batch if index == start_step else 0
            step_query = (index, step, query, sql)
            rows = _load_step(db, session, con, source, step_query, skip, batch_size, progress, nodes)
            if rows:
                written[step] = rows
    if relationship_steps:
        nodes.read_both()  # before the writers start, not by each of them
        written |= _write_relationships(
            db, con, source, relationship_steps, (batch_size, begun_writers or writers), progress, nodes
        )
    db.run(
        "load/finish_file",
        sha256=source.sha256,
        loaded_at=int(time.time() * 1000),
        interactions=int(
            con.execute(f"SELECT count(*) FROM read_parquet({literal_list([interactions])})").fetchall()[0][0]
        ),
    )
    for kept in (fresh, known):
        if kept is not None:
            kept.unlink(missing_ok=True)
    return written


def _new_users(
    db: QueryRunner, con: duckdb.DuckDBPyConnection, workspace: Workspace, interactions: str, load_id: Any, ask: bool
) -> Path | None:
    """The Parquet list of the file's users that had no ``(:User)`` node before its relationship steps.

    Asked of the graph (``ask``) while the cursor has not passed the users step: a user missing
    then has no relationship, and only this file's batches (each applied once) give them any.
    Users this file's earlier batches already created count as existing, which is safe
    (``MERGE``). Later (a resumed load) the list kept under ``load_id`` is read back; when it
    is not there, None: every relationship goes through ``MERGE``.
    """
    if load_id is None:  # a load begun by an older version: no id to key the list by
        return None
    path = workspace.home / "graph" / "load" / f"new-users-{load_id}.parquet"
    if not ask:
        return path if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob("new-users-*.parquet"):
        stale.unlink(missing_ok=True)
    users = con.sql(f"SELECT DISTINCT user_id FROM read_parquet({literal_list([interactions])})").to_arrow_table()
    missing: list[int] = []
    ids = users.column("user_id")
    for start in range(0, len(ids), 50_000):
        missing += db.run("load/missing_users", user_id=ids.slice(start, 50_000).to_pylist())[0]["missing"]
    with atomic_path(path) as tmp:
        pq.write_table(pa.table({"user_id": pa.array(sorted(missing), pa.int64())}), tmp)  # as the known pairs
    return path


def _known_pairs(
    db: QueryRunner,
    con: duckdb.DuckDBPyConnection,
    workspace: Workspace,
    source: SourceFile,
    interactions: str,
    load_id: Any,
) -> Path | None:
    """The Parquet list of the file's (user, product, event type) that the graph holds already, or None.

    A returning customer's pairs are mostly new in a later month: those need no ``MERGE``
    (a scan of the customer's and product's relationships, and locks taken while the batch
    runs), a ``CREATE`` makes them. Which pairs the graph holds is read from the store, not
    the graph: the aggregates of every other file the graph holds (a semi-join in DuckDB).
    That is exact only while the store still has every event those files brought; when a
    file in the graph is not loaded completely, or the store lost one of its months
    (``expire``) or the whole file, None: every pair of a known user goes through ``MERGE``
    (always right). ``forget`` takes a user out of both, so it changes nothing here. Taken
    from the store alone, the list is the same when an interrupted load resumes.
    """
    if load_id is None:
        return None
    stored = {s.sha256: s for s in ingested_files(workspace)}
    earlier: list[str] = []
    for entry in db.run("load/loaded_files"):
        if entry["sha256"] == source.sha256:
            continue
        kept = stored.get(entry["sha256"])
        if entry["state"] != "loaded" or kept is None or sorted(entry["months"] or []) != kept.months:
            return None
        earlier.append(str(write_interactions(workspace, kept, con)))
    if not earlier:  # nothing of the graph's is known to the store: its users' pairs, if any, are unknown
        return None
    path = workspace.home / "graph" / "load" / f"known-pairs-{load_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob("known-pairs-*.parquet"):
        stale.unlink(missing_ok=True)
    with atomic_path(path) as tmp:
        con.execute(
            f"""
            COPY (
                SELECT user_id, product_id, event_type FROM read_parquet({literal_list([interactions])})
                SEMI JOIN (SELECT user_id, product_id, event_type FROM read_parquet({literal_list(earlier)}))
                    USING (user_id, product_id, event_type)
                ORDER BY user_id, product_id  -- sorted: a user range's read skips the other row groups
            ) TO {literal(tmp)} (FORMAT parquet)
            """
        )
    return path


def _with_fresh(sql: str, fresh: Path | None, known: Path | None, event_type: str, users: str = "true") -> str:
    """A relationship step's SELECT with ``fresh``: whether its (user, product) pair is new to the graph (same order),
    for the users that match ``users`` (a condition on ``user_id``, put on every file read so that each join holds
    only them).

    New: the user is (``fresh``, the new users), or the pair is not among the ``known`` ones.
    """
    rows = f"(SELECT * FROM ({sql}) WHERE {users})"
    if fresh is None and known is None:
        return f"SELECT *, false AS fresh FROM {rows} ORDER BY user_id, product_id"
    joins, new = [], []
    if fresh is not None:
        joins.append(
            f"""LEFT JOIN (SELECT user_id FROM read_parquet({literal_list([str(fresh)])}) WHERE {users}) n
                USING (user_id)"""
        )
        new.append("n.user_id IS NOT NULL")
    if known is not None:
        joins.append(
            f"""LEFT JOIN (SELECT user_id, product_id, true AS known FROM read_parquet({literal_list([str(known)])})
                          WHERE event_type = {literal(event_type)} AND {users}) k USING (user_id, product_id)"""
        )
        new.append("k.known IS NULL")
    return f"""SELECT r.*, {" OR ".join(new)} AS fresh
               FROM {rows} r {" ".join(joins)}
               ORDER BY user_id, product_id"""


@dataclass(frozen=True)
class _Relationships:
    """A relationship step's rows (its SELECT over the file's interactions, with ``fresh``: :func:`_with_fresh`),
    read one user range of ``ranges`` after the other: each range's joins and sort stay small under the read bound,
    where one ordered read of a month's step ran out of it with two writers reading at once (docs/BENCHMARKS.md,
    "Load")."""

    sql: str
    event_type: str
    fresh: Path | None
    known: Path | None
    ranges: list[tuple] = field(default_factory=lambda: [(None, None)])

    def batches(
        self, con: duckdb.DuckDBPyConnection, batch_size: int, skip: int, users: str = "true"
    ) -> Iterator[pa.RecordBatch]:
        """The rows of the users matching ``users``, in order, from batch ``skip`` on, in batches of exactly
        ``batch_size`` rows (the last fewer): the same batches as one ordered read of them all."""
        return _exact_batches(self._chunks(con, batch_size, skip * batch_size, users), batch_size)

    def _chunks(
        self, con: duckdb.DuckDBPyConnection, batch_size: int, offset: int, users: str
    ) -> Iterator[pa.RecordBatch]:
        own = con.cursor()  # its own: read in a thread
        try:
            for low, high in self.ranges:
                where = f"{users} AND {user_range_condition(low, high)}"
                if offset:  # a resumed step: skip the ranges its committed batches covered
                    held = own.execute(f"SELECT count(*) FROM ({self.sql}) WHERE {where}").fetchall()[0][0]
                    if held <= offset:
                        offset -= held
                        continue
                select = _with_fresh(self.sql, self.fresh, self.known, self.event_type, where)
                yield from own.sql(f"SELECT * FROM ({select}) OFFSET {offset}").to_arrow_reader(batch_size)
                offset = 0
        finally:
            own.close()


def _begin_file(
    db: QueryRunner, source: SourceFile, batch_size: int, source_key: str
) -> tuple[int, int, int, Any, int | None] | None:
    """Record the file on its ``(:IngestedFile)`` node; the cursor to resume from, the load's id and its
    relationship writers (None before they began), or None when it is loaded."""
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
    return begun["step"], begun["batch"], begun["batch_size"], begun["load_id"], begun["writers"]


def _load_step(
    db: QueryRunner,
    session: Any,
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    step_query: tuple[int, str, str, str | _Relationships],
    skip: int,
    batch_size: int,
    progress: Progress | None,
    nodes: _Nodes,
) -> int:
    """Write one step's rows from batch ``skip`` on, each batch with the move of the file's cursor; rows written."""
    index, step, query, sql = step_query
    advance = cypher.query("load/advance_cursor")
    counted = sql.sql if isinstance(sql, _Relationships) else sql
    total = con.execute(f"SELECT count(*) FROM ({counted})").fetchall()[0][0]  # fetched: con.sql() may follow
    done = min(skip * batch_size, total)
    batch_no, written = skip, 0
    if progress:
        progress(step, done, total)
    # the next batch is read and packed in a thread while the server writes this one (still one writer)
    for size, writes in prefetched(_step_writes(con, (index, query, sql), batch_size, skip, nodes)):
        cursor = _cursor(source, index, batch_no, last=done + size >= total)
        session.execute_write(_apply_batch, advance, cursor, writes)
        done += size
        batch_no += 1
        written += size
        if progress:
            progress(step, done, total)
    if total == 0:  # nothing to write in this step: move the cursor on by itself
        db.run(
            "load/advance_cursor", sha256=source.sha256, step=index, batch=batch_no, next_step=index + 1, next_batch=0
        )
    return written


def _write_relationships(
    db: QueryRunner,
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    steps: list[tuple[int, str, str, _Relationships]],
    sizes: tuple[int, int],
    progress: Progress | None,
    nodes: _Nodes,
) -> dict[str, int]:
    """The relationship steps by ``writers`` concurrent writers (``sizes``: rows per batch, writers); rows written
    per step.

    Writer ``w`` takes the users with ``user_id % writers == w`` (disjoint users: two writers
    never touch the same relationship) and goes through the steps in order, in batches cut
    from its own deterministic order, each committed with the move of its own cursor
    (``(:LoadCursor)``, :file:`cypher/load/begin_writers.cypher`): exactly once per writer,
    so per file. While one writer's batch is written by the server, the other's is packed
    or written too: on 2 cores the client and the server work at the same time. A writer
    that fails stops the other after its current batch; the error is raised here.
    """
    batch_size, writers = sizes
    cursors = db.run("load/begin_writers", sha256=source.sha256, writers=writers, step=steps[0][0])
    writers = len(cursors)
    part = f"(user_id % {writers} + {writers}) % {writers}"
    totals = {
        (step, row[0]): row[1]
        for _, step, _, rows in steps
        for row in con.execute(f"SELECT {part} AS writer, count(*) FROM ({rows.sql}) GROUP BY writer").fetchall()
    }
    done: dict[tuple[str, int], int] = {}
    lock = threading.Lock()
    failed = threading.Event()

    def report(step: str, writer: int, rows: int) -> None:
        with lock:
            done[(step, writer)] = rows
            if progress:
                total = sum(totals.get((step, w), 0) for w in range(writers))
                progress(step, sum(done.get((step, w), 0) for w in range(writers)), total)

    def write(cursor: dict[str, Any]) -> dict[str, int]:
        writer, written = cursor["writer"], {}
        own = con.cursor()  # a DuckDB connection per thread
        try:
            with db.driver.session(database=db.database) as session:
                for index, step, query, relationships in steps:
                    if index < cursor["step"] or failed.is_set():
                        continue
                    total = totals.get((step, writer), 0)
                    skip = cursor["batch"] if index == cursor["step"] else 0
                    rows = _write_part(
                        session,
                        own,
                        source,
                        (writer, index, query, relationships, f"{part} = {writer}"),
                        (skip, batch_size, total),
                        lambda n, step=step: report(step, writer, n),
                        (failed, nodes),
                    )
                    if rows:
                        written[step] = rows
        except BaseException:
            failed.set()
            raise
        finally:
            own.close()
        return written

    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="load-writer") as pool:
        results = [future.result() for future in [pool.submit(write, cursor) for cursor in cursors]]
    written: dict[str, int] = {}
    for result in results:
        for step, rows in result.items():
            written[step] = written.get(step, 0) + rows
    return written


def _write_part(
    session: Any,
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    part: tuple[int, int, str, _Relationships, str],
    position: tuple[int, int, int],
    report: Callable[[int], None],
    shared: tuple[threading.Event, _Nodes],
) -> int:
    """One writer's rows of one step (``part``: the writer, the step, its users) from batch ``skip`` on, each batch
    with the move of its cursor; rows written. ``shared``: the event that stops every writer, the nodes' ids."""
    writer, index, query, relationships, users = part
    skip, batch_size, total = position
    failed, nodes = shared
    advance = cypher.query("load/advance_writer")
    done = min(skip * batch_size, total)
    batch_no, written = skip, 0
    report(done)
    for size, writes in prefetched(_step_writes(con, (index, query, relationships), batch_size, skip, nodes, users)):
        if failed.is_set():
            break
        cursor = _cursor(source, index, batch_no, last=done + size >= total, writer=writer)
        session.execute_write(_apply_batch, advance, cursor, writes)
        done += size
        batch_no += 1
        written += size
        report(done)
    if total == 0 and not failed.is_set():  # nothing of this writer's in this step: move its cursor on by itself
        cursor = {"sha256": source.sha256, "writer": writer, "step": index, "batch": 0}
        session.execute_write(_apply_batch, advance, cursor | {"next_step": index + 1, "next_batch": 0}, [])
    return written


def _cursor(source: SourceFile, step: int, batch_no: int, last: bool, writer: int | None = None) -> dict[str, Any]:
    """The cursor a batch moves in its own transaction: from (step, batch) to the next batch or step."""
    cursor = {"sha256": source.sha256} | ({} if writer is None else {"writer": writer})
    return cursor | {
        "step": step,
        "batch": batch_no,
        "next_step": step + 1 if last else step,
        "next_batch": 0 if last else batch_no + 1,
    }


Writes = list[tuple[str, dict[str, Any]]]


def _step_writes(
    con: duckdb.DuckDBPyConnection,
    step: tuple[int, str, str | _Relationships],
    batch_size: int,
    skip: int,
    nodes: _Nodes,
    users: str = "true",
) -> Iterator[tuple[int, Writes]]:
    """Per batch of ``step`` (index, query, rows) of the users matching ``users``: its rows and the statements writing
    it (relationships: CREATE for new users, MERGE for others, each user and product found by node id)."""
    _, query, sql = step
    if isinstance(sql, str):
        statement = cypher.query(query)
        for rows in _batches(con, sql, batch_size, skip):
            yield len(rows), [(statement, {"rows": rows})]
        return
    merge, create = cypher.query(query), cypher.query(query.replace("/add_", "/create_"))
    for batch in sql.batches(con, batch_size, skip, users):
        fresh = batch.column("fresh")
        parts = [(create, batch.filter(fresh)), (merge, batch.filter(pc.invert(fresh)))]
        yield batch.num_rows, [(statement, nodes.lists(part)) for statement, part in parts if part.num_rows]


def _apply_batch(tx, advance: str, cursor: dict[str, Any], writes: Writes) -> None:
    if tx.run(advance, cursor).single() is None:
        return  # this batch committed before an interruption: applying it again would count twice
    for statement, params in writes:
        tx.run(statement, params).consume()


def load(
    db: QueryRunner,
    workspace: Workspace,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    on_file: Callable[[SourceFile], None] | None = None,
    writers: int = WRITERS,
) -> LoadReport:
    """Load every ingested file not yet (completely) in the graph (``writers``: see :func:`load_file`)."""
    started, retried = time.perf_counter(), RETRIED.count
    apply_schema(db)
    state = {row["sha256"]: row["state"] for row in db.run("load/loaded_files")}
    report = LoadReport()
    con = bounded_connection(workspace)  # the month's aggregate and the writers' ordered reads spill beyond it
    sources = ingested_files(workspace)
    prune_interactions(workspace, sources)
    for source in sources:
        if state.get(source.sha256) == "loaded":
            report.files_skipped.append(source.name)
            continue
        if on_file:
            on_file(source)
        for step, rows in load_file(db, workspace, source, batch_size, progress, con, writers).items():
            report.rows_written[step] = report.rows_written.get(step, 0) + rows
        report.files_loaded.append(source.name)
    report.seconds = time.perf_counter() - started
    report.retried = RETRIED.count - retried
    return report
