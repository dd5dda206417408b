"""DuckDB and Spark give the same store and feature table: real rows, a synthetic month, bad rows, erasures."""

from __future__ import annotations

import gzip
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from events.ingest import ingest_files
from events.manifest import read_manifest
from events.pseudonym import pseudonym, pseudonymise_ids
from events.spark_files import LakeFiles
from events.spark_ingest import _pseudonym_udf, ingest_files_spark, numbered_lines
from events.synth import generate
from events.tombstones import add_tombstones
from features.calendar import load_calendar
from features.compute import build_user_features
from features.spark_features import build_user_features_spark
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace
from tests.support.ingest_support import ROW
from tests.support.spark_bad_lines import write_bad_lines
from tests.support.spark_case import KEY, comparable, duck_and_spark

#: a user of the bad-lines file whose rows are erased in both stores
ERASED_RAW_ID = 541312140


@pytest.fixture(scope="module")
def sources(engines_home: Path, shared_data: Path) -> list[Path]:
    """The real rows, a small synthetic month (gzip) and the bad-lines file (plain and two gzip members)."""
    synth = generate(engines_home / "synth", users=150, months="2019-11", seed=11)
    extra = engines_home / "extra"
    extra.mkdir()
    return [
        *sorted(shared_data.glob("*.csv")),
        *synth.files,
        write_bad_lines(extra / "bad-lines.csv"),
        write_bad_lines(extra / "bad-lines-members.csv.gz", gz_members=3, seed=6),
    ]


@pytest.fixture(scope="module")
def stores(spark, engines_home: Path, sources: list[Path]) -> tuple[Workspace, Workspace]:
    """Both engines' stores of ``sources`` (one user on the erasure list) and their feature tables."""
    duck, spark_ws = duck_and_spark(engines_home, "stores")
    for ws in (duck, spark_ws):
        add_tombstones(ws, [pseudonym(ERASED_RAW_ID, KEY.encode())])
    ingest_files(duck, sources)
    ingest_files_spark(spark_ws, sources)
    calendar = load_calendar()
    build_user_features(duck, calendar)
    build_user_features_spark(spark_ws, calendar)
    return duck, spark_ws


def test_manifest_entries_are_equal(stores: tuple[Workspace, Workspace]) -> None:
    duck, spark_ws = stores
    duck_entries, spark_entries = read_manifest(duck), read_manifest(spark_ws)
    assert [comparable(e) for e in spark_entries] == [comparable(e) for e in duck_entries]
    by_name = {e.name: e for e in duck_entries}
    assert by_name["bad-lines.csv"].rows_rejected > 100 and by_name["bad-lines.csv"].rows_erased > 0
    assert by_name["bad-lines.csv"].rows_duplicate > 0
    assert by_name["bad-lines-members.csv.gz"].rows_kept > 0  # every gzip member read


def test_store_files_hold_the_same_rows_in_the_same_order(stores: tuple[Workspace, Workspace]) -> None:
    duck, spark_ws = stores
    for entry in read_manifest(duck):
        for part in entry.partitions:
            query = f"SELECT * FROM read_parquet('{{}}/{part}')"
            duck_rows = duckdb.sql(query.format(duck.store_dir))
            spark_rows = duckdb.sql(query.format(spark_ws.store_dir))
            assert spark_rows.types == duck_rows.types
            assert spark_rows.fetchall() == duck_rows.fetchall(), part


def test_rejects_files_are_identical(stores: tuple[Workspace, Workspace]) -> None:
    duck, spark_ws = stores
    rejects = [e.rejects_file for e in read_manifest(duck) if e.rejects_file]
    assert rejects
    for name in rejects:
        assert (spark_ws.store_dir / name).read_bytes() == (duck.store_dir / name).read_bytes()


def test_feature_tables_are_equal(stores: tuple[Workspace, Workspace]) -> None:
    """Exact on integers, strings and times; floats within 1e-9 relative (1e-12 absolute around 0)."""
    duck, spark_ws = stores
    duck_table = duckdb.sql(f"SELECT * FROM '{duck.features_dir / 'user_features.parquet'}'")
    spark_table = duckdb.sql(f"SELECT * FROM '{spark_ws.features_dir / 'user_features.parquet'}'")
    assert spark_table.columns == duck_table.columns and spark_table.types == duck_table.types
    duck_rows, spark_rows = duck_table.fetchall(), spark_table.fetchall()
    assert len(spark_rows) == len(duck_rows) > 500
    for duck_row, spark_row in zip(duck_rows, spark_rows, strict=True):
        for column, d, s in zip(duck_table.columns, duck_row, spark_row, strict=True):
            if isinstance(d, float) and isinstance(s, float):
                assert math.isclose(s, d, rel_tol=1e-9, abs_tol=1e-12), (column, duck_row[0], d, s)
            else:
                assert s == d, (column, duck_row[0], d, s)


def test_pseudonym_udf_equals_the_python_hash(spark) -> None:
    raw = [0, 1, -1, 7, 541312140, 10**18, 2**63 - 1, -(2**63), *range(100_000, 101_000)]
    frame = spark.createDataFrame([(r,) for r in raw], "raw BIGINT")
    rows = frame.select("raw", _pseudonym_udf(KEY.encode())("raw").alias("p")).collect()
    assert {r.raw: r.p for r in rows} == dict(zip(raw, pseudonymise_ids(raw, KEY.encode()), strict=True))


def test_every_stored_user_has_the_python_pseudonym(stores: tuple[Workspace, Workspace], sources) -> None:
    """The Spark store's user ids are the keyed hashes (events.pseudonym) of every raw id of the clean files."""
    _, spark_ws = stores
    files = ", ".join(f"'{p}'" for p in sources[:3])  # the real rows and the synthetic month
    raw = duckdb.sql(
        f"""SELECT DISTINCT TRY_CAST(user_id AS BIGINT) FROM read_csv([{files}], all_varchar = true,
            ignore_errors = true, null_padding = true) WHERE TRY_CAST(user_id AS BIGINT) IS NOT NULL"""
    ).fetchall()
    expected = set(pseudonymise_ids([r for (r,) in raw], KEY.encode()))
    names = {p.name for p in sources[:3]}
    parts = [f"'{spark_ws.store_dir / p}'" for e in read_manifest(spark_ws) if e.name in names for p in e.partitions]
    stored = {u for (u,) in duckdb.sql(f"SELECT DISTINCT user_id FROM read_parquet([{', '.join(parts)}])").fetchall()}
    assert stored <= expected and len(stored) > 0.99 * len(expected)  # the rest had rejected rows only


def test_a_second_ingest_adds_nothing(stores: tuple[Workspace, Workspace], sources: list[Path]) -> None:
    _, spark_ws = stores
    results, _ = ingest_files_spark(spark_ws, sources[:1])
    assert [r.status for r in results] == ["already ingested"]


def test_a_file_of_one_row_is_ingested_like_duckdb(spark, engines_home: Path) -> None:
    duck, spark_ws = duck_and_spark(engines_home, "one-row")
    path = engines_home / "one.csv"
    path.write_text(
        "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n" + ROW + "\n",
        encoding="utf-8",
    )
    [d], _ = ingest_files(duck, [path])
    [s], _ = ingest_files_spark(spark_ws, [path])
    assert comparable(s.entry) == comparable(d.entry)


def test_a_file_of_rejected_rows_only_is_refused_like_duckdb(spark, engines_home: Path) -> None:
    duck, spark_ws = duck_and_spark(engines_home, "all-rejected")
    path = engines_home / "all-rejected.csv"
    path.write_text(
        "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
        + ROW.replace("view", "VIEW")
        + "\n"
        + ROW.replace(",view,", ",,")
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ShopgraphError) as by_duckdb:
        ingest_files(duck, [path])
    with pytest.raises(ShopgraphError) as by_spark:
        ingest_files_spark(spark_ws, [path])
    assert str(by_spark.value) == str(by_duckdb.value)
    assert "(missing event_type: 1, unknown event type: 1), the first at line 2: unknown event type 'VIEW'" in str(
        by_spark.value
    )
    assert not read_manifest(spark_ws)


def test_paths_with_glob_characters_are_read_as_they_are(spark, engines_home: Path) -> None:
    """Spark's readers glob their paths; a workspace or file named with ``[2]`` or ``{x}`` is still one file."""
    odd = engines_home / "odd[2]{x}"
    odd.mkdir()
    path = odd / "a*?.csv"
    path.write_bytes(b"header\nsecond\r\nthird")
    lines, read = numbered_lines(spark, str(path))
    rows = lines.orderBy("line_no").collect()
    read.unpersist()
    assert [(r.line_no, bytes(r.raw)) for r in rows] == [(1, b"header"), (2, b"second"), (3, b"third")]


def test_file_uris_read_through_hadoop_give_the_local_paths_manifest(
    stores: tuple[Workspace, Workspace], spark, engines_home: Path, shared_data: Path
) -> None:
    """Hadoop's local filesystem stands in for the lake: the size, hashes, header and lines of a ``file:`` URI."""
    _, by_path = stores
    nov = shared_data / "rees46-2019-nov-first683.csv"
    lake = engines_home / "lake"
    lake.mkdir()
    shutil.copy(nov, lake / nov.name)
    with gzip.open(lake / "nov-again.csv.gz", "wb") as fh:  # the same content, gzip-compressed
        fh.write(nov.read_bytes())
    files = LakeFiles(spark)
    sources = files.expand([f"{lake.as_uri()}/{nov.name}", f"{lake.as_uri()}/*.gz"])
    assert [str(s) for s in sources] == [f"file:{lake / nov.name}", f"file:{lake / 'nov-again.csv.gz'}"]
    with pytest.raises(ShopgraphError, match="no file matches"):
        files.expand([f"{lake.as_uri()}/*.parquet"])

    by_uri = Workspace(engines_home / "uri")
    results, _ = ingest_files_spark(by_uri, sources)

    assert [r.status for r in results] == ["ingested", f"already ingested (same content as {nov.name})"]
    [local] = [e for e in read_manifest(by_path) if e.name == nov.name]
    [lake_entry] = read_manifest(by_uri)
    assert lake_entry.source_path == f"file:{lake / nov.name}"
    assert comparable(lake_entry) | {"source_path": None} == comparable(local) | {"source_path": None}
    for part in local.partitions:
        query = f"SELECT * FROM read_parquet('{{}}/{part}')"
        assert (
            duckdb.sql(query.format(by_uri.store_dir)).fetchall()
            == duckdb.sql(query.format(by_path.store_dir)).fetchall()
        )
