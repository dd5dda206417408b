"""Pseudonym key handling, the keyed hash (Python and SQL agree) and the erasure list."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.pseudonym import key_path, load_key, pseudonym, pseudonym_sql, pseudonymise_ids
from events.tombstones import add_tombstones, parse_tombstones, read_tombstones, tombstones_path
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace


def test_known_value() -> None:
    digest = hmac.new(b"k", b"541312140", hashlib.sha256).digest()
    assert (
        pseudonymise_ids([541312140, "541312140", "0541312140"], b"k")
        == [int.from_bytes(digest[:8], "big", signed=True)] * 3
    )


def test_signed_64_bit_and_key_dependent() -> None:
    values = pseudonymise_ids(range(2000), b"key-one")
    assert all(-(2**63) <= v < 2**63 for v in values) and min(values) < 0 < max(values)
    assert len(set(values)) == 2000
    assert values != pseudonymise_ids(range(2000), b"key-two")


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=20),
    key=st.binary(min_size=1, max_size=100).filter(lambda k: k.strip() == k),
)
def test_sql_and_python_agree(ids: list[int], key: bytes) -> None:
    got = duckdb.execute(
        f"SELECT {pseudonym_sql('x', key)} FROM unnest(?::BIGINT[]) WITH ORDINALITY t(x, i) ORDER BY i", [ids]
    ).fetchall()
    assert [v for (v,) in got] == pseudonymise_ids(ids, key) == [pseudonym(i, key) for i in ids]


def test_key_from_environment(workspace: Workspace) -> None:
    assert load_key(workspace) == b"test-key-not-secret"
    assert not key_path(workspace).exists()


def test_key_file_created_owner_only(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPGRAPH_PSEUDONYM_KEY")
    with pytest.raises(ShopgraphError, match="no pseudonymisation key"):
        load_key(workspace, create=False)
    key = load_key(workspace)
    path = key_path(workspace)
    assert len(key) == 64 and load_key(workspace) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_key_file_readable_by_others_is_refused(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPGRAPH_PSEUDONYM_KEY")
    load_key(workspace)
    key_path(workspace).chmod(0o644)
    with pytest.raises(ShopgraphError, match="chmod 600"):
        load_key(workspace)


def test_tombstones_round_trip(workspace: Workspace) -> None:
    assert read_tombstones(workspace) == set()
    assert add_tombstones(workspace, [5, -(2**63), 5]) == 2
    assert add_tombstones(workspace, [5, 7]) == 1
    assert add_tombstones(workspace, []) == 0
    assert read_tombstones(workspace) == {5, 7, -(2**63)}
    assert tombstones_path(workspace).read_text() == f"{-(2**63)}\n5\n7\n"
    assert not list(tombstones_path(workspace).parent.glob(".tombstones-*"))


def test_bad_tombstone_line_is_a_clear_error(tmp_path: Path) -> None:
    assert parse_tombstones("1\n\n# comment\n-2 # note\n") == {1, -2}
    with pytest.raises(ShopgraphError, match="line 2"):
        parse_tombstones("1\nabc\n")
    with pytest.raises(ShopgraphError, match="64-bit"):
        parse_tombstones(str(2**63))
