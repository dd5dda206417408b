"""The first big load into an empty database: DuckDB writes CSVs, ``neo4j-admin database import full`` reads them.

``shopgraph load --bulk`` gives exactly the graph that the incremental Bolt path
(:mod:`graph.load`) gives for the same ingested files, an order of magnitude faster:

1. Per source file, the same DuckDB queries as the Bolt path (:func:`graph.load.step_queries`,
   including the interaction aggregates Parquet that embeddings read) — then combined over
   the files the way the Bolt path's ``MERGE`` statements combine them one file after the
   other: counts and ``n_events`` add up (``amount`` summed in file order, like ``r.amount +
   row.amount``), first/last times widen, a product's price is the one seen last (ties: the
   later file), its ``brand`` the greatest name any file gave (as ``merge_products`` keeps it), a
   category keeps the last non-empty code, and ``IN_CATEGORY``, ``OF_BRAND``
   and ``CHILD_OF`` keep every edge any file created.
2. Header files (``user_id:ID(User){id-type:long}``, ``count:long``, ``first_at:datetime`` …)
   and data files written by DuckDB ``COPY … (HEADER false)``; datetimes are written as UTC
   instants with milliseconds (``2019-10-01T00:00:20.000Z``), the value and zone that
   ``datetime({epochMillis: …})`` stores on the Bolt path.
3. The local server is stopped, ``neo4j-admin database import full --overwrite-destination``
   builds the store, the server is started again and the schema applied.

Only into an empty database of the project's own local server (the import needs it stopped).
If the import fails, an empty store is imported instead, so the server comes back up and a
re-run can start over.
"""

from __future__ import annotations

import csv
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

import cypher
from events.interactions import prune_interactions, write_interactions
from events.store import bounded_connection
from graph.connection import QueryRunner
from graph.load import SourceFile, ingested_files, step_queries
from graph.schema import apply_schema
from graph.server import LocalServer
from shopgraph.errors import ShopgraphError
from shopgraph.settings import Settings
from shopgraph.sqltext import literal
from shopgraph.workspace import Workspace

DATABASE = "neo4j"
#: events to load into an empty graph from which `shopgraph run` takes the bulk import rather than
#: Bolt: where the import, with the server's stop and start, gets faster (docs/BENCHMARKS.md, "Load")
BULK_MIN_EVENTS = 1_000_000
LOAD_PATHS = ("auto", "bolt", "bulk")
REL_TYPES = {"viewed": "VIEWED", "carted": "CARTED", "removed": "REMOVED", "purchased": "PURCHASED"}

Say = Callable[[str], None]
"""``say(phase)`` — called when a phase starts."""
OnTable = Callable[[str, int, float], None]
"""``on_table(csv_name, rows, seconds)`` — called after each CSV file is written."""


@dataclass(frozen=True)
class ImportTable:
    """One input group of the importer: a header file and a data file for one label or relationship type."""

    kind: str  # "nodes" or "relationships"
    name: str  # label or relationship type
    file: str  # base name of the CSV files
    header: str
    sql: str  # DuckDB SELECT whose columns match ``header``

    def argument(self, directory: Path, suffix: str) -> str:
        return f"--{self.kind}={self.name}={directory / (self.file + '-header.csv')},{directory / (self.file + suffix)}"


@dataclass
class BulkReport:
    files_loaded: list[str] = field(default_factory=list)
    rows_written: dict[str, int] = field(default_factory=dict)  # per CSV file
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase
    nodes: int = 0
    relationships: int = 0
    properties: int = 0
    seconds: float = 0.0

    @property
    def import_seconds(self) -> float:
        return self.phases.get("import", 0.0)

    @property
    def records_per_second(self) -> float:
        """Nodes and relationships per second of the neo4j-admin step."""
        return (self.nodes + self.relationships) / self.import_seconds if self.import_seconds else 0.0


# -- checks ---------------------------------------------------------------------------------
def require_local(settings: Settings) -> None:
    """Refuse (one line) when NEO4J_URI is not on this machine: the import must stop the server."""
    if not settings.is_local:
        raise ShopgraphError(
            f"load --bulk needs the project's local Neo4j (it stops the server to import), "
            f"but NEO4J_URI={settings.uri} "
            "is another machine: run `shopgraph load` without --bulk"
        )


def check_target(db: QueryRunner, settings: Settings, server: LocalServer) -> None:
    """Refuse (one line) unless NEO4J_URI is the project's running local server with an empty database."""
    require_local(settings)
    nodes = db.run("load/count_nodes")[0]["nodes"]
    if nodes:
        raise ShopgraphError(
            f"load --bulk only loads into an empty database, and {settings.uri} holds {nodes:,} node(s): run "
            "`shopgraph load` (incremental) or empty it first with `shopgraph db reset --yes`"
        )
    if server.pid() is None:
        raise ShopgraphError(
            f"load --bulk needs the project's local Neo4j running from {server.home} (it stops and restarts it), but "
            f"{settings.uri} is not served from there: `shopgraph neo4j start`, or `shopgraph load` without --bulk"
        )


def choose_load_path(
    db: QueryRunner, settings: Settings, workspace: Workspace, wanted: str = "auto", server: LocalServer | None = None
) -> tuple[str, str]:
    """``("bulk" | "bolt", why)``: the bulk import for a large first history into an empty graph, else Bolt.

    ``wanted`` other than ``auto`` forces a path (a forced bulk load still refuses, in one line,
    a graph that is not empty or a server it cannot stop). Auto takes the bulk import only when
    it can run (the project's local server, running, with no node) and the events to load reach
    :data:`BULK_MIN_EVENTS`, below which the server's stop and start cost more than Bolt.
    """
    if wanted not in LOAD_PATHS:
        raise ShopgraphError(f"--load {wanted!r}: choose one of {', '.join(LOAD_PATHS)}")
    if wanted != "auto":
        return wanted, f"forced with --load {wanted}"
    if not settings.is_local:
        return "bolt", f"Neo4j at {settings.uri} is not the local server the bulk import needs to stop"
    if (server or LocalServer(settings)).pid() is None:
        return "bolt", "the local Neo4j is not running from this workspace, so the bulk import cannot stop it"
    nodes = db.run("load/count_nodes")[0]["nodes"]
    if nodes:
        return "bolt", f"the graph already holds {nodes:,} nodes: new months are added through Bolt"
    events = sum(source.rows_kept for source in ingested_files(workspace))
    if events < BULK_MIN_EVENTS:
        return "bolt", f"empty graph, but {events:,} events is under the {BULK_MIN_EVENTS:,} where the bulk import pays"
    return "bulk", f"empty graph and {events:,} events to load (bulk import from {BULK_MIN_EVENTS:,})"


# -- step 1: what to import (DuckDB) ----------------------------------------------------------
def _iso(epoch_ms: str) -> str:
    """A DuckDB expression: epoch milliseconds → ``2019-10-01T00:00:20.000Z`` (a UTC ``:datetime`` for the importer)."""
    return f"strftime(epoch_ms({epoch_ms}), '%Y-%m-%dT%H:%M:%S.%gZ')"


def _union(per_file: list[dict[str, str]], step: str) -> str:
    return "\nUNION ALL\n".join(f"SELECT {i} AS file_no, * FROM ({steps[step]})" for i, steps in enumerate(per_file))


def import_tables(per_file: list[dict[str, str]]) -> list[ImportTable]:
    """The importer's input groups, over the temp tables ``file_categories``, ``file_brands``, ``file_products``,
    ``file_users`` (see :func:`write_csvs`) and the per-file relationship queries of ``per_file``."""
    return [*_category_tables(), *_catalogue_tables(), _user_table(), *_interaction_tables(per_file)]


def _category_tables() -> list[ImportTable]:
    """Category nodes, the CategoryLevel tree of their codes, and the CHILD_OF edges between them."""
    codes = "SELECT DISTINCT code, string_split(code, '.') AS parts FROM file_categories WHERE code IS NOT NULL"
    levels = f"SELECT code, parts, unnest(range(1, len(parts) + 1)) AS depth FROM ({codes})"
    return [
        ImportTable(
            "nodes",
            "Category",
            "categories",
            "category_id:ID(Category){id-type:long},code",
            """
            SELECT category_id, arg_max(code, file_no) FILTER (WHERE code IS NOT NULL) AS code
            FROM file_categories GROUP BY category_id""",
        ),
        ImportTable(
            "nodes",
            "CategoryLevel",
            "category_levels",
            "path:ID(CategoryLevel),name,depth:long",
            f"""
            SELECT DISTINCT array_to_string(parts[1:depth], '.') AS path, parts[depth] AS name, depth::BIGINT AS depth
            FROM ({levels})""",
        ),
        ImportTable(
            "relationships",
            "CHILD_OF",
            "category_child_of",
            ":START_ID(Category),:END_ID(CategoryLevel)",
            """
            SELECT DISTINCT category_id, code FROM file_categories WHERE code IS NOT NULL""",
        ),
        ImportTable(
            "relationships",
            "CHILD_OF",
            "level_child_of",
            ":START_ID(CategoryLevel),:END_ID(CategoryLevel)",
            f"""
            SELECT DISTINCT array_to_string(parts[1:depth], '.'), array_to_string(parts[1:depth - 1], '.')
            FROM ({levels}) WHERE depth > 1""",
        ),
    ]


def _catalogue_tables() -> list[ImportTable]:
    """Brand and Product nodes, and the products' IN_CATEGORY and OF_BRAND edges."""
    return [
        ImportTable("nodes", "Brand", "brands", "name:ID(Brand)", "SELECT DISTINCT name FROM file_brands"),
        ImportTable(
            "nodes",
            "Product",
            "products",
            "product_id:ID(Product){id-type:long},price:double,price_at:datetime,price_min:double,price_max:double,"
            "brand",
            f"""
            SELECT product_id, arg_max(price, (price_at, file_no)) AS price, {_iso("max(price_at)")} AS price_at,
                   min(price_min) AS price_min, max(price_max) AS price_max, max(brand) AS brand
            FROM file_products GROUP BY product_id""",
        ),
        ImportTable(
            "relationships",
            "IN_CATEGORY",
            "in_category",
            ":START_ID(Product),:END_ID(Category)",
            """
            SELECT DISTINCT product_id, category_id FROM file_products WHERE category_id IS NOT NULL""",
        ),
        ImportTable(
            "relationships",
            "OF_BRAND",
            "of_brand",
            ":START_ID(Product),:END_ID(Brand)",
            """
            SELECT DISTINCT product_id, brand FROM file_products WHERE brand IS NOT NULL""",
        ),
    ]


def _user_table() -> ImportTable:
    """User nodes: events added up over the files, first and last seen widened."""
    return ImportTable(
        "nodes",
        "User",
        "users",
        "user_id:ID(User){id-type:long},n_events:long,first_seen:datetime,last_seen:datetime",
        f"""
            SELECT user_id, sum(n_events)::BIGINT AS n_events, {_iso("min(first_seen)")} AS first_seen,
                   {_iso("max(last_seen)")} AS last_seen
            FROM file_users GROUP BY user_id""",
    )


def _interaction_tables(per_file: list[dict[str, str]]) -> list[ImportTable]:
    """The four User→Product relationship types, combined over the files as the Bolt MERGEs combine them."""
    tables = []
    for step, rel_type in REL_TYPES.items():
        amount = step == "purchased"
        tables.append(
            ImportTable(
                "relationships",
                rel_type,
                step,
                ":START_ID(User),:END_ID(Product),count:long,"
                + ("amount:double," if amount else "")
                + "first_at:datetime,last_at:datetime",
                f"""
            SELECT user_id, product_id, sum(count)::BIGINT AS count,
                   {"list_reduce(list(amount ORDER BY file_no), lambda a, b: a + b) AS amount," if amount else ""}
                   {_iso("min(first_at)")} AS first_at, {_iso("max(last_at)")} AS last_at
            FROM ({_union(per_file, step)}) GROUP BY user_id, product_id""",
            )
        )
    return tables


INGESTED_FILE_HEADER = (
    "sha256:ID(IngestedFile),name,months:string[],month,rows_read:long,rows_kept:long,"
    "rows_rejected:long,state,loaded_at:datetime,interactions:long"
)


def write_csvs(
    workspace: Workspace,
    sources: list[SourceFile],
    directory: Path,
    con: duckdb.DuckDBPyConnection,
    compress: bool = False,
    on_table: OnTable | None = None,
) -> tuple[list[str], dict[str, int]]:
    """Write the importer's header and data files into ``directory``; returns (importer arguments, rows per file)."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".csv.gz" if compress else ".csv"
    per_file: list[dict[str, str]] = []
    interactions: list[int] = []
    for source in sources:
        events = [str(p) for p in source.event_files(workspace)]
        if not events:
            raise ShopgraphError(f"{source.name}: no events of this file in the store ({workspace.events_dir})")
        path = write_interactions(workspace, source, con)
        interactions.append(con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0])
        per_file.append({step: sql for step, _query, sql in step_queries(events, str(path))})
    for step in ("categories", "brands", "products", "users"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE file_{step} AS {_union(per_file, step)}")

    arguments: list[str] = []
    rows: dict[str, int] = {}
    for table in import_tables(per_file):
        started = time.perf_counter()
        (directory / f"{table.file}-header.csv").write_text(table.header + "\n", encoding="utf-8")
        options = "FORMAT csv, HEADER false" + (", COMPRESSION gzip" if compress else "")
        target = directory / (table.file + suffix)
        rows[table.file] = int(con.execute(f"COPY ({table.sql}) TO {literal(target)} ({options})").fetchone()[0])
        arguments.append(table.argument(directory, suffix))
        if on_table:
            on_table(table.file, rows[table.file], time.perf_counter() - started)

    arguments.append(write_ingested_files(directory, sources, interactions))
    rows["ingested_files"] = len(sources)
    multiline = con.execute(
        "SELECT (SELECT count(*) FROM file_brands WHERE regexp_matches(name, '[\\r\\n]'))"
        " + (SELECT count(*) FROM file_categories WHERE regexp_matches(code, '[\\r\\n]'))"
    ).fetchone()[0]
    if multiline or any(re.search(r"[\r\n]", s.name) for s in sources):
        arguments.append("--multiline-fields=true")
    return arguments, rows


def write_ingested_files(directory: Path, sources: list[SourceFile], interactions: list[int]) -> str:
    """The IngestedFile nodes (one per source, its interaction count beside it); the importer's argument."""
    (directory / "ingested_files-header.csv").write_text(INGESTED_FILE_HEADER + "\n", encoding="utf-8")
    loaded_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    with (directory / "ingested_files.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for source, n_interactions in zip(sources, interactions, strict=True):
            writer.writerow(
                [
                    source.sha256,
                    source.name,
                    ";".join(source.months),
                    (source.months or [None])[0],
                    source.rows_read,
                    source.rows_kept,
                    source.rows_rejected,
                    "loaded",
                    loaded_at,
                    n_interactions,
                ]
            )
    return f"--nodes=IngestedFile={directory / 'ingested_files-header.csv'},{directory / 'ingested_files.csv'}"


# -- step 2: the import (neo4j-admin, server stopped) -------------------------------------------
def run_import(server: LocalServer, arguments: list[str], report_file: Path) -> dict[str, int]:
    """``neo4j-admin database import full`` into the (stopped) local server; returns its counts."""
    done = server.admin(
        "database",
        "import",
        "full",
        DATABASE,
        "--overwrite-destination=true",
        f"--report-file={report_file}",
        *arguments,
        check=False,
    )
    log = report_file.with_suffix(".log")
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        lines = [line for line in (done.stderr + "\n" + done.stdout).splitlines() if line.strip()]
        cause = next(
            (line for line in lines if "rror" in line or "xception" in line), lines[-1] if lines else "no output"
        )
        raise ShopgraphError(f"neo4j-admin import failed: {cause.strip()} (full output: {log})")
    counts = {}
    for what in ("nodes", "relationships", "properties"):
        found = re.search(rf"^\s*(\d+) {what}\s*$", done.stdout, re.MULTILINE)
        counts[what] = int(found.group(1)) if found else 0
    return counts


def import_empty_store(server: LocalServer, directory: Path) -> None:
    """Replace a half-built store by an empty one, so the server starts and a re-run can begin again."""
    directory.mkdir(parents=True, exist_ok=True)
    header, data = directory / "empty-header.csv", directory / "empty.csv"
    header.write_text(":ID\n", encoding="utf-8")
    data.write_text("", encoding="utf-8")
    server.admin(
        "database",
        "import",
        "full",
        DATABASE,
        "--overwrite-destination=true",
        f"--report-file={directory / 'empty.report'}",
        f"--nodes={header},{data}",
        check=False,
    )


def _wait_for_reads(db: QueryRunner) -> int:
    """The node count through ``db``'s own driver once it reconnected (a managed read retries stale connections)."""
    statement = cypher.query("load/count_nodes")
    with db.driver.session(database=db.database) as session:
        return session.execute_read(lambda tx: tx.run(statement).single()["nodes"])


# -- the whole bulk load ----------------------------------------------------------------------
def bulk_load(
    db: QueryRunner,
    settings: Settings,
    workspace: Workspace,
    server: LocalServer | None = None,
    compress: bool = False,
    keep_csv: bool = False,
    say: Say | None = None,
    on_table: OnTable | None = None,
    engine: str = "duckdb",
    spark_master: str | None = None,
) -> BulkReport:
    """Load every ingested file into the empty database of the local server with ``neo4j-admin database import``.

    ``db`` must be connected to that server; it works again when this returns (its driver
    reconnects). ``workspace`` holds the event store (it may differ from the server's own
    workspace, as in the tests). ``engine="spark"`` writes the importer's files with Spark
    (:mod:`graph.spark_bulk`, on ``spark_master``) instead of DuckDB.
    """
    server = server or LocalServer(settings)
    started = time.perf_counter()
    report = BulkReport()
    check_target(db, settings, server)
    sources = ingested_files(workspace)
    if not sources:
        raise ShopgraphError(
            f"the ingest manifest in {workspace.store_dir} lists no files: run `shopgraph ingest FILE`"
        )
    prune_interactions(workspace, sources)
    work = workspace.home / "graph" / "bulk-import"
    shutil.rmtree(work, ignore_errors=True)
    phase = _Phases(report, say or (lambda _phase: None))
    try:  # the CSVs hold pseudonyms: never leave them behind, even when the import fails
        with phase("csv", f"aggregating {len(sources)} file(s) with {engine} and writing CSVs to {work}"):
            if engine == "spark":
                from graph.spark_bulk import write_csvs_spark

                arguments, report.rows_written = write_csvs_spark(
                    workspace, sources, work, compress, on_table, spark_master
                )
            else:
                arguments, report.rows_written = _write_import_csvs(workspace, sources, work, compress, on_table)
        with phase("stop", f"stopping Neo4j ({settings.uri})"):
            server.stop()
        with phase("import", f"neo4j-admin database import full {DATABASE}"):
            counts = _import_or_empty_store(server, arguments, workspace, work)
        with phase("start", "starting Neo4j"):
            server.start()
        report.nodes, report.relationships, report.properties = (
            counts["nodes"],
            counts["relationships"],
            counts["properties"],
        )
        with phase("schema", "applying the schema (uniqueness constraints)"):
            _check_nodes_then_apply_schema(db, report.nodes, workspace)
    finally:
        if not keep_csv:
            shutil.rmtree(work, ignore_errors=True)
    report.files_loaded = [s.name for s in sources]
    report.seconds = time.perf_counter() - started
    return report


class _Phases:
    """Times the named phases of a bulk load into ``report.phases``, announcing each with ``say``."""

    def __init__(self, report: BulkReport, say: Say) -> None:
        self.report, self.say = report, say

    @contextmanager
    def __call__(self, name: str, message: str) -> Iterator[None]:
        self.say(message)
        started = time.perf_counter()
        yield
        self.report.phases[name] = time.perf_counter() - started


def _write_import_csvs(
    workspace: Workspace, sources: list[SourceFile], work: Path, compress: bool, on_table: OnTable | None
) -> tuple[list[str], dict[str, int]]:
    """The importer's CSVs and arguments, aggregated over every ingested file by DuckDB."""
    con = bounded_connection(workspace)  # spilling under the workspace's tmp/, as every read of the store
    try:
        con.execute("SET preserve_insertion_order = false")
        return write_csvs(workspace, sources, work, con, compress=compress, on_table=on_table)
    finally:
        con.close()


def _import_or_empty_store(server: LocalServer, arguments: list[str], workspace: Workspace, work: Path) -> dict:
    """Run the import with the server stopped; when it fails, import an empty store and restart, then re-raise."""
    try:
        return run_import(server, arguments, workspace.home / "graph" / "bulk-import.report")
    except BaseException:
        import_empty_store(server, work)
        server.start()
        raise


def _check_nodes_then_apply_schema(db: QueryRunner, imported: int, workspace: Workspace) -> None:
    """Wait until the restarted server reads every imported node, then apply the uniqueness constraints."""
    found = _wait_for_reads(db)
    if found != imported:
        raise ShopgraphError(
            f"the database holds {found:,} nodes after importing {imported:,}: see "
            f"{workspace.home / 'graph' / 'bulk-import.log'}"
        )
    apply_schema(db)
