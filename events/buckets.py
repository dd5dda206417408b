"""Write a source file's kept rows as one deduplicated zstd Parquet file per month, in memory-sized user buckets.

Each file is sorted by (user_id, event_time). Deduplicating and sorting a whole month at once
would spill past DuckDB's memory limit, so the users are cut into contiguous ``user_id`` ranges
of about equal row counts, each small enough to finish in memory; written bucket after bucket,
the ranges give a file sorted as a whole. With many buckets the rows are first split into one
file per bucket (:func:`split_buckets`), so that no bucket scans the rows of the others.
Costs and sizing: docs/ARCHITECTURE.md, "Ingest".
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from events.store import COLUMNS
from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress, no_progress

#: DuckDB memory one bucket needs per row it holds while deduplicating and sorting it
#: (measured with bench/ingest.py at 2 M and 10 M rows and a 1GB limit, with headroom)
BUCKET_BYTES_PER_ROW = 400
#: rows per Parquet row group of the event store (DuckDB's own default size)
ROW_GROUP_ROWS = 122_880
#: the sort order of the event store
SORT_KEY = "user_id, event_time, event_type, product_id"
#: from this many buckets on, :func:`split_buckets` splits the rows once instead of every bucket
#: scanning all of them (the break-even measured at 10 M rows, docs/ARCHITECTURE.md "Ingest")
SPLIT_MIN_BUCKETS = 8
#: the event store's columns written with a Parquet dictionary: the few-valued texts. The ids,
#: times and prices are near-unique per row group, where a dictionary costs more than it saves
DICTIONARY_COLUMNS = ["event_type", "category_code", "brand"]
#: the columns with min/max statistics: all but the session id, which no reader filters on
STATISTICS_COLUMNS = [c for c in COLUMNS if c != "user_session"]


def set_memory_limit(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """``SET memory_limit`` on ``con``; a value DuckDB does not understand is one clear error."""
    try:
        con.execute(f"SET memory_limit = '{limit.replace(chr(39), chr(39) * 2)}'")
    except duckdb.Error:
        raise ShopgraphError(f"memory limit {limit!r} is not a size DuckDB understands (e.g. 1GB, 512MB)") from None


def memory_limit_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """DuckDB's current ``memory_limit`` on ``con``, in bytes."""
    text = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]  # e.g. '953.6 MiB'
    number, _, unit = text.strip().partition(" ")
    scale = {
        "": 1,
        "bytes": 1,
        "KiB": 1024,
        "MiB": 1024**2,
        "GiB": 1024**3,
        "TiB": 1024**4,
        "KB": 1000,
        "MB": 1000**2,
        "GB": 1000**3,
        "TB": 1000**4,
    }
    return int(float(number) * scale[unit])


def bucket_count(rows: int, limit_bytes: int) -> int:
    """How many buckets keep one bucket's deduplication and sort inside ``limit_bytes``."""
    return max(1, math.ceil(rows * BUCKET_BYTES_PER_ROW / limit_bytes))


def assign_buckets(con: duckdb.DuckDBPyConnection, users: str, buckets: int) -> None:
    """Add ``bucket`` (0 … ``buckets``-1) to the table ``users`` (``user_id``, ``n_rows``, ``erased``).

    Bucket ``b`` holds the users whose rows (erased users count as empty) come after
    ``b/B`` and up to ``(b+1)/B`` of all rows in ``user_id`` order: contiguous ascending
    ranges of about equal size. A user's rows are never split.
    """
    con.execute(
        f"""CREATE OR REPLACE TABLE {users} AS
            SELECT *, CAST(CASE WHEN total = 0 THEN 0 ELSE (before * ?) // total END AS INTEGER) AS bucket
            FROM (
                SELECT *, coalesce(sum(rows) OVER (ORDER BY user_id ROWS BETWEEN UNBOUNDED PRECEDING
                                                   AND 1 PRECEDING), 0) AS before,
                       sum(rows) OVER () AS total
                FROM (SELECT *, CASE WHEN erased THEN 0 ELSE n_rows END AS rows FROM {users})
            )""",
        [buckets],
    )


@dataclass
class MonthWriters:
    """One open zstd ``ParquetWriter`` per month, ``root/month=YYYY-MM/<name>``, opened on its first row."""

    root: Path
    name: str
    writers: dict[str, pq.ParquetWriter] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def relative(self, month: str) -> str:
        return f"month={month}/{self.name}"

    def write(self, month: str, rows: pa.RecordBatch) -> None:
        if month not in self.writers:
            path = self.root / self.relative(month)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.writers[month] = pq.ParquetWriter(
                path,
                rows.schema,
                compression="zstd",
                use_dictionary=DICTIONARY_COLUMNS,
                write_statistics=STATISTICS_COLUMNS,
            )
            self.rows[month] = 0
        self.writers[month].write_batch(rows, row_group_size=ROW_GROUP_ROWS)
        self.rows[month] += rows.num_rows

    def close(self) -> None:
        """Finish every file (their footers); safe to call again."""
        while self.writers:
            self.writers.popitem()[1].close()


def split_buckets(con: duckdb.DuckDBPyConnection, rows_sql: str, directory: Path) -> Callable[[int], str]:
    """Write the rows of ``rows_sql`` (:data:`COLUMNS` and ``bucket``) as one lz4 Arrow IPC file per bucket,
    in one pass; return a ``bucket_sql`` for :func:`write_buckets` that reads one bucket's file.

    Why: a bucket selected from the whole staging file by a join still decodes every column of
    every staging row (the join cannot skip them), so that cost grows as rows × buckets; after
    the split each bucket reads its own rows only. Memory: one batch at a time.
    ``bucket_sql(b)`` registers bucket ``b``'s file on ``con`` as the view ``bucket_rows``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    reader = con.sql(rows_sql).to_arrow_reader(ROW_GROUP_ROWS)
    schema = pa.schema([f for f in reader.schema if f.name != "bucket"])
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    files: dict[int, pa.ipc.RecordBatchWriter] = {}
    try:
        for batch in reader:
            for bucket, rows in _by_bucket(batch):
                if bucket not in files:
                    files[bucket] = pa.ipc.new_file(directory / f"{bucket}.arrow", schema, options=options)
                files[bucket].write_batch(rows.select(schema.names))
    finally:
        for file in files.values():
            file.close()

    def bucket_sql(bucket: int) -> str:
        path = directory / f"{bucket}.arrow"
        rows = ds.dataset(path, schema=schema, format="arrow") if path.exists() else schema.empty_table()
        con.register("bucket_rows", rows)
        return "SELECT * FROM bucket_rows"

    return bucket_sql


def _by_bucket(batch: pa.RecordBatch) -> Iterator[tuple[int, pa.RecordBatch]]:
    """The rows of ``batch`` grouped by their ``bucket`` column: (bucket, rows) per bucket present."""
    buckets = batch.column("bucket").to_numpy()
    order = np.argsort(buckets, kind="stable")
    grouped = batch.take(pa.array(order))
    ordered = buckets[order]
    cuts = [0, *(np.flatnonzero(ordered[1:] != ordered[:-1]) + 1).tolist(), len(ordered)]
    for start, end in pairwise(cuts):
        if end > start:
            yield int(ordered[start]), grouped.slice(start, end - start)


def write_buckets(
    con: duckdb.DuckDBPyConnection,
    bucket_sql: Callable[[int], str],
    buckets: int,
    months: list[str],
    writers: MonthWriters,
    progress: Progress = no_progress,
    total: int = 0,
) -> tuple[int, int]:
    """Deduplicate, sort and append every bucket to its month files, in bucket order.

    Returns ``(written, dropped)``: rows written and exact duplicates dropped, counted
    separately so the caller can check that every row it handed over had one fate.

    ``bucket_sql(b)`` is a SELECT of bucket ``b``'s rows with :data:`COLUMNS`;
    ``months`` (``YYYY-MM``) are the months they fall in. Each bucket is sorted by
    :data:`SORT_KEY` and then every other column, so exact duplicates end up next to each
    other and a row equal to the one before it is dropped (:func:`repeats_previous_row`: a
    vectorised comparison, no hash table over nine columns). A file with rows of several
    months reads each bucket once per month.
    """
    columns = ", ".join(COLUMNS)
    order = ", ".join([SORT_KEY, *(c for c in COLUMNS if c not in SORT_KEY.split(", "))])
    written = dropped = 0
    with WriteBehind(writers) as write:
        for b in range(buckets):
            rows = bucket_sql(b)
            for month in months:
                sql = f"SELECT {columns} FROM ({rows}) {_in_month(month, months)} ORDER BY {order}"
                previous: pa.RecordBatch | None = None
                for batch in con.sql(sql).to_arrow_reader(ROW_GROUP_ROWS):
                    if batch.num_rows == 0:
                        continue
                    unique = batch.filter(pc.invert(repeats_previous_row(batch, previous)))
                    previous = batch.slice(batch.num_rows - 1)
                    dropped += batch.num_rows - unique.num_rows
                    if unique.num_rows:
                        write(month, unique)
                        written += unique.num_rows
            progress("write", written, total)
        write.finish()
    return written, dropped


def _in_month(month: str, months: list[str]) -> str:
    """The WHERE clause keeping one of ``months`` (none when it is the only one)."""
    if len(months) == 1:
        return ""
    return f"WHERE event_time >= TIMESTAMP '{month}-01' AND event_time < TIMESTAMP '{month}-01' + INTERVAL 1 MONTH"


class WriteBehind:
    """Calls ``writers.write`` on one background thread, in the order given, at most ``depth`` batches behind.

    The Parquet encoding and compression (which release the GIL) then overlap with DuckDB
    producing and Python deduplicating the next batches, instead of running between them.
    :meth:`finish` waits for every write and raises the first error; leaving the ``with``
    block waits too but raises nothing of its own (an error already on its way wins).
    """

    def __init__(self, writers: MonthWriters, depth: int = 2) -> None:
        self.writers = writers
        self.depth = depth
        self.pending: deque[Future[None]] = deque()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shopgraph-parquet-writer")

    def __call__(self, month: str, rows: pa.RecordBatch) -> None:
        while len(self.pending) >= self.depth:
            self.pending.popleft().result()
        self.pending.append(self.pool.submit(self.writers.write, month, rows))

    def finish(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, *exc_info: object) -> None:
        wait(self.pending)
        self.pending.clear()
        self.pool.shutdown(wait=True)


#: the order :func:`repeats_previous_row` compares columns in: the most selective first
_COMPARED = (
    "event_time",
    "user_id",
    "product_id",
    "event_type",
    "price",
    "category_id",
    "user_session",
    "brand",
    "category_code",
)


def repeats_previous_row(batch: pa.RecordBatch, previous: pa.RecordBatch | None = None) -> pa.Array:
    """For each row, whether it equals the row before it in every column (NULL equals NULL).

    The first row is compared with the last row of ``previous`` (the batch before), if
    given. Columns are compared one after the other, each only at the rows still equal
    in every column before it, so the string columns are compared at a few rows only.
    """
    rows = (
        batch
        if previous is None
        else pa.Table.from_batches([previous.slice(previous.num_rows - 1), batch]).combine_chunks().to_batches()[0]
    )
    n = rows.num_rows
    candidates = pa.array(np.arange(1, n, dtype=np.int64))
    for name in _COMPARED:
        if len(candidates) == 0:
            break
        column = rows.column(name)
        this, before = column.take(candidates), column.take(pc.subtract(candidates, 1))
        equal = pc.fill_null(pc.equal(this, before), False)
        candidates = candidates.filter(pc.or_(equal, pc.and_(pc.is_null(this), pc.is_null(before))))
    repeats = np.zeros(n, dtype=bool)
    repeats[candidates.to_numpy()] = True
    return pa.array(repeats if previous is None else repeats[1:])
