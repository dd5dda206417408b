"""Section 1, the data: what the event store holds (describe.json), the cleaning counts (the manifest) and the
cleaning decisions."""

from __future__ import annotations

from typing import Any

from reports import charts
from reports.sections.common import Block, table
from reports.sections.context import Context

MANIFEST_COUNTS = ("rows_read", "rows_kept", "rows_rejected", "rows_duplicate", "rows_erased")


def section_data(c: Context) -> list[Block]:
    d = c.inputs.describe
    if d is None:
        blocks = [c.need_readable(c.inputs.describe_path, "need.describe")]
    else:
        blocks = [*_volumes(c, d), *_funnel(c, d), *_missing_values(c, d), *_zero_prices(c, d)]
    blocks.append(Block("h3", c.t("data.cleaning")))
    blocks += _cleaning(c)
    blocks.append(_decisions(c, d))
    return blocks


def _volumes(c: Context, d: dict[str, Any]) -> list[Block]:
    """The store in one sentence, the volumes table and the events per month."""
    totals = d.get("totals", {})
    intro = c.t(
        "data.intro",
        events=c.num(totals.get("events")),
        users=c.num(totals.get("users")),
        months=len(d.get("months", [])),
        first=str(d.get("first_event", ""))[:10],
        last=str(d.get("last_event", ""))[:10],
    )
    rows = [
        [c.t(f"data.{k}"), c.num(totals.get(k))]
        for k in ("events", "users", "products", "sessions", "brands", "categories")
        if k in totals
    ]
    rows += [
        [c.t("data.first"), d.get("first_event", "")],
        [c.t("data.last"), d.get("last_event", "")],
        [c.t("data.months"), ", ".join(d.get("months", []))],
    ]
    blocks = [Block("p", intro), Block("h3", c.t("data.volumes")), table(["", ""], rows, "pairs")]
    if d.get("events_per_month"):
        blocks.append(
            Block("figure", src=charts.events_per_month(d["events_per_month"], c.lang), text=c.t("data.per_month"))
        )
    return blocks


def _funnel(c: Context, d: dict[str, Any]) -> list[Block]:
    funnel = d.get("funnel", {})
    if not funnel.get("users"):
        return []
    rates = funnel.get("user_rates", {})
    users = funnel["users"]
    cart = rates.get("viewers_who_carted", rates.get("cart_per_view"))  # a describe.json written before 2026-12
    carters = users.get("cart") or 0
    buy = rates.get("carters_who_bought", users.get("cart_and_purchase", 0) / carters if carters else None)
    note = c.t("data.funnel.note", cart=c.pct(cart), buy=c.pct(buy))
    return [
        Block("figure", src=charts.funnel(funnel["users"], c.lang), text=c.t("data.funnel")),
        Block("p", note),
    ]


def _missing_values(c: Context, d: dict[str, Any]) -> list[Block]:
    missing = d.get("missing_rates", {})
    if not missing:
        return []
    return [
        Block("h3", c.t("data.missing")),
        table(
            [c.t("data.column"), c.t("data.missing_share")],
            [[k, c.pct(v, 2)] for k, v in missing.items()],
            "numeric",
        ),
    ]


def _zero_prices(c: Context, d: dict[str, Any]) -> list[Block]:
    price = d.get("price", {})
    if price.get("zero_prices") is None:
        return []
    share = c.pct(price.get("zero_price_rate"), 2)
    return [Block("p", c.t("data.zero_prices", n=c.num(price["zero_prices"]), share=share))]


def _cleaning(c: Context) -> list[Block]:
    """Rows read, kept, rejected, duplicated and erased per ingested file, then the rejects by reason."""
    manifest = c.inputs.manifest
    if manifest is None:
        return [c.missing("need.manifest", path=c.inputs.manifest_path)]
    rows, totals = [], dict.fromkeys(MANIFEST_COUNTS, 0)
    for entry in manifest:
        values = [int(entry.get(k) or 0) for k in MANIFEST_COUNTS]
        for k, v in zip(MANIFEST_COUNTS, values, strict=True):
            totals[k] += v
        rows.append([entry.get("name", "?"), *(c.num(v) for v in values)])
    if len(rows) > 1:
        rows.append([c.t("data.total"), *(c.num(totals[k]) for k in MANIFEST_COUNTS)])
    header = [c.t(f"data.{k}") for k in ("file", "read", "kept", "rejected", "duplicates", "erased")]
    blocks = [table(header, rows, "numeric")]
    if c.inputs.rejects is not None and len(c.inputs.rejects):
        blocks.append(Block("h4", c.t("data.reasons")))
        blocks.append(
            table(
                [c.t("data.reason"), c.t("data.rows")],
                [[r, c.num(int(n))] for r, n in c.inputs.rejects.itertuples(index=False)],
                "numeric",
            )
        )
    return blocks


def _decisions(c: Context, d: dict[str, Any] | None) -> Block:
    """The cleaning decisions, with the bot rule and counts of describe.json."""
    bots = (d or {}).get("bots", {})
    per_day = bots.get("threshold_events_per_day")
    rule = c.t("data.bot_rule", n=c.num(per_day)) if per_day is not None else bots.get("rule", "–")
    items = c.t("data.decisions", bots=c.num(bots.get("users")), bot_share=c.pct(bots.get("event_share"), 2), rule=rule)
    return Block("list", items=items)
