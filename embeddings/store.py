"""Reads and writes the embedding files under ``$SHOPGRAPH_HOME/embeddings/`` (the contract of ``embeddings``).

Writes go to temporary names that end in ``.parquet``/``.json`` (so ``shopgraph forget`` also
erases a leftover of a killed run) and are renamed into place last, item vectors first, then
user vectors, then ``embedding.json``: an interrupted run leaves the previous files intact.
User vectors are staged batch by batch (:class:`StagedUsers`) and merged in ``user_id`` order
by DuckDB, out of core, so folding in millions of users never holds them all in memory.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from embeddings.foldin import ItemVectors
from shopgraph.errors import ShopgraphError
from shopgraph.files import fsync_dir
from shopgraph.sqltext import literal
from shopgraph.workspace import Workspace

USER_VECTORS = "user_vectors.parquet"
ITEM_VECTORS = "item_vectors.parquet"
METADATA = "embedding.json"
SOURCES = ("trained", "folded")


@dataclass
class UserVectors:
    """User vectors in ``user_id`` order with where each came from (``trained``/``folded``)."""

    user_ids: np.ndarray
    vectors: np.ndarray
    sources: np.ndarray


def paths(workspace: Workspace) -> dict[str, Path]:
    folder = workspace.embeddings_dir
    return {"users": folder / USER_VECTORS, "items": folder / ITEM_VECTORS, "metadata": folder / METADATA}


def _vector_column(vectors: np.ndarray) -> pa.Array:
    vectors = np.ascontiguousarray(vectors, np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), int(vectors.shape[1]))


def _vectors_of(column: pa.ChunkedArray | pa.Array, rows: int) -> np.ndarray:
    """A (fixed-size) list column of floats as a float32 matrix (DuckDB rewrites FLOAT[d] as a plain list)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    if rows == 0:
        size = column.type.list_size if pa.types.is_fixed_size_list(column.type) else 0
        return np.zeros((0, size), np.float32)
    flat = np.asarray(column.flatten(), np.float32)
    return flat.reshape(rows, -1)


def user_vector_table(
    user_ids: np.ndarray, vectors: np.ndarray, sources: np.ndarray, presorted: bool = False
) -> pa.Table:
    """The user table's Arrow form: ``user_id`` int64, ``vector`` fixed_size_list<float32>[d], ``source``."""
    order = slice(None) if presorted else np.argsort(np.asarray(user_ids, np.int64), kind="stable")
    return pa.table(
        {
            "user_id": pa.array(np.asarray(user_ids, np.int64)[order], pa.int64()),
            "vector": _vector_column(np.asarray(vectors)[order]),
            "source": pa.array(np.asarray(sources, dtype=object)[order].astype(str).tolist(), pa.string()),
        }
    )


def item_vector_table(items: ItemVectors) -> pa.Table:
    types = (
        ["product"] * len(items.product_ids) + ["category"] * len(items.category_ids) + ["brand"] * len(items.brands)
    )
    keys = (
        [str(int(k)) for k in items.product_ids]
        + [str(int(k)) for k in items.category_ids]
        + [str(b) for b in items.brands]
    )
    vectors = np.concatenate([items.product_vectors, items.category_vectors, items.brand_vectors]).astype(np.float32)
    return pa.table(
        {
            "node_type": pa.array(types, pa.string()),
            "node_key": pa.array(keys, pa.string()),
            "vector": _vector_column(vectors.reshape(len(types), items.dimensions)),
        }
    )


def _tmp(path: Path, tag: str = "tmp") -> Path:
    return path.with_name(f".{path.stem}.{tag}-{os.getpid()}{path.suffix}")


def remove_leftovers(workspace: Workspace) -> None:
    """Delete temporary files an interrupted run left (they may hold vectors of erased users)."""
    folder = workspace.embeddings_dir
    if folder.is_dir():
        for path in [*folder.glob(".*.tmp-*"), *folder.glob(".*.staged-*")]:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


class StagedUsers:
    """User vectors written batch by batch to a temporary Parquet file (never all in memory).

    ``add(user_ids, vectors, source)`` appends a batch; :func:`write_embedding` merges the
    staged files in ``user_id`` order into ``user_vectors.parquet``. The staged file's name
    ends in ``.parquet`` under ``embeddings/``, so ``forget`` covers a leftover of a killed run.
    """

    def __init__(self, workspace: Workspace, name: str, dimensions: int):
        workspace.embeddings_dir.mkdir(parents=True, exist_ok=True)
        self.path = _tmp(workspace.embeddings_dir / f"{name}.parquet", "staged")
        self.dimensions = int(dimensions)
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, user_ids: np.ndarray, vectors: np.ndarray, source: str | np.ndarray) -> None:
        if len(user_ids) == 0:
            return
        sources = np.full(len(user_ids), source, dtype=object) if isinstance(source, str) else source
        table = user_vector_table(user_ids, vectors, sources)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table)
        self.rows += len(user_ids)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def merge_user_tables(sources: list[Path], target: Path, temp_dir: Path, memory_limit: str = "1GB") -> int:
    """Write the rows of ``sources`` (user vector tables) into ``target`` sorted by ``user_id``; rows written.

    DuckDB sorts out of core (spilling into ``temp_dir``, removed afterwards) and hands the
    rows over in batches, so 15 M users × 64 dimensions (≈ 4 GB of vectors) need no more than
    ``memory_limit`` of RAM; the vectors stay a fixed-size float32 list in the output.
    """
    files = [str(p) for p in sources if p.exists()]
    temp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = {literal(memory_limit)}")
        con.execute(f"SET temp_directory = {literal(temp_dir)}")
        con.execute("SET preserve_insertion_order = false")
        if not files:
            return 0
        # one SELECT per file: after `forget` DuckDB has rewritten a table with a plain list column
        union = " UNION ALL ".join(
            f"SELECT user_id, CAST(vector AS FLOAT[]) AS vector, source FROM read_parquet({literal(f)})" for f in files
        )
        relation = con.sql(f"SELECT * FROM ({union}) ORDER BY user_id")
        reader = (getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader)(200_000)
        rows, writer = 0, None
        try:
            for batch in reader:
                if batch.num_rows == 0:
                    continue
                table = user_vector_table(
                    np.asarray(batch.column(0), np.int64),
                    _vectors_of(batch.column(1), batch.num_rows),
                    np.asarray(batch.column(2).to_pylist(), dtype=object),
                    presorted=True,
                )
                if writer is None:
                    writer = pq.ParquetWriter(target, table.schema, compression="zstd")
                writer.write_table(table)
                rows += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
        return rows
    finally:
        con.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def write_embedding(
    workspace: Workspace, users: list[StagedUsers | Path], items: ItemVectors | None, metadata: dict[str, Any]
) -> dict[str, Path]:
    """Write the user table (staged batches and/or existing tables merged by ``user_id``), the item
    table (unless None: kept as it is) and the metadata, each to a temporary name, renamed last."""
    target = paths(workspace)
    workspace.embeddings_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        if items is not None:
            tmp = _tmp(target["items"])
            pq.write_table(item_vector_table(items), tmp, compression="zstd")
            staged.append((tmp, target["items"]))
        for part in users:
            if isinstance(part, StagedUsers):
                part.close()
        tmp = _tmp(target["users"])
        sources = [p.path if isinstance(p, StagedUsers) else p for p in users]
        merge_user_tables(sources, tmp, workspace.embeddings_dir / f".duckdb.tmp-{os.getpid()}")
        if not tmp.exists():  # nobody at all: an empty table of the right shape
            dims = int(metadata.get("dimensions", 1))
            pq.write_table(
                user_vector_table(np.zeros(0, np.int64), np.zeros((0, dims), np.float32), np.zeros(0, object)), tmp
            )
        staged.append((tmp, target["users"]))
        tmp = _tmp(target["metadata"])
        tmp.write_text(json.dumps(metadata, indent=2, default=str) + "\n", encoding="utf-8")
        staged.append((tmp, target["metadata"]))
        for tmp, _ in staged:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        for tmp, final in staged:
            os.replace(tmp, final)
        fsync_dir(workspace.embeddings_dir)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for part in users:
            if isinstance(part, StagedUsers):
                part.discard()
    return target


def read_user_ids(workspace: Workspace) -> np.ndarray:
    """The ids of the users who have a vector (sorted), without reading the vectors."""
    path = paths(workspace)["users"]
    if not path.exists():
        raise ShopgraphError(f"no user vectors in {workspace.embeddings_dir}: run `shopgraph embed` first")
    return np.sort(np.asarray(pq.read_table(path, columns=["user_id"]).column("user_id"), np.int64))


def read_user_table(workspace: Workspace) -> UserVectors:
    """All user vectors with their source; ShopgraphError when ``embed`` has not run."""
    path = paths(workspace)["users"]
    if not path.exists():
        raise ShopgraphError(f"no user vectors in {workspace.embeddings_dir}: run `shopgraph embed` first")
    table = pq.read_table(path)
    ids = np.asarray(table.column("user_id"), np.int64)
    vectors = _vectors_of(table.column("vector"), len(ids))
    sources = np.asarray(table.column("source").to_pylist(), dtype=object)
    order = np.argsort(ids, kind="stable")
    return UserVectors(ids[order], vectors[order], sources[order])


def read_user_vectors(workspace: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """``(user_ids int64[n], vectors float32[n, d])`` in ``user_id`` order (unit-length rows)."""
    table = read_user_table(workspace)
    return table.user_ids, table.vectors


def read_item_vectors(workspace: Workspace) -> ItemVectors:
    """The trained product, category and brand vectors; ShopgraphError when ``embed`` has not run."""
    path = paths(workspace)["items"]
    if not path.exists():
        raise ShopgraphError(f"no item vectors in {workspace.embeddings_dir}: run `shopgraph embed` first")
    table = pq.read_table(path)
    types = np.asarray(table.column("node_type").to_pylist(), dtype=object)
    keys = np.asarray(table.column("node_key").to_pylist(), dtype=object)
    vectors = _vectors_of(table.column("vector"), len(types))

    def part(name: str, as_int: bool) -> tuple[np.ndarray, np.ndarray]:
        mask = types == name
        k = keys[mask].astype(np.int64) if as_int else keys[mask].astype(str)
        order = np.argsort(k, kind="stable")
        return (k[order] if as_int else k[order].astype(object)), vectors[mask][order]

    products, product_vectors = part("product", True)
    categories, category_vectors = part("category", True)
    brands, brand_vectors = part("brand", False)
    return ItemVectors(products, product_vectors, categories, category_vectors, brands, brand_vectors)


def read_metadata(workspace: Workspace) -> dict[str, Any]:
    path = paths(workspace)["metadata"]
    if not path.exists():
        raise ShopgraphError(f"no embedding metadata in {workspace.embeddings_dir}: run `shopgraph embed` first")
    return json.loads(path.read_text(encoding="utf-8"))


def embedding_id(workspace: Workspace) -> str | None:
    """The stored embedding's identity, new at each training (its metadata's ``embedding_id``; ``created_at`` for an
    embedding trained before that field): a segmentation records it, as its classifier reads those vectors only.
    None without an embedding."""
    path = paths(workspace)["metadata"]
    if not path.exists():
        return None
    meta = json.loads(path.read_text(encoding="utf-8"))
    return meta.get("embedding_id") or meta.get("created_at")
