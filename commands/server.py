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
    """Say whether the local server runs, its version, Bolt and HTTP addresses, data directory, and the indexes
    Neo4j is still building (the look-alike index goes on after `shopgraph run` returns)."""
    from graph.server import LocalServer

    s = settings()
    status = LocalServer(s).status()
    rows = status.as_table()
    if status.running:
        rows.append(("indexes", _indexes_line(s)))
    print_pairs("local Neo4j", rows)


def _indexes_line(s) -> str:
    """``all online``, or each index not online with its state and population figure."""
    from neo4j.exceptions import Neo4jError

    from graph.connection import connect
    from shopgraph.errors import ShopgraphError

    try:
        with connect(s) as db:
            pending = db.run("schema/indexes_not_online", vector=True)
    except (ShopgraphError, Neo4jError) as exc:  # a status line, not a failure: the server may still be starting
        return f"not asked: {str(exc).splitlines()[0][:160]}"
    if not pending:
        return "all online"
    return ", ".join(f"{r['name']} {r['state']} {r['populationPercent'] or 0:.0f} %" for r in pending)


@app.command("logs")
@user_errors
def neo4j_logs(lines: Annotated[int, typer.Option("--lines", "-n", help="How many lines.")] = 50) -> None:
    """Print the last lines of the local server's log."""
    from graph.server import LocalServer

    sys.stdout.write(LocalServer(settings()).log_tail(lines) + "\n")
