"""The planted personas: how each kind of customer shops, and which users are which.

:data:`PERSONAS` is the table in the package docstring (a test keeps the two in step). The
blurs (blends of two personas, off-taste noise, the heavy activity tail) are module constants
read at generation time, so ``bench/quality.py`` can switch one off by setting it here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from events.synth.clock import Clock

# persona pairs that shop alike in every funnel, spend and timing habit and differ only in taste
TASTE_PAIRS: tuple[tuple[str, str], ...] = (
    ("brand_loyalist_apple_family", "brand_loyalist_samsung_family"),
    ("frequent_small_basket_home", "frequent_small_basket_fashion"),
)
BLEND_SHARE = 0.10  # share of users who blend two personas' sessions
BLEND_WEIGHT = (0.2, 0.45)  # uniform range of the share of a blended user's sessions from the second persona
NOISE_RATE = (0.10, 0.15)  # uniform range, per user, of the share of views outside the user's taste
NOISE_REDRAWS = 6  # an off-taste view is redrawn this many times at most if it falls inside the taste
ACTIVITY_SIGMA = 1.0  # per-user activity multiplier: log-normal with mean 1 and this sigma (of the log)
NOT_BLENDED = ("one_visit", "bot")  # personas that never blend with another (one session; not a shopper)


@dataclass(frozen=True)
class Persona:
    """How one kind of customer shops; the package docstring has the table."""

    name: str
    share: float
    sessions_per_month: float
    views_per_session: float
    p_cart: float  # per view
    p_buy: float  # per cart
    p_remove: float  # per cart not bought
    p_buy_now: float  # per view not carted: bought without a cart event
    categories: str = "all"  # all | e (big-ticket electronics) | g (gifts) | home | fashion (TASTE_CATEGORIES)
    price_taste: tuple[float, float] | None = None
    brand_family: str = ""  # a key of BRAND_FAMILIES: loyal to one or two brands of that family
    time_profile: str = "base"  # base | promo | holiday
    span: float = 0.7  # share of the window's traffic the user is active in
    view_gap_s: float = 35.0  # median seconds between two views of a session
    min_sessions: int = 1  # the fewest sessions a user of this persona has


PERSONAS: tuple[Persona, ...] = (
    Persona("window_shopper", 0.24, 1.0, 6, 0.0, 0.0, 0.0, 0.0, min_sessions=2),
    Persona("cart_abandoner", 0.08, 1.2, 6, 0.15, 0.03, 0.35, 0.0),
    Persona("bargain_hunter", 0.08, 0.8, 7, 0.04, 0.70, 0.25, 0.010, price_taste=(1.0, 5.0), time_profile="promo"),
    Persona("brand_loyalist_apple_family", 0.05, 1.0, 5, 0.05, 0.60, 0.20, 0.012, brand_family="apple_family"),
    Persona("brand_loyalist_samsung_family", 0.05, 1.0, 5, 0.05, 0.60, 0.20, 0.012, brand_family="samsung_family"),
    Persona(
        "big_ticket_electronics",
        0.04,
        0.4,
        6,
        0.05,
        0.65,
        0.20,
        0.010,
        categories="e",
        price_taste=(6.0, 1.0),
        span=0.9,
    ),
    Persona(
        "frequent_small_basket_home",
        0.03,
        3.0,
        4,
        0.08,
        0.75,
        0.10,
        0.035,
        categories="home",
        price_taste=(1.0, 3.0),
        span=0.9,
    ),
    Persona(
        "frequent_small_basket_fashion",
        0.03,
        3.0,
        4,
        0.08,
        0.75,
        0.10,
        0.035,
        categories="fashion",
        price_taste=(1.0, 3.0),
        span=0.9,
    ),
    Persona("holiday_shopper", 0.10, 3.0, 6, 0.05, 0.65, 0.20, 0.015, categories="g", time_profile="holiday", span=1.0),
    Persona("one_visit", 0.2998, 0.0, 3, 0.01, 0.30, 0.10, 0.002, span=1.0),
    Persona("bot", 0.0002, 0.5, 1500, 0.0, 0.0, 0.0, 0.0, price_taste=(1.0, 1.0), view_gap_s=3.0, span=1.0),
)
PERSONA_NAMES = tuple(p.name for p in PERSONAS)


def persona_shares(clock: Clock) -> np.ndarray:
    """Each persona's share of users; holiday shoppers only when the months cover the holiday season."""
    shares = np.array([p.share for p in PERSONAS])
    if "holiday" not in clock.cdfs:
        shares[PERSONA_NAMES.index("holiday_shopper")] = 0.0
    return shares / shares.sum()


def assign_users(rng: np.random.Generator, users: int, clock: Clock) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw user ids (9 digits, unique, shuffled), each user's persona and second persona (-1: none).

    :data:`BLEND_SHARE` of all users are drawn, among the personas that may blend, to blend a
    second persona into their sessions; the second one is drawn by the personas' shares and is
    never the first one.
    """
    stride = max(1, 250_000_000 // max(users, 1))
    ids = 300_000_000 + np.arange(users, dtype=np.int64) * stride + rng.integers(0, stride, users)
    ids = rng.permutation(ids)
    shares = persona_shares(clock)
    persona = rng.choice(len(PERSONAS), users, p=shares)
    bot = PERSONA_NAMES.index("bot")
    if users >= 50 and not (persona == bot).any():  # a few bots, always at least one
        persona[int(rng.integers(0, users))] = bot
    may_blend = np.array([p.name not in NOT_BLENDED for p in PERSONAS]) & (shares > 0)
    blend_shares = np.where(may_blend, shares, 0.0)
    blended = may_blend[persona] & (rng.random(users) < min(1.0, BLEND_SHARE / blend_shares.sum()))
    secondary = np.full(users, -1, np.int64)
    todo = np.flatnonzero(blended)
    while len(todo):  # redraw the ones that drew their own persona (each round leaves ≤ 1/2 of them)
        secondary[todo] = rng.choice(len(PERSONAS), len(todo), p=blend_shares / blend_shares.sum())
        todo = todo[secondary[todo] == persona[todo]]
    return ids, persona.astype(np.int8), secondary.astype(np.int8)
