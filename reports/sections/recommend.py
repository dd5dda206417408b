"""Section 8, recommendations: the hold-out evaluation of the recommendation models (recommend_eval.json)."""

from __future__ import annotations

from typing import Any

from reports import charts
from reports.sections.common import Block, first, loc, table
from reports.sections.context import Context


def section_recommend(c: Context) -> list[Block]:
    doc = c.inputs.recommend
    if doc is None:
        return [c.need_readable(c.inputs.recommend_path, "need.recommend")]
    models = [m for m in first(doc, "models", "results", default=[]) if isinstance(m, dict)]
    reason = loc(doc, "reason", c.lang)
    if not models and reason:  # the evaluation ran but could not give a fair figure: say why
        return [Block("note", c.t("recommend.none", reason=reason))]
    intro = c.t(
        "recommend.intro",
        holdout=loc(doc, "holdout", c.lang, default=""),
        k=first(doc, "k", default="?"),
        users=c.num(first(doc, "users", "n_users")),
    )
    blocks = [Block("p", intro)]
    if not models:
        return [*blocks, c.missing("need.recommend", path=c.inputs.recommend_path)]
    blocks += _models(c, doc, models)
    note = loc(doc, "note", c.lang)
    if note:
        blocks.append(Block("note", str(note)))
    return blocks


def _models(c: Context, doc: dict[str, Any], models: list[dict[str, Any]]) -> list[Block]:
    """Every model's scores as a table, and those in 0..1 as a chart."""
    names = [str(loc(m, "name", c.lang) or first(m, "model", default="?")) for m in models]
    scores = [
        key
        for key in models[0]
        if key not in ("name", "model") and all(isinstance(m.get(key), int | float) for m in models)
    ]
    chosen = doc.get("chosen")
    rows = [
        [
            n + (f" ({c.t('selection.chosen')})" if chosen in (n, m.get("name")) else ""),
            *(c.score(m[s]) for s in scores),
        ]
        for n, m in zip(names, models, strict=True)
    ]
    blocks = [table([c.t("recommend.model"), *(c.label(s) for s in scores)], rows, "numeric")]
    in_range = [s for s in scores if all(0 <= m[s] <= 1 for m in models)]
    if in_range:
        chart = charts.grouped_scores(
            names,
            {c.label(s): [m[s] for m in models] for s in in_range},
            c.t("recommend.chart"),
            c.t("recommend.axis"),
            c.lang,
        )
        blocks.append(Block("figure", src=chart, text=c.t("recommend.chart")))
    return blocks
