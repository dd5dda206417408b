"""Show a :class:`events.describe.Description`: rich tables for the terminal and PNG plots for the report."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from events.describe import Description
from events.store import EVENT_TYPES

PLOTS = ("events_per_day", "users_per_events", "price_distribution", "funnel")


def _n(x: int | float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:,.2f}"


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _pairs(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    for key, value in rows:
        table.add_row(key, value)
    return table


def tables(d: Description) -> list[Table]:
    """The description as rich tables, in reading order."""
    return [
        _overview_table(d),
        _months_table(d),
        *_days_tables(d),
        _pairs("missing values (share of events)", [(c, _pct(v)) for c, v in d.missing_rates.items()]),
        _price_table(d),
        _funnel_table(d),
        _top_table("top categories", d.top_categories, "category_code"),
        _top_table("top brands", d.top_brands, "brand"),
        *_activity_tables(d),
        _bots_table(d),
    ]


def _overview_table(d: Description) -> Table:
    overview = [(k, _n(v)) for k, v in d.totals.items()]
    overview += [("first event", d.first_event), ("last event", d.last_event), ("months", ", ".join(d.months))]
    if d.ingest:
        overview += [
            ("rows read at ingest", _n(d.ingest["rows_read"])),
            ("rows rejected at ingest", _n(d.ingest["rows_rejected"])),
            ("duplicates dropped at ingest", _n(d.ingest["duplicates_dropped"])),
        ]
    else:
        overview.append(("duplicates dropped at ingest", "unknown (no manifest)"))
    return _pairs("event store", overview)


def _months_table(d: Description) -> Table:
    months = Table(title="events per month and type", title_justify="left")
    for name in ("month", "events", *EVENT_TYPES):
        months.add_column(name, justify="left" if name == "month" else "right")
    for row in d.events_per_month:
        months.add_row(row["month"], *(_n(row[k]) for k in ("events", *EVENT_TYPES)))
    total = d.totals["events"]
    months.add_row("share", "", *(_pct(d.events_per_type[t] / total) for t in EVENT_TYPES), style="dim")
    return months


def _days_tables(d: Description) -> list[Table]:
    days = sorted(d.events_per_day, key=lambda r: r["events"])
    if not days:
        return []
    median = days[len(days) // 2]["events"]
    rows = [
        ("days", _n(len(days))),
        ("median", _n(median)),
        ("quietest", f"{days[0]['day']}  {_n(days[0]['events'])}"),
        *((f"busiest #{i + 1}", f"{r['day']}  {_n(r['events'])}") for i, r in enumerate(reversed(days[-5:]))),
    ]
    return [_pairs("events per day", rows)]


def _price_table(d: Description) -> Table:
    price_rows = [(k, _n(v) if v is not None else "–") for k, v in d.price["quantiles"].items()]
    price_rows += [
        ("mean", _n(d.price["mean"] or 0.0)),
        ("zero prices", f"{_n(d.price['zero_prices'])} ({_pct(d.price['zero_price_rate'])})"),
    ]
    return _pairs("price" + ("" if d.price["exact_quantiles"] else " (approximate quantiles)"), price_rows)


def _funnel_table(d: Description) -> Table:
    f = d.funnel
    funnel = Table(title="funnel view → cart → purchase", title_justify="left")
    for name in ("step", "events", "users", "events / previous", "users / previous"):
        funnel.add_column(name, justify="left" if name == "step" else "right")
    funnel.add_row("view", _n(f["events"]["view"]), _n(f["users"]["view"]), "", "")
    for step, rate in (("cart", "cart_per_view"), ("purchase", "purchase_per_cart")):
        funnel.add_row(
            step,
            _n(f["events"][step]),
            _n(f["users"][step]),
            _pct(f["event_rates"][rate]),
            _pct(f["user_rates"][rate]),
        )
    return funnel


def _top_table(title: str, rows: list[dict], key: str) -> Table:
    top = Table(title=title, title_justify="left")
    for name in (key, "events", "users", "purchases", "revenue"):
        top.add_column(name, justify="left" if name == key else "right")
    for r in rows:
        top.add_row(r[key], _n(r["events"]), _n(r["users"]), _n(r["purchases"]), _n(r["revenue"]))
    return top


def _activity_tables(d: Description) -> list[Table]:
    upe = d.users_per_events
    hist = Table(title="users per number of events (the activity threshold is chosen from this)", title_justify="left")
    for name in ("events", "users", "cumulative share"):
        hist.add_column(name, justify="right")
    for r in upe["histogram"]:
        span = str(r["events_from"]) if r["events_from"] == r["events_to"] else f"{r['events_from']}–{r['events_to']}"
        hist.add_row(span, _n(r["users"]), _pct(r["cumulative_user_share"]))
    quantiles = _pairs(
        "events per user", [*((k, _n(v)) for k, v in upe["quantiles"].items()), ("mean", _n(upe["mean"]))]
    )
    return [hist, quantiles]


def _bots_table(d: Description) -> Table:
    b = d.bots
    bot_rows = [
        ("rule", b["rule"]),
        ("threshold (events/day)", _n(b["threshold_events_per_day"])),
        ("bot-like users", _n(b["users"])),
        ("their events", f"{_n(b['events'])} ({_pct(b['event_share'])})"),
    ]
    bot_rows += [
        (f"user {r['user_id']}", f"{_n(r['events'])} events, max {_n(r['max_events_per_day'])}/day")
        for r in b["top"][:5]
    ]
    return _pairs("bot-like users", bot_rows)


def plots(d: Description, out_dir: Path) -> list[Path]:
    """Write the PNG plots (``describe_<name>.png``) into ``out_dir``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig, name: str) -> None:
        path = out_dir / f"describe_{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    import datetime as dt

    fig, ax = plt.subplots(figsize=(10, 4))
    days = [dt.date.fromisoformat(r["day"]) for r in d.events_per_day]
    ax.plot(days, [r["events"] for r in d.events_per_day], label="all events", color="tab:blue")
    ax.set_ylabel("events per day")
    ax2 = ax.twinx()
    ax2.plot(days, [r["purchase"] for r in d.events_per_day], label="purchases", color="tab:red", alpha=0.7)
    ax2.set_ylabel("purchases per day", color="tab:red")
    ax.set_title("events per day (UTC)")
    fig.autofmt_xdate()
    save(fig, "events_per_day")

    fig, ax = plt.subplots(figsize=(8, 4))
    hist = d.users_per_events["histogram"]
    labels = [
        str(r["events_from"]) if r["events_from"] == r["events_to"] else f"{r['events_from']}–{r['events_to']}"
        for r in hist
    ]
    ax.bar(range(len(hist)), [r["users"] for r in hist], color="tab:green")
    ax.set_xticks(range(len(hist)), labels, rotation=45, ha="right")
    ax.set_yscale("log")
    ax.set_xlabel("events per user (log₂ bins)")
    ax.set_ylabel("users")
    ax.set_title("users per number of events")
    save(fig, "users_per_events")

    fig, ax = plt.subplots(figsize=(8, 4))
    ph = d.price["log10_histogram"]
    if ph:
        ax.bar(
            [10 ** r["log10_from"] for r in ph],
            [r["events"] for r in ph],
            width=[10 ** (r["log10_from"] + 0.1) - 10 ** r["log10_from"] for r in ph],
            align="edge",
            color="tab:purple",
        )
        ax.set_xscale("log")
    ax.set_xlabel(f"price (log scale); {d.price['zero_prices']:,} events at price 0 not shown")
    ax.set_ylabel("events")
    ax.set_title("price distribution")
    save(fig, "price_distribution")

    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    steps = ("view", "cart", "purchase")
    for ax, kind in zip(axes, ("events", "users"), strict=True):
        values = [d.funnel[kind][s] for s in steps]
        ax.bar(steps, values, color=["tab:blue", "tab:orange", "tab:red"])
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.8)  # bars start at 1, so their heights compare on the log scale
        ax.set_title(f"funnel: {kind}")
        for i, v in enumerate(values):
            ax.annotate(f"{v:,}", (i, max(v, 1)), ha="center", va="bottom", fontsize=8)
    save(fig, "funnel")
    return written
