"""Section 7, assigning new customers: the classifier comparison, its confusion matrix, the validation
procedure, and how the current customers were assigned."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reports import charts
from reports.sections.common import Block, as_float, column, first, is_int, is_numeric, localised_text, table
from reports.sections.context import Context

ASSIGNED_BY = {"assign.by.cluster", "assign.by.classifier", "assign.by.threshold"}


def section_assign(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    run = c.inputs.run or {}
    record = _classifier_record(run)
    blocks = [Block("p", c.t("assign.intro")), Block("h3", c.t("assign.comparison"))]
    chosen = first(record, "kept", "name", "chosen", "classifier")
    frame = c.inputs.classifiers
    if frame is None:
        blocks.append(c.need_file("classifiers.csv"))
    else:
        comparison, chosen = _comparison(c, frame, chosen)
        blocks += comparison
    if chosen is not None:
        blocks.append(Block("p", c.t("assign.chosen", name=chosen)))
    blocks.append(Block("h3", c.t("assign.confusion")))
    blocks.append(_confusion_figure(c, record))
    blocks.append(Block("h3", c.t("assign.validation")))
    blocks += _validation(c, run, record)
    return blocks + _how_assigned(c)


def _classifier_record(run: dict[str, Any]) -> dict[str, Any]:
    record = first(run, "classifier", "assigner", "assignment", default={})
    return record if isinstance(record, dict) else {"name": str(record)}


def _comparison(c: Context, frame: pd.DataFrame, chosen: Any) -> tuple[list[Block], Any]:
    """The classifiers' scores (classifiers.csv) as a table and a chart; and the kept one's name."""
    name_col = column(frame, "classifier", "model", "name", "method") or frame.columns[0]
    flag = column(frame, "kept", "chosen")
    if chosen is None and flag is not None:
        hit = frame[frame[flag].astype(bool)]
        chosen = hit.iloc[0][name_col] if len(hit) else None
    scores = [
        col
        for col in frame.columns
        if col not in (name_col, flag) and is_numeric(frame[col]) and frame[col].between(0, 1).all()
    ]
    others = [col for col in frame.columns if col not in (name_col, flag, *scores)]
    rows = [
        [
            str(r[name_col]) + (f" ({c.t('selection.chosen')})" if str(r[name_col]) == str(chosen) else ""),
            *(c.score(r[s]) for s in scores),
            *((c.score(r[o]) if isinstance(r[o], int | float) else str(r[o])) for o in others),
        ]
        for _, r in frame.iterrows()
    ]
    blocks = [table([c.t("assign.classifier"), *(c.label(s) for s in scores + others)], rows, "numeric")]
    if scores:
        chart = charts.grouped_scores(
            frame[name_col].astype(str).str.replace("_", " ").tolist(),
            {c.label(s): frame[s].astype(float).tolist() for s in scores},
            c.t("assign.comparison"),
            c.t("assign.score"),
            c.lang,
        )
        blocks.append(Block("figure", src=chart, text=c.t("assign.comparison")))
    return blocks, chosen


def _confusion_figure(c: Context, record: dict[str, Any]) -> Block:
    matrix, labels_true, labels_pred = _confusion(c, record)
    if matrix is None:
        return Block("missing", c.t("assign.no_confusion"))
    chart = charts.heatmap(
        matrix,
        labels_true,
        labels_pred,
        title=c.t("assign.confusion"),
        xlabel=c.t("assign.pred"),
        ylabel=c.t("assign.true"),
        cell=c.t("assign.cell"),
        lang=c.lang,
        normalise_rows=True,
    )
    return Block("figure", src=chart, text=c.t("assign.confusion"))


def _confusion(c: Context, record: dict[str, Any]):
    """The confusion matrix over published segments (confusion.csv, else run.json) with the rows' and
    columns' segment names; ``(None, [], [])`` without one."""
    frame = c.inputs.confusion
    published = {int(first(s, "segment_id", "id", default=0)) for s in c.inputs.segments or []}
    if frame is not None and published:  # an older run's file may hold a cluster it did not publish
        frame = frame.loc[
            [i for i in frame.index if is_int(i) and int(i) in published],
            [j for j in frame.columns if is_int(j) and int(j) in published],
        ]
    if frame is not None and frame.shape[0] and frame.shape[1]:
        return frame.to_numpy(float), [c.name(i) for i in frame.index], [c.name(j) for j in frame.columns]
    raw = first(record, "confusion", "confusion_matrix", default=None)
    if isinstance(raw, dict) and isinstance(raw.get("matrix"), list):
        labels = raw.get("labels") or list(range(1, len(raw["matrix"]) + 1))
        return np.asarray(raw["matrix"], dtype=float), [c.name(i) for i in labels], [c.name(i) for i in labels]
    if isinstance(raw, list) and raw and isinstance(raw[0], list):
        labels = list(range(1, len(raw) + 1))
        return np.asarray(raw, dtype=float), [c.name(i) for i in labels], [c.name(i) for i in labels]
    return None, [], []


def _validation(c: Context, run: dict[str, Any], record: dict[str, Any]) -> list[Block]:
    """The validation procedure in the producer's words, and the figures it measured."""
    validation = localised_text(c.lang, record, "validation", "procedure") or localised_text(c.lang, run, "validation")
    split = record.get("split") if isinstance(record.get("split"), dict) else None
    facts = []
    if split:
        facts.append(c.t("assign.split", parts=", ".join(f"{c.label(k)} {c.num(v)}" for k, v in split.items())))
    if as_float(record.get("test_macro_f1")) is not None:
        facts.append(c.t("assign.test_f1", f1=c.score(record["test_macro_f1"])))
    short = record.get("short_histories") if isinstance(record.get("short_histories"), dict) else {}
    if as_float(record.get("short_history_test_macro_f1")) is not None and short.get("truncations"):
        cuts = "/".join(str(n) for n in short["truncations"])
        facts.append(c.t("assign.short_f1", cuts=cuts, f1=c.score(record["short_history_test_macro_f1"])))
    if as_float(record.get("low_confidence_below")) is not None:
        facts.append(c.t("assign.low_below", value=c.score(record["low_confidence_below"])))
    blocks = []
    if validation:
        blocks.append(Block("p", validation))
    if facts:
        blocks.append(Block("list", items=facts))
    if not validation and not facts:
        blocks.append(Block("missing", c.t("assign.no_validation")))
    return blocks


def _sampled(c: Context) -> list[Block]:
    """A sentence when the run clustered a sample of the customers with enough events (segmentation.CLUSTER_USERS)."""
    inputs = (c.inputs.run or {}).get("inputs") or {}
    clustered, eligible = inputs.get("users_clustered"), inputs.get("users_with_enough_events")
    if not (is_int(clustered) and is_int(eligible)) or clustered >= eligible:
        return []
    from segments.segmentation import MIN_EVENTS_TO_CLUSTER

    text = c.t("assign.sample", n=c.num(int(clustered)), m=c.num(int(eligible)), events=MIN_EVENTS_TO_CLUSTER)
    return [Block("p", text)]


def _how_assigned(c: Context) -> list[Block]:
    """The current customers by who assigned them, the low-confidence share and the confidence histogram."""
    assignments = c.inputs.assignments
    if assignments is None or not len(assignments):
        return []
    blocks = [Block("h3", c.t("assign.by")), *_sampled(c)]
    if "assigned_by" in assignments.columns:
        counts = assignments["assigned_by"].value_counts()
        rows = [
            [
                c.t(f"assign.by.{k}") if f"assign.by.{k}" in ASSIGNED_BY else k,
                c.num(int(n)),
                c.pct(n / len(assignments)),
            ]
            for k, n in counts.items()
        ]
        blocks.append(table(["", c.t("segments.size"), c.t("segments.share")], rows, "numeric"))
    if "low_confidence" in assignments.columns:
        low = int(assignments["low_confidence"].fillna(False).astype(bool).sum())
        blocks.append(Block("p", c.t("assign.low", n=c.num(low), share=c.pct(low / len(assignments)))))
    if "confidence" in assignments.columns:
        values = assignments.loc[assignments["segment_id"] != 0, "confidence"].dropna().to_numpy(float)
        if len(values):
            chart = charts.histogram(values, c.t("assign.confidence.axis"), c.t("assign.confidence"), c.lang)
            blocks.append(Block("figure", src=chart, text=c.t("assign.confidence")))
    return blocks
