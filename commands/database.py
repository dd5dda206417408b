"""`shopgraph db`: prepare or empty the Neo4j database."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.common import console, settings, user_errors
from shopgraph.errors import ShopgraphError

app = typer.Typer(help="Prepare or empty the Neo4j database (schema, reset).", no_args_is_help=True)


@app.command("init")
@user_errors
def db_init() -> None:
    """Create the uniqueness constraints (idempotent)."""
    from graph.connection import connect
    from graph.schema import apply_schema

    with connect(settings()) as db:
        count = apply_schema(db)
    console.print(f"schema ready: {count} constraints")


@app.command("reset")
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
