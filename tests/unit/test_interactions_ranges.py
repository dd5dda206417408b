"""A file's interactions aggregate made one user range after another is the one-statement aggregate, row for row."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import events.interactions as interactions
from events.store import bounded_connection
from shopgraph.sqltext import literal_list


@dataclass
class _Source:
    sha256: str
    partitions: list[str]


def _store_file(workspace, name: str, rows: int = 6_000, users: int = 300, seed: int = 0):
    """A month partition sorted by user and time, in row groups of 250 rows: users straddle row groups."""
    rng = np.random.default_rng(seed)
    table = pa.table(
        {
            "event_time": pa.array(
                np.datetime64("2019-11-01") + rng.integers(0, 30 * 86_400, rows).astype("timedelta64[s]"),
                pa.timestamp("us"),
            ),
            "event_type": rng.choice(["view", "cart", "remove_from_cart", "purchase"], rows),
            "product_id": rng.integers(1, 60, rows),
            "price": rng.integers(100, 50_000, rows) / 100,
            # pseudonyms are signed 64-bit: negative and positive ids
            "user_id": rng.integers(-(2**62), 2**62, users)[rng.integers(0, users, rows)],
        }
    ).sort_by([("user_id", "ascending"), ("event_time", "ascending")])
    path = workspace.store_dir / "events" / "month=2019-11" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=250)
    return _Source(sha256="ab" * 32, partitions=[str(path.relative_to(workspace.store_dir))])


def _one_statement(con, files) -> list[tuple]:
    return con.execute(
        f"""SELECT user_id, product_id, event_type, count(*)::BIGINT AS count,
                   round(sum(price), 2) AS amount, min(event_time) AS first_at, max(event_time) AS last_at
            FROM read_parquet({literal_list(files)}) GROUP BY ALL ORDER BY user_id, product_id, event_type"""
    ).fetchall()


def test_the_aggregate_by_ranges_is_the_one_statement_aggregate_in_its_order(workspace, monkeypatch) -> None:
    source = _store_file(workspace, "part-0.parquet")
    files = [workspace.store_dir / p for p in source.partitions]
    con = bounded_connection(workspace)
    per_range = 700
    monkeypatch.setattr(interactions, "AGGREGATE_BYTES_PER_EVENT", interactions.memory_limit_bytes(con) // per_range)
    calls = []
    real = interactions._aggregate_sql
    monkeypatch.setattr(interactions, "_aggregate_sql", lambda *a: calls.append(a) or real(*a))

    path = interactions.write_interactions(workspace, source, con)

    assert len(calls) >= 8  # the file was made in ranges
    made = con.execute(f"SELECT * FROM read_parquet({literal_list([path])})").fetchall()
    assert made == _one_statement(con, files)
    assert pq.ParquetFile(path).schema_arrow.names == [
        "user_id",
        "product_id",
        "event_type",
        "count",
        "amount",
        "first_at",
        "last_at",
    ]


def test_a_file_without_events_gives_an_empty_aggregate(workspace) -> None:
    source = _store_file(workspace, "part-0.parquet", rows=0, users=1)
    con = bounded_connection(workspace)
    path = interactions.write_interactions(workspace, source, con)
    assert con.execute(f"SELECT count(*) FROM read_parquet({literal_list([path])})").fetchall() == [(0,)]
