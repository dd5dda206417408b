"""graph/node_ids.py without a server: each user id gets its node's id, an unknown one an id that finds nothing."""

from __future__ import annotations

import itertools
import re

import numpy as np

import cypher
from graph.node_ids import LARGEST, MISSING, SMALLEST, NodeIds, key_ranges
from tests.support.by_node_id import BY_ID


def test_ids_follow_the_user_ids_given_and_mark_the_unknown_ones() -> None:
    nodes = NodeIds(np.array([SMALLEST, -5, 3, 9], np.int64), np.array([40, 10, 30, 20], np.int64))
    assert nodes.ids([3, 9, -5, SMALLEST]) == [30, 20, 10, 40]  # in the order asked, not the map's
    assert nodes.ids([4, 10, -6, 2**63 - 1]) == [MISSING] * 4  # between, past the last, before, the largest
    assert nodes.ids(np.array([], np.int64)) == []
    assert NodeIds(np.array([], np.int64), np.array([], np.int64)).ids([1, 2]) == [MISSING, MISSING]
    assert len(nodes) == 4


def test_the_key_ranges_of_the_readers_cover_every_key_once() -> None:
    """Each reader of a page read (QueryRunner.read_pages) takes one range: together they hold every signed 64-bit key,
    none twice, in order, equal in width but for the last (the remainder)."""
    assert key_ranges(1) == [(SMALLEST, LARGEST)]
    assert key_ranges(2) == [(SMALLEST, -1), (0, LARGEST)]
    for readers in (3, 4, 7):
        ranges = key_ranges(readers)
        assert len(ranges) == readers and ranges[0][0] == SMALLEST and ranges[-1][1] == LARGEST
        assert all(upto + 1 == start for (_, upto), (start, _) in itertools.pairwise(ranges))
        assert len({upto - start for start, upto in ranges[:-1]}) == 1


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
