"""The `shopgraph` command line: parses options, shows progress, calls the packages. Nothing more."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from dotenv import load_dotenv
from rich.table import Table

from commands import analyst, browser, embed, pipeline, report, segments
from commands.common import console, optional_db, print_pairs, settings, user_errors
from shopgraph.errors import ShopgraphError

app = typer.Typer(
    help="shopgraph: turn a marketplace clickstream into named, explainable customer segments on Neo4j.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
neo4j_app = typer.Typer(
    help="Run the project's own local Neo4j server (start, stop, status, logs).", no_args_is_help=True
)
db_app = typer.Typer(help="Prepare or empty the Neo4j database (schema, reset).", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(db_app, name="db")
for group in (pipeline, embed, segments, analyst, browser, report):  # one typer sub-app per command group (commands/)
    app.add_typer(group.app)


@app.callback()
def _root() -> None:
    """Reads `.env` from the working directory (if any) before every command."""
    load_dotenv(override=False)


# ---------------------------------------------------------------------------------------
# configuration and the local server
# ---------------------------------------------------------------------------------------
@app.command("config")
@user_errors
def config_cmd() -> None:
    """Print the effective settings (environment, .env, defaults) with the password masked."""
    print_pairs("shopgraph settings", settings().as_table())


@neo4j_app.command("start")
@user_errors
def neo4j_start(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt to answer.")] = 180.0,
) -> None:
    """Provision Neo4j 5.26 (once) and start it in the background; returns when Bolt answers."""
    from graph.server import LocalServer

    server = LocalServer(settings())
    started = server.start(timeout=timeout, say=lambda m: console.print(m, highlight=False))
    status = server.status()
    console.print(("started" if started else "already running") + f": {status.bolt}  browser {status.http}/browser/")


@neo4j_app.command("stop")
@user_errors
def neo4j_stop() -> None:
    """Stop the local Neo4j server cleanly."""
    from graph.server import LocalServer

    console.print("stopped" if LocalServer(settings()).stop() else "not running")


@neo4j_app.command("status")
@user_errors
def neo4j_status() -> None:
    """Say whether the local server runs, its version, Bolt and HTTP addresses and data directory."""
    from graph.server import LocalServer

    print_pairs("local Neo4j", LocalServer(settings()).status().as_table())


@neo4j_app.command("logs")
@user_errors
def neo4j_logs(lines: Annotated[int, typer.Option("--lines", "-n", help="How many lines.")] = 50) -> None:
    """Print the last lines of the local server's log."""
    from graph.server import LocalServer

    sys.stdout.write(LocalServer(settings()).log_tail(lines) + "\n")


@db_app.command("init")
@user_errors
def db_init() -> None:
    """Create the uniqueness constraints (idempotent)."""
    from graph.connection import connect
    from graph.schema import apply_schema

    with connect(settings()) as db:
        count = apply_schema(db)
    console.print(f"schema ready: {count} constraints")


@db_app.command("reset")
@user_errors
def db_reset(
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: delete every node and relationship.")] = False,
) -> None:
    """Empty the database (constraints stay). Needs --yes."""
    from graph.connection import connect
    from graph.schema import reset_database

    if not yes:
        raise ShopgraphError("db reset deletes every node and relationship: add --yes to confirm")
    with connect(settings()) as db:
        reset_database(db)
    console.print("database emptied")


# ---------------------------------------------------------------------------------------
# events: ingest, describe, synth  (events/)
# ---------------------------------------------------------------------------------------
@app.command("ingest")
@user_errors
def ingest_cmd(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE_OR_GLOB...", help="REES46 month files (.csv or .csv.gz), or globs such as 'data/*.csv.gz'."
        ),
    ],
    no_pseudonymise: Annotated[
        bool,
        typer.Option(
            "--no-pseudonymise", help="Store user ids as they are (only for data already anonymised upstream)."
        ),
    ] = False,
    memory_limit: Annotated[str, typer.Option(help="DuckDB memory limit; bigger work spills to disk.")] = "1GB",
) -> None:
    """Validate, clean, pseudonymise and dedupe month files into the event store (a re-run adds nothing)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from events.ingest import expand_paths, ingest_files
    from shopgraph.workspace import Workspace

    workspace = Workspace.from_env()
    paths = expand_paths(files)
    with Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:>13} rows"),
        TextColumn("{task.fields[rate]:>11} rows/s"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:

        def progress_for(path):
            tasks: dict[str, Any] = {}

            def progress(phase: str, done: int, total: int, rows: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(f"{path.name[:24]} {phase}", total=total or 1, rows="", rate="")
                task = bar.tasks[tasks[phase]]
                count = rows if phase == "read" else done
                rate = count / task.elapsed if task.elapsed else 0
                bar.update(tasks[phase], completed=done, total=total or 1, rows=f"{count:,}", rate=f"{rate:,.0f}")

            return progress

        results, removed = ingest_files(
            workspace, paths, pseudonymise=not no_pseudonymise, progress=progress_for, memory_limit=memory_limit
        )
    if removed:
        console.print(f"removed {len(removed)} leftover(s) of an interrupted ingest", highlight=False)
    table = Table(title=f"event store {workspace.store_dir}", title_justify="left")
    for name in ("file", "status", "months", "read", "kept", "rejected", "duplicates", "erased"):
        table.add_column(name, justify="left" if name in ("file", "status", "months") else "right", overflow="fold")
    for r in results:
        e = r.entry
        table.add_row(
            r.path.name,
            r.status,
            ", ".join(e.months),
            *(f"{n:,}" for n in (e.rows_read, e.rows_kept, e.rows_rejected, e.rows_duplicate, e.rows_erased)),
        )
    console.print(table)
    for r in results:
        e = r.entry
        console.print(
            f"{r.path.name}: read {e.rows_read:,} = kept {e.rows_kept:,} + rejected {e.rows_rejected:,}"
            f" + duplicates {e.rows_duplicate:,} + erased {e.rows_erased:,}"
            + (" (already ingested: nothing added)" if r.status != "ingested" else ""),
            highlight=False,
            soft_wrap=True,
        )
        if e.rejects_file and r.status == "ingested":
            console.print(
                f"  rejected rows with line numbers and reasons: {workspace.store_dir / e.rejects_file}",
                highlight=False,
                soft_wrap=True,
            )


@app.command("describe")
@user_errors
def describe_cmd(
    month: Annotated[
        list[str] | None,
        typer.Option("--month", help="Only this month (YYYY-MM); repeat for several. Default: the whole store."),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option("--out", help="Directory for describe.json and the PNG plots. Default: $SHOPGRAPH_HOME/reports."),
    ] = None,
) -> None:
    """Describe the event store: counts, missing values, prices, funnel, users per events, bot-like users."""
    import re
    from pathlib import Path

    from events.describe import describe
    from events.describe_render import plots, tables
    from shopgraph.workspace import Workspace

    for m in month or []:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", m):
            raise ShopgraphError(f"--month {m!r} is not YYYY-MM (e.g. 2019-11)")
    workspace = Workspace.from_env()
    with console.status("describing the event store"):
        description = describe(workspace, month or None)
    for table in tables(description):
        console.print(table)
    out_dir = Path(out) if out else workspace.reports_dir
    json_path = description.save(out_dir / "describe.json")
    pngs = plots(description, out_dir)
    console.print(f"saved {json_path} and {len(pngs)} plots in {out_dir}", highlight=False)


@app.command("synth")
@user_errors
def synth_cmd(
    out: Annotated[str, typer.Option("--out", help="Directory for the month files and personas.csv (created).")],
    users: Annotated[
        int, typer.Option(help="Synthetic users (about 30 events each over seven months).", min=1)
    ] = 10_000,
    months: Annotated[
        str, typer.Option(help="Months to write: 2019-10..2020-04, 2019-11 or 2019-10,2019-12.")
    ] = "2019-10..2020-04",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same bytes.")] = 0,
) -> None:
    """Write realistic synthetic REES46 month files (.csv.gz) with planted personas (personas.csv)."""
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from events.synth import generate

    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]:>12} events"),
        TextColumn("{task.fields[rate]:>10} events/s"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(p) -> None:
            label = "users" if p.stage == "users" else "month files"
            if p.stage not in tasks:
                tasks[p.stage] = bar.add_task(label, total=p.total, events="", rate="")
            task = bar.tasks[tasks[p.stage]]
            rate = p.events / task.elapsed if p.stage == "users" and task.elapsed else 0
            bar.update(
                tasks[p.stage],
                completed=p.done,
                events=f"{p.events:,}",
                rate=f"{rate:,.0f}" if rate else "",
                description=f"{label} {p.month or ''}".strip(),
            )

        result = generate(Path(out), users=users, months=months, seed=seed, progress=progress)
    table = Table(title=f"synthetic months in {result.out_dir}", title_justify="left")
    table.add_column("file")
    table.add_column("events", justify="right")
    for path, (_month, n) in zip(result.files, result.events_per_month.items(), strict=True):
        table.add_row(path.name, f"{n:,}")
    console.print(table)
    console.print(
        f"{result.events:,} events ({', '.join(f'{k} {v:,}' for k, v in result.events_per_type.items())}), "
        f"{result.duplicates:,} planted duplicates, {result.users:,} users, {result.products:,} products "
        f"in {result.seconds:.1f}s ({result.events_per_second:,.0f} events/s)",
        highlight=False,
    )
    console.print(
        f"personas: {result.personas_file}  ("
        + ", ".join(f"{k} {v:,}" for k, v in result.users_per_persona.items())
        + f"; {result.blended_users:,} of them blend a second persona)",
        highlight=False,
    )


# ---------------------------------------------------------------------------------------
# graph: load, forget, export-user  (graph/)
# ---------------------------------------------------------------------------------------
@app.command("load")
@user_errors
def load_cmd(
    batch_size: Annotated[int, typer.Option(help="Rows per UNWIND transaction.", min=100)] = 5_000,
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
) -> None:
    """Load every ingested month file not yet in Neo4j (additive, resumable after a crash)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from graph.connection import connect
    from graph.load import load
    from shopgraph.workspace import Workspace

    s = settings()
    if bulk:
        _load_bulk(s, gzip)
        return
    with (
        connect(s) as db,
        Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>10} rows/s"),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        tasks: dict[str, Any] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total or 1, rate="")
            task = bar.tasks[tasks[step]]
            rate = done / task.elapsed if task.elapsed else 0
            bar.update(tasks[step], completed=done if total else 1, rate=f"{rate:,.0f}")

        def on_file(source) -> None:
            tasks.clear()
            bar.console.print(f"loading {source.name} ({', '.join(source.months)})", highlight=False)

        report = load(db, Workspace.from_env(), batch_size=batch_size, progress=progress, on_file=on_file)
    if not report.files_loaded:
        console.print(f"nothing new to load ({len(report.files_skipped)} file(s) already in the graph)")
        return
    table = Table(title=f"loaded {len(report.files_loaded)} file(s) in {report.seconds:.1f}s", title_justify="left")
    table.add_column("step")
    table.add_column("rows", justify="right")
    for step, rows in report.rows_written.items():
        table.add_row(step, f"{rows:,}")
    console.print(table)


def _load_bulk(s, gzip: bool) -> None:
    """`load --bulk`: phases and CSV rows/s as they happen, then a summary table."""
    import time

    from rich.status import Status

    from graph.bulk import bulk_load, require_local
    from graph.connection import connect
    from shopgraph.workspace import Workspace

    require_local(s)
    started = time.perf_counter()
    with connect(s) as db, Status("", console=console) as status:

        def say(phase: str) -> None:
            console.print(f"[{time.perf_counter() - started:6.1f}s] {phase}", highlight=False)
            status.update(phase)

        def on_table(name: str, rows: int, seconds: float) -> None:
            rate = f"{rows / seconds:,.0f} rows/s" if seconds > 0 and rows else ""
            console.print(f"          {name:<18} {rows:>13,} rows  {seconds:6.1f}s  {rate}", highlight=False)

        report = bulk_load(db, s, Workspace.from_env(), compress=gzip, say=say, on_table=on_table)
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


@app.command("forget")
@user_errors
def forget_cmd(
    user_ids: Annotated[list[int], typer.Argument(help="User ids as the shop knows them (raw ids).")],
    graph: Annotated[bool, typer.Option(help="Also delete the users from Neo4j (--no-graph when it is down).")] = True,
) -> None:
    """GDPR erasure: remove users from the event store, derived tables, vectors, lists and the graph."""
    from graph.erasure import forget
    from shopgraph.workspace import Workspace

    s = settings()
    with optional_db(s, graph) as db:
        report = forget(Workspace.from_env(), user_ids, db)
    rows = [(f"rows removed: {where}", f"{n:,}") for where, n in report.rows_removed.items()]
    rows += [
        ("graph users deleted", f"{report.graph_users_deleted:,}" if graph else "skipped (--no-graph)"),
        ("added to the tombstone list", f"{report.tombstones_added:,}"),
    ]
    print_pairs(f"forgot {report.users} user(s)", rows)


@app.command("export-user")
@user_errors
def export_user_cmd(
    user_id: Annotated[int, typer.Argument(help="The user id as the shop knows it (raw id).")],
    graph: Annotated[bool, typer.Option(help="Include the Neo4j node and relationships.")] = True,
) -> None:
    """GDPR right of access: print everything held about one user as JSON."""
    import json

    from graph.access import export_user
    from shopgraph.workspace import Workspace

    s = settings()
    with optional_db(s, graph) as db:
        data = export_user(Workspace.from_env(), user_id, db)
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@app.command("expire")
@user_errors
def expire_cmd(
    retention_months: Annotated[int, typer.Option(help="Keep this many most recent months of events.", min=1)],
) -> None:
    """Storage limitation: drop event-store months older than the retention period."""
    from events.retention import apply_retention
    from shopgraph.workspace import Workspace

    report = apply_retention(Workspace.from_env(), retention_months)
    if not report.months_dropped:
        console.print(f"nothing to drop: every month is within {retention_months} month(s) of {report.newest_month}")
        return
    console.print(
        f"dropped {', '.join(report.months_dropped)}: {report.rows_dropped:,} events "
        f"(kept the {retention_months} month(s) up to {report.newest_month})"
    )


# ---------------------------------------------------------------------------------------
# features  (features/)
# ---------------------------------------------------------------------------------------
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
) -> None:
    """Compute per-user behavioural metrics over all months (Parquet) and set them on User nodes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from features.calendar import load_calendar
    from features.compute import build_user_features, headline_figures, read_sidecar
    from features.graph_write import count_rows, write_user_features
    from shopgraph.workspace import Workspace

    cal = load_calendar(calendar)
    workspace = Workspace.from_env()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=False
    ) as bar:
        task = bar.add_task("features: reading the event store", total=None)
        table = build_user_features(
            workspace,
            cal,
            memory_limit=memory_limit,
            say=lambda phase: bar.update(task, description=f"features: {phase}"),
        )
        bar.update(task, description=f"features: {table.rows:,} users in {table.seconds:.1f}s", total=1, completed=1)
    console.print(f"wrote {table.path}", highlight=False)
    written = None
    if graph:
        from graph.connection import connect

        total = count_rows(table.path)
        with (
            connect(settings()) as db,
            Progress(
                TextColumn("{task.description:<22}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:>10} rows/s"),
                TimeElapsedColumn(),
                console=console,
            ) as bar,
        ):
            task = bar.add_task("User properties", total=total, rate="")

            def on_batch(n: int) -> None:
                bar.advance(task, n)
                t = bar.tasks[task]
                bar.update(task, rate=f"{t.completed / t.elapsed:,.0f}" if t.elapsed else "")

            written = write_user_features(
                db,
                table.path,
                batch_size=batch_size,
                on_batch=on_batch,
                computed_at=str(read_sidecar(workspace)["computed_at"]),
            )
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
        summary.add_row("users not in the graph", f"{written.missing:,}")
    else:
        summary.add_row("User nodes updated", "skipped (--no-graph)")
    console.print(summary)
    if written is not None and written.missing:
        console.print(
            f"[yellow]{written.missing:,} user(s) have no User node yet[/yellow]: "
            "run `shopgraph load`, then `shopgraph features` again to set theirs"
        )


if __name__ == "__main__":
    app()
