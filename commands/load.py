"""`shopgraph load`: the ingested month files into Neo4j (graph/)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from commands.common import ENGINE_OPTION, SPARK_MASTER_OPTION, check_engine, console, settings, user_errors
from shopgraph.errors import ShopgraphError
from shopgraph.progress import progress_bars

app = typer.Typer()


@app.command("load")
@user_errors
def load_cmd(
    batch_size: Annotated[int, typer.Option(help="Rows per UNWIND transaction.", min=100)] = 5_000,
    writers: Annotated[
        int | None,
        typer.Option(
            help="Concurrent writers of the relationships (default 2; 1 when other work holds the cores).", min=1, max=4
        ),
    ] = None,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="First big load into an EMPTY database of the local server: "
            "CSVs + neo4j-admin import (stops and restarts Neo4j).",
        ),
    ] = False,
    gzip: Annotated[
        bool, typer.Option("--gzip", help="With --bulk: gzip the import CSVs (less disk, slower).")
    ] = False,
    engine: Annotated[str, ENGINE_OPTION] = "duckdb",
    spark_master: Annotated[str | None, SPARK_MASTER_OPTION] = None,
) -> None:
    """Load every ingested month file not yet in Neo4j (additive, resumable after a crash)."""
    from graph.connection import connect
    from graph.load import load
    from shopgraph.workspace import Workspace

    check_engine(engine)
    s = settings()
    if bulk:
        _load_bulk(s, gzip, engine, spark_master)
        return
    if engine != "duckdb":
        raise ShopgraphError(
            "--engine spark writes the neo4j-admin import files: use it with --bulk (the Bolt load reads with DuckDB)"
        )
    with connect(s) as db, progress_bars(console, unit="rows", width=22) as bar:

        def on_file(source) -> None:
            bar.restart()
            bar.print(f"loading {source.name} ({', '.join(source.months)})", highlight=False)

        options = {"writers": writers} if writers else {}
        report = load(db, Workspace.from_env(), batch_size=batch_size, progress=bar, on_file=on_file, **options)
    if not report.files_loaded:
        console.print(f"nothing new to load ({len(report.files_skipped)} file(s) already in the graph)")
        return
    title = f"loaded {len(report.files_loaded)} file(s) in {report.seconds:.1f}s{report.retried_note()}"
    table = Table(title=title, title_justify="left")
    table.add_column("step")
    table.add_column("rows", justify="right")
    for step, rows in report.rows_written.items():
        table.add_row(step, f"{rows:,}")
    console.print(table)


def _load_bulk(s, gzip: bool, engine: str = "duckdb", spark_master: str | None = None) -> None:
    """`load --bulk`: phases and CSV rows/s as they happen, then a summary table."""
    import time

    from rich.status import Status

    from graph.bulk import bulk_load, require_local
    from graph.connection import connect
    from shopgraph.workspace import Workspace

    require_local(s)
    if engine == "spark":  # before the server is touched: a missing extra is one line
        from events.spark_session import require_pyspark

        require_pyspark()
    started = time.perf_counter()
    with connect(s) as db, Status("", console=console) as status:

        def say(phase: str) -> None:
            console.print(f"[{time.perf_counter() - started:6.1f}s] {phase}", highlight=False)
            status.update(phase)

        def on_table(name: str, rows: int, seconds: float) -> None:
            rate = f"{rows / seconds:,.0f} rows/s" if seconds > 0 and rows else ""
            console.print(f"          {name:<18} {rows:>13,} rows  {seconds:6.1f}s  {rate}", highlight=False)

        report = bulk_load(
            db,
            s,
            Workspace.from_env(),
            compress=gzip,
            say=say,
            on_table=on_table,
            engine=engine,
            spark_master=spark_master,
        )
    table = Table(
        title=f"bulk-loaded {len(report.files_loaded)} file(s) in {report.seconds:.1f}s", title_justify="left"
    )
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("per second", justify="right")
    for name, rows in report.rows_written.items():
        table.add_row(f"CSV {name}", f"{rows:,}", "", "")
    for phase, seconds in report.phases.items():
        table.add_row(f"phase {phase}", "", f"{seconds:.1f}", "")
    records = report.nodes + report.relationships
    table.add_row("imported nodes", f"{report.nodes:,}", "", "")
    table.add_row("imported relationships", f"{report.relationships:,}", "", "")
    table.add_row(
        "neo4j-admin import",
        f"{records:,}",
        f"{report.import_seconds:.1f}",
        f"{report.records_per_second:,.0f} records/s",
    )
    console.print(table)
