"""The shop behind the REES46-sized months: ≈ 170 k products, ≈ 700 coded categories, ≈ 3.5 k brands, customers.

The catalogue is the same for every month of a seed (the prices drift a little from month to
month); the customers form one growing list: each month brings new customers, and customers of
earlier months come back, the more active ones more likely (:func:`month_customers`). Everything
is drawn with numpy from ``seed`` and the month's place in the series, so one month can be
written alone and still agree with the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from events.synth.catalogue import _SYLLABLES, BRANDS, CATEGORIES

PRODUCTS = 170_000
CODED_CATEGORIES = 700
UNCODED_CATEGORIES = 80
BRAND_COUNT = 3_500
NO_CODE_SHARE = 0.20  # of the events: products of categories without a code
NO_BRAND_SHARE = 0.09  # of the events: products without a brand
ZERO_PRICE_SHARE = 0.002  # of the products
PRODUCT_POPULARITY_SIGMA = 1.8  # log-normal: a few products take most views
BRAND_ZIPF = 1.1
PRICE_DRIFT = 0.02  # a product's price moves by about this much from month to month
EVENTS_PER_CUSTOMER = 14.0  # 2019-Oct: 42.4 M events, 3.02 M customers
RETURNING_SHARE = 0.35  # of a later month's customers: seen in an earlier month
ACTIVITY_SIGMA = 1.0  # log-normal activity of a customer (more sessions, likelier to return)
FIRST_USER_ID = 510_000_000
CATEGORY_ID_RANGE = (2_053_013_552_000_000_000, 2_232_732_110_000_000_000)  # 19 digits, as in the real files
CATEGORY_ID_STEP = 1 << 20
PRODUCT_ID_RANGE = (1_000_000, 100_000_000)


@dataclass
class Shop:
    """The products (in product order) and what the month files print for them."""

    product_id: np.ndarray  # int64
    category_id: np.ndarray  # int64, per product
    category_code: pa.Array  # string per product, null for categories without a code
    brand: pa.Array  # string per product, null when unbranded
    cents: np.ndarray  # int64 base price per product
    popularity: np.ndarray  # float64, sums to 1
    category: np.ndarray  # int32 category index per product
    category_start: np.ndarray  # products are sorted by category: first product of each category (+ end)
    categories: int
    codes: int

    @property
    def products(self) -> int:
        return len(self.product_id)

    def prices(self, month_index: int, seed: int) -> pa.Array:
        """The month's price of every product as text with two decimals (``"35.79"``, ``"0.00"``)."""
        rng = np.random.default_rng([seed, 20, month_index])
        drift = 1.0 + rng.normal(0.0, PRICE_DRIFT, self.products) * (month_index > 0)
        cents = np.round(self.cents * drift).astype(np.int64)
        return pa.array([f"{c // 100}.{c % 100:02d}" for c in cents.tolist()], pa.string())


def build_shop(seed: int, products: int = PRODUCTS) -> Shop:
    """The catalogue of ``seed``: categories, brands and products with prices and popularity."""
    rng = np.random.default_rng([seed, 10])
    codes = category_codes(rng, CODED_CATEGORIES)
    n_cat = len(codes) + UNCODED_CATEGORIES
    cat_weight = rng.pareto(1.2, n_cat) + 0.05
    cat_median = np.exp(rng.normal(np.log(80.0), 1.0, n_cat))
    popularity = rng.lognormal(0.0, PRODUCT_POPULARITY_SIGMA, products)
    popularity /= popularity.sum()
    uncoded = _share_of_traffic(rng, popularity, NO_CODE_SHARE)
    category = np.where(
        uncoded,
        len(codes) + rng.integers(0, UNCODED_CATEGORIES, products),
        _weighted(rng, cat_weight[: len(codes)], products),
    )
    order = np.argsort(category, kind="stable")
    category, popularity, uncoded = category[order], popularity[order], uncoded[order]
    branded = ~_share_of_traffic(rng, popularity, NO_BRAND_SHARE)
    brand_names = brand_list(rng, BRAND_COUNT)
    brand_rank = _weighted(rng, np.arange(1, BRAND_COUNT + 1, dtype=float) ** -BRAND_ZIPF, products)
    cents = np.round(cat_median[category] * rng.lognormal(0.0, 0.6, products) * 100).astype(np.int64)
    cents[rng.random(products) < ZERO_PRICE_SHARE] = 0
    low, high = CATEGORY_ID_RANGE
    cat_ids = low + rng.choice((high - low) // CATEGORY_ID_STEP, n_cat, replace=False) * CATEGORY_ID_STEP
    cat_ids += rng.integers(0, CATEGORY_ID_STEP, n_cat)
    code_text = pa.array([*codes, *([None] * UNCODED_CATEGORIES)], pa.string())
    return Shop(
        product_id=PRODUCT_ID_RANGE[0] + rng.choice(PRODUCT_ID_RANGE[1] - PRODUCT_ID_RANGE[0], products, replace=False),
        category_id=cat_ids[category],
        category_code=code_text.take(pa.array(category)),
        brand=_brand_column(brand_names, brand_rank, branded),
        cents=cents,
        popularity=popularity,
        category=category.astype(np.int32),
        category_start=np.searchsorted(category, np.arange(n_cat + 1)),
        categories=n_cat,
        codes=len(codes),
    )


def _brand_column(names: list[str], rank: np.ndarray, branded: np.ndarray) -> pa.Array:
    index = pa.array(rank.astype(np.int32), mask=~branded)
    return pa.array(names, pa.string()).take(index)


def _weighted(rng: np.random.Generator, weight: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws of an index ∝ ``weight``."""
    cdf = np.cumsum(weight)
    return np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), len(weight) - 1)


def _share_of_traffic(rng: np.random.Generator, popularity: np.ndarray, share: float) -> np.ndarray:
    """A random set of products holding ``share`` of the traffic (``popularity`` sums to 1)."""
    order = rng.permutation(len(popularity))
    chosen = np.zeros(len(popularity), bool)
    chosen[order[np.cumsum(popularity[order]) <= share]] = True
    return chosen


def category_codes(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct dotted codes: the shop's real ones first, then their levels recombined."""
    real = [c for c, *_ in CATEGORIES if c]
    parts = [c.split(".") for c in real]
    mids = sorted({(p[0], p[1]) for p in parts if len(p) > 2})
    leaves = sorted({p[-1] for p in parts} | {p[1] for p in parts if len(p) == 2})
    invented = [f"{top}.{mid}.{leaf}" for top, mid in mids for leaf in leaves if leaf != mid]
    invented = [c for c in invented if c not in set(real)]
    picked = rng.choice(len(invented), min(n - len(real), len(invented)), replace=False)
    return real + [invented[i] for i in sorted(picked)]


def brand_list(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct brand names, most popular first: the shop's known brands, then invented ones."""
    names = list(dict.fromkeys(b for pool in BRANDS.values() for b in pool))
    seen = set(names)
    while len(names) < n:
        word = "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), int(rng.integers(2, 5))))
        if word not in seen:
            seen.add(word)
            names.append(word)
    return names[:n]


def month_customers(seed: int, month_index: int, customers_per_month: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The customers of month ``month_index`` (indexes into the growing list) and their activity.

    Month 0's customers are all new; a later month takes :data:`RETURNING_SHARE` of its
    customers from the earlier months (without replacement, ∝ activity) and adds new ones.
    ``customers_per_month`` holds every month's count up to this one.
    """
    known = 0
    activity_blocks = []
    for k in range(month_index + 1):
        returning = 0 if k == 0 else min(known, round(RETURNING_SHARE * customers_per_month[k]))
        new = customers_per_month[k] - returning
        block_rng = np.random.default_rng([seed, 30, k])
        activity_blocks.append(block_rng.lognormal(-(ACTIVITY_SIGMA**2) / 2, ACTIVITY_SIGMA, new))
        if k == month_index:
            activity = np.concatenate(activity_blocks)
            back = _returning(np.random.default_rng([seed, 31, k]), activity[:known], returning)
            chosen = np.concatenate([back, np.arange(known, known + new)])
            return chosen, activity[chosen]
        known += new
    raise AssertionError("unreachable")


def _returning(rng: np.random.Generator, activity: np.ndarray, n: int) -> np.ndarray:
    """``n`` of the known customers without replacement, ∝ activity (exponential keys, the top ``n``)."""
    if n == 0:
        return np.zeros(0, np.int64)
    keys = rng.exponential(1.0, len(activity)) / activity
    return np.sort(np.argpartition(keys, n - 1)[:n]).astype(np.int64)
