"""The feature table on Apache Spark (``--engine spark``): :mod:`features.compute`'s table, computed by a cluster.

The same phases in Spark SQL over the event store's Parquet files: the category median
prices, one per-user aggregate per phase (Spark shuffles by ``user_id`` itself, so there are
no user buckets), the metric expressions of :func:`features.compute._metric_expressions`
translated to Spark SQL (one definition of every metric), then the R/F/M quintiles as
``percent_rank`` over the buyers. Written where DuckDB writes it: ``user_features.parquet``
(one zstd file in ``user_id`` order, the same column types) and its JSON sidecar.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from events.spark_session import get_spark, spark_path
from events.store import event_files
from features.calendar import Calendar
from features.compute import (
    _PRICED_PURCHASE,
    _PRICED_VIEW,
    _PURCHASE,
    FEATURES_FILE,
    RFM_SCORE_NAMES,
    RFM_SCORES,
    SIDECAR_FILE,
    DataWindow,
    FeatureTable,
    Say,
    _category_counts,
    _metric_expressions,
    _part_counts,
)
from features.registry import KEY, METRICS, by_name
from shopgraph.errors import ShopgraphError
from shopgraph.files import fsync_file, write_text_atomic
from shopgraph.sqltext import exact_avg, exact_sum
from shopgraph.version import code_version
from shopgraph.workspace import Workspace

#: the registry's DuckDB types in Spark SQL (TIMESTAMP: naive UTC, as DuckDB writes it to Parquet)
SPARK_TYPES = {
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "INTEGER": "INT",
    "VARCHAR": "STRING",
    "TIMESTAMP": "TIMESTAMP_NTZ",
}

_SESSION_KEY = "coalesce(user_session, concat('day:', date_format(event_time, 'yyyy-MM-dd')))"

#: the per-user phases of :data:`features.compute.USER_PHASES` in Spark SQL, over the view ``sg_events``
USER_PHASES: list[tuple[str, str]] = [
    (
        "sg_sessions",
        f"""
        SELECT user_id, count(*) AS n_sessions,
               percentile(duration_s, 0.5) / 60D AS median_session_minutes,
               percentile(gap_s, 0.5) / 3600D AS median_session_gap_hours,
               count_if(has_purchase) AS n_orders,
               count_if(has_cart) AS cart_sessions,
               count_if(has_cart AND NOT has_purchase) AS abandoned_cart_sessions
        FROM (
            SELECT user_id, has_purchase, has_cart,
                   unix_micros(ended) / 1000000D - unix_micros(started) / 1000000D AS duration_s,
                   unix_micros(started) / 1000000D
                       - unix_micros(lag(started) OVER (PARTITION BY user_id ORDER BY started, ended)) / 1000000D
                       AS gap_s
            FROM (SELECT user_id, {_SESSION_KEY} AS session_key,
                         min(event_time) AS started, max(event_time) AS ended,
                         bool_or(event_type = 'purchase') AS has_purchase,
                         bool_or(event_type = 'cart') AS has_cart
                  FROM sg_events GROUP BY user_id, session_key))
        GROUP BY user_id
    """,
    ),
    (
        "sg_products",
        """
        SELECT user_id, count(*) AS distinct_products,
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
              FROM sg_events GROUP BY user_id, product_id)
        GROUP BY user_id
    """,
    ),
    (
        "sg_categories",
        f"""
        SELECT user_id, count(*) AS distinct_categories,
               CASE WHEN count(*) = 1 THEN 0D  -- exactly 0 for one category (the formula leaves 4.4e-16)
                    ELSE greatest(0D, log2(sum(n)) - {exact_sum("n * log2(n)")} / sum(n)) END
                   AS category_entropy
        FROM (SELECT user_id, category_id, count(*) AS n FROM sg_events GROUP BY user_id, category_id)
        GROUP BY user_id
    """,
    ),
    (
        "sg_brands",
        """
        SELECT user_id, count(*) AS distinct_brands,
               CASE WHEN sum(n_view) > 0 THEN sum(n_view * n_view) / (sum(n_view) * sum(n_view)) END
                   AS brand_hhi_views,
               CASE WHEN sum(n_purchase) > 0
                    THEN sum(n_purchase * n_purchase) / (sum(n_purchase) * sum(n_purchase)) END
                   AS brand_hhi_purchases
        FROM (SELECT user_id, brand,
                     CAST(count_if(event_type = 'view') AS DOUBLE) AS n_view,
                     CAST(count_if(event_type = 'purchase') AS DOUBLE) AS n_purchase
              FROM sg_events WHERE brand IS NOT NULL GROUP BY user_id, brand)
        GROUP BY user_id
    """,
    ),
    (
        "sg_days",
        """
        WITH user_day AS (
            SELECT user_id, CAST(event_time AS DATE) AS day, count(*) AS n FROM sg_events GROUP BY user_id, day
        ), user_month_of_year AS (
            SELECT user_id, month(day) AS month_of_year, sum(n) AS n, min(day) AS first_day,
                   count(DISTINCT trunc(day, 'MM')) AS months
            FROM user_day GROUP BY user_id, month_of_year
        ), per_user_month AS (
            SELECT user_id, sum(months) AS months_active,
                   max_by(month_of_year, named_struct('n', n, 'first', -datediff(first_day, DATE '1970-01-01')))
                       AS preferred_month
            FROM user_month_of_year GROUP BY user_id
        ), per_user_day AS (
            SELECT d.user_id, count(*) AS active_days, min(d.day) AS first_day, max(d.day) AS last_day,
                   coalesce(sum(d.n) FILTER (WHERE p.day IS NOT NULL), 0) AS promo_events,
                   coalesce(sum(d.n) FILTER (WHERE dayofweek(d.day) IN (1, 7)), 0) AS weekend_events
            FROM user_day d LEFT JOIN sg_promo_day p ON p.day = d.day
            GROUP BY d.user_id
        )
        SELECT u.*, m.months_active, m.preferred_month,
               datediff(u.last_day, u.first_day) + 1 AS span_days,
               cl.promo_cum - cf.promo_cum AS span_promo_days
        FROM per_user_day u
        JOIN per_user_month m USING (user_id)
        JOIN sg_day_cum cl ON cl.day = u.last_day
        JOIN sg_day_cum cf ON cf.day = date_sub(u.first_day, 1)
    """,
    ),
    (
        "sg_user_events",
        f"""
        SELECT e.user_id, count(*) AS n_events,
               count_if(e.event_type = 'view') AS n_views,
               count_if(e.event_type = 'cart') AS n_carts,
               count_if(e.event_type = 'remove_from_cart') AS n_removes,
               count_if(e.event_type = 'purchase') AS n_purchases,
               min(e.event_time) AS first_seen,
               max(e.event_time) AS last_seen,
               max(e.event_time) FILTER (WHERE e.event_type = 'purchase') AS last_purchase,
               coalesce({exact_sum("e.price", _PURCHASE)}, 0D) AS total_spent,
               {exact_avg("e.price", _PRICED_VIEW)} AS mean_price_viewed,
               {exact_avg("e.price", _PRICED_PURCHASE)} AS mean_price_bought,
               {exact_avg("e.price / c.median_price", _PRICED_VIEW)} AS price_index_viewed,
               {exact_avg("e.price / c.median_price", _PRICED_PURCHASE)} AS price_index_bought,
               count_if(coalesce(e.event_type = 'purchase' AND e.price > 0, false)) AS priced_purchases,
               count_if(coalesce(e.event_type = 'purchase' AND e.price > 0 AND e.price < c.median_price, false))
                   AS below_median_purchases,
               {{category_counts}},
               {{part_counts}}
        FROM sg_events e LEFT JOIN sg_category_price c ON c.category_id = e.category_id
        GROUP BY e.user_id
    """,
    ),
]

CATEGORY_PRICES_SQL = f"""
    SELECT category_id, percentile(product_price, 0.5) AS median_price
    FROM (SELECT category_id, product_id, {exact_avg("price")} AS product_price
          FROM sg_events WHERE price > 0 GROUP BY category_id, product_id)
    GROUP BY category_id
"""


def spark_expression(duckdb_sql: str) -> str:
    """A metric expression of :func:`features.compute._metric_expressions` in Spark SQL.

    DuckDB's ``x::DOUBLE`` becomes ``CAST(x AS DOUBLE)`` (``x`` a name or a parenthesised
    expression), ``epoch(t)`` seconds as a double, and decimal literals (``86400.0``, a
    DECIMAL in Spark, which would round the division) double literals.
    """
    text = re.sub(r"epoch\(([\w.]+)\)", r"(unix_micros(CAST(\1 AS TIMESTAMP)) / 1000000D)", duckdb_sql)
    text = re.sub(r"(?<![\w.])(\d+\.\d+)(?![\w.])", r"\1D", text)
    while "::DOUBLE" in text:
        end = text.index("::DOUBLE")
        start = end
        if text[end - 1] == ")":
            depth = 0
            for start in range(end - 1, -1, -1):
                depth += {")": 1, "(": -1}.get(text[start], 0)
                if depth == 0:
                    break
        else:
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._"):
                start -= 1
        text = f"{text[:start]}CAST({text[start:end]} AS DOUBLE){text[end + len('::DOUBLE') :]}"
    return text


def _rows_sql() -> str:
    """Every user's row: every metric but the R/F/M scores, plus ``last_purchase`` (as :mod:`features.compute`)."""
    exprs = _metric_expressions()
    names = [m.name for m in METRICS if m.name not in RFM_SCORE_NAMES]
    select = ",\n       ".join(
        f"CAST({spark_expression(exprs[name])} AS {SPARK_TYPES[by_name(name).dtype]}) AS {name}" for name in names
    )
    return f"""
        SELECT ev.user_id AS {KEY},
       {select},
       ev.last_purchase
        FROM sg_user_events ev
        CROSS JOIN sg_window w
        JOIN sg_sessions se USING (user_id)
        JOIN sg_products pr USING (user_id)
        JOIN sg_categories ca USING (user_id)
        JOIN sg_days dy USING (user_id)
        LEFT JOIN sg_brands br USING (user_id)
    """


def _scored_sql() -> str:
    """The finished table: the R/F/M quintiles of the buyers joined to every user's row, registry order."""
    scores = {
        name: f"least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY {column})))" for name, column in RFM_SCORES.items()
    }
    ranked = ", ".join(f"CAST({expr} AS INT) AS {name}" for name, expr in scores.items())
    code = "concat(" + ", ".join(f"CAST(b.{name} AS STRING)" for name in RFM_SCORES) + ")"
    columns = ",\n       ".join(
        f"b.{m.name}" if m.name in RFM_SCORES else (f"{code} AS rfm_code" if m.name == "rfm_code" else f"u.{m.name}")
        for m in METRICS
    )
    return f"""
        SELECT u.{KEY},
       {columns}
        FROM sg_users u
        LEFT JOIN (SELECT {KEY}, {ranked} FROM sg_users WHERE n_purchases > 0) b USING ({KEY})
    """


def _register_inputs(spark: Any, files: Sequence[Path], calendar: Calendar) -> DataWindow:
    """The views ``sg_events``, ``sg_window``, ``sg_promo_day`` and ``sg_day_cum``; the data window."""
    events = spark.read.parquet(*(spark_path(f) for f in files))
    events.createOrReplaceTempView("sg_parquet")
    spark.sql(
        """SELECT CAST(event_time AS TIMESTAMP) AS event_time, event_type, product_id, category_id, category_code,
                  brand, price, user_id, user_session,
                  nullif(split_part(category_code, '.', 1), '') AS category_l1
           FROM sg_parquet"""
    ).persist().createOrReplaceTempView("sg_events")  # every phase reads it
    start, end = spark.sql("SELECT min(event_time), max(event_time) FROM sg_parquet").collect()[0]
    if start is None:
        raise ShopgraphError("the event store holds no events: run `shopgraph ingest FILE` first")
    months = tuple(sorted({f.parent.name.removeprefix("month=") for f in files}))
    window = DataWindow(start, end, months)
    spark.sql(
        f"SELECT CAST(TIMESTAMP_NTZ '{end.isoformat(sep=' ')}' AS TIMESTAMP) AS window_end"
    ).createOrReplaceTempView("sg_window")
    promo = set(calendar.promo_days())
    spark.createDataFrame([(d,) for d in sorted(promo)], "day DATE").createOrReplaceTempView("sg_promo_day")
    days, cum = [], 0
    day = start.date() - dt.timedelta(days=1)
    while day <= end.date():
        cum += day in promo
        days.append((day, cum))
        day += dt.timedelta(days=1)
    spark.createDataFrame(days, "day DATE, promo_cum BIGINT").createOrReplaceTempView("sg_day_cum")
    return window


def compute_features_spark(
    spark: Any, files: Sequence[Path], calendar: Calendar, say: Say | None = None
) -> tuple[Any, DataWindow]:
    """The feature table of the event files ``files`` as a Spark DataFrame (lazy), and the data window."""
    say = say or (lambda _msg: None)
    say("data window")
    window = _register_inputs(spark, files, calendar)
    say("category prices")
    spark.sql(CATEGORY_PRICES_SQL).createOrReplaceTempView("sg_category_price")
    say("per-user aggregates")
    for name, sql in USER_PHASES:
        text = sql.format(category_counts=_category_counts(), part_counts=_part_counts()) if "{" in sql else sql
        spark.sql(text).createOrReplaceTempView(name)
    spark.sql(_rows_sql()).createOrReplaceTempView("sg_users")
    return spark.sql(_scored_sql()), window


def build_user_features_spark(
    workspace: Workspace,
    calendar: Calendar,
    *,
    months: Sequence[str] | None = None,
    say: Say | None = None,
    master: str | None = None,
) -> FeatureTable:
    """Compute the feature table on Spark; save it as :func:`features.compute.build_user_features` does.

    One task writes the table in ``user_id`` order to a temporary
    file that is renamed into place; then the sidecar. ``master``: a Spark master URL
    (default ``local[2]``, see :func:`events.spark_session.get_spark`).
    """
    t_start = time.perf_counter()
    spark = get_spark(master)
    out_dir = workspace.features_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    table, window = compute_features_spark(spark, event_files(workspace, months), calendar, say)
    if say:
        say("write Parquet")
    staging = out_dir / ".spark-out"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        # one task sorts the users (one row each) and writes the file; a global orderBy would
        # compute the whole plan twice (once to sample its range bounds)
        table.repartition(1).sortWithinPartitions(KEY).write.option("compression", "zstd").parquet(str(staging))
        [part] = sorted(staging.glob("*.parquet"))
        rows = pq.ParquetFile(part).metadata.num_rows
        tmp = out_dir / f".{FEATURES_FILE}.tmp"
        os.replace(part, tmp)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        spark.catalog.uncacheTable("sg_events")
    seconds = time.perf_counter() - t_start
    record = {
        "table": FEATURES_FILE,
        "rows": rows,
        "data_window": window.as_record(),
        "calendar": calendar.as_record(),
        "code_version": code_version(),
        "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "recompute": "all users, all months",
        "user_buckets": 1,
        "engine": f"spark {spark.version} on {spark.sparkContext.master}",
        "columns": [KEY, *(m.name for m in METRICS)],
    }
    fsync_file(tmp)
    path = out_dir / FEATURES_FILE
    os.replace(tmp, path)
    sidecar = out_dir / SIDECAR_FILE
    write_text_atomic(sidecar, json.dumps(record, indent=2) + "\n")
    return FeatureTable(path, sidecar, rows, window, seconds, {}, 1)
