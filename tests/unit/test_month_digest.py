"""The months' digests of the event store: describe adds them up to what a scan of the same events gives, reads a
month again only when its files changed, and forgets what the store no longer holds."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import events.month_digest as digest
from events.describe import describe
from events.manifest import IngestedFile, write_manifest
from events.month_digest import digests_dir, month_digests
from events.retention import apply_retention
from graph.access import export_user
from graph.erasure import forget
from shopgraph.workspace import Workspace
from tests.support.features_store import SCHEMA

MONTHS = ("2019-10", "2019-11", "2019-12")
CODES = ("electronics.smartphone", "appliances.kitchen.kettle", "apparel.shoes", None)
BRANDS = ("apple", "samsung", "bosch", "nike", None)


def shop(seed: int = 3, n: int = 3000) -> list[dict]:
    """Random events over three months: sessions that cross a month's end, NULL codes, brands, sessions and
    prices, prices repeated, and one customer with a bot's day in two months."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2019, 10, 1)
    rows = []
    for _ in range(n):
        user = int(rng.integers(1, 80))
        at = start + dt.timedelta(seconds=int(rng.integers(0, 92 * 86400)))
        product = int(rng.integers(1, 40))
        rows.append(
            {
                "event_time": at,
                "event_type": str(rng.choice(["view", "view", "view", "cart", "remove_from_cart", "purchase"])),
                "product_id": product,
                "category_id": 1000 + product % 7,
                "category_code": CODES[product % len(CODES)],
                "brand": BRANDS[product % len(BRANDS)],
                "price": None if product == 13 else float(rng.choice([0.0, 9.99, 120.5, 999.0, 45.0])),
                "user_id": user,
                "user_session": None if rng.random() < 0.03 else f"s{user}-{(at - start).days // 3}",
            }
        )
    for day in (dt.datetime(2019, 10, 31, 23), dt.datetime(2019, 11, 1, 0)):  # a session across October's end
        rows.append({**rows[0], "event_time": day, "user_id": 5, "user_session": "night-owl"})
    for day in (dt.datetime(2019, 10, 20), dt.datetime(2019, 12, 2)):  # a bot, busy on one day of two months
        for i in range(450):
            rows.append({**rows[1], "event_time": day + dt.timedelta(seconds=60 * i), "user_id": 99})
    return rows


def write(workspace: Workspace, rows: list[dict], split: bool) -> None:
    """The rows as the store holds them: one partition a month, or all of them in one partition (the scan), each
    named by the manifest as an ingest of its own."""
    entries = []
    for month in MONTHS if split else ("2019-10",):
        part = [r for r in rows if not split or r["event_time"].strftime("%Y-%m") == month]
        folder = workspace.events_dir / f"month={month}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(part, schema=SCHEMA), folder / "part-0.parquet")
        entries.append(
            IngestedFile(
                name=f"{month}.csv",
                sha256=month.replace("-", "") * 8,
                size_bytes=1,
                months=[month],
                rows_read=len(part),
                rows_kept=len(part),
                rows_rejected=0,
                rows_duplicate=0,
                rows_erased=0,
                rows_per_month={month: len(part)},
                partitions=[f"events/month={month}/part-0.parquet"],
                rejects_file=None,
                pseudonymised=False,
                ingested_at="2026-12-07T00:00:00+00:00",
                code_version="test",
            )
        )
    write_manifest(workspace, entries)


@pytest.mark.parametrize("marked", [digest.TOP_BITS, 2])
def test_the_months_digests_add_up_to_a_scan_of_the_same_events(tmp_path, monkeypatch, marked: int) -> None:
    """With 2 values marked a month, most top values' customers come from the fallback that reads a month's events."""
    monkeypatch.setattr(digest, "TOP_BITS", marked)
    rows = shop()
    by_month, whole = Workspace(tmp_path / "months"), Workspace(tmp_path / "whole")
    write(by_month, rows, split=True)
    write(whole, rows, split=False)
    added, scanned = dataclasses.asdict(describe(by_month)), dataclasses.asdict(describe(whole))
    assert [d.month for d in month_digests(by_month)] == list(MONTHS)
    assert added["totals"]["sessions"] == len({r["user_session"] for r in rows if r["user_session"]})
    bot = added["bots"]["top"][0]
    assert (bot["user_id"], bot["max_events_per_day"], bot["events"], bot["active_days"]) == (99, 450, 900, 2)
    for top in ("top_categories", "top_brands"):  # revenue summed month by month: equal to the cent
        revenue = [row.pop("revenue") for row in added[top]]
        assert revenue == pytest.approx([row.pop("revenue") for row in scanned[top]])
    assert added.pop("ingest")["files"] == 3 and scanned.pop("ingest")["files"] == 1  # the manifests differ
    assert added == scanned


def test_a_month_is_read_again_only_when_its_files_change(workspace: Workspace, monkeypatch) -> None:
    rows = shop()
    write(workspace, rows, split=True)
    first = describe(workspace)
    read: list[str] = []
    made = digest._make
    monkeypatch.setattr(
        digest, "_make", lambda files, path, con: (read.append(path.parent.name), made(files, path, con))
    )
    assert describe(workspace) == first and read == []
    december = [r for r in rows if r["event_time"].month == 12][:-5]
    folder = workspace.events_dir / "month=2019-12"
    pq.write_table(pa.Table.from_pylist(december, schema=SCHEMA), folder / "part-0.parquet")
    again = describe(workspace)
    assert read == ["month=2019-12"]
    assert again.totals["events"] == first.totals["events"] - 5
    assert len(list((digests_dir(workspace) / "month=2019-12").iterdir())) == 1  # the older digest removed


def test_retention_and_erasure_leave_no_digest_of_what_is_gone_and_access_shows_them(workspace: Workspace) -> None:
    write(workspace, shop(), split=True)
    describe(workspace)
    held = export_user(workspace, 5, db=None)["tables"]
    assert {path.split("/")[-1] for path in held if path.startswith("store/digests/")} >= {"per_user.parquet"}
    apply_retention(workspace, 1)
    assert sorted(p.name for p in digests_dir(workspace).iterdir()) == ["month=2019-12"]
    forget(workspace, [5], db=None)
    assert not digests_dir(workspace).exists()
    assert describe(workspace).months == ["2019-12"]
