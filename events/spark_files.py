"""The Spark engine's source files, read through the cluster's Hadoop FileSystem: local paths or lake URIs.

A source is a local path or a URI (``s3a://``, ``gs://``, ``abfss://``, ``hdfs://``, ``file://``) that
the session's Hadoop connectors read, with the credentials the cluster already has. The driver's own
reads (size, hash, header, line count) go through the JVM's ``FileSystem`` as Spark's do, so a lake
file is never copied to the driver's disk. A local path is read through Hadoop's local filesystem
and keeps its local name in the manifest, as with DuckDB.
"""

from __future__ import annotations

import glob
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from events.ingest import expand_paths
from events.lines import Opener, first_line
from events.validate import check_header
from shopgraph.errors import ShopgraphError

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")  # s3a://…, and Hadoop's own file:/…
READ_BLOCK = 8 << 20


def is_uri(location: str | Path) -> bool:
    """Whether ``location`` names a file by URI (``scheme://…``, ``file:/…``) rather than a local path."""
    return isinstance(location, str) and bool(URI.match(location))


@dataclass(frozen=True)
class LakePath:
    """A source named by URI: what a local :class:`~pathlib.Path` gives the rest of ingest (``name``, ``str``)."""

    uri: str

    @property
    def name(self) -> str:
        return PurePosixPath(urlsplit(self.uri).path).name

    def __str__(self) -> str:
        return self.uri


Source = Path | LakePath


class RawDigest:
    """The SHA-256 of a file's bytes, fed by every stream opened on it: each byte is hashed once, in order.

    A stream that starts again from the beginning (a peek at the gzip magic, then the full read)
    adds only the bytes past those already hashed.
    """

    def __init__(self) -> None:
        self._digest, self._upto = hashlib.sha256(), 0

    def seen(self, position: int, data: bytes) -> None:
        start = self._upto - position
        if 0 <= start < len(data):
            self._digest.update(data[start:])
            self._upto = position + len(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


class HadoopReader(io.RawIOBase):
    """A Hadoop ``FSDataInputStream`` as a Python binary stream (bytes cross py4j one block at a time)."""

    def __init__(self, stream: Any, digest: RawDigest | None = None) -> None:
        super().__init__()
        self._stream, self._position, self._digest = stream, 0, digest

    def _got(self, data: bytes) -> bytes:
        if self._digest is not None:
            self._digest.seen(self._position, data)
        self._position += len(data)
        return data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._got(bytes(self._stream.readNBytes(len(buffer))))  # Java 11+: fewer only at the end
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        return self._got(bytes(self._stream.readNBytes(size)))

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


class LakeFiles:
    """The session's Hadoop FileSystems: status, reads and globs of sources, local or in the lake."""

    def __init__(self, spark: Any) -> None:
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, source: Source | str) -> Any:
        """The Hadoop ``Path`` of ``source`` (a local path as a ``file:`` URI, escaped by Java)."""
        if isinstance(source, LakePath) or is_uri(source):
            return self._jvm.org.apache.hadoop.fs.Path(str(source))
        return self._jvm.org.apache.hadoop.fs.Path(self._jvm.java.io.File(str(Path(source).absolute())).toURI())

    def _fs(self, path: Any) -> Any:
        return path.getFileSystem(self._conf)

    def size(self, source: Source) -> int:
        """The size in bytes; a missing, non-regular or empty file is the user's error (as :func:`source_size`)."""
        path = self._path(source)
        fs = self._fs(path)
        if not fs.exists(path) or not fs.getFileStatus(path).isFile():
            raise ShopgraphError(f"{source} is not a file")
        size = int(fs.getFileStatus(path).getLen())
        if size == 0:
            raise ShopgraphError(f"{source.name} is empty: nothing to ingest")
        return size

    def open(self, source: Source, digest: RawDigest | None = None) -> HadoopReader:
        path = self._path(source)
        return HadoopReader(self._fs(path).open(path, READ_BLOCK), digest)

    def opener(self, source: Source, digest: RawDigest | None = None) -> Opener:
        """A callable opening ``source`` (for :mod:`events.lines`), each read fed to ``digest``."""
        return lambda: io.BufferedReader(self.open(source, digest), READ_BLOCK)

    def check_header(self, source: Source) -> None:
        """Refuse a file whose first line is missing or not the REES46 header (as :func:`check_source_header`)."""
        header = first_line(PurePosixPath(source.name), opener=self.opener(source))
        if header is None:
            raise ShopgraphError(f"{source.name} is empty: nothing to ingest")
        check_header(header, source.name)

    def expand(self, patterns: Sequence[str]) -> list[Source]:
        """The files named by ``patterns``, in order, each once: URIs globbed by Hadoop, local paths as DuckDB's."""
        found: list[Source] = []
        for pattern in patterns:
            matches = self._glob(pattern) if is_uri(pattern) else expand_paths([pattern])
            found += [m for m in matches if m not in found]
        return found

    def _glob(self, pattern: str) -> list[LakePath]:
        path = self._path(pattern)
        fs = self._fs(path)
        if not glob.has_magic(pattern):
            if not fs.exists(path):
                raise ShopgraphError(f"{pattern} does not exist: check the path")
            statuses = [fs.getFileStatus(path)]
        elif not (statuses := fs.globStatus(path)):
            raise ShopgraphError(f"no file matches {pattern!r}")
        matches = []
        for status in sorted(statuses, key=lambda s: s.getPath().toString()):
            uri = status.getPath().toString()
            if status.isDirectory():
                raise ShopgraphError(f"{uri} is a directory: name the files, e.g. `shopgraph ingest '{uri}/*.csv.gz'`")
            if not status.isFile():
                raise ShopgraphError(f"{uri} is not a regular file")
            matches.append(LakePath(uri))
        return matches
