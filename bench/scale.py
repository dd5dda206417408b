"""REES46-sized months through `shopgraph run`, month after month, with the issue's goals marked (issue 20).

Usage::

    .venv/bin/python bench/scale.py                          # 2 months: ≈ 42 M then ≈ 60 M events
    .venv/bin/python bench/scale.py --months 7 --data /big/scale-data
    .venv/bin/python bench/scale.py --fraction 0.02          # a small trial (≈ 0.8 M + 1.2 M events)
    .venv/bin/python bench/scale.py --months 1 --method leiden   # segments as graph communities
    .venv/bin/python bench/scale.py --from-month 3 --months 3 --home H --out X.json   # month 3 on months 1-2's H

1. Months at REES46 proportions from ``shopgraph synth --scale rees46`` (events/synth/rees46.py):
   2019-10 with ``--events-first`` events, each later month ``--events-later``, both times
   ``--fraction`` (and the catalogue's ≈ 170 k products with them). Written into ``--data``
   (reused when its ``synth-rees46.json`` says the same seed and sizes).
2. A fresh workspace (``--home``) with its own Neo4j (``--bolt-port``/``--http-port``; heap and
   page cache from the product's auto plan, graph/memory.py, unless ``--memory``), then
   ``shopgraph run`` on month 1 into the empty workspace, month 2 as a new month, and so on,
   each in a child process (bench/run_child.py, shared with bench/pipeline.py).
3. Per month: wall and CPU seconds per step, the peak resident memory of shopgraph (the child's
   process tree) and of the Neo4j server (both sampled every 0.5 s), the workspace's size on
   disk after it (event store, Neo4j data, the other files), the largest size of Neo4j's transaction logs
   (sampled every 5 s). The reference, measured in the same run on the same file: a bare DuckDB scan
   (``SELECT count(*) FROM read_csv(FILE)``).

The child runs the code of this checkout as it is on disk when each step imports it: a month runs for
most of an hour, and an edit meanwhile changes what it measures (an edited ``segments`` makes the
segment step retrain). Run the bench from a frozen checkout (``git worktree add --detach DIR``); a
month during which the code of a step changed says so (``code_changed_during_run`` in its details).

Writes ``--out`` (``docs/bench/scale.json``: ``months`` as the issue asks, ``details`` with CPU,
per-step peaks and the disk split, ``reference``) and prints a Markdown table with the goals
marked. A goal for a size that was not run is marked on a linear projection from the measured
months, and says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from run_child import (  # bench/ is first on sys.path
    METHOD,
    NO_RESOURCE_CHECK,
    REPO,
    RETRAIN,
    bare_scan_seconds,
    bench_env,
    bench_server,
    run_in_child,
)

GIB = 2**30
SERIES = ["2019-10", "2019-11", "2019-12", "2020-01", "2020-02", "2020-03", "2020-04"]
FULL_FIRST, FULL_LATER = 42e6, 60e6


def month_data(args: argparse.Namespace, months: list[str]) -> tuple[list[Path], dict]:
    """The month files in ``--data`` (generated where missing or made with other sizes) and their counts."""
    from events.synth.clock import month_file_name
    from events.synth.rees46 import SIDECAR, generate_rees46
    from events.synth.rees46_shop import PRODUCTS

    first, later = round(args.events_first * args.fraction), round(args.events_later * args.fraction)
    products = max(1_000, round(PRODUCTS * args.fraction))  # the catalogue scales with the events
    sidecar = args.data / SIDECAR
    known = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    sizes = (args.seed, first, later, products)
    same = (*(known.get(k) for k in ("seed", "events_first", "events_later")), known.get("products", PRODUCTS)) == sizes
    missing = [
        m for m in months if not (same and m in known.get("months", {}) and (args.data / month_file_name(m)).exists())
    ]
    for month in missing:
        started = time.perf_counter()
        made = generate_rees46(args.data, [month], first, later, seed=args.seed, products=products)
        print(f"synth {month}: {made.events:,} events in {time.perf_counter() - started:.0f}s", flush=True)
    counts = json.loads(sidecar.read_text())["months"]
    return [args.data / month_file_name(m) for m in months], counts


def csv_bytes(path: Path) -> int:
    """Bytes of the month file once decompressed (streamed: memory stays flat)."""
    from isal import igzip

    total = 0
    with igzip.open(path, "rb") as f:
        while block := f.read(1 << 24):
            total += len(block)
    return total


def measure(args: argparse.Namespace, save=lambda record: None) -> dict:
    """Generate or reuse the months, run them one by one in a fresh workspace, return the record.

    ``save(record)`` after each month, and after each step with the month's finished steps (status, wall and
    CPU seconds) and the decision so far as ``in_progress``: a bench stopped midway keeps what it measured.
    """
    from shopgraph.workspace import Workspace

    months = SERIES[args.from_month - 1 : args.months]
    files, counts = month_data(args, months)
    if not args.resume and args.from_month == 1:
        shutil.rmtree(args.home, ignore_errors=True)
    env = bench_env(args.home, args.bolt_port, args.http_port, args.memory)
    if args.no_resource_check:
        env[NO_RESOURCE_CHECK] = "1"
    if args.retrain:
        env[RETRAIN] = "1"
    if args.method:
        env[METHOD] = args.method
    record: dict = {"months": [], "details": [], "reference": {"duckdb_scan_seconds": {}}}
    record["method"] = args.method or "run's default (leiden)"
    from pipeline.run import STEP_CODE, step_code

    code_at_start = {step: step_code(step) for step in STEP_CODE}
    with bench_server(env) as server:
        record["neo4j_memory"] = server.memory_plan().__dict__
        for month, path in zip(months, files, strict=True):
            reference = bare_scan_seconds(path)
            record["reference"]["duckdb_scan_seconds"][month] = round(reference, 2)
            print(f"run {path.name} (bare DuckDB scan {reference:.1f}s) …", flush=True)

            def month_so_far(finished: dict, decision: str, month: str = month) -> None:  # kept if the bench stops
                save({**record, "in_progress": {"month": month, "steps_finished": finished, "decision": decision}})

            result = run_in_child(args.home, [str(path)], env, server, on_step_done=month_so_far)
            sizes = Workspace(args.home).sizes()
            record["months"].append(month_entry(month, counts[month], result, sizes))
            record["details"].append(month_detail(month, result, sizes, reference))
            record["details"][-1]["file_bytes"] = {"gz": path.stat().st_size, "csv": csv_bytes(path)}
            record["details"][-1]["neo4j_memory"] = server.configured_memory()  # a bulk load restarts it
            record["details"][-1]["segmentation"] = segmentation_summary(Workspace(args.home))
            if args.resume:  # the steps an earlier, interrupted run finished are skipped, not measured here
                record["details"][-1]["resumed"] = True
            if args.from_month > 1:  # the earlier months were run by an earlier bench into the same --home
                record["details"][-1]["continued"] = True
            changed = sorted(step for step, code in code_at_start.items() if step_code(step) != code)
            if changed:  # edited while the month ran: its steps may have run code from before and after
                record["details"][-1]["code_changed_during_run"] = changed
                print(f"  the code of {', '.join(changed)} changed while the bench ran", flush=True)
            print(f"  {result['seconds']:.0f}s — {result['decision']}", flush=True)
            save(record)
    return record


def month_entry(month: str, counts: dict, result: dict, sizes: dict) -> dict:
    """One ``months`` item, as issue 20 asks."""
    return {
        "month": month,
        "events": counts["events"],
        "customers": counts["customers"],
        "seconds": round(result["seconds"], 1),
        "peak_gib_shopgraph": round(max(p["shopgraph_gib"] for p in result["peaks"].values()), 3),
        "peak_gib_neo4j": round(max(p["neo4j_gib"] for p in result["peaks"].values()), 3),
        "disk_gib": round(sum(sizes.values()) / GIB, 3),
        "steps": {step: round(seconds, 1) for step, _, _, seconds, _ in result["steps"]},
    } | _together(result["peaks"].values())


def _together(peaks) -> dict:
    """The two at the same instant (sampled together every 0.5 s): the machine's peak, at most the sum of the two
    peaks; nothing for a record from before it was sampled."""
    peaks = list(peaks)
    if not peaks or any("together_gib" not in p for p in peaks):
        return {}
    return {"peak_gib_together": round(max(p["together_gib"] for p in peaks), 3)}


def month_detail(month: str, result: dict, sizes: dict, reference: float) -> dict:
    """What else was measured for the month: CPU, per-step peaks and status, the disk split, the reference."""
    return {
        "month": month,
        "cpu_seconds": round(result["cpu_seconds"], 1),
        "decision": result["decision"],
        # after `run` returned: the look-alike index Neo4j was still building (not in the month's seconds; records
        # before `run` stopped waiting for it hold index_wait_seconds, which were)
        "index_online_after_seconds": round(result.get("index_online_after_seconds", 0.0), 1),
        "steps": {
            step: {
                "status": status,
                "cpu_seconds": round(result["cpu"].get(step, 0.0), 1),
                "neo4j_cpu_seconds": round(result.get("neo4j_cpu", {}).get(step, 0.0), 1),
                "peak_gib_shopgraph": round(result["peaks"][step]["shopgraph_gib"], 3),
                "peak_gib_neo4j": round(result["peaks"][step]["neo4j_gib"], 3),
                "peak_gib_tx_logs": round(result["peaks"][step].get("tx_logs_gib", 0.0), 3),
                "phases": {phase: round(took, 1) for phase, took in result.get("phases", {}).get(step, {}).items()},
            }
            | _together([result["peaks"][step]])
            | (
                {"peak_gib_neo4j_file": round(result["peaks"][step]["neo4j_file_gib"], 3)}
                if "neo4j_file_gib" in result["peaks"][step]
                else {}
            )
            for step, status, _, _, _ in result["steps"]
        },
        # Neo4j's transaction logs at their largest (sampled every 5 s): what pipeline.forecast.tx_logs_peak forecasts
        "tx_logs_peak_gib": round(max((p.get("tx_logs_gib", 0.0) for p in result["peaks"].values()), default=0.0), 3),
        "disk_gib": {name: round(size / GIB, 3) for name, size in sizes.items()},
        "duckdb_scan_seconds": round(reference, 2),
    }


def segmentation_summary(workspace) -> dict:
    """What the current segmentation run chose (``run.json``): the segment step's time follows its threshold and
    its classifier (a month predicts millions of customers with it), which differ between runs of the same data
    (the skip-gram on two threads is not reproducible). Empty when there is no run."""
    from segments import runs

    run_dir = runs.current_run_dir(workspace)
    if run_dir is None or not (run_dir / "run.json").is_file():
        return {}
    run = runs.read_json(run_dir / "run.json")
    return {
        "run_id": run.get("run_id"),
        "method": run.get("method"),
        "k": run.get("k"),
        "threshold": run.get("threshold"),
        "classifier": (run.get("classifier") or {}).get("kept"),
        "users_by": run.get("users_by"),
    }


def ratios(record: dict) -> dict:
    """Per-event figures for pipeline/forecast.py's RATIOS: slope and intercept between the first and last month.

    Sizes after each month against the events in the store then; a single month gives a slope
    through zero; none yet (the first month's record saved while it runs): no figures.
    """
    if not record["months"]:
        return {}
    events = [sum(m["events"] for m in record["months"][: i + 1]) for i in range(len(record["months"]))]
    details = record["details"]

    def fit(values: list[float]) -> tuple[float, float]:
        if len(values) < 2:
            return values[0] / events[0], 0.0
        slope = (values[-1] - values[0]) / (events[-1] - events[0])
        return slope, max(0.0, values[0] - slope * events[0])

    def disk(name: str) -> list[float]:
        return [d["disk_gib"].get(name, 0.0) * GIB for d in details]

    files = disk("features, vectors, runs, reports")  # the names of Workspace.sizes()
    out = {
        "gz_bytes_per_event": sum(d["file_bytes"]["gz"] for d in details) / events[-1],
        "csv_bytes_per_event": sum(d["file_bytes"]["csv"] for d in details) / events[-1],
        "store_per_event": disk("event store")[-1] / events[-1],
    }
    for name, values in (("neo4j", disk("Neo4j data")), ("files", files)):
        out[f"{name}_per_event"], out[f"{name}_base"] = fit(values)
    out |= peak_ratios(record["months"])
    return {key: round(value, 1) for key, value in out.items()}


def peak_ratios(months: list[dict]) -> dict[str, float]:
    """shopgraph's peak as ``base + file × month's events + history × events in the store`` (forecast.py's model).

    The base is the forecast's (an almost empty workspace); the two slopes by least squares over the
    months, neither below zero. One month cannot tell them apart: all of it goes to the file's slope.
    """
    from pipeline.forecast import RATIOS

    base = RATIOS.peak_base
    file_events = np.array([m["events"] for m in months], float)
    history = np.cumsum(file_events)
    above = np.array([m["peak_gib_shopgraph"] * GIB for m in months]) - base
    if len(months) < 2:
        return {"peak_per_file_event": above[0] / file_events[0], "peak_per_event": 0.0, "peak_base": base}
    (per_file, per_event), *_ = np.linalg.lstsq(np.column_stack([file_events, history]), above, rcond=None)
    if per_event < 0 or per_file < 0:  # the best fit with one slope at zero
        only_file = float(above @ file_events / (file_events @ file_events))
        only_history = float(above @ history / (history @ history))
        errors = [np.sum((above - only_file * file_events) ** 2), np.sum((above - only_history * history) ** 2)]
        per_file, per_event = (only_file, 0.0) if errors[0] <= errors[1] else (0.0, only_history)
    return {"peak_per_file_event": float(per_file), "peak_per_event": float(per_event), "peak_base": base}


def goals(record: dict, fraction: float) -> list[tuple[str, str, str, str]]:
    """(figure, goal, value, met / not met) for the issue's goals, projected linearly where not run at full size."""
    months = record["months"]
    scale = 1.0 / fraction
    note = "" if fraction == 1 else f" (projected ×{scale:g} from the fraction run)"
    first = months[0]["seconds"] * scale * (FULL_FIRST * fraction / months[0]["events"])
    later = [m["seconds"] * scale * (FULL_LATER * fraction / m["events"]) for m in months[1:]]
    rows = [("first month (≈ 42 M events)", "≤ 45 min", f"{first / 60:.1f} min{note}", _met(first <= 45 * 60))]
    if later:
        worst = max(later)
        rows.append(
            ("each later month (≈ 60 M)", "≤ 30 min", f"{worst / 60:.1f} min (slowest){note}", _met(worst <= 1800))
        )
        seven = first + sum(later) + (7 - len(months)) * later[-1]
        how = "" if len(months) >= 7 else f"; months {len(months) + 1}–7 projected as month {len(months)}"
        rows.append(("the seven months", "≤ 4 h", f"{seven / 3600:.2f} h{note}{how}", _met(seven <= 4 * 3600)))
    if len(months) >= 7:
        ratio = months[6]["seconds"] / months[1]["seconds"]
        rows.append(("month 7 against month 2", "≤ 1.3×", f"{ratio:.2f}×", _met(ratio <= 1.3)))
    peak = max(m.get("peak_gib_together", m["peak_gib_shopgraph"] + m["peak_gib_neo4j"]) for m in months)
    apart = max(m["peak_gib_shopgraph"] + m["peak_gib_neo4j"] for m in months)
    how = "at the same instant" if all("peak_gib_together" in m for m in months) else "sum of the two peaks"
    rows.append(
        (
            "peak memory, shopgraph + Neo4j",
            "≤ 16 GiB",
            f"{peak:.2f} GiB {how}, measured at this size (the two peaks summed: {apart:.2f})",
            _met(peak <= 16),
        )
    )
    share = max(m["steps"].get("embed", 0.0) / m["seconds"] for m in months)
    rows.append(
        ("embed's share of a run", "≤ 15 %", f"{share:.0%} (worst month, measured at this size)", _met(share <= 0.15))
    )
    scans = record["reference"]["duckdb_scan_seconds"]
    speed = min(scans[m["month"]] / max(m["steps"].get("ingest", 0.0), 1e-9) for m in months)
    rows.append(
        (
            "ingest against a bare DuckDB scan",
            "≥ 0.5×",
            f"{speed:.2f}× (slowest month, measured at this size)",
            _met(speed >= 0.5),
        )
    )
    return rows


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def print_tables(record: dict, fraction: float) -> None:
    """The months and the goals as Markdown."""
    steps = list(record["months"][0]["steps"])
    print(
        "\n| month | events | customers | seconds | CPU s | "
        + " | ".join(steps)
        + " | peak GiB sg + Neo4j (together) | disk GiB |"
    )
    print("|---" * (len(steps) + 7) + "|")
    for m, d in zip(record["months"], record["details"], strict=True):
        cells = " | ".join(f"{m['steps'].get(s, 0):.0f}" for s in steps)
        together = f"{m['peak_gib_together']:.2f}" if "peak_gib_together" in m else "not sampled"
        print(
            f"| {m['month']} | {m['events']:,} | {m['customers']:,} | {m['seconds']:.0f} | {d['cpu_seconds']:.0f} | "
            f"{cells} | {m['peak_gib_shopgraph']:.2f} + {m['peak_gib_neo4j']:.2f} ({together}) | {m['disk_gib']:.2f} |"
        )
    plan = record["neo4j_memory"]
    print(f"\nNeo4j at the start: heap {plan['heap']}, page cache {plan['pagecache']} ({plan['reason']})")
    for m, d in zip(record["months"], record["details"], strict=True):
        used = d.get("neo4j_memory")  # the plan of the server's last start in that month, from its conf
        if used:
            print(f"Neo4j after {m['month']}: heap {used['heap']}, page cache {used['pagecache']}")
    print(
        "reference, bare DuckDB scan of each month file: "
        + ", ".join(f"{month} {s:.1f}s" for month, s in record["reference"]["duckdb_scan_seconds"].items())
    )
    if any(d.get("continued") for d in record["details"]):
        print("\ngoals not marked: the months before this run's first were measured by an earlier run (its --out)")
        return
    if any(d.get("resumed") for d in record["details"]):
        print(
            "\ngoals not marked: with --resume, the steps an earlier run finished are skipped here and their time is "
            "not in this record (compose the month from both runs, as docs/bench/scale.json does)"
        )
        return
    print("\n| figure | goal | value | |\n|---|---|---|---|")
    for row in goals(record, fraction):
        print("| " + " | ".join(row) + " |")
    run = len(record["months"])
    if run < 7:
        print(
            f"\nmeasured: months 1–{run} at fraction {fraction:g}; projected: months {run + 1}–7, each as the last"
            f" measured month (seconds × 60 M / its events){'' if fraction == 1 else ', and every full size linearly'}"
            " — growth with the history is not in the projection."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=2, choices=range(1, 8), metavar="N (1-7)")
    parser.add_argument("--events-first", type=float, default=FULL_FIRST, help="events of month 1 (2019-10)")
    parser.add_argument("--events-later", type=float, default=FULL_LATER, help="events of each later month")
    parser.add_argument("--fraction", type=float, default=1.0, help="scale every size down, e.g. 0.02")
    parser.add_argument("--data", type=Path, default=Path("/tmp/sg-bench-scale/data"), help="month files, reused")
    parser.add_argument("--home", type=Path, default=Path("/tmp/sg-bench-scale/home"), help="the bench workspace")
    parser.add_argument("--bolt-port", type=int, default=7706)
    parser.add_argument("--http-port", type=int, default=7493)
    parser.add_argument("--memory", default=None, help="Neo4j heap and page cache (default: the auto plan)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep --home and run again: `run` skips what an interrupted bench finished (those steps read 'skipped')",
    )
    parser.add_argument(
        "--no-resource-check",
        action="store_true",
        help="run even when `run`'s forecast (pipeline/forecast.py) says the machine cannot hold it",
    )
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="with --resume: run with `run --retrain` (embed and segment train again on the kept workspace)",
    )
    parser.add_argument(
        "--from-month",
        type=int,
        default=1,
        choices=range(1, 8),
        metavar="N (1-7)",
        help="run months N..--months on the workspace an earlier bench left in --home with months 1..N-1",
    )
    parser.add_argument("--method", help="the segmentation's method, as `run --method` (default: run's, leiden)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "scale.json")
    args = parser.parse_args()
    if args.from_month > args.months:
        parser.error(f"--from-month {args.from_month} is after --months {args.months}")
    if args.from_month > 1 and not (args.home / "pipeline").is_dir():
        parser.error(f"--from-month {args.from_month} needs the workspace of months 1-{args.from_month - 1} in --home")
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()

    def save(measured: dict, partial: bool = True) -> dict:
        record = {
            "command": "python bench/scale.py " + " ".join(sys.argv[1:]),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(),
            "fraction": args.fraction,
            "wall_seconds": round(time.perf_counter() - started, 1),
            **({"partial": f"{len(measured['months'])} of {args.months} month(s) measured so far"} if partial else {}),
            **measured,
        }
        if args.from_month == 1:  # the ratios need the store's first month
            record["ratios"] = ratios(record)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=2) + "\n")
        return record

    record = save(measure(args, save), partial=False)
    print(
        f"\n# bench/scale {record['date']}, {record['cpus']} CPUs, fraction {args.fraction:g}, "
        f"segmentation: {record['method']} → {args.out}"
    )
    print_tables(record, args.fraction)
    if "ratios" in record:
        print(
            "\nper-event ratios for pipeline/forecast.py (RATIOS): "
            + ", ".join(f"{k}={v:g}" for k, v in record["ratios"].items())
        )


if __name__ == "__main__":
    main()
