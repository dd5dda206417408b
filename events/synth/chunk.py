"""Every event of a chunk of users as one Arrow table: the steps of sessions, views and funnel in order.

The steps draw from one random generator per chunk, in a fixed order: that order is part of
the output (the same seed gives the same bytes), so a new draw goes after the existing ones.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from events.synth.catalogue import Catalogue
from events.synth.clock import Clock
from events.synth.funnel import EVENT_TYPES, Events, funnel_events, funnel_rates, plant_duplicates, view_prices
from events.synth.sessions import draw_sessions, draw_users, draw_views
from events.synth.views import (
    CategoryGroups,
    add_off_taste_noise,
    favourite_categories,
    is_loyalist,
    look_again,
    loyal_brands,
    view_categories,
    view_own_brands,
    view_products,
)


def chunk_events(
    rng: np.random.Generator,
    cat: Catalogue,
    clock: Clock,
    user_ids: np.ndarray,
    persona: np.ndarray,
    secondary: np.ndarray,
) -> pa.Table:
    """Every event of a chunk of users (unsorted), with the month each falls in and whether it is a copy.

    Columns: event_time, event_type, product_idx (into the catalogue), price, user_id,
    user_session, month (index into the clock's months), duplicate.
    """
    users = draw_users(rng, persona, secondary)
    sessions, start = draw_sessions(rng, clock, users)
    views = draw_views(rng, clock, sessions, start)

    groups = CategoryGroups(cat)
    fav = favourite_categories(rng, cat, users, groups)
    v_category = view_categories(rng, cat, sessions, views, fav, groups)
    noise = add_off_taste_noise(rng, cat, users, views, fav, groups, v_category)
    product = view_products(rng, cat, views, v_category, noise)
    user_brands = loyal_brands(rng, cat, users)
    view_own_brands(rng, cat, views, user_brands, noise, product)
    look_again(rng, views, product, noise)

    price, on_promo = view_prices(cat, clock, views.time, product)
    rates = funnel_rates(cat, users, views, product, noise, on_promo, user_brands, is_loyalist(views))
    events = plant_duplicates(rng, clock, funnel_events(rng, views.time, rates))
    session_ids = uuid4_strings(rng, len(sessions.user))
    return _event_table(clock, events, product, price, user_ids[views.user], views.session, session_ids)


def _event_table(
    clock: Clock,
    events: Events,
    product: np.ndarray,
    price: np.ndarray,
    view_user_id: np.ndarray,
    view_session: np.ndarray,
    session_ids: pa.Array,
) -> pa.Table:
    idx = events.view
    month = np.searchsorted(clock.month_edges, events.time, side="right") - 1
    return pa.table(
        {
            "event_time": pa.array(events.time * 1_000_000, pa.timestamp("us")),
            "event_type": pa.DictionaryArray.from_arrays(pa.array(events.type), pa.array(EVENT_TYPES)),
            "product_idx": pa.array(product[idx].astype(np.int32)),
            "price": pa.array(price[idx]),
            "user_id": pa.array(view_user_id[idx]),
            "user_session": session_ids.take(pa.array(view_session[idx])),
            "month": pa.array(month.astype(np.int16)),
            "duplicate": pa.array(events.is_copy),
        }
    )


def uuid4_strings(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random UUID4 strings as an Arrow string array, built without a Python loop."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", np.uint8)
    nibbles = np.empty((n, 32), np.uint8)
    nibbles[:, 0::2] = hexdigits[raw >> 4]
    nibbles[:, 1::2] = hexdigits[raw & 0x0F]
    text = np.full((n, 36), ord("-"), np.uint8)
    text[:, 0:8], text[:, 9:13], text[:, 14:18] = nibbles[:, 0:8], nibbles[:, 8:12], nibbles[:, 12:16]
    text[:, 19:23], text[:, 24:36] = nibbles[:, 16:20], nibbles[:, 20:32]
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))
