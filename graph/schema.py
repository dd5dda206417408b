"""Applies the schema (uniqueness constraints), waits for indexes to be online, empties the database."""

from __future__ import annotations

import time
from collections.abc import Callable

from graph.connection import QueryRunner
from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress

POLL_SECONDS = 2.0
STALL_SECONDS = 60.0  # a population figure unchanged this long: Lucene's last merge (see wait_for_indexes)


def apply_schema(db: QueryRunner) -> int:
    """Create every constraint of ``cypher/schema/constraints.cypher`` (idempotent); returns how many.

    Returns once their indexes are online; not the look-alike vector index, which only the vectors step
    uses and waits for: after a restart it repopulates for tens of minutes at REES46 size, and a month's
    load waited on it (docs/BENCHMARKS.md, "Month 4, resumed")."""
    import cypher

    statements = cypher.statements("schema/constraints")
    for statement in statements:
        db.run_text(statement)
    wait_for_indexes(db, vector=False)
    return len(statements)


def wait_for_indexes(
    db: QueryRunner,
    progress: Progress | None = None,
    poll: float = POLL_SECONDS,
    vector: bool = True,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Return once every index is ONLINE (with ``vector`` False, every one but the vector indexes), calling
    ``progress(label, percent, 100)`` while one populates.

    No fixed timeout: a vector index over millions of users takes many minutes to populate
    (``db.awaitIndexes(300)`` gave up on 3 M users), and a population that fails is one clear error. When the
    figure has not moved for :data:`STALL_SECONDS`, the label says so and for how long: Neo4j's figure counts the
    store scan, and a vector index's last Lucene merge (over 40 minutes on one thread at REES46 month 4) adds none.
    """
    last: tuple[str, int] | None = None
    since = clock()
    while pending := db.run("schema/indexes_not_online", vector=vector):
        failed = [row["name"] for row in pending if row["state"] == "FAILED"]
        if failed:
            raise ShopgraphError(
                f"Neo4j could not build the index {', '.join(failed)}: see its debug.log, then drop the index and "
                "run the step again"
            )
        if progress is not None:
            slowest = min(pending, key=lambda row: row["populationPercent"] or 0.0)
            now = (slowest["name"], int(slowest["populationPercent"] or 0))
            if now != last:
                last, since = now, clock()
            label, waited = f"index {now[0]}", clock() - since
            if waited >= STALL_SECONDS:
                label += f" (merging, no figure from Neo4j: {int(waited // 60)} min at {now[1]} %)"
            progress(label, now[1], 100)
        time.sleep(poll)


def index_state(db: QueryRunner, name: str) -> tuple[str, float] | None:
    """Index ``name``'s state (ONLINE, POPULATING, FAILED) and population percent; None when it does not exist."""
    rows = db.run("schema/index_state", name=name)
    return (rows[0]["state"], float(rows[0]["populationPercent"] or 0.0)) if rows else None


def reset_database(db: QueryRunner) -> None:
    """Delete every node and relationship (constraints stay)."""
    db.run("schema/reset")
