"""How good is the fold-in? Held-out trained users' fold-in vs trained vectors, and trained vs folded taste.

Usage (a workspace after ``synth`` + ``ingest`` + ``load``; ``personas.csv`` from ``synth``)::

    SHOPGRAPH_HOME=... python bench/foldin.py --personas DIR/personas.csv [--train-share 0.5]

1. Trains node2vec on every user (the defaults of ``shopgraph embed``) and, for up to 2 000
   trained users, compares the fold-in vector (computed from their interactions as if they
   were new) with their trained vector: cosine (against a random pair of trained users),
   the rank of the user's own trained vector among all trained vectors by cosine to the
   fold-in (percentile: 0 = nearest), and how often the fold-in falls in the same k-means
   cluster (k = 8) of the trained vectors as the trained vector — a stand-in for "same
   segment" until segments exist. The fold-in weights are compared: products only, the
   default (products + categories + brands at 1 / 0.5 / 0.5), and categories + brands only.
2. Trains on a seeded ``--train-share`` of the users (what ``--max-users`` does) and folds
   in the rest: ARI of k-means (k = 4) against the four taste personas (big-ticket
   electronics, small goods, gifts, bargain hunters), trained users vs folded users, and
   the training time of both runs (the ratio is the saving of the cap).
"""

from __future__ import annotations

import argparse
import os
import time

import duckdb
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from embeddings.foldin import FOLD_WEIGHTS, fold_in_batches, item_profiles, normalise
from embeddings.graph import interaction_files, load_graph
from embeddings.node2vec import Node2Vec
from embeddings.training import graph_items, graph_product_attributes, user_product_batches
from events.pseudonym import load_key, pseudonymise_ids
from shopgraph.workspace import Workspace

TASTE = ("big_ticket_electronics", "frequent_small_basket", "holiday_shopper", "bargain_hunter")
VARIANTS = {
    "products only": {"product": 1.0, "category": 0.0, "brand": 0.0},
    "default (1 / 0.5 / 0.5)": FOLD_WEIGHTS,
    "categories + brands only": {"product": 0.0, "category": 1.0, "brand": 1.0},
}


def fold(workspace, graph, vectors, users, weights):
    files = interaction_files(workspace)
    profile, mass = item_profiles(graph_items(graph, vectors), *graph_product_attributes(graph), weights)
    con = duckdb.connect()
    out = list(fold_in_batches(profile, mass, graph.product_ids, user_product_batches(con, files, users, "only")))
    con.close()
    return np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out])


def personas_of(workspace, path, user_ids):
    table = pd.read_csv(path)
    table["uid"] = pseudonymise_ids(table.user_id.tolist(), load_key(workspace, create=False))
    return table.set_index("uid").persona.reindex(user_ids).to_numpy()


def taste_ari(vectors, personas, seed=0):
    mask = np.isin(personas, TASTE)
    labels = KMeans(len(TASTE), n_init=4, random_state=seed).fit_predict(vectors[mask])
    return adjusted_rand_score(personas[mask], labels), int(mask.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--personas", required=True)
    parser.add_argument("--train-share", type=float, default=0.5)
    parser.add_argument("--check-users", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    workspace = Workspace.from_env()
    print(
        f"# bench/foldin  {time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} CPUs  "
        f"load avg {os.getloadavg()[0]:.1f}  node2vec defaults of `shopgraph embed`, seed {args.seed}"
    )

    graph = load_graph(workspace, max_users=None, seed=args.seed)
    started = time.perf_counter()
    model = Node2Vec(seed=args.seed).fit(graph)
    full_seconds = time.perf_counter() - started
    trained = normalise(model.vectors_[graph.nodes("user")])
    ids = graph.user_ids
    by_id = np.argsort(ids)  # user nodes are in the graph's own order, not by id
    print(
        f"graph: {graph.counts()}, {graph.n_entries:,} CSR entries; trained on all users in {full_seconds:.1f}s "
        f"(walks {model.timings_['walks']:.1f}s, skip-gram {model.timings_['training']:.1f}s)"
    )

    rng = np.random.default_rng(args.seed)
    check = np.sort(rng.choice(len(ids), size=min(args.check_users, len(ids)), replace=False))
    kmeans = KMeans(8, n_init=4, random_state=0).fit(trained)
    print("\n1. held-out check on", len(check), "trained users (fold-in computed as if they were new)")
    print(
        f"{'fold-in weights':<26} {'cosine mean':>11} {'median':>7} {'p10':>6} {'random pair':>11} "
        f"{'own-rank pct':>12} {'same cluster':>12}"
    )
    for name, weights in VARIANTS.items():
        folded_ids, folded = fold(workspace, graph, model.vectors_, ids[check], weights)
        rows = by_id[np.searchsorted(ids, folded_ids, sorter=by_id)]
        cosine = np.sum(folded * trained[rows], axis=1)
        baseline = np.sum(trained[rows] * trained[rng.integers(0, len(ids), len(rows))], axis=1)
        sims = folded @ trained.T
        own = sims[np.arange(len(rows)), rows]
        rank_pct = (sims > own[:, None]).sum(axis=1) / len(ids) * 100
        same = np.mean(kmeans.predict(folded) == kmeans.labels_[rows])
        print(
            f"{name:<26} {cosine.mean():>11.3f} {np.median(cosine):>7.3f} {np.quantile(cosine, 0.1):>6.3f} "
            f"{baseline.mean():>11.3f} {np.median(rank_pct):>11.2f}% {same:>11.1%}"
        )

    personas = personas_of(workspace, args.personas, ids)
    ari_all, n_taste = taste_ari(trained, personas)
    folded_ids, folded = fold(workspace, graph, model.vectors_, ids[check], FOLD_WEIGHTS)
    rows = by_id[np.searchsorted(ids, folded_ids, sorter=by_id)]
    ari_check_trained, n_check = taste_ari(trained[rows], personas[rows])
    ari_check_folded, _ = taste_ari(folded, personas[rows])
    print(
        f"taste ARI of the {n_check:,} taste-persona users among them: trained vectors {ari_check_trained:.3f}, "
        f"their fold-ins {ari_check_folded:.3f}"
    )
    cap = max(1, int(len(ids) * args.train_share))
    sample = load_graph(workspace, max_users=cap, seed=args.seed)
    started = time.perf_counter()
    capped = Node2Vec(seed=args.seed).fit(sample)
    capped_seconds = time.perf_counter() - started
    capped_trained = normalise(capped.vectors_[sample.nodes("user")])
    rest = np.setdiff1d(ids, sample.user_ids)
    folded_ids, folded = fold(workspace, sample, capped.vectors_, rest, FOLD_WEIGHTS)
    every = np.concatenate([sample.user_ids, folded_ids])
    every_vectors = np.concatenate([capped_trained, folded])
    order = np.argsort(every)
    every, every_vectors = every[order], every_vectors[order]
    p_all = personas_of(workspace, args.personas, every)
    is_folded = np.isin(every, folded_ids)
    ari_mixed, _ = taste_ari(every_vectors, p_all)
    ari_trained, n_t = taste_ari(every_vectors[~is_folded], p_all[~is_folded])
    ari_folded, n_f = taste_ari(every_vectors[is_folded], p_all[is_folded])
    print(f"\n2. training on {args.train_share:.0%} of the users ({cap:,}), the rest folded in")
    print(f"{'run':<44} {'taste ARI':>9} {'users':>7} {'train s':>8}")
    print(f"{'all users trained':<44} {ari_all:>9.3f} {n_taste:>7,} {full_seconds:>8.1f}")
    print(f"{'capped: all users (trained + folded)':<44} {ari_mixed:>9.3f} {n_t + n_f:>7,} {capped_seconds:>8.1f}")
    print(f"{'capped: trained users only':<44} {ari_trained:>9.3f} {n_t:>7,}")
    print(f"{'capped: folded users only':<44} {ari_folded:>9.3f} {n_f:>7,}")
    print(f"training time ratio capped / all: {capped_seconds / full_seconds:.2f}")


if __name__ == "__main__":
    main()
