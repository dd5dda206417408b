"""The line reader: true line numbers across block boundaries, bytes untouched, gzip detection."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from events.lines import first_line, line_batches, prefetched
from shopgraph.errors import ShopgraphError


def read_all(path: Path, block_size: int) -> list[tuple[int, bytes]]:
    table = pa.Table.from_batches(list(line_batches(path, block_size=block_size)))
    return list(zip(table.column("line_no").to_pylist(), table.column("raw").to_pylist(), strict=True))


@pytest.mark.parametrize("block_size", [1, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("gz", [False, True])
def test_every_line_once_with_its_number(tmp_path: Path, block_size: int, gz: bool) -> None:
    lines = [b"head", b"", b"a,b", b"\xff\xfe", b"x" * 50, b"", b"last"]
    data = b"\xef\xbb\xbf" + b"\n".join(lines)  # BOM, no final newline
    path = tmp_path / "f"
    path.write_bytes(gzip.compress(data) if gz else data)
    assert read_all(path, block_size) == list(enumerate(lines, start=1))


def test_final_newline_is_not_a_line(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"h\nr1\nr2\n")
    assert read_all(path, 2) == [(1, b"h"), (2, b"r1"), (3, b"r2")]


def test_first_line(tmp_path: Path) -> None:
    path = tmp_path / "f.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbfa,b\r\nrest\n"))
    assert first_line(path) == "a,b"
    (tmp_path / "e").write_bytes(b"")
    assert first_line(tmp_path / "e") is None


def test_prefetched_passes_errors_on(tmp_path: Path) -> None:
    def failing():
        yield 1
        raise ShopgraphError("boom")

    got = []
    with pytest.raises(ShopgraphError, match="boom"):
        for item in prefetched(failing()):
            got.append(item)
    assert got == [1]


def test_prefetched_stops_when_the_consumer_stops() -> None:
    endless = iter(range(10**9))
    stream = prefetched(endless, depth=2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    assert next(endless) < 100


@pytest.mark.parametrize("block_size", [1, 2, 5, 1 << 20])
def test_crlf_endings_are_removed_but_inner_cr_stays(tmp_path: Path, block_size: int) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"head\r\na\rb\r\n\r\nlast\r")
    assert read_all(path, block_size) == [(1, b"head"), (2, b"a\rb"), (3, b""), (4, b"last")]


@pytest.mark.parametrize("block_size", [1, 7, 1 << 20])
@pytest.mark.parametrize("gz", [False, True])
def test_digest_is_of_the_decompressed_bytes(tmp_path: Path, block_size: int, gz: bool) -> None:
    data = b"\xef\xbb\xbfhead\r\na,b\n\nlast"  # BOM, CRLF, no final newline: hashed as they are
    path = tmp_path / "f"
    path.write_bytes(gzip.compress(data[:9]) + gzip.compress(data[9:]) if gz else data)
    digest = hashlib.sha256()
    list(line_batches(path, block_size=block_size, digest=digest))
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
