"""Section 5, the segments: an overview table and chart, then a card per segment (segments.json)."""

from __future__ import annotations

from typing import Any

from features import vocabulary
from reports import charts
from reports.sections.common import Block, as_float, first, loc, localised_text, table
from reports.sections.context import Context

PROFILE_KEYS = ("standardised_differences", "profile", "differences", "std_diff", "z")
EFFECT_KEYS = ("std_diff", "difference", "effect", "d", "z")
PREFERRED_KEYS = {
    "categories": ("categories", "top_categories", "preferred_categories"),
    "brands": ("brands", "top_brands", "preferred_brands"),
}


def section_segments(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    segments = c.inputs.segments
    if not segments:
        return [c.need_file("segments.json")]
    segments = _as_they_are_now(c, _with_segment_zero(c, segments))
    total = sum(int(first(s, "size", default=0) or 0) for s in segments) or 1
    ids = [int(first(s, "segment_id", "id", default=0)) for s in segments]
    shares = [_share(s, total) for s in segments]
    revenue = [as_float(s.get("revenue_share")) for s in segments]
    rows = [
        [c.name(sid), c.num(first(s, "size")), c.pct(share), c.pct(s.get("revenue_share")), c.pct(s.get("conversion"))]
        for sid, s, share in zip(ids, segments, shares, strict=True)
    ]
    header = [c.t(f"segments.{k}") for k in ("name", "size", "share", "revenue", "conversion")]
    blocks = [
        Block("p", c.t("segments.intro", n=sum(1 for i in ids if i != 0))),
        Block("h3", c.t("segments.overview")),
        table(header, rows, "numeric"),
        Block(
            "figure",
            src=charts.segment_sizes([c.name(i) for i in ids], ids, shares, revenue, c.lang),
            text=c.t("segments.sizes"),
        ),
    ]
    return blocks + _coverage(c) + [_card(c, s, share) for s, share in zip(segments, shares, strict=True)]


def _coverage(c: Context) -> list[Block]:
    """Customers and revenue with a segment, with a likely segment only, with neither (segments/coverage.py)."""
    import pandas as pd

    from segments.coverage import coverage

    assignments = c.inputs.assignments
    if assignments is None or c.inputs.features_path is None:
        return []
    cover = coverage(assignments, pd.read_parquet(c.inputs.features_path, columns=["user_id", "total_spent"]))
    header = [c.t("segments.coverage.group"), c.t("segments.size"), c.t("segments.share"), c.t("segments.revenue")]
    rows = [
        [
            c.t(f"segments.coverage.{key}"),
            c.num(row["customers"]),
            c.pct(row["customer_share"]),
            c.pct(row["revenue_share"]),
        ]
        for key, row in cover.items()
    ]
    return [
        Block("h3", c.t("segments.coverage")),
        Block("p", c.t("segments.coverage.intro")),
        table(header, rows, "numeric"),
    ]


def _as_they_are_now(c: Context, segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each segment's size, share, revenue share and conversion from the run's assignments as they are now
    (after a month that assigned, not the training run's), when the assignments and features are there."""
    from segments.coverage import NO_MEMBERS, figures_now, read_figure_columns

    assignments = c.inputs.assignments
    if assignments is None or c.inputs.features_path is None or "segment_id" not in assignments.columns:
        return segments
    now = figures_now(assignments, read_figure_columns(c.inputs.features_path))
    return [{**s, **now.get(int(first(s, "segment_id", "id", default=-1)), NO_MEMBERS)} for s in segments]


def _with_segment_zero(c: Context, segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run's segments, with segment 0 first when the run lists only its clusters."""
    assignments = c.inputs.assignments
    if assignments is None or any(int(first(s, "segment_id", "id", default=-1)) == 0 for s in segments):
        return segments
    below = int((assignments["segment_id"] == 0).sum())
    # the customers below the threshold are a segment too
    return [{"segment_id": 0, "size": below}, *segments] if below else segments


def _share(s: dict[str, Any], total: int) -> float:
    share = as_float(first(s, "share", default=None))
    return share if share is not None else int(first(s, "size", default=0) or 0) / total


def _card(c: Context, s: dict[str, Any], share: float) -> Block:
    """One segment: its figures, description, why its name, profile, preferred items, rules and actions."""
    sid = int(first(s, "segment_id", "id", default=0))
    pairs = [
        [c.t("segments.size"), c.num(first(s, "size"))],
        [c.t("segments.share"), c.pct(share)],
        [c.t("segments.revenue"), c.pct(s.get("revenue_share"))],
        [c.t("segments.conversion"), c.pct(s.get("conversion"))],
    ]
    children = [Block("pairs", rows=pairs)]
    description = loc(s, "description", c.lang)
    if description:
        children.append(Block("p", str(description)))
    naming = localised_text(c.lang, s, "naming_rule")
    if naming:
        children.append(Block("note", c.t("segments.naming", rule=naming)))
    children += _profile(c, s)
    for kind in ("categories", "brands"):
        block = _preferred(s, kind, c)
        if block is not None:
            children += [Block("h4", c.t(f"segments.{kind}")), block]
    children += _rules_and_actions(c, s, sid)
    return Block(
        "card", text=c.name(sid), children=children, src=charts.segment_colour(sid), css="small" if sid == 0 else ""
    )


def _profile(c: Context, s: dict[str, Any]) -> list[Block]:
    """The segment's standardised differences as a bar chart, each bar named by the metric's label."""
    pairs = _profile_pairs(s)
    if not pairs:
        return []
    chart = charts.profile([vocabulary.label(p[0], c.lang) for p in pairs], [p[1] for p in pairs], c.lang)
    return [Block("h4", c.t("segments.profile")), Block("figure", src=chart, text=c.t("segments.profile"))]


def _profile_pairs(s: dict[str, Any]) -> list[tuple[str, float]]:
    """``(metric, standardised difference)`` from any of the profile shapes the producers write."""
    raw = first(s, *PROFILE_KEYS, default=None)
    if isinstance(raw, dict) and isinstance(raw.get("metrics"), list | dict):
        raw = raw["metrics"]
    pairs: list[tuple[str, float]] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            v = as_float(first(value, *EFFECT_KEYS)) if isinstance(value, dict) else as_float(value)
            if v is not None:
                pairs.append((str(key), v))
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                v = as_float(first(item, *EFFECT_KEYS, "value"))
                if v is not None:
                    pairs.append((str(first(item, "metric", "feature", "name", default="?")), v))
    return pairs


def _preferred(s: dict[str, Any], kind: str, c: Context) -> Block | None:
    """The segment's top categories or brands with their lift and share."""
    items = first(s, *PREFERRED_KEYS[kind], default=None)
    if not isinstance(items, list) or not items:
        return None
    rows = []
    for item in items[:6]:
        if isinstance(item, dict):
            label = first(item, "name", "category", "category_code", "brand", "code", "key", default=None)
            if str(label).strip().lower() in ("", "nan", "none", "null"):
                label = None
            if label is None and item.get("category_id") is not None:
                label = c.category_code(item["category_id"])
            if label is None:
                label = c.t("segments.nocode")
            rows.append([str(label), c.num(as_float(item.get("lift")), 2), c.pct(item.get("share"))])
        else:
            rows.append([str(item), "–", "–"])
    return table([c.t("segments.item"), c.t("segments.lift"), c.t("segments.item_share")], rows, "numeric small")


def _rules_and_actions(c: Context, s: dict[str, Any], sid: int) -> list[Block]:
    """The plain-language rules and the marketing actions (segment 0: the threshold rule, no actions)."""
    blocks = []
    for key, title in (("rules", "segments.rules"), ("actions", "segments.actions")):
        items = loc(s, key, c.lang) or (loc(s, "traits", c.lang) if key == "rules" else None)
        if isinstance(items, str):
            items = [items]
        if not items and sid == 0:
            if key == "actions":
                continue
            items = [c.t("segments.rule0", t=c.num(c.threshold))] if c.threshold is not None else None
        blocks.append(Block("h4", c.t(title)))
        blocks.append(Block("list", items=[str(i) for i in items]) if items else Block("note", c.t("segments.none")))
    return blocks
