"""Segments reproducibility: the same shop pseudonymised with different keys — the same segments?

    python bench/reproducibility.py [--users 4000] [--seed 11] [--keys 3] [--bootstraps N] [--work DIR]

The pseudonym key is a secret that differs between installations (and is rotated on request),
so it must not decide the segments. It does reach them: the pseudonymous ids order the users,
which orders the selection sample and the bootstrap resamples (no longer the vectors:
the embeddings order users by their first interaction, docs/ARCHITECTURE.md). This bench
writes one set of synthetic months (planted personas, ``events/synth/``), ingests it into
``--keys`` workspaces with different keys, computes features and vectors and runs
``segments.segmentation.segment(seed=0)`` in each; it prints each run's (method, k) and the
k-means bootstrap stability by k, and between every two runs the adjusted Rand index of their
segments on the users both clustered (ids mapped back through each key), and of the whole
published assignment (segment 0 included).

Reference in the same script: the run's own bootstrap stability — the ARI between fits on
resampled users of *one* workspace. The ratio "ARI between keys ÷ stability" is 1 when a new
key moves the segments no more than resampling the users does. ``--bootstraps`` sets
``segments.selection.BOOTSTRAPS`` (the product's value by default) to show its effect.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import prepare

from events.pseudonym import KEY_ENV, pseudonym
from events.synth import generate
from segments import selection
from segments.segmentation import segment
from shopgraph.workspace import Workspace


def one_key(root: Path, data: Path, key: str, personas: pd.DataFrame) -> tuple[object, pd.DataFrame, float]:
    os.environ[KEY_ENV] = key
    workspace = Workspace(root / f"key-{key}")
    if not (workspace.embeddings_dir / "user_vectors.parquet").exists():
        prepare(workspace, sorted(data.glob("*.csv.gz")), pseudonymise=True)
    t = time.perf_counter()
    run = segment(workspace, seed=0)
    seconds = time.perf_counter() - t
    assignments = pd.read_parquet(run.run_dir / "assignments.parquet")
    raw = {pseudonym(r, key.encode("utf-8")): r for r in personas["user_id"]}
    assignments["raw_id"] = assignments["user_id"].map(raw)
    return run, assignments, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--months", default="2019-10..2020-01")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keys", type=int, default=3)
    parser.add_argument("--bootstraps", type=int, default=selection.BOOTSTRAPS)
    parser.add_argument("--work", type=Path, default=None, help="Keep the data here (default: a temp dir).")
    args = parser.parse_args()
    selection.BOOTSTRAPS = args.bootstraps
    root = args.work or Path(tempfile.mkdtemp(prefix="shopgraph-repro-"))
    data = root / "synthetic"
    if not (data / "personas.csv").exists():
        generate(data, users=args.users, months=args.months, seed=args.seed)
    personas = pd.read_csv(data / "personas.csv")
    keys = [f"reproducibility-key-{i + 1}" for i in range(args.keys)]
    runs = {key: one_key(root, data, key, personas) for key in keys}

    print(
        f"data: {args.users} synthetic users, {args.months}, seed {args.seed}; {args.keys} pseudonym keys; "
        f"{selection.BOOTSTRAPS} bootstrap fits per candidate"
    )
    print()
    print("| key | chosen | stability | threshold | segments published | segment (s) |")
    print("|---|---|---|---|---|---|")
    for key, (run, _assignments, seconds) in runs.items():
        print(
            f"| {key} | {run.method} {run.k} | {run.record['scores']['stability']:.3f} | "
            f"{run.threshold['threshold']} | {len(run.segments) - 1} | {seconds:.1f} |"
        )
    print()
    for key, (run, _, _) in runs.items():
        kmeans = run.selection[run.selection["method"] == "kmeans"].sort_values("k")
        print(
            f"{key}: k-means stability by k: "
            + ", ".join(f"{int(r.k)}: {r.stability:.2f}" for r in kmeans.itertuples())
        )
    print()
    print(
        "| pair | ARI, users clustered in both | ARI, all published assignments | mean stability of the two "
        "| ratio (clustered ARI ÷ stability) |"
    )
    print("|---|---|---|---|---|")
    between, ratios = [], []
    for a, b in itertools.combinations(keys, 2):
        (run_a, left, _), (run_b, right, _) = runs[a], runs[b]
        both = left.merge(right, on="raw_id", suffixes=("_a", "_b"))
        clustered = (both["assigned_by_a"] == "cluster") & (both["assigned_by_b"] == "cluster")
        ari = adjusted_rand_score(both.loc[clustered, "segment_id_a"], both.loc[clustered, "segment_id_b"])
        published = adjusted_rand_score(both["segment_id_a"], both["segment_id_b"])
        stability = float(np.mean([run_a.record["scores"]["stability"], run_b.record["scores"]["stability"]]))
        between.append(ari)
        ratios.append(ari / stability)
        print(f"| {a[-1]} – {b[-1]} | {ari:.3f} | {published:.3f} | {stability:.3f} | {ari / stability:.2f} |")
    chosen = {(run.method, run.k) for run, _, _ in runs.values()}
    print()
    print(
        f"same (method, k) under every key: {'yes' if len(chosen) == 1 else 'no'} "
        f"({', '.join(f'{m} {k}' for m, k in sorted(chosen))}); mean ARI between keys {np.mean(between):.3f}; "
        f"mean ratio to the stability {np.mean(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
