"""The descriptive analysis of the event store that analysts start with, as one JSON-ready record.

:func:`describe` adds up the months' digests (:mod:`events.month_digest`: each month read once, when its
files are new) and returns a :class:`Description`: events per type, month and day; how many
users, products, sessions, brands and categories; missing rates per column; the price
distribution and zero prices; duplicates dropped at ingest (from the manifest); top
categories and brands; the view → cart → purchase funnel in events and in users; users
per number of events (log₂ bins and quantiles: what the activity threshold is chosen
from); and bot-like users.

Bot rule: a user is *bot-like* when on some UTC day they produced more events than both
the 99.9th percentile of events per (user, day) over the store and
:data:`BOT_MIN_EVENTS_PER_DAY` (so a small or quiet store does not call its most eager
humans bots).

Rendering (rich tables, PNG plots) is in :mod:`events.describe_render`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from events.month_digest import (
    BUSY_DAY,
    MARKED,
    NO_BRAND,
    NO_CODE,
    MonthDigest,
    distinct_sessions,
    month_digests,
    sources,
    type_column,
)
from events.store import COLUMNS, EVENT_TYPES, bounded_connection
from shopgraph.errors import ShopgraphError
from shopgraph.files import write_text_atomic
from shopgraph.sqltext import literal, literal_list
from shopgraph.workspace import Workspace

QUANTILES = (0.0, 0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99, 0.999, 1.0)
BOT_QUANTILE = 0.999
BOT_MIN_EVENTS_PER_DAY = BUSY_DAY
TOP = 15


@dataclass
class Description:
    """What the event store holds; every field is plain JSON (numbers, strings, lists, dicts)."""

    months: list[str]
    first_event: str
    last_event: str
    totals: dict[str, int]  # events, users, products, sessions, brands, categories, category_codes
    events_per_type: dict[str, int]
    events_per_month: list[dict[str, Any]]  # {month, events, view, cart, remove_from_cart, purchase}
    events_per_day: list[dict[str, Any]]  # {day, events, view, cart, remove_from_cart, purchase}
    missing_rates: dict[str, float]  # column → share of events where it is NULL
    price: dict[str, Any]  # quantiles, mean, zero count and rate, histogram of log10(price)
    ingest: dict[str, Any] | None  # rows read / kept / rejected / duplicates dropped, from the manifest
    top_categories: list[dict[str, Any]]
    top_brands: list[dict[str, Any]]
    funnel: dict[str, Any]
    users_per_events: dict[str, Any]  # log2 histogram and quantiles of events per user
    bots: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    def save(self, path: Path) -> Path:
        """Write the JSON atomically (temporary file, then rename)."""
        write_text_atomic(path, self.to_json() + "\n")
        return path


def describe(
    workspace: Workspace,
    months: Sequence[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    say: Callable[[str], None] | None = None,
) -> Description:
    """Describe the event store (all months, or only ``months``); an empty store is a ShopgraphError.

    Every figure adds up the months' digests (events/month_digest.py: a month is read once, when its files are new;
    docs/BENCHMARKS.md, "The dossier"). ``say`` names each month read (its digest made)."""
    con = con or bounded_connection(workspace)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    digests = month_digests(workspace, months, con, say)
    n_events = sum(int(d.totals["events"]) for d in digests)
    if n_events == 0:
        raise ShopgraphError(f"the event store in {workspace.home} holds no events: run `shopgraph ingest FILE` first")
    users = _activity_tables(con, digests)
    distinct = dict(
        con.execute(f"""
            SELECT kind, count(DISTINCT value) FROM {sources(digests, "keys")} GROUP BY kind
            UNION ALL SELECT 'products', count(DISTINCT product_id) FROM {sources(digests, "products")}""").fetchall()
    )
    totals = {
        "events": n_events,
        "users": users,
        "products": int(distinct.get("products", 0)),
        "sessions": distinct_sessions(con, digests),
        "brands": int(distinct.get("brand", 0)),
        "categories": int(distinct.get("category_id", 0)),
        "category_codes": int(distinct.get("category_code", 0)),
    }
    missing = {c: _ratio(sum(int(d.totals["missing"][c]) for d in digests), n_events) for c in COLUMNS}

    per_day = _per_day(con, digests)
    per_month = _per_month(per_day)
    per_type = {t: sum(m[t] for m in per_month) for t in EVENT_TYPES}

    price = _price(con, digests)
    funnel = _funnel(con, per_type)
    users_per_events = _users_per_events(con)
    bots = _bots(con, digests, n_events)
    return Description(
        months=[m["month"] for m in per_month],
        first_event=min(str(d.totals["first_event"]) for d in digests if d.totals["events"]),
        last_event=max(str(d.totals["last_event"]) for d in digests if d.totals["events"]),
        totals=totals,
        events_per_type=per_type,
        events_per_month=per_month,
        events_per_day=per_day,
        missing_rates=missing,
        price=price,
        ingest=ingest_counts(workspace, [m["month"] for m in per_month]),
        top_categories=_top(con, digests, "category_code", "category_code", NO_CODE),
        top_brands=_top(con, digests, "brand", "brand", NO_BRAND),
        funnel=funnel,
        users_per_events=users_per_events,
        bots=bots,
    )


def _ratio(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else 0.0


def _activity_tables(con: duckdb.DuckDBPyConnection, digests: Sequence[MonthDigest]) -> int:
    """The temporary table ``per_user`` (events, views, carts, purchases and active days per customer, summed over
    the months' digests); returns the number of customers."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE per_user AS
        SELECT user_id, sum(n)::BIGINT AS n, sum(views)::BIGINT AS views, sum(carts)::BIGINT AS carts,
               sum(purchases)::BIGINT AS purchases, sum(days)::BIGINT AS days
        FROM {sources(digests, "per_user")} GROUP BY user_id""")
    return int(con.execute("SELECT count(user_id) FROM per_user").fetchone()[0])


def _per_day(con: duckdb.DuckDBPyConnection, digests: Sequence[MonthDigest]) -> list[dict[str, Any]]:
    """Events per UTC day and type, in day order; each day as text, cast once per day."""
    sums = ", ".join(f"sum({type_column(t)})::BIGINT" for t in EVENT_TYPES)
    rows = con.execute(f"""
        SELECT day::VARCHAR, * EXCLUDE (day)
        FROM (SELECT day, sum(n)::BIGINT AS n, {sums} FROM {sources(digests, "per_day")} GROUP BY day)
        ORDER BY day""").fetchall()
    return [
        {"day": day, "events": int(n), **{t: int(v) for t, v in zip(EVENT_TYPES, vals, strict=True)}}
        for day, n, *vals in rows
    ]


def _per_month(per_day: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The days' counts summed per month (``YYYY-MM``), in month order."""
    months: dict[str, dict[str, Any]] = {}
    for day in per_day:
        month = months.setdefault(
            day["day"][:7], {"month": day["day"][:7], "events": 0, **dict.fromkeys(EVENT_TYPES, 0)}
        )
        for key in ("events", *EVENT_TYPES):
            month[key] += day[key]
    return [months[m] for m in sorted(months)]


def _price(con: duckdb.DuckDBPyConnection, digests: Sequence[MonthDigest]) -> dict[str, Any]:
    """Quantiles, mean, zero prices and the log₁₀ histogram, all exact, from one table of each price and its count.

    A store holds far fewer prices than events (83 k at 220 M events of the REES46-sized bench), so the quantiles
    are read off the counts (``quantile_cont``'s interpolation) and the mean is summed exactly: the same figures on
    every run, at any size."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE price_counts AS "
        f"SELECT price, sum(n)::BIGINT AS n FROM {sources(digests, 'prices')} GROUP BY price"
    )
    table = con.execute("SELECT price, n FROM price_counts ORDER BY price").fetchnumpy()
    prices, counts = table["price"], table["n"].astype("int64")
    n_price = int(counts.sum())
    zero = int(counts[prices == 0].sum())
    histogram = con.execute("""
        SELECT floor(log10(price) * 10) / 10 AS lo, sum(n)::BIGINT
        FROM price_counts WHERE price > 0 GROUP BY 1 ORDER BY 1""").fetchall()
    mean = None
    if n_price:
        total = sum((Fraction(float(p)) * int(c) for p, c in zip(prices, counts, strict=True)), Fraction(0))
        mean = round(float(total / n_price), 2)
    return {
        "quantiles": {_qname(q): round(v, 2) for q, v in zip(QUANTILES, _quantiles(prices, counts), strict=False)},
        "mean": mean,
        "zero_prices": zero,
        "zero_price_rate": _ratio(zero, n_price),
        "exact_quantiles": True,  # kept for the readers of older records, where it could be false
        "log10_histogram": [{"log10_from": round(float(lo), 1), "events": int(n)} for lo, n in histogram],
    }


def _quantiles(values: np.ndarray, counts: np.ndarray, quantiles: Sequence[float] = QUANTILES) -> list[float]:
    """``quantiles`` of the sorted distinct ``values`` held ``counts`` times each, as DuckDB's ``quantile_cont``
    gives them over the values repeated (position q·(n−1), linear between its two neighbours); none when empty."""
    n = int(counts.sum())
    if not n:
        return []
    ends = np.cumsum(counts)  # the last position (exclusive) of each distinct value

    def at(position: int) -> float:
        return float(values[int(np.searchsorted(ends, position, side="right"))])

    out = []
    for q in quantiles:
        position = q * (n - 1)
        below = math.floor(position)
        low, high = at(below), at(min(below + 1, n - 1))
        out.append(low + (high - low) * (position - below))
    return out


def _qname(q: float) -> str:
    return {0.0: "min", 1.0: "max"}.get(q, f"p{q * 100:g}")


def _funnel(con: duckdb.DuckDBPyConnection, per_type: dict[str, int]) -> dict[str, Any]:
    """The view → cart → purchase funnel in events (``per_type``) and in customers (``per_user``)."""
    viewers, carters, buyers, viewed_and_bought, carted_and_bought, viewed_and_carted = con.execute("""
        SELECT count(*) FILTER (views > 0), count(*) FILTER (carts > 0), count(*) FILTER (purchases > 0),
               count(*) FILTER (views > 0 AND purchases > 0), count(*) FILTER (carts > 0 AND purchases > 0),
               count(*) FILTER (views > 0 AND carts > 0)
        FROM per_user""").fetchone()
    return {
        "events": {
            "view": per_type["view"],
            "cart": per_type["cart"],
            "purchase": per_type["purchase"],
            "remove_from_cart": per_type["remove_from_cart"],
        },
        "users": {
            "view": int(viewers),
            "cart": int(carters),
            "purchase": int(buyers),
            "view_and_purchase": int(viewed_and_bought),
            "cart_and_purchase": int(carted_and_bought),
            "view_and_cart": int(viewed_and_carted),
        },
        "event_rates": {
            "cart_per_view": _ratio(per_type["cart"], per_type["view"]),
            "purchase_per_cart": _ratio(per_type["purchase"], per_type["cart"]),
            "purchase_per_view": _ratio(per_type["purchase"], per_type["view"]),
        },
        "user_rates": {
            "cart_per_view": _ratio(carters, viewers),
            "purchase_per_cart": _ratio(buyers, carters),
            "purchase_per_view": _ratio(buyers, viewers),
            # shares of a step's customers who took the next one (the ratios above divide two counts: customers
            # who buy without a cart event make "purchase per cart" exceed 1)
            "viewers_who_carted": _ratio(viewed_and_carted, viewers),
            "carters_who_bought": _ratio(carted_and_bought, carters),
        },
    }


def _users_per_events(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Customers per number of events (log₂ bins, quantiles, at-least counts), from ``per_user``."""
    bins = con.execute("""
        SELECT floor(log2(n))::INT AS b, count(*) AS users, sum(n) AS events FROM per_user GROUP BY 1 ORDER BY 1
    """).fetchall()
    n_users = sum(int(u) for _, u, _ in bins)
    histogram, cumulative = [], 0
    for b, users, events in bins:
        cumulative += int(users)
        histogram.append(
            {
                "events_from": 2**b,
                "events_to": 2 ** (b + 1) - 1,
                "users": int(users),
                "events": int(events),
                "cumulative_user_share": _ratio(cumulative, n_users),
            }
        )
    qs, mean = con.execute(f"SELECT quantile_disc(n, {list(QUANTILES)}), avg(n) FROM per_user").fetchone()
    at_least = {
        str(k): int(con.execute("SELECT count(*) FROM per_user WHERE n >= ?", [k]).fetchone()[0])
        for k in (1, 2, 3, 5, 10, 20, 50, 100)
    }
    return {
        "histogram": histogram,
        "quantiles": {_qname(q): int(v) for q, v in zip(QUANTILES, qs, strict=True)},
        "mean": float(mean),
        "users_with_at_least": at_least,
    }


def _bots(con: duckdb.DuckDBPyConnection, digests: Sequence[MonthDigest], n_events: int) -> dict[str, Any]:
    """The bot-like customers (module docstring): the quantile from the months' counts of customer-days by events,
    the customers from their busiest days (a digest keeps the days over :data:`BOT_MIN_EVENTS_PER_DAY`)."""
    days = con.execute(
        f"SELECT n, sum(user_days)::BIGINT FROM {sources(digests, 'user_days')} GROUP BY n ORDER BY n"
    ).fetchnumpy()
    values = list(days.values())
    quantile = _quantiles(values[0].astype("float64"), values[1].astype("int64"), (BOT_QUANTILE,))
    q = float(quantile[0]) if quantile else 0.0
    threshold = max(q, float(BOT_MIN_EVENTS_PER_DAY))
    rows = con.execute(
        f"""
        SELECT user_id, b.max_per_day, p.n AS events, p.purchases, p.days
        FROM (SELECT user_id, max(max_n) AS max_per_day FROM {sources(digests, "busy")} GROUP BY user_id) AS b
        JOIN per_user AS p USING (user_id)
        WHERE b.max_per_day > ? ORDER BY events DESC, user_id""",
        [threshold],
    ).fetchall()
    bot_events = sum(int(r[2]) for r in rows)
    return {
        "rule": (
            f"a user is bot-like when on some UTC day they made more than max(p{BOT_QUANTILE * 100:g} of "
            f"events per user-day, {BOT_MIN_EVENTS_PER_DAY}) events"
        ),
        "events_per_user_day_quantile": q,
        "threshold_events_per_day": threshold,
        "users": len(rows),
        "events": bot_events,
        "event_share": _ratio(bot_events, n_events),
        "top": [
            {
                "user_id": int(u),
                "max_events_per_day": int(m),
                "events": int(e),
                "purchases": int(p),
                "active_days": int(d),
            }
            for u, m, e, p, d in rows[:20]
        ],
    }


def _top(
    con: duckdb.DuckDBPyConnection, digests: Sequence[MonthDigest], column: str, name: str, absent: str
) -> list[dict[str, Any]]:
    """The ``TOP`` values of ``column`` (``absent`` standing for NULL) by events, with their purchases and revenue
    (summed over the months' digests) and their distinct customers (:func:`_top_customers`)."""
    rows = con.execute(
        f"""
        SELECT coalesce(value, $absent) AS k, sum(events) AS events, sum(purchases) AS purchases,
               sum(revenue) AS revenue
        FROM {sources(digests, "keys")} WHERE kind = $kind GROUP BY k ORDER BY events DESC, k LIMIT {TOP}""",
        {"absent": absent, "kind": column},
    ).fetchall()
    users = _top_customers(con, digests, column, [k for k, *_ in rows])
    return [
        {name: k, "events": int(e), "purchases": int(p), "revenue": round(float(r), 2), "users": int(users.get(i, 0))}
        for i, (k, e, p, r) in enumerate(rows)
    ]


def _top_customers(
    con: duckdb.DuckDBPyConnection, digests: Sequence[MonthDigest], column: str, keys: Sequence[str]
) -> dict[int, int]:
    """The distinct customers of each of ``keys`` (values of ``column``, by position), over the months.

    Each month's digest marks its customers with one bit per value among the month's first by events
    (events/month_digest.py); here each month's bits of ``keys`` become one bit per key, OR-ed per customer over the
    months and counted. A key with events in a month but not among its first is read from that month's events."""
    absent, mask = MARKED[column]
    parts = []
    for digest in digests:
        bits = dict(con.execute(f"SELECT value, bit FROM {digest.source('top')} WHERE kind = ?", [column]).fetchall())
        terms = [
            f"((({mask} >> {bits[k]}::UBIGINT) & 1::UBIGINT) << {i}::UBIGINT)" for i, k in enumerate(keys) if k in bits
        ]
        if terms:
            parts.append(f"SELECT user_id, ({' | '.join(terms)})::UBIGINT AS hit FROM {digest.source('per_user')}")
        held = {
            k
            for (k,) in con.execute(
                f"SELECT DISTINCT coalesce(value, ?) FROM {digest.source('keys')} WHERE kind = ? AND events > 0",
                [absent, column],
            ).fetchall()
        }
        for i, k in enumerate(keys):
            if k not in bits and k in held:  # outside the month's first: its customers from the month's events
                parts.append(
                    f"SELECT DISTINCT user_id, (1::UBIGINT << {i}::UBIGINT) AS hit "
                    f"FROM read_parquet({literal_list(digest.files)}, hive_partitioning = false) "
                    f"WHERE coalesce({column}, {literal(absent)}) = {literal(k)}"
                )
    if not parts or not keys:
        return {}
    counts = ", ".join(f"count(*) FILTER ((hits >> {i}::UBIGINT) & 1::UBIGINT = 1)" for i in range(len(keys)))
    hits = f"SELECT user_id, bit_or(hit) AS hits FROM ({' UNION ALL '.join(parts)}) GROUP BY user_id"
    row = con.execute(f"SELECT {counts} FROM ({hits})").fetchone()
    return {i: int(n) for i, n in enumerate(row)}


def ingest_counts(workspace: Workspace, months: Sequence[str]) -> dict[str, Any] | None:
    """Rows read, kept, rejected and duplicates dropped by the ingests that touched ``months``.

    Read from ``store/manifest.json`` (written by :mod:`events.ingest`) tolerantly: a missing
    or unreadable manifest gives None, unknown field names count as 0.
    """
    path = workspace.store_dir / "manifest.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entries = doc.get("files") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        return None
    wanted = set(months)
    totals = {"files": 0, "rows_read": 0, "rows_kept": 0, "rows_rejected": 0, "duplicates_dropped": 0}
    aliases = {
        "rows_read": ("rows_read", "read"),
        "rows_kept": ("rows_kept", "kept"),
        "rows_rejected": ("rows_rejected", "rejected"),
        "duplicates_dropped": ("rows_duplicate", "rows_duplicates", "duplicates", "duplicates_dropped"),
    }
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        entry_months = entry.get("months") or []
        if wanted and entry_months and not wanted & set(entry_months):
            continue
        totals["files"] += 1
        for key, names in aliases.items():
            value = next((entry[n] for n in names if isinstance(entry.get(n), int | float)), 0)
            totals[key] += int(value) if not (isinstance(value, float) and math.isnan(value)) else 0
    return totals
