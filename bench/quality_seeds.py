"""Segments quality over several seeds: ``bench/quality.py`` once per seed, then each goal's spread.

    python bench/quality_seeds.py [--seeds 11 12 13 14 15] [--users 4000] [--work DIR]
                                  [--method leiden] [--no-candidates] [--merge-rule goal]

One seed is one shop: its own personas, users and events (``events/synth/``), its own
embeddings and run. A figure from a single seed says little when the k rule sits near its
stability line, so this script runs ``bench/quality.py --work DIR/seed-N --seed N`` for each
seed (reusing a seed's data when its folder already holds it), reads the ``quality.json`` each
run writes, and prints per seed the k chosen, the ARI of the product and of the baselines, and
every goal; then, per goal, the mean, the lowest and the highest value and in how many seeds it
was met. The baselines (k-means on RFM alone, the metrics alone) are in every run, so each seed
carries its own reference.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VARIANTS = ("rfm", "metrics", "product")
CANDIDATES = {  # keys of quality.json's "classified_candidates" (bench/quality.py, CANDIDATES)
    "rule": "product's rule",
    "graph": "kNN + Leiden",
    "graph_taste": "kNN + Leiden, with the taste block",
}  # keys of quality.json's "variants" (bench/quality.py, VARIANTS)


def run_seed(
    seed: int, users: int, work: Path, candidates: bool = True, method: str | None = None, merge_rule: str = "gains"
) -> dict:
    folder = work / f"seed-{seed}"
    command = [
        sys.executable,
        str(HERE / "quality.py"),
        "--work",
        str(folder),
        "--seed",
        str(seed),
        "--users",
        str(users),
        *(["--no-candidates"] if not candidates else []),
        *(["--method", method] if method else []),
        "--merge-rule",
        merge_rule,
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(
            f"error: bench/quality.py --seed {seed} failed (exit {done.returncode}): "
            f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}"
        )
    return json.loads((folder / "quality.json").read_text(encoding="utf-8"))


def print_candidates(results: list[dict]) -> None:
    """The candidates that cluster the classified customers only, per seed ("–": left out)."""
    print()
    print(
        "Candidates, not the product: clustering the classified customers only (ARI on them; ÷ their supervised "
        "ceiling; lower taste pair; bootstrap stability)"
    )
    print()
    print("| seed | " + " | ".join(CANDIDATES.values()) + " |")
    print("|---|" + "---|" * len(CANDIDATES))
    for r in results:
        cells = []
        for key in CANDIDATES:
            if key not in r["classified_candidates"]:
                cells.append("–")
                continue
            c = r["classified_candidates"][key]
            cells.append(
                f"{c['chosen']}: {c['ari']:.3f} ({c['ari'] / r['ceiling_ari_classified']:.2f}); "
                f"{c['taste_pair_ari']:.3f}; {c['stability']:.2f}"
            )
        print(f"| {r['seed']} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument(
        "--method", default=None, help="The product's --method (default: its default, leiden; rule: the stated rule)."
    )
    parser.add_argument(
        "--no-candidates", action="store_true", help="Leave out the candidates that cluster the classified customers."
    )
    parser.add_argument("--work", type=Path, default=None, help="Keep each seed's data here (default: a temp dir).")
    parser.add_argument(
        "--merge-rule", choices=("gains", "goal"), default="gains", help="bench/quality.py's --merge-rule"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="shopgraph-quality-seeds-"))
    results = []
    for seed in args.seeds:
        results.append(run_seed(seed, args.users, work, not args.no_candidates, args.method, args.merge_rule))
        print(f"seed {seed} done", file=sys.stderr, flush=True)

    print(
        f"data: {args.users} synthetic users per seed, months {results[0]['months']}; ARI on users with ≥ 5 "
        f"events; work {work}"
    )
    print()
    print(
        "| seed | users ≥ 5 events | true k | chosen | RFM k-means (own k) | metrics alone (own k) | "
        "product (own k) | product (true k) | weighted k-means candidate (product's k / true k) | "
        "supervised ceiling | oracle: inputs / view | threshold (κ there) | classified (own k) | "
        "supervised ceiling, classified | classified ÷ its ceiling | taste-pair ARI (lower pair) | "
        "supervised macro-F1 on the personas, classified |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        v = r["variants"]
        kappa = "–" if r["kappa_at_threshold"] is None else f"{r['kappa_at_threshold']:.2f}"
        print(
            f"| {r['seed']} | {r['clustered']} | {r['true_k']} | {r['chosen']} | "
            + " | ".join(f"{v[name]['ari_own_k']:.3f}" for name in VARIANTS)
            + f" | {v['product']['ari_true_k']:.3f} | {v['weighted']['ari_own_k']:.3f} / "
            f"{v['weighted']['ari_true_k']:.3f} | {r['ceiling_ari']:.3f} | {r['oracle_subspace_ari']:.3f} / "
            f"{r['oracle_view_ari']:.3f} | "
            f"{r['threshold']} ({kappa}) | {v['classified']['ari_own_k']:.3f} | {r['ceiling_ari_classified']:.3f} | "
            f"{v['classified']['ari_own_k'] / r['ceiling_ari_classified']:.2f} | {r['taste_pair_ari']:.3f} | "
            f"{r.get('ceiling_macro_f1_classified', float('nan')):.3f} |"
        )
    print_candidates(results)
    print()
    print("| goal | mean | lowest | highest | met in |")
    print("|---|---|---|---|---|")
    for i, goal in enumerate(results[0]["goals"]):
        values = [r["goals"][i]["value"] for r in results]
        met = sum(r["goals"][i]["met"] for r in results)
        name = goal["goal"].split(" (at n =")[0]  # the threshold's n differs by seed
        print(
            f"| {name} | {statistics.fmean(values):.3f} | {min(values):.3f} | {max(values):.3f} | "
            f"{met} of {len(results)} seeds |"
        )
    ratio = [
        r["variants"]["product"]["ari_own_k"] / r["variants"]["rfm"]["ari_own_k"]
        for r in results
        if r["variants"]["rfm"]["ari_own_k"] > 0
    ]
    if ratio:
        print()
        print(
            f"product ARI ÷ RFM k-means ARI (own k each), per seed: {', '.join(f'{x:.2f}' for x in ratio)}; "
            f"mean {statistics.fmean(ratio):.2f}"
        )
    share = [r["variants"]["product"]["ari_own_k"] / r["ceiling_ari"] for r in results if r["ceiling_ari"]]
    if share:
        print(
            f"product ARI ÷ supervised ceiling, per seed: {', '.join(f'{x:.2f}' for x in share)}; "
            f"mean {statistics.fmean(share):.2f}"
        )


if __name__ == "__main__":
    main()
