"""The tests' graph dump (tests/support/graph_dump.py) tells apart what an equality of two graphs must."""

from __future__ import annotations

import pytest

from graph.connection import QueryRunner
from tests.support.graph_dump import dump_graph

BASE = (
    "CREATE (:Product {product_id: 1, price: 1.0, months: ['2019-10', '2019-11'], codes: ['1', '2']})"
    "-[:IN_CATEGORY {at: datetime('2019-10-01T00:00:00.000000001Z'), n: 2}]->(:Category {category_id: 7})"
)


@pytest.mark.parametrize(
    "changed",
    [
        BASE.replace("price: 1.0", "price: 1"),  # an integer where a float was
        BASE.replace("00.000000001Z", "00.000000002Z"),  # one nanosecond later
        BASE.replace("00.000000001Z", "00.000000001+01:00"),  # another zone
        BASE.replace("'2019-10', '2019-11'", "'2019-11', '2019-10'"),  # a list in another order
        BASE.replace("n: 2", "n: '2'"),  # text where a number was
        BASE.replace("codes: ['1', '2']", "codes: [1, 2]"),  # a list of numbers where one of texts was
        BASE.replace(":Category", ":Brand"),  # another label at the end of the relationship
    ],
)
def test_a_dump_differs_when_a_value_or_its_type_does(db: QueryRunner, changed: str) -> None:
    db.run_text(BASE)
    before = dump_graph(db)
    assert dump_graph(db) == before  # the same graph, the same dump
    db.run_text("MATCH (n) DETACH DELETE n")
    db.run_text(changed)
    assert dump_graph(db) != before
