"""`shopgraph neo4j`: the project's own local Neo4j server (start, stop, status, logs)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from commands.common import console, print_pairs, settings, user_errors

app = typer.Typer(help="Run the project's own local Neo4j server (start, stop, status, logs).", no_args_is_help=True)


@app.command("start")
@user_errors
def neo4j_start(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt to answer.")] = 180.0,
) -> None:
    """Provision Neo4j 5.26 (once) and start it in the background; returns when Bolt answers."""
    from graph.server import LocalServer

    server = LocalServer(settings())
    started = server.start(timeout=timeout, say=lambda m: console.print(m, highlight=False))
    status = server.status()
    console.print(("started" if started else "already running") + f": {status.bolt}  browser {status.http}/browser/")


@app.command("stop")
@user_errors
def neo4j_stop() -> None:
    """Stop the local Neo4j server cleanly."""
    from graph.server import LocalServer

    console.print("stopped" if LocalServer(settings()).stop() else "not running")


@app.command("status")
@user_errors
def neo4j_status() -> None:
    """Say whether the local server runs, its version, Bolt and HTTP addresses and data directory."""
    from graph.server import LocalServer

    print_pairs("local Neo4j", LocalServer(settings()).status().as_table())


@app.command("logs")
@user_errors
def neo4j_logs(lines: Annotated[int, typer.Option("--lines", "-n", help="How many lines.")] = 50) -> None:
    """Print the last lines of the local server's log."""
    from graph.server import LocalServer

    sys.stdout.write(LocalServer(settings()).log_tail(lines) + "\n")
