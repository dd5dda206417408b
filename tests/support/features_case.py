"""Test helper: a hand-built event set of three users, with a one-period promotion calendar, whose every
metric tests/unit/test_features_metrics.py computes by hand (also read by the bucket tests)."""

from __future__ import annotations

import datetime as dt

from features.calendar import Calendar, Period
from tests.support.features_store import ev

# promotion days 2019-11-28 .. 2019-11-30
CALENDAR = Calendar(
    (Period("test sale", dt.date(2019, 11, 28), dt.date(2019, 11, 30), "promotion"),), "<test>", "0" * 64
)

PHONE = {"category_id": 100, "category_code": "electronics.smartphone"}
KETTLE = {"category_id": 200, "category_code": "appliances.kitchen.kettle"}
NO_CODE = {"category_id": 300, "category_code": None}
GARDEN = {"category_id": 400, "category_code": "country_yard.lawn"}
P1 = {"product_id": 1, "brand": "apple", **PHONE}
P2 = {"product_id": 2, "brand": "samsung", **PHONE}
P3 = {"product_id": 3, "brand": "bosch", **KETTLE}
P4 = {"product_id": 4, "brand": None, **NO_CODE}
P5 = {"product_id": 5, "brand": None, **GARDEN}

EVENTS = [
    # user 1 -- session a1, Saturday morning
    ev("2019-10-05 08:00", user_id=1, user_session="a1", event_type="view", price=100, **P1),
    ev("2019-10-05 08:10", user_id=1, user_session="a1", event_type="view", price=200, **P2),
    ev("2019-10-05 08:20", user_id=1, user_session="a1", event_type="cart", price=100, **P1),
    ev("2019-10-05 08:30", user_id=1, user_session="a1", event_type="purchase", price=100, **P1),
    # session a2, Monday evening: carted, removed, abandoned
    ev("2019-10-07 20:00", user_id=1, user_session="a2", event_type="view", price=50, **P3),
    ev("2019-10-07 20:30", user_id=1, user_session="a2", event_type="cart", price=50, **P3),
    ev("2019-10-07 20:40", user_id=1, user_session="a2", event_type="remove_from_cart", price=50, **P3),
    # session a3, Friday night in the sale; a purchase at price 0
    ev("2019-11-29 02:00", user_id=1, user_session="a3", event_type="view", price=200, **P2),
    ev("2019-11-29 02:05", user_id=1, user_session="a3", event_type="cart", price=200, **P2),
    ev("2019-11-29 02:10", user_id=1, user_session="a3", event_type="purchase", price=200, **P2),
    ev("2019-11-29 02:10", user_id=1, user_session="a3", event_type="purchase", price=0, **P4),
    # no session id, Saturday afternoon in the sale
    ev("2019-11-30 13:00", user_id=1, user_session=None, event_type="view", price=30, **P4),
    # user 2 -- one unpriced view without brand, outside the top-level list
    ev("2019-10-10 12:00", user_id=2, user_session="b1", event_type="view", price=0, **P5),
    # user 3 -- a buyer with two orders
    ev("2019-10-20 10:00", user_id=3, user_session="c1", event_type="view", price=110, **P1),
    ev("2019-10-20 10:01", user_id=3, user_session="c1", event_type="purchase", price=110, **P1),
    ev("2019-10-21 10:00", user_id=3, user_session="c2", event_type="purchase", price=110, **P1),
]
