"""Read a ``.csv`` or ``.csv.gz`` file as numbered raw lines, in bounded Arrow batches.

Lines are split on ``\\n`` only, so every physical line of the file (including empty ones
and the last one without a newline) becomes exactly one ``(line_no, raw)`` row and line
numbers are the real ones. Bytes are passed through untouched (no decoding here);
gzip is detected by its magic bytes, multi-member archives are supported, and a
truncated or corrupt archive raises one :class:`ShopgraphError`. The bytes come from the local
file, or from ``opener`` (a callable returning a binary stream: the Spark engine's Hadoop reader).
"""

from __future__ import annotations

import queue
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath
from typing import BinaryIO, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress

try:  # ISA-L inflates gzip about 3x faster than zlib; same API, same results
    from isal import isal_zlib as inflate_lib

    INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, inflate_lib.error)
except ImportError:  # pragma: no cover - isal is a declared dependency
    inflate_lib = zlib  # type: ignore[assignment]
    INFLATE_ERRORS = (zlib.error,)

GZIP_MAGIC = b"\x1f\x8b"
BOM = b"\xef\xbb\xbf"
MAX_LINE_BYTES = 64 << 20
LINES_SCHEMA = pa.schema([("line_no", pa.int64()), ("raw", pa.binary())])
Opener = Callable[[], BinaryIO]
"""Opens the bytes of a file (``path`` then only names it in messages)."""


class Digest(Protocol):
    """What :func:`line_batches` needs of a hash object (``hashlib.sha256()``)."""

    def update(self, data: bytes, /) -> None: ...


def _opener(path: PurePath, opener: Opener | None) -> Opener:
    return opener or (lambda: open(path, "rb"))


def is_gzip(path: PurePath, opener: Opener | None = None) -> bool:
    """Whether ``path`` starts with the gzip magic bytes."""
    with _opener(path, opener)() as handle:
        return handle.read(2) == GZIP_MAGIC


def _chunks(path: PurePath, block_size: int, opener: Opener | None = None) -> Iterator[tuple[bytes, int]]:
    """Decompressed (or plain) bytes of ``path`` with the file position after each block."""
    gz = is_gzip(path, opener)
    with _opener(path, opener)() as handle:
        inflater = inflate_lib.decompressobj(wbits=31) if gz else None
        while True:
            block = handle.read(block_size)
            if not block:
                break
            if inflater is None:
                yield block, handle.tell()
                continue
            try:
                data = inflater.decompress(block)
                while inflater.eof and inflater.unused_data:  # next gzip member
                    rest = inflater.unused_data
                    inflater = inflate_lib.decompressobj(wbits=31)
                    data += inflater.decompress(rest)
            except INFLATE_ERRORS as exc:
                raise ShopgraphError(
                    f"{path.name} is not a valid gzip file ({exc}): re-download or re-compress it"
                ) from None
            yield data, handle.tell()
        if inflater is not None and not inflater.eof:
            raise ShopgraphError(
                f"{path.name} is a truncated gzip file (it ends before the end of the compressed stream): "
                "re-download or re-compress it"
            )


def first_line(path: PurePath, limit: int = 1 << 20, opener: Opener | None = None) -> str | None:
    """The first line of the file as text (BOM and line ending removed); None if the file is empty.

    Raises
    ------
    ShopgraphError
        If the first line is not UTF-8 or longer than ``limit`` bytes.
    """
    head = b""
    for data, _ in _chunks_quiet(path, 1 << 16, opener):
        head += data
        if b"\n" in head or len(head) > limit:
            break
    if not head:
        return None
    line = head.split(b"\n", 1)[0].removeprefix(BOM).rstrip(b"\r")
    if len(line) > limit:
        raise ShopgraphError(f"{path.name}: line 1 is longer than {limit} bytes: this is not a REES46 CSV file")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise ShopgraphError(f"{path.name}: line 1 (the header) is not UTF-8 text: is this a CSV file?") from None


def _chunks_quiet(path: PurePath, block_size: int, opener: Opener | None = None) -> Iterator[tuple[bytes, int]]:
    """Like :func:`_chunks` but a truncated archive just ends (used to peek at the header)."""
    try:
        yield from _chunks(path, block_size, opener)
    except ShopgraphError as exc:
        if "truncated" not in str(exc):
            raise


def line_batches(
    path: PurePath,
    block_size: int = 8 << 20,
    progress: Progress | None = None,
    digest: Digest | None = None,
    opener: Opener | None = None,
    size: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """Every line of ``path`` as Arrow batches of ``(line_no, raw)``, header included (line 1).

    Parameters
    ----------
    path
        A plain or gzip-compressed text file.
    block_size
        Bytes read from the file at a time; memory stays a small multiple of the
        decompressed size of one block.
    progress
        Called after each batch as ``progress("read", bytes_consumed, file_size)`` (compressed bytes).
    digest
        Optional hash object updated with every decompressed byte of the file, as is
        (BOM and line endings included): once the batches are exhausted it identifies the
        content whatever the compression.
    opener, size
        Where the bytes come from and how many there are, when not from the local file ``path``.

    Yields
    ------
    pyarrow.RecordBatch
        Schema :data:`LINES_SCHEMA`. A UTF-8 byte-order mark at the start of line 1 is
        removed, and so is ``\\r`` at the end of a line (CRLF files). A final line with
        no newline is a line; the empty string after a final newline is not.
    """
    size = Path(path).stat().st_size if size is None else size
    next_line = 1
    tail = b""
    first = True
    for data, position in _chunks(path, block_size, opener):
        if digest is not None:
            digest.update(data)
        data = tail + data
        if first:
            if len(data) < len(BOM) and BOM.startswith(data):
                tail = data  # too few bytes yet to tell whether they start a BOM
                continue
            data = data.removeprefix(BOM)
            first = False
        cut = data.rfind(b"\n")
        if cut < 0:
            if len(data) > MAX_LINE_BYTES:
                raise ShopgraphError(
                    f"{path.name}: line {next_line} is longer than {MAX_LINE_BYTES >> 20} MiB: "
                    "this is not a REES46 CSV file"
                )
            tail = data
            continue
        tail = data[cut + 1 :]
        body = data[:cut]
        del data
        if b"\r" in body:  # CRLF: drop the \r of every line ending (a \r inside a line stays)
            body = body.replace(b"\r\n", b"\n").removesuffix(b"\r")
        lines = pc.split_pattern(pa.array([body], pa.binary()), pattern=b"\n").flatten()
        del body
        count = len(lines)
        numbers = pa.array(np.arange(next_line, next_line + count, dtype=np.int64))
        next_line += count
        yield pa.record_batch([numbers, lines], schema=LINES_SCHEMA)
        if progress is not None:
            progress("read", position, size)
    if tail:
        yield pa.record_batch(
            [pa.array([next_line], pa.int64()), pa.array([tail.removesuffix(b"\r")], pa.binary())],
            schema=LINES_SCHEMA,
        )
        next_line += 1
    if progress is not None:
        progress("read", size, size)


def prefetched(batches: Iterator[pa.RecordBatch], depth: int = 3) -> Iterator[pa.RecordBatch]:
    """Run ``batches`` in a background thread, ``depth`` batches ahead of the consumer.

    Decompressing and splitting (which release the GIL) then overlap with the SQL that
    consumes the lines. An exception in the producer is re-raised in the consumer; when
    the consumer stops early, the producer stops at its next batch.
    """
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    finished = object()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        slots.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            item: object = finished
        except BaseException as exc:  # handed to the consumer
            item = exc
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    worker = threading.Thread(target=produce, name="shopgraph-line-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is finished:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)
