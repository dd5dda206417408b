"""graph.schema.wait_for_indexes: polls until every index is online, shows progress, fails in one line; who waits."""

from __future__ import annotations

import pytest

from graph.schema import apply_schema, wait_for_indexes
from graph.vectors import ensure_index
from shopgraph.errors import ShopgraphError


class Answers:
    """A QueryRunner stand-in answering ``schema/indexes_not_online`` from a script of replies."""

    def __init__(self, *replies: list[dict]) -> None:
        self.replies = list(replies)
        self.asked = 0
        self.params: list[dict] = []

    def run(self, name: str, **params: object) -> list[dict]:
        assert name == "schema/indexes_not_online"
        self.asked += 1
        self.params.append(params)
        return self.replies.pop(0) if self.replies else []


def populating(percent: float) -> list[dict]:
    return [
        {"name": "user_embedding", "state": "POPULATING", "populationPercent": percent},
        {"name": "user_segment", "state": "POPULATING", "populationPercent": 90.0},
    ]


def test_waits_until_online_showing_the_slowest_index() -> None:
    db, seen = Answers(populating(10.0), populating(55.5)), []
    wait_for_indexes(db, lambda label, done, total: seen.append((label, done, total)), poll=0)
    assert db.asked == 3
    assert seen == [("index user_embedding", 10, 100), ("index user_embedding", 55, 100)]
    assert db.params == [{"vector": True}] * 3


def test_a_failed_population_is_one_clear_error() -> None:
    db = Answers([{"name": "user_embedding", "state": "FAILED", "populationPercent": 40.0}])
    with pytest.raises(ShopgraphError, match="could not build the index user_embedding"):
        wait_for_indexes(db, poll=0)


def test_the_schema_does_not_wait_for_the_look_alike_index() -> None:
    """A month's load applies the schema: a vector index repopulating after a restart must not hold it."""

    class Schema(Answers):
        def run_text(self, statement: str) -> list[dict]:
            return []

    db = Schema()
    apply_schema(db)
    assert db.params == [{"vector": False}]


def test_a_new_look_alike_index_can_be_left_populating() -> None:
    """`run`'s vectors step creates the index and goes on: Neo4j populates it beside the report step."""

    class Vectors:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def run(self, name: str, **params: object) -> list[dict]:
            self.asked.append(name)
            return []

    for wait, asked in ((False, []), (True, ["schema/indexes_not_online"])):
        db = Vectors()
        assert ensure_index(db, 8, wait=wait)
        assert db.asked == ["vectors/vector_index", "vectors/create_vector_index", *asked]


def test_a_figure_that_stops_moving_says_the_index_is_merging() -> None:
    """Neo4j's figure stays at the scan's end (86.6 % at REES46 month 4) through Lucene's last merge: the label says
    how long it has stood still, so `run` does not look stuck."""
    db, seen = Answers(populating(86.6), populating(86.6), populating(86.6)), []
    ticks = iter([0.0, 0.0, 0.0, 30.0, 150.0])
    wait_for_indexes(db, lambda label, done, total: seen.append((label, done)), poll=0, clock=lambda: next(ticks))
    assert seen[0] == ("index user_embedding", 86) and seen[1] == ("index user_embedding", 86)
    assert seen[2] == ("index user_embedding (merging, no figure from Neo4j: 2 min at 86 %)", 86)
