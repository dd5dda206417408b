"""Writes the registry's ``on_graph`` metrics from the feature table onto ``(:User)`` nodes, in batches.

Only users already in the graph (created by the graph load) get properties; the others are
counted and reported, never an error. Values are Neo4j-storable: integers, floats, strings; NaN and
infinities never leave :func:`user_columns` (they would be a bug upstream and become nulls), and a
null removes the property, so a metric that became undefined since the last run does not linger on
the node.

Only the customers whose values moved are sent: a copy of what the graph holds is kept beside the
table (:data:`WRITTEN`; its SHA-256 is on the graph's ``(:FeaturesOnGraph)`` node once a write is
complete) and the next table is compared with it. Without a copy the graph is known to hold (a new
graph, a write stopped midway, an erasure), every row is sent. Recency is not a property, since it
moves for every customer each month: it is ``(:FeaturesOnGraph).window_end - User.last_seen`` (which the
graph load keeps).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.registry import KEY, graph_metrics
from shopgraph.errors import ShopgraphError
from shopgraph.files import file_sha256, fsync_file
from shopgraph.sqltext import literal

if TYPE_CHECKING:  # the adapter only needs a QueryRunner-like object; features never imports graph
    from graph.connection import QueryRunner

SET_QUERY = "features/set_user_features"
DEFAULT_BATCH_SIZE = 5_000
WRITTEN = "user_features.written.parquet"
"""Each customer's ``user_id`` and a digest of the ``on_graph`` values the graph holds, kept beside the feature table
after a complete write (users without a User node left out, so that they are sent again once loaded)."""
MEMORY_LIMIT = "2GB"  # the comparison of two tables of every customer spills beyond it


@dataclass(frozen=True)
class GraphWrite:
    """Outcome of writing the features to the graph."""

    rows: int  # users in the feature table
    sent: int  # rows sent: those whose values the graph did not hold already
    matched: int  # User nodes that received the properties
    computed_at: str

    @property
    def unchanged(self) -> int:
        """Users whose values the graph held already, so not sent."""
        return self.rows - self.sent

    @property
    def missing(self) -> int:
        """Users sent that have no User node (not an error)."""
        return self.sent - self.matched


def _storable_column(column: pa.Array) -> list[Any]:
    """A column as Python values; NaN and ±infinity of a float column become None, vectorised."""
    if pa.types.is_floating(column.type) and len(column):
        column = pc.if_else(pc.is_finite(column), column, pa.scalar(None, column.type))
    return column.to_pylist()


def _check_columns(path: Path, also: tuple[str, ...] = ()) -> list[str]:
    """The ``on_graph`` metric names, once ``path`` is known to be a table holding them (and ``also``)."""
    if not path.is_file():
        raise ShopgraphError(f"no feature table at {path}: run `shopgraph features` first")
    names = [m.name for m in graph_metrics()]
    absent = [c for c in [KEY, *names, *also] if c not in pq.ParquetFile(path).schema_arrow.names]
    if absent:
        raise ShopgraphError(
            f"{path} lacks column(s) {', '.join(absent)}: it is from an older version, rerun `shopgraph features`"
        )
    return names


def user_columns(path: Path, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[dict[str, list[Any]]]:
    """``{"user_ids": [...], <metric>: [...], ...}`` per batch of the feature table: aligned column lists,
    streamed, the parameters of ``SET_QUERY``."""
    names = _check_columns(path)
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=[KEY, *names]):
        yield {"user_ids": batch.column(KEY).to_pylist()} | {n: _storable_column(batch.column(n)) for n in names}


@dataclass(frozen=True)
class _Plan:
    """What a write sends: ``send`` (a table with the graph columns), ``staged`` (the copy kept once it is done)."""

    staged: Path
    send: Path
    rows: int
    to_send: int
    window_end: dt.datetime | None


def _digest(names: list[str], table: str = "") -> str:
    """A customer's graph values as one 64-bit hash (DuckDB's ``hash`` of every column, nulls included)."""
    columns = ", ".join(table + '"' + n + '"' for n in names)
    return f"hash({columns})"


def _plan(path: Path, held_sha: str | None, scratch: Path) -> _Plan:
    """Stage each customer's digest as the next copy; the rows to send are those whose digest differs from the kept
    copy's when the graph holds it (its SHA-256 is the graph's), else all of them.

    A digest is 64 bits: a customer whose values moved yet hash the same (odds 2⁻⁶⁴ a customer) would keep the
    old ones; a DuckDB that hashes otherwise makes every digest differ, so every row is sent."""
    names = _check_columns(path, also=("last_seen",))
    kept, staged, changed = path.parent / WRITTEN, scratch / WRITTEN, scratch / "changed.parquet"
    table = f"read_parquet({literal(str(path))})"
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute(f"SET temp_directory = {literal(str(scratch / 'duckdb'))}")
        con.execute(
            f'COPY (SELECT "{KEY}", {_digest(names)} AS digest FROM {table}) TO {literal(str(staged))} '
            "(FORMAT parquet, COMPRESSION zstd)"
        )
        rows, window_end = con.execute(f"SELECT count(*), max(last_seen) FROM {table}").fetchone()
        window_end = window_end.replace(tzinfo=dt.UTC) if window_end else None  # as the load's u.last_seen
        if held_sha is None or not kept.is_file() or file_sha256(kept) != held_sha:
            return _Plan(staged, path, int(rows), int(rows), window_end)
        columns = ", ".join(f't."{c}"' for c in [KEY, *names])
        con.execute(
            f"COPY (SELECT {columns} FROM {table} t ANTI JOIN read_parquet({literal(str(kept))}) k "
            f'ON t."{KEY}" = k."{KEY}" AND {_digest(names, "t.")} = k.digest) TO {literal(str(changed))} '
            "(FORMAT parquet, COMPRESSION zstd)"
        )
        to_send = con.execute(f"SELECT count(*) FROM read_parquet({literal(str(changed))})").fetchone()[0]
        return _Plan(staged, changed, int(rows), int(to_send), window_end)
    finally:
        con.close()


def _keep(plan: _Plan, kept: Path, missing: list[int]) -> str:
    """Make the staged copy, less the ``missing`` users (no User node), the kept one; its SHA-256."""
    if missing:
        con = duckdb.connect()
        try:
            con.execute("CREATE TEMP TABLE missing AS SELECT unnest($1::BIGINT[]) AS user_id", [missing])
            pruned = plan.staged.with_suffix(".pruned")
            con.execute(
                f"COPY (SELECT * FROM read_parquet({literal(str(plan.staged))}) WHERE {KEY} NOT IN "
                f"(SELECT user_id FROM missing)) TO {literal(str(pruned))} (FORMAT parquet, COMPRESSION zstd)"
            )
        finally:
            con.close()
        os.replace(pruned, plan.staged)
    fsync_file(plan.staged)
    os.replace(plan.staged, kept)
    return file_sha256(kept)


def write_user_features(
    db: QueryRunner,
    path: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    computed_at: str | None = None,
    writers: int = 1,
) -> GraphWrite:
    """Set the ``on_graph`` metrics of ``path``'s rows on their ``(:User {user_id})``: the rows that differ from
    what the graph holds (see the module docstring), or all.

    One round trip per batch: each batch returns how many users it matched, so no count
    afterwards; the users' node ids are read first, so that a batch finds them without the index.
    ``writers`` batches are written at once (each batch holds other users).
    ``progress(done, total)`` is called before the first batch and after each committed one (rows sent).
    """
    stamp = computed_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    kept = path.parent / WRITTEN
    scratch = path.parent / ".graph-write"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        [held] = db.run("features/features_on_graph") or [{"sha": None}]
        plan = _plan(path, held["sha"], scratch)
        db.run("features/begin_features_write", window_end=plan.window_end, computed_at=stamp)
        if progress is not None:
            progress(0, plan.to_send)
        missing: list[int] = []
        expected = 0  # users sent that have a node id: each batch must match them all, or no copy is kept
        nodes = db.user_nodes() if plan.to_send else None  # each batch finds its users by node id (graph/node_ids.py)

        def batches() -> Iterator[dict[str, list[Any]]]:
            nonlocal expected
            for batch in user_columns(plan.send, batch_size):
                ids = nodes.ids(batch["user_ids"])
                missing.extend(u for u, n in zip(batch["user_ids"], ids, strict=True) if n < 0)
                expected += sum(n >= 0 for n in ids)
                yield batch | {"node_ids": ids}

        done = matched = 0
        for params, records in db.write_columns(SET_QUERY, batches(), writers=writers, computed_at=stamp):
            done += len(params["user_ids"])
            matched += records[0]["matched"] if records else 0
            if progress is not None:
                progress(done, plan.to_send)
        certain = matched == expected  # a node id that no longer fits its user: what the graph holds is unknown
        sha = _keep(plan, kept, missing) if certain else None
        if sha is None:
            kept.unlink(missing_ok=True)
        db.run("features/finish_features_write", sha=sha, at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return GraphWrite(rows=plan.rows, sent=plan.to_send, matched=matched, computed_at=stamp)


def count_rows(path: Path) -> int:
    """Rows of the feature table (from the Parquet footer; nothing is read)."""
    return pq.ParquetFile(path).metadata.num_rows
