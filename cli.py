"""The `shopgraph` command line: the root typer app, its command groups (commands/) and the `.env` callback."""

from __future__ import annotations

import typer
from dotenv import load_dotenv

from commands import (
    analyst,
    browser,
    config,
    database,
    embed,
    events,
    features,
    load,
    pipeline,
    privacy,
    report,
    segments,
    server,
)

app = typer.Typer(
    help="shopgraph: turn a marketplace clickstream into named, explainable customer segments on Neo4j.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (config, events, load, privacy, features):  # their commands sit at the top level
    app.add_typer(group.app)
app.add_typer(server.app, name="neo4j")
app.add_typer(database.app, name="db")
for group in (pipeline, embed, segments, analyst, browser, report):
    app.add_typer(group.app)


@app.callback()
def _root() -> None:
    """Reads `.env` from the working directory (if any) before every command."""
    load_dotenv(override=False)


if __name__ == "__main__":
    app()
