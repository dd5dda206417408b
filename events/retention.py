"""Storage limitation: drops event-store month partitions older than the retention period."""

from __future__ import annotations

from dataclasses import dataclass, replace

from events.ingest import recover_store, store_lock
from events.manifest import read_manifest, write_manifest
from events.store import bounded_connection, month_dirs
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace


@dataclass(frozen=True)
class RetentionReport:
    months_dropped: list[str]
    rows_dropped: int
    newest_month: str | None


def months_to_drop(months: list[str], retention_months: int) -> list[str]:
    """The months older than the newest ``retention_months`` months (counted in calendar months)."""
    if retention_months < 1:
        raise ShopgraphError("--retention-months must be at least 1")
    if not months:
        return []
    newest = max(months)
    year, month = int(newest[:4]), int(newest[5:7])
    index = year * 12 + month - 1 - (retention_months - 1)
    oldest_kept = f"{index // 12:04d}-{index % 12 + 1:02d}"
    return sorted(m for m in months if m < oldest_kept)


def apply_retention(workspace: Workspace, retention_months: int) -> RetentionReport:
    """Drop the partitions of months outside the retention period.

    The manifest is rewritten first (the entries keep their identity, so re-ingesting an old
    file stays a no-op; the dropped rows move from *kept* to *erased*, with
    ``extra["rows_expired"]`` saying why), then the files it no longer names are deleted. A
    crash in between leaves files that the next store operation removes as leftovers.
    """
    with store_lock(workspace):
        present = list(month_dirs(workspace))
        drop = set(months_to_drop(present, retention_months))
        if not drop:
            return RetentionReport([], 0, max(present) if present else None)
        con = bounded_connection(workspace)
        rows_dropped = 0
        updated = []
        for entry in read_manifest(workspace):
            gone = [p for p in entry.partitions if p.split("/")[1].removeprefix("month=") in drop]
            if not gone:
                updated.append(entry)
                continue
            rows = sum(
                con.execute("SELECT count(*) FROM read_parquet(?)", [str(workspace.store_dir / p)]).fetchone()[0]
                for p in gone
            )
            rows_dropped += rows
            extra = {**entry.extra, "rows_expired": entry.extra.get("rows_expired", 0) + rows}
            updated.append(
                replace(
                    entry,
                    partitions=[p for p in entry.partitions if p not in gone],
                    months=[m for m in entry.months if m not in drop],
                    rows_per_month={m: n for m, n in entry.rows_per_month.items() if m not in drop},
                    rows_kept=entry.rows_kept - rows,
                    rows_erased=entry.rows_erased + rows,
                    extra=extra,
                )
            )
        write_manifest(workspace, updated)
        recover_store(workspace)
    return RetentionReport(sorted(drop), rows_dropped, max(present))
