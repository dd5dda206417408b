"""Puts the user vectors (``embeddings/user_vectors.parquet``) on (:User) nodes; keeps the vector index.

The index is `user_embedding`. With ``min_events`` only customers with that many events get a vector
on the graph (`run` gives the floor below which a customer gets no likely segment either): a vector
folded in from one or two products says little about who a customer is like, and at REES46 size most
customers have fewer than five events, so writing and indexing theirs is most of the step's time
(docs/BENCHMARKS.md, "Scale").
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph.connection import QueryRunner
from graph.schema import wait_for_indexes
from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress
from shopgraph.workspace import Workspace

VECTORS_FILE = "user_vectors.parquet"
INDEX_NAME = "user_embedding"
DEFAULT_BATCH_SIZE = 10_000
REBUILD_INDEX_FROM = 500_000  # writing this many vectors, the index is dropped and re-made (docs/BENCHMARKS.md)


@dataclass(frozen=True)
class VectorWrite:
    """What a write did: rows to write (the file's, or those at ``min_events``), users that got a vector,
    stale vectors removed, the index."""

    rows: int
    matched: int
    removed: int
    dimensions: int
    index_created: bool
    index_seconds: float = 0.0  # creating the index and waiting for its population (0 when it was kept)


def vectors_path(workspace: Workspace) -> Path:
    return workspace.embeddings_dir / VECTORS_FILE


def _stamp(path: Path) -> str:
    """Identifies one version of the file: its size, modification time and first bytes."""
    stat = path.stat()
    with path.open("rb") as handle:
        head = hashlib.sha256(handle.read(1 << 20)).hexdigest()[:16]
    return f"{stat.st_size}-{stat.st_mtime_ns}-{head}"


def active_users(workspace: Workspace, min_events: int) -> pa.Array:
    """The ids of the customers with at least ``min_events`` events, from the feature table."""
    from features.compute import FEATURES_FILE

    path = workspace.features_dir / FEATURES_FILE
    if not path.is_file():
        raise ShopgraphError(f"no feature table at {path}: run `shopgraph features` first")
    table = pq.read_table(path, columns=["user_id", "n_events"])
    return table.column("user_id").filter(pc.greater_equal(table.column("n_events"), min_events)).combine_chunks()


def _rows(path: Path, batch_size: int, keep: pa.Array | None = None) -> Iterator[tuple[list[int], list[list[float]]]]:
    """``(user ids, vectors)`` per batch (only ids in ``keep`` when given), checked with numpy."""
    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    if "user_id" not in names or "vector" not in names:
        raise ShopgraphError(f"{path} has no user_id and vector columns: re-run `shopgraph embed`")
    for batch in parquet.iter_batches(batch_size=batch_size, columns=["user_id", "vector"]):
        if keep is not None:
            batch = batch.filter(pc.is_in(batch.column("user_id"), value_set=keep))
        ids = batch.column("user_id").to_pylist()
        column = batch.column("vector")
        values = np.asarray(column.flatten(), dtype=np.float64) if column.null_count == 0 else np.array([np.nan])
        lengths = set(pc.list_value_length(column).unique().to_pylist()) - {None}
        if column.null_count or not np.isfinite(values).all() or len(lengths) > 1:
            vectors = column.to_pylist()
            bad = next(
                (
                    u
                    for u, v in zip(ids, vectors, strict=True)
                    if v is None or not np.isfinite(np.array(v, float)).all()
                ),
                ids[0],
            )
            raise ShopgraphError(f"{path}: user {bad} has a missing or non-finite vector: re-run `shopgraph embed`")
        yield ids, values.reshape(len(ids), -1).tolist() if len(ids) else []


def file_dimensions(path: Path) -> int:
    """The vectors' dimension d (``FLOAT[d]`` fixed-size list, or the first row's length)."""
    field = pq.read_schema(path).field("vector")
    size = getattr(field.type, "list_size", None)
    if size:
        return int(size)
    first = pq.ParquetFile(path).read_row_group(0, columns=["vector"]).column("vector")
    if len(first) == 0:
        raise ShopgraphError(f"{path} holds no vectors: re-run `shopgraph embed`")
    return len(first[0].as_py())


def ensure_index(db: QueryRunner, dimensions: int, progress: Progress | None = None) -> bool:
    """Create `user_embedding` (cosine, ``dimensions``, not quantized) unless it exists so; True when created.

    Returns once the index is online (its population shown through ``progress``).
    """
    existing = db.run("vectors/vector_index")
    if (
        existing
        and existing[0]["dimensions"] == dimensions
        and existing[0]["similarity"] == "COSINE"
        and not existing[0]["quantized"]
    ):
        created = False
    else:
        if existing:
            db.run("vectors/drop_vector_index")
        db.run("vectors/create_vector_index", dimensions=dimensions)
        created = True
    wait_for_indexes(db, progress)  # also one still populating since a restart
    return created


def write_user_vectors(
    db: QueryRunner,
    workspace: Workspace,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    rebuild_index: bool | None = None,
    min_events: int | None = None,
) -> VectorWrite:
    """Set ``User.embedding`` from the vector file and keep the cosine vector index `user_embedding`.

    Idempotent: a re-run writes the same values; users the file no longer holds lose their
    old vector. The index is re-created when the dimensions changed, and with ``rebuild_index`` it
    is dropped before the write and re-created after (one population instead of an update per
    user; look-alike queries find no index meanwhile). By default (None) it is rebuilt when
    ``REBUILD_INDEX_FROM`` or more vectors are written, where one population beats an insert per
    user (docs/BENCHMARKS.md, "Scale").
    With ``min_events`` only the customers with that many events (feature table) get a vector;
    the others lose any they had. ``progress("User.embedding", done, total)`` is called after each
    committed batch. Users without a node are skipped.
    """
    path = vectors_path(workspace)
    if not path.is_file():
        raise ShopgraphError(f"no user vectors at {path}: run `shopgraph embed` first")
    dimensions = file_dimensions(path)
    keep = active_users(workspace, min_events) if min_events is not None else None
    if keep is None:
        total = pq.ParquetFile(path).metadata.num_rows
    else:
        ids = pq.read_table(path, columns=["user_id"]).column("user_id")
        total = pc.sum(pc.is_in(ids, value_set=keep)).as_py() or 0
    stamp = _stamp(path) + ("" if min_events is None else f"-min{min_events}")
    if rebuild_index is None:
        rebuild_index = total >= REBUILD_INDEX_FROM
    if rebuild_index:
        db.run("vectors/drop_vector_index")
    matched = done = 0
    batches = ({"user_ids": ids, "vectors": vectors} for ids, vectors in _rows(path, batch_size, keep))
    for batch, records in db.write_columns("vectors/set_user_embeddings", batches, stamp=stamp):
        matched += records[0]["matched"] if records else 0
        done += len(batch["user_ids"])
        if progress:
            progress("User.embedding", done, total)
    removed = db.run("vectors/remove_stale_embeddings", stamp=stamp)[0]["removed"]
    started = time.perf_counter()
    created = ensure_index(db, dimensions, progress)
    return VectorWrite(total, matched, removed, dimensions, created, time.perf_counter() - started if created else 0.0)
