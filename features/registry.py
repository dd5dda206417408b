"""The metric registry: every per-user metric with its definition, unit, range and empty case.

Its words for readers (a short label and its purpose, in English and French) are in
:mod:`features.vocabulary`, keyed by the metric's name.

This list is the single source of truth for the feature table: :mod:`features.compute`
produces exactly these columns in this order (a unit test holds it to that),
``docs/METRICS.md`` is generated from it (``python -m features.docs``), and the
``on_graph`` flag chooses what :mod:`features.graph_write` sets on ``User`` nodes.

Conventions that every definition relies on
-------------------------------------------
* **Data window**: from the first to the last event in the event store (all months).
  "At the end of the data window" means at the timestamp of the store's last event.
* **Session**: the shop's ``user_session``; events without one are grouped into one
  pseudo-session per user and UTC day. So every user has at least one session.
* **Order**: a session with at least one purchase. A purchase row is one item (the data
  has no quantity column).
* **Prices** of 0 are dirt, not gifts: they count in ``total_spent`` (they add nothing)
  but are left out of every *price* metric.
* **Category median price**: per ``category_id``, the median over the category's products
  of each product's mean price (events with price > 0, all users, all months); each
  product counts once, however often it was viewed.
* **Times** are UTC, as in the source files. Parts of day: night 00:00–05:59,
  morning 06:00–11:59, afternoon 12:00–17:59, evening 18:00–23:59. Weekend: Saturday and
  Sunday.
* **Promotion days**: the days covered by the marketing calendar (``--calendar``).
* **Empty denominators** never give NaN or infinity: the metric is either a defined
  value (stated) or NULL (stated), and a NULL metric is an absent property on the
  ``User`` node.

Why everything is recomputed on each run
----------------------------------------
``shopgraph features`` recomputes all users over all months rather than only users
touched by a new month. Recency is measured at the end of the data window, which moves
with every new month, so every user's row changes anyway; the R/F/M quintile scores are
ranks among all buyers and the category median prices are taken over all products and
months, so a new month shifts them for users who were not active in it. An incremental
update would therefore be wrong for everyone. The cost is linear in events, and the
memory is bounded whatever the history's length: the small global pieces (data window,
calendar, category median prices) come first, then the per-user aggregates run in
contiguous ``user_id`` buckets sized to DuckDB's memory limit, and the R/F/M ranks come
last from the buyers' columns (see ``features/compute.py`` and ``docs/BENCHMARKS.md``,
"Features"). Every metric is the same whatever the number of buckets.
"""

from __future__ import annotations

from dataclasses import dataclass

from features import vocabulary

GROUPS = ("activity", "funnel", "money", "price", "breadth", "time")

#: Top-level categories (first level of ``category_code``) that get their own share;
#: everything else, and events without a ``category_code``, is ``other``.
TOP_CATEGORIES = (
    "electronics",
    "appliances",
    "computers",
    "apparel",
    "furniture",
    "kids",
    "sport",
    "construction",
    "auto",
    "accessories",
)

#: Parts of day: name -> (first hour, last hour), UTC, both hours included.
PARTS_OF_DAY = {"night": (0, 5), "morning": (6, 11), "afternoon": (12, 17), "evening": (18, 23)}


@dataclass(frozen=True)
class Metric:
    """One column of the user feature table."""

    name: str
    group: str
    dtype: str  # DuckDB type of the column
    definition: str
    unit: str
    range: str
    empty: str  # what the metric is when its denominator is empty (or "never empty")
    on_graph: bool  # set on (:User) nodes

    @property
    def why(self) -> str:
        """Why it matters to marketing (features/vocabulary.py holds it in both languages)."""
        return vocabulary.why(self.name, "en")

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"metric {self.name}: unknown group {self.group!r}")


NEVER_EMPTY = "never empty (every user has an event)"


def _m(
    name: str, group: str, dtype: str, definition: str, unit: str, range_: str, empty: str, on_graph: bool
) -> Metric:
    return Metric(name, group, dtype, definition, unit, range_, empty, on_graph)


_ACTIVITY = [
    _m(
        "n_events",
        "activity",
        "BIGINT",
        "Number of events of any type.",
        "events",
        "≥ 1",
        NEVER_EMPTY,
        False,
    ),
    _m(
        "n_views",
        "activity",
        "BIGINT",
        "Number of `view` events.",
        "events",
        "≥ 0",
        "0",
        False,
    ),
    _m(
        "n_carts",
        "activity",
        "BIGINT",
        "Number of `cart` events.",
        "events",
        "≥ 0",
        "0",
        False,
    ),
    _m(
        "n_removes",
        "activity",
        "BIGINT",
        "Number of `remove_from_cart` events.",
        "events",
        "≥ 0",
        "0",
        False,
    ),
    _m(
        "n_sessions",
        "activity",
        "BIGINT",
        "Number of distinct sessions (see *Session* above).",
        "sessions",
        "≥ 1",
        NEVER_EMPTY,
        True,
    ),
    _m(
        "active_days",
        "activity",
        "BIGINT",
        "Number of distinct UTC days with at least one event.",
        "days",
        "≥ 1",
        NEVER_EMPTY,
        True,
    ),
    _m(
        "months_active",
        "activity",
        "BIGINT",
        "Number of distinct calendar months with at least one event.",
        "months",
        "1 … months in the window",
        NEVER_EMPTY,
        True,
    ),
    _m(
        "first_seen",
        "activity",
        "TIMESTAMP",
        "Time of the first event (UTC).",
        "timestamp",
        "inside the data window",
        NEVER_EMPTY,
        False,
    ),
    _m(
        "last_seen",
        "activity",
        "TIMESTAMP",
        "Time of the last event (UTC).",
        "timestamp",
        "inside the data window",
        NEVER_EMPTY,
        False,
    ),
    _m(
        "tenure_days",
        "activity",
        "DOUBLE",
        "Time from the first to the last event.",
        "days",
        "0 … window length",
        NEVER_EMPTY + " (0 for a single event)",
        True,
    ),
    _m(
        "recency_days",
        "activity",
        "DOUBLE",
        "Time from the last event to the end of the data window.",
        "days",
        "0 … window length",
        NEVER_EMPTY,
        False,
    ),
    _m(
        "events_per_session",
        "activity",
        "DOUBLE",
        "`n_events / n_sessions`.",
        "events per session",
        "≥ 1",
        NEVER_EMPTY,
        False,
    ),
    _m(
        "median_session_minutes",
        "activity",
        "DOUBLE",
        "Median over the user's sessions of (last event − first event) of the session; a one-event session "
        "lasts 0. For an even number of sessions the mean of the two middle values.",
        "minutes",
        "≥ 0",
        NEVER_EMPTY,
        False,
    ),
    _m(
        "median_session_gap_hours",
        "activity",
        "DOUBLE",
        "Median time between the starts of consecutive sessions (sessions ordered by their first event).",
        "hours",
        "≥ 0",
        "NULL when the user has only one session",
        False,
    ),
]

_FUNNEL = [
    _m(
        "view_to_cart_rate",
        "funnel",
        "DOUBLE",
        "Share of the distinct products the user viewed that the user also put in the cart.",
        "share",
        "0 … 1",
        "NULL when the user viewed no product",
        True,
    ),
    _m(
        "cart_to_purchase_rate",
        "funnel",
        "DOUBLE",
        "Share of the distinct products the user carted that the user also bought.",
        "share",
        "0 … 1",
        "NULL when the user carted nothing",
        True,
    ),
    _m(
        "cart_abandonment_rate",
        "funnel",
        "DOUBLE",
        "Share of the user's sessions with a `cart` event that have no `purchase` event.",
        "share",
        "0 … 1",
        "NULL when no session has a cart event",
        True,
    ),
    _m(
        "remove_from_cart_rate",
        "funnel",
        "DOUBLE",
        "Share of the distinct products the user carted that the user also removed from the cart.",
        "share",
        "0 … 1",
        "NULL when the user carted nothing",
        False,
    ),
    _m(
        "purchase_rate",
        "funnel",
        "DOUBLE",
        "Share of the user's sessions that contain a purchase (session conversion rate): `n_orders / n_sessions`.",
        "share",
        "0 … 1",
        NEVER_EMPTY + " (0 for non-buyers)",
        True,
    ),
]

_MONEY = [
    _m(
        "n_purchases",
        "money",
        "BIGINT",
        "Number of `purchase` events (items bought).",
        "items",
        "≥ 0",
        "0",
        True,
    ),
    _m(
        "n_orders",
        "money",
        "BIGINT",
        "Number of sessions with at least one purchase (orders).",
        "orders",
        "≥ 0",
        "0",
        True,
    ),
    _m(
        "total_spent",
        "money",
        "DOUBLE",
        "Sum of `price` over the user's purchases.",
        "currency",
        "≥ 0",
        "0",
        True,
    ),
    _m(
        "avg_order_value",
        "money",
        "DOUBLE",
        "`total_spent / n_orders`.",
        "currency per order",
        "≥ 0",
        "NULL for non-buyers",
        True,
    ),
    _m(
        "items_per_order",
        "money",
        "DOUBLE",
        "`n_purchases / n_orders`.",
        "items per order",
        "≥ 1",
        "NULL for non-buyers",
        True,
    ),
    _m(
        "purchase_recency_days",
        "money",
        "DOUBLE",
        "Time from the last purchase to the end of the data window.",
        "days",
        "0 … window length",
        "NULL for non-buyers",
        False,
    ),
    _m(
        "rfm_r",
        "money",
        "INTEGER",
        "Recency score among buyers: `1 + floor(5 × percent_rank)` (capped at 5) when buyers are ordered from "
        "the oldest to the most recent last purchase; ties share a score; 5 = most recent.",
        "score",
        "1 … 5",
        "NULL for non-buyers",
        True,
    ),
    _m(
        "rfm_f",
        "money",
        "INTEGER",
        "Frequency score among buyers: as `rfm_r`, ordered by `n_orders` ascending; 5 = most orders.",
        "score",
        "1 … 5",
        "NULL for non-buyers",
        True,
    ),
    _m(
        "rfm_m",
        "money",
        "INTEGER",
        "Monetary score among buyers: as `rfm_r`, ordered by `total_spent` ascending; 5 = highest spend.",
        "score",
        "1 … 5",
        "NULL for non-buyers",
        True,
    ),
    _m(
        "rfm_code",
        "money",
        "VARCHAR",
        "The three scores as text, R then F then M (e.g. `545`).",
        "code",
        "`111` … `555`",
        "NULL for non-buyers",
        True,
    ),
]

_PRICE = [
    _m(
        "mean_price_viewed",
        "price",
        "DOUBLE",
        "Mean `price` of the user's views with price > 0.",
        "currency",
        "> 0",
        "NULL when no priced view",
        False,
    ),
    _m(
        "mean_price_bought",
        "price",
        "DOUBLE",
        "Mean `price` of the user's purchases with price > 0.",
        "currency",
        "> 0",
        "NULL when no priced purchase",
        True,
    ),
    _m(
        "price_index_viewed",
        "price",
        "DOUBLE",
        "Mean over the user's priced views of `price / category median price`.",
        "ratio",
        "> 0 (1 = typical)",
        "NULL when no priced view",
        False,
    ),
    _m(
        "price_index_bought",
        "price",
        "DOUBLE",
        "Mean over the user's priced purchases of `price / category median price`.",
        "ratio",
        "> 0 (1 = typical)",
        "NULL when no priced purchase",
        True,
    ),
    _m(
        "below_median_purchase_share",
        "price",
        "DOUBLE",
        "Share of the user's priced purchases whose price is below their category's median price.",
        "share",
        "0 … 1",
        "NULL when no priced purchase",
        True,
    ),
]

_BREADTH = [
    _m(
        "distinct_products",
        "breadth",
        "BIGINT",
        "Number of distinct products with any event.",
        "products",
        "≥ 1",
        NEVER_EMPTY,
        False,
    ),
    _m(
        "distinct_categories",
        "breadth",
        "BIGINT",
        "Number of distinct `category_id` with any event.",
        "categories",
        "≥ 1",
        NEVER_EMPTY,
        True,
    ),
    _m(
        "distinct_brands",
        "breadth",
        "BIGINT",
        "Number of distinct non-empty brands with any event.",
        "brands",
        "≥ 0",
        "0 when no event has a brand",
        False,
    ),
    _m(
        "category_entropy",
        "breadth",
        "DOUBLE",
        "Shannon entropy of the user's events over `category_id`: `−Σ p·log2 p`.",
        "bits",
        "0 … log2(distinct_categories)",
        NEVER_EMPTY + " (0 for one category)",
        True,
    ),
]
_BREADTH += [
    _m(
        f"share_{c}",
        "breadth",
        "DOUBLE",
        f"Share of the user's events in top-level category `{c}` (first level of `category_code`).",
        "share",
        "0 … 1",
        NEVER_EMPTY,
        False,
    )
    for c in TOP_CATEGORIES
]
_BREADTH += [
    _m(
        "share_other",
        "breadth",
        "DOUBLE",
        "Share of the user's events in any other top-level category or without `category_code`. The eleven "
        "`share_*` columns sum to 1.",
        "share",
        "0 … 1",
        NEVER_EMPTY,
        False,
    ),
    _m(
        "top_category",
        "breadth",
        "VARCHAR",
        "The `share_*` category with the largest share (ties: the first in the order of the columns above).",
        "category",
        "one of the eleven names",
        NEVER_EMPTY,
        True,
    ),
    _m(
        "brand_hhi_views",
        "breadth",
        "DOUBLE",
        "Herfindahl index of the user's branded views over brands: `Σ (views of brand / branded views)²`.",
        "index",
        "(0 … 1], 1 = one brand",
        "NULL when no view has a brand",
        False,
    ),
    _m(
        "brand_hhi_purchases",
        "breadth",
        "DOUBLE",
        "Herfindahl index of the user's branded purchases over brands.",
        "index",
        "(0 … 1], 1 = one brand",
        "NULL when no purchase has a brand",
        True,
    ),
]

_TIME = [
    _m(
        f"share_{part}",
        "time",
        "DOUBLE",
        f"Share of the user's events in the {part} ({first:02d}:00–{last:02d}:59 UTC). The four parts sum to 1.",
        "share",
        "0 … 1",
        NEVER_EMPTY,
        False,
    )
    for part, (first, last) in PARTS_OF_DAY.items()
]
_TIME += [
    _m(
        "weekend_share",
        "time",
        "DOUBLE",
        "Share of the user's events on Saturday or Sunday (UTC).",
        "share",
        "0 … 1",
        NEVER_EMPTY,
        True,
    ),
    _m(
        "promo_share",
        "time",
        "DOUBLE",
        "Share of the user's events on promotion days.",
        "share",
        "0 … 1",
        NEVER_EMPTY,
        True,
    ),
    _m(
        "promo_lift",
        "time",
        "DOUBLE",
        "Activity in promotions relative to the user's own baseline: (events on promotion days ÷ promotion days "
        "in the user's span) ÷ (events ÷ days in the user's span), where the span runs from the user's first to "
        "last active day, both included. 1 = as active as usual; 2 = twice as active.",
        "ratio",
        "0 … span days ÷ promotion days in span",
        "NULL when the user's span holds no promotion day",
        True,
    ),
    _m(
        "preferred_month",
        "time",
        "INTEGER",
        "Month of the year (1–12) with the most events (ties: the month reached first).",
        "month",
        "1 … 12",
        NEVER_EMPTY,
        True,
    ),
]

METRICS: tuple[Metric, ...] = tuple(_ACTIVITY + _FUNNEL + _MONEY + _PRICE + _BREADTH + _TIME)

#: Columns of the feature table: the key, then every metric in registry order.
KEY = "user_id"


def names() -> list[str]:
    return [m.name for m in METRICS]


def by_name(name: str) -> Metric:
    for m in METRICS:
        if m.name == name:
            return m
    raise KeyError(name)


def graph_metrics() -> list[Metric]:
    """The metrics set as properties on ``(:User)`` nodes."""
    return [m for m in METRICS if m.on_graph]


def _check_unique() -> None:
    seen = set()
    for m in METRICS:
        if m.name in seen:
            raise ValueError(f"metric {m.name} registered twice")
        if m.name not in vocabulary.WORDS:
            raise ValueError(f"metric {m.name} has no words in features/vocabulary.py")
        seen.add(m.name)


_check_unique()
