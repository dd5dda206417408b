"""`shopgraph segment`, `shopgraph threshold`, `shopgraph assign`: customer segments (segments/)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from commands.common import console, optional_db, settings, user_errors
from shopgraph.errors import ShopgraphError
from shopgraph.progress import progress_bars
from shopgraph.words import LANGS

app = typer.Typer()

LangOption = Annotated[str, typer.Option("--lang", help="Language of names, traits and actions: en or fr.")]
GraphOption = Annotated[
    bool, typer.Option("--graph/--no-graph", help="Also write the segments to Neo4j (--no-graph when it is down).")
]


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ShopgraphError(f"--lang {lang!r} is not en or fr")
    return lang


def _pct(x: float, lang: str = "en") -> str:
    """A share as the console prints it: ``12.3%``, or ``12,3 %`` in French (the dossier's way)."""
    from reports.i18n import pct

    return pct(x, lang) if lang == "fr" else f"{x:.1%}"


def _count(n: int, lang: str = "en") -> str:
    """A count with its thousands separator: ``1,234``, or ``1 234`` in French."""
    from reports.i18n import num

    return num(n, lang) if lang == "fr" else f"{n:,}"


def segment_table_title(run_id: str, customers: int, lang: str) -> str:
    if lang == "fr":
        return f"segments du run {run_id} ({_count(customers, lang)} clients)"
    return f"segments of run {run_id} ({customers:,} customers)"


SEGMENT_COLUMNS = {  # name: (English, French)
    "id": ("id", "id"),
    "segment": ("segment", "segment"),
    "users": ("users", "clients"),
    "share": ("share", "part"),
    "revenue": ("revenue", "CA"),
    "conversion": ("conversion", "conversion"),
    "top traits": ("top traits", "traits principaux"),
    "actions": ("actions", "actions"),
}


WIDE_TABLE = 140  # below this console width, traits and actions go under the table, one segment at a time


def segment_table(segments: list[dict], lang: str, title: str, width: int | None = None):
    """The segment table (name, size, revenue share, conversion, top traits, actions).

    On a console narrower than ``WIDE_TABLE`` columns (a log, an 80-column terminal) the two
    text columns would be folded a word per line, so the table keeps the figures and each
    segment's top traits (``~``) and actions (``→``) follow it, one per line.
    """
    from rich.console import Group
    from rich.text import Text

    wide = (width or console.width) >= WIDE_TABLE
    table = Table(title=title, title_justify="left", show_lines=wide)
    columns = [
        ("id", "right"),
        ("segment", "left"),
        ("users", "right"),
        ("share", "right"),
        ("revenue", "right"),
        ("conversion", "right"),
    ]
    if wide:
        columns += [("top traits", "left"), ("actions", "left")]
    for name, justify in columns:
        table.add_column(SEGMENT_COLUMNS[name][lang == "fr"], justify=justify, overflow="fold")
    for s in segments:
        row = [
            str(s["segment_id"]),
            s["name"][lang],
            _count(s["size"], lang),
            _pct(s["share"], lang),
            _pct(s["revenue_share"], lang),
            _pct(s["conversion"], lang),
        ]
        if wide:
            row += ["\n".join(s["traits"][lang][:3]), "\n".join(s["actions"][lang])]
        table.add_row(*row)
    if wide:
        return table
    details: list = [table]
    for s in segments:
        details.append(Text(f"{s['segment_id']} · {s['name'][lang]}", style="bold"))
        for trait in s["traits"][lang][:3]:
            details.append(Text(f"  ~ {trait}"))
        for action in s["actions"][lang]:
            details.append(Text(f"  → {action}"))
    return Group(*details)


@app.command("segment")
@user_errors
def segment_cmd(
    k: Annotated[
        int | None,
        typer.Option(
            "--k", help="Number of segments: the k-means / GMM / Ward family at this k (default: Leiden's resolution)."
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="leiden (the default): communities of the customers' nearest-neighbour graph, saved for "
            "look-alikes; kmeans, gmm or ward: that family, k by the stated rule; rule: family and k by the rule.",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Random seed of samples, fits and classifiers (run's and embed's default too).")
    ] = 42,
    sample_size: Annotated[
        int,
        typer.Option(
            help="Users in the model-selection sample (Leiden's resolution table takes at most 10,000 of them).",
            min=200,
        ),
    ] = 20_000,
    lang: LangOption = "en",
    graph: GraphOption = True,
) -> None:
    """Cluster users on metrics and graph vectors, choose method and k, name and profile the segments."""
    from features.compute import read_sidecar
    from segments.segmentation import segment
    from shopgraph.workspace import Workspace

    lang = _check_lang(lang)
    workspace = Workspace.from_env()
    read_sidecar(workspace)  # no feature table: one line before any progress bar
    s = settings()
    with progress_bars(console) as bar:
        run = segment(workspace, k=k, method=method, seed=seed, sample_size=sample_size, progress=bar)
    console.print(_selection_table(run.selection))
    _print_run(workspace, run, lang)
    if graph:
        run_dir = run.run_dir
        del run  # the write-back starts from what the segmentation kept, as in `run`
        _write_back(s, workspace, run_dir)
    else:
        console.print("Neo4j: skipped (--no-graph)")


SELECTION_COLUMNS = (
    "method",
    "k",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "stability",
    "separation",
    "smallest_share",
    "eligible",
    "chosen",
)


def _selection_table(selection) -> Table:
    """The best eight candidates of the model selection, eligible ones first, by silhouette."""
    best = selection.sort_values(["eligible", "silhouette"], ascending=[False, False]).head(8)
    sel = Table(title="model selection (best 8; all in selection.csv)", title_justify="left")
    for col in SELECTION_COLUMNS:
        sel.add_column(col.replace("_", " "), justify="left" if col == "method" else "right")
    for row in best.itertuples():
        sel.add_row(
            row.method,
            str(row.k),
            f"{row.silhouette:.3f}",
            f"{row.calinski_harabasz:,.0f}",
            f"{row.davies_bouldin:.2f}",
            f"{row.stability:.2f}",
            f"{row.separation:.2f}",
            _pct(row.smallest_share),
            "yes" if row.eligible else "no",
            "◀" if row.chosen else "",
        )
    return sel


def _print_run(workspace, run, lang: str) -> None:
    """The choice, the threshold and the classifier, the segment and coverage tables, the migration, the folder."""
    from segments.coverage import run_coverage

    console.print(f"chosen: {run.method}, k = {run.k} ({run.reason})", highlight=False, soft_wrap=True)
    t = run.threshold
    console.print(
        f"activity threshold: {t['threshold']} events (agreement level {t['level']}"
        f"{' met' if t['met'] else ' NOT met'}); classifier {run.record['classifier']['kept']}, "
        f"test macro-F1 {run.record['classifier']['test_macro_f1']:.3f}",
        highlight=False,
    )
    console.print(segment_table(run.segments, lang, segment_table_title(run.run_id, run.users, lang)))
    console.print(coverage_table(run_coverage(workspace, run.run_dir), lang))
    if run.migration is not None:
        console.print(migration_table(run.migration, run.previous_run_id))
    console.print(f"run folder: {run.run_dir}", highlight=False, soft_wrap=True)


def _write_back(s, workspace, run_dir) -> None:
    """The run's segments onto the graph's customers, then its look-alike graph, each with a progress bar."""
    from segments.similar import write_similar
    from segments.writeback import write_run
    from shopgraph.memory import release_freed_memory

    release_freed_memory()
    with optional_db(s, True) as db, progress_bars(console, unit="rows") as bar:
        report = write_run(db, workspace, run_dir, progress=bar)
        write_similar(db, run_dir, progress=bar)
    console.print(
        f"Neo4j: {report.matched:,} users received their segment "
        f"({report.not_in_graph:,} not in the graph, {report.missing_from_run:,} graph users put "
        "in segment 0)",
        highlight=False,
    )


def coverage_table(cover: dict, lang: str) -> Table:
    """Customers and revenue with a segment, with a likely segment only, with neither (segments/coverage.py)."""
    from segments.coverage import COVERAGE_LABELS

    fr = lang == "fr"
    title = "couverture : clients et chiffre d'affaires" if fr else "coverage: customers and revenue"
    table = Table(title=title, title_justify="left")
    for name in ("", "clients" if fr else "customers", "part" if fr else "share", "CA" if fr else "revenue"):
        table.add_column(name, justify="left" if not name else "right")
    for key, labels in COVERAGE_LABELS.items():
        row = cover[key]
        table.add_row(
            labels[1 if fr else 0],
            _count(row["customers"], lang),
            _pct(row["customer_share"], lang),
            _pct(row["revenue_share"], lang),
        )
    return table


def migration_table(migration, previous_run_id: str | None) -> Table:
    pivot = migration.pivot_table(
        index="previous_segment_id", columns="segment_id", values="users", fill_value=0, aggfunc="sum"
    )
    table = Table(
        title=f"migration from run {previous_run_id} (rows: previous segment, columns: new)", title_justify="left"
    )
    table.add_column("from \\ to", justify="right")
    for c in pivot.columns:
        table.add_column(str(c), justify="right")
    for idx, row in pivot.iterrows():
        table.add_row(str(idx), *(f"{int(v):,}" for v in row))
    return table


@app.command("threshold")
@user_errors
def threshold_cmd() -> None:
    """Print the activity-threshold curve of the current run: agreement, kappa and metric errors per n events."""
    from segments.runs import read_json, require_current
    from shopgraph.workspace import Workspace

    run_dir = require_current(Workspace.from_env())
    record = read_json(run_dir / "threshold.json")
    table = Table(
        title=f"activity threshold of run {run_dir.name}: first n events of "
        f"{record.get('study_users', 0)} users with {record.get('long_history_events', '-')}+ events",
        title_justify="left",
    )
    table.add_column("n events", justify="right")
    table.add_column("agreement", justify="right")
    table.add_column("kappa", justify="right")
    metrics = [
        key.removeprefix("median_abs_error_")
        for key in (record["curve"][0] if record["curve"] else {})
        if key.startswith("median_abs_error_")
    ]
    for m in metrics:
        table.add_column(f"median |error| {m}", justify="right")
    for point in record["curve"]:
        kappa = point.get("kappa")  # runs before the chance-corrected agreement have none
        table.add_row(
            str(point["n"]),
            f"{point['agreement']:.2f}",
            "-" if kappa is None else f"{kappa:.2f}",
            *(f"{point['median_abs_error_' + m]:.3g}" for m in metrics),
        )
    console.print(table)
    console.print(
        f"threshold: {record['threshold']} events — {record.get('rule', '')}; "
        f"{'met' if record['met'] else 'not met'}. {record.get('note', '')}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("assign")
@user_errors
def assign_cmd(graph: GraphOption = True) -> None:
    """Label users who arrived or changed since the current run with its classifier (no re-clustering)."""
    from segments.assigning import classify_new_customers
    from segments.runs import require_current
    from segments.writeback import keep_written_before_assign
    from shopgraph.workspace import Workspace

    workspace = Workspace.from_env()
    require_current(workspace)  # no run yet: one line before any progress bar
    s = settings()
    keep_written_before_assign(workspace)
    with progress_bars(console) as bar:
        report = classify_new_customers(workspace, progress=bar)
    table = Table(title=f"assigned with run {report.run_id}", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in (
        ("new users", report.new_users),
        ("changed users", report.changed_users),
        ("below the activity threshold (segment 0)", report.below_threshold),
        ("low confidence", report.low_confidence),
    ):
        table.add_row(label, f"{value:,}")
    for name, n in report.by_segment.items():
        table.add_row(f"  → {name}", f"{n:,}")
    console.print(table)
    if graph and (report.new_users or report.changed_users):
        from segments.writeback import write_run

        with optional_db(s, True) as db:
            written = write_run(db, workspace, require_current(workspace))
        sent = "" if written.refreshed is None else f" ({written.refreshed:,} changed assignments sent)"
        console.print(f"Neo4j: {written.matched:,} users hold the run's segments{sent}", highlight=False)
