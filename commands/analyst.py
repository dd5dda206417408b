"""Commands for analysts and marketers: the query library, recommendations and audience exports."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from commands.common import console, print_pairs, settings, user_errors
from shopgraph.errors import ShopgraphError
from shopgraph.files import atomic_write
from shopgraph.progress import progress_bars

app = typer.Typer()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return str(value)


def _csv_value(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return "" if value is None else value


def write_rows_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    """The rows as CSV with a header (atomic)."""
    columns = list(rows[0]) if rows else []
    with atomic_write(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(row[c]) for c in columns])
    return path


@app.command("queries")
@user_errors
def queries_cmd() -> None:
    """List the analyst queries with the question each answers and its parameters."""
    from graph.queries import library

    table = Table(
        title="analyst queries (run one with `shopgraph query NAME --param key=value`)",
        title_justify="left",
        show_lines=True,
    )
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("question")
    table.add_column("parameters")
    table.add_column("cost", no_wrap=True)
    for query in library().values():
        table.add_row(query.name, query.question, "\n".join(p.describe() for p in query.params) or "-", query.cost)
    console.print(table)


@app.command("query")
@user_errors
def query_cmd(
    name: Annotated[str, typer.Argument(help="The query's name (see `shopgraph queries`).")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=VALUE",
            help='A parameter of the query, e.g. --param segment="Window shoppers"; repeat for several.',
        ),
    ] = None,
    csv_file: Annotated[
        str | None, typer.Option("--csv", metavar="FILE", help="Also write every row to this CSV file.")
    ] = None,
    max_rows: Annotated[int, typer.Option(help="Rows to print (the CSV gets all).", min=1)] = 50,
) -> None:
    """Run one analyst query with typed parameters and print its answer as a table."""
    from neo4j.exceptions import ClientError

    from graph.connection import connect
    from graph.queries import bind, find, parse_pairs

    query = find(name)
    values = bind(query, parse_pairs(param or []))
    with connect(settings()) as db:
        try:
            rows = db.run(query.catalog_name, **values)
        except ClientError as exc:  # a value the query cannot take (k=-1 in a LIMIT): the analyst's to change
            given = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in values.items())
            raise ShopgraphError(f"query {query.name} ({given}): Neo4j refused it: {exc.message}") from None
    table = Table(title=f"{query.name}: {query.question}", title_justify="left")
    columns = list(rows[0]) if rows else []
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows[:max_rows]:
        table.add_row(*(_cell(row[c]) for c in columns))
    console.print(table)
    console.print(f"{len(rows):,} row(s)" + (f", {max_rows} shown" if len(rows) > max_rows else ""), highlight=False)
    if csv_file:
        console.print(f"wrote {write_rows_csv(rows, Path(csv_file))}", highlight=False)


INCLUDE_LIKELY = typer.Option(
    "--include-likely",
    help="Also the customers below the activity threshold whose likely segment it is (marked likely).",
)


@app.command("recommend")
@user_errors
def recommend_cmd(
    user_id: Annotated[
        int | None,
        typer.Argument(help="The customer's id as the shop knows it (raw id; pseudonymised with the shop's key)."),
    ] = None,
    k: Annotated[int, typer.Option("-k", help="How many products.", min=1)] = 10,
    pseudonym: Annotated[
        bool,
        typer.Option("--pseudonym", help="USER_ID is already the stored pseudonym (as the query library shows it)."),
    ] = False,
    segment: Annotated[
        str | None, typer.Option("--segment", help="Batch mode: the top-k for every customer of this current segment.")
    ] = None,
    out: Annotated[
        str | None,
        typer.Option("--out", metavar="FILE", help="Batch mode: CSV to write (default $SHOPGRAPH_HOME/exports/)."),
    ] = None,
    include_likely: Annotated[bool, INCLUDE_LIKELY] = False,
) -> None:
    """Recommend products to a customer from their segment's purchases (lift and recency), or to a whole segment."""
    from graph.connection import connect
    from graph.recommend import Recommender
    from shopgraph.workspace import Workspace

    if (user_id is None) == (segment is None):
        raise ShopgraphError("give a USER_ID or --segment NAME (one of them)")
    if include_likely and segment is None:
        raise ShopgraphError("--include-likely goes with --segment NAME")
    workspace = Workspace.from_env()
    with connect(settings()) as db:
        recommender = Recommender(db, k=k)
        if segment is not None:
            _recommend_segment(workspace, recommender, segment, out, include_likely)
            return
        assert user_id is not None
        result, details = _recommend_customer(workspace, db, recommender, user_id, pseudonym)
    table = Table(title=f"top {k} for customer {user_id} (segment: {result.segment or 'none'})", title_justify="left")
    for column in ("rank", "product_id", "brand", "category", "price", "score", "from"):
        table.add_column(column, justify="right" if column in ("rank", "price", "score") else "left")
    for item in result.items:
        info = details.get(item.product_id, {})
        table.add_row(
            str(item.rank),
            str(item.product_id),
            info.get("brand") or "",
            info.get("category") or "",
            _cell(info.get("price")),
            f"{item.score:.3g}",
            item.source,
        )
    console.print(table)


def _recommend_segment(workspace, recommender, segment: str, out: str | None, include_likely: bool) -> None:
    """Batch mode: the top-k of every customer of the segment to a CSV, and what the lists came from."""
    from graph.audience import exports_dir, slug
    from graph.recommend import write_batch

    with progress_bars(console, unit="customers", width=9) as bar:
        results = recommender.for_segment(segment, bar, include_likely=include_likely)
    path = Path(out) if out else exports_dir(workspace) / f"recommendations-{slug(segment)}.csv"
    write_batch(results, path, likely_column=include_likely, segment=segment)
    sources: dict[str, int] = {}
    for result in results:
        for item in result.items:
            sources[item.source] = sources.get(item.source, 0) + 1
    print_pairs(
        f"recommendations for {segment!r}",
        [
            ("customers", f"{len(results):,}"),
            ("products per customer", str(recommender.k)),
            *((f"from the {name}", f"{n:,}") for name, n in sorted(sources.items())),
            ("written to", str(path)),
        ],
    )


def _recommend_customer(workspace, db, recommender, user_id: int, pseudonym: bool):
    """One customer's top-k and the details of its products; a customer not in the graph is one clear line."""
    from graph.recommend import stored_id

    stored = user_id if pseudonym else stored_id(workspace, user_id)
    try:
        [result] = recommender.for_users([stored])
    except ShopgraphError:
        kind = "stored pseudonym" if pseudonym else "shop id"
        hint = (
            "drop --pseudonym to give the shop's id"
            if pseudonym
            else "use --pseudonym for an id the query library printed"
        )
        raise ShopgraphError(
            f"no customer with {kind} {user_id} in the graph (not loaded yet, or erased); {hint}"
        ) from None
    ids = [i.product_id for i in result.items]
    details = {r["product_id"]: r for r in db.run("recommend/product_details", product_ids=ids)} if ids else {}
    return result, details


@app.command("export-segment")
@user_errors
def export_segment_cmd(
    name: Annotated[str, typer.Argument(help="The current segment's English or French name.")],
    fmt: Annotated[str, typer.Option("--format", help="Output format (csv).")] = "csv",
    out: Annotated[
        str | None, typer.Option("--out", metavar="FILE", help="Where to write (default $SHOPGRAPH_HOME/exports/).")
    ] = None,
    consented: Annotated[
        str | None,
        typer.Option(
            "--consented",
            metavar="FILE",
            help="CSV of the shop's raw customer ids that accepted marketing: export only those, with their raw ids.",
        ),
    ] = None,
    k: Annotated[int, typer.Option("-k", help="Recommended products per customer.", min=1)] = 10,
    include_likely: Annotated[bool, INCLUDE_LIKELY] = False,
) -> None:
    """Write a segment's customers with segment, confidence and top recommendations (newsletter / promotion tools)."""
    from graph.audience import export_segment
    from graph.connection import connect
    from shopgraph.workspace import Workspace

    if fmt != "csv":
        raise ShopgraphError(f"--format {fmt!r}: only csv is supported")
    with connect(settings()) as db, console.status("exporting the segment"):
        report = export_segment(
            db,
            Workspace.from_env(),
            name,
            Path(out) if out else None,
            Path(consented) if consented else None,
            k=k,
            include_likely=include_likely,
        )
    rows = [("customers in the segment", f"{report.segment_customers:,}")]
    if include_likely:
        rows.append(("below the threshold, likely in it", f"{report.likely_customers:,}"))
    if report.erased_skipped:
        rows.append(("erased customers left out", f"{report.erased_skipped:,}"))
    if report.consented_ids is not None:
        rows += [
            ("ids in the consent file", f"{report.consented_ids:,}"),
            ("of them not in this segment", f"{report.consented_not_in_segment:,}"),
        ]
    rows += [
        ("rows written", f"{report.rows:,}"),
        ("ids", "the shop's raw ids (customer_id) + pseudonyms" if consented else "pseudonyms (user_id)"),
        ("file", str(report.path)),
    ]
    print_pairs(f"export of {name!r}", rows)


@app.command("export-profiles")
@user_errors
def export_profiles_cmd(
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    k_anonymity: Annotated[
        int, typer.Option("--k-anonymity", help="Suppress every cell describing fewer than this many customers.", min=1)
    ] = 10,
    out: Annotated[
        str | None, typer.Option("--out", metavar="FILE", help="Where to write (default $SHOPGRAPH_HOME/exports/).")
    ] = None,
) -> None:
    """Write the current segments' profiles for other teams, k-anonymous (small cells suppressed)."""
    from graph.audience import export_profiles
    from graph.connection import connect
    from shopgraph.workspace import Workspace

    with connect(settings()) as db:
        report = export_profiles(db, Workspace.from_env(), fmt, k_anonymity, Path(out) if out else None)
    console.print(f"wrote {report.segments} segment profile(s) to {report.path} (k = {report.k})", highlight=False)
    if report.suppressed:
        console.print(f"suppressed {len(report.suppressed)} cell group(s) describing fewer than {report.k} customers:")
        for line in report.suppressed:
            console.print(f"  {line}", highlight=False, soft_wrap=True)
    else:
        console.print(f"nothing suppressed: every cell describes at least {report.k} customers", highlight=False)
    print_pairs(
        "coverage" + (f" (also in {report.coverage_path})" if report.coverage_path else ""),
        [
            (
                {"segment": "with a segment", "likely": "with a likely segment only", "neither": "with neither"}[
                    r["covered"]
                ],
                "suppressed"
                if r["customers"] is None
                else f"{r['customers']:,} customers ({r['customer_share']:.1%}), {r['revenue_share']:.1%} of revenue",
            )
            for r in report.coverage
        ],
    )
