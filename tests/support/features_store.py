"""Test helper: write hand-built events into a workspace in the event store's exact layout and types."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from shopgraph.workspace import Workspace

#: The columns and types of events/store.py, in order.
SCHEMA = pa.schema(
    [
        ("event_time", pa.timestamp("us")),
        ("event_type", pa.string()),
        ("product_id", pa.int64()),
        ("category_id", pa.int64()),
        ("category_code", pa.string()),
        ("brand", pa.string()),
        ("price", pa.float64()),
        ("user_id", pa.int64()),
        ("user_session", pa.string()),
    ]
)

DEFAULTS: dict[str, Any] = {
    "event_type": "view",
    "product_id": 1,
    "category_id": 10,
    "category_code": None,
    "brand": None,
    "price": 10.0,
    "user_id": 1,
    "user_session": "s1",
}


def ev(time: str, **fields: Any) -> dict[str, Any]:
    """One event: ``time`` as ``YYYY-MM-DD HH:MM[:SS]`` (UTC), other columns from DEFAULTS unless given."""
    unknown = set(fields) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown event fields {unknown}")
    return {"event_time": dt.datetime.fromisoformat(time), **DEFAULTS, **fields}


def write_events(workspace: Workspace, events: Iterable[Mapping[str, Any]], parts: int = 1) -> int:
    """Write ``events`` as ``store/events/month=YYYY-MM/part-<i>.parquet``; returns how many."""
    by_month: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for e in events:
        by_month[e["event_time"].strftime("%Y-%m")].append(e)
    total = 0
    for month, rows in by_month.items():
        folder = workspace.events_dir / f"month={month}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(parts):
            chunk = rows[i::parts]
            if not chunk:
                continue
            table = pa.Table.from_pylist([dict(r) for r in chunk], schema=SCHEMA)
            pq.write_table(table, folder / f"part-{i}.parquet")
            total += len(chunk)
    return total
