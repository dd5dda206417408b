"""Every bad input of issue 3: each ends in rejected rows with reasons or one clear error, store intact."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import duckdb
import pytest

from events.ingest import expand_paths, ingest_files
from events.manifest import read_manifest
from events.validate import HEADER
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace
from tests.support.ingest_support import ROW, ROW2, ROW3, leftovers, snapshot, write_csv


@pytest.fixture
def seeded(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace whose store already holds one good file (so 'intact' means something)."""
    ingest_files(workspace, [write_csv(tmp_path / "good.csv", [ROW2, ROW3])])
    return workspace


def ingest_one(workspace: Workspace, path: Path):
    """Ingest ``path``; check that every file and manifest entry already in the store is untouched."""
    files_before, entries_before = snapshot(workspace), read_manifest(workspace)
    results, _ = ingest_files(workspace, [path])
    files_after = snapshot(workspace)
    assert all(files_after[k] == v for k, v in files_before.items() if k != "manifest.json")
    assert read_manifest(workspace)[: len(entries_before)] == entries_before
    assert not leftovers(workspace)
    return results[0]


def new_rows(workspace: Workspace, entry, columns: str) -> list[tuple]:
    """``columns`` of the rows this ``entry`` added to the store (its own partition files)."""
    files = ", ".join(f"'{workspace.store_dir / p}'" for p in entry.partitions)
    return duckdb.execute(f"SELECT {columns} FROM read_parquet([{files}]) ORDER BY ALL").fetchall()


def rejects(workspace: Workspace, entry) -> list[dict[str, str]]:
    with open(workspace.store_dir / entry.rejects_file, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assert_refused(workspace: Workspace, path: Path, message: str) -> None:
    before = snapshot(workspace)
    with pytest.raises(ShopgraphError, match=message) as refused:
        ingest_one(workspace, path)
    text = str(refused.value)
    assert "\n" not in text and "Traceback" not in text and "Detail" not in text, text  # the user's one line
    assert snapshot(workspace) == before
    assert not leftovers(workspace)


def test_empty_file_is_refused(seeded: Workspace, tmp_path: Path) -> None:
    assert_refused(seeded, write_csv(tmp_path / "empty.csv", b""), "empty")


def test_empty_gzip_is_refused(seeded: Workspace, tmp_path: Path) -> None:
    assert_refused(seeded, write_csv(tmp_path / "empty.csv.gz", b"", gz=True), "empty")


def test_header_only_is_refused(seeded: Workspace, tmp_path: Path) -> None:
    assert_refused(seeded, write_csv(tmp_path / "header.csv", []), "header but no rows")


def test_misordered_header_names_the_columns(seeded: Workspace, tmp_path: Path) -> None:
    header = HEADER.replace("event_time,event_type", "event_type,event_time")
    path = write_csv(tmp_path / "h.csv", f"{header}\n{ROW}\n".encode())
    assert_refused(seeded, path, "misordered event_type, event_time")


def test_missing_and_extra_header_columns_are_named(seeded: Workspace, tmp_path: Path) -> None:
    header = HEADER.replace(",brand", "") + ",shop"
    path = write_csv(tmp_path / "h.csv", f"{header}\n{ROW}\n".encode())
    assert_refused(seeded, path, r"missing brand; extra 'shop'")


def test_extra_header_column_is_named(seeded: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", f"{HEADER},extra\n{ROW},x\n".encode())
    assert_refused(seeded, path, "extra 'extra'")


def test_missing_header_is_refused(seeded: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "noheader.csv", [ROW, ROW2], header=False)
    assert_refused(seeded, path, "no header: line 1 looks like data")


def test_truncated_last_line_is_rejected_with_its_line_number(seeded: Workspace, tmp_path: Path) -> None:
    before = snapshot(seeded)
    path = write_csv(tmp_path / "cut.csv", f"{HEADER}\n{ROW}\n{ROW2}\n{ROW3[:40]}".encode())
    entry = ingest_one(seeded, path).entry
    assert (entry.rows_read, entry.rows_kept, entry.rows_rejected) == (3, 2, 1)
    [reject] = rejects(seeded, entry)
    assert reject == {
        "source_file": "cut.csv",
        "line_number": "4",
        "reason": "wrong number of fields: expected 9, found 3",
        "raw_text": ROW3[:40],
        "user_id": "",
    }
    assert all(snapshot(seeded)[k] == v for k, v in before.items() if k != "manifest.json")


def test_a_file_whose_every_row_is_rejected_is_refused_with_its_reasons(seeded: Workspace, tmp_path: Path) -> None:
    """A date format changed upstream: storing the file would record its month as ingested with no events."""
    dmy = [row.replace("2019-10-01 ", "01/10/2019 ", 1) for row in (ROW, ROW2)]
    path = write_csv(tmp_path / "dmy.csv", [*dmy, ROW3.replace("purchase", "PURCHASE")])
    assert_refused(
        seeded,
        path,
        r"dmy\.csv: all 3 rows were rejected \(bad timestamp: 2, unknown event type: 1\), the first at line 2: "
        r"bad timestamp '01/10/2019 00:00:00 UTC'; nothing was stored",
    )


def test_a_field_of_kilobytes_is_rejected_with_its_size(seeded: Workspace, tmp_path: Path) -> None:
    """A 20 MB category code was stored and would have become a Category node of that name."""
    long_code = ROW2.replace("appliances.environment.water_heater", "x" * 20_000)
    path = write_csv(tmp_path / "long.csv", [ROW, long_code, ROW3.replace(",,", "," + "é" * 128 + ",", 1)])
    entry = ingest_one(seeded, path).entry
    assert (entry.rows_read, entry.rows_kept, entry.rows_rejected) == (3, 2, 1)
    [reject] = rejects(seeded, entry)
    assert (reject["line_number"], reject["reason"]) == ("3", "category_code longer than 256 bytes: 20000")
    assert [len(b.encode()) for (b,) in new_rows(seeded, entry, "brand") if b and b != "shiseido"] == [256]


def test_truncated_gzip_is_one_clear_error(seeded: Workspace, tmp_path: Path) -> None:
    data = gzip.compress(("\n".join([HEADER] + [ROW, ROW2, ROW3] * 2000) + "\n").encode())
    path = write_csv(tmp_path / "cut.csv.gz", data[: len(data) // 2])
    assert_refused(seeded, path, "truncated gzip")


def test_corrupt_gzip_is_one_clear_error(seeded: Workspace, tmp_path: Path) -> None:
    data = bytearray(gzip.compress(("\n".join([HEADER] + [ROW, ROW2] * 2000) + "\n").encode()))
    data[len(data) // 2 : len(data) // 2 + 50] = b"\x00" * 50
    assert_refused(seeded, write_csv(tmp_path / "bad.csv.gz", bytes(data)), "gzip")


def test_non_utf8_bytes_reject_that_row_only(seeded: Workspace, tmp_path: Path) -> None:
    bad = ROW2.replace("aqua", "aq\xe4ua").encode("latin-1")
    path = write_csv(
        tmp_path / "latin.csv", HEADER.encode() + b"\n" + ROW.encode() + b"\n" + bad + b"\n" + ROW3.encode() + b"\n"
    )
    entry = ingest_one(seeded, path).entry
    assert (entry.rows_read, entry.rows_kept, entry.rows_rejected) == (3, 2, 1)
    [reject] = rejects(seeded, entry)
    assert (reject["line_number"], reject["reason"]) == ("3", "invalid UTF-8")
    assert "aq\\xE4ua" in reject["raw_text"]


def test_non_utf8_header_is_refused(seeded: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bin.csv", b"\xff\xfe" + HEADER.encode("utf-16-le") + b"\n")
    assert_refused(seeded, path, "not UTF-8")


def test_byte_order_mark_is_ignored(seeded: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", ("\ufeff" + HEADER + "\n" + ROW + "\n").encode("utf-8"))
    entry = ingest_one(seeded, path).entry
    assert (entry.rows_read, entry.rows_kept, entry.rows_rejected) == (1, 1, 0)


def test_crlf_line_endings(seeded: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "crlf.csv", "\r\n".join([HEADER, ROW, ROW2, ROW3, ""]).encode())
    entry = ingest_one(seeded, path).entry
    assert (entry.rows_read, entry.rows_kept, entry.rows_rejected) == (3, 3, 0)
    sessions = new_rows(seeded, entry, "user_session")
    assert len(sessions) == 3 and all(not s.endswith("\r") for (s,) in sessions)


def test_quoted_fields_with_commas(seeded: Workspace, tmp_path: Path) -> None:
    row = ROW.replace(",shiseido,", ',"Shiseido, Inc. ""JP""",').replace(",35.79,", ',"35.79",')
    entry = ingest_one(seeded, write_csv(tmp_path / "q.csv", [row])).entry
    assert (entry.rows_kept, entry.rows_rejected) == (1, 0)
    assert new_rows(seeded, entry, "brand, price") == [('shiseido, inc. "jp"', 35.79)]


def test_unbalanced_quote_is_rejected(seeded: Workspace, tmp_path: Path) -> None:
    row = ROW.replace(",shiseido,", ',"shiseido,')
    entry = ingest_one(seeded, write_csv(tmp_path / "q.csv", [row, ROW2])).entry
    assert (entry.rows_kept, entry.rows_rejected) == (1, 1)
    assert rejects(seeded, entry)[0]["reason"] == "malformed quoting"


def test_rejects_record_the_parsed_user_id(seeded: Workspace, tmp_path: Path) -> None:
    comma = ROW.replace(",shiseido,", ',"Shiseido, Inc.",').replace(",view,", ",click,")
    quoted = ROW.replace(",541312140,", ',"541312140",').replace(",35.79,", ",-1,")
    unsplit = ROW.replace(",shiseido,", ',"shiseido,')
    entry = ingest_one(seeded, write_csv(tmp_path / "r.csv", [comma, quoted, ROW2, unsplit])).entry
    assert (entry.rows_kept, entry.rows_rejected) == (1, 3)
    rows = rejects(seeded, entry)
    assert list(rows[0]) == ["source_file", "line_number", "reason", "raw_text", "user_id"]
    assert [(r["line_number"], r["reason"][:16], r["user_id"]) for r in rows] == [
        ("2", "unknown event ty", "541312140"),
        ("3", "negative price '", "541312140"),
        ("5", "malformed quotin", ""),
    ]


def test_extra_columns_in_a_row_are_rejected(seeded: Workspace, tmp_path: Path) -> None:
    entry = ingest_one(seeded, write_csv(tmp_path / "x.csv", [ROW + ",surplus", ROW2])).entry
    assert (entry.rows_kept, entry.rows_rejected) == (1, 1)
    [reject] = rejects(seeded, entry)
    assert (reject["line_number"], reject["reason"]) == ("2", "wrong number of fields: expected 9, found 10")


def test_price_in_exponent_notation_is_numeric(seeded: Workspace, tmp_path: Path) -> None:
    entry = ingest_one(seeded, write_csv(tmp_path / "p.csv", [ROW.replace(",35.79,", ",1e3,")])).entry
    assert entry.rows_kept == 1
    assert new_rows(seeded, entry, "price") == [(1000.0,)]


def test_timestamp_without_utc_suffix(seeded: Workspace, tmp_path: Path) -> None:
    bare = ROW.replace(" UTC,", ",", 1).replace("541312140", "1")
    entry = ingest_one(seeded, write_csv(tmp_path / "t.csv", [ROW, bare])).entry
    assert (entry.rows_kept, entry.rows_rejected) == (2, 0)
    times = new_rows(seeded, entry, "DISTINCT event_time")
    assert [str(t) for (t,) in times] == ["2019-10-01 00:00:00"]


def test_same_row_ten_times_keeps_one(seeded: Workspace, tmp_path: Path) -> None:
    entry = ingest_one(seeded, write_csv(tmp_path / "d.csv", [ROW] * 10 + [ROW2])).entry
    assert (entry.rows_read, entry.rows_kept, entry.rows_duplicate, entry.rows_rejected) == (11, 2, 9, 0)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ShopgraphError, match="is a directory"):
        expand_paths([str(tmp_path)])


def test_missing_path_and_empty_glob_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ShopgraphError, match="does not exist"):
        expand_paths([str(tmp_path / "nope.csv.gz")])
    with pytest.raises(ShopgraphError, match="no file matches"):
        expand_paths([str(tmp_path / "*.csv.gz")])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda r: r.replace("2019-10-01 00:00:00 UTC", "2019-10-32 00:00:00 UTC"),
            "bad timestamp '2019-10-32 00:00:00 UTC'",
        ),
        (lambda r: r.replace("2019-10-01 00:00:00 UTC", ""), "missing event_time"),
        (lambda r: r.replace(",view,", ",click,"), "unknown event type 'click'"),
        (lambda r: r.replace("44600062", "44600062.5"), "non-integer product_id '44600062.5'"),
        (lambda r: r.replace("44600062", ""), "missing product_id"),
        (lambda r: r.replace("2103807459595387724", "2.103807459595387e18"), "non-integer category_id"),
        (lambda r: r.replace("35.79", "-1"), "negative price '-1'"),
        (lambda r: r.replace("35.79", "abc"), "non-numeric price 'abc'"),
        (lambda r: r.replace("35.79", ""), "missing price"),
        (lambda r: r.replace("541312140", ""), "missing user_id"),
        (lambda r: r.replace("541312140", "u541312140"), "non-integer user_id 'u541312140'"),
    ],
)
def test_each_row_rule_gives_its_reason(seeded: Workspace, tmp_path: Path, change, reason: str) -> None:
    entry = ingest_one(seeded, write_csv(tmp_path / "r.csv", [ROW2, change(ROW)])).entry
    assert (entry.rows_read, entry.rows_kept, entry.rows_rejected) == (2, 1, 1)
    [reject] = rejects(seeded, entry)
    assert reject["line_number"] == "3"
    assert reject["reason"].startswith(reason)


def test_blank_lines_are_rejected_and_line_numbers_stay_true(seeded: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "b.csv", [ROW, "", ROW2, "", "", ROW3.replace(",purchase,", ",buy,")])
    entry = ingest_one(seeded, path).entry
    assert entry.balanced and (entry.rows_read, entry.rows_kept) == (6, 2)
    assert [(r["line_number"], r["reason"]) for r in rejects(seeded, entry)] == [
        ("3", "empty line"),
        ("5", "empty line"),
        ("6", "empty line"),
        ("7", "unknown event type 'buy'"),
    ]


def test_failure_midway_leaves_store_as_before(seeded: Workspace, tmp_path: Path, monkeypatch) -> None:
    import events.ingest as ingest_module

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_module, "_commit", crash)
    before = snapshot(seeded)
    with pytest.raises(KeyboardInterrupt):
        ingest_one(seeded, write_csv(tmp_path / "new.csv", [ROW]))
    assert snapshot(seeded) == before and not leftovers(seeded)
    assert len(read_manifest(seeded)) == 1
    duckdb.sql("SELECT 1")  # DuckDB still usable


@pytest.mark.parametrize("phase", ["read", "pseudonymise", "dedupe", "write"])
def test_ctrl_c_in_any_phase_leaves_store_as_before(seeded: Workspace, tmp_path: Path, phase: str) -> None:
    def progress(path):
        def report(name: str, done: int, total: int) -> None:
            if name == phase and done:
                raise KeyboardInterrupt

        return report

    rows = [ROW.replace("541312140", str(n)) for n in range(5000)]
    before = snapshot(seeded)
    with pytest.raises(KeyboardInterrupt):
        ingest_files(seeded, [write_csv(tmp_path / "big.csv", rows)], progress=progress)
    assert snapshot(seeded) == before and not leftovers(seeded)
