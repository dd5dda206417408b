"""`shopgraph report`: the dossier (HTML + PDF) from what the workspace holds."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.common import console, print_pairs, user_errors
from shopgraph.progress import progress_bars

app = typer.Typer()


@app.command("report")
@user_errors
def report_cmd(
    lang: Annotated[str, typer.Option("--lang", help="Language of the dossier: en or fr.")] = "en",
    out: Annotated[
        str | None,
        typer.Option("--out", help="Directory for dossier-<lang>.html and .pdf. Default: $SHOPGRAPH_HOME/reports."),
    ] = None,
) -> None:
    """Write the dossier: data, metrics, threshold, model choice, segment cards, map, assignment,
    recommendations, time and infrastructure, as one self-contained HTML file and an A4 PDF.
    The recommendation hold-out is computed first when it is missing or was made for another
    segmentation run (as `shopgraph run` does)."""
    from reports.dossier import STEPS, build_dossier
    from reports.i18n import check_lang
    from segments.recommend_eval import current_evaluation
    from shopgraph.workspace import Workspace

    check_lang(lang)
    workspace = Workspace.from_env()
    with progress_bars(console, width=44, rates=False) as bar:
        bar.describe("hold-out", "recommendation hold-out")
        current_evaluation(workspace, progress=bar.one_bar("hold-out", prefix="hold-out: "))
        bar.remove("hold-out")
        paths = build_dossier(workspace, lang, out, progress=bar.one_bar("dossier", restart=False))
        bar("dossier", STEPS, STEPS)
        bar.describe("dossier", "done")
    if paths.incomplete:
        print_pairs("sections with missing inputs (each says what to run)", [(s, "") for s in paths.incomplete])
    # the paths on lines of their own, never wrapped, so they can be copied
    console.print(f"HTML  {paths.html}", highlight=False, soft_wrap=True)
    console.print(f"PDF   {paths.pdf}", highlight=False, soft_wrap=True)
