"""Ingest REES46 month files into the event store: read, validate, clean, pseudonymise, dedupe, commit atomically.

One source file is one transaction. Everything is written under ``store/.tmp-ingest-*``
first (DuckDB spill files, Parquet partitions, rejects), then renamed into place and
committed by rewriting ``store/manifest.json`` last. A partition or rejects file that the
manifest does not name is a leftover of an interrupted run: :func:`recover_store` removes
it (and stale temporary directories) before the next ingest, so the store always reads as
"before" or "after", never half.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from events.buckets import (
    SPLIT_MIN_BUCKETS,
    MonthWriters,
    assign_buckets,
    bucket_count,
    memory_limit_bytes,
    set_memory_limit,
    split_buckets,
    write_buckets,
)
from events.lines import LINES_SCHEMA, first_line, line_batches, prefetched
from events.manifest import IngestedFile, find_by_content_sha256, find_by_sha256, read_manifest, write_manifest
from events.month_digest import drop_gone_months
from events.pseudonym import load_key, pseudonym_sql
from events.store import COLUMNS
from events.tombstones import read_tombstones
from events.validate import REASON_KIND, check_header, every_row_rejected, parse_lines_sql
from shopgraph.errors import ShopgraphError
from shopgraph.files import file_sha256, fsync_dir, fsync_file
from shopgraph.locks import exclusive_lock
from shopgraph.progress import BYTES, Progress, no_progress
from shopgraph.sqltext import literal
from shopgraph.version import code_version
from shopgraph.workspace import Workspace

#: The steps :func:`ingest_file` reports to its :data:`~shopgraph.progress.Progress`, in
#: order, with the unit of their done/total: ``read`` (bytes of the source file),
#: ``pseudonymise`` (distinct users), ``dedupe`` (user buckets cut, see :mod:`events.buckets`)
#: and ``write`` (rows written, bucket by bucket, each deduplicated and sorted), each
#: reported at least when it starts and when it ends.
STEPS = {"read": BYTES, "pseudonymise": "users", "dedupe": "buckets", "write": "rows"}

TMP_PREFIX = ".tmp-ingest-"
LOCK_FILE = ".ingest.lock"
CARRIED = f"{ShopgraphError.__module__}.{ShopgraphError.__qualname__}: "  # a line reader's error, in DuckDB's text


@dataclass(frozen=True)
class IngestResult:
    """What happened to one source file: ``ingested`` now, or ``already ingested`` before
    (``already ingested (same content as <name>)`` when only the decompressed content matched)."""

    path: Path
    status: str
    entry: IngestedFile


# ---------------------------------------------------------------------------------------
# paths and the store's housekeeping
# ---------------------------------------------------------------------------------------
def expand_paths(patterns: Sequence[str]) -> list[Path]:
    """The files named by ``patterns`` (paths or globs), in order, each once.

    Raises
    ------
    ShopgraphError
        For a missing path, a glob matching nothing, or a directory.
    """
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern).expanduser()
        if path.exists():
            matches = [path]
        elif glob.has_magic(pattern):
            matches = [Path(p) for p in sorted(glob.glob(str(path)))]
            if not matches:
                raise ShopgraphError(f"no file matches {pattern!r}")
        else:
            raise ShopgraphError(f"{pattern} does not exist: check the path")
        for match in matches:
            if match.is_dir():
                raise ShopgraphError(
                    f"{match} is a directory: name the files, e.g. `shopgraph ingest {match}/*.csv.gz`"
                )
            if not match.is_file():
                raise ShopgraphError(f"{match} is not a regular file")
            resolved = match.resolve()
            if resolved not in found:
                found.append(resolved)
    return found


def store_lock(workspace: Workspace):
    """Hold the store's ingest lock (one ingest at a time); fail at once if another holds it."""
    return exclusive_lock(
        workspace.store_dir / LOCK_FILE, f"another ingest is writing to {workspace.store_dir}: wait for it to finish"
    )


def recover_store(workspace: Workspace) -> list[Path]:
    """Remove what an interrupted ingest left behind; return the removed paths.

    Removes ``store/.tmp-ingest-*`` directories, manifest temporaries, every
    ``part-*.parquet`` or rejects file the manifest does not name, and the digests of months the store no longer
    holds (events/month_digest.py). Call it holding
    :func:`store_lock`.
    """
    store = workspace.store_dir
    if not store.is_dir():
        return []
    removed: list[Path] = []
    for stale in sorted(store.glob(TMP_PREFIX + "*")):
        shutil.rmtree(stale, ignore_errors=True)
        removed.append(stale)
    for stale in sorted(store.glob(".manifest*.tmp")):
        stale.unlink(missing_ok=True)
        removed.append(stale)
    known: set[str] = set()
    for entry in read_manifest(workspace):
        known.update(entry.partitions)
        if entry.rejects_file:
            known.add(entry.rejects_file)
    candidates = list(workspace.events_dir.glob("month=*/part-*.parquet"))
    candidates += list((store / "rejects").glob("*.csv"))
    for path in sorted(candidates):
        if path.relative_to(store).as_posix() not in known:
            path.unlink()
            removed.append(path)
    for month in workspace.events_dir.glob("month=*"):
        if month.is_dir() and not any(month.iterdir()):
            month.rmdir()
    return removed + drop_gone_months(workspace)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C back while the commit renames files; raise it once they are all in place."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


# ---------------------------------------------------------------------------------------
# one file
# ---------------------------------------------------------------------------------------
def ingest_files(
    workspace: Workspace,
    paths: Sequence[Path],
    pseudonymise: bool = True,
    progress: Callable[[Path], Progress | None] | None = None,
    memory_limit: str = "1GB",
) -> tuple[list[IngestResult], list[Path]]:
    """Ingest ``paths`` one after the other under the store lock.

    Returns the result per file and the leftovers of an earlier interrupted run that were
    removed first. Stops at the first file that fails (files before it stay ingested).
    """
    with store_lock(workspace):
        removed = recover_store(workspace)
        results = [
            ingest_file(workspace, path, pseudonymise, progress(path) if progress else None, memory_limit)
            for path in paths
        ]
    return results, removed


def ingest_file(
    workspace: Workspace,
    path: Path,
    pseudonymise: bool = True,
    progress: Progress | None = None,
    memory_limit: str = "1GB",
) -> IngestResult:
    """Ingest one ``.csv`` / ``.csv.gz`` file; a file already in the manifest is a no-op.

    A file is already in the manifest when its bytes have the SHA-256 of an entry's (checked
    before reading it) or its decompressed content has (checked after the read phase, when
    the staged work is discarded): ``x.csv`` and ``x.csv.gz`` are one file.

    The caller holds :func:`store_lock` (as :func:`ingest_files` does).

    Parameters
    ----------
    workspace
        Where the store lives.
    path
        The source file.
    pseudonymise
        Replace ``user_id`` by its keyed hash (:mod:`events.pseudonym`). Must be the same
        for every file of a store.
    progress
        Optional callback, see :data:`STEPS`.
    memory_limit
        DuckDB's memory limit; larger work spills to the temporary directory in the store.

    Raises
    ------
    ShopgraphError
        For a file that cannot be ingested (empty, header only, wrong header, broken
        gzip, …); the store is left exactly as it was.
    """
    path = Path(path)
    size = source_size(path)
    sha256 = file_sha256(path)
    manifest = read_manifest(workspace)
    done = find_by_sha256(manifest, sha256)
    if done is not None:
        return IngestResult(path, "already ingested", done)
    check_same_pseudonymisation(manifest, pseudonymise)
    check_source_header(path)
    key = load_key(workspace) if pseudonymise else None
    tombstones = read_tombstones(workspace)

    sha12 = sha256[:12]
    tmp = workspace.store_dir / f"{TMP_PREFIX}{sha12}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        try:
            with _duckdb_errors_explained(path, memory_limit):
                staged = _stage(path, tmp, sha12, key, tombstones, progress, memory_limit, manifest)
        except _SameContent as same:
            return IngestResult(path, f"already ingested (same content as {same.entry.name})", same.entry)
        entry = _manifest_entry(path, sha256, size, staged, pseudonymise)
        if not entry.balanced:  # a bug, not a user error: never commit unbalanced counts
            raise AssertionError(f"counts do not balance for {path.name}: {entry}")
        _commit(workspace, tmp, entry, manifest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return IngestResult(path, "ingested", entry)


def source_size(path: Path) -> int:
    """The size in bytes of the source file; a missing or empty file is the user's error."""
    if not path.is_file():
        raise ShopgraphError(f"{path} is not a file")
    size = path.stat().st_size
    if size == 0:
        raise ShopgraphError(f"{path.name} is empty: nothing to ingest")
    return size


def check_same_pseudonymisation(manifest: list[IngestedFile], pseudonymise: bool) -> None:
    """Refuse to mix pseudonymised and raw user ids in one store."""
    modes = {entry.pseudonymised for entry in manifest}
    if modes and modes != {pseudonymise}:
        raise ShopgraphError(
            "the store holds "
            + ("pseudonymised" if True in modes else "raw")
            + " user ids: ingest every file the same way (with or without --no-pseudonymise)"
        )


def check_source_header(path: Path) -> None:
    """Refuse a file whose first line is missing or not the REES46 header (before any work is staged)."""
    header = first_line(path)
    if header is None:
        raise ShopgraphError(f"{path.name} is empty: nothing to ingest")
    check_header(header, path.name)


@contextmanager
def _duckdb_errors_explained(path: Path, memory_limit: str) -> Iterator[None]:
    """Turn DuckDB's Ctrl-C into KeyboardInterrupt and its out-of-memory error into one line for the user."""
    try:
        yield
    except (duckdb.Error, RuntimeError) as exc:
        if _was_interrupted(exc):  # Ctrl-C inside DuckDB or inside the line reader it pulls from
            raise KeyboardInterrupt from None
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise ShopgraphError(
                f"{path.name}: DuckDB ran out of memory ({memory_limit}): raise "
                "--memory-limit or free memory; the store is unchanged"
            ) from None
        raise


def _manifest_entry(path: Path, sha256: str, size: int, staged: _Staged, pseudonymise: bool) -> IngestedFile:
    """The manifest entry recording what staging ``path`` produced."""
    return IngestedFile(
        name=path.name,
        sha256=sha256,
        size_bytes=size,
        months=sorted(staged.rows_per_month),
        rows_read=staged.rows_read,
        rows_kept=staged.rows_kept,
        rows_rejected=staged.rows_rejected,
        rows_duplicate=staged.rows_duplicate,
        rows_erased=staged.rows_erased,
        rows_per_month=staged.rows_per_month,
        partitions=sorted(staged.partitions),
        rejects_file=staged.rejects_file,
        pseudonymised=pseudonymise,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        code_version=code_version(),
        source_path=str(path),
        content_sha256=staged.content_sha256,
    )


@dataclass(frozen=True)
class _Staged:
    rows_read: int
    rows_kept: int
    rows_rejected: int
    rows_duplicate: int
    rows_erased: int
    rows_per_month: dict[str, int]
    partitions: list[str]  # relative to the store
    rejects_file: str | None
    content_sha256: str


class _SameContent(Exception):
    """The file's decompressed content is that of ``entry``, already in the store."""

    def __init__(self, entry: IngestedFile) -> None:
        super().__init__(entry.name)
        self.entry = entry


def _stage(
    path: Path,
    tmp: Path,
    sha12: str,
    key: bytes | None,
    tombstones: set[int],
    progress: Progress | None,
    memory_limit: str,
    manifest: list[IngestedFile],
) -> _Staged:
    """Write the partitions and rejects of ``path`` under ``tmp`` (mirroring ``store/``).

    Every pass streams or works on one memory-sized bucket, so the memory does not grow
    with the file and the cost grows about linearly (the one rows × buckets term, a cheap
    skip-scan per bucket, is measured in :mod:`events.buckets`):

    1. ``read``: lines → row rules → ``staging.parquet`` (every line, typed, with its reason),
       hashing the decompressed bytes on the way: content already in ``manifest`` raises
       :class:`_SameContent` before anything else is done;
    2. ``pseudonymise``: one row per distinct user with its pseudonym, erasure and bucket;
    3. ``dedupe``: the users cut into buckets sized to the memory limit (:mod:`events.buckets`);
    4. ``write``: each bucket deduplicated, sorted and appended to its month's Parquet file.
    """
    report = progress or no_progress
    con = duckdb.connect()  # in memory; beyond memory_limit DuckDB spills to tmp/spill
    writers = MonthWriters(tmp / "events", f"part-{sha12}.parquet")
    try:
        _configure(con, tmp, memory_limit)
        staging = tmp / "staging.parquet"
        content_sha256 = _read_lines(con, path, staging, report)
        same = find_by_content_sha256(manifest, content_sha256)
        if same is not None:
            raise _SameContent(same)
        rows_read, rows_rejected = _count_parsed(con, path, staging)
        rejects_file = _write_rejects(con, path, tmp, sha12) if rows_rejected else None
        rows_erased = _map_users(con, key, tombstones, report)
        to_write = rows_read - rows_rejected - rows_erased
        buckets = _cut_buckets(con, to_write, report)
        rows_per_month, rows_duplicate = _write_months(con, path, writers, buckets, to_write, report)
    finally:
        writers.close()
        con.close()
    return _Staged(
        rows_read=rows_read,
        rows_kept=sum(rows_per_month.values()),
        rows_rejected=rows_rejected,
        rows_duplicate=rows_duplicate,
        rows_erased=rows_erased,
        rows_per_month=rows_per_month,
        partitions=[f"events/{writers.relative(month)}" for month in rows_per_month],
        rejects_file=rejects_file,
        content_sha256=content_sha256,
    )


def _configure(con: duckdb.DuckDBPyConnection, tmp: Path, memory_limit: str) -> None:
    """UTC timestamps, the memory limit with spilling under ``tmp``, no ordering or progress bar overhead."""
    con.execute("SET TimeZone = 'UTC'")
    set_memory_limit(con, memory_limit)
    con.execute(f"SET temp_directory = {literal(tmp / 'spill')}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")


def _read_lines(con: duckdb.DuckDBPyConnection, path: Path, staging: Path, report: Progress) -> str:
    """Phase ``read``: every data line through the row rules into ``staging``; return the content's SHA-256.

    Streaming: one typed row per line (with a reason when rejected), the decompressed bytes
    hashed on the way.
    """
    size = path.stat().st_size
    report("read", 0, size)
    content = hashlib.sha256()
    lines = pa.RecordBatchReader.from_batches(
        LINES_SCHEMA,
        prefetched(line_batches(path, progress=report, digest=content)),
    )
    con.register("source_lines", lines)
    data_lines = "(SELECT * FROM source_lines WHERE line_no > 1)"
    try:
        con.execute(
            f"""COPY ({parse_lines_sql(data_lines)}) TO {literal(staging)}
                (FORMAT parquet, COMPRESSION lz4_raw, PARQUET_VERSION V2)"""
        ).fetchall()
    except duckdb.Error as exc:
        raise _reading_error(path, exc) from None
    finally:
        con.unregister("source_lines")
    return content.hexdigest()  # complete: the COPY consumed every batch


def _count_parsed(con: duckdb.DuckDBPyConnection, path: Path, staging: Path) -> tuple[int, int]:
    """The view ``parsed`` over ``staging``; its rows read and rejected (a file of no rows is the user's error)."""
    con.execute(f"CREATE VIEW parsed AS SELECT * FROM read_parquet({literal(staging)})")
    rows_read, rows_rejected = con.execute(
        "SELECT count(*), count(*) FILTER (reason IS NOT NULL) FROM parsed"
    ).fetchall()[0]
    if rows_read == 0:
        raise ShopgraphError(f"{path.name} has a header but no rows: nothing to ingest")
    if rows_rejected == rows_read:
        kinds = con.execute(
            "SELECT regexp_extract(reason, ?, 1) AS kind, count(*) AS n FROM parsed "
            "GROUP BY kind ORDER BY n DESC, kind LIMIT 4",
            [REASON_KIND],
        ).fetchall()
        first = con.execute("SELECT line_no, reason FROM parsed ORDER BY line_no LIMIT 1").fetchone()
        raise every_row_rejected(path.name, rows_read, kinds, first)
    return rows_read, rows_rejected


def _write_rejects(con: duckdb.DuckDBPyConnection, path: Path, tmp: Path, sha12: str) -> str:
    """The rejected rows, in line order, as ``rejects/<sha12>.csv`` under ``tmp``; its path relative to the store."""
    rejects_file = f"rejects/{sha12}.csv"
    (tmp / "rejects").mkdir()
    con.execute(
        f"""COPY (SELECT ? AS source_file, line_no AS line_number, reason, raw_text, raw_user_id AS user_id
                  FROM parsed WHERE reason IS NOT NULL ORDER BY line_no)
            TO {literal(tmp / rejects_file)} (FORMAT csv, HEADER true)""",
        [path.name],
    ).fetchall()
    return rejects_file


def _map_users(con: duckdb.DuckDBPyConnection, key: bytes | None, tombstones: set[int], report: Progress) -> int:
    """Phase ``pseudonymise``: the table ``user_map`` (raw id, pseudonym, rows, erased); return the rows erased.

    The keyed hash runs in SQL (:func:`events.pseudonym.pseudonym_sql`); a user is erased
    when their pseudonym is in ``tombstones``.
    """
    report("pseudonymise", 0, 0)
    con.register("tombstones", pa.table({"user_id": pa.array(sorted(tombstones), pa.int64())}))
    con.execute(
        f"""CREATE TABLE user_map AS
            SELECT raw_id, user_id, n_rows, user_id IN (SELECT user_id FROM tombstones) AS erased
            FROM (SELECT user_id AS raw_id, {pseudonym_sql("user_id", key)} AS user_id, count(*) AS n_rows
                  FROM parsed WHERE reason IS NULL GROUP BY user_id)"""
    )
    con.unregister("tombstones")
    n_users, rows_erased = con.execute(
        "SELECT count(*), coalesce(sum(n_rows) FILTER (erased), 0) FROM user_map"
    ).fetchall()[0]
    report("pseudonymise", n_users, n_users)
    return rows_erased


def _cut_buckets(con: duckdb.DuckDBPyConnection, to_write: int, report: Progress) -> int:
    """Phase ``dedupe``: the users cut into buckets of about equal rows, each small enough to dedupe and
    sort in memory; return how many."""
    buckets = bucket_count(to_write, memory_limit_bytes(con))
    report("dedupe", 0, buckets)
    assign_buckets(con, "user_map", buckets)
    report("dedupe", buckets, buckets)
    return buckets


def _rows_to_write_sql() -> str:
    """The kept, not erased rows with their pseudonyms, in the store's columns, and their user's ``bucket``."""
    selected = ", ".join("m.user_id" if c == "user_id" else f"p.{c}" for c in COLUMNS)
    return f"""SELECT {selected}, m.bucket FROM parsed p JOIN user_map m ON p.user_id = m.raw_id
               WHERE p.reason IS NULL AND NOT m.erased"""


def _bucket_sql(bucket: int) -> str:
    """The rows to write of the users in ``bucket``, in the store's columns, selected from the staging file."""
    return f"SELECT * EXCLUDE (bucket) FROM ({_rows_to_write_sql()}) WHERE bucket = {bucket}"


def _write_months(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    writers: MonthWriters,
    buckets: int,
    to_write: int,
    report: Progress,
) -> tuple[dict[str, int], int]:
    """Phase ``write``: bucket by bucket, deduplicated and sorted into one zstd Parquet file per month.

    Returns the rows written per month and the duplicates dropped; written + duplicates
    must be every row to write, or it is a bug and nothing is committed.
    """
    report("write", 0, to_write)
    months = [
        month.strftime("%Y-%m")
        for (month,) in con.execute(
            """SELECT DISTINCT date_trunc('month', event_time) FROM parsed
               WHERE reason IS NULL AND user_id NOT IN (SELECT raw_id FROM user_map WHERE erased)
               ORDER BY 1"""
        ).fetchall()
    ]
    bucket_sql = _bucket_sql
    if buckets >= SPLIT_MIN_BUCKETS:
        bucket_sql = split_buckets(con, _rows_to_write_sql(), writers.root.parent / "buckets")
    written, rows_duplicate = write_buckets(con, bucket_sql, buckets, months, writers, report, total=to_write)
    writers.close()
    rows_per_month = dict(sorted(writers.rows.items()))
    rows_kept = sum(rows_per_month.values())
    if rows_kept != written or written + rows_duplicate != to_write:  # a bug, never a user's error
        raise AssertionError(
            f"{path.name}: {to_write} rows to write became {written} written + "
            f"{rows_duplicate} duplicates ({rows_kept} in the month files)"
        )
    report("write", to_write, to_write)
    return rows_per_month, rows_duplicate


def _reading_error(path: Path, exc: duckdb.Error) -> BaseException:
    """The ShopgraphError raised inside the line reader, carried through DuckDB's error."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ShopgraphError):
            return cause
        cause = cause.__cause__ or cause.__context__
    message = str(exc)
    carried = [line for line in message.splitlines() if line.startswith(CARRIED)]
    if carried:  # DuckDB's text ends with the Python traceback, whose last line is the error itself
        return ShopgraphError(carried[-1].removeprefix(CARRIED))
    for marker in ("truncated gzip", "not a valid gzip", "longer than"):
        if marker in message:
            line = next(part for part in message.splitlines() if marker in part).split(". Detail: ")[0]
            return ShopgraphError(line[line.find(path.name) :] if path.name in line else line)
    return exc


def _was_interrupted(exc: BaseException) -> bool:
    """Whether a DuckDB error stands for Ctrl-C (its own interrupt, or one raised in Python code it ran)."""
    text = str(exc)
    return "Query interrupted" in text or "KeyboardInterrupt" in text or "INTERRUPT Error" in text


def _commit(workspace: Workspace, tmp: Path, entry: IngestedFile, manifest: list[IngestedFile]) -> None:
    """Move the staged files into the store, then write the manifest (the commit point)."""
    store = workspace.store_dir
    staged = [*entry.partitions, *([entry.rejects_file] if entry.rejects_file else [])]
    for relative in staged:
        fsync_file(tmp / relative)
    with _interrupts_deferred():
        for relative in staged:
            target = store / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / relative, target)
            fsync_dir(target.parent)
        write_manifest(workspace, [*manifest, entry])
