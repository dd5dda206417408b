"""The Cypher catalog: names, loading and the statement splitter."""

from __future__ import annotations

import pytest

import cypher
from cypher import split_statements


def test_every_file_has_a_leading_comment() -> None:
    for name in cypher.names():
        assert cypher.text(name).lstrip().startswith("//"), f"{name}.cypher must start with a comment"


def test_schema_file_splits_into_one_idempotent_statement_per_constraint_or_index() -> None:
    statements = [s.rstrip().split("\n")[-1] for s in cypher.statements("schema/constraints")]
    assert len(statements) == 17
    assert all(s.startswith(("CREATE CONSTRAINT", "CREATE INDEX", "DROP CONSTRAINT", "DROP INDEX")) for s in statements)
    assert all(" IF NOT EXISTS " in s or s.endswith(" IF EXISTS") for s in statements)
    assert sum("CONSTRAINT segment_key_unique" in s for s in statements) == 1


def test_unknown_name_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="no Cypher file named 'nope/missing'"):
        cypher.text("nope/missing")


def test_query_refuses_a_multi_statement_file() -> None:
    with pytest.raises(ValueError, match="statements"):
        cypher.query("schema/constraints")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("RETURN 1; RETURN 2;", ["RETURN 1", "RETURN 2"]),
        ("RETURN 'a;b' AS x; RETURN 2", ["RETURN 'a;b' AS x", "RETURN 2"]),
        ('RETURN "http://x;y" AS url;', ['RETURN "http://x;y" AS url']),
        ("RETURN 'it\\'s; fine' AS s;", ["RETURN 'it\\'s; fine' AS s"]),
        ("MATCH (`a;b`) RETURN 1;", ["MATCH (`a;b`) RETURN 1"]),
        ("// only a comment; still a comment\nRETURN 1;", ["// only a comment; still a comment\nRETURN 1"]),
        ("/* block; comment */ RETURN 1; /* trailing */", ["/* block; comment */ RETURN 1"]),
        ("RETURN 1 // tail; comment\n;", ["RETURN 1 // tail; comment"]),
        ("   ;;  ; ", []),
        ("RETURN 'no end'", ["RETURN 'no end'"]),
    ],
)
def test_split_statements_respects_strings_and_comments(source: str, expected: list[str]) -> None:
    assert split_statements(source) == expected
