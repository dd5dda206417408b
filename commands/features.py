"""`shopgraph features`: per-user behavioural metrics, in Parquet and on User nodes (features/)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from commands.common import ENGINE_OPTION, SPARK_MASTER_OPTION, check_engine, console, settings, user_errors
from shopgraph.progress import progress_bars

app = typer.Typer()


@app.command("features")
@user_errors
def features_cmd(
    calendar: Annotated[
        str | None,
        typer.Option(
            metavar="PATH",
            help="Marketing calendar CSV (name,start,end,kind) of promotion periods; default: the "
            "shipped 2019-10..2020-04 calendar.",
        ),
    ] = None,
    graph: Annotated[
        bool,
        typer.Option("--graph/--no-graph", help="Also set the registry's graph metrics on (:User) nodes in Neo4j."),
    ] = True,
    batch_size: Annotated[int, typer.Option(help="Users per Neo4j write transaction.", min=100)] = 5_000,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            help="DuckDB memory limit, e.g. 6GB (env SHOPGRAPH_DUCKDB_MEMORY; default 6GB); it spills beyond."
        ),
    ] = None,
    engine: Annotated[str, ENGINE_OPTION] = "duckdb",
    spark_master: Annotated[str | None, SPARK_MASTER_OPTION] = None,
) -> None:
    """Compute per-user behavioural metrics over all months (Parquet) and set them on User nodes."""
    from features.calendar import load_calendar
    from features.compute import build_user_features, read_sidecar
    from shopgraph.workspace import Workspace

    check_engine(engine)
    cal = load_calendar(calendar)
    workspace = Workspace.from_env()
    with progress_bars(console, unit="users", width=34) as bar:
        bar.describe("features", "features: reading the event store")

        def say(phase: str) -> None:
            bar.describe("features", f"features: {phase}")

        if engine == "spark":
            from features.spark_features import build_user_features_spark

            table = build_user_features_spark(workspace, cal, say=say, master=spark_master)
        else:
            table = build_user_features(workspace, cal, memory_limit=memory_limit, say=say)
        bar("features", table.rows, table.rows)
        bar.describe("features", f"features: {table.rows:,} users in {table.seconds:.1f}s")
    console.print(f"wrote {table.path}", highlight=False)
    written = _write_graph(table.path, batch_size, str(read_sidecar(workspace)["computed_at"])) if graph else None
    _print_summary(table, written)


def _write_graph(path, batch_size: int, computed_at: str):
    """Set the table's graph metrics on the User nodes (those whose values moved), with a bar of the rows sent."""
    from features.graph_write import write_user_features
    from graph.connection import connect

    with connect(settings()) as db, progress_bars(console, unit="rows", width=22) as bar:
        return write_user_features(
            db,
            path,
            batch_size=batch_size,
            progress=lambda done, total: bar("User properties", done, total),
            computed_at=computed_at,
        )


def _print_summary(table, written) -> None:
    """The headline figures of the feature table, the User nodes updated, and what to run for the others."""
    from features.compute import headline_figures

    summary = Table(
        title=f"user features ({table.window.start:%Y-%m-%d} .. {table.window.end:%Y-%m-%d}, "
        f"{len(table.window.months)} month(s))",
        show_header=False,
        title_justify="left",
    )
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    for label, value in headline_figures(table.path):
        summary.add_row(label, "-" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:,.3f}")
    if written is not None:
        summary.add_row("User nodes updated", f"{written.matched:,}")
        summary.add_row("users unchanged, not sent", f"{written.unchanged:,}")
        summary.add_row("users not in the graph", f"{written.missing:,}")
    else:
        summary.add_row("User nodes updated", "skipped (--no-graph)")
    console.print(summary)
    if written is not None and written.missing:
        console.print(
            f"[yellow]{written.missing:,} user(s) have no User node yet[/yellow]: "
            "run `shopgraph load`, then `shopgraph features` again to set theirs"
        )
