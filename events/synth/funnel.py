"""What the views of a chunk cost and lead to: prices, carts, purchases, removals, planted duplicates.

Prices are the base price × the month's drift × a promotion discount that depends only on the
product and the promotion period (a stateless hash, so every user sees the same price). The
session's persona sets the funnel rates; off-taste noise is browsing only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from events.synth.catalogue import Catalogue
from events.synth.clock import Clock
from events.synth.personas import PERSONA_NAMES
from events.synth.sessions import Users, Views, per_persona

EVENT_TYPES = ("view", "cart", "remove_from_cart", "purchase")
VIEW, CART, REMOVE, PURCHASE = range(4)
PROMO_PRODUCTS = 35  # per cent of products on promotion in each promotion period
DUPLICATED_VIEWS = 0.0005  # share of views written twice
DUPLICATED_CARTS = 0.005  # share of cart rows repeated (geometric, mean 6, at most 40 extra copies)


@dataclass
class Events:
    """The chunk's events, unsorted: which view each comes from, its type and time."""

    view: np.ndarray  # index into the views
    type: np.ndarray  # VIEW, CART, REMOVE or PURCHASE
    time: np.ndarray  # epoch seconds
    is_copy: np.ndarray | None = None  # an exact duplicate of the row before it


def hash64(*parts: np.ndarray) -> np.ndarray:
    """A stateless 64-bit mix (splitmix64) of integer arrays: the same inputs, the same value."""
    x = np.zeros(np.broadcast(*parts).shape, np.uint64)
    with np.errstate(over="ignore"):
        for part in parts:
            x = x ^ np.asarray(part).astype(np.uint64)
            x = x + np.uint64(0x9E3779B97F4A7C15)
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            x = x ^ (x >> np.uint64(31))
    return x


def view_prices(cat: Catalogue, clock: Clock, v_time: np.ndarray, product: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each view's price (rounded to cents) and whether its product is on promotion at that moment."""
    month_idx = np.searchsorted(clock.month_edges, v_time, side="right") - 1
    day = (v_time - clock.hour0) // 86_400
    period = clock.promo_period[np.clip(day, 0, len(clock.promo_period) - 1)].astype(np.int64)
    h = hash64(cat.product_ids[product], period + 7)
    on_promo = (period >= 0) & (h % np.uint64(100) < np.uint64(PROMO_PRODUCTS))
    discount = np.where(on_promo, 0.10 + (h >> np.uint64(20)) % np.uint64(31) / 100.0, 0.0)  # 10-40 %
    # month_idx counts calendar months from the first requested one; drift has one column per month
    drift = cat.month_drift[product, np.clip(month_idx, 0, cat.month_drift.shape[1] - 1)]
    return np.round(cat.base_price[product] * drift * (1.0 - discount), 2), on_promo


def funnel_rates(
    cat: Catalogue,
    users: Users,
    views: Views,
    product: np.ndarray,
    noise: np.ndarray,
    on_promo: np.ndarray,
    user_brands: np.ndarray,
    loyal: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per view: the chance of a cart, of a purchase after the cart, of a buy-now and of a removal.

    The other views carry the carts and buy-nows the noise would have had, so the persona
    table's rates stay the means over all views. Bargain hunters follow promotions; loyalists
    buy only their own brands.
    """
    on_taste = np.where(noise, 0.0, 1.0 / (1.0 - users.noise_rate[views.user]))
    p_cart = on_taste * per_persona("p_cart")[views.persona]
    p_buy = per_persona("p_buy")[views.persona]
    p_buy_now = on_taste * per_persona("p_buy_now")[views.persona]
    p_remove = per_persona("p_remove")[views.persona]
    bargain = views.persona == PERSONA_NAMES.index("bargain_hunter")
    p_cart = np.where(bargain, np.where(on_promo, 2.0, 0.5) * p_cart, p_cart)
    p_buy = np.where(bargain & ~on_promo, 0.08, p_buy)
    p_buy_now = np.where(bargain, np.where(on_promo, 2.0 * p_buy_now, 0.0), p_buy_now)
    if loyal.any():
        own = (cat.product_brand[product][:, None] == user_brands[views.user, views.role]).any(axis=1)
        p_buy = np.where(loyal & ~own, 0.0, p_buy)
        p_buy_now = np.where(loyal & ~own, 0.0, p_buy_now)
    return p_cart, p_buy, p_buy_now, p_remove


def funnel_events(
    rng: np.random.Generator,
    v_time: np.ndarray,
    rates: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> Events:
    """Every view, then the carts (within a minute), removals and purchases (within minutes) it leads to."""
    p_cart, p_buy, p_buy_now, p_remove = rates
    n_v = len(v_time)
    carted = rng.random(n_v) < p_cart
    bought = carted & (rng.random(n_v) < p_buy)
    removed = carted & ~bought & (rng.random(n_v) < p_remove)
    bought_now = ~carted & (rng.random(n_v) < p_buy_now)
    purchased = bought | bought_now
    cart_time = v_time + rng.integers(2, 60, n_v)
    buy_time = np.where(carted, cart_time + rng.integers(30, 300, n_v), v_time + rng.integers(20, 240, n_v))
    remove_time = cart_time + rng.integers(10, 500, n_v)
    view = np.concatenate([np.arange(n_v), np.flatnonzero(carted), np.flatnonzero(removed), np.flatnonzero(purchased)])
    etype = np.concatenate(
        [
            np.full(n_v, VIEW),
            np.full(int(carted.sum()), CART),
            np.full(int(removed.sum()), REMOVE),
            np.full(int(purchased.sum()), PURCHASE),
        ]
    ).astype(np.int8)
    etime = np.concatenate([v_time, cart_time[carted], remove_time[removed], buy_time[purchased]])
    return Events(view, etype, etime)


def plant_duplicates(rng: np.random.Generator, clock: Clock, events: Events) -> Events:
    """Exact duplicate rows (a few views once, a few carts many times); events past the window's end dropped."""
    copies = np.zeros(len(events.view), np.int64)
    is_view = events.type == VIEW
    copies[is_view] = rng.random(int(is_view.sum())) < DUPLICATED_VIEWS
    is_cart = events.type == CART
    heavy = rng.random(int(is_cart.sum())) < DUPLICATED_CARTS
    copies[np.flatnonzero(is_cart)[heavy]] = np.minimum(rng.geometric(1 / 6, int(heavy.sum())), 40)
    rows = np.repeat(np.arange(len(events.view)), 1 + copies)
    is_copy = np.concatenate([[False], rows[1:] == rows[:-1]])
    keep = events.time[rows] < clock.end
    rows = rows[keep]
    return Events(events.view[rows], events.type[rows], events.time[rows], is_copy[keep])
