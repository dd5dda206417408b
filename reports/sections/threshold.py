"""Section 3, the activity threshold: who is below it, the study's curves (threshold.json) and why this value."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reports import charts
from reports.sections.common import Block, as_float, column, first, is_numeric, loc, localised_text
from reports.sections.context import Context

QUALITY_CURVES = ("agreement", "kappa", "stability", "ari", "stability_ari", "silhouette", "accuracy", "macro_f1")
USER_SHARE_COLUMNS = ("user_share", "users_share", "share_users", "users_kept_share", "kept_user_share")
EVENT_SHARE_COLUMNS = ("event_share", "events_share", "share_events", "events_kept_share", "kept_event_share")


def section_threshold(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    doc = c.inputs.threshold
    blocks = _below(c)
    if doc is None:
        return [*blocks, c.need_file("threshold.json")]
    curve = first(doc, "curve", "points", default=[])
    if isinstance(curve, dict):  # {"n": [...], "agreement": [...]} column form
        curve = pd.DataFrame(curve).to_dict("records")
    frame = pd.DataFrame(curve)
    x_col = column(frame, "n", "min_events", "threshold", "events") if len(frame) else None
    if x_col is None:
        note = loc(doc, "note", c.lang)
        return [*blocks, Block("note", str(note)) if note else c.need_file("threshold.json")]
    frame = frame.sort_values(x_col)
    xs = frame[x_col].astype(float).tolist()
    chart = charts.threshold_curve(xs, _curves(c, frame, x_col, xs), c.threshold, c.lang)
    blocks.append(Block("figure", src=chart, text=c.t("threshold.curve")))
    blocks += _agreement(c, doc, frame, x_col)
    return blocks + _why(c, doc)


def _below(c: Context) -> list[Block]:
    """How many customers the threshold leaves out (segment 0)."""
    assignments, chosen = c.inputs.assignments, c.threshold
    if assignments is None or chosen is None:
        return []
    below = int((assignments["segment_id"] == 0).sum())
    if chosen <= 1 and not below:  # every customer has an event: "Below 1 events … 0 customers" says nothing
        return [Block("p", c.t("threshold.none_below", name=c.name(0)))]
    text = c.t(
        "threshold.intro",
        t=c.num(chosen),
        name=c.name(0),
        below=c.num(below),
        share=c.pct(below / max(len(assignments), 1)),
    )
    return [Block("p", text)]


def _curves(c: Context, frame: pd.DataFrame, x_col: str, xs: list[float]) -> dict[str, list[float]]:
    """The shares of customers and events kept, then the study's quality curves under their own names."""
    series: dict[str, list[float]] = {}
    users_col = column(frame, *USER_SHARE_COLUMNS)
    events_col = column(frame, *EVENT_SHARE_COLUMNS)
    kept = c.kept_shares(xs) if users_col is None else None  # from the feature table: the truth, not the study
    if users_col:
        series[c.t("threshold.users")] = frame[users_col].astype(float).tolist()
    elif kept is not None:
        series[c.t("threshold.users")] = kept[0]
    if events_col:
        series[c.t("threshold.events")] = frame[events_col].astype(float).tolist()
    elif kept is not None and users_col is None:
        series[c.t("threshold.events")] = kept[1]
    for col in frame.columns:  # the study's quality curves (agreement, stability …) under their own names
        if col in (x_col, users_col, events_col) or col not in QUALITY_CURVES or not is_numeric(frame[col]):
            continue
        values = frame[col].astype(float)
        if values.notna().all() and values.between(0, 1).all():
            series[c.label(col)] = values.tolist()
    return series


def _agreement(c: Context, doc: dict[str, Any], frame: pd.DataFrame, x_col: str) -> list[Block]:
    """Whether the agreement level was met, and the chance-corrected agreement at the threshold."""
    blocks = []
    chosen = c.threshold
    level = as_float(doc.get("level"))
    if level is not None and "agreement" in frame.columns:
        key = "threshold.met" if doc.get("met", True) else "threshold.not_met"
        blocks.append(Block("p", c.t(key, level=c.pct(level, 0), t=c.num(chosen))))
    if "kappa" in frame.columns and chosen is not None:
        at = frame.loc[frame[x_col].astype(float) == float(chosen), "kappa"]
        value = as_float(at.iloc[0]) if len(at) else None
        if value is not None:
            blocks.append(Block("p", c.t("threshold.kappa", t=c.num(chosen), kappa=c.score(value))))
    return blocks


def _why(c: Context, doc: dict[str, Any]) -> list[Block]:
    """Why this threshold: the producer's sentence in the language, else the study's rule from its figures."""
    run = c.inputs.run or {}
    level = as_float(doc.get("level"))
    why = localised_text(c.lang, doc, "why", "reason") or localised_text(c.lang, run, "threshold_why")
    if not why and level is not None and doc.get("study_users") and doc.get("long_history_events"):
        why = c.t(
            "threshold.rule",
            users=c.num(doc["study_users"]),
            long=c.num(doc["long_history_events"]),
            level=c.pct(level, 0),
        )  # segments/threshold.py's study, in the report's language
    why = why or localised_text(c.lang, doc, "rule")
    if not why:
        return []
    return [Block("h3", c.t("threshold.why")), Block("p", str(why))]
