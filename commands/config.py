"""`shopgraph config`: the effective settings."""

from __future__ import annotations

import typer

from commands.common import print_pairs, settings, user_errors

app = typer.Typer()


@app.command("config")
@user_errors
def config_cmd() -> None:
    """Print the effective settings (environment, .env, defaults) with the password masked."""
    print_pairs("shopgraph settings", settings().as_table())
