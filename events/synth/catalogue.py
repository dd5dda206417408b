"""The shop's catalogue: categories with dotted codes and 19-digit ids, brands, products, prices.

The category and brand tables are data; :func:`build_catalogue` draws the products from them
(category, brand, base price, popularity, monthly price drift), a few free products, and the
two brand families the loyalist personas shop in, dealt out so that both families have the
same mix of categories and prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# (category_code or None, traffic weight, median price, log-normal sigma, groups)
# groups: e = big-ticket electronics, g = gifts (the home and fashion tastes are TASTE_CATEGORIES)
CATEGORIES: tuple[tuple[str | None, float, float, float, str], ...] = (
    ("electronics.smartphone", 26.0, 260.0, 0.75, "eg"),
    ("electronics.clocks", 3.5, 240.0, 0.8, "g"),
    ("electronics.audio.headphone", 3.0, 25.0, 0.9, "g"),
    ("electronics.audio.subwoofer", 0.4, 150.0, 0.6, ""),
    ("electronics.audio.acoustic", 0.5, 90.0, 0.8, "g"),
    ("electronics.audio.microphone", 0.2, 20.0, 0.7, ""),
    ("electronics.video.tv", 1.8, 370.0, 0.7, "eg"),
    ("electronics.video.projector", 0.2, 350.0, 0.6, "e"),
    ("electronics.tablet", 0.6, 380.0, 0.6, "eg"),
    ("electronics.telephone", 0.5, 40.0, 0.6, ""),
    ("electronics.camera.photo", 0.3, 520.0, 0.7, "e"),
    ("electronics.camera.video", 0.2, 130.0, 0.7, ""),
    ("computers.notebook", 3.2, 410.0, 0.6, "e"),
    ("computers.desktop", 0.9, 550.0, 0.6, "e"),
    ("computers.peripherals.monitor", 0.6, 300.0, 0.6, "e"),
    ("computers.peripherals.printer", 0.4, 120.0, 0.7, ""),
    ("computers.peripherals.mouse", 0.3, 20.0, 0.7, ""),
    ("computers.peripherals.keyboard", 0.2, 25.0, 0.7, ""),
    ("computers.components.hdd", 0.6, 50.0, 0.8, ""),
    ("computers.components.videocards", 0.5, 250.0, 0.8, "e"),
    ("computers.components.motherboard", 0.2, 90.0, 0.6, ""),
    ("computers.components.power_supply", 0.2, 60.0, 0.5, ""),
    ("appliances.kitchen.refrigerators", 1.2, 290.0, 0.6, "e"),
    ("appliances.kitchen.washer", 1.6, 300.0, 0.5, "e"),
    ("appliances.kitchen.dishwasher", 0.3, 320.0, 0.4, "e"),
    ("appliances.kitchen.microwave", 0.4, 70.0, 0.5, ""),
    ("appliances.kitchen.kettle", 0.4, 20.0, 0.6, ""),
    ("appliances.kitchen.blender", 0.5, 45.0, 0.7, ""),
    ("appliances.kitchen.meat_grinder", 0.6, 60.0, 0.5, ""),
    ("appliances.kitchen.oven", 0.2, 80.0, 0.7, ""),
    ("appliances.kitchen.grill", 0.2, 60.0, 0.8, ""),
    ("appliances.environment.vacuum", 1.3, 150.0, 0.8, "g"),
    ("appliances.environment.air_heater", 1.0, 40.0, 0.6, ""),
    ("appliances.environment.water_heater", 0.8, 80.0, 0.7, ""),
    ("appliances.environment.air_conditioner", 0.3, 250.0, 0.5, "e"),
    ("appliances.iron", 0.4, 35.0, 0.6, ""),
    ("appliances.sewing_machine", 0.3, 170.0, 0.5, ""),
    ("appliances.personal.hair_cutter", 0.2, 40.0, 0.6, "g"),
    ("apparel.shoes", 1.2, 55.0, 0.6, "g"),
    ("apparel.shoes.keds", 1.4, 50.0, 0.6, ""),
    ("apparel.shoes.slipons", 0.3, 45.0, 0.5, ""),
    ("apparel.tshirt", 0.3, 15.0, 0.6, ""),
    ("apparel.jacket", 0.4, 80.0, 0.7, "g"),
    ("furniture.living_room.sofa", 0.3, 500.0, 0.6, ""),
    ("furniture.living_room.cabinet", 0.6, 250.0, 0.7, ""),
    ("furniture.living_room.chair", 0.2, 60.0, 0.6, ""),
    ("furniture.bedroom.bed", 0.4, 380.0, 0.6, ""),
    ("furniture.kitchen.table", 0.4, 280.0, 0.6, ""),
    ("furniture.kitchen.chair", 0.3, 20.0, 0.6, ""),
    ("furniture.bathroom.toilet", 0.2, 75.0, 0.5, ""),
    ("kids.toys", 0.8, 25.0, 0.9, "g"),
    ("kids.carriage", 0.4, 120.0, 0.6, "g"),
    ("kids.skates", 0.2, 60.0, 0.8, "g"),
    ("sport.bicycle", 0.4, 370.0, 0.6, ""),
    ("sport.snowboard", 0.1, 200.0, 0.6, "g"),
    ("construction.tools.drill", 0.6, 45.0, 0.8, "g"),
    ("construction.tools.saw", 0.6, 290.0, 0.6, ""),
    ("construction.tools.welding", 0.3, 370.0, 0.4, ""),
    ("construction.tools.pump", 0.3, 50.0, 0.7, ""),
    ("auto.accessories.player", 0.7, 260.0, 0.6, ""),
    ("auto.accessories.alarm", 0.7, 150.0, 0.5, ""),
    ("auto.accessories.videoregister", 0.5, 35.0, 0.6, ""),
    ("auto.accessories.compressor", 0.2, 240.0, 0.5, ""),
    ("accessories.bag", 0.3, 28.0, 0.7, "g"),
    ("accessories.wallet", 0.1, 20.0, 0.6, "g"),
    ("stationery.cartrige", 0.2, 12.0, 0.6, ""),
    ("country_yard.lawn_mower", 0.2, 180.0, 0.6, ""),
    ("medicine.tools.tonometer", 0.1, 35.0, 0.4, ""),
    # categories without a code, as in the real files (cosmetics, household, tyres …)
    (None, 6.4, 360.0, 0.8, "g"),  # perfume and cosmetics make gifts
    (None, 2.8, 35.0, 0.8, "g"),
    (None, 2.2, 380.0, 0.6, ""),
    (None, 1.7, 40.0, 0.7, ""),
    (None, 1.4, 60.0, 0.6, ""),
    (None, 1.3, 15.0, 0.6, ""),
    (None, 1.1, 120.0, 0.7, ""),
    (None, 1.0, 25.0, 0.8, ""),
    (None, 0.8, 200.0, 0.7, ""),
    (None, 0.8, 10.0, 0.7, ""),
    (None, 0.7, 75.0, 0.6, ""),
    (None, 0.7, 30.0, 0.6, ""),
    (None, 0.6, 45.0, 0.7, ""),
    (None, 0.6, 90.0, 0.6, ""),
    (None, 0.4, 15.0, 0.5, ""),
    (None, 0.4, 150.0, 0.6, ""),
    (None, 0.3, 20.0, 0.6, ""),
    (None, 0.3, 250.0, 0.5, ""),
)

# brands per top-level category, most popular first (Zipf); "" = categories without a code
BRANDS: dict[str, tuple[str, ...]] = {
    "electronics": (
        *("samsung", "apple", "xiaomi", "huawei", "oppo", "sony", "lg", "nokia", "honor"),
        *("casio", "jbl", "meizu", "vivo", "philips", "sennheiser", "canon", "nikon", "garmin"),
    ),
    "computers": (
        *("acer", "lenovo", "hp", "asus", "dell", "apple", "msi", "pulser"),
        *("seagate", "kingston", "logitech", "gigabyte", "epson", "canon", "wd", "a4tech"),
    ),
    "appliances": (
        *("bosch", "lg", "samsung", "indesit", "artel", "elenberg", "polaris"),
        *("redmond", "vitek", "haier", "tefal", "beko", "atlant", "midea"),
        *("gorenje", "electrolux", "philips", "braun", "scarlett", "aqua"),
    ),
    "apparel": (
        *("nike", "adidas", "baden", "respect", "puma", "reebok"),
        *("tamaris", "rieker", "ecco", "skechers", "kapika", "betsy"),
    ),
    "furniture": ("brw", "askona", "sv", "dauscher", "lavsit", "stolline", "mebelson", "cersanit"),
    "kids": ("lego", "hasbro", "mattel", "chicco", "tutti", "cybex", "happybaby", "hot_wheels"),
    "sport": ("stels", "forward", "stern", "nordway", "merida", "author", "ridex"),
    "construction": ("bosch", "makita", "dewalt", "interskol", "zubr", "hammer", "einhell", "ryobi"),
    "auto": ("starline", "pioneer", "kenwood", "sho-me", "alpine", "pandora", "berkut", "aiken"),
    "accessories": ("samsonite", "xiaomi", "wenger", "victorinox", "tatonka", "hedgren"),
    "stationery": ("hp", "canon", "epson", "brother", "cactus"),
    "country_yard": ("huter", "champion", "patriot", "makita"),
    "medicine": ("omron", "and", "microlife", "beurer"),
    "": (
        *("shiseido", "lucente", "cordiant", "creed", "luminarc", "triangle", "nokian", "oasis"),
        *("michelin", "tefal", "lorealparis", "nivea", "garnier", "estel", "kapous", "yokohama"),
    ),
}
LONG_TAIL_BRANDS = 12  # invented minor brands added to each pool
_SYLLABLES = (
    *("ka", "ro", "vi", "ten", "lo", "mar", "zen", "to", "ri", "sa", "bel", "ox"),
    *("nu", "del", "fa", "gor", "ix", "ly", "mo", "pra", "sun", "tek", "vel", "wa"),
)
MIN_PRODUCTS_PER_CATEGORY = 8
MAX_PRODUCTS = 250_000
USERS_PER_PRODUCT = 8  # beyond the minimum per category, the catalogue grows with traffic
MISSING_BRAND_RATE = 0.09
ZERO_PRICE_RATE = 0.002
# the two category tastes of frequent small-basket shoppers: small goods of the home (appliances,
# furniture, construction) and of fashion (apparel, accessories), picked so that their traffic and
# prices match (geometric mean of the medians ≈ 44 vs 46; each family draws 3 distinct favourites)
TASTE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "home": (
        "appliances.environment.air_heater",
        "appliances.environment.water_heater",
        "appliances.kitchen.meat_grinder",
        "construction.tools.drill",
        "appliances.kitchen.blender",
        "appliances.kitchen.kettle",
        "appliances.iron",
        "furniture.kitchen.chair",
    ),
    "fashion": (
        "apparel.shoes",
        "apparel.shoes.keds",
        "apparel.shoes.slipons",
        "apparel.tshirt",
        "apparel.jacket",
        "accessories.bag",
        "accessories.wallet",
    ),
}
# the two brand tastes of brand loyalists: families of electronics brands, each grown from its
# anchor by adding the catalogue's next most-viewed electronics brand to the lighter family
BRAND_FAMILIES: dict[str, str] = {"apple_family": "apple", "samsung_family": "samsung"}  # family → anchor
BRAND_FAMILY_SIZE = 4
BRAND_FAMILY_TOP = "electronics"  # loyalists view and buy their brands' products of this top-level category


class GroupSampler:
    """Draw an item of a given group (category, brand) with probability ∝ its weight, vectorised."""

    def __init__(self, group_of_item: np.ndarray, weight: np.ndarray, n_groups: int) -> None:
        self.order = np.lexsort((np.arange(len(group_of_item)), group_of_item))
        g = group_of_item[self.order]
        w = weight[self.order].astype(np.float64)
        cum = np.cumsum(w)
        starts = np.searchsorted(g, np.arange(n_groups), side="left")
        ends = np.searchsorted(g, np.arange(n_groups), side="right")
        base = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
        total = np.where(ends > starts, cum[np.maximum(ends - 1, 0)] - base, 1.0)
        within = (cum - base[g]) / total[g]
        last = ends[ends > starts] - 1
        within[last] = 1.0
        self.key = g + within
        self.starts, self.ends = starts, ends

    def sample(self, groups: np.ndarray, u: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.key, groups + u, side="right")
        pos = np.clip(pos, self.starts[groups], np.maximum(self.ends[groups] - 1, self.starts[groups]))
        return self.order[pos]


@dataclass
class Catalogue:
    """The products of one generated shop and the samplers the sessions draw them with."""

    category_ids: np.ndarray
    category_codes: list[str | None]
    category_weight: np.ndarray  # traffic share per category
    group_mask: dict[str, np.ndarray]  # persona category group → bool per category
    product_category: np.ndarray
    product_ids: np.ndarray
    product_brand: np.ndarray  # index into brand_names, -1 = missing
    brand_names: list[str]
    base_price: np.ndarray
    month_drift: np.ndarray  # (products, months)
    by_popularity: GroupSampler  # products of a category, ∝ popularity
    by_brand: GroupSampler  # products of a brand in BRAND_FAMILY_TOP, ∝ popularity
    price_order: np.ndarray  # products sorted by (category, base price)
    category_start: np.ndarray
    category_size: np.ndarray
    brand_families: dict[str, np.ndarray]  # family → its brands (indices into brand_names), anchor first
    brand_family_weight: dict[str, np.ndarray]  # family → its brands' share of the family's traffic

    @property
    def products(self) -> int:
        return len(self.product_ids)

    def brand_family_names(self) -> dict[str, tuple[str, ...]]:
        """Family → the names of its brands, anchor first."""
        return {name: tuple(self.brand_names[b] for b in m) for name, m in self.brand_families.items()}

    def arrow(self) -> pa.Table:
        """One row per product: the columns a month file takes from the catalogue, by ``product_idx``."""
        codes = pa.array(self.category_codes, pa.string()).take(pa.array(self.product_category))
        brand_idx = np.where(self.product_brand >= 0, self.product_brand, 0)
        brands = pa.array(self.brand_names, pa.string()).take(pa.array(brand_idx))
        brands = pc.if_else(pa.array(self.product_brand >= 0), brands, pa.scalar(None, pa.string()))
        return pa.table(
            {
                "product_idx": pa.array(np.arange(self.products, dtype=np.int32)),
                "product_id": pa.array(self.product_ids),
                "category_id": pa.array(self.category_ids[self.product_category]),
                "category_code": codes,
                "brand": brands,
            }
        )


@dataclass
class _Categories:
    codes: list[str | None]
    weight: np.ndarray  # traffic share
    median: np.ndarray  # median price
    sigma: np.ndarray  # log-normal sigma of the price
    ids: np.ndarray
    group_mask: dict[str, np.ndarray]

    def in_top(self, top: str) -> np.ndarray:
        """Per category: whether its code's top level is ``top`` ("" for the categories without a code)."""
        return np.array([(c or "").split(".")[0] == top for c in self.codes])


@dataclass
class _Brands:
    names: list[str]
    index: dict[str, int]  # name → position in names
    pools: dict[str, np.ndarray]  # top-level category → its brands, most popular first


@dataclass
class _Products:
    category: np.ndarray  # sorted
    popularity: np.ndarray
    base_price: np.ndarray
    brand: np.ndarray  # index into the brand names, -1 = missing
    ids: np.ndarray
    month_drift: np.ndarray  # (products, months)
    traffic: np.ndarray  # share of traffic: category weight × popularity within the category


def build_catalogue(rng: np.random.Generator, users: int, n_months: int) -> Catalogue:
    """The catalogue of a shop with ``users`` users over ``n_months`` calendar months."""
    categories = _categories(rng)
    brands = _brand_pools(rng)
    products = _products(rng, categories, brands, users, n_months)
    _make_some_free(rng, products)
    in_family_top = categories.in_top(BRAND_FAMILY_TOP)[products.category]
    families = _grow_brand_families(products, in_family_top, brands)
    _deal_family_products(rng, products, in_family_top, families, brands)
    top_traffic = _brand_traffic(products, in_family_top, len(brands.names))
    families = {name: m[top_traffic[m] > 0] for name, m in families.items()}  # brands left with products
    n_cat, n_products = len(CATEGORIES), len(products.ids)
    price_order = np.lexsort((np.arange(n_products), products.base_price, products.category))
    brand_group = np.where((products.brand >= 0) & in_family_top, products.brand, len(brands.names))
    return Catalogue(
        category_ids=categories.ids,
        category_codes=categories.codes,
        category_weight=categories.weight,
        group_mask=categories.group_mask,
        product_category=products.category,
        product_ids=products.ids,
        product_brand=products.brand,
        brand_names=brands.names,
        base_price=products.base_price,
        month_drift=products.month_drift,
        by_popularity=GroupSampler(products.category, products.popularity, n_cat),
        # flatter inside a brand
        by_brand=GroupSampler(brand_group, np.sqrt(products.popularity), len(brands.names) + 1),
        price_order=price_order,
        category_start=np.searchsorted(products.category[price_order], np.arange(n_cat), side="left"),
        category_size=np.bincount(products.category, minlength=n_cat),
        brand_families=families,
        brand_family_weight=_family_weights(families, top_traffic),
    )


def _categories(rng: np.random.Generator) -> _Categories:
    """:data:`CATEGORIES` as arrays, with random 19-digit ids and the personas' category groups."""
    n_cat = len(CATEGORIES)
    codes = [c[0] for c in CATEGORIES]
    weight = np.array([c[1] for c in CATEGORIES])
    ids = np.sort(rng.choice(122_406_043_093_967_522, n_cat, replace=False)) + 2_053_013_552_000_000_000
    ids = rng.permutation(ids).astype(np.int64)
    group_mask = {"all": np.ones(n_cat, bool)}
    for g in "eg":
        group_mask[g] = np.array([g in c[4] for c in CATEGORIES])
    for taste, members in TASTE_CATEGORIES.items():
        group_mask[taste] = np.array([c in members for c in codes])
    return _Categories(
        codes=codes,
        weight=weight / weight.sum(),
        median=np.array([c[2] for c in CATEGORIES]),
        sigma=np.array([c[3] for c in CATEGORIES]),
        ids=ids,
        group_mask=group_mask,
    )


def _invented_brand(rng: np.random.Generator) -> str:
    n = int(rng.integers(2, 4))
    return "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), n))


def _brand_pools(rng: np.random.Generator) -> _Brands:
    """Brand pools per top-level category: :data:`BRANDS` and invented long-tail brands; one name, one index."""
    brands = _Brands(names=[], index={}, pools={})
    for top, names in BRANDS.items():
        pool = list(names) + [_invented_brand(rng) for _ in range(LONG_TAIL_BRANDS)]
        idx = []
        for name in pool:
            if name not in brands.index:
                brands.index[name] = len(brands.names)
                brands.names.append(name)
            idx.append(brands.index[name])
        brands.pools[top] = np.array(idx)
    return brands


def _products(
    rng: np.random.Generator, categories: _Categories, brands: _Brands, users: int, n_months: int
) -> _Products:
    """Every product's category, popularity, base price, brand, id and monthly price drift."""
    n_cat = len(CATEGORIES)
    n_products = int(np.clip(users // USERS_PER_PRODUCT, MIN_PRODUCTS_PER_CATEGORY * n_cat + 200, MAX_PRODUCTS))
    # every category has a few products (so that a price taste has a choice even in a small
    # catalogue); the rest follow traffic (more traffic, more products)
    category = np.concatenate(
        [
            np.repeat(np.arange(n_cat), MIN_PRODUCTS_PER_CATEGORY),
            rng.choice(n_cat, n_products - MIN_PRODUCTS_PER_CATEGORY * n_cat, p=categories.weight),
        ]
    )
    category = np.sort(category)
    popularity = rng.lognormal(0.0, 1.3, n_products)
    base_price = rng.lognormal(np.log(categories.median[category]), categories.sigma[category])
    base_price = np.round(np.clip(base_price, 0.8, 30_000.0), 2)
    brand = np.empty(n_products, np.int64)
    for top, pool in brands.pools.items():  # Zipf inside each top-level category
        in_top = categories.in_top(top)[category]
        zipf = 1.0 / np.arange(1, len(pool) + 1) ** 1.15
        brand[in_top] = pool[rng.choice(len(pool), int(in_top.sum()), p=zipf / zipf.sum())]
    brand[rng.random(n_products) < MISSING_BRAND_RATE] = -1
    serial = np.arange(n_products) - np.searchsorted(category, category, side="left")
    cat_prefix = (rng.permutation(n_cat) + 2) * 500_000
    ids = (cat_prefix[category] + 1 + serial * 3 + rng.integers(0, 3, n_products)).astype(np.int64)
    month_drift = (1.0 + 0.02 * rng.standard_normal((n_products, n_months))).clip(0.9, 1.1)
    cat_pop = np.bincount(category, popularity, n_cat)
    traffic = categories.weight[category] * popularity / cat_pop[category]
    return _Products(category, popularity, base_price, brand, ids, month_drift, traffic)


def _make_some_free(rng: np.random.Generator, products: _Products) -> None:
    """A few products cost 0 (as in the real files); drawn by traffic so that even small runs show them."""
    n_products = len(products.ids)
    n_free = max(2, round(ZERO_PRICE_RATE * n_products))
    p = products.traffic / products.traffic.sum()
    products.base_price[rng.choice(n_products, n_free, replace=False, p=p)] = 0.0


def _brand_traffic(products: _Products, in_family_top: np.ndarray, n_brands: int) -> np.ndarray:
    """Per brand: its products' traffic inside :data:`BRAND_FAMILY_TOP`."""
    m = (products.brand >= 0) & in_family_top
    return np.bincount(products.brand[m], products.traffic[m], n_brands)


def _family_weights(families: dict[str, np.ndarray], top_traffic: np.ndarray) -> dict[str, np.ndarray]:
    return {name: top_traffic[m] / top_traffic[m].sum() for name, m in families.items()}


def _grow_brand_families(products: _Products, in_family_top: np.ndarray, brands: _Brands) -> dict[str, np.ndarray]:
    """The brand families, anchor first (:data:`BRAND_FAMILIES`).

    Every anchor gets products in the family's top-level category; then each next most-viewed
    named brand of that category joins the family with the least traffic so far.
    """
    for anchor in BRAND_FAMILIES.values():
        if not (in_family_top & (products.brand == brands.index[anchor])).any():
            products.brand[np.flatnonzero(in_family_top)[0]] = brands.index[anchor]
    top_traffic = _brand_traffic(products, in_family_top, len(brands.names))
    families = {name: [brands.index[anchor]] for name, anchor in BRAND_FAMILIES.items()}
    candidates = [
        brands.index[b]
        for b in BRANDS[BRAND_FAMILY_TOP]
        if top_traffic[brands.index[b]] > 0 and b not in BRAND_FAMILIES.values()
    ]
    for b in sorted(candidates, key=lambda b: -top_traffic[b]):  # stable: ties keep the BRANDS order
        open_ = [name for name, members in families.items() if len(members) < BRAND_FAMILY_SIZE]
        if not open_:
            break
        lightest = min(open_, key=lambda name: top_traffic[families[name]].sum())
        families[lightest].append(b)
    return {name: np.array(members, np.int64) for name, members in families.items()}


def _deal_family_products(
    rng: np.random.Generator,
    products: _Products,
    in_family_top: np.ndarray,
    families: dict[str, np.ndarray],
    brands: _Brands,
) -> None:
    """Deal the families' products out again, alternately in order of (category, price).

    So both families have the same mix of categories and prices even in a small catalogue.
    Inside a family a product keeps its brand if it was already the family's, else gets one
    ∝ the family's traffic; every anchor keeps at least one product.
    """
    weights = _family_weights(families, _brand_traffic(products, in_family_top, len(brands.names)))
    names = list(families)
    dealt = np.flatnonzero(in_family_top & np.isin(products.brand, np.concatenate(list(families.values()))))
    dealt = dealt[np.lexsort((dealt, products.base_price[dealt], products.category[dealt]))]
    offset = int(rng.integers(0, len(names)))
    for f, name in enumerate(names):
        mine = dealt[(np.arange(len(dealt)) + offset) % len(names) == f]
        moved = mine[~np.isin(products.brand[mine], families[name])]
        products.brand[moved] = families[name][rng.choice(len(families[name]), len(moved), p=weights[name])]
        anchor = brands.index[BRAND_FAMILIES[name]]
        if len(mine) and not (products.brand[mine] == anchor).any():
            products.brand[mine[0]] = anchor
