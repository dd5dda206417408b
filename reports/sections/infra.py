"""Section 10, the infrastructure: the flow of the data, and the timings measured in this workspace (the reference
benchmarks are in docs/BENCHMARKS.md: the dossier quotes no figure it did not measure)."""

from __future__ import annotations

from typing import Any

from reports import charts
from reports.sections.common import Block, as_float, first, table
from reports.sections.context import Context


def section_infra(c: Context) -> list[Block]:
    blocks = [
        Block("p", c.t("infra.intro")),
        Block("figure", src=charts.flow_diagram(c.lang), text=c.t("infra.flow"), css="flow"),
    ]
    rows = _measured(c)
    blocks.append(Block("h3", c.t("infra.measured")))
    blocks.append(
        table([c.t("infra.step"), c.t("infra.seconds"), c.t("infra.detail")], rows, "timings")
        if rows
        else Block("note", c.t("infra.none"))
    )
    blocks.append(Block("h3", c.t("infra.bench")))
    blocks.append(Block("p", c.t("infra.bench.note")))
    return blocks


def _measured(c: Context) -> list[list[str]]:
    """One row per step that recorded its work: ingest, features, embeddings, segmentation."""
    rows = []
    if c.inputs.manifest:
        read = sum(int(e.get("rows_read") or 0) for e in c.inputs.manifest)
        rows.append([c.t("step.ingest"), "–", c.t("infra.ingest", files=len(c.inputs.manifest), rows=c.num(read))])
    if c.inputs.features_meta:
        meta = c.inputs.features_meta
        users = f"{c.num(meta.get('rows'))} {c.t('data.users')}"
        rows.append([c.t("step.features"), c.num(as_float(meta.get("seconds")), 1), users])
    for step, record in (("step.embed", c.inputs.embedding), ("step.segment", c.inputs.run)):
        if record:
            rows.append(_step_row(c, step, record))
    return rows


def _step_row(c: Context, step: str, record: dict[str, Any]) -> list[str]:
    """A step's total seconds, its phases' seconds and its counts."""
    timings = _timings(record)
    total = (
        as_float(first(record, "seconds", "total_seconds"))
        or timings.pop("total", None)
        or (sum(timings.values()) if timings else None)
    )
    timings.pop("total", None)
    detail = ", ".join(f"{c.label(k)} {c.num(v, 1)} s" for k, v in list(timings.items())[:8])
    counts = record.get("counts")
    if isinstance(counts, dict):
        detail += "; " + ", ".join(
            f"{c.label(k)} {c.num(v)}" for k, v in list(counts.items())[:4] if isinstance(v, int | float)
        )
    return [c.t(step), c.num(total, 1), detail or "–"]


def _timings(record: dict[str, Any] | None) -> dict[str, float]:
    raw = first(record, "timings", "seconds_by_step", "phases", default=None)
    if isinstance(raw, dict):
        return {str(k): v for k, v in ((k, as_float(v)) for k, v in raw.items()) if v is not None}
    return {}
