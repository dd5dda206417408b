"""graph/node_ids.py without a server: each user id gets its node's id, an unknown one an id that finds nothing."""

from __future__ import annotations

import re

import numpy as np

import cypher
from graph.node_ids import MISSING, SMALLEST, NodeIds
from tests.support.by_node_id import BY_ID


def test_ids_follow_the_user_ids_given_and_mark_the_unknown_ones() -> None:
    nodes = NodeIds(np.array([SMALLEST, -5, 3, 9], np.int64), np.array([40, 10, 30, 20], np.int64))
    assert nodes.ids([3, 9, -5, SMALLEST]) == [30, 20, 10, 40]  # in the order asked, not the map's
    assert nodes.ids([4, 10, -6, 2**63 - 1]) == [MISSING] * 4  # between, past the last, before, the largest
    assert nodes.ids(np.array([], np.int64)) == []
    assert NodeIds(np.array([], np.int64), np.array([], np.int64)).ids([1, 2]) == [MISSING, MISSING]
    assert len(nodes) == 4


def test_every_statement_that_finds_a_node_by_id_checks_its_key() -> None:
    """A node id read before a write may name another node by the time it is written (a customer forgotten and
    the id reused): a statement must compare the key on the node it finds, never write on the id alone."""
    found = {}
    for name in cypher.names():
        text = cypher.text(name)
        for var in re.findall(r"WHERE id\((\w+)\) = ", text):
            found[name] = var
            assert re.search(rf"WHERE id\({var}\) = [$\w.\[\]]+ AND {var}\.(user_id|product_id) = ", text), (name, var)
    for name in BY_ID:
        assert name in found, f"{name} does not find its nodes by id"
        assert "User {user_id" not in cypher.text(name) and "Product {product_id" not in cypher.text(name), name
