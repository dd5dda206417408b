"""The feature table and the user vectors read in parts, so a segmentation run's memory grows with the
customers it clusters (at most ``segmentation.CLUSTER_USERS``) rather than with every customer (issue 20).

:func:`read_columns` reads a few columns of every user; :func:`read_rows` the whole rows of the users a
mask keeps, ``chunk_rows`` rows at a time; :class:`VectorFile` finds the vectors of given users without
holding the others'. Each gives what reading the whole table and selecting from it would give, in
``user_id`` order (stable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from embeddings.store import _vectors_of, paths
from shopgraph.workspace import Workspace

CHUNK_ROWS = 250_000


def n_events_of(values: pd.Series) -> np.ndarray:
    """Event counts as the run reads them: numeric, missing as 0."""
    return pd.to_numeric(values, errors="coerce").fillna(0).to_numpy()


def flagged(table: pa.Table, user_ids: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Which rows of ``table`` belong to users ``flags`` marks, ``user_ids`` sorted (a look-up per row: a
    chunk is checked against millions of users without sorting them again)."""
    ids = np.asarray(table.column("user_id"), np.int64)
    at = np.clip(np.searchsorted(user_ids, ids), 0, max(len(user_ids) - 1, 0))
    return (user_ids[at] == ids) & flags[at] if len(user_ids) else np.zeros(len(ids), bool)


def members(ids: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are in ``sorted_ids`` (sorted, unique): a binary search each, nothing sorted again."""
    if not len(sorted_ids):
        return np.zeros(len(ids), bool)
    at = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
    return sorted_ids[at] == ids


def read_columns(path: Path, columns: list[str]) -> pd.DataFrame:
    """``columns`` of every row of the parquet file ``path``, sorted by ``user_id`` (stable)."""
    frame = pq.read_table(path, columns=columns).to_pandas()
    return frame.sort_values("user_id", kind="stable").reset_index(drop=True)


def chunks(path: Path, chunk_rows: int = CHUNK_ROWS, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """The file's rows, ``chunk_rows`` at a time, in file order."""
    with pq.ParquetFile(path) as file:
        for batch in file.iter_batches(batch_size=chunk_rows, columns=columns):
            yield pa.Table.from_batches([batch], schema=batch.schema)


def read_rows(
    path: Path,
    keep: Callable[[pa.Table], np.ndarray],
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Every column of the rows ``keep`` flags (given each chunk, a mask of its rows), sorted by ``user_id``
    (stable): the rows ``pd.read_parquet(path)`` sorted by ``user_id`` would hold, in the same order, read
    ``chunk_rows`` at a time; ``progress(rows_read, rows_kept)`` after each chunk."""
    kept, read, held = [], 0, 0
    for table in chunks(path, chunk_rows):
        mask = np.asarray(keep(table), bool)
        part = table.filter(pa.array(mask))
        kept.append(part)
        read, held = read + len(table), held + len(part)
        if progress is not None:
            progress(read, held)
    if not kept:
        return pq.read_table(path).to_pandas()  # an empty file: its schema
    frame = pa.concat_tables(kept).to_pandas()
    return frame.sort_values("user_id", kind="stable").reset_index(drop=True)


@dataclass
class VectorFile:
    """The user vector file's ids (sorted, with their row in the file): the vectors of given users are
    read when asked, as :func:`segments.inputs.align_vectors` on the whole file would give them."""

    path: Path
    ids: np.ndarray  # sorted user ids
    rows: np.ndarray  # the file row of each sorted id
    dimensions: int

    @classmethod
    def open(cls, workspace: Workspace) -> VectorFile | None:
        """The workspace's user vectors, None when there are none (``shopgraph embed`` has not run)."""
        path = paths(workspace)["users"]
        if not path.exists():
            return None
        ids = np.asarray(pq.read_table(path, columns=["user_id"]).column("user_id"), np.int64)
        if not len(ids):
            return None
        rows = np.argsort(ids, kind="stable")
        with pq.ParquetFile(path) as file:
            first = next(file.iter_batches(batch_size=1, columns=["vector"]))
        dimensions = _vectors_of(first.column(0), 1).shape[1]
        return cls(path, ids[rows], rows, dimensions)

    def aligned(self, user_ids: np.ndarray) -> np.ndarray:
        """Vectors in the order of ``user_ids`` (float32; NaN rows for users without one), reading only the
        file's row groups that hold them: a chunk of users in ``user_id`` order reads a few."""
        user_ids = np.asarray(user_ids, np.int64)
        out = np.full((len(user_ids), self.dimensions), np.nan, np.float32)
        pos = np.clip(np.searchsorted(self.ids, user_ids), 0, len(self.ids) - 1)
        hit = np.flatnonzero(self.ids[pos] == user_ids)
        if not len(hit):
            return out
        wanted = self.rows[pos[hit]]  # file rows, one per hit
        order = np.argsort(wanted, kind="stable")
        wanted, hit = wanted[order], hit[order]
        with pq.ParquetFile(self.path) as file:  # only the row groups holding wanted rows are read
            sizes = [file.metadata.row_group(g).num_rows for g in range(file.metadata.num_row_groups)]
            starts = np.concatenate([[0], np.cumsum(sizes)])
            for group in np.unique(np.searchsorted(starts, wanted, side="right") - 1):
                start, stop = starts[group], starts[group + 1]
                lo, hi = np.searchsorted(wanted, start), np.searchsorted(wanted, stop)
                column = file.read_row_group(int(group), columns=["vector"]).column("vector")
                out[hit[lo:hi]] = _vectors_of(column, int(stop - start))[wanted[lo:hi] - start]
        return out
