"""`shopgraph ingest`, `describe`, `synth`: the event store and synthetic month files (events/)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from commands.common import (
    ENGINE_OPTION,
    NO_PSEUDONYMISE_OPTION,
    SPARK_MASTER_OPTION,
    check_engine,
    console,
    user_errors,
)
from shopgraph.errors import ShopgraphError
from shopgraph.progress import progress_bars

app = typer.Typer()


@app.command("ingest")
@user_errors
def ingest_cmd(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE_OR_GLOB...",
            help="REES46 month files (.csv or .csv.gz), or globs such as 'data/*.csv.gz'; with --engine spark also "
            "lake URIs ('s3a://bucket/months/*.csv.gz', gs://, abfss://).",
        ),
    ],
    no_pseudonymise: Annotated[bool, NO_PSEUDONYMISE_OPTION] = False,
    memory_limit: Annotated[str, typer.Option(help="DuckDB memory limit; bigger work spills to disk.")] = "1GB",
    engine: Annotated[str, ENGINE_OPTION] = "duckdb",
    spark_master: Annotated[str | None, SPARK_MASTER_OPTION] = None,
) -> None:
    """Validate, clean, pseudonymise and dedupe month files into the event store (a re-run adds nothing)."""
    from events.ingest import STEPS, expand_paths, ingest_files
    from shopgraph.workspace import Workspace

    check_engine(engine)
    workspace = Workspace.from_env()
    if engine == "spark":  # lake URIs (s3a://, gs://, abfss://) too, through the cluster's Hadoop
        from events.spark_ingest import expand_sources

        paths = expand_sources(files, spark_master)
    else:
        paths = expand_paths(files)
    with progress_bars(console, units=STEPS, width=34) as bar:

        def progress(path):
            return bar.scoped(path.name[:24])

        if engine == "spark":
            from events.spark_ingest import ingest_files_spark

            results, removed = ingest_files_spark(
                workspace, paths, pseudonymise=not no_pseudonymise, progress=progress, master=spark_master
            )
        else:
            results, removed = ingest_files(
                workspace, paths, pseudonymise=not no_pseudonymise, progress=progress, memory_limit=memory_limit
            )
    if removed:
        console.print(f"removed {len(removed)} leftover(s) of an interrupted ingest", highlight=False)
    _print_ingested(results, workspace)


def _print_ingested(results, workspace) -> None:
    """The event store's table of what each file gave, then each file's balance on a line of its own."""
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
    scale: Annotated[
        str,
        typer.Option(
            help="personas (planted personas, --users) or rees46 (REES46-sized months, fast, no personas; "
            "--events, --events-later)."
        ),
    ] = "personas",
    events: Annotated[
        float, typer.Option(help="--scale rees46: events of the first month (2019-10), e.g. 42e6.", min=1_000)
    ] = 42e6,
    events_later: Annotated[
        float, typer.Option(help="--scale rees46: events of each later month, e.g. 60e6.", min=1_000)
    ] = 60e6,
) -> None:
    """Write realistic synthetic REES46 month files (.csv.gz) with planted personas (personas.csv).

    ``--scale rees46`` writes months at the real files' size instead (≈ 42 M events for
    2019-10, ≈ 60 M after), without personas.
    """
    from pathlib import Path

    if scale == "rees46":
        _synth_rees46(Path(out), months, seed, events, events_later)
        return
    if scale != "personas":
        raise ShopgraphError(f"--scale {scale!r}: choose personas or rees46")
    from events.synth import generate

    with progress_bars(console, units={"users": "users", "month files": "files"}, width=16) as bar:

        def progress(p) -> None:
            step = "users" if p.stage == "users" else "month files"
            bar(step, p.done, p.total)
            bar.describe(step, f"{step} {p.month or ''}".strip())
            bar.note(step, f"{p.events:,} events")

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


def _synth_rees46(out, months: str, seed: int, events: float, events_later: float) -> None:
    """``synth --scale rees46``: the months at REES46 size, one progress bar per month, a table of what was written."""
    from events.synth.rees46 import generate_rees46

    with progress_bars(console, unit="events", width=12) as bar:

        def progress(p) -> None:
            bar(p.month, p.done, p.total)

        result = generate_rees46(out, months, events, events_later, seed=seed, progress=progress)
    table = Table(title=f"REES46-sized synthetic months in {result.out_dir}", title_justify="left")
    for column in ("file", "events", "customers", "sessions", "MiB"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for path, counts in zip(result.files, result.months.values(), strict=True):
        table.add_row(
            path.name,
            f"{counts['events']:,}",
            f"{counts['customers']:,}",
            f"{counts['sessions']:,}",
            f"{path.stat().st_size / 2**20:,.0f}",
        )
    console.print(table)
    console.print(
        f"{result.events:,} events ({', '.join(f'{k} {v:,}' for k, v in result.events_per_type.items() if v)}), "
        f"{result.products:,} products in {result.seconds:.1f}s ({result.events / result.seconds:,.0f} events/s)",
        highlight=False,
    )
