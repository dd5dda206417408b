"""Segments quality, measured on planted personas (issue 9): ARI of the baselines and of the product.

    python bench/quality.py [--users 4000] [--months 2019-10..2020-01] [--seed 11] [--real ../shared/data]
                            [--without blends noise tail] [--method leiden] [--no-candidates]
                            [--taste-stage leiden|all]

Writes synthetic months with planted personas (events/synth/), ingests them without
pseudonymising (so personas.csv ids match), computes the features, the interaction
aggregates and the embeddings (no Neo4j needed), then runs ``segments.segmentation.segment``.
Prints, on users with ≥ 5 events, the adjusted Rand index against the planted personas for
k-means on RFM alone, the metrics alone (the product's rule on the metric block), the vectors
alone, and the product's full pipeline — each with the k it chose and with the true k — plus
the bootstrap stability, the classifier's held-out macro-F1, the threshold agreement and the
goals met / not met. Beside the product, a *candidate* that is not the product (feature-weighted
k-means on the metrics alone, at the product's k and at the true k), a supervised ceiling, and
an *oracle*: k-means in the personas' own discriminant subspace (LDA fitted on the truth) of the
full inputs and of the clustering view — how much of the personas each space still holds.
``--real DIR`` runs the product on real month files too and says what
that sample allows. ``--without`` generates the personas without some of what blurs them
(blends, off-taste browsing, the heavy activity tail: sigma 0.3 instead of 1.0), to show what
each costs the product and the supervised ceiling. Issue 21's goals: the classified customers' ARI against
the supervised ceiling on them (``ceiling_ari_classified``) and the taste pairs (``taste_pair_ari``);
beside them, candidates that cluster the classified customers only (the product's rule, kNN + Leiden with
and without the taste block; ``--no-candidates`` leaves them out). ``--method`` is the product's;
``--taste-stage`` switches on the taste stage (segments/taste_split.py, off in the product) for Leiden or all.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, f1_score, silhouette_score
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.ingest import ingest_files
from events.interactions import write_interactions
from events.synth import generate
from events.synth import personas as synth_personas
from features.calendar import load_calendar
from features.compute import build_user_features
from graph.load import ingested_files
from segments import merging, selection
from segments.inputs import InputTransform
from segments.segmentation import (
    MIN_EVENTS_TO_CLUSTER,
    fit_labels,
    read_features,
    segment,
    user_vectors,
)
from shopgraph.workspace import Workspace

MIN_EVENTS = 5
EMBED_WORKERS = 0  # skip-gram threads of embed (--embed-workers)
EMBED_SEED = 42  # embed's seed (--embed-seed): another draw of the vectors
# what blurs the personas (events.synth.personas, "What blurs the personas") → the constant and its value without it
BLURS = {"blends": ("BLEND_SHARE", 0.0), "noise": ("NOISE_RATE", (0.0, 0.0)), "tail": ("ACTIVITY_SIGMA", 0.3)}
GOAL_KEYS = (
    "classified_share_of_ceiling",
    "taste_pair_ari",
    "stability",
    "macro_f1",
    "threshold_agreement",
)  # the goals, in print order
BANDS = ((5, 15), (15, 30), (30, 60), (60, 10**9))  # events per user, for the ceiling by activity
# the variants' keys in quality.json (bench/quality_seeds.py reads them) → their printed labels
VARIANTS = {
    "rfm": "k-means on RFM alone",
    "metrics": "metrics alone",
    "vectors": "vectors alone",
    "product": "full pipeline (product)",
    "classified": "full pipeline, users ≥ the threshold",
    "weighted": "candidate, not the product: feature-weighted k-means on the metrics alone",
}

CANDIDATES = {  # quality.json's "classified_candidates" keys → their printed labels
    "rule": "the product's rule (k-means / mixture / Ward) on the view",
    "graph": "kNN (15) + Leiden on the view",
    "graph_taste": "kNN (15) + Leiden on the view and the taste block",
}


def prepare(workspace: Workspace, files: list[Path], pseudonymise: bool) -> dict[str, float]:
    timings = {}
    t = time.perf_counter()
    ingest_files(workspace, files, pseudonymise=pseudonymise)
    build_user_features(workspace, load_calendar())
    timings["ingest+features"] = time.perf_counter() - t
    t = time.perf_counter()
    con = duckdb.connect()
    for source in ingested_files(workspace):
        write_interactions(workspace, source, con)
    con.close()
    from embeddings.training import embed

    embed(workspace, seed=EMBED_SEED, workers=EMBED_WORKERS)
    timings["embed"] = time.perf_counter() - t
    return timings


def weighted_kmeans(A: np.ndarray, k: int, seed: int, rounds: int = 15) -> np.ndarray:
    """A candidate, not the product: k-means on standardised columns, each weighted by the share of its
    variance the previous fit's segments explain (between-segment / total sum of squares), refitted until
    the segments stop changing — so metrics that separate segments count more than those that do not."""
    A = (A - A.mean(axis=0)) / np.where(A.std(axis=0) > 0, A.std(axis=0), 1)
    weights = np.ones(A.shape[1])
    labels = None
    for _ in range(rounds):
        new = KMeans(k, n_init=selection.KMEANS_STARTS, random_state=seed).fit_predict(A * np.sqrt(weights))
        within = sum(((A[new == c] - A[new == c].mean(axis=0)) ** 2).sum(axis=0) for c in np.unique(new))
        share = 1 - within / len(A)  # each column has variance 1: its total sum of squares is len(A)
        weights = share / share.mean()
        if labels is not None and adjusted_rand_score(labels, new) > 0.999:
            return new
        labels = new
    return labels


def taste_pairs(truth: np.ndarray, labels: np.ndarray) -> dict[tuple[str, str], float]:
    """Inside each taste pair (``events.synth.personas.TASTE_PAIRS``), the ARI of ``labels`` against the truth
    on that pair's customers (1: split by taste, each side one segment; 0: merged)."""
    out = {}
    for pair in synth_personas.TASTE_PAIRS:
        m = np.isin(truth, pair)
        if m.sum() >= 10:
            out[pair] = adjusted_rand_score(truth[m], labels[m])
    return out


def classified_candidates(
    view: np.ndarray, workspace: Workspace, user_ids: np.ndarray, business: np.ndarray, truth: np.ndarray
) -> dict[str, dict]:
    """Candidates, not the product (issue 21 §1), clustering the classified customers only (``view`` and the
    other rows are theirs): the product's rule (k-means / mixture / Ward, k by stability and silhouette), and
    kNN + Leiden (resolution by bootstrap stability) on the clustering view, with and without the taste block
    (TF-IDF of brands and categories, truncated SVD). Each: what it chose, ARI, taste-pair ARI, stability."""
    from segments import communities
    from segments.taste import TasteBlock, touched

    out = {}
    chosen = selection.choose(selection.evaluate(view, business, seed=0))
    labels = fit_labels(chosen.method, chosen.k, view, 0)
    out["rule"] = (f"{chosen.method} {chosen.k}", labels, chosen.stability)
    tastes = TasteBlock(seed=0).fit_transform(touched(workspace, user_ids), user_ids)
    for key, rows in (("graph", view), ("graph_taste", np.hstack([view, tastes]))):
        rows = np.asarray(rows, np.float64)
        candidates = communities.evaluate(rows, seed=0)
        pick = communities.choose_resolution(candidates)
        labels = communities.communities(rows, pick.resolution, 0)
        out[key] = (f"leiden {pick.communities} (resolution {pick.resolution})", labels, pick.stability)
        print(
            f"{key}: resolution / communities / modularity / stability: "
            + ", ".join(f"{c.resolution}: {c.communities} {c.modularity:.2f} {c.stability:.2f}" for c in candidates)
        )
    return {
        key: {
            "chosen": chosen_as,
            "ari": adjusted_rand_score(truth, labels),
            "taste_pair_ari": min(taste_pairs(truth, labels).values(), default=float("nan")),
            "stability": stab,
        }
        for key, (chosen_as, labels, stab) in out.items()
    }


def product_labels(run, view: np.ndarray, user_ids: np.ndarray, true_k: int) -> tuple[np.ndarray, np.ndarray]:
    """The product's clusters of the users with ≥ 5 events (``user_ids``, the rows of ``view``): its run's own,
    and the same method refitted at the true k (Leiden, communities merged until assignable, has no k: its
    labels again)."""
    from segments import communities

    labels = pd.DataFrame({"user_id": user_ids}).merge(run.clusters, on="user_id", how="left")["cluster"]
    labels = labels.fillna(0).to_numpy(np.int64)
    if run.method == communities.METHOD:
        return labels, labels
    return labels, fit_labels(run.method, true_k, view, 0)


def product_rule(X: np.ndarray, business: np.ndarray, seed: int) -> tuple[str, int]:
    chosen = selection.choose(selection.evaluate(X, business, seed=seed))
    return chosen.method, chosen.k


def print_issue_21(candidates: dict, pair_ari: dict, classified: np.ndarray, truth: np.ndarray) -> None:
    """The candidates on the classified customers, and the product's taste pairs (issue 21 §1)."""
    print(
        "| candidate, not the product: clustering the classified customers only | chosen | ARI | "
        "taste-pair ARI | stability |"
    )
    print("|---|---|---|---|---|")
    for key, c in candidates.items():
        print(
            f"| {CANDIDATES[key]} | {c['chosen']} | {c['ari']:.3f} | {c['taste_pair_ari']:.3f} | {c['stability']:.3f} |"
        )
    print()
    print("| taste pair, the product's segments on that pair's classified customers | customers | ARI |")
    print("|---|---|---|")
    for pair, a in pair_ari.items():
        print(f"| {pair[0]} vs {pair[1]} | {int((classified & np.isin(truth, pair)).sum())} | {a:.3f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--months", default="2019-10..2020-01")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--method", default=None, help="The product's --method (default: its default, leiden; rule: the stated rule)."
    )
    parser.add_argument(
        "--no-candidates", action="store_true", help="Leave out the candidates that cluster the classified customers."
    )
    parser.add_argument(
        "--taste-stage",
        choices=("leiden", "all"),
        default=None,
        help="Run the taste stage (segments/taste_split.py; off in the product) for Leiden or for every method.",
    )
    parser.add_argument(
        "--merge-rule",
        choices=("gains", "goal"),
        default="gains",
        help="gains: the product's merging (a merge kept only when it raises the classifier's CV macro-F1, until the "
        "assignment goal); goal: every merge kept until the goal (merge_until_assignable(only_gains=False), the rule "
        "before issue 21's decision).",
    )
    parser.add_argument("--real", type=Path, default=None)
    parser.add_argument(
        "--embed-workers",
        type=int,
        default=0,
        help="skip-gram threads of embed (0: the product's auto rule; 2 shows what parallel training changes)",
    )
    parser.add_argument("--embed-seed", type=int, default=42, help="embed's seed: another draw of the vectors")
    parser.add_argument("--work", type=Path, default=None, help="Keep the data here (default: a temp dir).")
    parser.add_argument(
        "--kmeans-starts",
        type=int,
        default=selection.KMEANS_STARTS,
        help="k-means starts per fit (the product's KMEANS_STARTS; 1 shows the effect of one start).",
    )
    parser.add_argument(
        "--without",
        nargs="+",
        choices=sorted(BLURS),
        default=[],
        help="Generate the personas without these blurs (blends, off-taste noise, the heavy "
        "activity tail), to see what each costs.",
    )
    args = parser.parse_args()
    selection.KMEANS_STARTS = args.kmeans_starts
    if args.merge_rule == "goal":
        merging.merge_until_assignable = functools.partial(merging.merge_until_assignable, only_gains=False)
    if args.taste_stage:
        from segments import communities, segmentation

        every = args.taste_stage == "all"
        segmentation.TASTE_STAGE_METHODS = (communities.METHOD, *(selection.METHODS if every else ()))
    global EMBED_WORKERS, EMBED_SEED
    EMBED_WORKERS, EMBED_SEED = args.embed_workers, args.embed_seed
    for blur in args.without:
        name, value = BLURS[blur]
        setattr(synth_personas, name, value)
    root = args.work or Path(tempfile.mkdtemp(prefix="shopgraph-quality-"))
    os.environ.setdefault("SHOPGRAPH_PSEUDONYM_KEY", "bench-quality-key")
    data = root / "synthetic"
    blurs_off = " ".join(sorted(args.without))
    if not (data / "personas.csv").exists():
        generate(data, users=args.users, months=args.months, seed=args.seed)
        (data / "without.txt").write_text(blurs_off, encoding="utf-8")
    elif (data / "without.txt").is_file() and (data / "without.txt").read_text(encoding="utf-8") != blurs_off:
        made = (data / "without.txt").read_text(encoding="utf-8") or "nothing"
        raise SystemExit(
            f"error: {data} was generated without {made}, not without {blurs_off or 'nothing'}: give another --work"
        )
    workspace = Workspace(root / "home")
    timings = (
        prepare(workspace, sorted(data.glob("*.csv.gz")), pseudonymise=False)
        if not (workspace.embeddings_dir / "user_vectors.parquet").exists()
        else {}
    )
    t = time.perf_counter()
    run = segment(workspace, seed=0, method=args.method)
    timings["segment"] = time.perf_counter() - t

    with threadpool_limits(1):
        features = read_features(workspace)
        personas = pd.read_csv(data / "personas.csv")
        features = features.merge(personas[["user_id", "persona"]], on="user_id")
        features = features[features["n_events"] >= MIN_EVENTS].reset_index(drop=True)
        truth = features["persona"].to_numpy()
        counts = pd.Series(truth).value_counts()
        true_k = int((counts >= 0.01 * len(truth)).sum())
        vectors, _ = user_vectors(workspace, features["user_id"].to_numpy(np.int64))
        business = features[["purchase_rate", "total_spent"]].fillna(0).to_numpy(float)
        rows = {}

        # k-means on RFM alone, the typical notebook: log1p, standardise, k by best silhouette
        rfm = np.log1p(features[["recency_days", "n_orders", "total_spent"]].fillna(0).to_numpy(float))
        rfm = (rfm - rfm.mean(axis=0)) / np.where(rfm.std(axis=0) > 0, rfm.std(axis=0), 1)
        sample = np.random.default_rng(0).choice(len(rfm), min(3000, len(rfm)), replace=False)
        sil = {
            k: silhouette_score(rfm[sample], KMeans(k, n_init=3, random_state=0).fit_predict(rfm)[sample])
            for k in selection.K_RANGE
        }
        k_rfm = max(sil, key=sil.get)
        rows["rfm"] = (
            k_rfm,
            adjusted_rand_score(truth, KMeans(k_rfm, n_init=3, random_state=0).fit_predict(rfm)),
            adjusted_rand_score(truth, KMeans(true_k, n_init=3, random_state=0).fit_predict(rfm)),
        )
        transform = InputTransform(seed=0, use_vectors=vectors is not None).fit(features, vectors)
        X, _ = transform.transform(features, vectors)
        view = transform.cluster_view(X)  # what the product's clusterings see
        blocks = transform.blocks_
        for label, cols in (
            ("metrics", transform.view_blocks_["metrics"]),
            ("vectors", transform.view_blocks_["vectors"]),
        ):
            if cols.stop == cols.start:
                rows[label] = (None, float("nan"), float("nan"))
                continue
            part = np.ascontiguousarray(view[:, cols])
            method, k = product_rule(part, business, 0)
            rows[label] = (
                f"{method} {k}",
                adjusted_rand_score(truth, fit_labels(method, k, part, 0)),
                adjusted_rand_score(truth, fit_labels(method, true_k, part, 0)),
            )
        # the product: its own run (the same transform and fit, on the clustered users)
        full, full_true_k = product_labels(run, view, features["user_id"].to_numpy(np.int64), true_k)
        rows["product"] = (
            f"{run.method} {run.k}",
            adjusted_rand_score(truth, full),
            adjusted_rand_score(truth, full_true_k),
        )
        metric_rows = X[:, blocks["metrics"]]  # every kept metric, before the clustering view's reduction
        rows["weighted"] = (
            f"kmeans {run.k} (the product's k)",
            adjusted_rand_score(truth, weighted_kmeans(metric_rows, run.k, 0)),
            adjusted_rand_score(truth, weighted_kmeans(metric_rows, true_k, 0)),
        )
        # the users the product classifies: at or above its activity threshold
        classified = features["n_events"].to_numpy() >= run.threshold["threshold"]
        rows["classified"] = (
            f"{run.method} {run.k}",
            adjusted_rand_score(truth[classified], full[classified]),
            adjusted_rand_score(truth[classified], full_true_k[classified]),
        )
        # ceilings: what a supervised model reaches on the same inputs (3-fold CV, personas ≥ 1 %)
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.model_selection import cross_val_predict

        common = np.isin(truth, counts[counts >= 0.01 * len(truth)].index)
        ceilings = {}
        for label, cols in (("metrics", blocks["metrics"]), ("vectors", blocks["vectors"]), ("full", slice(None))):
            part = X[common][:, cols]
            if part.shape[1] == 0:
                continue
            guess = cross_val_predict(
                HistGradientBoostingClassifier(max_iter=60, random_state=0), part, truth[common], cv=3
            )
            ceilings[label] = (float((guess == truth[common]).mean()), adjusted_rand_score(truth[common], guess))
            if label == "full":
                events = features["n_events"].to_numpy()[common]
                bands = {}
                for lo, hi in BANDS:
                    m = (events >= lo) & (events < hi)
                    if m.sum() >= 20:
                        bands[f"{lo}–{hi - 1 if hi < 10**9 else '…'}"] = (
                            int(m.sum()),
                            float((guess[m] == truth[common][m]).mean()),
                            adjusted_rand_score(truth[common][m], guess[m]),
                            adjusted_rand_score(truth[common][m], full[common][m]),
                        )
        # the same model and CV on the customers the product classifies (at or above its threshold) only
        mine = common & classified
        guess = cross_val_predict(
            HistGradientBoostingClassifier(max_iter=60, random_state=0), X[mine], truth[mine], cv=3
        )
        ceilings["classified"] = (float((guess == truth[mine]).mean()), adjusted_rand_score(truth[mine], guess))
        # and its macro-F1 there: how well a supervised model told the true personas tells them apart, the
        # reference for the assignment goal (macro-F1 ≥ 0.9) if the segments were the personas themselves
        ceiling_f1_classified = float(f1_score(truth[mine], guess, average="macro"))
        # oracle: k-means (the true k) in the personas' own linear discriminant subspace, fitted on the truth
        # (in sample): how far the product's inputs are from the clustering when the right directions are known
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        oracle = {}
        for label, rows_in in (("inputs", X), ("view", view)):  # the full inputs; what the clusterings see
            subspace = LinearDiscriminantAnalysis(n_components=min(true_k - 1, rows_in.shape[1])).fit_transform(
                rows_in[common], truth[common]
            )  # the personas with ≥ 1 % of the users: true_k of them
            oracle[label] = adjusted_rand_score(
                truth[common], KMeans(true_k, n_init=10, random_state=0).fit_predict(subspace)
            )
        taste = {}
        for pair in (
            ("brand_loyalist_apple_family", "brand_loyalist_samsung_family"),
            ("frequent_small_basket_home", "frequent_small_basket_fashion"),
        ):
            m = np.isin(truth, pair)
            if m.sum() < 10:
                continue
            for label, cols in (
                ("metrics", transform.view_blocks_["metrics"]),
                ("vectors", transform.view_blocks_["vectors"]),
            ):
                if cols.stop > cols.start:
                    taste[(pair, label)] = adjusted_rand_score(
                        truth[m], KMeans(2, n_init=5, random_state=0).fit_predict(view[m][:, cols])
                    )
        # inside each taste pair, the classified customers of its two personas: the product's segments against
        # the truth (1: the pair split by taste, each side one segment; 0: merged)
        pair_ari = taste_pairs(truth[classified], full[classified])
        taste_pair_ari = min(pair_ari.values()) if pair_ari else float("nan")
        candidates = (
            {}
            if args.no_candidates
            else classified_candidates(
                view[classified],
                workspace,
                features["user_id"].to_numpy(np.int64)[classified],
                business[classified],
                truth[classified],
            )
        )
        assignments = pd.read_parquet(run.run_dir / "assignments.parquet")
        published = features[["user_id"]].merge(assignments, on="user_id")["segment_id"].to_numpy()
        published_ari = adjusted_rand_score(truth, published)

    print(
        f"clustering view: {len(transform.view_eigenvalues_)} metric components above the Marchenko–Pastur "
        f"edge {transform.view_edge_:.2f} of {len(transform.metrics_)} metrics + {transform.vector_dims_} vector "
        "components"
    )
    print(
        f"data: {args.users} synthetic users, {args.months}, seed {args.seed}"
        f"{', without ' + ' and '.join(args.without) if args.without else ''}; {len(features)} users with "
        f"≥ {MIN_EVENTS} events; true k = {true_k} personas with ≥ 1 % of them: "
        + ", ".join(f"{p} {n}" for p, n in counts.items())
    )
    print(f"timings: {', '.join(f'{k} {v:.1f}s' for k, v in timings.items())}; run timings {run.timings}")
    print()
    print(f"| variant | k chosen | ARI (chosen k) | ARI (true k = {true_k}) |")
    print("|---|---|---|---|")
    for key, (k, a, b) in rows.items():
        label = VARIANTS[key] + (f" ({run.threshold['threshold']} events)" if key == "classified" else "")
        print(f"| {label} | {k} | {a:.3f} | {b:.3f} |")
    print(
        f"| published assignments (segment 0 below the threshold counted as a segment) | {run.k} | "
        f"{published_ari:.3f} | |"
    )
    print()
    print("| ceiling: supervised gradient boosting on the same inputs, 3-fold CV | accuracy | ARI |")
    print("|---|---|---|")
    for label, (acc, a) in ceilings.items():
        print(f"| {label} | {acc:.3f} | {a:.3f} |")
    print(f"| classified: macro-F1 on the true personas (beside the assignment goal) | | {ceiling_f1_classified:.3f} |")
    for label, words in (("inputs", "the full inputs"), ("view", "the clustering view")):
        print(
            f"| oracle: k-means (k = {true_k}) in the personas' own discriminant subspace of {words} "
            f"(LDA fitted on the truth) | | {oracle[label]:.3f} |"
        )
    print()
    print("| events per user | users | supervised accuracy | supervised ARI (ceiling) | product ARI (own k) |")
    print("|---|---|---|---|---|")
    for band, (n, acc, a, b) in bands.items():
        print(f"| {band} | {n} | {acc:.3f} | {a:.3f} | {b:.3f} |")
    print()
    print_issue_21(candidates, pair_ari, classified, truth)
    print("| taste pair, k-means k = 2 on that pair's users | block | ARI |")
    print("|---|---|---|")
    for (pair, label), a in taste.items():
        print(f"| {pair[0]} vs {pair[1]} | {label} | {a:.3f} |")
    stability = run.record["scores"]["stability"]
    f1 = run.record["classifier"]["test_macro_f1"]
    t = run.threshold
    at = next((p for p in t["curve"] if p["n"] == t["threshold"]), {"agreement": float("nan")})
    ceiling_classified = ceilings["classified"][1]
    share = rows["classified"][1] / ceiling_classified if ceiling_classified > 0 else float("nan")
    goals = [
        ("classified ARI (own k) ≥ 0.85 × the supervised ceiling on them (ratio)", share, share >= 0.85),
        ("taste-pair ARI ≥ 0.9 (the lower pair, classified customers)", taste_pair_ari, taste_pair_ari >= 0.9),
        ("bootstrap stability ≥ 0.8", stability, stability >= 0.8),
        ("new-customer macro-F1 ≥ 0.9 (held-out test split)", f1, f1 >= 0.9),
        (f"threshold agreement ≥ {t['level']} (at n = {t['threshold']})", at["agreement"], bool(t["met"])),
    ]
    print()
    print("| goal | measured | met |")
    print("|---|---|---|")
    for name, value, met in goals:
        print(f"| {name} | {value:.3f} | {'met' if met else 'NOT met'} |")
    print()
    kmeans = run.selection[run.selection["method"] == "kmeans"].sort_values("k")
    print(
        f"k-means bootstrap stability by k ({selection.KMEANS_STARTS} starts per fit): "
        + ", ".join(f"{int(r.k)}: {r.stability:.2f}" for r in kmeans.itertuples())
    )
    print(
        "threshold curve (agreement / Cohen's kappa): "
        + ", ".join(f"n={p['n']}: {p['agreement']:.2f} / {_kappa(p)}" for p in t["curve"])
    )
    short = run.record["classifier"].get("short_histories", {})
    print(
        f"short histories: {short.get('copies', 0)} copies of {short.get('users', 0)} users (first "
        f"{'/'.join(str(n) for n in short.get('truncations', []))} events); macro-F1 on the test users' copies "
        f"{run.record['classifier'].get('short_history_test_macro_f1') or float('nan'):.3f}"
    )
    print(
        "classifiers (CV macro-F1): "
        + ", ".join(f"{r.classifier} {r.cv_macro_f1:.3f}" for r in run.classifiers.itertuples())
    )
    print("segments: " + "; ".join(f"{s['segment_id']} {s['name']['en']} ({s['size']})" for s in run.segments))
    print(
        "importance by block: "
        + str({k: round(v, 3) for k, v in run.record["analysis"]["importance_by_block"].items()})
    )
    figures = {  # for bench/quality_seeds.py, which sums several seeds up
        "seed": args.seed,
        "merge_rule": args.merge_rule,
        "users": args.users,
        "without": args.without,
        "months": args.months,
        "clustered": len(features),
        "true_k": true_k,
        "chosen": f"{run.method} {run.k}",
        "threshold": t["threshold"],
        "kappa_at_threshold": at.get("kappa"),
        "variants": {
            key: {"label": VARIANTS[key], "k": k, "ari_own_k": a, "ari_true_k": b} for key, (k, a, b) in rows.items()
        },
        "ceiling_ari": ceilings.get("full", (None, None))[1],
        "ceiling_ari_classified": ceiling_classified,
        "ceiling_macro_f1_classified": ceiling_f1_classified,
        "taste_pair_ari": taste_pair_ari,
        "taste_pairs": {" vs ".join(pair): a for pair, a in pair_ari.items()},
        "classified_candidates": candidates,
        "oracle_subspace_ari": oracle["inputs"],
        "oracle_view_ari": oracle["view"],
        "goals": [
            {"key": key, "goal": name, "value": value, "met": bool(met)}
            for key, (name, value, met) in zip(GOAL_KEYS, goals, strict=True)
        ],
    }
    (root / "quality.json").write_text(json.dumps(figures, indent=1, default=float), encoding="utf-8")
    print(f"figures: {root / 'quality.json'}")
    if args.real:
        real(args.real, root)


def _kappa(point: dict) -> str:
    return "-" if point.get("kappa") is None else f"{point['kappa']:.2f}"


def real(directory: Path, root: Path) -> None:
    workspace = Workspace(root / "real")
    files = sorted(p for p in directory.iterdir() if p.suffix in (".csv", ".gz"))
    prepare(workspace, files, pseudonymise=True)
    features = read_features(workspace)
    enough = int((features["n_events"] >= MIN_EVENTS_TO_CLUSTER).sum())
    print()
    print(
        f"real sample {directory}: {len(features)} users, {enough} with ≥ {MIN_EVENTS_TO_CLUSTER} events, "
        f"{int((features['n_purchases'] > 0).sum())} buyers"
    )
    try:
        run = segment(workspace, seed=0)
    except Exception as exc:
        print(f"segment: {exc}")
        return
    print(
        f"segment: {run.method} k={run.k}, stability {run.record['scores']['stability']:.2f}, silhouette "
        f"{run.record['scores']['silhouette']:.3f}, threshold {run.threshold['threshold']} "
        f"({'met' if run.threshold['met'] else 'not met'}"
        f"{': ' + run.threshold['note'] if run.threshold.get('note') else ''}), "
        "classifier "
        f"{run.record['classifier']['kept']} test macro-F1 {run.record['classifier']['test_macro_f1']:.3f}"
    )
    print(
        "threshold curve (agreement / Cohen's kappa): "
        + ", ".join(f"n={p['n']}: {p['agreement']:.2f} / {_kappa(p)}" for p in run.threshold["curve"])
    )
    print("segments: " + "; ".join(f"{s['segment_id']} {s['name']['en']} ({s['size']})" for s in run.segments))


if __name__ == "__main__":
    main()
