"""Ingest on Apache Spark (``--engine spark``): the results of :mod:`events.ingest`, computed by a Spark cluster.

The same rules (:mod:`events.spark_parse`), keyed pseudonym (:func:`events.pseudonym.pseudonymise_ids`
in a pandas UDF: the key travels inside the task, never in SQL text or a query plan), erasures,
exact-duplicate dropping, store layout (``events/month=YYYY-MM/part-<sha12>.parquet``, sorted by
:data:`events.buckets.SORT_KEY`), rejects file and manifest entry, committed by
:mod:`events.ingest`'s own lock, recovery and commit. What stays on the driver: the two hashes
of the file (one sequential pass, which also checks the gzip stream and counts the lines), the
header check and the rejected rows (written by DuckDB, so the file is byte for byte DuckDB's).
Sources are local paths or lake URIs: every read of them, the driver's included, goes through
the session's Hadoop FileSystem (:mod:`events.spark_files`). The event store is local: the
staging directory must be on a filesystem the executors share with the driver.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from events.buckets import SORT_KEY
from events.ingest import TMP_PREFIX, IngestResult, _commit, check_same_pseudonymisation, recover_store, store_lock
from events.lines import is_gzip, line_batches
from events.manifest import IngestedFile, find_by_content_sha256, find_by_sha256, read_manifest
from events.pseudonym import load_key
from events.spark_files import LakeFiles, LakePath, RawDigest, Source, is_uri
from events.spark_parse import parse_lines_spark_sql
from events.spark_session import get_spark, spark_path
from events.store import COLUMNS
from events.tombstones import read_tombstones
from events.validate import REASON_KIND, every_row_rejected
from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress, no_progress
from shopgraph.sqltext import literal
from shopgraph.version import code_version
from shopgraph.workspace import Workspace

#: the store's row order: :data:`SORT_KEY`, then every other column (NULLs last, as DuckDB)
ORDER = [*SORT_KEY.split(", "), *(c for c in COLUMNS if c not in SORT_KEY.split(", "))]


@dataclass(frozen=True)
class _Source:
    """A source file checked on the driver: its hashes, line count and the store's settings."""

    path: Source
    size: int
    sha256: str
    content_sha256: str
    lines: int
    key: bytes | None
    tombstones: set[int]


def ingest_files_spark(
    workspace: Workspace,
    paths: Sequence[Source],
    pseudonymise: bool = True,
    progress: Callable[[Path], Progress | None] | None = None,
    master: str | None = None,
) -> tuple[list[IngestResult], list[Path]]:
    """Ingest ``paths`` (local paths or :class:`~events.spark_files.LakePath` URIs) one after the other on Spark.

    ``master``: a URL, default ``local[2]``.
    The same contract as :func:`events.ingest.ingest_files`: the result per file and the
    leftovers of an interrupted run removed first; stops at the first file that fails.
    ``progress`` as there, with coarser steps: each phase is reported when it starts and ends.
    """
    spark = get_spark(master)
    with store_lock(workspace):
        removed = recover_store(workspace)
        results = [
            ingest_file_spark(workspace, path, spark, pseudonymise, progress(path) if progress else None)
            for path in paths
        ]
    return results, removed


def expand_sources(patterns: Sequence[str], master: str | None = None) -> list[Source]:
    """The files ``patterns`` name (paths, URIs, globs of either), found through the Spark session's Hadoop."""
    return LakeFiles(get_spark(master)).expand(patterns)


def ingest_file_spark(
    workspace: Workspace, path: Source | str, spark: Any, pseudonymise: bool = True, progress: Progress | None = None
) -> IngestResult:
    """Ingest one ``.csv`` / ``.csv.gz`` file on ``spark``; see :func:`events.ingest.ingest_file`.

    The caller holds :func:`events.ingest.store_lock`.
    """
    report = progress or no_progress
    if isinstance(path, str):
        path = LakePath(path) if is_uri(path) else Path(path)
    manifest = read_manifest(workspace)
    source = _read_source(workspace, LakeFiles(spark), path, pseudonymise)
    sha256 = source.sha256
    done = find_by_sha256(manifest, sha256)
    if done is not None:
        return IngestResult(path, "already ingested", done)
    check_same_pseudonymisation(manifest, pseudonymise)
    same = find_by_content_sha256(manifest, source.content_sha256)
    if same is not None:
        return IngestResult(path, f"already ingested (same content as {same.name})", same)
    tmp = workspace.store_dir / f"{TMP_PREFIX}{sha256[:12]}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        entry = _stage(spark, source, tmp, report)
        if not entry.balanced:  # a bug, not a user error: never commit unbalanced counts
            raise AssertionError(f"counts do not balance for {path.name}: {entry}")
        _commit(workspace, tmp, entry, manifest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return IngestResult(path, "ingested", entry)


def _read_source(workspace: Workspace, files: LakeFiles, path: Source, pseudonymise: bool) -> _Source:
    """Size and header checks, then one pass through Hadoop: both hashes, the line count, the gzip check."""
    size = files.size(path)
    files.check_header(path)
    name = PurePosixPath(path.name)
    gz = is_gzip(name, files.opener(path))
    if gz != path.name.endswith(".gz"):  # Hadoop chooses the codec by the name
        raise ShopgraphError(
            f"{path.name}: the Spark engine reads gzip files by their .gz name: "
            + ("add .gz to the name" if gz else "this file is not gzip, remove .gz")
        )
    raw, content = RawDigest(), hashlib.sha256()
    lines = sum(b.num_rows for b in line_batches(name, digest=content, opener=files.opener(path, raw), size=size))
    key = load_key(workspace) if pseudonymise else None
    return _Source(path, size, raw.hexdigest(), content.hexdigest(), lines, key, read_tombstones(workspace))


def _stage(spark: Any, source: _Source, tmp: Path, report: Progress) -> IngestedFile:
    """Parse, pseudonymise, dedupe and write ``source`` under ``tmp`` (mirroring ``store/``); its entry."""
    sha12 = source.sha256[:12]
    report("read", 0, source.size)
    parsed, text = _parsed(spark, source)
    try:
        rows_read, rows_rejected = _counts(parsed)
        text.unpersist()
        report("read", source.size, source.size)
        if rows_read + 1 != source.lines:  # Spark must see the lines the driver counted
            raise AssertionError(f"{source.path.name}: Spark read {rows_read + 1} lines, the file has {source.lines}")
        if rows_read == 0:
            raise ShopgraphError(f"{source.path.name} has a header but no rows: nothing to ingest")
        if rows_rejected == rows_read:
            raise _every_row_rejected(parsed, source.path.name, rows_read)
        rejects_file = None
        if rows_rejected:
            rejects_file = f"rejects/{sha12}.csv"
            _write_rejects(parsed, source.path.name, tmp / rejects_file)
        report("pseudonymise", 0, 0)
        users = _user_map(spark, parsed, source)
        n_users, rows_erased = users.selectExpr("count(*)", "coalesce(sum(IF(erased, n_rows, 0)), 0)").collect()[0]
        report("pseudonymise", n_users, n_users)
        to_write = rows_read - rows_rejected - rows_erased
        report("write", 0, to_write)
        rows_per_month = _write_months(spark, parsed, users, tmp / "events", f"part-{sha12}.parquet")
        report("write", to_write, to_write)
        users.unpersist()
    finally:
        parsed.unpersist()
        text.unpersist()
    rows_kept = sum(rows_per_month.values())
    return IngestedFile(
        name=source.path.name,
        sha256=source.sha256,
        size_bytes=source.size,
        months=sorted(rows_per_month),
        rows_read=rows_read,
        rows_kept=rows_kept,
        rows_rejected=rows_rejected,
        rows_duplicate=rows_read - rows_rejected - rows_erased - rows_kept,
        rows_erased=rows_erased,
        rows_per_month=rows_per_month,
        partitions=[f"events/month={month}/part-{sha12}.parquet" for month in rows_per_month],
        rejects_file=rejects_file,
        pseudonymised=source.key is not None,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        code_version=code_version(),
        source_path=str(source.path),
        content_sha256=source.content_sha256,
    )


def numbered_lines(spark: Any, path: str) -> tuple[Any, Any]:
    """The file's physical lines as ``(line_no, raw BINARY)``, split on ``\\n`` only, numbered from 1.

    A line's number is the lines of the file blocks before its own plus its rank inside its
    block (``_metadata.file_block_start``; rows of one block are contiguous in one task and
    ``monotonically_increasing_id`` grows along them). A ``\\r`` ending a line is removed
    (CRLF files), as :func:`events.lines.line_batches` does; line 1 keeps a BOM (the header
    is checked on the driver, not here). Returns the lines and the persisted read they are
    numbered from (read once, counted and joined): unpersist it when the lines are used.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    text = (
        spark.read.option("lineSep", "\n")
        .text(spark_path(path))
        .select(
            F.col("value").cast("binary").alias("raw"),
            F.col("_metadata.file_block_start").alias("block"),
            F.monotonically_increasing_id().alias("mid"),
        )
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    blocks = text.groupBy("block").agg(F.count("*").alias("n"), F.min("mid").alias("first_mid"))
    blocks = blocks.select(
        "block",
        "first_mid",
        (F.sum("n").over(Window.orderBy("block")) - F.col("n")).alias("before"),
    )
    lines = text.join(F.broadcast(blocks), "block").select(
        (F.col("before") + F.col("mid") - F.col("first_mid") + 1).alias("line_no"),
        F.expr("CASE WHEN substring(raw, -1, 1) = X'0D' THEN substring(raw, 1, length(raw) - 1) ELSE raw END").alias(
            "raw"
        ),
    )
    return lines, text


def _parsed(spark: Any, source: _Source) -> tuple[Any, Any]:
    """Every data line (line 1, the header, aside) with its typed fields and reason, persisted; and the raw read.

    A file of fewer blocks than cores (one gzip file is one block) is spread over the cores
    before the row rules, which cost more than the read.
    """
    from pyspark import StorageLevel

    lines, text = numbered_lines(spark, str(source.path))
    lines = lines.where("line_no > 1")
    cores = spark.sparkContext.defaultParallelism
    if text.rdd.getNumPartitions() < cores:
        lines = lines.repartition(cores)
    lines.createOrReplaceTempView("shopgraph_lines")
    parsed = spark.sql(parse_lines_spark_sql("shopgraph_lines"))
    return parsed.persist(StorageLevel.MEMORY_AND_DISK), text


def _counts(parsed: Any) -> tuple[int, int]:
    from pyspark.sql import functions as F

    row = parsed.agg(F.count("*"), F.count("reason")).collect()[0]
    return int(row[0]), int(row[1])


def _every_row_rejected(parsed: Any, name: str, rows: int) -> ShopgraphError:
    """events.validate's error for a file of rejected rows only, its counts from Spark."""
    from pyspark.sql import functions as F

    kinds = parsed.groupBy(F.regexp_extract("reason", REASON_KIND, 1).alias("kind")).count().collect()
    first = parsed.orderBy("line_no").select("line_no", "reason").first()
    ranked = sorted(((row["kind"], int(row["count"])) for row in kinds), key=lambda kn: (-kn[1], kn[0]))
    return every_row_rejected(name, rows, ranked, (int(first["line_no"]), first["reason"]))


def _write_rejects(parsed: Any, source_name: str, target: Path) -> None:
    """The rejected rows, written by DuckDB with :mod:`events.ingest`'s COPY (same quoting, same bytes)."""
    columns = ["line_no", "reason", "text", "raw", "raw_user_id"]
    rows = parsed.where("reason IS NOT NULL").select(*columns).collect()  # no pandas: pyspark 3.5 predates pandas 3
    table = pa.Table.from_pylist(
        [row.asDict() for row in rows],
        pa.schema(
            [
                ("line_no", pa.int64()),
                ("reason", pa.string()),
                ("text", pa.string()),
                ("raw", pa.binary()),
                ("raw_user_id", pa.string()),
            ]
        ),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.register("rejected", table)
        con.execute(
            f"""COPY (SELECT ? AS source_file, line_no AS line_number, reason,
                             coalesce(text, CAST(raw AS VARCHAR)) AS raw_text, raw_user_id AS user_id
                      FROM rejected ORDER BY line_no)
                TO {literal(target)} (FORMAT csv, HEADER true)""",
            [source_name],
        ).fetchall()
    finally:
        con.close()


def _user_map(spark: Any, parsed: Any, source: _Source) -> Any:
    """One row per distinct raw user of the kept rows: ``raw_id, user_id`` (pseudonym), ``n_rows, erased``."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    users = parsed.where("reason IS NULL").groupBy(F.col("user_id").alias("raw_id")).agg(F.count("*").alias("n_rows"))
    if source.key is None:
        users = users.withColumn("user_id", F.col("raw_id"))
    else:
        users = users.withColumn("user_id", _pseudonym_udf(source.key)(F.col("raw_id")))
    tombstones = spark.createDataFrame([(t,) for t in sorted(source.tombstones)], "erased_id BIGINT")
    users = users.join(F.broadcast(tombstones), users.user_id == tombstones.erased_id, "left")
    users = users.select("raw_id", "user_id", "n_rows", F.col("erased_id").isNotNull().alias("erased"))
    return users.persist(StorageLevel.MEMORY_AND_DISK)


def _pseudonym_udf(key: bytes) -> Any:
    """A pandas UDF computing :func:`events.pseudonym.pseudonym` of a BIGINT column (the key inside the task).

    Spelled with the standard library only, so executors need pyspark, pandas and pyarrow but
    not shopgraph; tests/spark hold it equal to :func:`events.pseudonym.pseudonymise_ids`.
    """
    import hmac

    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    def pseudonyms(raw_ids):
        digest = hmac.digest
        values = [
            int.from_bytes(digest(key, str(int(raw)).encode("ascii"), "sha256")[:8], "big", signed=True)
            for raw in raw_ids.tolist()
        ]
        return pd.Series(values, dtype="int64")

    # real types, not the strings of ``from __future__ import annotations``: Spark reads them
    pseudonyms.__annotations__ = {"raw_ids": pd.Series, "return": pd.Series}
    return pandas_udf(pseudonyms, "bigint")


def _write_months(spark: Any, parsed: Any, users: Any, root: Path, name: str) -> dict[str, int]:
    """Kept rows deduplicated and sorted into ``root/month=YYYY-MM/<name>``; rows per month.

    One task per month sorts and writes it (``repartition`` by month), so each month is one
    file sorted as a whole, as DuckDB writes it.
    """
    from pyspark.sql import functions as F

    kept = parsed.where("reason IS NULL").join(
        users.where("NOT erased").select("raw_id", F.col("user_id").alias("pseudonym")),
        parsed.user_id == F.col("raw_id"),
    )
    rows = kept.select(*(F.col("pseudonym").alias(c) if c == "user_id" else F.col(c) for c in COLUMNS)).dropDuplicates()
    rows = rows.withColumn("month", F.date_format("event_time", "yyyy-MM"))
    out = root.parent / "spark-out"
    (
        rows.repartition("month")
        .sortWithinPartitions("month", *(F.col(c).asc_nulls_last() for c in ORDER))
        .write.partitionBy("month")
        .option("compression", "zstd")
        .parquet(str(out))
    )
    counts: dict[str, int] = {}
    for month_dir in sorted(out.glob("month=*")):
        files = sorted(month_dir.glob("*.parquet"))
        if len(files) != 1:  # a bug: one task writes one month
            raise AssertionError(f"{month_dir.name}: Spark wrote {len(files)} files, expected 1")
        target = root / month_dir.name / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(files[0], target)
        counts[month_dir.name.removeprefix("month=")] = pq.ParquetFile(target).metadata.num_rows
    shutil.rmtree(out)
    return counts
