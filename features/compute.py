"""Computes the per-user feature table from the ``events`` view with DuckDB SQL (one row per user).

Memory stays bounded whatever the size: small global pieces first (data window, promotion
calendar, category median prices), then per-user aggregates over ``user_id``-range buckets
sized from the memory limit, then the R/F/M quintiles from exact rank cuts over the buyers.
Raw events never reach Python; the columns are those of :mod:`features.registry`, in order.
The plan in detail: docs/ARCHITECTURE.md, "Features".
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from events.buckets import memory_limit_bytes, set_memory_limit
from events.store import connect_events
from features.calendar import Calendar
from features.registry import KEY, METRICS, PARTS_OF_DAY, TOP_CATEGORIES, by_name
from shopgraph.errors import ShopgraphError
from shopgraph.files import fsync_file, write_text_atomic
from shopgraph.sqltext import exact_avg, exact_sum, literal
from shopgraph.version import code_version
from shopgraph.workspace import Workspace

FEATURES_FILE = "user_features.parquet"
SIDECAR_FILE = "user_features.json"
DEFAULT_MEMORY_LIMIT = "4GB"  # the same time as 6GB on a 3-month store, 1.7 GiB less (docs/BENCHMARKS.md, "Scale")
#: DuckDB memory one user bucket needs per event it holds (see :func:`bucket_count`).
BUCKET_BYTES_PER_EVENT = 100

Say = Callable[[str], None]


@dataclass(frozen=True)
class DataWindow:
    """First and last event of the store, and the months it holds."""

    start: dt.datetime
    end: dt.datetime
    months: tuple[str, ...]

    def as_record(self) -> dict[str, object]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "months": list(self.months)}


@dataclass(frozen=True)
class FeatureTable:
    """What a run wrote: the Parquet table, its sidecar, and the figures for a summary."""

    path: Path
    sidecar: Path
    rows: int
    window: DataWindow
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    buckets: int = 1  # user buckets the per-user aggregates ran in


# --------------------------------------------------------------------------------------
# the SQL, phase by phase (global pieces over `events`, per-user phases over `bucket_events`)
# --------------------------------------------------------------------------------------
def _session_key() -> str:
    # a hash is enough to tell one user's sessions apart; events without a session id
    # form one pseudo-session per UTC day (see the registry's conventions)
    return "hash(coalesce(user_session, 'day:' || strftime(event_time, '%Y-%m-%d')))"


# Sums and averages of prices are exact (shopgraph.sqltext.exact_sum): the same events give the
# same table bit for bit, whatever order DuckDB's threads add them in.
_PURCHASE = "e.event_type = 'purchase'"
_PRICED_VIEW = "e.event_type = 'view' AND e.price > 0"
_PRICED_PURCHASE = "e.event_type = 'purchase' AND e.price > 0"

#: The global piece every bucket joins: category median prices over all users and months.
CATEGORY_PRICES_SQL = f"""
        CREATE OR REPLACE TEMP TABLE feat_category_price AS
        SELECT category_id, median(product_price) AS median_price
        FROM (SELECT category_id, product_id, {exact_avg("price")} AS product_price
              FROM events WHERE price > 0 GROUP BY category_id, product_id)
        GROUP BY category_id
    """

#: The per-user phases, run once per user bucket over the view ``bucket_events`` (the bucket's
#: users' events); each builds a temp table with one row per user of the bucket.
USER_PHASES: list[tuple[str, str]] = [
    (
        "sessions",
        f"""
        CREATE OR REPLACE TEMP TABLE feat_sessions AS
        SELECT user_id,
               count(*) AS n_sessions,
               median(duration_s) / 60.0 AS median_session_minutes,
               median(gap_s) / 3600.0 AS median_session_gap_hours,
               count_if(has_purchase) AS n_orders,
               count_if(has_cart) AS cart_sessions,
               count_if(has_cart AND NOT has_purchase) AS abandoned_cart_sessions
        FROM (
            SELECT user_id, has_purchase, has_cart,
                   epoch(ended) - epoch(started) AS duration_s,
                   epoch(started) - epoch(lag(started) OVER (PARTITION BY user_id ORDER BY started, ended))
                       AS gap_s
            FROM (SELECT user_id, {_session_key()} AS session_key,
                         min(event_time) AS started, max(event_time) AS ended,
                         bool_or(event_type = 'purchase') AS has_purchase,
                         bool_or(event_type = 'cart') AS has_cart
                  FROM bucket_events GROUP BY user_id, session_key))
        GROUP BY user_id
    """,
    ),
    (
        "products",
        """
        CREATE OR REPLACE TEMP TABLE feat_products AS
        SELECT user_id,
               count(*) AS distinct_products,
               count_if(viewed) AS products_viewed,
               count_if(viewed AND carted) AS products_viewed_carted,
               count_if(carted) AS products_carted,
               count_if(carted AND purchased) AS products_carted_purchased,
               count_if(carted AND removed) AS products_carted_removed
        FROM (SELECT user_id, product_id,
                     bool_or(event_type = 'view') AS viewed,
                     bool_or(event_type = 'cart') AS carted,
                     bool_or(event_type = 'remove_from_cart') AS removed,
                     bool_or(event_type = 'purchase') AS purchased
              FROM bucket_events GROUP BY user_id, product_id)
        GROUP BY user_id
    """,
    ),
    (
        "categories",
        f"""
        CREATE OR REPLACE TEMP TABLE feat_categories AS
        SELECT user_id,
               count(*) AS distinct_categories,
               CASE WHEN count(*) = 1 THEN 0.0  -- exactly 0 for one category (the formula leaves 4.4e-16)
                    ELSE greatest(0.0, log2(sum(n)) - {exact_sum("n * log2(n)")} / sum(n)) END
                   AS category_entropy
        FROM (SELECT user_id, category_id, count(*) AS n FROM bucket_events GROUP BY user_id, category_id)
        GROUP BY user_id
    """,
    ),
    (
        "brands",
        """
        CREATE OR REPLACE TEMP TABLE feat_brands AS
        SELECT user_id,
               count(*) AS distinct_brands,
               CASE WHEN sum(n_view) > 0 THEN sum(n_view * n_view) / (sum(n_view) * sum(n_view)) END
                   AS brand_hhi_views,
               CASE WHEN sum(n_purchase) > 0
                    THEN sum(n_purchase * n_purchase) / (sum(n_purchase) * sum(n_purchase)) END
                   AS brand_hhi_purchases
        FROM (SELECT user_id, brand,
                     count_if(event_type = 'view')::DOUBLE AS n_view,
                     count_if(event_type = 'purchase')::DOUBLE AS n_purchase
              FROM bucket_events WHERE brand IS NOT NULL GROUP BY user_id, brand)
        GROUP BY user_id
    """,
    ),
    (
        "days",
        """
        CREATE OR REPLACE TEMP TABLE feat_days AS
        WITH user_day AS (
            SELECT user_id, CAST(event_time AS DATE) AS day, count(*) AS n
            FROM bucket_events GROUP BY user_id, day
        ), user_month_of_year AS (
            SELECT user_id, month(day) AS month_of_year, sum(n) AS n, min(day) AS first_day,
                   count(DISTINCT date_trunc('month', day)) AS months
            FROM user_day GROUP BY user_id, month_of_year
        ), per_user_month AS (
            SELECT user_id, sum(months) AS months_active,
                   arg_max(month_of_year, {'n': n, 'first': -date_diff('day', DATE '1970-01-01', first_day)})
                       AS preferred_month
            FROM user_month_of_year GROUP BY user_id
        ), per_user_day AS (
            SELECT d.user_id,
                   count(*) AS active_days,
                   min(d.day) AS first_day,
                   max(d.day) AS last_day,
                   coalesce(sum(d.n) FILTER (WHERE p.day IS NOT NULL), 0) AS promo_events,
                   coalesce(sum(d.n) FILTER (WHERE isodow(d.day) >= 6), 0) AS weekend_events
            FROM user_day d LEFT JOIN feat_promo_day p ON p.day = d.day
            GROUP BY d.user_id
        )
        SELECT u.*, m.months_active, m.preferred_month,
               date_diff('day', u.first_day, u.last_day) + 1 AS span_days,
               cl.promo_cum - cf.promo_cum AS span_promo_days
        FROM per_user_day u
        JOIN per_user_month m USING (user_id)
        JOIN feat_day_cum cl ON cl.day = u.last_day
        JOIN feat_day_cum cf ON cf.day = u.first_day - 1
    """,
    ),
    (
        "events",
        f"""
        CREATE OR REPLACE TEMP TABLE feat_events AS
        SELECT e.user_id,
               count(*) AS n_events,
               count_if(e.event_type = 'view') AS n_views,
               count_if(e.event_type = 'cart') AS n_carts,
               count_if(e.event_type = 'remove_from_cart') AS n_removes,
               count_if(e.event_type = 'purchase') AS n_purchases,
               min(e.event_time) AS first_seen,
               max(e.event_time) AS last_seen,
               max(e.event_time) FILTER (WHERE e.event_type = 'purchase') AS last_purchase,
               coalesce({exact_sum("e.price", _PURCHASE)}, 0.0) AS total_spent,
               {exact_avg("e.price", _PRICED_VIEW)} AS mean_price_viewed,
               {exact_avg("e.price", _PRICED_PURCHASE)} AS mean_price_bought,
               {exact_avg("e.price / c.median_price", _PRICED_VIEW)} AS price_index_viewed,
               {exact_avg("e.price / c.median_price", _PRICED_PURCHASE)} AS price_index_bought,
               count_if(coalesce(e.event_type = 'purchase' AND e.price > 0, false)) AS priced_purchases,
               count_if(coalesce(e.event_type = 'purchase' AND e.price > 0 AND e.price < c.median_price, false))
                   AS below_median_purchases,
               {{category_counts}},
               {{part_counts}}
        FROM bucket_events e LEFT JOIN feat_category_price c ON c.category_id = e.category_id
        GROUP BY e.user_id
    """,
    ),
]


# NB: DuckDB's count_if returns NULL (not 0) when every input of a group is NULL, so any
# condition that can be NULL is wrapped in coalesce(…, false).
def _category_counts() -> str:
    return ",\n".join(f"count_if(coalesce(e.category_l1 = '{c}', false)) AS cat_{c}" for c in TOP_CATEGORIES)


def _part_counts() -> str:
    return ",\n".join(
        f"count_if(hour(e.event_time) BETWEEN {first} AND {last}) AS part_{part}"
        for part, (first, last) in PARTS_OF_DAY.items()
    )


def _share(numerator: str, denominator: str = "ev.n_events") -> str:
    return f"{numerator}::DOUBLE / {denominator}"


def _rate(numerator: str, denominator: str) -> str:
    """numerator / denominator, NULL (never NaN or infinity) when the denominator is 0 or NULL."""
    return f"CASE WHEN {denominator} > 0 THEN {numerator}::DOUBLE / {denominator} END"


def _score(order: str) -> str:
    return f"least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY {order})))::INTEGER"


def _top_category_sql(other: str) -> str:
    """The first category with the largest count: each compared with all before (strictly) and after."""
    names = [*TOP_CATEGORIES, "other"]
    counts = [f"ev.cat_{c}" for c in TOP_CATEGORIES] + [f"({other})"]
    top_cases = []
    for i, (name, count) in enumerate(zip(names, counts, strict=True)):
        conds = [f"{count} > {other_count}" for other_count in counts[:i]]
        conds += [f"{count} >= {other_count}" for other_count in counts[i + 1 :]]
        top_cases.append(f"WHEN {' AND '.join(conds)} THEN '{name}'")
    return "CASE " + " ".join(top_cases) + " END"


def _metric_expressions() -> dict[str, str]:
    """The SQL expression of every metric but the R/F/M scores, over the bucket's per-user tables."""
    other = "ev.n_events - (" + " + ".join(f"ev.cat_{c}" for c in TOP_CATEGORIES) + ")"
    return {
        "n_events": "ev.n_events",
        "n_views": "ev.n_views",
        "n_carts": "ev.n_carts",
        "n_removes": "ev.n_removes",
        "n_sessions": "se.n_sessions",
        "active_days": "dy.active_days",
        "months_active": "dy.months_active",
        "first_seen": "ev.first_seen",
        "last_seen": "ev.last_seen",
        "tenure_days": "(epoch(ev.last_seen) - epoch(ev.first_seen)) / 86400.0",
        "recency_days": "(epoch(w.window_end) - epoch(ev.last_seen)) / 86400.0",
        "events_per_session": "ev.n_events::DOUBLE / se.n_sessions",
        "median_session_minutes": "se.median_session_minutes",
        "median_session_gap_hours": "se.median_session_gap_hours",
        "view_to_cart_rate": _rate("pr.products_viewed_carted", "pr.products_viewed"),
        "cart_to_purchase_rate": _rate("pr.products_carted_purchased", "pr.products_carted"),
        "cart_abandonment_rate": _rate("se.abandoned_cart_sessions", "se.cart_sessions"),
        "remove_from_cart_rate": _rate("pr.products_carted_removed", "pr.products_carted"),
        "purchase_rate": "se.n_orders::DOUBLE / se.n_sessions",
        "n_purchases": "ev.n_purchases",
        "n_orders": "se.n_orders",
        "total_spent": "ev.total_spent",
        "avg_order_value": _rate("ev.total_spent", "se.n_orders"),
        "items_per_order": _rate("ev.n_purchases", "se.n_orders"),
        "purchase_recency_days": "(epoch(w.window_end) - epoch(ev.last_purchase)) / 86400.0",
        "mean_price_viewed": "ev.mean_price_viewed",
        "mean_price_bought": "ev.mean_price_bought",
        "price_index_viewed": "ev.price_index_viewed",
        "price_index_bought": "ev.price_index_bought",
        "below_median_purchase_share": _rate("ev.below_median_purchases", "ev.priced_purchases"),
        "distinct_products": "pr.distinct_products",
        "distinct_categories": "ca.distinct_categories",
        "distinct_brands": "coalesce(br.distinct_brands, 0)",
        "category_entropy": "ca.category_entropy",
        **{f"share_{c}": _share(f"ev.cat_{c}") for c in TOP_CATEGORIES},
        "share_other": _share(f"({other})"),
        "top_category": _top_category_sql(other),
        "brand_hhi_views": "br.brand_hhi_views",
        "brand_hhi_purchases": "br.brand_hhi_purchases",
        **{f"share_{part}": _share(f"ev.part_{part}") for part in PARTS_OF_DAY},
        "weekend_share": _share("dy.weekend_events"),
        "promo_share": _share("dy.promo_events"),
        "promo_lift": (
            "CASE WHEN dy.span_promo_days > 0 THEN (dy.promo_events::DOUBLE / dy.span_promo_days)"
            " / (ev.n_events::DOUBLE / dy.span_days) END"
        ),
        "preferred_month": "dy.preferred_month",
    }


def _bucket_rows_sql() -> str:
    """One bucket's finished rows: every metric but the R/F/M scores, plus ``last_purchase``."""
    exprs = _metric_expressions()
    expected = [m.name for m in METRICS if m.name not in RFM_SCORE_NAMES]
    missing = [name for name in expected if name not in exprs]
    extra = [name for name in exprs if name not in expected]
    if missing or extra:  # a programming error: the registry and the SQL must match
        raise AssertionError(f"registry and SQL differ: missing {missing}, extra {extra}")
    select = ",\n       ".join(f"CAST({exprs[name]} AS {by_name(name).dtype}) AS {name}" for name in expected)
    # rows in user_id order: the buckets are ascending user_id ranges, so feat_users ends up
    # sorted without a global sort
    return f"""
        SELECT ev.user_id AS {KEY},
       {select},
       ev.last_purchase
        FROM feat_events ev
        CROSS JOIN feat_window w
        JOIN feat_sessions se USING (user_id)
        JOIN feat_products pr USING (user_id)
        JOIN feat_categories ca USING (user_id)
        JOIN feat_days dy USING (user_id)
        LEFT JOIN feat_brands br USING (user_id)
        ORDER BY ev.user_id
    """


#: The R/F/M scores and the feat_users column each ranks buyers by (ascending).
RFM_SCORES = {"rfm_r": "last_purchase", "rfm_f": "n_orders", "rfm_m": "total_spent"}
RFM_SCORE_NAMES = (*RFM_SCORES, "rfm_code")


def _rfm_cuts_sql() -> str:
    """Set the variable ``feat_rfm_cuts``: per score and k = 2 … 5, the smallest buyer value scoring ≥ k.

    A score is non-decreasing in its value (ties share a rank), so a buyer's score is
    ``1 + #{k : value ≥ cut_k}``: exactly the ``percent_rank`` quintile, computed once over
    the buyers' three columns instead of joined back to every user.
    """
    scored = ", ".join(f"{_score(column)} AS {name}" for name, column in RFM_SCORES.items())
    cuts = ", ".join(
        f"'{name}_{k}': min({column}) FILTER (WHERE {name} >= {k})"
        for name, column in RFM_SCORES.items()
        for k in range(2, 6)
    )
    return f"""
        SET VARIABLE feat_rfm_cuts = (
            SELECT {{{cuts}}}
            FROM (SELECT {", ".join(RFM_SCORES.values())}, {scored} FROM feat_users WHERE n_purchases > 0)
        )
    """


def _user_features_sql() -> str:
    """The view ``user_features``: ``feat_users`` with the R/F/M scores added, row by row (order kept)."""
    scores = {
        name: "CASE WHEN n_purchases > 0 THEN 1"
        + "".join(
            f" + coalesce({column} >= getvariable('feat_rfm_cuts').{name}_{k}, false)::INTEGER" for k in range(2, 6)
        )
        + " END"
        for name, column in RFM_SCORES.items()
    }
    scores["rfm_code"] = " || ".join(f"({scores[name]})::VARCHAR" for name in RFM_SCORES)
    columns = ",\n       ".join(
        f"CAST({scores[m.name]} AS {m.dtype}) AS {m.name}" if m.name in scores else m.name for m in METRICS
    )
    return f"""
        CREATE OR REPLACE TEMP VIEW user_features AS
        SELECT {KEY},
       {columns}
        FROM feat_users
    """


# --------------------------------------------------------------------------------------
# running it
# --------------------------------------------------------------------------------------
def configure(
    con: duckdb.DuckDBPyConnection, temp_dir: Path, memory_limit: str | None = None, threads: int | None = None
) -> None:
    """Memory limit, spill directory and threads for the feature queries."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    limit = memory_limit or os.environ.get("SHOPGRAPH_DUCKDB_MEMORY", DEFAULT_MEMORY_LIMIT)
    set_memory_limit(con, limit)
    con.execute(f"SET temp_directory = {literal(str(temp_dir))}")
    # on (DuckDB's default): each bucket appends its users in user_id order and the final
    # write keeps that order, so the table comes out sorted with no global sort
    con.execute("SET preserve_insertion_order = true")
    if threads:
        con.execute(f"SET threads = {int(threads)}")


def data_window(con: duckdb.DuckDBPyConnection) -> DataWindow:
    start, end = con.execute("SELECT min(event_time), max(event_time) FROM events").fetchone()
    if start is None:
        raise ShopgraphError("the event store holds no events: run `shopgraph ingest FILE` first")
    months = tuple(r[0] for r in con.execute("SELECT DISTINCT month FROM events ORDER BY month").fetchall())
    return DataWindow(start, end, months)


def bucket_count(n_events: int, limit_bytes: int) -> int:
    """How many user buckets keep one bucket's per-user aggregates inside ``limit_bytes``.

    A bucket of ``e`` events needs about ``BUCKET_BYTES_PER_EVENT × e`` of DuckDB memory
    (measured with ``bench/features.py --spill-check``, with headroom), so ``B`` grows with the
    store and the memory a bucket needs does not.
    """
    return max(1, math.ceil(n_events * BUCKET_BYTES_PER_EVENT / limit_bytes))


def user_buckets(first_user: int, last_user: int, buckets: int) -> list[tuple[int, int]]:
    """``buckets`` contiguous, ascending ``(lo, hi)`` user_id ranges (both ends included) covering the ids.

    Equal widths: user ids are keyed-hash pseudonyms, uniform over the 64-bit range, so equal
    widths hold about equal numbers of users and events. Python integers, so no overflow.
    """
    span = last_user - first_user + 1
    buckets = max(1, min(buckets, span))
    bounds = [first_user + span * b // buckets for b in range(buckets + 1)]
    return [(bounds[b], bounds[b + 1] - 1) for b in range(buckets)]


def compute_features(
    con: duckdb.DuckDBPyConnection, calendar: Calendar, say: Say | None = None, *, buckets: int | None = None
) -> tuple[DataWindow, dict[str, float], int]:
    """Build the view ``user_features`` on ``con`` (which has the ``events`` view); see the module docstring.

    ``buckets`` forces the number of user buckets (default: :func:`bucket_count` from the
    event count and ``con``'s memory limit); the results do not depend on it. Returns the data
    window, the seconds spent in each phase (summed over buckets) and the number of buckets.
    ``say(phase)`` is called before each phase. ``user_features`` lists the users in
    ascending ``user_id`` order when ``preserve_insertion_order`` is on (DuckDB's default).
    """
    import time

    say = say or (lambda _msg: None)
    timings: dict[str, float] = {}

    def timed(name: str, label: str | None = None) -> Callable[[], None]:
        say(label or name)
        t0 = time.perf_counter()
        return lambda: timings.__setitem__(name, timings.get(name, 0.0) + time.perf_counter() - t0)

    done = timed("data window")
    window = data_window(con)
    n_events, first_user, last_user = con.execute("SELECT count(*), min(user_id), max(user_id) FROM events").fetchone()
    con.execute("CREATE OR REPLACE TEMP TABLE feat_window AS SELECT $1::TIMESTAMP AS window_end", [window.end])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE feat_promo_day AS SELECT unnest($1::DATE[]) AS day", [calendar.promo_days()]
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE feat_day_cum AS
        SELECT CAST(d AS DATE) AS day,
               sum(CASE WHEN p.day IS NULL THEN 0 ELSE 1 END) OVER (ORDER BY d) AS promo_cum
        FROM generate_series($1::DATE - 1, $2::DATE, INTERVAL 1 DAY) AS g(d)
        LEFT JOIN feat_promo_day p ON p.day = CAST(d AS DATE)
    """,
        [window.start.date(), window.end.date()],
    )
    done()
    done = timed("category prices")
    con.execute(CATEGORY_PRICES_SQL)
    done()

    ranges = user_buckets(first_user, last_user, buckets or bucket_count(n_events, memory_limit_bytes(con)))
    for b, (lo, hi) in enumerate(ranges):
        where = f" (bucket {b + 1}/{len(ranges)})" if len(ranges) > 1 else ""
        # literal bounds, so DuckDB pushes the filter into the Parquet scan (row-group statistics)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW bucket_events AS "
            f"SELECT * FROM events WHERE user_id BETWEEN {int(lo)} AND {int(hi)}"
        )
        for name, sql in USER_PHASES:
            done = timed(name, name + where)
            con.execute(
                sql.format(category_counts=_category_counts(), part_counts=_part_counts())
                if "{category_counts}" in sql
                else sql
            )
            done()
        done = timed("assemble", "assemble" + where)
        if b == 0:
            con.execute(f"CREATE OR REPLACE TEMP TABLE feat_users AS {_bucket_rows_sql()}")
        else:
            con.execute(f"INSERT INTO feat_users {_bucket_rows_sql()}")
        for table in ("feat_sessions", "feat_products", "feat_categories", "feat_brands", "feat_days", "feat_events"):
            con.execute(f"DROP TABLE {table}")
        done()
    con.execute("DROP VIEW bucket_events")

    done = timed("RFM scores")
    con.execute(_rfm_cuts_sql())
    con.execute(_user_features_sql())
    done()
    return window, timings, len(ranges)


def build_user_features(
    workspace: Workspace,
    calendar: Calendar,
    *,
    months: Sequence[str] | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    buckets: int | None = None,
    say: Say | None = None,
) -> FeatureTable:
    """Compute the feature table from the store and save it (Parquet + JSON sidecar), atomically.

    The table goes to ``features/user_features.parquet`` (written to a temporary file and
    renamed, so a crash never leaves half a table), the sidecar to ``user_features.json``.
    ``buckets`` forces the number of user buckets (see :func:`compute_features`).
    """
    import time

    t_start = time.perf_counter()
    out_dir = workspace.features_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    temp_dir = out_dir / ".duckdb-tmp"
    con = duckdb.connect()
    try:
        configure(con, temp_dir, memory_limit, threads)
        connect_events(workspace, months, con=con)
        window, timings, n_buckets = compute_features(con, calendar, say, buckets=buckets)
        if say:
            say("write Parquet")
        t0 = time.perf_counter()
        path = out_dir / FEATURES_FILE
        tmp = out_dir / f".{FEATURES_FILE}.tmp"
        con.execute(
            f"COPY (SELECT * FROM user_features) TO {literal(str(tmp))} "  # already in user_id order
            "(FORMAT parquet, COMPRESSION zstd)"
        )
        rows = con.execute("SELECT count(*) FROM feat_users").fetchone()[0]
        timings["write Parquet"] = time.perf_counter() - t0
    finally:
        con.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
    seconds = time.perf_counter() - t_start
    sidecar = out_dir / SIDECAR_FILE
    record = {
        "table": FEATURES_FILE,
        "rows": rows,
        "data_window": window.as_record(),
        "calendar": calendar.as_record(),
        "code_version": code_version(),
        "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "recompute": "all users, all months",
        "user_buckets": n_buckets,
        "columns": [KEY, *(m.name for m in METRICS)],
    }
    fsync_file(tmp)
    os.replace(tmp, path)
    write_text_atomic(sidecar, json.dumps(record, indent=2) + "\n")
    return FeatureTable(path, sidecar, rows, window, seconds, timings, n_buckets)


def read_sidecar(workspace: Workspace) -> dict[str, object]:
    """The sidecar of the last run; a clear error when features were never computed."""
    path = workspace.features_dir / SIDECAR_FILE
    if not path.is_file():
        raise ShopgraphError(f"no feature table in {workspace.features_dir}: run `shopgraph features` first")
    return json.loads(path.read_text(encoding="utf-8"))


def headline_figures(path: Path) -> list[tuple[str, float | int | None]]:
    """A few averages of a saved feature table, for the end-of-run summary."""
    con = duckdb.connect()
    try:
        row = con.execute(
            """SELECT count(*), count_if(n_purchases > 0), avg(n_events), avg(n_sessions), avg(purchase_rate),
                      avg(avg_order_value), avg(recency_days), avg(category_entropy), avg(promo_lift)
               FROM read_parquet($1)""",
            [str(path)],
        ).fetchone()
    finally:
        con.close()
    labels = [
        "users",
        "buyers",
        "mean events per user",
        "mean sessions per user",
        "mean purchase rate",
        "mean order value (buyers)",
        "mean recency, days",
        "mean category entropy, bits",
        "mean promo lift",
    ]
    return list(zip(labels, row, strict=True))
