"""The `embed` job: graph → node2vec (or FastRP) → fold-in of the users left out → the three files.

:func:`embed` trains on every item and a seeded sample of users and folds in the others;
:func:`fold_in_new_users` folds in the users who arrived since, with the stored item vectors. Both write
the files atomically. The API: docs/ARCHITECTURE.md, "embeddings/training.py".
"""

from __future__ import annotations

import inspect
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from embeddings import foldin
from embeddings.foldin import FOLD_WEIGHTS, ItemVectors, fold_in_batches, item_profiles, normalise
from embeddings.graph import (
    BRAND_WEIGHT,
    CATEGORY_WEIGHT,
    DEFAULT_MAX_USERS,
    INTENT_WEIGHTS,
    InteractionGraph,
    edge_weight_sql,
    interaction_files,
    load_graph,
    product_attributes,
)
from embeddings.store import (
    StagedUsers,
    paths,
    read_item_vectors,
    read_metadata,
    read_user_ids,
    read_user_table,
    remove_leftovers,
    write_embedding,
)
from events.manifest import read_manifest
from events.store import bounded_connection
from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress
from shopgraph.sqltext import literal_list
from shopgraph.version import code_version
from shopgraph.workspace import Workspace

METHODS = ("node2vec", "fastrp")
FOLD_CHECK_USERS = 1_000
"""Trained users whose fold-in is compared with their trained vector at every ``embed``."""
FOLD_BATCH_ROWS = 500_000
EMBEDDING_WEIGHTS = {
    "intent": INTENT_WEIGHTS,
    "category": CATEGORY_WEIGHT,
    "brand": BRAND_WEIGHT,
    "fold_in": FOLD_WEIGHTS,
    "user_vectors": "unit length (trained and folded)",
}
"""The weights ``embedding.json`` records: of the graph's edges, of the fold-in, and the users' vector norm."""


Say = Callable[[str], None]


@dataclass
class EmbedReport:
    """What one ``embed`` / ``fold_in_new_users`` run did."""

    method: str
    dimensions: int
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    fold_in_check: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)


def make_estimator(method: str, seed: int, params: dict[str, Any]):
    """The estimator of ``method`` with ``params``; a bad method or parameter is a ShopgraphError."""
    if method == "node2vec":
        from embeddings.node2vec import Node2Vec as estimator_class
    elif method == "fastrp":
        from embeddings.fastrp import FastRP as estimator_class
    else:
        raise ShopgraphError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    accepted = set(inspect.signature(estimator_class).parameters)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ShopgraphError(f"{method} does not take {', '.join(unknown)} (it takes {', '.join(sorted(accepted))})")
    try:
        estimator = estimator_class(seed=seed, **{k: v for k, v in params.items() if v is not None})
        if hasattr(estimator, "_validate"):
            estimator._validate()
    except ValueError as exc:
        raise ShopgraphError(f"bad {method} option: {exc}") from exc
    return estimator


def data_window(workspace: Workspace) -> dict[str, Any]:
    """The ingested files whose interactions the run read (name, sha256, months)."""
    present = {p.name for p in workspace.interactions_dir.glob("part-*.parquet")}
    files = [
        {"name": e.name, "sha256": e.sha256, "months": sorted(e.months)}
        for e in read_manifest(workspace)
        if f"part-{e.sha256[:12]}.parquet" in present
    ]
    months = sorted({m for f in files for m in f["months"]})
    return {"files": files, "months": months}


def user_product_batches(
    con: duckdb.DuckDBPyConnection,
    files: list[str],
    users: np.ndarray | None,
    keep: str,
    batch_rows: int = FOLD_BATCH_ROWS,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(user_ids, product_ids, weights)`` batches ordered by user, each user's rows whole in one batch.

    ``keep="only"`` reads the users in ``users``, ``"except"`` every other user, ``"all"`` everyone.
    """
    join = ""
    if keep != "all":
        con.register("_fold_users", {"user_id": np.asarray(users, np.int64)})
        join = ("SEMI" if keep == "only" else "ANTI") + " JOIN _fold_users u USING (user_id)"
    relation = con.sql(f"""
        SELECT i.user_id, i.product_id, {edge_weight_sql()} AS weight
        FROM read_parquet({literal_list(files)}) i {join}
        GROUP BY ALL HAVING {edge_weight_sql()} > 0 ORDER BY i.user_id, i.product_id
    """)
    reader = (getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader)(batch_rows)
    carry: list[np.ndarray] | None = None
    for batch in reader:
        u = np.asarray(batch.column(0), np.int64)
        p = np.asarray(batch.column(1), np.int64)
        w = np.asarray(batch.column(2), np.float64)
        if carry is not None:
            u, p, w = (np.concatenate([c, x]) for c, x in zip(carry, (u, p, w), strict=True))
        if len(u) == 0:
            continue
        cut = int(np.searchsorted(u, u[-1]))  # rows of the last user may continue in the next batch
        carry = [u[cut:], p[cut:], w[cut:]]
        if cut:
            yield u[:cut], p[:cut], w[:cut]
    if carry is not None and len(carry[0]):
        yield carry[0], carry[1], carry[2]


def count_users(con: duckdb.DuckDBPyConnection, files: list[str], users: np.ndarray | None, keep: str) -> int:
    join = ""
    if keep != "all":
        con.register("_count_users", {"user_id": np.asarray(users, np.int64)})
        join = ("SEMI" if keep == "only" else "ANTI") + " JOIN _count_users u USING (user_id)"
    return int(
        con.execute(f"SELECT count(DISTINCT i.user_id) FROM read_parquet({literal_list(files)}) i {join}").fetchall()[
            0
        ][0]
    )


def graph_items(graph: InteractionGraph, vectors: np.ndarray) -> ItemVectors:
    """The product, category and brand rows of a fitted graph's vectors, with their keys."""
    return ItemVectors(
        product_ids=graph.product_ids,
        product_vectors=vectors[graph.nodes("product")],
        category_ids=graph.category_ids,
        category_vectors=vectors[graph.nodes("category")],
        brands=graph.brands,
        brand_vectors=vectors[graph.nodes("brand")],
    )


def graph_product_attributes(graph: InteractionGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(product_ids, category_ids, brands)`` as the graph has them (no second scan of the store)."""
    cat_offset = graph.nodes("category").start
    brand_offset = graph.nodes("brand").start
    categories = graph.category_ids[graph.product_category - cat_offset]
    brands = np.array([None if b < 0 else graph.brands[b - brand_offset] for b in graph.product_brand], dtype=object)
    return graph.product_ids, categories, brands


def _fold(
    con, files, users, keep, profile, mass, product_ids, fallback, progress, total, sink: StagedUsers | None = None
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Fold in the selected users; users with no known item get ``fallback``.

    With a ``sink`` the batches go to disk and the returned arrays are empty; returns
    ``(ids, vectors, users folded, users given the fallback)``.
    """
    ids, vectors, fallbacks, done = [], [], 0, 0
    for batch_ids, batch_vectors, known in fold_in_batches(
        profile, mass, product_ids, user_product_batches(con, files, users, keep)
    ):
        batch_vectors[~known] = fallback
        fallbacks += int((~known).sum())
        if sink is not None:
            sink.add(batch_ids, batch_vectors, "folded")
        else:
            ids.append(batch_ids)
            vectors.append(batch_vectors)
        done += len(batch_ids)
        if progress:
            progress("fold-in", done, total)
    d = profile.shape[1]
    if not ids:
        return np.zeros(0, np.int64), np.zeros((0, d), np.float32), done, fallbacks
    return np.concatenate(ids), np.concatenate(vectors), done, fallbacks


def fold_in_check(
    con, files, trained_ids, trained_vectors, profile, mass, product_ids, seed: int, n: int = FOLD_CHECK_USERS
) -> dict[str, Any]:
    """Cosine of fold-in vs trained vector for up to ``n`` trained users (and a random-pair baseline).

    ``trained_ids`` in node order (any order): the users checked are drawn by position.
    """
    if len(trained_ids) < 2:
        return {"users": 0}
    rng = np.random.default_rng([seed, 0xF01D])
    pick = np.sort(rng.choice(len(trained_ids), size=min(n, len(trained_ids)), replace=False))
    by_id = pick[np.argsort(trained_ids[pick], kind="stable")]  # the fold-in returns the users by id
    ids, vectors, _, _ = _fold(
        con,
        files,
        trained_ids[pick],
        "only",
        profile,
        mass,
        product_ids,
        np.zeros(profile.shape[1], np.float32),
        None,
        0,
    )
    rows = by_id[np.searchsorted(trained_ids[by_id], ids)]
    order = np.argsort(rows)  # back to node order, so the random pairs below do not follow the ids either
    rows, vectors = rows[order], vectors[order]
    cosine = np.sum(vectors * trained_vectors[rows], axis=1)
    other = trained_vectors[rng.integers(0, len(trained_ids), len(rows))]
    baseline = np.sum(trained_vectors[rows] * other, axis=1)
    return {
        "users": len(ids),
        "mean_cosine": round(float(cosine.mean()), 4),
        "median_cosine": round(float(np.median(cosine)), 4),
        "p10_cosine": round(float(np.quantile(cosine, 0.1)), 4),
        "random_pair_mean_cosine": round(float(baseline.mean()), 4),
    }


def embed(
    workspace: Workspace,
    method: str = "node2vec",
    *,
    max_users: int | None = DEFAULT_MAX_USERS,
    seed: int = 42,
    progress: Progress | None = None,
    say: Say | None = None,
    **params: Any,
) -> EmbedReport:
    """Train vectors on the interactions and write them (see the module docstring)."""
    started = time.perf_counter()
    if max_users is not None and max_users < 1:
        raise ShopgraphError("--max-users must be at least 1")
    estimator = make_estimator(method, seed, params)
    files = interaction_files(workspace)
    remove_leftovers(workspace)
    timings: dict[str, float] = {}
    graph, vectors = _train(workspace, estimator, max_users, seed, progress, say, timings, started)
    n_entries = graph.n_entries
    graph.indices, graph.weights = np.zeros(0, np.int32), np.zeros(0, np.float32)  # the walks are done: free the CSR
    if hasattr(estimator, "vectors_"):
        del estimator.vectors_

    phase = time.perf_counter()
    folded = _fold_everyone(workspace, files, graph, vectors, seed, progress)
    timings["fold_in"] = time.perf_counter() - phase
    counts = _counts(graph, n_entries, folded)
    tokens = _token_budget(estimator, graph)
    timings["total"] = time.perf_counter() - started
    metadata = {
        "method": method,
        "parameters": estimator.get_params(),
        "seed": seed,
        "dimensions": int(vectors.shape[1]),
        "max_users": max_users,
        "weights": EMBEDDING_WEIGHTS,
        "data_window": data_window(workspace),
        "code_version": code_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "embedding_id": secrets.token_hex(8),  # a segmentation records it: its classifier reads these vectors only
        "counts": counts,
        "graph": {"nodes": graph.n_nodes, "entries": n_entries, "csr_bytes": 8 * n_entries + graph.indptr.nbytes},
        "token_budget": tokens,
        "timings": {k: round(v, 3) for k, v in timings.items()},  # total: up to writing the files
        "fold_in": {"weights": FOLD_WEIGHTS, "check": folded.check},
        "fallback_vector": [round(float(x), 7) for x in folded.fallback],
        "assign_only_runs": [],
    }
    written = write_embedding(workspace, folded.stages, folded.items, metadata)
    timings["total"] = time.perf_counter() - started  # the report's total includes writing the files
    return EmbedReport(
        method=method,
        dimensions=int(vectors.shape[1]),
        counts=counts,
        timings=timings,
        fold_in_check=folded.check,
        tokens=tokens,
        paths=written,
    )


def _train(
    workspace: Workspace,
    estimator,
    max_users: int | None,
    seed: int,
    progress: Progress | None,
    say: Say | None,
    timings: dict[str, float],
    started: float,
) -> tuple[InteractionGraph, np.ndarray]:
    """Load the training graph and fit ``estimator`` on it; returns the graph and every node's vector."""
    if progress:
        progress("graph", 0, 1)
    graph = load_graph(workspace, max_users=max_users, seed=seed, say=say)
    timings["graph"] = time.perf_counter() - started
    if progress:
        progress("graph", 1, 1)
    fitted = time.perf_counter()
    if "progress" in inspect.signature(estimator.fit).parameters:
        estimator.fit(graph, progress=progress)
    else:
        estimator.fit(graph)
    vectors = np.asarray(estimator.vectors_, np.float32)
    fit_timings = dict(getattr(estimator, "timings_", {}))
    timings["walks"] = float(fit_timings.get("walks", 0.0))
    timings["training"] = float(fit_timings.get("training", time.perf_counter() - fitted))
    return graph, vectors


@dataclass
class _Folded:
    """The trained users' vectors and the fold-in of every other user, staged on disk."""

    items: ItemVectors
    stages: list[StagedUsers]
    users_trained: int
    users_folded: int
    fallbacks: int  # folded users with no known item: given the fallback vector
    fallback: np.ndarray
    check: dict[str, Any]


def _fold_everyone(
    workspace: Workspace,
    files: list[str],
    graph: InteractionGraph,
    vectors: np.ndarray,
    seed: int,
    progress: Progress | None,
) -> _Folded:
    """Stage the trained users' unit vectors, fold in every other user of the interactions (the mean
    trained vector for users with no known item), and check the fold-in on trained users."""
    trained_ids = graph.user_ids
    trained_vectors = normalise(vectors[graph.nodes("user")])
    items = graph_items(graph, vectors)
    profile, mass = item_profiles(items, *graph_product_attributes(graph))
    fallback = (
        normalise(trained_vectors.mean(axis=0, keepdims=True))[0]
        if len(trained_ids)
        else np.zeros(vectors.shape[1], np.float32)
    )
    trained_stage = StagedUsers(workspace, "trained", vectors.shape[1])
    folded_stage = StagedUsers(workspace, "folded", vectors.shape[1])
    con = bounded_connection(workspace)
    try:
        trained_stage.add(trained_ids, trained_vectors, "trained")
        to_fold = graph.users_total - len(trained_ids)  # every user of the interactions is in users_total
        _, _, n_folded, fallbacks = _fold(
            con,
            files,
            trained_ids,
            "except",
            profile,
            mass,
            graph.product_ids,
            fallback,
            progress,
            to_fold,
            sink=folded_stage,
        )
        check = fold_in_check(con, files, trained_ids, trained_vectors, profile, mass, graph.product_ids, seed)
    except BaseException:
        trained_stage.discard()
        folded_stage.discard()
        raise
    finally:
        con.close()
    return _Folded(items, [trained_stage, folded_stage], len(trained_ids), n_folded, fallbacks, fallback, check)


def _counts(graph: InteractionGraph, n_entries: int, folded: _Folded) -> dict[str, int]:
    """The users trained and folded, and the graph's nodes and entries, as ``embedding.json`` counts them."""
    node_counts = graph.counts()
    return {
        "users_trained": folded.users_trained,
        "users_folded": folded.users_folded,
        "users_total": graph.users_total,
        "folded_without_known_items": folded.fallbacks,
        "products": node_counts["product"],
        "categories": node_counts["category"],
        "brands": node_counts["brand"],
        "graph_entries": n_entries,
    }


def _token_budget(estimator, graph: InteractionGraph) -> dict[str, int]:
    """What the walks cost: walks × length, and the trainer's tokens, steps and proposals (0 when it has none)."""
    n_walks = int(getattr(estimator, "walks_per_node", 0)) * graph.n_nodes
    return {
        "walks": n_walks,
        "walk_length": int(getattr(estimator, "walk_length", 0)),
        "budget": n_walks * int(getattr(estimator, "walk_length", 0)),
        "tokens_per_epoch": int(getattr(estimator, "tokens_", 0)),
        "steps": int(getattr(estimator, "steps_", 0)),
        "proposals": int(getattr(estimator, "proposals_", 0)),
        "training_threads": int(getattr(estimator, "workers_", 0)),
    }


OUTGROWN = 2.0
"""`shopgraph run` trains the embedding again instead of folding in when the shop has this many times the customers
the embedding knew and its training took them all (under ``max_users``): a first month of a few hundred customers
would otherwise give every later customer a vector from its few products. A training capped at ``max_users``
samples the same number of customers however the shop grows, so it is never outgrown; retraining at each doubling
costs at most twice the last training, so all of them together at most twice the last one."""


def outgrown(workspace: Workspace, users_now: int) -> str | None:
    """Why the stored embedding should be trained again for a shop of ``users_now`` customers (None: fold in)."""
    meta = read_metadata(workspace)
    counts, cap = meta.get("counts", {}), meta.get("max_users")
    known, trained = int(counts.get("users_total", 0)), int(counts.get("users_trained", 0))
    if not known or (cap is not None and trained >= int(cap)) or users_now < OUTGROWN * known:
        return None
    times = users_now / known
    return f"the shop has {times:.1f}× the customers the embedding was trained on ({known:,} → {users_now:,})"


def fold_in_new_users(workspace: Workspace, progress: Progress | None = None) -> EmbedReport:
    """Fold in every user of the interactions without a vector, with the stored item vectors."""
    started = time.perf_counter()
    files = interaction_files(workspace)
    existing = read_user_ids(workspace)
    items = read_item_vectors(workspace)
    metadata = read_metadata(workspace)
    remove_leftovers(workspace)
    if metadata.get("fallback_vector"):
        fallback = np.asarray(metadata["fallback_vector"], np.float32)
    else:
        table = read_user_table(workspace)
        fallback = normalise(table.vectors[table.sources == "trained"].mean(axis=0, keepdims=True))[0]
    stage = StagedUsers(workspace, "folded", items.dimensions)
    con = bounded_connection(workspace)
    try:
        product_ids, categories, brands = product_attributes(workspace, con, files)
        weights = metadata.get("fold_in", {}).get("weights") or FOLD_WEIGHTS
        profile, mass = item_profiles(items, product_ids, categories, brands, weights)
        total = count_users(con, files, existing, "except")
        _, _, n_folded, fallbacks = _fold(
            con, files, existing, "except", profile, mass, product_ids, fallback, progress, total, sink=stage
        )
    except BaseException:
        stage.discard()
        raise
    finally:
        con.close()
    if progress and not total:
        progress("fold-in", 0, 0)
    seconds = time.perf_counter() - started
    counts = dict(metadata.get("counts", {}))
    counts["users_folded"] = int(counts.get("users_folded", 0)) + n_folded
    counts["folded_without_known_items"] = int(counts.get("folded_without_known_items", 0)) + fallbacks
    metadata["counts"] = counts
    metadata.setdefault("assign_only_runs", []).append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "users_folded": n_folded,
            "folded_without_known_items": fallbacks,
            "seconds": round(seconds, 3),
            "data_window": data_window(workspace),
            "code_version": code_version(),
        }
    )
    if n_folded:
        written = write_embedding(workspace, [paths(workspace)["users"], stage], None, metadata)
    else:
        stage.discard()
        written = {}
    return EmbedReport(
        method=str(metadata.get("method")),
        dimensions=items.dimensions,
        counts={
            "users_folded_now": n_folded,
            "users_with_vectors": len(existing) + n_folded,
            "folded_without_known_items": fallbacks,
            "products": len(items.product_ids),
            "categories": len(items.category_ids),
            "brands": len(items.brands),
        },
        timings={"fold_in": seconds, "total": seconds},
        paths=written,
    )


__all__ = ["EmbedReport", "embed", "fold_in_new_users", "foldin"]
