"""`shopgraph forget`, `export-user`, `expire`: erasure, access and storage limitation (GDPR)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from commands.common import console, optional_db, print_pairs, settings, user_errors

app = typer.Typer()


@app.command("forget")
@user_errors
def forget_cmd(
    user_ids: Annotated[list[int], typer.Argument(help="User ids as the shop knows them (raw ids).")],
    graph: Annotated[bool, typer.Option(help="Also delete the users from Neo4j (--no-graph when it is down).")] = True,
) -> None:
    """GDPR erasure: remove users from the event store, derived tables, vectors, lists and the graph."""
    from graph.erasure import forget
    from shopgraph.workspace import Workspace

    s = settings()
    with optional_db(s, graph) as db:
        report = forget(Workspace.from_env(), user_ids, db)
    rows = [(f"rows removed: {where}", f"{n:,}") for where, n in report.rows_removed.items()]
    rows += [
        ("graph users deleted", f"{report.graph_users_deleted:,}" if graph else "skipped (--no-graph)"),
        ("added to the tombstone list", f"{report.tombstones_added:,}"),
    ]
    print_pairs(f"forgot {report.users} user(s)", rows)


@app.command("export-user")
@user_errors
def export_user_cmd(
    user_id: Annotated[int, typer.Argument(help="The user id as the shop knows it (raw id).")],
    graph: Annotated[bool, typer.Option(help="Include the Neo4j node and relationships.")] = True,
) -> None:
    """GDPR right of access: print everything held about one user as JSON."""
    import json

    from graph.access import export_user
    from shopgraph.workspace import Workspace

    s = settings()
    with optional_db(s, graph) as db:
        data = export_user(Workspace.from_env(), user_id, db)
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@app.command("expire")
@user_errors
def expire_cmd(
    retention_months: Annotated[int, typer.Option(help="Keep this many most recent months of events.", min=1)],
) -> None:
    """Storage limitation: drop event-store months older than the retention period."""
    from events.retention import apply_retention
    from shopgraph.workspace import Workspace

    report = apply_retention(Workspace.from_env(), retention_months)
    if not report.months_dropped:
        console.print(f"nothing to drop: every month is within {retention_months} month(s) of {report.newest_month}")
        return
    console.print(
        f"dropped {', '.join(report.months_dropped)}: {report.rows_dropped:,} events "
        f"(kept the {retention_months} month(s) up to {report.newest_month})"
    )
