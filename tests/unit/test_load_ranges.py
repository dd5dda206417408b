"""A relationship step read one user range at a time gives the batches of one ordered read, from any batch on."""

from __future__ import annotations

import re
from itertools import pairwise

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import graph.load as load
from events.interactions import user_ranges

BATCH = 70


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """A file's interactions sorted by user and product in row groups of 200 rows (users straddle them), the new
    users and the known pairs (both sorted, as the load writes them)."""
    folder = tmp_path_factory.mktemp("ranges")
    rng = np.random.default_rng(3)
    users = np.sort(rng.integers(-(2**62), 2**62, 400))  # pseudonyms are signed 64-bit
    per_user = rng.integers(1, 30, users.size)
    per_user[7] = 900  # a heavy user over several row groups
    user_id = np.repeat(users, per_user)
    table = pa.table(
        {
            "user_id": user_id,
            "product_id": np.concatenate([rng.choice(5_000, n, replace=False) for n in per_user]),
            "event_type": rng.choice(["view", "cart", "remove_from_cart", "purchase"], user_id.size),
            "count": rng.integers(1, 5, user_id.size),
            "amount": rng.integers(0, 9_000, user_id.size) / 100,
            "first_at": pa.array(np.full(user_id.size, np.datetime64("2019-11-01")), pa.timestamp("us")),
            "last_at": pa.array(np.full(user_id.size, np.datetime64("2019-11-02")), pa.timestamp("us")),
        }
    ).sort_by([("user_id", "ascending"), ("product_id", "ascending"), ("event_type", "ascending")])
    paths = {name: str(folder / f"{name}.parquet") for name in ("interactions", "fresh", "known")}
    pq.write_table(table, paths["interactions"], row_group_size=200)
    pq.write_table(pa.table({"user_id": users[::3]}), paths["fresh"], row_group_size=50)
    known = table.select(["user_id", "product_id", "event_type"]).take(np.arange(0, table.num_rows, 2))
    pq.write_table(known, paths["known"], row_group_size=200)
    return paths


def _step(files: dict[str, str], event_type: str, ranges: list[tuple]) -> load._Relationships:
    steps = {load.EVENT_TYPES[step]: sql for step, _, sql in load.step_queries(["unused"], files["interactions"])[4:]}
    return load._Relationships(steps[event_type], event_type, files["fresh"], files["known"], ranges)


def test_user_ranges_cover_every_user_once_at_row_group_starts(files) -> None:
    con = duckdb.connect()
    ranges = user_ranges(con, [files["interactions"]], 1_000)
    rows = pq.ParquetFile(files["interactions"]).metadata
    assert rows.num_rows // 1_000 - 1 <= len(ranges) <= rows.num_rows // 1_000 + 1
    assert ranges[0][0] is None and ranges[-1][1] is None
    assert all(high == next_low for (_, high), (next_low, _) in pairwise(ranges))
    starts = {rows.row_group(g).column(0).statistics.min for g in range(rows.num_row_groups)}
    assert {high for _, high in ranges[:-1]} <= starts
    assert user_ranges(con, [files["interactions"]], 10**9) == [(None, None)]


@pytest.mark.parametrize("event_type", ["view", "purchase"])
@pytest.mark.parametrize("users", ["true", "(user_id % 2 + 2) % 2 = 1"])
def test_ranged_batches_are_one_ordered_read_from_any_batch(files, event_type: str, users: str) -> None:
    con = duckdb.connect()
    ranges = user_ranges(con, [files["interactions"]], 600)
    assert len(ranges) >= 6
    ranged, whole = _step(files, event_type, ranges), _step(files, event_type, [(None, None)])
    one_read = load._with_fresh(whole.sql, whole.fresh, whole.known, event_type)
    expected = list(load._column_batches(con, f"SELECT * FROM ({one_read}) WHERE {users}", BATCH, 0))
    assert sum(b.num_rows for b in expected) > 4 * BATCH
    assert sum(b.column("fresh").true_count for b in expected) > 0  # both statements get rows
    for skip in (0, 1, 5, len(expected) - 1, len(expected)):
        got = list(ranged.batches(con, BATCH, skip, users))
        assert [b.num_rows for b in got] == [b.num_rows for b in expected[skip:]]
        assert all(a.equals(b) for a, b in zip(got, expected[skip:], strict=True))


def test_each_range_reads_only_its_row_groups(files) -> None:
    con = duckdb.connect()
    low, high = user_ranges(con, [files["interactions"]], 600)[2]
    step = _step(files, "view", [(low, high)])
    where = f"user_id >= {low} AND user_id < {high}"
    plan = con.sql("EXPLAIN ANALYZE " + load._with_fresh(step.sql, step.fresh, step.known, "view", where)).fetchall()[
        0
    ][1]
    scanned = re.findall(r"Row Groups Scanned: (\d+) / (\d+)", plan)
    assert len(scanned) == 3  # the interactions, the new users, the known pairs
    assert all(int(read) < int(held) for read, held in scanned), scanned
    assert plan.count("Order By:") == 1  # sorted once, after the joins
