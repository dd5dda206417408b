"""The real server: schema, a write read back, and EXPLAIN on every catalog file."""

from __future__ import annotations

import pytest

import cypher
from graph.connection import QueryRunner
from graph.schema import apply_schema


def test_schema_is_idempotent_and_complete(db: QueryRunner) -> None:
    # 8 constraints, 6 indexes, 3 dropped (segment_id_unique, user_segment_run, user_total_spent)
    assert apply_schema(db) == 17
    rows = db.run_text("SHOW CONSTRAINTS YIELD name, labelsOrTypes RETURN name, labelsOrTypes")
    labels = {label for row in rows for label in row["labelsOrTypes"]}
    assert {"User", "Product", "Category", "Brand", "Segment"} <= labels


def test_write_then_read_back_and_uniqueness_enforced(db: QueryRunner) -> None:
    db.run_text("CREATE (:User {user_id: $id, n_events: 3})", {"id": 42})
    assert db.run_text("MATCH (u:User {user_id: $id}) RETURN u.n_events AS n", {"id": 42}) == [{"n": 3}]
    from neo4j.exceptions import ConstraintError

    with pytest.raises(ConstraintError):
        db.run_text("CREATE (:User {user_id: $id})", {"id": 42})


def test_reset_empties_the_database(db: QueryRunner) -> None:
    db.run_text("UNWIND range(1, 50) AS i CREATE (:Product {product_id: i})")
    db.run("schema/reset")
    assert db.run_text("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]


@pytest.mark.parametrize("name", cypher.names())
def test_every_cypher_file_explains(db: QueryRunner, name: str) -> None:
    for statement in cypher.statements(name):
        if statement.lstrip("/ \n").upper().startswith("CREATE CONSTRAINT") or "IN TRANSACTIONS" in statement:
            # schema commands and batched deletes cannot be EXPLAINed inside a transaction;
            # they run for real in the tests above.
            continue
        db.run_text("EXPLAIN " + statement, _dummy_params(statement))


def _dummy_params(statement: str) -> dict[str, object]:
    import re

    return {name: None for name in re.findall(r"\$(\w+)", statement)}
