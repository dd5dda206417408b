"""`shopgraph browser`: how to explore the segments in Neo4j Browser (URL, connection, style, first queries)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from commands.common import console, settings, user_errors

app = typer.Typer()


@app.command("browser")
@user_errors
def browser_cmd(
    style_command: Annotated[
        bool,
        typer.Option(
            "--style-command",
            help="Print only the `:style` command that loads the shipped style; paste it into "
            "Browser's editor and run it.",
        ),
    ] = False,
) -> None:
    """Print the Neo4j Browser URL, how to connect, the style file and the first segment queries to paste."""
    from graph.browser import browser_guide
    from graph.browser import style_command as style_command_text

    if style_command:
        sys.stdout.write(style_command_text())
        return
    guide = browser_guide(settings())
    console.print("[bold]Neo4j Browser[/bold]")
    width = max(len(label) for label, _ in guide.as_table())
    for label, value in guide.as_table():
        console.print(f"  {label:<{width}}  {value}", markup=False, highlight=False, soft_wrap=True)
    console.print("\n[bold]first queries[/bold] to paste into Browser's editor (Ctrl+Enter runs what is there):")
    for query in guide.queries:
        console.print(f"\n[dim]// {query.question}[/dim]", highlight=False, soft_wrap=True)
        if query.needs_name:
            console.print(
                f"[dim]// run once first, then the query:[/dim] {guide.parameter_command}",
                highlight=False,
                soft_wrap=True,
            )
        console.print(query.text, markup=False, highlight=False, soft_wrap=True)
