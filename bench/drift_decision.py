"""The drift check of a workspace's newest customers against one segmentation run, with each reference.

    .venv/bin/python bench/drift_decision.py --home /tmp/sg-s8/home --run 20261205T061000Z-87c66b

Replays the decision `shopgraph run` takes before it assigns a month (segments/drift.py) on a workspace
whose features already hold the new month: ``--sample`` of the new customers with 5 or more events are
classified by the run's classifier, then compared with the two like-with-like references of
segments/drift_reference.py: the returning customers' events since the run's window and the trained
customers' whole histories cut from their start, then the decision `run` takes from both
(``drift_reference.decide``: it retrains only when both say so). It
prints each decision, the segment shares of both sides and how far apart each key metric's mean
stands (in the new customers' standard deviations), and writes them with ``--out``. With
``--vectors-check N`` it also classifies N of the new customers twice, on the same whole-history
features, once with their stored vectors and once with vectors folded in from their events (what the
reference's cut histories get): the segment shares tell whether the vectors' origin moves the
decision. Nothing in
the workspace is written. Not a timing: the figures come from the data (docs/BENCHMARKS.md, "The
false retrain of month 3").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# run as a script, bench/ comes first on sys.path and its features.py would hide the features package
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent
]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from segments import assign as assigner  # noqa: E402
from segments import (  # noqa: E402
    assigning,
    drift,
    drift_reference,
    threshold,
)
from segments import segmentation as sg  # noqa: E402
from shopgraph.workspace import Workspace  # noqa: E402


def shares(values) -> dict[int, float]:
    return {int(k): round(float(v), 4) for k, v in pd.Series(values).value_counts(normalize=True).sort_index().items()}


def input_gaps(new: pd.DataFrame, reference: pd.DataFrame) -> dict[str, float]:
    """Each key metric's mean on the new side minus the reference's, in the new customers' standard deviations."""
    gaps = {}
    for metric in drift.KEY_METRICS:
        if metric in new and metric in reference:
            a, b = (pd.to_numeric(side[metric], errors="coerce") for side in (new, reference))
            gaps[metric] = round(float((a.mean() - b.mean()) / (a.std() or 1.0)), 3)
    return gaps


def vectors_check(workspace, run_dir: Path, features: pd.DataFrame, user_ids: np.ndarray) -> dict:
    """The segment shares of ``user_ids`` on their whole-history features with stored and with folded-in vectors."""
    con = threshold.truncated_events(workspace, user_ids, (threshold.FULL_HISTORY,))
    try:
        frame = threshold.truncated_features(con, sg._calendar(features.attrs.get("sidecar", {})))
        folded = threshold.truncated_vectors(con, workspace, frame["user_id"].to_numpy())
    finally:
        con.close()
    stored, _ = sg.user_vectors(workspace, user_ids[frame["study_index"].to_numpy()])
    result = {"customers": len(frame)}
    for name, vectors in (("stored", stored), ("folded_in", folded)):
        segment, _ = drift_reference._classify(run_dir, frame, vectors)
        result[name] = shares(segment)
    both = sorted(set(result["stored"]) | set(result["folded_in"]))
    result["largest_share_gap"] = round(
        max(abs(result["stored"].get(s, 0.0) - result["folded_in"].get(s, 0.0)) for s in both), 4
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="the workspace (SHOPGRAPH_HOME)")
    parser.add_argument("--run", required=True, help="the segmentation run to compare against (segments/runs/ID)")
    parser.add_argument("--sample", type=int, default=60_000, help="new customers classified")
    parser.add_argument(
        "--vectors-check", type=int, default=0, metavar="N", help="new customers classified with both vectors"
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    workspace = Workspace(args.home)
    run_dir = workspace.home / "segments" / "runs" / args.run
    started = time.perf_counter()
    features = sg.read_features(workspace, assigning.DECIDE_COLUMNS)
    assignments = pd.read_parquet(run_dir / "assignments.parquet")
    _, new, _ = assigning._new_and_changed(run_dir, features)
    ids = features["user_id"].to_numpy(np.int64)[new & (features["n_events"].to_numpy() >= drift.COMPARED_EVENTS)]
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(ids, min(args.sample, len(ids)), replace=False))
    bundle = assigner.load(run_dir / assigner.MODEL_FILE)
    update, _ = assigning._classify_in_chunks(workspace, run_dir, bundle, sample, lambda *_: None)
    guess = update["segment_id"] == 0
    segment = np.where(guess, update["likely_segment_id"].fillna(0), update["segment_id"]).astype(np.int64)
    result = {"run": args.run, "new_customers": len(ids), "sample": len(sample), "new_shares": shares(segment)}
    print(f"{len(ids):,} new customers with ≥ {drift.COMPARED_EVENTS} events, {len(sample):,} classified")
    print(f"  new customers' segment shares {result['new_shares']}")
    activity = int(json.loads((run_dir / "run.json").read_text()).get("threshold") or 1)  # as `run` compares
    for name, returning in (("returning", True), ("whole_histories", False)):
        reference = drift_reference.like_with_like(workspace, run_dir, features, assignments, update, returning)
        report = drift.drift_of_new_customers(features, assignments, update, activity, reference)
        gaps = input_gaps(features[features["user_id"].isin(sample)], reference)
        result[name] = {
            "decision": report.as_record(),
            "reference_shares": shares(reference["segment_id"]),
            "input_gap_sd": gaps,
        }
        print(f"{name}: {report.decision}")
        print(f"  reference's segment shares {result[name]['reference_shares']}")
        print(f"  key metrics' gap, new minus reference, in sd: {gaps}")
    chosen = drift_reference.decide(workspace, run_dir, features, assignments, update, activity)
    result["run_decides"] = chosen.as_record()
    print(f"run decides (retrains only when both references say so): {chosen.decision}")
    if args.vectors_check:
        result["vectors_check"] = vectors_check(workspace, run_dir, features, sample[: args.vectors_check])
        print(f"stored vs folded-in vectors: {result['vectors_check']}")
    result["seconds"] = round(time.perf_counter() - started, 1)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
