"""Section 4, model selection: every method's scores over k (selection.csv), the chosen model and why."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reports import charts
from reports.sections.common import Block, first, is_numeric, localised_text, table
from reports.sections.context import Context

#: Which way each known score is better.
BETTER = {
    "silhouette": "high",
    "calinski_harabasz": "high",
    "davies_bouldin": "low",
    "stability": "high",
    "ari": "high",
    "stability_ari": "high",
    "bic": "low",
    "aic": "low",
    "inertia": "low",
    "persona_ari": "high",
    "nmi": "high",
}
NOT_SCORES = {"k", "chosen", "eligible", "seconds", "fit_seconds", "n", "sample", "seed", "method"}


def section_selection(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    run = c.inputs.run or {}
    frame = c.inputs.selection
    method, k = _chosen(run, frame)
    blocks: list[Block] = []
    if method is not None:
        blocks.append(Block("p", c.t("selection.intro", method=method, k=k)))
    if frame is None or "k" not in frame.columns:
        blocks.append(c.need_file("selection.csv"))
    else:
        if "method" not in frame.columns:
            frame = frame.assign(method=str(method or "-"))
        blocks += _scores(c, frame, method, k)
    why = localised_text(c.lang, run, "why", "choice", "reason")
    if why is None and method is not None and frame is not None and "k" in frame.columns:
        why = _chosen_facts(c, frame, str(method), k)
    if why:
        blocks.append(Block("h3", c.t("selection.why")))
        blocks.append(Block("p", str(why)))
    return blocks


def _chosen(run: dict[str, Any], frame: pd.DataFrame | None) -> tuple[Any, Any]:
    """The chosen method and k: from run.json, else from selection.csv's ``chosen`` column."""
    method = first(run, "method", "chosen_method")
    k = first(run, "k", "chosen_k")
    if frame is not None and method is None and "chosen" in frame.columns:
        hit = frame[frame["chosen"].astype(bool)]
        if len(hit):
            method, k = hit.iloc[0]["method"], hit.iloc[0]["k"]
    return method, k


def _scores(c: Context, frame: pd.DataFrame, method: Any, k: Any) -> list[Block]:
    """The scores over k, one panel per score, then every method's scores at the chosen k."""
    scores = [
        col for col in frame.columns if col not in NOT_SCORES and is_numeric(frame[col]) and frame[col].notna().any()
    ]
    better = {
        s: c.t("selection.better_high" if BETTER.get(s.lower()) == "high" else "selection.better_low")
        for s in scores
        if s.lower() in BETTER
    }
    chosen = (str(method), int(k)) if method is not None and k is not None else None
    blocks = []
    if scores:
        chart = charts.selection_scores(frame, scores, better, chosen, c.lang, {s: c.label(s) for s in scores})
        blocks.append(Block("figure", src=chart, text=c.t("selection.scores")))
    if any("stab" in s.lower() for s in scores):
        blocks.append(Block("p", c.t("selection.stability.note")))
    if chosen:
        at_k = frame[frame["k"] == chosen[1]]
        rows = [
            [m + (f" ({c.t('selection.chosen')})" if m == chosen[0] else ""), *(c.score(v) for v in r)]
            for m, *r in at_k[["method", *scores]].itertuples(index=False)
        ]
        blocks.append(Block("h4", c.t("selection.table")))
        blocks.append(table([c.t("selection.method"), *(c.label(s) for s in scores)], rows, "numeric"))
    return blocks


def _chosen_facts(c: Context, frame: pd.DataFrame, method: str, k: Any) -> str | None:
    """The chosen candidate's scores in a sentence (when the run gives its reason in another language only)."""
    if "method" not in frame.columns:
        return None
    row = frame[(frame["method"].astype(str) == method) & (frame["k"] == int(k))]
    if not len(row):
        return None
    facts = [
        f"{c.label(col)} {c.score(row.iloc[0][col])}"
        for col in frame.columns
        if col not in ("method", "k", "chosen", "eligible") and is_numeric(frame[col])
    ]
    return c.t("selection.facts", method=method, k=k, facts=", ".join(facts))
