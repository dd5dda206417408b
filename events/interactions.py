"""Interaction aggregates of the event store: per (user, product, event type) count, amount, first and last time.

One Parquet file per ingested source file, ``graph/interactions/part-<sha12>.parquet``, made
by DuckDB from that file's store partitions. ``embed`` reads them (so it needs no Neo4j),
and ``load`` writes them into the graph as the user–product relationships.

Each aggregate is a cache of its file's partitions: it is reused only while they are the
very files it was computed from (path, size, modification time, kept in a ``.key.json``
beside it), so ``forget`` or ``expire`` rewriting a partition makes the next
:func:`write_interactions` / :func:`refresh_interactions` recompute it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from events.buckets import memory_limit_bytes
from events.manifest import manifest_path, read_manifest
from events.store import bounded_connection
from shopgraph.files import atomic_path, write_text_atomic
from shopgraph.sqltext import literal_list
from shopgraph.workspace import Workspace


class StoredFile(Protocol):
    """What the aggregates need of an ingested file (:class:`events.manifest.IngestedFile` or
    :class:`graph.load.SourceFile`): its identity and its partitions, relative to ``store/``."""

    @property
    def sha256(self) -> str: ...

    @property
    def partitions(self) -> list[str]: ...


def interactions_path(workspace: Workspace, source: StoredFile) -> Path:
    """Where the aggregate of ``source`` lives."""
    return workspace.interactions_dir / f"part-{source.sha256[:12]}.parquet"


def partitions_key(workspace: Workspace, source: StoredFile) -> str:
    """What the file's partitions are right now (path, size, modification time), as text."""
    files = [workspace.store_dir / part for part in source.partitions]
    return json.dumps([[str(p.relative_to(workspace.home)), p.stat().st_size, p.stat().st_mtime_ns] for p in files])


#: DuckDB memory a user range's aggregate and sort take per event it reads (bench/load_reads.py, docs/BENCHMARKS.md
#: "Load"): the ranges are sized so that each finishes inside the connection's memory limit without spilling
AGGREGATE_BYTES_PER_EVENT = 400
#: rows per Parquet row group of an aggregate (DuckDB's own default size)
ROW_GROUP_ROWS = 122_880


def write_interactions(workspace: Workspace, source: StoredFile, con: duckdb.DuckDBPyConnection) -> Path:
    """The aggregate of ``source``'s events, recomputed (tmp + rename) unless the cached one is current.

    The store's partitions are sorted by ``user_id``, so the aggregate is made one contiguous user range after
    another, each range small enough to be grouped and sorted in memory, and written in that order: the file is
    sorted as a whole. In one statement a month's 60 M events spill under the read bound, in the hash table and
    again in the sort (docs/BENCHMARKS.md, "Load").
    """
    target = interactions_path(workspace, source)
    key_path = target.with_suffix(".key.json")
    key = partitions_key(workspace, source)
    if target.exists() and key_path.exists() and key_path.read_text(encoding="utf-8") == key:
        return target
    events = [workspace.store_dir / part for part in source.partitions]
    target.parent.mkdir(parents=True, exist_ok=True)
    key_path.unlink(missing_ok=True)
    ranges = user_ranges(con, events, max(1, memory_limit_bytes(con) // AGGREGATE_BYTES_PER_EVENT))
    with atomic_path(target) as tmp:
        writer = None
        try:
            for table in _range_aggregates(con, events, ranges):
                # a dictionary only for the event type: the ids, sums and times are near-unique per row group
                writer = writer or pq.ParquetWriter(
                    tmp, table.schema, compression="zstd", use_dictionary=["event_type"]
                )
                writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        finally:
            if writer is not None:
                writer.close()
    write_text_atomic(key_path, key)
    return target


def _aggregate_sql(events: list[Path], low: int | None, high: int | None) -> str:
    """The interactions of the users with ``low <= user_id < high`` (``None``: no bound), in the aggregate's order."""
    where = user_range_condition(low, high)
    return f"""
        SELECT user_id, product_id, event_type, count(*)::BIGINT AS count,
               round(sum(price), 2) AS amount, min(event_time) AS first_at, max(event_time) AS last_at
        FROM read_parquet({literal_list(events)}, hive_partitioning = false)
        WHERE {where}
        GROUP BY ALL
        ORDER BY user_id, product_id, event_type
    """


def _range_aggregates(con: duckdb.DuckDBPyConnection, events: list[Path], ranges: list[tuple]) -> Iterator[pa.Table]:
    """Each range's aggregate as an Arrow table, in order: DuckDB makes the next while the caller writes this one."""

    def aggregate(bounds: tuple) -> pa.Table:
        return con.sql(_aggregate_sql(events, *bounds)).to_arrow_table()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(aggregate, ranges[0])
        for following in [*ranges[1:], None]:
            table = pending.result()
            if following is not None:
                pending = pool.submit(aggregate, following)
            yield table


def user_range_condition(low: int | None, high: int | None) -> str:
    """The SQL condition ``low <= user_id < high`` of a range of :func:`user_ranges` (``None``: no bound)."""
    bounds = [f"user_id >= {int(low)}"] if low is not None else []
    bounds += [f"user_id < {int(high)}"] if high is not None else []
    return " AND ".join(bounds) or "true"


def user_ranges(con: duckdb.DuckDBPyConnection, files: list[str | Path], rows_per_range: int) -> list[tuple]:
    """Contiguous ``[low, high)`` user id ranges covering every user of ``files`` (sorted by ``user_id``), each
    holding about ``rows_per_range`` rows.

    Cut at row groups' smallest ``user_id`` (their Parquet statistics): the first range has no lower bound and the
    last no upper bound, so a user outside the statistics, or a file without them, is still in exactly one range.
    """
    groups = con.execute(
        f"""SELECT TRY_CAST(stats_min_value AS BIGINT) AS low, row_group_num_rows AS rows
            FROM parquet_metadata({literal_list([str(f) for f in files])}) WHERE path_in_schema = 'user_id'"""
    ).fetchall()
    if not groups or any(low is None for low, _ in groups):
        return [(None, None)]
    cuts: list[int] = []
    held = 0
    for low, rows in sorted(groups):
        if held >= rows_per_range and (not cuts or low > cuts[-1]):
            cuts.append(low)
            held = 0
        held += rows
    return list(pairwise([None, *cuts, None]))


def prune_interactions(workspace: Workspace, sources: list[StoredFile]) -> list[Path]:
    """Delete the aggregates of files no longer in the store (all their months expired)."""
    keep = {interactions_path(workspace, s).name for s in sources}
    removed = []
    for path in sorted(workspace.interactions_dir.glob("part-*")):
        if path.name.split(".")[0] + ".parquet" not in keep:
            path.unlink()
            removed.append(path)
    return removed


def refresh_interactions(workspace: Workspace, con: duckdb.DuckDBPyConnection | None = None) -> list[Path]:
    """Make the aggregates match the store: one current aggregate per ingested file with events, no other.

    Returns their paths, sorted. A store without a manifest (nothing ingested, or written by
    hand) has no files to key aggregates by: the folder is left as it is and no path is returned.
    """
    if not manifest_path(workspace).exists():
        return []
    sources = [entry for entry in read_manifest(workspace) if entry.partitions]
    prune_interactions(workspace, sources)
    own = con is None
    con = con or bounded_connection(workspace)
    try:
        return sorted(write_interactions(workspace, source, con) for source in sources)
    finally:
        if own:
            con.close()
