"""Naming: deterministic, unique within a run, bilingual with French accents, segment 0 fixed."""

from __future__ import annotations

import copy

from segments.naming import NOT_ENOUGH, candidates, name_segments


def _profile(sid: int, z: dict[str, float], means: dict[str, float] | None = None, **extra) -> dict:
    base = {"segment_id": sid, "size": 100, "share": 0.1, "revenue_share": 0.1, "conversion": 0.05,
            "holiday_ratio": 1.0, "z": z, "means": {"purchase_rate": 0.1, "n_carts": 2.0, "n_sessions": 3.0,
                                                    **(means or {})},
            "brands": [], "categories": [], "top_metrics": sorted(z.items(), key=lambda t: -abs(t[1]))[:3],
            "traits": {"en": ["higher spend (+1.0 sd)"], "fr": ["dépenses ↑ (+1,0 é.-t.)"]}}
    base.update(extra)
    return base


PROFILES = [
    _profile(0, {}),
    _profile(1, {"total_spent": 1.5, "n_orders": 1.2}),
    _profile(2, {}, {"purchase_rate": 0.0, "n_carts": 0.1}),
    _profile(3, {"cart_abandonment_rate": 1.5, "n_carts": 1.0}, {"purchase_rate": 0.01}),
    _profile(4, {}, {"purchase_rate": 0.0, "n_carts": 0.2}),  # a second window-shopper profile
    _profile(5, {"brand_hhi_views": 1.2}, brands=[{"brand": "samsung", "lift": 4.0, "share": 0.5}]),
    _profile(6, {}, holiday_ratio=2.5),
]


def test_names_are_deterministic_unique_and_bilingual() -> None:
    first = name_segments(copy.deepcopy(PROFILES))
    second = name_segments(copy.deepcopy(PROFILES))
    assert first == second
    en = [first[s]["name"]["en"] for s in first]
    fr = [first[s]["name"]["fr"] for s in first]
    assert len(set(en)) == len(en) and len(set(fr)) == len(fr)
    assert first[0]["name"] == NOT_ENOUGH and NOT_ENOUGH["fr"] == "Activité insuffisante"
    assert first[1]["name"] == {"en": "Loyal big spenders", "fr": "Gros clients fidèles"}
    assert first[2]["name"]["fr"] == "Lèche-vitrines"
    assert first[3]["name"]["en"] == "Cart abandoners"
    assert first[5]["name"] == {"en": "Samsung fans", "fr": "Fans de Samsung"}
    assert first[6]["name"] == {"en": "Holiday shoppers", "fr": "Acheteurs des fêtes"}


def test_every_segment_has_two_or_three_actions_in_both_languages() -> None:
    named = name_segments(copy.deepcopy(PROFILES))
    for texts in named.values():
        for lang in ("en", "fr"):
            assert 2 <= len(texts["actions"][lang]) <= 3
            assert texts["description"][lang]
    assert "Calendrier : dès la mi-novembre" in named[6]["actions"]["fr"][2]
    assert "des clients" in named[1]["description"]["fr"] and "of users" in named[1]["description"]["en"]


def test_carried_over_names_are_kept_and_reserved() -> None:
    keep = {2: {"en": "Loyal big spenders", "fr": "Gros clients fidèles"}}
    named = name_segments(copy.deepcopy(PROFILES), keep)
    assert named[2]["name"] == keep[2]
    assert named[1]["name"]["en"] != "Loyal big spenders"


def test_candidates_always_include_the_fallback() -> None:
    assert candidates(_profile(9, {}))[-1][1] == "everyday"
