"""The look-alike graph of a Leiden run at size: the product's search against the exact one.

    python bench/similar.py HOME [--users N] [--reference-users 100000] [--neighbours 15] [--json PATH]
                                 [--exact-up-to N]   # 0: NN-descent at any size
                                 [--everyone]        # every clustered customer, not only the long histories
                                 [--faiss]           # also faiss's IVF and HNSW (pip install faiss-cpu first)

A run of ``--method leiden`` keeps every long-history customer's nearest others in ``similar.parquet``
(``segments.similar.similar_pairs``: exact up to ``EXACT_UP_TO`` customers, NN-descent above). On a
workspace (after ``shopgraph run``) this reads the segment step's inputs as `segment` does, takes the
customers with a long history (at most ``--users``, drawn at random) and times ``similar_pairs`` on their
clustering view, after a first NN-descent build on 2,000 rows that times numba's compilation apart (every
process pays it once; before, it was inside ``similar_pairs``' seconds). Its recall: the share of the exact
``k`` nearest it finds, for 2,000 customers checked by brute force. The reference, in the same run:
scikit-learn's exact search over ``--reference-users`` of them; a brute-force search grows with the square
of the customers, so its time at the full size is projected.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segments import communities, segmentation, similar
from shopgraph.workspace import Workspace


def exact(view: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k + 1`` nearest rows (itself among them), by scikit-learn's exhaustive search."""
    return NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(view).kneighbors(view)[1]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row's true neighbours that ``found`` holds."""
    hits = [len(np.intersect1d(a, b, assume_unique=True)) for a, b in zip(found, truth, strict=True)]
    return float(np.mean(hits) / truth.shape[1])


def nndescent_compilation(view: np.ndarray, k: int) -> float:
    """Seconds of the product's NN-descent search on 2,000 rows first: mostly numba compiling pynndescent's core,
    which it does not cache (its functions take the distance as a first-class function), so every process pays it
    once."""
    t0 = time.perf_counter()
    similar.similar_pairs(np.arange(2_000, dtype=np.int64), view[:2_000], k, exact_up_to=0)
    return time.perf_counter() - t0


def faiss_candidates(view: np.ndarray, k: int, checked: np.ndarray, truth: np.ndarray) -> list[dict]:
    """faiss's IVF-Flat (4 √n lists, 32 probed, k-means seeded on ≤ 64 rows a list) and HNSW (M 16, built on one
    thread, which keeps it reproducible; searched on every CPU) over ``view``: seconds and recall of each, in a
    process that has compiled nothing (faiss is C++)."""
    import faiss

    rows, dims = view.shape
    data = np.ascontiguousarray(view, np.float32)
    out = []
    t0 = time.perf_counter()
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatL2(dims), dims, int(4 * np.sqrt(rows)))
    ivf.cp.seed, ivf.cp.max_points_per_centroid, ivf.nprobe = 0, 64, 32
    ivf.train(data)
    ivf.add(data)
    found = ivf.search(data, k + 1)[1]
    out.append(_candidate("faiss IVF-Flat, 32 of 4√n lists", time.perf_counter() - t0, found, checked, truth))
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dims, 16)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    hnsw.add(data)
    faiss.omp_set_num_threads(threads)
    hnsw.hnsw.efSearch = 48
    found = hnsw.search(data, k + 1)[1]
    out.append(_candidate("faiss HNSW, M 16, efSearch 48", time.perf_counter() - t0, found, checked, truth))
    return out


def _candidate(name: str, seconds: float, found: np.ndarray, checked: np.ndarray, truth: np.ndarray) -> dict:
    rows = [row[row != i][: truth.shape[1]] for i, row in zip(checked, found[checked], strict=True)]
    r = recall(rows, truth)
    print(f"{name}: {seconds:.1f} s, recall@{truth.shape[1]} {r:.3f}", flush=True)
    return {"search": name, "seconds": round(seconds, 1), "recall": round(r, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="a workspace after `shopgraph run`")
    parser.add_argument("--users", type=int, default=None, help="at most this many long-history customers")
    parser.add_argument("--reference-users", type=int, default=100_000, help="the exact search's sample")
    parser.add_argument("--neighbours", type=int, default=communities.NEIGHBOURS)
    parser.add_argument("--exact-up-to", type=int, default=similar.EXACT_UP_TO, help="exact search up to N customers")
    parser.add_argument("--everyone", action="store_true", help="every clustered customer, not the long histories")
    parser.add_argument("--faiss", action="store_true", help="also time faiss's IVF and HNSW (needs faiss-cpu)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if args.faiss and importlib.util.find_spec("faiss") is None:
        raise SystemExit("--faiss needs faiss: pip install faiss-cpu")
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    inputs = segmentation.clustering_inputs(Workspace(args.home), 0)
    length, long = communities.long_histories(inputs.n_events[inputs.clustered])
    if args.everyone:
        length, long = 0, np.arange(len(inputs.clustered))
    if args.users is not None and len(long) > args.users:
        long = np.sort(rng.choice(long, args.users, replace=False))
    view = np.ascontiguousarray(inputs.view[long], np.float64)
    n, k = len(view), args.neighbours
    print(
        f"{args.home}: {len(inputs.clustered):,} clustered customers, {n:,} "
        f"{'searched (--everyone)' if args.everyone else f'with {length}+ events'}, "
        f"view {view.shape[1]} dims (inputs read in {time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    m = min(args.reference_users, n)
    sample = np.sort(rng.choice(n, m, replace=False))
    t0 = time.perf_counter()
    exact(view[sample], k)
    t_reference = time.perf_counter() - t0
    projected = t_reference * (n / m) ** 2
    print(f"reference, exact search (scikit-learn, brute force) of {m:,}: {t_reference:.1f} s", flush=True)
    method = "exact" if n <= args.exact_up_to else "NN-descent"
    compile_seconds = nndescent_compilation(view, k) if method == "NN-descent" else 0.0
    if compile_seconds:
        print(
            f"NN-descent's compilation in this process (a build on 2,000 rows first): {compile_seconds:.1f} s",
            flush=True,
        )
    t0 = time.perf_counter()
    pairs = similar.similar_pairs(np.arange(n, dtype=np.int64), view, k, exact_up_to=args.exact_up_to)
    t_product = time.perf_counter() - t0
    found = pairs["other_user_id"].to_numpy(np.int64).reshape(n, k)
    checked = np.sort(rng.choice(n, min(2_000, n), replace=False))
    _, idx = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(view).kneighbors(view[checked])
    truth = np.array([row[row != i][:k] for i, row in zip(checked, idx, strict=True)])
    r = recall(found[checked], truth)
    print(
        f"similar_pairs ({method}) of {n:,}: {t_product:.1f} s = {t_product / projected:.3f}x the exact search's "
        f"{projected:.0f} s ({'measured' if m == n else 'projected from ' + format(m, ',') + ' by the square'}); "
        f"recall@{k} {r:.3f} on {len(checked):,} customers; {len(pairs):,} pairs",
        flush=True,
    )
    candidates = faiss_candidates(view, k, checked, truth) if args.faiss else []
    if args.json:
        figures = {
            "users": n,
            "dims": int(view.shape[1]),
            "neighbours": k,
            "method": method,
            "similar_pairs_seconds": round(t_product, 1),
            "nndescent_compile_seconds": round(compile_seconds, 1),
            "reference_users": m,
            "reference_seconds": round(t_reference, 1),
            "exact_seconds_at_full_size": round(projected, 1),
            "exact_projected": m < n,
            "recall": round(r, 4),
            "candidates": candidates,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
