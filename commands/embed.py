"""`shopgraph embed`: node2vec vectors of users, products, categories and brands (embeddings/)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from commands.common import console, err_console, user_errors
from shopgraph.progress import progress_bars

app = typer.Typer()

PHASES = {"graph": "graph build", "walks": "walks", "training": "skip-gram", "epochs": "epochs", "fold-in": "fold-in"}
UNITS = {"walks": "walks", "training": "words", "fold-in": "users"}


@app.command("embed")
@user_errors
def embed_cmd(
    method: Annotated[
        str, typer.Option(help="node2vec, or fastrp (random projection; see docs/BENCHMARKS.md).")
    ] = "node2vec",
    dimensions: Annotated[int, typer.Option(help="Vector size.", min=2, max=1024)] = 64,
    walk_length: Annotated[int, typer.Option(help="Nodes per random walk.", min=2)] = 20,
    walks_per_node: Annotated[int, typer.Option(help="Walks started from every node.", min=1)] = 10,
    p: Annotated[float, typer.Option("--p", help="node2vec return parameter (1/p weighs stepping back).")] = 1.0,
    q: Annotated[float, typer.Option("--q", help="node2vec in-out parameter (q < 1 walks outwards).")] = 0.5,
    window: Annotated[int, typer.Option(help="Skip-gram context window.", min=1)] = 5,
    negative: Annotated[int, typer.Option(help="Skip-gram negative samples per context pair.", min=1)] = 5,
    epochs: Annotated[int, typer.Option(help="Skip-gram passes over the walks.", min=1)] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the user sample, the walks and the training.")] = 42,
    workers: Annotated[
        int,
        typer.Option(
            help="Skip-gram threads. 1 = same vectors for the same seed; more = faster, not reproducible; "
            "0 = auto: one thread under 20 M training tokens, every CPU above.",
            min=0,
        ),
    ] = 0,
    max_users: Annotated[
        int, typer.Option(help="Train on at most this many users (a seeded sample; the others are folded in).", min=1)
    ] = 150_000,
    fold_in: Annotated[
        bool,
        typer.Option(
            "--fold-in",
            help="Only fold in vectors for users who have none yet (ingested after the last embed); no retraining.",
        ),
    ] = False,
    assign_only: Annotated[
        bool, typer.Option("--assign-only", hidden=True, help="Deprecated name of --fold-in (one more release).")
    ] = False,
) -> None:
    """Embed users, products, categories and brands (node2vec on the interaction graph); fold in the rest."""
    from shopgraph.errors import ShopgraphError
    from shopgraph.workspace import Workspace

    if assign_only:
        err_console.print("note: --assign-only is deprecated, use --fold-in (the old name goes in the next release)")
        fold_in = True
    if p <= 0 or q <= 0:
        raise ShopgraphError("--p and --q must be positive numbers")
    workspace = Workspace.from_env()
    with progress_bars(console, labels=PHASES, units=UNITS, width=12) as progress:
        if fold_in:
            from embeddings.training import fold_in_new_users

            report = fold_in_new_users(workspace, progress=progress)
        else:
            from embeddings.training import embed

            params: dict[str, Any] = {"dimensions": dimensions}
            if method == "node2vec":
                params |= {
                    "walk_length": walk_length,
                    "walks_per_node": walks_per_node,
                    "p": p,
                    "q": q,
                    "window": window,
                    "negative": negative,
                    "epochs": epochs,
                    "workers": workers,
                }

            report = embed(
                workspace,
                method=method,
                max_users=max_users,
                seed=seed,
                progress=progress,
                say=lambda message: progress.note("graph", message),
                **params,
            )
    _print_report(report, workspace, fold_in)


def _print_report(report, workspace, fold_in: bool) -> None:
    title = "fold-in of users without a vector" if fold_in else f"{report.method} embedding"
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    c = report.counts
    if fold_in:
        rows = [("users folded in now", c["users_folded_now"]), ("users with a vector", c["users_with_vectors"])]
    else:
        rows = [("users trained", c["users_trained"]), ("users folded in", c["users_folded"])]
    rows += [
        ("  of them with no known item (mean vector)", c["folded_without_known_items"]),
        ("products", c["products"]),
        ("categories", c["categories"]),
        ("brands", c["brands"]),
        ("dimensions", report.dimensions),
    ]
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    if report.tokens:
        table.add_row("tokens per epoch (walks × length)", f"{report.tokens['tokens_per_epoch']:,}")
        table.add_row("skip-gram threads", f"{report.tokens.get('training_threads', 0):,}")
    check = report.fold_in_check
    if check.get("users"):
        table.add_row(
            "fold-in vs trained cosine (mean, held-out check)",
            f"{check['mean_cosine']:.3f} (random pair {check['random_pair_mean_cosine']:.3f})",
        )
    for phase, seconds in report.timings.items():
        table.add_row(f"seconds: {phase.replace('_', '-')}", f"{seconds:.1f}")
    table.add_row("written to", str(workspace.embeddings_dir))
    console.print(table)
