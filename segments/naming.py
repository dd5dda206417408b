"""Deterministic, bilingual names, descriptions and marketing actions for segments, from their profiles.

Each rule in :data:`RULES` looks at a profile (standardised differences ``z`` of the
metrics, the segment's means, its top brand and category lifts) and, when it applies,
returns a strength. Segments are named in id order (largest first): each takes its
strongest applicable name not yet taken; when all are taken it takes its strongest one
qualified by its most distinctive trait, then a number — so names are unique within a run
and the same profiles always give the same names. A taste name (a category or a brand) only when that
taste is among the segment's three most distinguishing traits (:func:`top_traits`). Segment 0 is
always :data:`shopgraph.words.NOT_ENOUGH_ACTIVITY`.
"""

from __future__ import annotations

from collections.abc import Callable

from features import vocabulary
from shopgraph.words import LANGS, NOT_ENOUGH_ACTIVITY

CATEGORY_NAMES = {
    "electronics": ("Electronics shoppers", "Passionnés d'électronique"),
    "appliances": ("Home shoppers", "Clients maison et électroménager"),
    "furniture": ("Home shoppers", "Clients maison et électroménager"),
    "computers": ("Computer shoppers", "Clients informatique"),
    "apparel": ("Fashion shoppers", "Clients mode"),
    "kids": ("Parents and kids shoppers", "Clients enfants et parents"),
    "sport": ("Sports shoppers", "Clients sport"),
    "construction": ("DIY shoppers", "Bricoleurs"),
    "auto": ("Car owners", "Automobilistes"),
    "accessories": ("Accessories shoppers", "Clients accessoires"),
}


def trait(metric: str, z: float, lang: str) -> str:
    """``"higher purchase rate (+1.2 sd)"`` / ``"taux d'achat ↑ (+1,2 é.-t.)"``."""
    label = vocabulary.label(metric, lang)
    if lang == "en":
        return f"{'higher' if z > 0 else 'lower'} {label} ({z:+.1f} sd)"
    return f"{label} {'↑' if z > 0 else '↓'} ({_fr_num(z)} é.-t.)"


def _fr_num(z: float) -> str:
    return f"{z:+.1f}".replace(".", ",")


Profile = dict  # see segments.profile.segment_profile
Rule = Callable[[Profile], float | None]


def _z(p: Profile, metric: str) -> float:
    return float(p["z"].get(metric, 0.0))


def _mean(p: Profile, metric: str) -> float:
    return float(p["means"].get(metric, 0.0) or 0.0)


def _pos(*values: float) -> float | None:
    return sum(values) if all(v > 0 for v in values) else None


#: The traits a brand name ("Garmin fans") rests on: views or purchases concentrated on few brands.
BRAND_TRAITS = ("brand_hhi_views", "brand_hhi_purchases")
TOP_TRAITS = 3


def top_traits(p: Profile) -> list[str]:
    """The segment's ``TOP_TRAITS`` most distinguishing metrics (largest |standardised difference|), as the
    profile lists them."""
    return [m for m, _ in (p.get("top_metrics") or [])[:TOP_TRAITS]]


def _above_in_top(p: Profile, metrics: tuple[str, ...]) -> bool:
    """Whether one of ``metrics`` is among the top traits, above the average customer."""
    return any(m in metrics and z > 0 for m, z in (p.get("top_metrics") or [])[:TOP_TRAITS])


def _brand(p: Profile) -> str | None:
    """The segment's brand, when its brand taste is among its top traits (else a brand name would not fit)."""
    brands = p.get("brands") or []
    strong = brands and brands[0]["lift"] >= 2.0 and brands[0]["share"] >= 0.2
    return brands[0]["brand"] if strong and _above_in_top(p, BRAND_TRAITS) else None


def _top_category(p: Profile) -> tuple[str, float] | None:
    """The segment's category taste, when its share is among its top traits (issue 21: a "DIY shoppers" whose
    top traits are time between visits and visit length is a misnomer)."""
    shares = [(c, _z(p, f"share_{c}")) for c in CATEGORY_NAMES]
    c, z = max(shares, key=lambda t: (t[1], t[0]))
    return (c, z) if z > 0.8 and _above_in_top(p, (f"share_{c}",)) else None


def taste_traits(key: str, p: Profile) -> tuple[str, ...]:
    """The traits a taste name of rule ``key`` rests on (empty for a behavioural rule)."""
    if key == "brand_fans":
        return BRAND_TRAITS
    if key == "category":
        shares = [(c, _z(p, f"share_{c}")) for c in CATEGORY_NAMES]
        return (f"share_{max(shares, key=lambda t: (t[1], t[0]))[0]}",)
    return ()


# key -> (en, fr, newsletter theme en/fr, promotion en/fr, rule)
RULES: dict[str, tuple[str, str, tuple[str, str], tuple[str, str], Rule]] = {
    "bots": (
        "Heavy browsers (likely bots)",
        "Navigateurs intensifs (robots probables)",
        ("none: exclude from campaigns", "aucune : exclure des campagnes"),
        ("none; check traffic quality", "aucune ; vérifier la qualité du trafic"),
        lambda p: _z(p, "events_per_session") * 2 if _z(p, "events_per_session") > 2.5 and p["share"] < 0.02 else None,
    ),
    "loyal_big_spenders": (
        "Loyal big spenders",
        "Gros clients fidèles",
        ("new arrivals and premium picks", "nouveautés et sélection premium"),
        ("VIP early access, no discount", "accès VIP en avant-première, sans remise"),
        lambda p: _pos(_z(p, "total_spent") - 0.8, _z(p, "n_orders") - 0.5),
    ),
    "frequent_small_basket": (
        "Frequent small-basket buyers",
        "Acheteurs fréquents à petit panier",
        ("everyday essentials and refills", "essentiels du quotidien et réassort"),
        ("bundle offers and free-shipping threshold", "offres groupées et seuil de livraison offerte"),
        lambda p: _pos(_z(p, "n_sessions") - 0.8, _z(p, "purchase_rate") - 0.3, 0.3 - _z(p, "price_index_viewed")),
    ),
    "premium_buyers": (
        "Premium buyers",
        "Acheteurs haut de gamme",
        ("flagship products and expert reviews", "produits phares et avis d'experts"),
        ("extended warranty or premium service", "garantie étendue ou service premium"),
        lambda p: _pos(_z(p, "price_index_viewed") - 0.8, _z(p, "purchase_rate")),
    ),
    "holiday_shoppers": (
        "Holiday shoppers",
        "Acheteurs des fêtes",
        ("gift guides", "guides de cadeaux"),
        ("early-bird holiday offers", "offres de fêtes en avant-première"),
        lambda p: (p["holiday_ratio"] - 1.5) * 2 if p["holiday_ratio"] > 1.5 else None,
    ),
    "bargain_hunters": (
        "Bargain hunters",
        "Chasseurs de bonnes affaires",
        ("deals of the week", "bons plans de la semaine"),
        ("flash sales and price-drop alerts", "ventes flash et alertes baisse de prix"),
        lambda p: (
            _pos(_z(p, "promo_share") - 0.5, -_z(p, "price_index_viewed") - 0.3)
            or _pos(_z(p, "below_median_purchase_share") - 0.8, _z(p, "purchase_rate"))
        ),
    ),
    "brand_fans": (
        "{brand} fans",
        "Fans de {brand}",
        ("{brand} news and launches", "actualités et lancements {brand}"),
        ("{brand} accessories bundle", "pack d'accessoires {brand}"),
        lambda p: (
            (_z(p, "brand_hhi_views") + p["brands"][0]["lift"] / 2)
            if _brand(p) and _z(p, "brand_hhi_views") > 0.5
            else None
        ),
    ),
    "cart_abandoners": (
        "Cart abandoners",
        "Abandonnistes de panier",
        ("the items they left behind", "les articles laissés au panier"),
        ("basket reminder with a time-limited discount", "relance panier avec remise limitée dans le temps"),
        # converts little: under 5 % of visits, or below the average customer (a
        # segment abandoning the most carts at 6.8 % conversion is still one)
        lambda p: _pos(
            _z(p, "cart_abandonment_rate") - 0.3,
            _z(p, "n_carts") - 0.3,
            max(0.05 - _mean(p, "purchase_rate"), -_z(p, "purchase_rate")),
        ),
    ),
    "window_shoppers": (
        "Window shoppers",
        "Lèche-vitrines",
        ("inspiration and best sellers", "inspiration et meilleures ventes"),
        ("first-purchase welcome discount", "remise de bienvenue sur le premier achat"),
        lambda p: (
            (1.0 - 20 * _mean(p, "purchase_rate"))
            if _mean(p, "purchase_rate") < 0.02 and _mean(p, "n_carts") < 0.5
            else None
        ),
    ),
    "category": (
        "{category_en}",
        "{category_fr}",
        ("what is new in {cat_en}", "les nouveautés {cat_fr}"),
        ("{cat_en} category promotion", "promotion sur la catégorie {cat_fr}"),
        lambda p: _top_category(p)[1] if _top_category(p) else None,
    ),
    "one_time_visitors": (
        "One-time visitors",
        "Visiteurs d'un jour",
        ("welcome back: what you viewed", "bon retour : ce que vous avez consulté"),
        ("come-back voucher", "bon de retour"),
        lambda p: (1.5 - _mean(p, "n_sessions")) * 2 if _mean(p, "n_sessions") < 1.5 else None,
    ),
    "loyal_regulars": (
        "Loyal regulars",
        "Habitués fidèles",
        ("members' news", "actualités des membres"),
        ("loyalty points", "points de fidélité"),
        lambda p: _z(p, "months_active") if _z(p, "months_active") > 0.8 else None,
    ),
    "lapsed": (
        "Lapsed customers",
        "Clients endormis",
        ("we miss you: what is new", "vous nous manquez : les nouveautés"),
        ("win-back offer", "offre de reconquête"),
        # lapsed *customers*: they bought (at least one order per two members on average) and
        # have not come back; browsers who never bought are not lapsed customers
        lambda p: _z(p, "recency_days") if _z(p, "recency_days") > 0.8 and _mean(p, "n_orders") >= 0.5 else None,
    ),
    "night_owls": (
        "Night owls",
        "Noctambules",
        ("late-night picks", "sélection de fin de soirée"),
        ("night-only flash deal", "vente flash nocturne"),
        lambda p: _z(p, "share_night") if _z(p, "share_night") > 1.0 else None,
    ),
    "everyday": (
        "Everyday shoppers",
        "Clients du quotidien",
        ("best sellers", "meilleures ventes"),
        ("seasonal promotion", "promotion saisonnière"),
        lambda p: 0.0,
    ),
}


def _fill(text: str, p: Profile) -> str:
    brand = _brand(p)
    cat = _top_category(p)
    c = cat[0] if cat else "other"
    en, fr = CATEGORY_NAMES.get(c, ("Shoppers", "Clients"))
    cat_fr = vocabulary.CATEGORY_FR.get(c, c)
    return text.format(brand=(brand or "brand").title(), category_en=en, category_fr=fr, cat_en=c, cat_fr=cat_fr)


def candidates(p: Profile) -> list[tuple[float, str]]:
    """Applicable rule keys with their strengths, strongest first (ties: rule order)."""
    out = []
    for order, (key, rule) in enumerate((k, r[4]) for k, r in RULES.items()):
        strength = rule(p)
        if strength is not None:
            out.append((float(strength), order, key))
    return [(s, k) for s, _, k in sorted(out, key=lambda t: (-t[0], t[1]))]


def timing(p: Profile) -> dict[str, str]:
    """When to send: the part of day the segment over-indexes on most, and weekend or weekdays."""
    part = max(vocabulary.PARTS_OF_DAY, key=lambda x: (_z(p, f"share_{x}"), x))
    weekend = _z(p, "weekend_share") > 0.2
    day_en, day_fr = ("on weekends", "le week-end") if weekend else ("on weekdays", "en semaine")
    when_en, when_fr = vocabulary.PARTS_OF_DAY[part]
    if p.get("holiday_ratio", 1) > 1.5:
        return {
            "en": f"Timing: from mid-November, {day_en} {when_en}",
            "fr": f"Calendrier : dès la mi-novembre, {day_fr} {when_fr}",
        }
    return {"en": f"Timing: {day_en} {when_en}", "fr": f"Calendrier : {day_fr} {when_fr}"}


def _texts(key: str, p: Profile) -> dict[str, dict[str, object]]:
    en, fr, theme, promo, _ = RULES[key]
    t = timing(p)
    return {
        "name": {"en": _fill(en, p), "fr": _fill(fr, p)},
        "actions": {
            "en": [f"Newsletter: {_fill(theme[0], p)}", f"Promotion: {_fill(promo[0], p)}", t["en"]],
            "fr": [f"Newsletter : {_fill(theme[1], p)}", f"Promotion : {_fill(promo[1], p)}", t["fr"]],
        },
    }


def describe(p: Profile, lang: str) -> str:
    """One sentence: size, revenue share, conversion, and the strongest traits."""
    traits = p.get("traits", {}).get(lang, [])[:3]
    if lang == "en":
        return (
            f"{p['share']:.0%} of users, {p['revenue_share']:.0%} of revenue, session conversion "
            f"{p['conversion']:.1%}" + (f"; {', '.join(traits)}" if traits else "") + "."
        )
    share = f"{p['share'] * 100:.0f} %".replace(".", ",")
    rev = f"{p['revenue_share'] * 100:.0f} %".replace(".", ",")
    conv = f"{p['conversion'] * 100:.1f} %".replace(".", ",")
    return (
        f"{share} des clients, {rev} du chiffre d'affaires, conversion par visite {conv}"
        + (f" ; {', '.join(traits)}" if traits else "")
        + "."
    )


def _rule_naming(name: str, p: Profile) -> str | None:
    """The applicable rule of ``p`` that gives ``name`` (or the name it was qualified from), if any."""
    for _, k in candidates(p):
        base = _texts(k, p)["name"]["en"]
        qualified = name.startswith(base + " (")  # "Everyday shoppers (high spend)"
        numbered = name.startswith(base + " ") and name[len(base) + 1 :].isdigit()  # "Window shoppers 2"
        if name == base or qualified or numbered:
            return k
    return None


def still_true(profiles: list[Profile], keep: dict[int, dict[str, str]]) -> dict[int, dict[str, str]]:
    """The carried-over names that still describe their segment: a name whose rule no longer applies to
    the new profile (a merged "Fashion shoppers" now shopping bargains) is dropped and named afresh."""
    by_id = {p["segment_id"]: p for p in profiles}
    return {sid: n for sid, n in keep.items() if sid in by_id and _rule_naming(n["en"], by_id[sid])}


def name_segments(profiles: list[Profile], keep: dict[int, dict[str, str]] | None = None) -> dict[int, dict]:
    """Names, descriptions and actions for every profile (by ``segment_id``), unique within the run.

    ``keep`` maps segment ids to names carried over from the previous run (lineage): those that
    still describe their segment (:func:`still_true`) are used as they are, with their rule's
    actions, and reserved first; the others are named afresh.
    """
    keep = still_true(profiles, keep or {})
    taken: set[str] = {n["en"] for sid, n in keep.items() if any(p["segment_id"] == sid for p in profiles)}
    out: dict[int, dict] = {}
    # each name goes to the segment where its rule is strongest (greedy over all (strength, segment, rule)
    # pairs, strongest first; ties: lower segment id, then rule order); "everyday" (strength 0) last
    pairs = sorted(
        (
            (s, p["segment_id"], order, k)
            for p in profiles
            if p["segment_id"] and p["segment_id"] not in keep
            for order, (s, k) in enumerate(_options(p))
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    given: dict[int, str] = {}
    for _s, sid, _o, k in pairs:
        p = next(q for q in profiles if q["segment_id"] == sid)
        name = _texts(k, p)["name"]["en"]
        if sid not in given and name not in taken and not (k == "everyday" and name in given.values()):
            given[sid] = k
            taken.add(name)
    taken = {n["en"] for sid, n in keep.items() if any(p["segment_id"] == sid for p in profiles)}
    for p in sorted(profiles, key=lambda q: q["segment_id"]):
        sid = p["segment_id"]
        if sid == 0:
            texts = {
                "name": dict(NOT_ENOUGH_ACTIVITY),
                "actions": {
                    "en": [
                        "Newsletter: welcome series and best sellers",
                        "Promotion: first-purchase discount",
                        "Timing: after the second visit",
                    ],
                    "fr": [
                        "Newsletter : série de bienvenue et meilleures ventes",
                        "Promotion : remise sur le premier achat",
                        "Calendrier : après la deuxième visite",
                    ],
                },
                "rule": "threshold",
            }
        else:
            options = _options(p)
            if sid in given:
                options = [(0.0, given[sid])] + [o for o in options if o[1] != given[sid]]
            key = options[0][1]
            texts = _texts(key, p)
            if sid in keep:
                key = _rule_naming(keep[sid]["en"], p) or key
                texts = _texts(key, p)
                texts["name"] = dict(keep[sid])
            else:
                for _, k in options:
                    if _texts(k, p)["name"]["en"] not in taken:
                        key, texts = k, _texts(k, p)
                        break
                else:
                    texts = _qualified(texts, p, taken)
            texts["rule"] = key
            taken.add(texts["name"]["en"])
        texts["description"] = {lang: describe(p, lang) for lang in LANGS}
        out[sid] = texts
    return out


def _options(p: Profile) -> list[tuple[float, str]]:
    """The names a segment may take, strongest first: the fallback "Everyday shoppers" only when no other
    rule fits, so a never-buying browser segment whose "Window shoppers" went to a larger one becomes
    "Window shoppers (high …)", not "Everyday shoppers"."""
    options = candidates(p)
    specific = [o for o in options if o[1] != "everyday"]
    return specific or options


def _qualified(texts: dict, p: Profile, taken: set[str]) -> dict:
    """A name already given, qualified by the segment's first distinguishing trait whose qualified name is
    free ("Everyday shoppers (high spend)"); a number only when all three are taken."""
    names = [_with_trait(texts["name"], metric, z) for metric, z in (p.get("top_metrics") or [])[:3]]
    for name in names:
        if name["en"] not in taken:
            return {**texts, "name": name}
    base = names[0] if names else dict(texts["name"])
    name, number = dict(base), 2
    while name["en"] in taken:
        name = {lang: f"{base[lang]} {number}" for lang in LANGS}
        number += 1
    return {**texts, "name": name}


def _with_trait(name: dict[str, str], metric: str, z: float) -> dict[str, str]:
    return {lang: f"{name[lang]} ({vocabulary.high_or_low(metric, z > 0, lang)})" for lang in LANGS}
