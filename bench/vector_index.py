"""The look-alike vector index `user_embedding`: what its HNSW settings cost to build and give in recall.

Usage::

    .venv/bin/python bench/vector_index.py [--vectors HOME/embeddings/user_vectors.parquet] [--users 300000]
        [--configs 16:100 16:32 8:32] [--beside none properties embeddings] [--queries 300]
        [--home /tmp/sg-bench-vindex] [--bolt-port 7697]

Starts its own Neo4j unless one runs on the port (workspace ``--home``). ``--users`` vectors drawn (seeded)
from the file (a `shopgraph embed` output, so real clustering, not noise) are put on as many User nodes
with the index absent; then for each ``M:EF`` (``vector.hnsw.m`` and ``vector.hnsw.ef_construction``;
Neo4j's defaults are 16:100) the index is dropped, created with those settings and timed until ONLINE.
Each is then asked the ``--k`` nearest customers of ``--queries`` sampled customers
(`db.index.vector.queryNodes`, the analysts' `similar_customers`), against the exact cosine neighbours
computed by NumPy: recall@k and the query's p50/p95. The reference is the first configuration, in the same run.
``--beside`` builds each configuration again while a second session rewrites the same User nodes until the
index is online (``properties``: another property; ``embeddings``: the vectors, to the same values), as `run`'s
later steps do while Neo4j populates the index.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
from run_child import own_server, use_bench_home  # bench/ is first on sys.path

REPO = Path(__file__).resolve().parents[1]
BATCH = 10_000


def sample_vectors(path: Path | None, n: int, seed: int, dimensions: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (user ids, unit vectors) drawn from a vector file; without one, a mixture of 50 Gaussian clusters."""
    import pyarrow.parquet as pq

    if path is None:
        rng = np.random.default_rng(seed)
        centres = rng.standard_normal((50, dimensions)) * 2
        vectors = (centres[rng.integers(0, 50, n)] + rng.standard_normal((n, dimensions))).astype(np.float32)
        return np.arange(1, n + 1), vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    table = pq.read_table(path, columns=["user_id", "vector"])
    rows = np.sort(np.random.default_rng(seed).choice(table.num_rows, min(n, table.num_rows), replace=False))
    table = table.take(rows)
    ids = table.column("user_id").to_numpy()
    vectors = np.asarray(table.column("vector").combine_chunks().flatten(), np.float32).reshape(len(ids), -1)
    return ids, vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)


def put_users(db, ids: np.ndarray, vectors: np.ndarray) -> float:
    """An empty graph with the schema and one User per id holding its vector; returns seconds."""
    from graph.schema import apply_schema, reset_database

    reset_database(db)
    apply_schema(db)
    db.run_text("DROP INDEX user_embedding IF EXISTS")
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        db.run_text(
            "UNWIND range(0, size($ids) - 1) AS i CREATE (:User {user_id: $ids[i], embedding: $vectors[i]})",
            {"ids": ids[start : start + BATCH].tolist(), "vectors": vectors[start : start + BATCH].tolist()},
        )
    return time.perf_counter() - started


EACH_USER = "UNWIND range(0, size($ids) - 1) AS i MATCH (u:User {user_id: $ids[i]}) "
REWRITES = {
    "properties": EACH_USER + "SET u.rewritten = $round",
    "embeddings": EACH_USER + "SET u.embedding = $vectors[i]",
}
"""What ``--beside`` runs in batches over every User while the index populates (none: nothing)."""


def rewrite_until(settings, statement: str, ids: np.ndarray, vectors: np.ndarray, done: threading.Event) -> int:
    """Rewrite every User, batch by batch and round after round, on its own connection until ``done``; returns
    the nodes rewritten."""
    from graph.connection import connect

    rewritten, rounds = 0, 0
    with connect(settings) as db:
        while not done.is_set():
            rounds += 1
            for start in range(0, len(ids), BATCH):
                if done.is_set():
                    break
                part = slice(start, start + BATCH)
                params = {"ids": ids[part].tolist(), "round": rounds}
                if "$vectors" in statement:
                    params["vectors"] = vectors[part].tolist()
                db.run_text(statement, params)
                rewritten += len(ids[part])
    return rewritten


def build_index(db, dimensions: int, m: int, ef: int, beside=None) -> tuple[float, int]:
    """Drop and create `user_embedding` with ``m`` and ``ef`` and wait until it is ONLINE, with ``beside`` (a
    function of a stop event returning a count) running meanwhile; returns seconds and what ``beside`` did."""
    from graph.schema import wait_for_indexes

    db.run_text("DROP INDEX user_embedding IF EXISTS")
    done, outcome = threading.Event(), []
    worker = threading.Thread(target=lambda: outcome.append(beside(done))) if beside else None
    started = time.perf_counter()
    db.run("vectors/create_vector_index", dimensions=dimensions, m=m, ef_construction=ef)
    if worker:
        worker.start()
    wait_for_indexes(db, poll=0.5)
    took = time.perf_counter() - started
    done.set()
    if worker:
        worker.join()
    return took, (outcome or [0])[0]


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Row numbers of each query's ``k`` most cosine-similar others (itself left out)."""
    out = np.empty((len(queries), k), np.int64)
    for start in range(0, len(queries), 100):
        part = queries[start : start + 100]
        scores = vectors[part] @ vectors.T
        scores[np.arange(len(part)), part] = -np.inf
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        out[start : start + 100] = top
    return out


def ask(
    db, ids: np.ndarray, vectors: np.ndarray, queries: np.ndarray, k: int, candidates: int
) -> tuple[list[set[int]], np.ndarray]:
    """The index's ``k`` nearest others of each query (user ids) among ``candidates`` asked, and each query's
    seconds (``similar_customers`` asks ``k + 1``: Lucene's search beam is as wide as what is asked)."""
    found, seconds = [], []
    statement = (
        "CALL db.index.vector.queryNodes('user_embedding', $candidates, $vector) YIELD node, score "
        "WHERE node.user_id <> $user_id RETURN node.user_id AS user_id ORDER BY score DESC LIMIT $k"
    )
    for q in queries:
        started = time.perf_counter()
        params = {"k": k, "candidates": candidates, "vector": vectors[q].tolist(), "user_id": int(ids[q])}
        rows = db.run_text(statement, params)
        seconds.append(time.perf_counter() - started)
        found.append({row["user_id"] for row in rows})
    return found, np.array(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", type=Path, help="a user_vectors.parquet (default: 50 Gaussian clusters)")
    parser.add_argument("--users", type=int, default=300_000)
    parser.add_argument("--configs", nargs="+", default=["16:100", "16:32", "8:32"], help="M:EF pairs")
    parser.add_argument("--beside", nargs="+", default=["none"], choices=["none", *REWRITES])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--asks", type=int, nargs="+", default=[11, 50], help="candidates asked of the index")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--home", type=Path, default=Path("/tmp/sg-bench-vindex"))
    parser.add_argument("--bolt-port", type=int, default=7697)
    parser.add_argument("--http-port", type=int, default=7484)
    args = parser.parse_args()
    use_bench_home(args.home, args.bolt_port, args.http_port)
    sys.path.insert(0, str(REPO))

    from graph.connection import connect
    from shopgraph.settings import Settings

    ids, vectors = sample_vectors(args.vectors, args.users, args.seed)
    queries = np.random.default_rng(args.seed + 1).choice(len(ids), args.queries, replace=False)
    exact = exact_neighbours(vectors, queries, args.k)
    truth = [set(ids[row].tolist()) for row in exact]
    settings = Settings.from_env()
    with own_server(settings), connect(settings) as db:
        print(
            f"# bench/vector_index  {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC  Neo4j "
            f"{settings.neo4j_version}  {os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.1f}"
        )
        took = put_users(db, ids, vectors)
        print(
            f"{len(ids):,} users, {vectors.shape[1]} dimensions, from {args.vectors or 'a Gaussian mixture'}: "
            f"written in {took:.1f}s"
        )
        print(
            f"{'M:EF':>8} {'beside':>10} {'rewritten':>10} {'build s':>9} {'per s':>9} {'× ref':>6} {'asked':>6} "
            f"{'recall@' + str(args.k):>10} {'p50 ms':>7} {'p95 ms':>7}"
        )
        reference = None
        for config, mode in ((c, b) for c in args.configs for b in args.beside):
            m, ef = (int(x) for x in config.split(":"))
            beside = partial(rewrite_until, settings, REWRITES[mode], ids, vectors) if mode in REWRITES else None
            build, rewritten = build_index(db, vectors.shape[1], m, ef, beside)
            reference = reference or build
            ask(db, ids, vectors, queries[:20], args.k, args.asks[0])  # warm the index's files
            for candidates in args.asks:
                found, seconds = ask(db, ids, vectors, queries, args.k, candidates)
                recall = np.mean([len(f & t) / args.k for f, t in zip(found, truth, strict=True)])
                p50, p95 = np.percentile(seconds * 1000, [50, 95])
                print(
                    f"{config:>8} {mode:>10} {rewritten:10,d} {build:9.1f} {len(ids) / build:9,.0f} "
                    f"{reference / build:6.2f} {candidates:6d} {recall:10.3f} {p50:7.1f} {p95:7.1f}"
                )
        print(f"load avg at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
