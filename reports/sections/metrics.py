"""Section 2, the metrics: what each measures and why, how much each separates the segments, and the PCA."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import vocabulary
from features.registry import METRICS
from reports import charts
from reports.sections.common import Block, column, first, table
from reports.sections.context import Context


def section_metrics(c: Context) -> list[Block]:
    blocks = _metric_table(c)
    blocks.append(Block("h3", c.t("metrics.importance")))
    blocks += _importance(c)
    blocks.append(Block("h3", c.t("metrics.pca")))
    blocks += _cluster_view(c)
    return blocks + _pca(c)


def _metric_table(c: Context) -> list[Block]:
    """The registry's metrics by group, with their unit and purpose in the dossier's language."""
    rows, last_group = [], None
    for m in METRICS:
        group = vocabulary.group_title(m.group, c.lang) if m.group != last_group else ""
        last_group = m.group
        rows.append([group, m.name, vocabulary.unit(m.unit, c.lang), vocabulary.why(m.name, c.lang)])
    header = [c.t("metrics.group"), c.t("metrics.metric"), c.t("metrics.unit"), c.t("metrics.why")]
    return [Block("p", c.t("metrics.intro", n=len(METRICS))), table(header, rows, "compact metrics")]


def _importance(c: Context) -> list[Block]:
    """The run's feature importance (importance.csv), one bar per metric."""
    if c.inputs.run_dir is None:
        return [c.need_run()]
    frame = c.inputs.importance
    if frame is None:
        return [c.need_file("importance.csv")]
    name_col = column(frame, "metric", "feature", "name") or frame.columns[0]
    value_col = column(frame, "importance", "mean_importance", "value") or next(
        (col for col in frame.columns if col != name_col and pd.api.types.is_numeric_dtype(frame[col])), None
    )
    if value_col is None:
        return [c.need_file("importance.csv")]
    frame = frame.groupby(name_col, as_index=False)[value_col].mean()
    source = first(c.inputs.run, "importance_method", default=None)
    note = c.t("metrics.importance.note", source=source) if source else c.t("metrics.importance.plain")
    chart = charts.importance(frame[name_col].astype(str).tolist(), frame[value_col].astype(float).tolist(), c.lang)
    return [Block("p", note), Block("figure", src=chart, text=c.t("metrics.importance"))]


def _cluster_view(c: Context) -> list[Block]:
    """What the segmentation sees of the metrics: the components above the noise edge (run.json inputs)."""
    inputs = first(c.inputs.run, "inputs", default={})
    view = inputs.get("cluster_view") if isinstance(inputs, dict) else None
    if not (isinstance(view, dict) and view.get("metric_components")):
        return []
    used = inputs.get("metrics_used") or []
    text = c.t(
        "metrics.view",
        n=len(used),
        m=int(view["metric_components"]),
        edge=c.num(float(view["marchenko_pastur_edge"]), 2),
        share=c.pct(float(view.get("metric_variance_explained", 0.0))),
    )
    return [Block("p", text)]


def _pca(c: Context) -> list[Block]:
    """The PCA of the metrics: variance explained and the metrics weighing most on the first two components."""
    pca = c.pca
    if pca is None:
        return [c.missing("need.features", path=c.inputs.features_table)]
    ratios = pca["ratios"]
    sampled = c.t("metrics.pca.sampled") if pca["rows"] < pca["total"] else ""
    note = c.t(
        "metrics.pca.note",
        n=len(pca["columns"]),
        users=c.num(pca["rows"]),
        sampled=sampled,
        two=c.pct(float(ratios[:2].sum())),
    )
    loadings = pca["components"][:2]
    rows = []
    for k in range(min(2, len(loadings))):
        top = np.argsort(np.abs(loadings[k]))[::-1][:6]
        rows += [[f"{c.t('metrics.pca.component')} {k + 1}", pca["columns"][i], c.num(loadings[k][i], 2)] for i in top]
    header = [c.t("metrics.pca.component"), c.t("metrics.metric"), c.t("metrics.pca.loading")]
    return [
        Block("p", note),
        Block("figure", src=charts.pca_scree(list(ratios), c.lang), text=c.t("metrics.pca")),
        Block("h4", c.t("metrics.pca.loadings")),
        table(header, rows, "numeric-last"),
    ]
