"""The bucketed write of ingest: any number of user buckets and any batch size give the same sorted store."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import events.buckets as buckets_module
import events.ingest as ingest_module
from events.buckets import WriteBehind, bucket_count, repeats_previous_row
from events.ingest import ingest_files
from events.pseudonym import load_key, pseudonymise_ids
from events.store import event_files
from events.tombstones import add_tombstones
from shopgraph.workspace import Workspace
from tests.support.ingest_support import ROW, write_csv


def month_file(tmp_path: Path) -> Path:
    """Two months of synthetic events plus every kind of duplicate, a NULL-only difference and a bad row."""
    from events.synth import generate

    made = generate(tmp_path / "synth", users=400, months="2019-11..2019-12", seed=3)
    lines: list[str] = []
    for path in sorted(made.files):
        import gzip

        lines += gzip.decompress(Path(path).read_bytes()).decode().splitlines()[1:]
    twin = ROW.replace(",shiseido,", ",,")  # equal to ROW but for a NULL brand: not a duplicate
    lines += [ROW] * 5 + [twin] * 3 + [lines[10]] * 4 + ["2019-11-01 00:00:00 UTC,view"]
    return write_csv(tmp_path / "months.csv", lines)


def store_rows(workspace: Workspace) -> dict[str, list[tuple]]:
    return {
        path.parent.name: [tuple(r.values()) for r in pq.read_table(path).to_pylist()]
        for path in event_files(workspace)
    }


@pytest.mark.chain
@pytest.mark.parametrize("batch_rows", [5, 122_880])
def test_any_bucket_count_gives_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: int
) -> None:
    monkeypatch.setenv("SHOPGRAPH_PSEUDONYM_KEY", "test-key-not-secret")
    monkeypatch.setattr(buckets_module, "ROW_GROUP_ROWS", batch_rows)
    source = month_file(tmp_path)
    results = {}
    for n in (1, 3, 17):
        workspace = Workspace(tmp_path / f"home-{n}")
        add_tombstones(workspace, pseudonymise_ids([541312140], load_key(workspace)))
        monkeypatch.setattr(ingest_module, "bucket_count", lambda rows, limit, n=n: n)
        [result], _ = ingest_files(workspace, [source])
        results[n] = (result.entry, store_rows(workspace))
        for path in event_files(workspace):
            keys = duckdb.execute(f"SELECT user_id, event_time FROM read_parquet('{path}')").fetchall()
            assert keys == sorted(keys), "each month file is sorted as a whole"
            footer = pq.ParquetFile(path).metadata  # read once: a file of 5-row groups has hundreds of them
            assert max(footer.row_group(i).num_rows for i in range(footer.num_row_groups)) <= batch_rows
    (one, rows_one), *others = results.values()
    assert one.balanced and one.rows_rejected == 1 and one.rows_erased == 5 + 3
    assert one.rows_duplicate >= 3 and sorted(rows_one) == ["month=2019-11", "month=2019-12"]
    for entry, rows in others:
        assert rows == rows_one
        assert (entry.rows_kept, entry.rows_duplicate, entry.rows_erased, entry.rows_per_month) == (
            one.rows_kept,
            one.rows_duplicate,
            one.rows_erased,
            one.rows_per_month,
        )


def test_kept_rows_are_the_distinct_valid_lines(workspace: Workspace, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(ingest_module, "bucket_count", lambda rows, limit: 4)
    source = month_file(tmp_path)
    lines = source.read_text().splitlines()[1:]
    valid = [line for line in lines if line.count(",") == 8]
    [result], _ = ingest_files(workspace, [source])
    e = result.entry
    assert (e.rows_read, e.rows_rejected, e.rows_kept) == (len(lines), 1, len(set(valid)))
    assert e.rows_duplicate == len(valid) - len(set(valid))
    assert e.rows_kept == sum(len(r) for r in store_rows(workspace).values())


def test_repeats_previous_row_compares_every_column_and_nulls() -> None:
    batch = pa.record_batch(
        {
            "event_time": [1, 1, 1, 1, 2],
            "user_id": [7, 7, 7, 7, 7],
            "product_id": [3] * 5,
            "event_type": ["view"] * 5,
            "price": [1.0] * 5,
            "category_id": pa.array([None] * 5, pa.int64()),
            "user_session": ["s"] * 5,
            "brand": ["a", "a", None, None, None],
            "category_code": ["x"] * 5,
        }
    )
    assert repeats_previous_row(batch).to_pylist() == [False, True, False, True, False]
    assert repeats_previous_row(batch.slice(4), batch.slice(0, 4)).to_pylist() == [False]
    assert repeats_previous_row(batch.slice(3), batch.slice(0, 3)).to_pylist() == [True, False]


def test_bucket_count_grows_with_rows_not_memory() -> None:
    assert bucket_count(0, 10**9) == 1
    assert bucket_count(2_000_000, 10**9) == 1
    assert bucket_count(10_000_000, 10**9) == 4
    assert bucket_count(68_000_000, 10**9) == 28


@pytest.mark.chain
def test_split_buckets_give_the_store_of_scanned_buckets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPGRAPH_PSEUDONYM_KEY", "test-key-not-secret")
    monkeypatch.setattr(ingest_module, "bucket_count", lambda rows, limit: 5)
    splits: list[int] = []

    def counted_split(*args, **kwargs):
        splits.append(1)
        return buckets_module.split_buckets(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "split_buckets", counted_split)
    source = month_file(tmp_path)
    results = {}
    for split_from in (2, 100):
        workspace = Workspace(tmp_path / f"home-{split_from}")
        add_tombstones(workspace, pseudonymise_ids([541312140], load_key(workspace)))
        monkeypatch.setattr(ingest_module, "SPLIT_MIN_BUCKETS", split_from)
        [result], _ = ingest_files(workspace, [source])
        results[split_from] = (result.entry, store_rows(workspace))
    assert splits == [1], "5 buckets are split when the split starts at 2, scanned when at 100"
    (split, split_rows), (scanned, scanned_rows) = results[2], results[100]
    assert split_rows == scanned_rows and sum(len(r) for r in split_rows.values()) == split.rows_kept
    assert (split.rows_kept, split.rows_duplicate, split.rows_erased) == (
        scanned.rows_kept,
        scanned.rows_duplicate,
        scanned.rows_erased,
    )


def test_write_behind_keeps_the_order_and_raises_a_failed_write() -> None:
    class Recording:
        def __init__(self) -> None:
            self.seen: list[tuple[str, int]] = []

        def write(self, month: str, rows: pa.RecordBatch) -> None:
            if rows.num_rows == 0:
                raise OSError("disk full")
            self.seen.append((month, rows.num_rows))

    batches = [pa.record_batch({"x": list(range(n))}) for n in (3, 1, 4, 1, 5)]
    recording = Recording()
    with WriteBehind(recording, depth=2) as write:  # type: ignore[arg-type]
        for i, batch in enumerate(batches):
            write(f"m{i}", batch)
        write.finish()
    assert recording.seen == [("m0", 3), ("m1", 1), ("m2", 4), ("m3", 1), ("m4", 5)]
    with pytest.raises(OSError, match="disk full"), WriteBehind(Recording()) as write:  # type: ignore[arg-type]
        write("m0", batches[0].slice(0, 0))
        write.finish()
