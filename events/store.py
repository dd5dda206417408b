"""Reading the event store: the Parquet partitions and the ``events`` view every later step scans.

The store (written only by :mod:`events.ingest`) is ``store/events/month=YYYY-MM/*.parquet``
with these columns, one row per kept event:

=============  =========  ===============================================================
column         type       meaning
=============  =========  ===============================================================
event_time     TIMESTAMP  when it happened, UTC (naive timestamp, always UTC)
event_type     VARCHAR    view | cart | remove_from_cart | purchase
product_id     BIGINT     the shop's product id
category_id    BIGINT     the shop's 19-digit category id (exact, never through a float)
category_code  VARCHAR    dotted category path (``electronics.audio.headphone``) or NULL
brand          VARCHAR    trimmed, lower-cased brand or NULL
price          DOUBLE     price in the shop's currency, ≥ 0
user_id        BIGINT     pseudonym: HMAC-SHA256(key, raw id) as a signed 64-bit integer
user_session   VARCHAR    the shop's session UUID or NULL
=============  =========  ===============================================================

The view adds ``month`` (``YYYY-MM``, from the partition) and ``category_l1``,
``category_l2``, ``category_l3`` (the levels of ``category_code``, NULL where absent).
"""

from __future__ import annotations

import atexit
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb

from events.manifest import manifest_path, read_manifest
from shopgraph.errors import ShopgraphError
from shopgraph.sqltext import literal, literal_list
from shopgraph.workspace import Workspace

#: DuckDB's memory for the queries that read the store on a connection of their own (describe, the profiles, the
#: threshold study, the dossier): unbounded, DuckDB takes up to 80 % of the machine, and describe's distinct
#: counts per brand took 8 GiB at a REES46 month 3 beside Neo4j's 9.7 (docs/BENCHMARKS.md, "Scale"); bounded, it
#: spills to the workspace (describe at 2 GB: 2.2 GiB, 80 s). SHOPGRAPH_DUCKDB_READ_MEMORY overrides it
READ_MEMORY_LIMIT = "2GB"

EVENT_TYPES = ("view", "cart", "remove_from_cart", "purchase")
#: the columns of a REES46 month file and of the event store, in order
COLUMNS = (
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
)


def month_dirs(workspace: Workspace) -> dict[str, Path]:
    """Every month partition of the store, ``{"2019-10": Path(...)}``, sorted by month.

    With a manifest, only the partitions it names count (the manifest is the commit record:
    files an interrupted ingest left behind are not part of the store). A store written by
    hand without a manifest (tests, other producers) is read from its folders.
    """
    root = workspace.events_dir
    committed = _committed_partitions(workspace)
    if committed is not None:
        found = {p.parent.name.removeprefix("month="): p.parent for p in committed if p.exists()}
        return dict(sorted(found.items()))
    if not root.is_dir():
        return {}
    found = {
        d.name.removeprefix("month="): d
        for d in root.iterdir()
        if d.is_dir() and d.name.startswith("month=") and any(d.glob("*.parquet"))
    }
    return dict(sorted(found.items()))


def event_files(workspace: Workspace, months: Sequence[str] | None = None) -> list[Path]:
    """The Parquet files of the store, optionally only for ``months``; an empty store is an error."""
    dirs = month_dirs(workspace)
    if not dirs:
        raise ShopgraphError(f"the event store in {workspace.home} is empty: run `shopgraph ingest FILE` first")
    if months:
        missing = sorted(set(months) - set(dirs))
        if missing:
            raise ShopgraphError(f"month(s) {', '.join(missing)} not in the event store (it holds {', '.join(dirs)})")
        dirs = {m: d for m, d in dirs.items() if m in months}
    committed = _committed_partitions(workspace)
    files = (p for d in dirs.values() for p in d.glob("*.parquet"))
    return sorted(p for p in files if committed is None or p in committed)


def _committed_partitions(workspace: Workspace) -> set[Path] | None:
    """The partitions the manifest names, or None for a store without a manifest."""
    if not manifest_path(workspace).exists():
        return None
    return {workspace.store_dir / part for entry in read_manifest(workspace) for part in entry.partitions}


def events_sql(files: Sequence[Path]) -> str:
    """A SELECT over ``files`` with the derived columns of the ``events`` view."""
    listing = literal_list(files)
    return f"""
        SELECT event_time, event_type, product_id, category_id, category_code, brand, price,
               user_id, user_session, month,
               nullif(split_part(category_code, '.', 1), '') AS category_l1,
               nullif(split_part(category_code, '.', 2), '') AS category_l2,
               nullif(split_part(category_code, '.', 3), '') AS category_l3
        FROM read_parquet({listing}, hive_partitioning = true, hive_types = {{'month': VARCHAR}})
    """


def connect_events(
    workspace: Workspace,
    months: Sequence[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (new and bounded, :func:`bounded_connection`; or ``con``, as its caller set it up)
    with a view ``events`` over the store."""
    con = con or bounded_connection(workspace)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE OR REPLACE TEMP VIEW events AS {events_sql(event_files(workspace, months))}")
    return con


def bounded_connection(workspace: Workspace) -> duckdb.DuckDBPyConnection:
    """A new DuckDB connection held to :data:`READ_MEMORY_LIMIT`, spilling into a folder of this process under the
    workspace's ``tmp/`` (removed when the process ends)."""
    from events.buckets import set_memory_limit

    con = duckdb.connect()
    set_memory_limit(con, os.environ.get("SHOPGRAPH_DUCKDB_READ_MEMORY", READ_MEMORY_LIMIT))
    spill = workspace.home / "tmp" / f"duckdb-{os.getpid()}"
    spill.parent.mkdir(parents=True, exist_ok=True)  # DuckDB makes the last folder only
    if spill not in _SPILLS:
        _SPILLS.add(spill)
        atexit.register(shutil.rmtree, spill, ignore_errors=True)
    con.execute(f"SET temp_directory = {literal(str(spill))}")
    return con


_SPILLS: set[Path] = set()
