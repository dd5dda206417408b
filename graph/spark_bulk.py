"""The importer's files of ``load --bulk --engine spark``: :mod:`graph.bulk`'s nodes and relationships, by Spark.

The same input groups, headers and values as :func:`graph.bulk.write_csvs` writes with DuckDB, so
``neo4j-admin database import full`` builds the same graph: per source file the aggregates of
:func:`graph.load.step_queries` (the interactions of :func:`events.interactions.write_interactions`
included), combined over the files as graph/bulk.py combines them (``arg_max`` is ``max_by`` over
the non-NULL values, ``list_reduce`` a fold of the amounts in file order). Each group is a header
file and the part files Spark writes (``<file>.parts/part-*.csv``), all named in the importer's
arguments. What Spark does not do here: the interaction aggregates embeddings read stay DuckDB's,
computed from the store when they are first needed.
"""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from events.spark_session import get_spark, spark_path
from graph.bulk import REL_TYPES, OnTable, import_tables, write_ingested_files
from graph.load import RELATIONSHIPS, SourceFile
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace

#: a UTC ``:datetime`` for the importer, as graph/bulk.py writes it (``2019-10-01T00:00:20.000Z``)
ISO = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
#: Spark's CSV writer as DuckDB's COPY: quotes doubled, no trimming, NULL empty, "" for an empty string
CSV_OPTIONS = {
    "header": "false",
    "quote": '"',
    "escape": '"',
    "nullValue": "",
    "emptyValue": '""',
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
    "lineSep": "\n",
}


def _iso(column: str) -> str:
    return f'date_format({column}, "{ISO}")'


def _register_file_views(spark: Any, workspace: Workspace, sources: Sequence[SourceFile]) -> None:
    """The views ``bulk_events`` (with ``file_no``) and the per-file steps ``file_*`` of graph/bulk.py."""
    frames = []
    for file_no, source in enumerate(sources):
        events = [spark_path(p) for p in source.event_files(workspace)]
        if not events:
            raise ShopgraphError(f"{source.name}: no events of this file in the store ({workspace.events_dir})")
        frames.append(
            spark.read.parquet(*events).selectExpr(
                f"{file_no} AS file_no",
                "CAST(event_time AS TIMESTAMP) AS event_time",
                "event_type",
                "product_id",
                "category_id",
                "category_code",
                "brand",
                "price",
                "user_id",
            )
        )
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    union.createOrReplaceTempView("bulk_events")
    views = {
        "file_categories": """
            SELECT file_no, category_id,
                   max_by(category_code, struct(event_time, category_code)) FILTER (WHERE category_code IS NOT NULL)
                       AS code
            FROM bulk_events WHERE category_id IS NOT NULL GROUP BY file_no, category_id""",
        "file_brands": "SELECT DISTINCT file_no, brand AS name FROM bulk_events WHERE brand IS NOT NULL",
        "file_products": """
            SELECT file_no, product_id, max_by(price, struct(event_time, price)) FILTER (WHERE price IS NOT NULL)
                       AS price,
                   max(event_time) AS price_at, min(price) AS price_min, max(price) AS price_max,
                   max_by(category_id, struct(event_time, category_id)) FILTER (WHERE category_id IS NOT NULL)
                       AS category_id,
                   max_by(brand, struct(event_time, brand)) FILTER (WHERE brand IS NOT NULL) AS brand
            FROM bulk_events GROUP BY file_no, product_id""",
        "file_users": """
            SELECT file_no, user_id, count(*) AS n_events, min(event_time) AS first_seen, max(event_time) AS last_seen
            FROM bulk_events GROUP BY file_no, user_id""",
        "file_interactions": """
            SELECT file_no, user_id, product_id, event_type, count(*) AS count, round(sum(price), 2) AS amount,
                   min(event_time) AS first_at, max(event_time) AS last_at
            FROM bulk_events GROUP BY file_no, user_id, product_id, event_type""",
    }
    for name, sql in views.items():
        spark.sql(sql).persist().createOrReplaceTempView(name)


def _levels() -> str:
    """The CategoryLevel rows of every code: ``code, parts, depth`` (graph/bulk.py's ``levels``)."""
    codes = "SELECT DISTINCT code, split(code, '[.]') AS parts FROM file_categories WHERE code IS NOT NULL"
    return f"SELECT code, parts, depth FROM ({codes}) LATERAL VIEW explode(sequence(1, size(parts))) AS depth"


def import_groups() -> dict[str, str]:
    """The Spark SELECT of every input group by its file name (graph/bulk.py's tables, same columns)."""
    levels = _levels()
    groups = [
        (
            "nodes",
            "Category",
            "categories",
            "SELECT category_id, max_by(code, file_no) FILTER (WHERE code IS NOT NULL) FROM file_categories "
            "GROUP BY category_id",
        ),
        (
            "nodes",
            "CategoryLevel",
            "category_levels",
            f"SELECT DISTINCT array_join(slice(parts, 1, depth), '.'), element_at(parts, depth), CAST(depth AS BIGINT) "
            f"FROM ({levels})",
        ),
        (
            "relationships",
            "CHILD_OF",
            "category_child_of",
            "SELECT DISTINCT category_id, code FROM file_categories WHERE code IS NOT NULL",
        ),
        (
            "relationships",
            "CHILD_OF",
            "level_child_of",
            f"SELECT DISTINCT array_join(slice(parts, 1, depth), '.'), array_join(slice(parts, 1, depth - 1), '.') "
            f"FROM ({levels}) WHERE depth > 1",
        ),
        ("nodes", "Brand", "brands", "SELECT DISTINCT name FROM file_brands"),
        (
            "nodes",
            "Product",
            "products",
            f"SELECT product_id, max_by(price, struct(price_at, file_no)), {_iso('max(price_at)')}, min(price_min), "
            "max(price_max), max(brand) FROM file_products GROUP BY product_id",
        ),
        (
            "relationships",
            "IN_CATEGORY",
            "in_category",
            "SELECT DISTINCT product_id, category_id FROM file_products WHERE category_id IS NOT NULL",
        ),
        (
            "relationships",
            "OF_BRAND",
            "of_brand",
            "SELECT DISTINCT product_id, brand FROM file_products WHERE brand IS NOT NULL",
        ),
        (
            "nodes",
            "User",
            "users",
            f"SELECT user_id, sum(n_events), {_iso('min(first_seen)')}, {_iso('max(last_seen)')} FROM file_users "
            "GROUP BY user_id",
        ),
    ]
    for event_type, (step, _query) in RELATIONSHIPS.items():
        # graph/bulk.py's list_reduce: the amounts added up in file order, the first one as is
        amount = (
            "aggregate(transform(array_sort(collect_list(struct(file_no, amount))), a -> a.amount), CAST(0 AS DOUBLE), "
            "(total, a) -> total + a), "
            if event_type == "purchase"
            else ""
        )
        groups.append(
            (
                "relationships",
                REL_TYPES[step],
                step,
                f"SELECT user_id, product_id, sum(count), {amount}{_iso('min(first_at)')}, {_iso('max(last_at)')} "
                f"FROM file_interactions WHERE event_type = '{event_type}' GROUP BY user_id, product_id",
            )
        )
    return {file: sql for _kind, _name, file, sql in groups}


def write_csvs_spark(
    workspace: Workspace,
    sources: list[SourceFile],
    directory: Path,
    compress: bool = False,
    on_table: OnTable | None = None,
    master: str | None = None,
) -> tuple[list[str], dict[str, int]]:
    """Write the importer's header and part files into ``directory`` with Spark; (importer arguments, rows per group).

    The contract of :func:`graph.bulk.write_csvs`: the same groups, headers and arguments.
    """
    spark = get_spark(master)
    directory.mkdir(parents=True, exist_ok=True)
    _register_file_views(spark, workspace, sources)
    try:
        sqls = import_groups()
        arguments: list[str] = []
        rows: dict[str, int] = {}
        for table in import_tables([dict.fromkeys(REL_TYPES, "")]):  # DuckDB's tables: their headers and order
            started = time.perf_counter()
            (directory / f"{table.file}-header.csv").write_text(table.header + "\n", encoding="utf-8")
            rows[table.file], parts = _write_group(
                spark.sql(sqls[table.file]), directory / f"{table.file}.parts", compress
            )
            header = directory / f"{table.file}-header.csv"
            arguments.append(f"--{table.kind}={table.name}={','.join(map(str, [header, *parts]))}")
            if on_table:
                on_table(table.file, rows[table.file], time.perf_counter() - started)
        counts = dict(spark.sql("SELECT file_no, count(*) FROM file_interactions GROUP BY file_no").collect())
        arguments.append(write_ingested_files(directory, sources, [counts.get(i, 0) for i in range(len(sources))]))
        rows["ingested_files"] = len(sources)
        if _multiline(spark) or any(re.search(r"[\r\n]", s.name) for s in sources):
            arguments.append("--multiline-fields=true")
    finally:
        for view in ("file_categories", "file_brands", "file_products", "file_users", "file_interactions"):
            spark.table(view).unpersist()
    return arguments, rows


def _write_group(frame: Any, out: Path, compress: bool) -> tuple[int, list[Path]]:
    """``frame`` as headerless CSV part files under ``out``; its row count (observed by the write) and the files."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    rows = Observation()
    frame = frame.observe(rows, F.count(F.lit(1)).alias("rows"))
    frame.write.options(**CSV_OPTIONS, compression="gzip" if compress else "none").csv(str(out))
    parts = sorted(p for p in out.glob("part-*") if not p.name.endswith(".crc"))
    if not parts:  # an empty group: the importer still wants a data file
        parts = [out / ("part-empty.csv" + (".gz" if compress else ""))]
        parts[0].write_bytes(gzip.compress(b"") if compress else b"")
    return int(rows.get["rows"]), parts


def _multiline(spark: Any) -> bool:
    """Whether a brand or category code holds a line break (the importer then reads quoted multi-line fields)."""
    found = spark.sql(
        "SELECT (SELECT count(*) FROM file_brands WHERE name RLIKE '[\\r\\n]')"
        " + (SELECT count(*) FROM file_categories WHERE code RLIKE '[\\r\\n]')"
    ).collect()[0][0]
    return bool(found)
