"""Embed one edge list with one implementation in this process; the child process of bench/embed.py.

Reads ``--edges`` (TSV ``u v w``: node indices 0..n-1, one line per undirected edge) and writes
``--out``.npy (float32 [n_nodes, d], row i = node i; rows of nodes an implementation left out
are zeros) and ``--out``.json (seconds per phase, peak memory, versions).

Implementations:

* ``node2vec`` — the ``node2vec`` package (0.5.0): ``Node2Vec(graph, ...)`` precomputes the
  transition probabilities and generates the walks in its constructor, ``.fit`` trains gensim.
  Runs in the reference environment (``.venv-ref``, numpy < 2).
* ``pecanpy`` — PecanPy's ``SparseOTF`` mode (``read_edg``, ``simulate_walks``), then gensim
  ``Word2Vec`` with the same settings. Reference environment.
* ``ours`` — ``embeddings.node2vec.Node2Vec`` over ``embeddings.graph`` CSR arrays. Product
  environment (``.venv``).
* ``fastrp`` — ``embeddings.fastrp.FastRP`` over the same CSR arrays. Product environment.
* ``ours-cumfix`` — ``ours`` with gensim's negative-sampling table patched in this process
  (see :func:`_fix_gensim_cum_table`): what ours gives once its int keys stop tripping gensim.

Ours first walks a five-node graph so that numba's compilation (cached on disk after the
first run) is timed apart (``compile``) and left out of ``end_to_end``. PecanPy compiles its
walk kernels for each graph, so its compilation stays in its walk time. Peak memory is ``ru_maxrss`` of this process (and of its children, if any), so each
implementation is measured alone, graph loading included.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def _read_edges(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:  # the product environment has pyarrow's multi-threaded CSV reader
        import pyarrow.csv as pacsv
    except ImportError:
        data = np.loadtxt(path, delimiter="\t", dtype=np.float64, ndmin=2)
        return data[:, 0].astype(np.int64), data[:, 1].astype(np.int64), data[:, 2].astype(np.float32)
    table = pacsv.read_csv(path, pacsv.ReadOptions(column_names=["u", "v", "w"]),
                           pacsv.ParseOptions(delimiter="\t"))
    return (table["u"].to_numpy().astype(np.int64), table["v"].to_numpy().astype(np.int64),
            table["w"].to_numpy().astype(np.float32))


def _word2vec(walks, args: argparse.Namespace):
    from gensim.models import Word2Vec

    return Word2Vec(walks, vector_size=args.dimensions, window=args.window, epochs=args.epochs, seed=args.seed,
                    workers=args.workers, **json.loads(args.word2vec))


def _keyed_to_matrix(wv, n_nodes: int, dimensions: int) -> tuple[np.ndarray, int]:
    """Rows in node order from gensim's string keys; nodes without a vector stay zero."""
    out = np.zeros((n_nodes, dimensions), dtype=np.float32)
    found = 0
    for key, index in wv.key_to_index.items():
        out[int(key)] = wv.vectors[index]
        found += 1
    return out, n_nodes - found


def run_node2vec_package(args: argparse.Namespace, timings: dict) -> np.ndarray:
    import networkx as nx
    from node2vec import Node2Vec

    started = time.perf_counter()
    graph = nx.Graph()
    graph.add_nodes_from(range(args.n_nodes))
    u, v, w = _read_edges(args.edges)
    graph.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
    timings["load"] = time.perf_counter() - started
    started = time.perf_counter()
    model = Node2Vec(graph, dimensions=args.dimensions, walk_length=args.walk_length, num_walks=args.num_walks,
                     p=args.p, q=args.q, weight_key="weight", workers=1, quiet=True, seed=args.seed)
    timings["walks"] = time.perf_counter() - started
    started = time.perf_counter()
    params = json.loads(args.word2vec)
    params.pop("min_count", None)
    fitted = model.fit(window=args.window, min_count=1, epochs=args.epochs, seed=args.seed,
                       workers=args.workers, **params)
    timings["train"] = time.perf_counter() - started
    matrix, missing = _keyed_to_matrix(fitted.wv, args.n_nodes, args.dimensions)
    timings["nodes_without_vector"] = missing
    return matrix


def run_pecanpy(args: argparse.Namespace, timings: dict) -> np.ndarray:
    from pecanpy import pecanpy as pp

    # no warm-up: PecanPy's walk kernels are numba closures over the graph's own arrays, so they
    # compile again for every graph (a warm-up on a tiny graph did not shorten the timed walks)
    started = time.perf_counter()
    graph = pp.SparseOTF(p=args.p, q=args.q, workers=args.workers, verbose=False, random_state=args.seed)
    graph.read_edg(str(args.edges), weighted=True, directed=False, delimiter="\t")
    timings["load"] = time.perf_counter() - started
    started = time.perf_counter()
    graph.preprocess_transition_probs()
    # PecanPy's walk_length counts steps (a walk has walk_length + 1 nodes); the others count nodes
    walks = graph.simulate_walks(num_walks=args.num_walks, walk_length=args.walk_length - 1)
    timings["walks"] = time.perf_counter() - started
    started = time.perf_counter()
    model = _word2vec(walks, args)
    timings["train"] = time.perf_counter() - started
    matrix, missing = _keyed_to_matrix(model.wv, args.n_nodes, args.dimensions)
    timings["nodes_without_vector"] = missing
    return matrix


def _our_graph(args: argparse.Namespace, timings: dict):
    from types import SimpleNamespace

    from embeddings.graph import from_edges

    started = time.perf_counter()
    u, v, w = _read_edges(args.edges)
    indptr, indices, weights = from_edges(args.n_nodes, u, v, w)
    del u, v, w
    timings["load"] = time.perf_counter() - started
    return SimpleNamespace(indptr=indptr, indices=indices, weights=weights)


def run_ours(args: argparse.Namespace, timings: dict) -> np.ndarray:
    from types import SimpleNamespace

    from embeddings.graph import from_edges
    from embeddings.node2vec import Node2Vec

    started = time.perf_counter()  # numba's compilation (cached on disk after the first run), not timed below
    tiny = from_edges(5, np.array([0, 1, 2, 2, 3]), np.array([1, 2, 0, 3, 4]), np.array([1, 1, 1, 2, 1.0]))
    Node2Vec(dimensions=4, walk_length=5, walks_per_node=1, p=args.p, q=args.q, seed=args.seed,
             workers=args.workers).fit(SimpleNamespace(indptr=tiny[0], indices=tiny[1], weights=tiny[2]))
    timings["compile"] = time.perf_counter() - started
    graph = _our_graph(args, timings)
    params = json.loads(args.word2vec)
    model = Node2Vec(dimensions=args.dimensions, walk_length=args.walk_length, walks_per_node=args.num_walks,
                     window=args.window, epochs=args.epochs, p=args.p, q=args.q, seed=args.seed,
                     workers=args.workers, negative=params.get("negative", 5))
    started = time.perf_counter()
    model.fit(graph)
    timings["fit"] = time.perf_counter() - started
    timings["walks"] = model.timings_["walks"]  # walks generated once to count the vocabulary
    timings["train"] = model.timings_["training"]  # skip-gram, the walks regenerated as it reads them
    timings["tokens"] = model.tokens_
    return np.asarray(model.vectors_, dtype=np.float32)


def _fix_gensim_cum_table() -> None:
    """Make gensim's negative-sampling table read counts by index (diagnostic for ``ours-cumfix``).

    gensim 4.4's ``Word2Vec.make_cum_table`` calls ``wv.get_vecattr(word_index, "count")`` with
    an index; ``get_vecattr`` looks an int up as a key first, so with int keys 0..n-1 (node
    ids) every slot gets the count of another node and negatives are drawn from a shuffled
    frequency table. String keys (the references) are not affected.
    """
    from gensim.models import Word2Vec

    def make_cum_table(self, domain=2**31 - 1):
        counts = np.asarray(self.wv.expandos["count"], np.float64) ** float(self.ns_exponent)
        self.cum_table = np.round(np.cumsum(counts) / counts.sum() * domain).astype(np.uint32)

    Word2Vec.make_cum_table = make_cum_table


def run_ours_cumfix(args: argparse.Namespace, timings: dict) -> np.ndarray:
    _fix_gensim_cum_table()
    return run_ours(args, timings)


def run_fastrp(args: argparse.Namespace, timings: dict) -> np.ndarray:
    from embeddings.fastrp import FastRP

    graph = _our_graph(args, timings)
    started = time.perf_counter()
    model = FastRP(dimensions=args.dimensions, seed=args.seed).fit(graph)
    timings["walks"] = None
    timings["train"] = time.perf_counter() - started
    return model.vectors_


RUNNERS = {"node2vec": run_node2vec_package, "pecanpy": run_pecanpy, "ours": run_ours, "fastrp": run_fastrp,
           "ours-cumfix": run_ours_cumfix}
VERSIONS = {"node2vec": ["node2vec", "pecanpy", "gensim", "numpy", "networkx", "numba", "scipy"],
            "pecanpy": ["node2vec", "pecanpy", "gensim", "numpy", "networkx", "numba", "scipy"],
            "ours": ["gensim", "numpy", "numba", "scipy"], "fastrp": ["numpy", "scipy"],
            "ours-cumfix": ["gensim", "numpy", "numba", "scipy"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("impl", choices=sorted(RUNNERS))
    parser.add_argument("--edges", type=Path, required=True)
    parser.add_argument("--n-nodes", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repo", type=Path, help="put this checkout first on sys.path (ours, fastrp)")
    parser.add_argument("--dimensions", type=int, default=64)
    parser.add_argument("--walk-length", type=int, default=30)
    parser.add_argument("--num-walks", type=int, default=5)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--p", type=float, default=1.0)
    parser.add_argument("--q", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--word2vec", default="{}", help="further gensim Word2Vec arguments, as JSON")
    args = parser.parse_args()
    if args.repo:
        sys.path.insert(0, str(args.repo))

    timings: dict = {}
    started = time.perf_counter()
    matrix = RUNNERS[args.impl](args, timings)
    # from reading the edge list to the vectors; a warm-up's compilation (timings["compile"]) excluded
    timings["end_to_end"] = time.perf_counter() - started - timings.get("compile", 0.0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    timings["cpu"] = usage.ru_utime + usage.ru_stime  # the whole child, compilation included
    self_kib = usage.ru_maxrss
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    tmp = args.out.with_name(args.out.name + ".tmp.npy")
    np.save(tmp, matrix)
    tmp.replace(args.out.with_suffix(".npy"))
    report = {
        "impl": args.impl, "timings": timings, "peak_rss_bytes": max(self_kib, children_kib) * 1024,
        "python": platform.python_version(), "versions": {d: _version(d) for d in VERSIONS[args.impl]},
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
