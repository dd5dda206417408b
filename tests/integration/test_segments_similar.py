"""segments/similar.py on the real server: look-alike links written, kept when written from the same file,
replaced, and customers missing skipped."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.connection import QueryRunner
from segments.similar import SIMILAR_FILE, similar_pairs, write_similar
from tests.support.writeback_case import make_graph


def links(db: QueryRunner) -> list[tuple[int, int, float]]:
    rows = db.run_text(
        "MATCH (a:User)-[s:SIMILAR]->(b:User) RETURN a.user_id AS a, b.user_id AS b, s.score AS score ORDER BY a, b"
    )
    return [(r["a"], r["b"], round(r["score"], 6)) for r in rows]


def test_write_similar_replaces_the_links_and_skips_missing_customers(db: QueryRunner, tmp_path) -> None:
    make_graph(db, 10)
    view = np.arange(12, dtype=np.float64)[:, None]  # customers on a line: neighbours are the next ones
    pairs = similar_pairs(np.arange(1, 13), view, neighbours=2)  # customers 11 and 12 are not in the graph
    pairs.to_parquet(tmp_path / SIMILAR_FILE)
    written = write_similar(db, tmp_path, batch_size=7)
    expected = [(int(u), int(o), round(s, 6)) for u, o, s in pairs.itertuples(index=False) if u <= 10 and o <= 10]
    assert links(db) == sorted(expected) and written == len(expected)
    assert (1, 2, 0.5) in links(db)  # distance 1: score 1 / (1 + 1)

    db.run_text("MATCH (:User {user_id: 1})-[s:SIMILAR]->() DELETE s")  # the same file again: kept, not rewritten
    assert write_similar(db, tmp_path, batch_size=7) == written and len(links(db)) == len(expected) - 2
    assert write_similar(db, tmp_path, links=1) == 10  # fewer links per customer: a new write, the nearest
    assert all(b in (a - 1, a + 1) for a, b, _ in links(db)) and len(links(db)) == 10

    pd.DataFrame({"user_id": [3], "other_user_id": [7], "score": [0.9]}).to_parquet(tmp_path / SIMILAR_FILE)
    assert write_similar(db, tmp_path) == 1
    assert links(db) == [(3, 7, 0.9)]  # the previous run's links are gone

    (tmp_path / SIMILAR_FILE).unlink()  # a run of k-means: no graph, no links
    assert write_similar(db, tmp_path) == 0 and links(db) == []
