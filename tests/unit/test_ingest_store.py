"""The event store an ingest writes: real REES46 rows, the store contract, idempotence, recovery, erasure."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from events.ingest import ingest_files, recover_store, store_lock
from events.manifest import read_manifest
from events.pseudonym import load_key, pseudonymise_ids
from events.store import connect_events, event_files
from events.tombstones import add_tombstones
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace
from tests.support.ingest_support import ROW, ROW2, ROW3, leftovers, snapshot, write_csv

OCT = "rees46-2019-oct-first5019.csv"
NOV = "rees46-2019-nov-first683.csv"


def test_real_files_ingest_balanced(workspace: Workspace, shared_data: Path) -> None:
    results, _ = ingest_files(workspace, [shared_data / OCT, shared_data / NOV])
    oct_, nov = (r.entry for r in results)
    assert [r.status for r in results] == ["ingested", "ingested"]
    assert (oct_.rows_read, oct_.rows_kept, oct_.rows_rejected, oct_.rows_duplicate) == (5019, 5016, 0, 3)
    assert (nov.rows_read, nov.rows_kept, nov.rows_rejected, nov.rows_duplicate) == (683, 683, 0, 0)
    assert oct_.months == ["2019-10"] and nov.months == ["2019-11"]
    assert oct_.balanced and nov.balanced and oct_.rejects_file is None
    con = connect_events(workspace)
    assert con.execute("SELECT month, count(*) FROM events GROUP BY ALL ORDER BY 1").fetchall() == [
        ("2019-10", 5016),
        ("2019-11", 683),
    ]


def test_store_matches_the_contract(workspace: Workspace, shared_data: Path) -> None:
    ingest_files(workspace, [shared_data / OCT])
    [part] = event_files(workspace)
    assert part.parent.name == "month=2019-10" and part.name.startswith("part-")
    meta = pq.ParquetFile(part)
    assert meta.metadata.row_group(0).column(0).compression == "ZSTD"
    chunks = {meta.schema_arrow.names[i]: meta.metadata.row_group(0).column(i) for i in range(9)}
    dictionary = {name for name, chunk in chunks.items() if "RLE_DICTIONARY" in chunk.encodings}
    assert dictionary == {"event_type", "category_code", "brand"}, "a dictionary for the few-valued texts only"
    assert not chunks["user_session"].is_stats_set and chunks["user_id"].statistics.has_min_max
    schema = {f.name: str(f.type) for f in meta.schema_arrow}
    assert schema == {
        "event_time": "timestamp[us]",
        "event_type": "string",
        "product_id": "int64",
        "category_id": "int64",
        "category_code": "string",
        "brand": "string",
        "price": "double",
        "user_id": "int64",
        "user_session": "string",
    }
    rows = duckdb.execute(f"SELECT user_id, event_time FROM read_parquet('{part}')").fetchall()
    assert rows == sorted(rows), "each file is sorted by (user_id, event_time)"


def test_values_are_exact_and_pseudonymised(workspace: Workspace, shared_data: Path) -> None:
    ingest_files(workspace, [shared_data / OCT])
    with open(shared_data / OCT, newline="") as handle:
        source = list(csv.DictReader(handle))
    key = load_key(workspace)
    expected = {
        (
            pseudonymise_ids([r["user_id"]], key)[0],
            int(r["category_id"]),
            int(r["product_id"]),
            r["event_time"][:19],
            (r["brand"].strip().lower() or None),
        )
        for r in source
    }
    got = (
        connect_events(workspace)
        .execute(
            "SELECT user_id, category_id, product_id, strftime(event_time, '%Y-%m-%d %H:%M:%S'), brand FROM events"
        )
        .fetchall()
    )
    assert set(got) == expected
    raw_users = {int(r["user_id"]) for r in source}
    assert not raw_users & {u for u, *_ in got}, "no raw user id reaches the store"


def test_category_code_levels_and_nulls(workspace: Workspace, shared_data: Path) -> None:
    ingest_files(workspace, [shared_data / OCT])
    con = connect_events(workspace)
    assert con.execute("SELECT count(*) FROM events WHERE category_code = '' OR brand = ''").fetchall() == [(0,)]
    assert con.execute(
        "SELECT category_l1, category_l2, category_l3 FROM events "
        "WHERE category_code = 'appliances.environment.water_heater' LIMIT 1"
    ).fetchall() == [("appliances", "environment", "water_heater")]


def test_reingest_is_a_noop(workspace: Workspace, shared_data: Path, tmp_path: Path) -> None:
    ingest_files(workspace, [shared_data / NOV])
    before = snapshot(workspace)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes((shared_data / NOV).read_bytes())
    results, _ = ingest_files(workspace, [shared_data / NOV, copy])
    assert [r.status for r in results] == ["already ingested", "already ingested"]
    assert snapshot(workspace) == before


@pytest.mark.parametrize(
    ("first", "second"),
    [("gz", "plain"), ("plain", "gz"), ("gz", "gz-recompressed")],
)
def test_same_content_in_another_file_is_a_noop(
    workspace: Workspace, shared_data: Path, tmp_path: Path, first: str, second: str
) -> None:
    data = (shared_data / NOV).read_bytes()
    forms = {
        "plain": write_csv(tmp_path / "2019-Nov.csv", data),
        "gz": write_csv(tmp_path / "2019-Nov.csv.gz", data, gz=True),
        "gz-recompressed": tmp_path / "again" / "2019-Nov.csv.gz",
    }
    forms["gz-recompressed"].parent.mkdir()
    forms["gz-recompressed"].write_bytes(gzip.compress(data[:1000], 1) + gzip.compress(data[1000:], 6))
    [done], _ = ingest_files(workspace, [forms[first]])
    assert done.status == "ingested" and done.entry.content_sha256 == hashlib.sha256(data).hexdigest()
    before, entries = snapshot(workspace), read_manifest(workspace)
    [again], _ = ingest_files(workspace, [forms[second]])
    assert again.status == f"already ingested (same content as {forms[first].name})"
    assert again.entry == done.entry
    assert snapshot(workspace) == before and read_manifest(workspace) == entries and not leftovers(workspace)


def test_manifest_written_before_content_hashes_still_loads(workspace: Workspace, tmp_path: Path) -> None:
    ingest_files(workspace, [write_csv(tmp_path / "a.csv", [ROW])])
    path = workspace.store_dir / "manifest.json"
    doc = json.loads(path.read_text())
    del doc["files"][0]["content_sha256"]
    path.write_text(json.dumps(doc))
    [entry] = read_manifest(workspace)
    assert entry.content_sha256 is None and entry.name == "a.csv"
    [again], _ = ingest_files(workspace, [tmp_path / "a.csv"])
    assert again.status == "already ingested"


def test_gzip_gives_the_same_store_as_plain(workspace: Workspace, shared_data: Path, tmp_path: Path) -> None:
    plain = write_csv(tmp_path / "a.csv", (shared_data / NOV).read_bytes())
    packed = write_csv(tmp_path / "a.csv.gz", (shared_data / NOV).read_bytes(), gz=True)
    [a], _ = ingest_files(workspace, [plain])
    other = Workspace(tmp_path / "other")
    [b], _ = ingest_files(other, [packed])
    files_a, files_b = event_files(workspace), event_files(other)
    rows_a = duckdb.execute(f"SELECT * FROM read_parquet('{files_a[0]}')").fetchall()
    rows_b = duckdb.execute(f"SELECT * FROM read_parquet('{files_b[0]}')").fetchall()
    assert rows_a == rows_b and a.entry.rows_kept == b.entry.rows_kept == 683


def test_multi_member_gzip(workspace: Workspace, tmp_path: Path) -> None:
    import gzip

    from events.validate import HEADER

    path = tmp_path / "multi.csv.gz"
    path.write_bytes(gzip.compress(f"{HEADER}\n{ROW}\n".encode()) + gzip.compress(f"{ROW2}\n{ROW3}\n".encode()))
    [result], _ = ingest_files(workspace, [path])
    assert (result.entry.rows_read, result.entry.rows_kept) == (3, 3)


def test_one_partition_per_month(workspace: Workspace, tmp_path: Path) -> None:
    later = ROW.replace("2019-10-01", "2019-11-30")
    [result], _ = ingest_files(workspace, [write_csv(tmp_path / "two.csv", [ROW, later, ROW2])])
    assert result.entry.rows_per_month == {"2019-10": 2, "2019-11": 1}
    assert sorted(p.parent.name for p in event_files(workspace)) == ["month=2019-10", "month=2019-11"]


def test_a_new_month_does_not_rewrite_old_files(workspace: Workspace, shared_data: Path) -> None:
    ingest_files(workspace, [shared_data / OCT])
    before = snapshot(workspace)
    ingest_files(workspace, [shared_data / NOV])
    after = snapshot(workspace)
    assert all(after[k] == v for k, v in before.items() if k.startswith("events/"))


def test_leftovers_of_a_crash_are_cleaned(workspace: Workspace, shared_data: Path, tmp_path: Path) -> None:
    ingest_files(workspace, [shared_data / NOV])
    before = snapshot(workspace)
    # a crash after renaming a partition but before the manifest: an orphan file and a temp dir
    path = write_csv(tmp_path / "x.csv", [ROW])
    from shopgraph.files import file_sha256

    orphan = workspace.events_dir / "month=2019-10" / f"part-{file_sha256(path)[:12]}.parquet"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"half")
    (workspace.store_dir / ".tmp-ingest-abc-1" / "events").mkdir(parents=True)
    with store_lock(workspace):
        removed = recover_store(workspace)
    assert orphan in removed and snapshot(workspace) == before and not leftovers(workspace)
    assert not orphan.parent.exists()
    # and an ingest does the same by itself, then writes the file properly
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"half")
    [result], removed = ingest_files(workspace, [path])
    assert orphan in removed and result.status == "ingested"
    assert pq.ParquetFile(orphan).metadata.num_rows == 1


def test_tombstoned_users_are_erased_at_ingest(workspace: Workspace, tmp_path: Path) -> None:
    key = load_key(workspace)
    add_tombstones(workspace, pseudonymise_ids([541312140], key))
    [result], _ = ingest_files(workspace, [write_csv(tmp_path / "e.csv", [ROW, ROW, ROW2, ROW3])])
    e = result.entry
    assert (e.rows_read, e.rows_kept, e.rows_erased, e.rows_duplicate) == (4, 2, 2, 0)
    users = {u for (u,) in connect_events(workspace).execute("SELECT user_id FROM events").fetchall()}
    assert users == set(pseudonymise_ids([554748717, 519107250], key))


def test_mixing_pseudonymised_and_raw_ids_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    ingest_files(workspace, [write_csv(tmp_path / "a.csv", [ROW])])
    with pytest.raises(ShopgraphError, match="same way"):
        ingest_files(workspace, [write_csv(tmp_path / "b.csv", [ROW2])], pseudonymise=False)


def test_no_pseudonymise_keeps_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPGRAPH_PSEUDONYM_KEY", raising=False)
    ws = Workspace(tmp_path / "raw")
    ingest_files(ws, [write_csv(tmp_path / "a.csv", [ROW, ROW2])], pseudonymise=False)
    assert sorted(u for (u,) in connect_events(ws).execute("SELECT user_id FROM events").fetchall()) == [
        541312140,
        554748717,
    ]
    assert not ws.secrets_dir.exists(), "no key is created when none is needed"
    assert read_manifest(ws)[0].pseudonymised is False


def test_only_one_ingest_at_a_time(workspace: Workspace, tmp_path: Path) -> None:
    with store_lock(workspace):
        pid = os.fork()
        if pid == 0:  # the child tries to ingest while the parent holds the lock
            try:
                ingest_files(workspace, [write_csv(tmp_path / "a.csv", [ROW])])
                os._exit(0)
            except ShopgraphError:
                os._exit(7)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 7
    assert snapshot(workspace) == {}


def test_manifest_records_identity_and_counts(workspace: Workspace, shared_data: Path) -> None:
    ingest_files(workspace, [shared_data / NOV])
    [entry] = read_manifest(workspace)
    assert entry.name == NOV and len(entry.sha256) == 64 and entry.size_bytes == (shared_data / NOV).stat().st_size
    assert entry.code_version.startswith("shopgraph ") and entry.ingested_at.endswith("+00:00")
    assert entry.partitions == [f"events/month=2019-11/part-{entry.sha256[:12]}.parquet"]


def test_synthetic_months_balance_and_planted_duplicates_are_found(workspace: Workspace, tmp_path: Path) -> None:
    from events.synth import generate

    made = generate(tmp_path / "synth", users=600, months="2019-11..2019-12", seed=5)
    results, _ = ingest_files(workspace, sorted(made.files))
    entries = [r.entry for r in results]
    assert sum(e.rows_read for e in entries) == made.events
    assert sum(e.rows_duplicate for e in entries) == made.duplicates
    assert sum(e.rows_rejected for e in entries) == 0 and all(e.balanced for e in entries)
    again, _ = ingest_files(workspace, sorted(made.files))
    assert {r.status for r in again} == {"already ingested"}


def test_rows_handed_over_twice_are_caught_before_commit(
    workspace: Workspace, shared_data: Path, tmp_path: Path, monkeypatch
) -> None:
    """The balance guard is real: a bug that writes rows twice never reaches the manifest."""
    import events.ingest as ingest
    from events.buckets import write_buckets

    ingest_files(workspace, [shared_data / "rees46-2019-nov-first683.csv"])
    before = snapshot(workspace)

    def twice(*args, **kwargs):
        first, second = write_buckets(*args, **kwargs), write_buckets(*args, **kwargs)
        return first[0] + second[0], first[1] + second[1]

    monkeypatch.setattr(ingest, "write_buckets", twice)
    with pytest.raises(AssertionError, match="rows to write became"):
        ingest_files(workspace, [write_csv(tmp_path / "a.csv", [ROW, ROW2, ROW3])])
    assert snapshot(workspace) == before and not leftovers(workspace)


def test_the_store_is_read_within_a_memory_bound_spilling_into_the_workspace(
    workspace: Workspace, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from events.buckets import memory_limit_bytes

    ingest_files(workspace, [shared_data / OCT])
    con = connect_events(workspace)
    assert 1.8e9 <= memory_limit_bytes(con) <= 2.1e9  # events.store.READ_MEMORY_LIMIT, not 80 % of the machine
    spill = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    assert Path(spill).parent == workspace.home / "tmp"
    monkeypatch.setenv("SHOPGRAPH_DUCKDB_READ_MEMORY", "64MB")
    small = connect_events(workspace)
    assert memory_limit_bytes(small) <= 6.8e7
    spilled = "SELECT count(*) FROM (SELECT i % 3000000 AS k, sum(i) FROM range(12000000) t(i) GROUP BY 1)"
    assert small.execute(spilled).fetchone() == (3_000_000,), "a query larger than the bound spills and finishes"
    own = duckdb.connect()
    own.execute("SET memory_limit = '3GB'")
    assert memory_limit_bytes(connect_events(workspace, con=own)) >= 2.7e9, "a caller's connection keeps its setting"
    monkeypatch.setenv("SHOPGRAPH_DUCKDB_READ_MEMORY", "lots")
    with pytest.raises(ShopgraphError, match="not a size DuckDB understands"):
        connect_events(workspace)


def test_every_reader_of_the_store_and_its_aggregates_is_held_by_the_same_bound(
    workspace: Workspace, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load, the bulk import's CSVs, embed's graph and fold-in, the hold-out, expire, forget and export-user
    read through events.store.bounded_connection: an unreadable bound stops each of them, where DuckDB's own
    default (80 % of the machine, beside Neo4j's share) would have let them run."""
    from embeddings.graph import load_graph
    from events.interactions import refresh_interactions
    from events.retention import apply_retention
    from graph.access import export_user
    from graph.erasure import forget

    ingest_files(workspace, [shared_data / OCT, shared_data / NOV])
    before = snapshot(workspace)
    monkeypatch.setenv("SHOPGRAPH_DUCKDB_READ_MEMORY", "lots")
    for name, call in [
        ("interactions", lambda: refresh_interactions(workspace)),
        ("embed's graph", lambda: load_graph(workspace)),
        ("expire", lambda: apply_retention(workspace, 1)),
        ("export-user", lambda: export_user(workspace, 1, None)),
        ("forget", lambda: forget(workspace, [1], None)),
    ]:
        with pytest.raises(ShopgraphError, match="not a size DuckDB understands"):
            call()
        assert snapshot(workspace) == before, name
