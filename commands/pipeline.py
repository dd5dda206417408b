"""`shopgraph run` (month files to named segments and the dossier) and `shopgraph demo` (on synthetic months)."""

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
    settings,
    user_errors,
)
from shopgraph.errors import ShopgraphError
from shopgraph.progress import progress_bars
from shopgraph.words import LANGS

app = typer.Typer()


def _run(
    files: list[str],
    retrain: bool,
    no_pseudonymise: bool,
    lang: str,
    seed: int,
    engine: str = "duckdb",
    spark_master: str | None = None,
    load_path: str = "auto",
    check_resources: bool = True,
    method: str | None = None,
) -> None:
    """Check the options, expand the files, run the pipeline under one progress display, print what happened."""
    from pipeline.run import RunOptions

    _check_options(lang, engine, load_path, method)
    s = settings()
    paths = _source_paths(files, engine, spark_master)
    options = RunOptions(
        retrain=retrain,
        pseudonymise=not no_pseudonymise,
        lang=lang,
        seed=seed,
        engine=engine,
        spark_master=spark_master,
        load_path=load_path,
        check_resources=check_resources,
        method=method,
    )
    report = _run_with_progress(s, paths, options)
    _print_outcome(s, report, lang)


def _check_options(lang: str, engine: str, load_path: str, method: str | None) -> None:
    """Every option checked before any work: a wrong one, or a missing Spark extra, is one line."""
    from graph.bulk import LOAD_PATHS
    from segments.segmentation import check_method

    if lang not in LANGS:
        raise ShopgraphError(f"--lang {lang!r}: choose en or fr")
    check_engine(engine)
    if load_path not in LOAD_PATHS:
        raise ShopgraphError(f"--load {load_path!r}: choose one of {', '.join(LOAD_PATHS)}")
    check_method(method)
    if engine == "spark":
        from events.spark_session import require_pyspark

        require_pyspark()


def _source_paths(files: list[str], engine: str, spark_master: str | None) -> list:
    """The month files the arguments name; with Spark, lake URIs (s3a://, gs://, abfss://) too."""
    if engine == "spark":
        from events.spark_ingest import expand_sources

        return expand_sources(files, spark_master)
    from events.ingest import expand_paths

    return expand_paths(files)


def _run_with_progress(s, paths: list, options):
    """The pipeline under a run bar (one step after another) and a detail bar (the current step's work)."""
    from graph.connection import connect
    from pipeline.run import STEPS, RunHooks, run_pipeline

    with connect(s) as db, progress_bars(console, width=44, rates=False) as bar:

        def on_step(step: str, index: int, total: int) -> None:
            bar("run", index - 1, total)
            bar.describe("run", f"step {index}/{total}: {step}")
            bar.remove("detail")

        def say(line: str) -> None:
            console.print(line, highlight=False, soft_wrap=True)

        hooks = RunHooks(on_step=on_step, progress=bar.one_bar("detail", prefix="  "), say=say)
        report = run_pipeline(s.workspace, db, paths, options, hooks)
        bar("run", len(STEPS), len(STEPS))
        bar.describe("run", "done")
        bar.remove("detail")
    return report


def _print_outcome(s, report, lang: str) -> None:
    """What ran, the look-alike index's state, the decision, the segment and coverage tables, where things are."""
    console.print(_steps_table(report))
    if report.lookalike_index and report.lookalike_index != "ONLINE":
        console.print(
            f"look-alike index: Neo4j is building it ({report.lookalike_index} of its scan, on one thread); "
            "`shopgraph query similar_customers` answers once it is online, everything else now",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"segmentation: {report.decision}", highlight=False, soft_wrap=True)
    if report.run_dir is not None:
        from commands.segments import coverage_table
        from segments.coverage import run_coverage

        console.print(_segment_table(s.workspace, report.run_dir, lang))
        console.print(coverage_table(run_coverage(s.workspace, report.run_dir), lang))
    for path in report.report_paths:
        console.print(f"report: {path}", highlight=False, soft_wrap=True)
    console.print(_disk_line(s), highlight=False, soft_wrap=True)
    console.print(
        f"explore it in Neo4j Browser: http://127.0.0.1:{s.http_port}/browser/ "
        f"(user {s.user}, password: see `shopgraph config`)",
        highlight=False,
    )


def _steps_table(report) -> Table:
    """One row per step: its status, what it did, its seconds and its peak memory."""
    steps = Table(title="what ran", title_justify="left")
    for column in ("step", "status", "what", "seconds", "peak MiB"):
        steps.add_column(column, justify="right" if column in ("seconds", "peak MiB") else "left", overflow="fold")
    for outcome in report.steps:
        style = "green" if outcome.status == "ran" else "dim"
        steps.add_row(
            outcome.step,
            f"[{style}]{outcome.status}[/{style}]",
            outcome.detail,
            f"{outcome.seconds:.1f}",
            f"{outcome.peak_mib:,.0f}",
        )
    return steps


def _disk_line(s) -> str:
    """What the workspace holds on disk after the run (the graph's size when its server is the local one)."""
    sizes = s.workspace.sizes()
    parts = [f"{name} {size / 2**20:,.1f} MiB" for name, size in sizes.items()]
    elsewhere = "" if "Neo4j data" in sizes else f" (Neo4j's data is with the server at {s.uri})"
    return f"on disk in {s.workspace.home}: " + ", ".join(parts) + elsewhere


def _segment_table(workspace, run_dir, lang: str):
    """The run's segment table, its figures from its assignments as they are now."""
    from commands.segments import segment_table, segment_table_title
    from segments.coverage import NO_MEMBERS, segment_figures_now
    from segments.runs import read_json

    segments = read_json(run_dir / "segments.json")
    now = segment_figures_now(workspace, run_dir)
    for s in segments:
        s.update(now.get(int(s["segment_id"]), NO_MEMBERS))
    total = sum(f["size"] for f in now.values())
    return segment_table(segments, lang, segment_table_title(run_dir.name, total, lang))


@app.command("run")
@user_errors
def run_cmd(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE_OR_GLOB...",
            help="REES46 month files (.csv or .csv.gz), or globs such as 'data/*.csv.gz'; with --engine spark also "
            "lake URIs ('s3a://bucket/months/*.csv.gz', gs://, abfss://).",
        ),
    ],
    retrain: Annotated[
        bool,
        typer.Option(
            "--retrain",
            help="Retrain the embeddings and the segmentation even "
            "when the drift figures say the trained model still fits.",
        ),
    ] = False,
    no_pseudonymise: Annotated[bool, NO_PSEUDONYMISE_OPTION] = False,
    lang: Annotated[str, typer.Option(help="Language of the segment table and the report: en or fr.")] = "en",
    seed: Annotated[int, typer.Option(help="Random seed of the embeddings and the segmentation.")] = 42,
    engine: Annotated[str, ENGINE_OPTION] = "duckdb",
    spark_master: Annotated[str | None, SPARK_MASTER_OPTION] = None,
    load_path: Annotated[
        str,
        typer.Option(
            "--load",
            help="How the load step writes the graph: auto (the neo4j-admin bulk import for a large first "
            "history into an empty graph of the local server, else Bolt), bolt or bulk.",
        ),
    ] = "auto",
    no_resource_check: Annotated[
        bool,
        typer.Option(
            "--no-resource-check",
            help="Start even when the forecast of disk and memory printed first says the machine cannot hold the run.",
        ),
    ] = False,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="The segmentation's method, as `segment --method`: leiden (the default), kmeans, gmm, ward, or "
            "rule (family and k by the stated rule). A method other than the current run's retrains.",
        ),
    ] = None,
) -> None:
    """Month files to named segments and the report: ingest, load, features, embed, segment, report.

    Only the steps whose inputs changed run; ``--engine spark`` runs ingest and features on Spark.
    Before any work it prints the disk and memory it expects to need, and stops when they do not fit.
    """
    _run(files, retrain, no_pseudonymise, lang, seed, engine, spark_master, load_path, not no_resource_check, method)


@app.command("demo")
@user_errors
def demo_cmd(
    users: Annotated[int, typer.Option(help="Synthetic users to generate.", min=100)] = 3_000,
    months: Annotated[
        str, typer.Option(help="Months to generate (the last one arrives as a new month).")
    ] = "2019-10..2020-01",
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic data.")] = 7,
    lang: Annotated[str, typer.Option(help="Language of the segment table and the report: en or fr.")] = "en",
) -> None:
    """Synthetic months end to end: `run` on all months but the last, then the last one as a new month."""
    from events.synth import generate, month_file_name, parse_months
    from graph.server import LocalServer

    s = settings()
    month_list = parse_months(months)
    if len(month_list) < 2:
        raise ShopgraphError(f"--months {months!r}: the demo needs at least two months (one arrives later)")
    console.rule("[bold]the local Neo4j")
    if s.is_local:
        LocalServer(s).start(say=lambda m: console.print(m, highlight=False))
    data = s.workspace.home / "demo" / f"synthetic-{users}-{months}-{seed}"
    console.rule("[bold]synthetic months")
    if not (data / "personas.csv").exists():
        with console.status(f"generating {users:,} users over {len(month_list)} months"):
            result = generate(data, users=users, months=months, seed=seed)
        console.print(
            f"{result.events:,} events, {result.users:,} users in {result.seconds:.1f}s → {data}", highlight=False
        )
    else:
        console.print(f"reusing {data}", highlight=False)
    files = [data / month_file_name(m) for m in month_list]
    console.rule(f"[bold]shopgraph run: {len(files) - 1} month(s)")
    _run([str(p) for p in files[:-1]], retrain=False, no_pseudonymise=False, lang=lang, seed=42)
    console.rule(f"[bold]shopgraph run: a new month arrives ({files[-1].name})")
    _run([str(files[-1])], retrain=False, no_pseudonymise=False, lang=lang, seed=42)
