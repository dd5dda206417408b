"""Puts the user vectors (``embeddings/user_vectors.parquet``) on (:User) nodes; keeps the vector index.

The index is `user_embedding`. With ``min_events`` only customers with that many events get a vector
on the graph (`run` gives the floor below which a customer gets no likely segment either): a vector
folded in from one or two products says little about who a customer is like, and at REES46 size most
customers have fewer than five events, so writing and indexing theirs is most of the step's time
(docs/BENCHMARKS.md, "Scale").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid
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
from shopgraph.files import atomic_path
from shopgraph.progress import Progress
from shopgraph.sqltext import literal
from shopgraph.workspace import Workspace

VECTORS_FILE = "user_vectors.parquet"
RECORD_FILE = "vectors_on_graph.parquet"  # (user_id, digest) of the vectors the graph holds, and the write's token
INDEX_NAME = "user_embedding"
DEFAULT_BATCH_SIZE = 10_000
HNSW_M = 16  # vector.hnsw.m: links per vector in the index's graph (Neo4j's default)
HNSW_EF_CONSTRUCTION = 100  # vector.hnsw.ef_construction: Neo4j's; 50 builds 2x faster, finds less (BENCHMARKS)
REBUILD_INDEX_FROM = 500_000  # from this many vectors written or removed, the index is dropped and made anew after


@dataclass(frozen=True)
class VectorWrite:
    """What a write did: rows to hold (the file's, or those at ``min_events``), users holding their vector
    on the graph after it, stale vectors removed, the index, and the rows sent (the others were there)."""

    rows: int
    matched: int
    removed: int
    dimensions: int
    index_created: bool
    index_seconds: float = 0.0  # creating the index and waiting for its population (0 when it was kept)
    written: int = 0


def vectors_path(workspace: Workspace) -> Path:
    return workspace.embeddings_dir / VECTORS_FILE


def _stamp(path: Path) -> str:
    """Identifies one version of the file: its size, modification time and first bytes."""
    stat = path.stat()
    with path.open("rb") as handle:
        head = hashlib.sha256(handle.read(1 << 20)).hexdigest()[:16]
    return f"{stat.st_size}-{stat.st_mtime_ns}-{head}"


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


def ensure_index(db: QueryRunner, dimensions: int, progress: Progress | None = None, wait: bool = True) -> bool:
    """Create `user_embedding` (cosine, ``dimensions``, not quantized, :data:`HNSW_M` and
    :data:`HNSW_EF_CONSTRUCTION`) unless it exists so; True when created.

    Returns once the index is online (its population shown through ``progress``); with ``wait`` False at once,
    the population going on in Neo4j (``graph.schema.wait_for_indexes`` waits for it later).
    """
    existing = db.run("vectors/vector_index")
    if (
        existing
        and existing[0]["dimensions"] == dimensions
        and existing[0]["similarity"] == "COSINE"
        and not existing[0]["quantized"]
        and (existing[0]["m"], existing[0]["ef_construction"]) == (HNSW_M, HNSW_EF_CONSTRUCTION)
    ):
        created = False
    else:
        if existing:
            db.run("vectors/drop_vector_index")
        db.run("vectors/create_vector_index", dimensions=dimensions, m=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION)
        created = True
    if wait:
        wait_for_indexes(db, progress)  # also one still populating since a restart
    return created


def write_user_vectors(
    db: QueryRunner,
    workspace: Workspace,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    rebuild_index: bool | None = None,
    min_events: int | None = None,
    writers: int = 2,
    wait_for_index: bool = True,
) -> VectorWrite:
    """Set ``User.embedding`` from the vector file and keep the cosine vector index `user_embedding`.

    Only what changed since the last finished write is sent: the record beside the vector file
    (:data:`RECORD_FILE`, user id and a digest of each vector the graph holds) is trusted when the
    graph's ``(:VectorsOnGraph)`` token matches it; otherwise every vector is written and the ones
    from any other write removed. A later month folds in its new customers and leaves the others'
    vectors as they were, so it writes those only. Idempotent; users the file no longer holds (or
    under ``min_events`` events, from the feature table) lose their old vector. The index is
    re-created when the dimensions changed, and with ``rebuild_index`` it is dropped before the write
    and made anew after; by default (None) as :func:`rebuild_pays` says. ``progress("User.embedding", done,
    total)`` after each committed batch, written by ``writers`` at once. Users without a node are skipped.
    With ``wait_for_index`` False it returns before a new index is online (``index_seconds`` is then the
    time to create it): `run` lets Neo4j populate it beside the next steps.
    """
    path = vectors_path(workspace)
    if not path.is_file():
        raise ShopgraphError(f"no user vectors at {path}: run `shopgraph embed` first")
    dimensions = file_dimensions(path)
    stamp = _stamp(path) + ("" if min_events is None else f"-min{min_events}")
    plan = _plan(db, workspace, path, min_events)
    if rebuild_index is None:
        rebuild_index = rebuild_pays(plan.changes)
    if plan.changes:  # stopped from here on, the next write trusts no record and sends every vector
        db.run("vectors/clear_vectors_token")
    if rebuild_index:
        db.run("vectors/drop_vector_index")
    matched: list[pa.Array] = []
    done = 0
    send = None if plan.drop is None and min_events is None else plan.send  # None: every row, no lookup per batch
    nodes = db.user_nodes()  # each batch finds its users by node id (graph/node_ids.py)
    batches = (
        {"user_ids": ids, "node_ids": nodes.ids(ids), "vectors": vectors}
        for ids, vectors in _rows(path, batch_size, send)
    )
    for batch, records in db.write_columns("vectors/set_user_embeddings", batches, writers=writers, stamp=stamp):
        matched.append(pa.array(records[0]["matched"] if records else [], pa.int64()))
        done += len(batch["user_ids"])
        if progress:
            progress("User.embedding", plan.unchanged + done, plan.rows)
    removed = _remove(db, plan, stamp, batch_size)
    started = time.perf_counter()
    created = ensure_index(db, dimensions, progress, wait=wait_for_index)
    index_seconds = time.perf_counter() - started if created else 0.0
    on_graph = _save_record(db, workspace, plan, matched)
    return VectorWrite(plan.rows, on_graph, removed, dimensions, created, index_seconds, len(plan.send))


def rebuild_pays(changed: int) -> bool:
    """Whether to drop the index, write and make it anew (one population of every vector held) rather than
    update it in place (one HNSW insert or delete for each vector ``changed``, sent or removed): from
    ``REBUILD_INDEX_FROM`` changed, whatever is held.

    An insert is cheap only while the index's Lucene segments are: the inserts make small segments that Lucene
    merges into the large ones, and a merge into a segment of millions of vectors builds its HNSW graph again on
    one thread, while every commit waits for it. Month 4 of the REES46-sized bench (≈ 8 M vectors held, fewer
    than a third of them sent) stood 27 minutes behind one such merge before it was stopped, where month 3's
    whole population of 6.5 M took 777 s (docs/BENCHMARKS.md, "Vector index"). Deletes count alike: a merge
    pays for them too, and the first month under the threshold's bound removes most vectors held (6.5 M of 8.5 M).
    """
    return changed >= REBUILD_INDEX_FROM


@dataclass(frozen=True)
class _Plan:
    """What a write sends and removes: ``target`` the (user_id, digest) rows the graph should hold,
    ``send`` the ids to write, ``drop`` the ids to clear (None: every vector of another write)."""

    target: pa.Table
    send: pa.Array
    drop: pa.Array | None

    @property
    def rows(self) -> int:
        return self.target.num_rows

    @property
    def unchanged(self) -> int:
        return self.rows - len(self.send)

    @property
    def changes(self) -> int:
        """Vectors the write sends, and those it removes by id (with no record, it sends every one)."""
        return len(self.send) + (0 if self.drop is None else len(self.drop))


def _plan(db: QueryRunner, workspace: Workspace, path: Path, min_events: int | None) -> _Plan:
    """The rows to hold, and against the record (when the graph's token matches it) what changed."""
    from events.store import bounded_connection
    from features.compute import FEATURES_FILE

    con = bounded_connection(workspace)  # 6.5 M vectors hashed at month 3: held to the reads' bound, spilling
    try:
        keep = ""
        if min_events is not None:
            features = workspace.features_dir / FEATURES_FILE
            if not features.is_file():
                raise ShopgraphError(f"no feature table at {features}: run `shopgraph features` first")
            keep = (
                f" WHERE user_id IN (SELECT user_id FROM read_parquet({literal(str(features))})"
                f" WHERE n_events >= {int(min_events)})"
            )
        target = con.sql(
            f"SELECT user_id, hash(vector) AS digest FROM read_parquet({literal(str(path))}){keep} ORDER BY user_id"
        ).to_arrow_table()
        record = _trusted_record(db, workspace)
        if record is None:
            return _Plan(target, target.column("user_id").combine_chunks(), None)
        con.register("target_rows", target)
        con.register("record_rows", record)
        send = con.sql("SELECT user_id FROM target_rows ANTI JOIN record_rows USING (user_id, digest)").to_arrow_table()
        drop = con.sql("SELECT user_id FROM record_rows ANTI JOIN target_rows USING (user_id)").to_arrow_table()
    finally:
        con.close()
    return _Plan(target, send.column(0).combine_chunks(), drop.column(0).combine_chunks())


def record_path(workspace: Workspace) -> Path:
    return workspace.embeddings_dir / RECORD_FILE


def _trusted_record(db: QueryRunner, workspace: Workspace) -> pa.Table | None:
    """The record of the last finished write, when the graph says it finished that write (same token)."""
    path = record_path(workspace)
    if not path.is_file():
        return None
    try:
        record = pq.read_table(path)
        token = (record.schema.metadata or {}).get(b"token", b"").decode()
    except (OSError, pa.ArrowInvalid):
        return None
    rows = db.run("vectors/vectors_token")
    return record if token and rows and rows[0]["token"] == token else None


def _remove(db: QueryRunner, plan: _Plan, stamp: str, batch_size: int) -> int:
    """Clear the vectors the graph should no longer hold: the listed ids, or every other write's."""
    if plan.drop is None:
        return db.run("vectors/remove_stale_embeddings", stamp=stamp)[0]["removed"]
    removed = 0
    ids = plan.drop.to_pylist()
    for start in range(0, len(ids), batch_size):
        removed += db.run("vectors/remove_embeddings", user_ids=ids[start : start + batch_size])[0]["removed"]
    return removed


def _save_record(db: QueryRunner, workspace: Workspace, plan: _Plan, matched: list[pa.Array]) -> int:
    """Write the record of what the graph now holds, then mark the graph with its token; returns its rows.

    Killed before the mark, the graph has no token (the write cleared it before it changed anything) or not this
    one, and the next write sends everything and removes every vector of another write.
    """
    target = plan.target
    held = pc.is_in(target.column("user_id"), value_set=pa.concat_arrays(matched)) if matched else None
    if plan.drop is not None:  # the unchanged rows stay on the graph as the last record had them
        unchanged = pc.invert(pc.is_in(target.column("user_id"), value_set=plan.send))
        held = unchanged if held is None else pc.or_(held, unchanged)
    rows = target.filter(held) if held is not None else target.slice(0, 0)
    token = uuid.uuid4().hex
    rows = rows.replace_schema_metadata({"token": token})
    with atomic_path(record_path(workspace)) as tmp:
        pq.write_table(rows, tmp)
    db.run("vectors/set_vectors_token", token=token, at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return rows.num_rows
