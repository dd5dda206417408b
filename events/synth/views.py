"""What the users of a chunk view: favourite categories, off-taste noise, price and brand tastes.

Each role has :data:`FAVOURITES` distinct favourite categories inside its persona's categories;
a session picks one of them. Off-taste noise sends a share of views outside the taste; price
tastes pick products by their price rank, brand loyalists their family's brands.
"""

from __future__ import annotations

import numpy as np

from events.synth import personas as blurs  # read at call time: bench/quality.py switches blurs off
from events.synth.catalogue import Catalogue
from events.synth.personas import PERSONA_NAMES, PERSONAS
from events.synth.sessions import Sessions, Users, Views

FAVOURITES = 3  # distinct favourite categories per role
FAVOURITE_PICK = (0.6, 0.25, 0.15)  # how often a session picks the first, second, third favourite
EXPLORE_RATE = 0.12  # sessions of a persona of any category that pick any category, by traffic
STRAY_RATE = 0.15  # views of a session that go to another favourite
BRAND_LOYALTY = 0.9  # share of a loyalist's views (noise aside) that go to their own brands
LOOK_AGAIN_RATE = 0.25  # views that look again at the product just seen


class CategoryGroups:
    """The personas' category groups: which group each persona shops in, which categories each holds."""

    def __init__(self, cat: Catalogue) -> None:
        names = sorted(cat.group_mask)
        self.of_persona = np.array([names.index(p.categories) for p in PERSONAS])  # persona → group
        self.member = np.array([cat.group_mask[g] for g in names])  # (groups, categories)
        self.any_category = np.array([p.categories == "all" for p in PERSONAS])  # per persona


def favourite_categories(rng: np.random.Generator, cat: Catalogue, users: Users, groups: CategoryGroups) -> np.ndarray:
    """(users, 2 roles, FAVOURITES) categories, drawn ∝ traffic without replacement (Gumbel top-k)."""
    n_users, n_cat = len(users), len(cat.category_weight)
    fav = np.empty((n_users, 2, FAVOURITES), np.int64)
    for r in (0, 1):
        users_r = np.arange(n_users) if r == 0 else np.flatnonzero(users.blended)
        group_r = groups.of_persona[users.role_persona[users_r, r]]
        for g in np.unique(group_r):
            users_g = users_r[group_r == g]
            w = cat.category_weight * groups.member[g]
            log_w = np.where(w > 0, np.log(np.where(w > 0, w, 1.0)), -np.inf)
            keys = log_w + rng.gumbel(size=(len(users_g), n_cat))
            fav[users_g, r] = np.argsort(-keys, axis=1, kind="stable")[:, :FAVOURITES]
    fav[~users.blended, 1] = fav[~users.blended, 0]
    return fav


def view_categories(
    rng: np.random.Generator,
    cat: Catalogue,
    sessions: Sessions,
    views: Views,
    fav: np.ndarray,
    groups: CategoryGroups,
) -> np.ndarray:
    """The category of each view: the session's favourite, a few explorations and strays."""
    n_cat, n_s = len(cat.category_weight), len(sessions.user)
    s_pick = rng.choice(FAVOURITES, n_s, p=list(FAVOURITE_PICK))
    s_category = fav[sessions.user, sessions.role, s_pick]
    explore = (rng.random(n_s) < EXPLORE_RATE) & groups.any_category[sessions.persona]
    s_category[explore] = rng.choice(n_cat, int(explore.sum()), p=cat.category_weight)
    v_category = s_category[views.session]
    stray = rng.random(len(views)) < STRAY_RATE
    v_category[stray] = fav[views.user[stray], views.role[stray], rng.integers(0, FAVOURITES, int(stray.sum()))]
    return v_category


def add_off_taste_noise(
    rng: np.random.Generator,
    cat: Catalogue,
    users: Users,
    views: Views,
    fav: np.ndarray,
    groups: CategoryGroups,
    v_category: np.ndarray,
) -> np.ndarray:
    """Send each user's noise share of views (bots aside) to a category outside the persona's categories
    (outside the user's favourites for personas of any category), redrawn while it falls inside the
    taste; returns which views are noise (``v_category`` is changed in place)."""
    n_cat = len(cat.category_weight)
    bot = PERSONA_NAMES.index("bot")
    noise = (rng.random(len(views)) < users.noise_rate[views.user]) & (views.persona != bot)
    redraw = np.flatnonzero(noise)
    for _ in range(blurs.NOISE_REDRAWS):
        v_category[redraw] = rng.choice(n_cat, len(redraw), p=cat.category_weight)
        c, pz = v_category[redraw], views.persona[redraw]
        inside = np.where(
            groups.any_category[pz],
            (fav[views.user[redraw], views.role[redraw]] == c[:, None]).any(axis=1),
            groups.member[groups.of_persona[pz], c],
        )
        redraw = redraw[inside]
        if not len(redraw):
            break
    return noise


def view_products(
    rng: np.random.Generator, cat: Catalogue, views: Views, v_category: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """The product of each view: by popularity inside its category, or by the persona's price taste."""
    product = cat.by_popularity.sample(v_category, rng.random(len(views)))
    for k, p in enumerate(PERSONAS):
        if p.price_taste is None:
            continue
        m = (views.persona == k) & ~noise
        if not m.any():
            continue
        q = rng.beta(p.price_taste[0], p.price_taste[1], int(m.sum()))
        c = v_category[m]
        pos = cat.category_start[c] + np.minimum((q * cat.category_size[c]).astype(np.int64), cat.category_size[c] - 1)
        product[m] = cat.price_order[pos]
    return product


def loyal_brands(rng: np.random.Generator, cat: Catalogue, users: Users) -> np.ndarray:
    """(users, 2 roles, 2) brands: one or two of the family of each loyalist role (drawn ∝ traffic), -1 for others."""
    families = list(cat.brand_families)
    family_of = np.array([families.index(p.brand_family) if p.brand_family else -1 for p in PERSONAS])
    user_brands = np.full((len(users), 2, 2), -1, np.int64)
    for r in (0, 1):
        for f, name in enumerate(families):
            users_f = np.flatnonzero((family_of[users.role_persona[:, r]] == f) & (users.blended if r else True))
            if not len(users_f):
                continue
            members = cat.brand_families[name]
            picks = members[rng.choice(len(members), (len(users_f), 2), p=cat.brand_family_weight[name])]
            one_brand = rng.random(len(users_f)) < 0.5
            picks[one_brand, 1] = picks[one_brand, 0]
            user_brands[users_f, r] = picks
    user_brands[~users.blended, 1] = user_brands[~users.blended, 0]
    return user_brands


def is_loyalist(views: Views) -> np.ndarray:
    """Per view: whether its session plays a brand loyalist."""
    return np.array([bool(p.brand_family) for p in PERSONAS])[views.persona]


def view_own_brands(
    rng: np.random.Generator,
    cat: Catalogue,
    views: Views,
    user_brands: np.ndarray,
    noise: np.ndarray,
    product: np.ndarray,
) -> None:
    """Loyalists view their own brands' products :data:`BRAND_LOYALTY` of the time (noise aside); in place."""
    m = is_loyalist(views) & ~noise & (rng.random(len(views)) < BRAND_LOYALTY)
    if m.any():
        b = user_brands[views.user[m], views.role[m], rng.integers(0, 2, int(m.sum()))]
        product[m] = cat.by_brand.sample(b, rng.random(int(m.sum())))


def look_again(rng: np.random.Generator, views: Views, product: np.ndarray, noise: np.ndarray) -> None:
    """Some views look again at the product just seen in the same session; in place."""
    again = np.flatnonzero(rng.random(len(views)) < LOOK_AGAIN_RATE)
    again = again[(again > 0)]
    again = again[views.session[again] == views.session[again - 1]]
    product[again] = product[again - 1]  # chains resolve left to right only once; fine for realism
    noise[again] = noise[again - 1]
