"""Months 5–7 of the scale bench projected from the measured months, each step growing with the history.

    .venv/bin/python bench/scale_projection.py                     # the records in docs/bench/
    .venv/bin/python bench/scale_projection.py --out docs/bench/scale-projection.json

bench/scale.py projects the months it did not run as copies of the last one measured, which leaves out
what grows with the history: the features step computes and writes every customer, the vectors step
rebuilds the look-alike index over every vector, the load step writes into a larger graph. Here each
step of a later month is fitted as ``a + b × events in the store before the month`` (least squares) on the
measured later months, then projected to months 5–7 at ``--events-later`` events each. The segment and
report steps are fitted on the months that **assigned** only (a month that retrained is a different
path: month 3's false retrain, docs/BENCHMARKS.md). Measured months keep their measured seconds in the
total. Months that two runs made (a stopped run, then ``--resume``) are read as composed in their record; a
record's ``lower_bounds`` steps are fitted as measured (the projection is then a lower bound too) and the steps a
partial month did not reach are filled from the fits (marked). The vectors step is fitted on the months from
``--vectors-from`` only: before it, `run` put every customer with ≥ 5 events in the look-alike index; since, the
customers at the activity threshold (docs/BENCHMARKS.md, "A look-alike index bounded by the activity threshold").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parents[1] / "docs" / "bench"
# month 4 from three runs: up to its vectors step; the report (after the describe fix, whose features and segment
# steps ran again only because the features' code fingerprint changed); then the month's own assign and vectors
RECORDS = (
    "scale.json",
    "scale-month3.json",
    "scale-month4.json",
    "scale-month4-report.json",
    "scale-month4-tail.json",
)
FULL_LATER = 60e6
PATH_STEPS = ("segment", "report")  # their path depends on the decision (assign or retrain)
VECTORS_BOUNDED_FROM = "2020-01"  # the first month whose vectors step indexed the threshold's customers only


def measured_months(paths: list[Path]) -> list[dict]:
    """Every month of the records, in month order, with the events in the store before it and whether its
    segmentation assigned. A record that ran a month again (``--resume``, after a stop) gives the steps it
    ran and keeps the earlier record's for the steps it skipped; a record stopped midway gives the steps it
    finished (``in_progress``). A month's look-alike index wait after its last step counts in its vectors step
    (before `run` waited after the last step, the vectors step waited itself)."""
    by_month: dict[str, dict] = {}
    for path in paths:
        for month, detail in _entries(json.loads(path.read_text())):
            earlier = by_month.get(month["month"])
            ran = {s for s, d in detail.get("steps", {}).items() if isinstance(d, dict) and d["status"] == "ran"}
            steps = dict(month["steps"])
            bounds = list(detail.get("lower_bounds", []))
            decision = str(detail.get("decision", ""))
            if earlier:
                steps = {**earlier["steps"], **{s: v for s, v in steps.items() if s in ran}}
                bounds = [s for s in earlier["lower_bounds"] if s not in ran] + bounds
                decision = decision if "segment" in ran else earlier["decision"]
            if "vectors" in steps:  # records from when `run` waited for the look-alike index (in their seconds)
                steps["vectors"] = round(steps["vectors"] + detail.get("index_wait_seconds", 0.0), 1)
            events = month.get("events", earlier["events"] if earlier else None)
            if events is None:  # a first record of the month that stopped midway: nothing to place it
                continue
            by_month[month["month"]] = {
                "month": month["month"],
                "events": events,
                "steps": steps,
                "seconds": round(sum(steps.values()), 1) if earlier else month["seconds"],
                "decision": decision,
                "assigned": decision.startswith("assigned"),
                "lower_bounds": bounds,
            }
    months, history = [], 0
    for name in sorted(by_month):
        months.append(by_month[name] | {"history_events": history})
        history += by_month[name]["events"]
    return months


def _entries(record: dict) -> list[tuple[dict, dict]]:
    """A record's (month, detail) pairs, its month in progress last (its finished steps, their statuses)."""
    entries = list(zip(record["months"], record["details"], strict=True))
    progress = record.get("in_progress")
    if progress:
        finished = progress["steps_finished"]
        month = {"month": progress["month"], "steps": {s: f["seconds"] for s, f in finished.items()}}
        detail = {"steps": finished, "decision": progress.get("decision", ""), **progress}
        entries.append((month, detail | {"lower_bounds": progress.get("lower_bounds", [])}))
    return entries


def fit(months: list[dict], step: str, since: dict[str, str] | None = None) -> tuple[float, float, list[str]]:
    """``(a, b)`` of ``seconds = a + b × history events`` for ``step`` on the later months it is fitted on (from
    ``since[step]`` when given: the step's path changed then)."""
    first = (since or {}).get(step, "")
    used = [
        m
        for m in months[1:]
        if step in m["steps"] and (step not in PATH_STEPS or m["assigned"]) and m["month"] >= first
    ]
    x = np.array([m["history_events"] for m in used], float)
    y = np.array([m["steps"][step] for m in used], float)
    if len(used) == 1:
        return float(y[0]), 0.0, [m["month"] for m in used]
    b, a = np.polyfit(x, y, 1)
    if b < 0:  # faster with a larger history is noise between runs: the step is taken as flat
        return float(y.mean()), 0.0, [m["month"] for m in used]
    return float(a), float(b), [m["month"] for m in used]


def project(
    months: list[dict], upto: int = 7, later_events: float = FULL_LATER, since: dict[str, str] | None = None
) -> dict:
    """The per-step fits, months ``len(months)+1 … upto`` projected, and the seven months' total."""
    steps = list(months[0]["steps"])
    fits = {step: fit(months, step, since) for step in steps}
    for m in months:  # the steps a partial month did not reach, from the fits
        m["filled"] = [s for s in steps if s not in m["steps"]]
        for step in m["filled"]:
            a, b, _ = fits[step]
            m["steps"][step] = round(a + b * m["history_events"], 1)
        m["seconds"] = round(sum(m["steps"].values()), 1) if m["filled"] else m["seconds"]
    history = months[-1]["history_events"] + months[-1]["events"]
    projected = []
    for number in range(len(months) + 1, upto + 1):
        seconds = {s: round(a + b * history, 1) for s, (a, b, _) in fits.items()}
        projected.append({"month": number, "history_events": int(history), "steps": seconds})
        projected[-1]["seconds"] = round(sum(seconds.values()), 1)
        history += later_events
    measured = sum(m["seconds"] for m in months)
    return {
        "fits": {
            s: {"a_seconds": round(a, 1), "b_seconds_per_million": round(b * 1e6, 3), "on": used}
            for s, (a, b, used) in fits.items()
        },
        "measured": [
            {
                k: m[k]
                for k in ("month", "events", "history_events", "seconds", "assigned", "steps", "filled", "lower_bounds")
            }
            for m in months
        ],
        "projected": projected,
        "seven_months_hours": round((measured + sum(p["seconds"] for p in projected)) / 3600, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("records", nargs="*", type=Path, default=[DOCS / name for name in RECORDS])
    parser.add_argument("--events-later", type=float, default=FULL_LATER, help="events of each projected month")
    parser.add_argument(
        "--vectors-from", default=VECTORS_BOUNDED_FROM, help="fit the vectors step on the months from this one"
    )
    parser.add_argument("--out", type=Path, help="write the projection as JSON here")
    args = parser.parse_args()
    months = measured_months(args.records)
    result = project(months, later_events=args.events_later, since={"vectors": args.vectors_from})
    steps = list(months[0]["steps"])
    print("| month | events in the store before | " + " | ".join(steps) + " | minutes | |")
    print("|---" * (len(steps) + 4) + "|")
    for m in result["measured"]:
        cells = " | ".join(f"{m['steps'].get(s, 0):.0f}" for s in steps)
        how = "measured, " + ("assigned" if m["assigned"] else "retrained")
        how += "".join(f"; {s} ≥" for s in m["lower_bounds"]) + "".join(f"; {s} fitted" for s in m["filled"])
        print(f"| {m['month']} | {m['history_events'] / 1e6:.0f} M | {cells} | {m['seconds'] / 60:.1f} | {how} |")
    for p in result["projected"]:
        cells = " | ".join(f"{p['steps'][s]:.0f}" for s in steps)
        print(f"| {p['month']} | {p['history_events'] / 1e6:.0f} M | {cells} | {p['seconds'] / 60:.1f} | projected |")
    print("\nfits, seconds = a + b × (events in the store, millions):")
    for step, f in result["fits"].items():
        print(f"  {step:9s} a {f['a_seconds']:8.1f}  b {f['b_seconds_per_million']:7.3f}  on {', '.join(f['on'])}")
    print(f"seven months: {result['seven_months_hours']:.2f} h (measured months as measured, the rest projected)")
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
