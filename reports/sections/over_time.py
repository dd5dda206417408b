"""Section 9, over time: segment shares per month, migration from the previous run, and the drift decision."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from reports import charts
from reports.inputs import active_months
from reports.sections.common import Block, as_float, column, first, is_int, loc, table
from reports.sections.context import Context
from segments.drift import retrain_causes
from shopgraph.words import NOT_ENOUGH_ACTIVITY

_REASONS = {"time.reason.median_psi", "time.reason.segment_share_psi", "time.reason.low_confidence_share"}
DECISIONS = {
    "retrained": "time.retrained",
    "retrain": "time.retrained",
    "assigned": "time.assigned",
    "assign": "time.assigned",
}


def section_time(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    blocks: list[Block] = [Block("h3", c.t("time.shares")), *_shares(c), Block("h3", c.t("time.migration"))]
    run = c.inputs.run or {}
    previous = first(run, "previous_run", "previous_run_id", "previous")
    frame = c.inputs.migration
    if not previous and (frame is None or not len(frame)):
        blocks.append(Block("note", c.t("need.previous")))
    elif frame is None:
        blocks.append(c.need_file("migration.csv"))
    else:
        blocks += _migration(c, frame, previous)
    blocks.append(Block("h3", c.t("time.drift")))
    return blocks + _drift(c, run)


def _shares(c: Context) -> list[Block]:
    """Each month's active customers by their current segment."""
    assignments = c.inputs.assignments
    if assignments is None:
        return [c.need_file("assignments.parquet")]
    per_month = active_months(c.inputs.workspace, assignments)
    if per_month is None or not len(per_month):
        return [c.missing("need.store")]
    pivot = per_month.pivot_table(index="month", columns="segment_id", values="users", fill_value=0)
    shares = pivot.div(pivot.sum(axis=1), axis=0)
    chart = charts.shares_per_month(
        [str(m) for m in shares.index],
        {int(s): shares[s].tolist() for s in shares.columns},
        c.segment_names,
        c.lang,
    )
    return [Block("p", c.t("time.shares.note")), Block("figure", src=chart, text=c.t("time.shares"))]


def _migration(c: Context, frame: pd.DataFrame, previous: str | None) -> list[Block]:
    src = column(frame, "from_segment_id", "previous_segment_id", "from_segment", "from")
    dst = column(frame, "to_segment_id", "segment_id", "to_segment", "to")
    count = column(frame, "users", "count", "n", "customers")
    if not (src and dst and count):
        return [c.need_file("migration.csv")]
    pivot = frame.pivot_table(index=src, columns=dst, values=count, aggfunc="sum", fill_value=0)
    old_names = _previous_names(c, previous)
    rows = [old_names.get(int(i), f"#{i}") if is_int(i) else str(i) for i in pivot.index]
    cols = [c.name(j) for j in pivot.columns]
    return [
        Block("p", c.t("time.migration.note", prev=previous or "?")),
        Block(
            "figure",
            src=charts.heatmap(
                pivot.to_numpy(float),
                rows,
                cols,
                title=c.t("time.migration"),
                xlabel=c.t("time.to"),
                ylabel=c.t("time.from"),
                cell=c.t("time.cell"),
                lang=c.lang,
                normalise_rows=False,
            ),
            text=c.t("time.migration"),
        ),
    ]


def _previous_names(c: Context, previous: str | None) -> dict[int, str]:
    """The previous run's segment names in the dossier's language (its segments.json)."""
    names = {0: NOT_ENOUGH_ACTIVITY[c.lang]}
    if not previous:
        return names
    path = c.inputs.runs_dir / str(previous) / "segments.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return names
    for s in doc.get("segments", []) if isinstance(doc, dict) else doc:
        if isinstance(s, dict):
            names[int(first(s, "segment_id", "id", default=0))] = str(loc(s, "name", c.lang, default="?"))
    return names


def _drift(c: Context, run: dict[str, Any]) -> list[Block]:
    """The drift figures against their thresholds, and the decision with its reason."""
    drift = first(run, "drift", default=None)
    if not isinstance(drift, dict) or not drift:
        return [Block("note", c.t("need.drift"))]
    blocks: list[Block] = []
    psi = first(drift, "psi", "population_stability", default={})
    rows = []
    if not isinstance(psi, dict):
        raise ValueError(f"drift psi is not a mapping: {psi!r}")
    values = {k: as_float(v) for k, v in psi.items() if v is not None}  # None: a metric with no values
    if any(v is None for v in values.values()):
        raise ValueError(f"drift psi holds a value that is not a number: {psi!r}")
    if values:
        blocks.append(
            Block("figure", src=charts.psi(list(values), list(values.values()), c.lang), text=c.t("time.psi"))
        )
        worst = max(values, key=values.get)
        rows.append([f"PSI max ({worst})", c.num(values[worst], 3), c.num(as_float(drift.get("psi_threshold")), 2)])
    rows += _share_rows(c, drift)
    if rows:
        blocks.append(table([c.t("time.figure"), c.t("time.value"), c.t("time.threshold")], rows, "numeric"))
    decision = first(drift, "decision", "action")
    reason = _drift_reason(c, drift)
    if decision or reason:
        label = c.t(DECISIONS[str(decision)]) if str(decision) in DECISIONS else decision
        separator = " : " if c.lang == "fr" else ": "
        blocks.append(Block("p", f"{c.t('time.decision')}{separator}{label}. {reason or ''}"))
    return blocks


def _share_rows(c: Context, drift: dict[str, Any]) -> list[list[str]]:
    """The low-confidence share and the change of the segment shares, each beside its threshold."""
    rows = []
    if drift.get("low_confidence_share") is not None:
        rows.append(
            [c.t("time.low_share"), c.pct(drift["low_confidence_share"]), c.pct(drift.get("low_confidence_threshold"))]
        )
    change = first(drift, "segment_share_change", "share_change", "max_share_change")
    if change is not None:
        # a PSI over the segment shares (segments/drift.py), not a percentage
        limit = c.num(as_float(drift.get("share_change_threshold")), 2)
        rows.append([c.t("time.shares_change"), c.num(as_float(change), 3), limit])
    return rows


def _drift_reason(c: Context, drift: dict[str, Any]) -> str | None:
    """Why the run assigned or retrained, in the dossier's language, from the decision's codes and figures
    (segments/drift.py); older run.json files hold only the English sentence but the same figures, so the
    codes are rebuilt from them; a sentence given per language is used as it is."""
    given = drift.get("reason") if isinstance(drift.get("reason"), dict) else None
    if given or drift.get("reason_fr") or "median_psi" not in drift:
        if c.lang == "fr":  # never the English sentence in the French dossier
            return (given or {}).get("fr") or drift.get("reason_fr") or drift.get("why_fr") or None
        return loc(drift, "reason", c.lang) or loc(drift, "why", c.lang)
    if not drift.get("new_customers"):
        return c.t("time.reason.none")
    if drift.get("too_few"):
        return c.t("time.reason.too_few", n=c.num(drift["new_customers"]), floor=c.num(drift.get("min_sample")))
    causes = drift.get("causes")
    if not isinstance(causes, list):
        causes = retrain_causes(
            first(drift, "psi", default={}) or {},
            as_float(drift.get("segment_share_change")),
            as_float(drift.get("low_confidence_share")),
            as_float(drift.get("training_low_confidence_share")),
        )
    return _causes_text(c, causes) if causes else _no_cause_text(c, drift)


def _figure(c: Context, code: str, value: Any, digits: int = 3) -> str:
    """A cause's figure; shares to two decimals of a percent, so a share just above its limit reads above it."""
    return c.pct(as_float(value), 2) if code.startswith("low_confidence") else c.num(as_float(value), digits)


def _causes_text(c: Context, causes: list[dict[str, Any]]) -> str:
    """The causes of a retraining, each figure beside its limit."""
    return "; ".join(
        c.t(
            f"time.reason.{k['code']}",
            value=_figure(c, k["code"], k.get("value")),
            limit=_figure(c, k["code"], k.get("limit"), 2),
            worst=k.get("worst", "?"),
        )
        for k in causes
        if f"time.reason.{k.get('code')}" in _REASONS
    )


def _no_cause_text(c: Context, drift: dict[str, Any]) -> str:
    """Why no retraining: every figure within its limit."""
    median = as_float(drift.get("median_psi"))
    parts = [
        c.t(
            "time.reason.median_psi_ok",
            value=_figure(c, "psi", median),
            limit=_figure(c, "psi", drift.get("psi_threshold"), 2),
        )
        if median is not None
        else c.t("time.reason.no_metric")
    ]
    if as_float(drift.get("segment_share_change")) is not None:
        parts.append(
            c.t(
                "time.reason.segment_share_psi_ok",
                value=_figure(c, "psi", drift["segment_share_change"]),
                limit=_figure(c, "psi", drift.get("share_change_threshold"), 2),
            )
        )
    if as_float(drift.get("low_confidence_share")) is not None:
        parts.append(
            c.t(
                "time.reason.low_confidence_share_ok",
                value=_figure(c, "low_confidence", drift["low_confidence_share"]),
            )
        )
    return ", ".join(parts)
