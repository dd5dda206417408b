"""Per-month digests of the event store: what `describe` and the recommendation hold-out add up across months.

A digest is a few small tables of one month partition (customers' counts and the bits of the month's first
categories and brands they touched, days, prices, products, categories and brands, session hashes, purchase
pairs), computed by reading that month once and kept in ``store/digests/month=YYYY-MM/<key>/``. The key hashes the
partition's files (name, size, modification time), :data:`DIGEST_VERSION` and DuckDB's version, so a month
re-ingested or rewritten by an erasure is read again and the others are not: a later month of the REES46-sized
bench reads its own 60 M events instead of the whole store (docs/BENCHMARKS.md, "The dossier"). ``shopgraph
forget`` deletes every digest (graph/erasure.py); the next describe makes them again.

Every figure combined from the digests is the one a scan of the whole store gives (tests/unit/test_month_digest.py
compares the two), with one bound: distinct sessions across months are counted through a 64-bit hash of each
month's distinct session ids, exact unless two different sessions share one (an expected 2·10⁻⁴ sessions at 90 M).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from events.store import COLUMNS, EVENT_TYPES, bounded_connection, event_files, month_dirs
from shopgraph.sqltext import literal, literal_list
from shopgraph.workspace import Workspace

DIGEST_VERSION = 3
DIGESTS = "digests"
#: a customer with a day of more events than this is kept in a digest's ``busy`` table: describe's bot rule never
#: calls a customer with fewer a bot (events.describe.BOT_MIN_EVENTS_PER_DAY)
BUSY_DAY = 300
TABLES = ("keys", "top", "per_user", "per_day", "user_days", "busy", "sessions", "prices", "products", "purchases")
#: the category codes and brands whose customers a digest marks, per customer, in one bit each (its month's first by
#: events); describe counts the customers of its top values from these bits, reading a month's events for a value
#: only where it is not among them
TOP_BITS = 64
NO_CODE, NO_BRAND = "(no code)", "(no brand)"
#: the kinds of value whose customers a digest marks: column, its NULL's name in describe, the per_user mask column
MARKED = {"category_code": (NO_CODE, "code_mask"), "brand": (NO_BRAND, "brand_mask")}


def type_column(event_type: str) -> str:
    return f"n_{event_type}"


@dataclass(frozen=True)
class MonthDigest:
    """One month's digest: its folder, its totals (events, first and last event, missing values per column, distinct
    sessions) and the month's files in the store."""

    month: str
    path: Path
    totals: dict[str, Any]
    files: tuple[Path, ...]

    def source(self, table: str) -> str:
        return f"read_parquet({literal(str(self.path / f'{table}.parquet'))})"


def sources(digests: Sequence[MonthDigest], table: str) -> str:
    """A DuckDB table function reading ``table`` of every digest in ``digests``."""
    return f"read_parquet({literal_list([d.path / f'{table}.parquet' for d in digests])})"


def digests_dir(workspace: Workspace) -> Path:
    return workspace.store_dir / DIGESTS


def month_digests(
    workspace: Workspace,
    months: Sequence[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    say: Callable[[str], None] | None = None,
) -> list[MonthDigest]:
    """The digest of each month of the store (or of ``months``), in month order; a month whose files changed since
    its digest was made is read again (``say`` names it; on ``con``, else on a connection held to the store's read
    bound), and its older digests removed."""
    out, own = [], None
    try:
        for month in months or list(month_dirs(workspace)):
            files = event_files(workspace, [month])
            folder = digests_dir(workspace) / f"month={month}"
            path = folder / _key(files)
            if not (path / "totals.json").is_file():
                if say:
                    say(f"reading {month}")
                own = own or (None if con else bounded_connection(workspace))
                _make(files, path, con or own)
                for old in folder.iterdir():
                    if old != path:
                        shutil.rmtree(old, ignore_errors=True)
            totals = json.loads((path / "totals.json").read_text(encoding="utf-8"))
            out.append(MonthDigest(month, path, totals, tuple(files)))
    finally:
        if own is not None:
            own.close()
    return out


def drop_gone_months(workspace: Workspace) -> list[Path]:
    """Delete the digests of months the store no longer holds (a retention, an erasure of a whole month); return
    the folders removed. The store's recovery calls it (events/ingest.py)."""
    root = digests_dir(workspace)
    if not root.is_dir():
        return []
    held = {f"month={m}" for m in month_dirs(workspace)}
    gone = sorted(p for p in root.iterdir() if p.name not in held)
    for path in gone:
        shutil.rmtree(path, ignore_errors=True)
    return gone


def _key(files: Sequence[Path]) -> str:
    """What identifies a month's files: their names, sizes and modification times; and the digest's version and
    DuckDB's (whose ``hash`` gives the sessions' hashes)."""
    stats = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return hashlib.sha256(json.dumps([DIGEST_VERSION, duckdb.__version__, stats]).encode()).hexdigest()[:16]


def _make(files: Sequence[Path], path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Read the month's ``files`` and write the digest to ``path`` (all or nothing: a folder beside it, renamed when
    complete). Two temporary tables (events per customer, day and type; the distinct sessions) feed several
    tables each; the others are one query each (docs/BENCHMARKS.md, "The dossier")."""
    staged = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    events = f"read_parquet({literal_list(files)}, hive_partitioning = false)"
    try:
        con.execute("SET TimeZone = 'UTC'")
        by_type = ", ".join(f"(count(*) FILTER (event_type = '{t}'))::INTEGER AS {type_column(t)}" for t in EVENT_TYPES)
        queries = _queries(events)
        masks = ", ".join(f"bit_or(1::UBIGINT << {mask}.bit::UBIGINT) AS {mask}" for _, mask in MARKED.values())
        joins = " ".join(
            f"LEFT JOIN (SELECT value, bit FROM digest_top WHERE kind = '{kind}') AS {mask} "
            f"ON coalesce(e.{kind}, {literal(absent)}) = {mask}.value"
            for kind, (absent, mask) in MARKED.items()
        )

        def write(name: str) -> None:
            con.execute(f"COPY ({queries[name][1]}) TO {literal(str(staged / f'{name}.parquet'))} (FORMAT parquet)")

        for table, source in (
            ("digest_top", _top_query(staged / "keys.parquet")),
            (
                "digest_user_day",
                f"SELECT e.user_id, e.event_time::DATE AS day, count(*)::INTEGER AS n, {by_type}, {masks} "
                f"FROM {events} AS e {joins} GROUP BY ALL",
            ),
            ("digest_sessions", f"SELECT DISTINCT user_session FROM {events} WHERE user_session IS NOT NULL"),
            # filtered into a table, then grouped: 1.1 s on a REES46-sized month, against 6.7 s grouped from the scan
            ("digest_purchases", f"SELECT user_id, product_id, event_time FROM {events} WHERE event_type = 'purchase'"),
            (None, None),
        ):
            if table == "digest_top":  # the month's first values come from its counts (keys), read first
                for name in [n for n, (reads, _) in queries.items() if reads is None]:
                    write(name)
            if table:  # each temporary table is dropped once its tables are written: less for DuckDB to hold
                con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {source}")
            for name in [n for n, (reads, _) in queries.items() if reads == table and table]:
                write(name)
            if table == "digest_sessions":
                sessions = con.execute("SELECT count(*) FROM digest_sessions").fetchone()[0]
            if table == "digest_user_day":  # the month's first values were kept for it
                con.execute("DROP TABLE digest_top")
            if table and table != "digest_top":
                con.execute(f"DROP TABLE {table}")
        row = con.execute(f"""
            SELECT count(*), min(event_time)::VARCHAR, max(event_time)::VARCHAR,
                   {", ".join(f"count(*) - count({c})" for c in COLUMNS)} FROM {events}""").fetchone()
    finally:
        for table in ("digest_top", "digest_user_day", "digest_sessions", "digest_purchases"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    totals = {
        "events": int(row[0]),
        "first_event": row[1],
        "last_event": row[2],
        "sessions": int(sessions),
        "missing": {c: int(n) for c, n in zip(COLUMNS, row[3:], strict=True)},
    }
    (staged / "totals.json").write_text(json.dumps(totals, indent=1) + "\n", encoding="utf-8")
    shutil.rmtree(path, ignore_errors=True)  # a digest left incomplete by an older version
    os.replace(staged, path)


def _queries(events: str) -> dict[str, tuple[str | None, str]]:
    """Each table of a digest (:data:`TABLES`): the temporary table it reads (``digest_user_day``, events per customer,
    day and type; ``digest_sessions``, the distinct session ids; ``digest_purchases``; None: the month's ``events``)
    and its query.

    ``keys``: events, purchases and revenue per category code, brand and category id (``kind``; ``value`` as
    stored, NULL included), one pass over the events through grouping sets. ``sessions``: a 64-bit hash of each
    distinct session id (DuckDB's: the digest's key holds DuckDB's version)."""
    sums = ", ".join(f"sum({type_column(t)})::BIGINT AS {type_column(t)}" for t in EVENT_TYPES)
    by_day = "digest_user_day"
    return {
        "per_user": (
            by_day,
            f"""SELECT user_id, sum(n)::BIGINT AS n, sum(n_view)::BIGINT AS views, sum(n_cart)::BIGINT AS carts,
                       sum(n_purchase)::BIGINT AS purchases, count(*)::BIGINT AS days,
                       {", ".join(f"coalesce(bit_or({m}), 0::UBIGINT) AS {m}" for _, m in MARKED.values())}
                FROM digest_user_day GROUP BY user_id ORDER BY user_id""",
        ),
        "top": ("digest_top", "SELECT kind, value, bit FROM digest_top ORDER BY kind, bit"),
        "per_day": (by_day, f"SELECT day, sum(n)::BIGINT AS n, {sums} FROM digest_user_day GROUP BY day ORDER BY day"),
        "user_days": (by_day, "SELECT n, count(*)::BIGINT AS user_days FROM digest_user_day GROUP BY n ORDER BY n"),
        "busy": (
            by_day,
            f"""SELECT user_id, max(n)::BIGINT AS max_n FROM digest_user_day WHERE n > {BUSY_DAY}
                GROUP BY user_id ORDER BY user_id""",
        ),
        "sessions": ("digest_sessions", "SELECT hash(user_session) AS h FROM digest_sessions"),
        "prices": (None, f"SELECT price, count(*)::BIGINT AS n FROM {events} WHERE price IS NOT NULL GROUP BY price"),
        "products": (
            None,
            f"""SELECT product_id, any_value(category_code) AS category_code, any_value(category_id) AS category_id,
                       arg_max(price, (event_time, price)) AS last_price,
                       max(event_time) FILTER (price IS NOT NULL) AS last_at
                FROM {events} GROUP BY product_id""",
        ),
        "keys": (
            None,
            f"""SELECT CASE WHEN grouping(category_code) = 0 THEN 'category_code'
                            WHEN grouping(brand) = 0 THEN 'brand' ELSE 'category_id' END AS kind,
                       coalesce(category_code, brand, category_id::VARCHAR) AS value,
                       count(*)::BIGINT AS events, (count(*) FILTER (event_type = 'purchase'))::BIGINT AS purchases,
                       coalesce(sum(price) FILTER (event_type = 'purchase'), 0) AS revenue
                FROM {events} GROUP BY GROUPING SETS ((category_code), (brand), (category_id))""",
        ),
        "purchases": (
            "digest_purchases",
            "SELECT user_id, product_id, max(event_time) AS last_at FROM digest_purchases GROUP BY user_id, product_id",
        ),
    }


def _top_query(keys: Path) -> str:
    """The month's :data:`TOP_BITS` first category codes and brands by events (NULL named as describe names it, ties
    by value), each with its bit, from the month's ``keys`` table."""
    named = " ".join(f"WHEN '{kind}' THEN {literal(absent)}" for kind, (absent, _) in MARKED.items())
    return f"""SELECT kind, value, bit FROM (
                   SELECT kind, value, (row_number() OVER (PARTITION BY kind ORDER BY events DESC, value) - 1)::INTEGER
                          AS bit
                   FROM (SELECT kind, coalesce(value, CASE kind {named} END) AS value, sum(events) AS events
                         FROM read_parquet({literal(str(keys))}) WHERE list_contains({literal_list(list(MARKED))}, kind)
                         GROUP BY ALL))
               WHERE bit < {TOP_BITS}"""


def distinct_sessions(con: duckdb.DuckDBPyConnection, digests: Sequence[MonthDigest]) -> int:
    """Distinct sessions over ``digests``: each month's exact count, less the sessions a month shares with another
    (matched by their 64-bit hash; see the module docstring)."""
    exact = sum(int(d.totals["sessions"]) for d in digests)
    if len(digests) < 2:
        return exact
    held, union = con.execute(f"SELECT count(*), count(DISTINCT h) FROM {sources(digests, 'sessions')}").fetchone()
    return exact - (int(held) - int(union))
