"""The sessions of a REES46-sized month and their events, block by block, with numpy only.

A month's sessions are drawn first (who, when, how many views), sorted by start; then each block
of sessions becomes events: views seconds to minutes apart that mostly stay in the session's
category, carts that follow a view of the same product, purchases that follow a cart or a view,
repeated cart rows and a few duplicated views (the real files' dirt), and bot sessions of
thousands of views seconds apart.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np

from events.synth.clock import DAILY_RHYTHM, SPECIAL_DAYS, WEEKLY_RHYTHM
from events.synth.rees46_shop import Shop

SESSIONS_PER_CUSTOMER = 3.06  # 2019-Oct: 9.24 M sessions of 3.02 M customers
ROWS_PER_VIEW = 1.0635  # views plus the carts, purchases and copies they bring (the rates below)
VIEW_GAP_SECONDS, VIEW_GAP_SIGMA = 35.0, 1.0  # log-normal median and sigma between two views
SAME_CATEGORY = 0.7  # a view stays in the session's category
LOOK_AGAIN = 0.2  # a view repeats the previous product
CART_RATE = 0.029  # of views
BUY_AFTER_CART = 0.55
BUY_NOW = 0.009  # of views without a cart
CART_REPEATED = 0.02  # of carts: the row written again 1–30 times
VIEW_COPIED = 0.0005  # of views: the row written twice
BOTS = 6
BOT_VIEWS = (20_000, 60_000)  # each, in a month of BOT_MONTH_EVENTS events (in proportion otherwise)
BOT_MONTH_EVENTS = 42_000_000
BOT_SESSION_VIEWS = 1_500
BOT_GAP_SECONDS = 2.0
FIRST_BOT_ID = 600_000_000
VIEW, CART, PURCHASE = 0, 1, 3  # indexes into events.synth.EVENT_TYPES


@dataclass
class Sessions:
    """A month's sessions sorted by start: customer id, start (epoch s), views, bot or not, a key for the UUID."""

    user_id: np.ndarray
    start: np.ndarray
    views: np.ndarray
    bot: np.ndarray
    key: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


@dataclass
class Events:
    """Events of a block in generation order: epoch second, type, product index, customer id, session key."""

    time: np.ndarray
    type: np.ndarray
    product: np.ndarray
    user_id: np.ndarray
    session: np.ndarray

    def take(self, index: np.ndarray) -> Events:
        return Events(*(getattr(self, f)[index] for f in ("time", "type", "product", "user_id", "session")))

    @staticmethod
    def empty() -> Events:
        return Events(*(np.zeros(0, t) for t in (np.int64, np.int8, np.int32, np.int64, np.int64)))

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        return Events(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in ("time", "type", "product", "user_id", "session"))
        )


def month_bounds(month: str) -> tuple[int, int]:
    """Epoch seconds of the month's first second and of the next month's."""
    year, mon = (int(x) for x in month.split("-"))
    first = dt.datetime(year, mon, 1, tzinfo=dt.UTC)
    days = calendar.monthrange(year, mon)[1]
    return int(first.timestamp()), int(first.timestamp()) + days * 86_400


def hourly_traffic(month: str) -> np.ndarray:
    """Relative traffic of every hour of the month: the shop's daily and weekly rhythms and special days."""
    first, end = month_bounds(month)
    hours = np.arange(first, end, 3600)
    days = hours // 86_400
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    weight = DAILY_RHYTHM[(hours // 3600) % 24] * WEEKLY_RHYTHM[weekday]
    for start, stop, factor in SPECIAL_DAYS:
        lo = dt.date.fromisoformat(start).toordinal() - dt.date(1970, 1, 1).toordinal()
        hi = dt.date.fromisoformat(stop).toordinal() - dt.date(1970, 1, 1).toordinal()
        weight = np.where((days >= lo) & (days <= hi), weight * factor, weight)
    return weight


def draw_sessions(
    rng: np.random.Generator, month: str, customers: np.ndarray, activity: np.ndarray, events: int, first_key: int
) -> Sessions:
    """Every session of the month: one per customer, the rest ∝ activity, plus the bots' sessions."""
    n_sessions = max(len(customers), round(len(customers) * SESSIONS_PER_CUSTOMER))
    cdf = np.cumsum(activity)
    extra = np.searchsorted(cdf, rng.random(n_sessions - len(customers)) * cdf[-1], side="right")
    per_customer = 1 + np.bincount(np.minimum(extra, len(customers) - 1), minlength=len(customers))
    user_id = np.repeat(customers, per_customer)
    bot_views = np.maximum(1, rng.integers(*BOT_VIEWS, BOTS) * min(1.0, events / BOT_MONTH_EVENTS)).astype(np.int64)
    bot_sessions = -(-bot_views // BOT_SESSION_VIEWS)
    view_budget = events / ROWS_PER_VIEW - bot_views.sum()
    views = rng.geometric(min(1.0, len(user_id) / max(view_budget, 1.0)), len(user_id))
    bot_user = np.repeat(FIRST_BOT_ID + np.arange(BOTS), bot_sessions)
    user_id = np.concatenate([user_id, bot_user])
    views = np.concatenate([views, np.repeat(bot_views // bot_sessions, bot_sessions)])
    bot = np.concatenate([np.zeros(len(views) - len(bot_user), bool), np.ones(len(bot_user), bool)])
    first, _ = month_bounds(month)
    traffic = np.cumsum(hourly_traffic(month))
    hour = np.searchsorted(traffic, rng.random(len(views)) * traffic[-1], side="right")
    start = first + hour * 3600 + rng.integers(0, 3600, len(views))
    order = np.argsort(start, kind="stable")
    key = first_key + np.arange(len(views), dtype=np.int64)
    return Sessions(user_id[order], start[order], views[order].astype(np.int64), bot[order], key)


def block_events(rng: np.random.Generator, shop: Shop, cdf: np.ndarray, s: Sessions) -> Events:
    """The events of a block of sessions (``s`` sliced), in generation order (not sorted by time)."""
    n = int(s.views.sum())
    session = np.repeat(np.arange(len(s)), s.views)
    first_of_session = np.cumsum(s.views) - s.views
    is_first = np.zeros(n, bool)
    is_first[first_of_session] = True
    gap = rng.lognormal(np.log(VIEW_GAP_SECONDS), VIEW_GAP_SIGMA, n)
    gap = np.where(s.bot[session], rng.uniform(0.5, 2 * BOT_GAP_SECONDS, n), gap)
    gap[is_first] = 0.0
    elapsed = np.cumsum(gap)
    time = s.start[session] + (elapsed - elapsed[first_of_session][session]).astype(np.int64)
    product = _view_products(rng, shop, cdf, s, session, is_first, n)
    views = Events(time, np.zeros(n, np.int8), product, s.user_id[session], s.key[session])
    return _funnel(rng, views, ~s.bot[session])


def _view_products(
    rng: np.random.Generator,
    shop: Shop,
    cdf: np.ndarray,
    s: Sessions,
    session: np.ndarray,
    is_first: np.ndarray,
    n: int,
) -> np.ndarray:
    """Products viewed: the session's first by popularity, then mostly its category, some looked at again."""
    anywhere = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), shop.products - 1)
    category = shop.category[anywhere[is_first]][session]
    lo, hi = shop.category_start[category], shop.category_start[category + 1]
    base = np.where(lo > 0, cdf[np.maximum(lo - 1, 0)], 0.0)
    inside = np.searchsorted(cdf, base + rng.random(n) * (cdf[hi - 1] - base), side="right")
    inside = np.clip(inside, lo, hi - 1)
    stay = (rng.random(n) < SAME_CATEGORY) & ~is_first
    product = np.where(stay, inside, anywhere)
    again = (rng.random(n) < LOOK_AGAIN) & ~is_first
    source = np.maximum.accumulate(np.where(again, 0, np.arange(n)))
    product = product[source]
    bots = s.bot[session]
    product[bots] = rng.integers(0, shop.products, int(bots.sum()))
    return product.astype(np.int32)


def _funnel(rng: np.random.Generator, views: Events, shopper: np.ndarray) -> Events:
    """Views plus the carts, purchases and copied rows they lead to (bots only view)."""
    n = len(views.time)
    carted = shopper & (rng.random(n) < CART_RATE)
    cart = views.take(np.flatnonzero(carted))
    cart.time = cart.time + rng.integers(3, 61, len(cart.time))
    cart.type[:] = CART
    bought = rng.random(len(cart.time)) < BUY_AFTER_CART
    after_cart = cart.take(np.flatnonzero(bought))
    after_cart.time = after_cart.time + rng.integers(20, 301, len(after_cart.time))
    buy_now = views.take(np.flatnonzero(shopper & ~carted & (rng.random(n) < BUY_NOW)))
    buy_now.time = buy_now.time + rng.integers(5, 121, len(buy_now.time))
    purchases = Events.concat([after_cart, buy_now])
    purchases.type[:] = PURCHASE
    copies = np.where(rng.random(len(cart.time)) < CART_REPEATED, rng.integers(1, 31, len(cart.time)), 0)
    cart = cart.take(np.repeat(np.arange(len(cart.time)), 1 + copies))
    views = views.take(np.repeat(np.arange(n), 1 + (rng.random(n) < VIEW_COPIED)))
    return Events.concat([views, cart, purchases])
