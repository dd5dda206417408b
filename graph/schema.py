"""Applies the schema (uniqueness constraints) and empties the database."""

from __future__ import annotations

from graph.connection import QueryRunner


def apply_schema(db: QueryRunner) -> int:
    """Create every constraint of ``cypher/schema/constraints.cypher`` (idempotent); returns how many."""
    import cypher

    statements = cypher.statements("schema/constraints")
    for statement in statements:
        db.run_text(statement)
    db.run_text("CALL db.awaitIndexes(300)")
    return len(statements)


def reset_database(db: QueryRunner) -> None:
    """Delete every node and relationship (constraints stay)."""
    db.run("schema/reset")
