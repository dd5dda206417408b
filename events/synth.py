"""Synthetic REES46 month files with planted customer personas, for the demo, benchmarks and quality checks.

:func:`generate` writes ``DIR/2019-Oct.csv.gz`` … (one file per month, time-ordered, the
real header and formats) and ``DIR/personas.csv`` (``user_id,persona,secondary_persona``
with the raw ids), so a segmentation can be scored against the truth. The same seed gives
the same bytes.

What looks like the real shop
-----------------------------
* **Catalogue.** About 60 categories with the shop's dotted codes and 19-digit ids, plus
  about 20 categories without a code (≈ 20 % of events have an empty ``category_code``,
  always the same products: the code belongs to the category). Each product has one
  category, one brand (missing for ≈ 9 % of products), a base price drawn log-normal
  around its category's median, and a popularity (log-normal, so a few products take most
  views). Every category has at least :data:`MIN_PRODUCTS_PER_CATEGORY` products; the
  others follow traffic (one product per 8 users). Brands follow a Zipf law inside each
  top-level category. A few products cost 0.
* **Prices.** Base price × a small monthly drift (±2 %) × a promotion discount (10–40 %
  for ≈ 35 % of products during each promotion period of :data:`PROMOTIONS`, the same
  periods as ``features/resources/calendar.csv``), rounded to cents.
* **Time.** Sessions start following an hourly intensity: a daily rhythm (quiet at night,
  peak in the afternoon UTC, the shop being in UTC+3), a weekly rhythm, Singles' Day,
  Black Friday (×2.8) and Cyber Monday (×2.2), a ramp before Christmas, a dip on New
  Year's Eve and Day, more traffic in November. Each session has a UUID; sessions of one
  user are at least 31 minutes apart (a session's last event to the next one's first);
  views inside a session are seconds to minutes apart.
* **Funnel.** A cart event follows a view of the same product within a minute; a purchase
  follows the cart within five minutes, or a view directly ("buy now"); a
  ``remove_from_cart`` follows some carts that were not bought. Over all personas the mix
  is view 93 % · cart 4.2 % · purchase 2.5 %, with ≈ 0.7 % remove_from_cart (the real files: 94 · 3.6 ·
  2.4 · 0.5; the cart abandoners, who must show their carts early, carry the difference).
* **Dirt.** Exact duplicate rows (≈ 0.05 % of views once; ≈ 0.5 % of cart rows repeated
  up to a few dozen times) and a few bot-like users (thousands of views, seconds apart).

Planted personas
----------------
Shares are of users; rates are means over all of a persona's views. ``sessions/month`` is
added to one guaranteed session over the months a user is active (``span``: share of the
window's traffic in which the user is active), times the user's activity multiplier.
``price taste`` is a Beta(a, b) over a product's price rank inside its category (None:
products by popularity). Holiday shoppers exist only when the months cover 20 Nov – 31 Dec;
otherwise their share goes to the others.

=============================  ======  =========  ======  =====  ======  ======  =======  ===========  ===========  =============  ========
persona                        share   sess/mon.  views/  cart/  buy/    remove  buy-now  categories   price taste  brands         time
                                                  sess.   view   cart    /cart   /view
=============================  ======  =========  ======  =====  ======  ======  =======  ===========  ===========  =============  ========
window_shopper                 0.24    1.0        6       0      0       0       0        any          popularity   any            all year
cart_abandoner                 0.08    1.2        6       0.15   0.03    0.35    0        any          popularity   any            all year
bargain_hunter                 0.08    0.8        7       0.04*  0.70*   0.25    0.010*   any          Beta(1, 5)   any            promo ×6
brand_loyalist_apple_family    0.05    1.0        5       0.05   0.60†   0.20    0.012†   any          popularity   1–2 of apple   all year
                                                                                                                    family†
brand_loyalist_samsung_family  0.05    1.0        5       0.05   0.60†   0.20    0.012†   any          popularity   1–2 of         all year
                                                                                                                    samsung f.†
big_ticket_electronics         0.04    0.4        6       0.05   0.65    0.20    0.010    electronics  Beta(6, 1)   any            all year
frequent_small_basket_home     0.03    3.0        4       0.08   0.75    0.10    0.035    home‡        Beta(1, 3)   any            all year
frequent_small_basket_fashion  0.03    3.0        4       0.08   0.75    0.10    0.035    fashion‡     Beta(1, 3)   any            all year
holiday_shopper                0.10    3.0        6       0.05   0.65    0.20    0.015    gifts        popularity   any            20 Nov–31 Dec
one_visit                      0.2998  0 (1 sess) 3       0.01   0.30    0.10    0.002    any          popularity   any            all year
bot                            2e-4    0.5        1500    0      0       0       0        any          uniform      any            all year
=============================  ======  =========  ======  =====  ======  ======  =======  ===========  ===========  =============  ========

**A persona shows in a short history.** A label the events cannot show is noise, not truth, so
each persona's defining habit appears early: window shoppers *come back* (at least two sessions,
``min_sessions``; a browser with a single session is a ``one_visit``), and cart abandoners cart
about one view in seven, so most of their sessions leave a cart. Before this rule a gradient
boosting model *shown* the personas reached only ARI 0.36–0.37 on users with 5–14 events (two
seeds), mostly by mixing one-session window shoppers, one-visit users and cart abandoners who
had not carted yet; after it 0.57–0.63 (``bench/quality.py`` prints that ceiling by activity
band; docs/BENCHMARKS.md, "Segments quality").

\\* bargain hunters: cart and buy-now rates ×2 and buy/cart 0.70 when the product is on
promotion at that moment; otherwise cart ×0.5, buy/cart 0.08 and no buy-now. "promo ×6":
their sessions are six times as likely on a promotion day.

Taste pairs (:data:`TASTE_PAIRS`): the two personas of a pair have the same row but for
taste, so only brand or category features (or the graph) can tell them apart:

† **Brand families.** Brand loyalists view the products of one or two brands of their
family (drawn ∝ the brands' traffic) 90 % of the time (∝ √popularity inside a brand) and
buy only those. A family is a
few brands of the ``electronics`` top-level category (:data:`BRAND_FAMILY_TOP`), built
from the catalogue: each starts with its anchor (apple, samsung, :data:`BRAND_FAMILIES`);
then each next most-viewed named electronics brand joins the family with less traffic so
far, up to :data:`BRAND_FAMILY_SIZE` brands. The families are disjoint, and their products
are dealt out again alternately in order of (category, price), so both families have the
same mix of categories and prices, hence the same spend. :attr:`SynthResult.brand_families` names them.
‡ **Category families** (:data:`TASTE_CATEGORIES`): *home* is eight small-goods
categories of appliances, furniture and construction, *fashion* seven of apparel and
accessories, chosen so that their traffic and median prices match (geometric mean of the
medians ≈ 44 vs 46). Every persona's user draws three *distinct* favourite categories
inside its categories (∝ traffic), so both families give the same number of categories.

What blurs the personas, as real shoppers do
--------------------------------------------
* **Blends.** :data:`BLEND_SHARE` (10 %) of all users, drawn among the personas other than
  ``one_visit`` and ``bot``, blend a second persona (drawn by the shares, never the first)
  into their sessions: each session after the first plays the second persona with a
  per-user probability in :data:`BLEND_WEIGHT` (0.20–0.45), with its times, views, tastes
  and funnel. ``personas.csv`` records the dominant persona in ``persona`` and the other
  in ``secondary_persona`` (empty for the others).
* **Off-taste browsing.** Every user but bots has a per-user noise rate in
  :data:`NOISE_RATE` (10–15 %): that share of views goes to a category outside the
  persona's categories (outside the user's three favourites for the personas of any
  category), by popularity. Noise is browsing only (never carted or bought); the other
  views carry the carts and buy-nows the noise would have had, so the table's rates are
  still the means over all views.
* **Heavy-tailed activity.** Each user (bots aside) has an activity multiplier,
  log-normal with mean 1 and sigma :data:`ACTIVITY_SIGMA` (1.0) on the log, that scales
  their expected number of sessions: the top 10 % of users hold about half of the events,
  the median user has fewer events than the mean.

Speed and memory
----------------
Users are generated in chunks of :data:`USERS_PER_CHUNK` with numpy (no Python loop per
event); each chunk is written as Parquet, split by month, to a temporary directory; then
DuckDB writes each month ``ORDER BY event_time`` to gzip CSV (its sort spills to disk
under a memory limit). Memory is bounded by the chunk size, not by the number of users.
The output depends on ``seed`` and on this module's constants, not on the machine.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shopgraph.errors import ShopgraphError
from shopgraph.sqltext import literal

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
EVENT_TYPES = ("view", "cart", "remove_from_cart", "purchase")
VIEW, CART, REMOVE, PURCHASE = range(4)
USERS_PER_CHUNK = 20_000
SESSION_PAUSE_S = 31 * 60  # the shortest pause between two sessions of one user
SESSION_TAIL_S = 10 * 60  # carts, purchases and removals land at most this long after the last view

# (start, end) both included — the same periods as features/resources/calendar.csv
PROMOTIONS: tuple[tuple[str, str], ...] = (
    ("2019-11-25", "2019-12-01"),  # Black Friday week
    ("2019-12-02", "2019-12-02"),  # Cyber Monday
    ("2019-12-09", "2019-12-24"),  # weeks before Christmas
    ("2020-01-02", "2020-01-19"),  # January sales
)
HOLIDAY_SEASON = ("2019-11-20", "2019-12-31")

# traffic multipliers per day (start, end, factor); later rows multiply earlier ones
SPECIAL_DAYS: tuple[tuple[str, str, float], ...] = (
    ("2019-11-01", "2019-11-30", 1.25),  # November is the busiest month
    ("2019-11-11", "2019-11-11", 1.4),  # Singles' Day
    ("2019-11-25", "2019-11-28", 1.3),
    ("2019-11-29", "2019-11-29", 2.8),  # Black Friday
    ("2019-11-30", "2019-12-01", 1.6),
    ("2019-12-02", "2019-12-02", 2.2),  # Cyber Monday
    ("2019-12-09", "2019-12-15", 1.25),
    ("2019-12-16", "2019-12-24", 1.6),  # before Christmas
    ("2019-12-31", "2019-12-31", 0.6),
    ("2020-01-01", "2020-01-01", 0.4),
    ("2020-03-05", "2020-03-07", 1.3),  # before 8 March
)
# share of traffic per hour of day (UTC; the shop's customers live around UTC+3)
DAILY_RHYTHM = np.array(
    [
        0.25,
        0.15,
        0.12,
        0.15,
        0.30,
        0.55,
        0.80,
        0.95,
        1.00,
        1.00,
        1.00,
        1.00,
        1.05,
        1.10,
        1.15,
        1.20,
        1.20,
        1.15,
        1.05,
        0.90,
        0.75,
        0.60,
        0.45,
        0.35,
    ]
)
WEEKLY_RHYTHM = np.array([1.02, 1.00, 0.98, 0.97, 0.95, 0.93, 1.08])  # Monday … Sunday

# ---------------------------------------------------------------------------------------
# the catalogue
# ---------------------------------------------------------------------------------------
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
        "samsung",
        "apple",
        "xiaomi",
        "huawei",
        "oppo",
        "sony",
        "lg",
        "nokia",
        "honor",
        "casio",
        "jbl",
        "meizu",
        "vivo",
        "philips",
        "sennheiser",
        "canon",
        "nikon",
        "garmin",
    ),
    "computers": (
        "acer",
        "lenovo",
        "hp",
        "asus",
        "dell",
        "apple",
        "msi",
        "pulser",
        "seagate",
        "kingston",
        "logitech",
        "gigabyte",
        "epson",
        "canon",
        "wd",
        "a4tech",
    ),
    "appliances": (
        "bosch",
        "lg",
        "samsung",
        "indesit",
        "artel",
        "elenberg",
        "polaris",
        "redmond",
        "vitek",
        "haier",
        "tefal",
        "beko",
        "atlant",
        "midea",
        "gorenje",
        "electrolux",
        "philips",
        "braun",
        "scarlett",
        "aqua",
    ),
    "apparel": (
        "nike",
        "adidas",
        "baden",
        "respect",
        "puma",
        "reebok",
        "tamaris",
        "rieker",
        "ecco",
        "skechers",
        "kapika",
        "betsy",
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
        "shiseido",
        "lucente",
        "cordiant",
        "creed",
        "luminarc",
        "triangle",
        "nokian",
        "oasis",
        "michelin",
        "tefal",
        "lorealparis",
        "nivea",
        "garnier",
        "estel",
        "kapous",
        "yokohama",
    ),
}
LONG_TAIL_BRANDS = 12  # invented minor brands added to each pool
MIN_PRODUCTS_PER_CATEGORY = 8
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
_SYLLABLES = (
    "ka",
    "ro",
    "vi",
    "ten",
    "lo",
    "mar",
    "zen",
    "to",
    "ri",
    "sa",
    "bel",
    "ox",
    "nu",
    "del",
    "fa",
    "gor",
    "ix",
    "ly",
    "mo",
    "pra",
    "sun",
    "tek",
    "vel",
    "wa",
)


# ---------------------------------------------------------------------------------------
# the personas
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Persona:
    """How one kind of customer shops; the module docstring has the table."""

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


# ---------------------------------------------------------------------------------------
# results and progress
# ---------------------------------------------------------------------------------------
@dataclass
class SynthResult:
    """What :func:`generate` wrote."""

    out_dir: Path
    files: list[Path]
    personas_file: Path
    users: int
    events: int  # rows written, duplicates included
    duplicates: int  # extra copies of exact duplicate rows
    events_per_month: dict[str, int]
    events_per_type: dict[str, int]
    users_per_persona: dict[str, int]
    seed: int
    seconds: float = 0.0
    products: int = 0
    blended_users: int = 0  # users whose sessions blend two personas (secondary_persona in personas.csv)
    brand_families: dict[str, tuple[str, ...]] = field(default_factory=dict)  # family → brands, anchor first
    category_families: dict[str, tuple[str, ...]] = field(default_factory=dict)  # taste → category codes

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclass
class SynthProgress:
    """Where :func:`generate` is: ``stage`` is ``users`` (generating) or ``months`` (writing files)."""

    stage: str
    done: int
    total: int
    events: int
    month: str | None = None


# ---------------------------------------------------------------------------------------
# months and the clock
# ---------------------------------------------------------------------------------------
def parse_months(spec: str) -> list[str]:
    """``2019-10..2020-04`` (both included), ``2019-11`` or ``2019-10,2019-12`` → ``["2019-10", …]``."""

    def one(text: str) -> dt.date:
        try:
            return dt.datetime.strptime(text.strip(), "%Y-%m").date()
        except ValueError:
            raise ShopgraphError(f"month {text.strip()!r} is not YYYY-MM (e.g. 2019-10..2020-04)") from None

    months: list[dt.date] = []
    for part in spec.split(","):
        if ".." in part:
            first, last = (one(x) for x in part.split("..", 1))
            if last < first:
                raise ShopgraphError(f"month range {part.strip()!r} ends before it starts")
            m = first
            while m <= last:
                months.append(m)
                m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        elif part.strip():
            months.append(one(part))
    if not months:
        raise ShopgraphError("no months given: use e.g. --months 2019-10..2020-04")
    return sorted({m.strftime("%Y-%m") for m in months})


def month_file_name(month: str) -> str:
    """``2019-10`` → ``2019-Oct.csv.gz`` (the published files' names)."""
    year, mon = month.split("-")
    return f"{year}-{_calendar.month_abbr[int(mon)]}.csv.gz"


def _epoch(day: str | dt.date) -> int:
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp())


@dataclass
class _Clock:
    """Hourly traffic over the generated months and samplers of session start times."""

    months: list[str]
    hour0: int = 0  # epoch seconds of the first hour
    hours: int = 0
    in_window: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # per hour: month requested
    cdfs: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    promo_period: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # per day, -1 = none
    month_edges: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def build(cls, months: list[str]) -> _Clock:
        first = dt.date.fromisoformat(months[0] + "-01")
        last = dt.date.fromisoformat(months[-1] + "-01")
        end = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        days = (end - first).days
        day_dates = [first + dt.timedelta(days=i) for i in range(days)]
        day_factor = np.array([WEEKLY_RHYTHM[d.weekday()] for d in day_dates])
        for start, stop, factor in SPECIAL_DAYS:
            for i, d in enumerate(day_dates):
                if start <= d.isoformat() <= stop:
                    day_factor[i] *= factor
        requested = set(months)
        day_in = np.array([d.strftime("%Y-%m") in requested for d in day_dates])
        promo = np.full(days, -1, np.int8)
        for k, (start, stop) in enumerate(PROMOTIONS):
            for i, d in enumerate(day_dates):
                if start <= d.isoformat() <= stop:
                    promo[i] = k
        holiday = np.array([HOLIDAY_SEASON[0] <= d.isoformat() <= HOLIDAY_SEASON[1] for d in day_dates])
        hourly = (day_factor * day_in)[:, None] * DAILY_RHYTHM[None, :]
        clock = cls(months=months, hour0=_epoch(first), hours=days * 24)
        clock.in_window = np.repeat(day_in, 24)
        clock.promo_period = promo
        edges = sorted({_epoch(d.replace(day=1)) for d in day_dates} | {_epoch(end)})
        clock.month_edges = np.array(edges, np.int64)
        profiles = {
            "base": hourly,
            "promo": hourly * (1.0 + 5.0 * (promo >= 0))[:, None],
            "holiday": hourly * holiday[:, None],
        }
        for name, weights in profiles.items():
            w = weights.ravel()
            if w.sum() > 0:
                cdf = np.cumsum(w) / w.sum()
                cdf[-1] = 1.0
                clock.cdfs[name] = (cdf, w / w.sum())
        return clock

    @property
    def end(self) -> int:
        return self.hour0 + self.hours * 3600

    def months_of_traffic(self, profile: str) -> float:
        """How many months' worth of days the profile's traffic is spread over."""
        _cdf, p = self.cdfs[profile]
        active_days = np.count_nonzero(p.reshape(-1, 24).sum(axis=1))
        return active_days / 30.4

    def sample(self, profile: str, u: np.ndarray) -> np.ndarray:
        """Epoch seconds for positions ``u`` in [0, 1) of the profile's cumulative traffic."""
        cdf, p = self.cdfs[profile]
        h = np.minimum(np.searchsorted(cdf, u, side="right"), self.hours - 1)
        before = np.where(h > 0, cdf[np.maximum(h - 1, 0)], 0.0)
        within = np.clip((u - before) / np.maximum(p[h], 1e-300), 0.0, 0.999999)
        return self.hour0 + h.astype(np.int64) * 3600 + (within * 3600).astype(np.int64)


# ---------------------------------------------------------------------------------------
# catalogue
# ---------------------------------------------------------------------------------------
class _GroupSampler:
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
class _Catalogue:
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
    by_popularity: _GroupSampler  # products of a category, ∝ popularity
    by_brand: _GroupSampler  # products of a brand in BRAND_FAMILY_TOP, ∝ popularity
    price_order: np.ndarray  # products sorted by (category, base price)
    category_start: np.ndarray
    category_size: np.ndarray
    brand_families: dict[str, np.ndarray]  # family → its brands (indices into brand_names), anchor first
    brand_family_weight: dict[str, np.ndarray]  # family → its brands' share of the family's traffic

    @property
    def products(self) -> int:
        return len(self.product_ids)

    def arrow(self) -> pa.Table:
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


def _invented_brand(rng: np.random.Generator) -> str:
    n = int(rng.integers(2, 4))
    return "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), n))


def _build_catalogue(rng: np.random.Generator, users: int, n_months: int) -> _Catalogue:
    n_cat = len(CATEGORIES)
    codes = [c[0] for c in CATEGORIES]
    weight = np.array([c[1] for c in CATEGORIES])
    weight = weight / weight.sum()
    median = np.array([c[2] for c in CATEGORIES])
    sigma = np.array([c[3] for c in CATEGORIES])
    category_ids = np.sort(rng.choice(122_406_043_093_967_522, n_cat, replace=False)) + 2_053_013_552_000_000_000
    category_ids = rng.permutation(category_ids).astype(np.int64)
    group_mask = {"all": np.ones(n_cat, bool)}
    for g in "eg":
        group_mask[g] = np.array([g in c[4] for c in CATEGORIES])
    for taste, members in TASTE_CATEGORIES.items():
        group_mask[taste] = np.array([c in members for c in codes])

    # brand pools per top-level category, with invented long-tail brands
    brand_names: list[str] = []
    brand_index: dict[str, int] = {}
    pools: dict[str, np.ndarray] = {}
    for top, names in BRANDS.items():
        pool = list(names) + [_invented_brand(rng) for _ in range(LONG_TAIL_BRANDS)]
        idx = []
        for name in pool:
            if name not in brand_index:
                brand_index[name] = len(brand_names)
                brand_names.append(name)
            idx.append(brand_index[name])
        pools[top] = np.array(idx)

    n_products = int(np.clip(users // 8, MIN_PRODUCTS_PER_CATEGORY * n_cat + 200, 250_000))
    # every category has a few products (so that a price taste has a choice even in a small
    # catalogue); the rest follow traffic (more traffic, more products)
    product_category = np.concatenate(
        [
            np.repeat(np.arange(n_cat), MIN_PRODUCTS_PER_CATEGORY),
            rng.choice(n_cat, n_products - MIN_PRODUCTS_PER_CATEGORY * n_cat, p=weight),
        ]
    )
    product_category = np.sort(product_category)
    popularity = rng.lognormal(0.0, 1.3, n_products)
    base_price = rng.lognormal(np.log(median[product_category]), sigma[product_category])
    base_price = np.round(np.clip(base_price, 0.8, 30_000.0), 2)
    product_brand = np.empty(n_products, np.int64)
    for top, pool in pools.items():
        in_top = np.array([(c or "").split(".")[0] == top for c in codes])[product_category]
        ranks = np.arange(1, len(pool) + 1)
        zipf = 1.0 / ranks**1.15
        product_brand[in_top] = pool[rng.choice(len(pool), int(in_top.sum()), p=zipf / zipf.sum())]
    product_brand[rng.random(n_products) < MISSING_BRAND_RATE] = -1
    serial = np.arange(n_products) - np.searchsorted(product_category, product_category, side="left")
    cat_prefix = (rng.permutation(n_cat) + 2) * 500_000
    product_ids = (cat_prefix[product_category] + 1 + serial * 3 + rng.integers(0, 3, n_products)).astype(np.int64)
    month_drift = (1.0 + 0.02 * rng.standard_normal((n_products, n_months))).clip(0.9, 1.1)

    # products' share of traffic: category weight × popularity within category
    cat_pop = np.bincount(product_category, popularity, n_cat)
    product_traffic = weight[product_category] * popularity / cat_pop[product_category]
    # a few products cost 0 (as in the real files); drawn by traffic so that even small runs show them
    n_free = max(2, round(ZERO_PRICE_RATE * n_products))
    base_price[rng.choice(n_products, n_free, replace=False, p=product_traffic / product_traffic.sum())] = 0.0
    # the brand families: every anchor has products in the family's top-level category, then each
    # next most-viewed named brand of that category joins the family with the least traffic so far
    in_family_top = np.array([(c or "").split(".")[0] == BRAND_FAMILY_TOP for c in codes])[product_category]
    for anchor in BRAND_FAMILIES.values():
        if not (in_family_top & (product_brand == brand_index[anchor])).any():
            product_brand[np.flatnonzero(in_family_top)[0]] = brand_index[anchor]
    has_brand = product_brand >= 0
    top_traffic = np.bincount(
        product_brand[has_brand & in_family_top], product_traffic[has_brand & in_family_top], len(brand_names)
    )
    families = {name: [brand_index[anchor]] for name, anchor in BRAND_FAMILIES.items()}
    candidates = [
        brand_index[b]
        for b in BRANDS[BRAND_FAMILY_TOP]
        if top_traffic[brand_index[b]] > 0 and b not in BRAND_FAMILIES.values()
    ]
    for b in sorted(candidates, key=lambda b: -top_traffic[b]):  # stable: ties keep the BRANDS order
        open_ = [name for name, members in families.items() if len(members) < BRAND_FAMILY_SIZE]
        if not open_:
            break
        lightest = min(open_, key=lambda name: top_traffic[families[name]].sum())
        families[lightest].append(b)
    brand_families = {name: np.array(members, np.int64) for name, members in families.items()}
    brand_family_weight = {name: top_traffic[m] / top_traffic[m].sum() for name, m in brand_families.items()}
    # deal the families' products out again, alternately in order of (category, price), so that both
    # families have the same mix of categories and prices even in a small catalogue; inside a family a
    # product keeps its brand if it was already the family's, else gets one ∝ the family's traffic
    names = list(brand_families)
    dealt = np.flatnonzero(in_family_top & np.isin(product_brand, np.concatenate(list(brand_families.values()))))
    dealt = dealt[np.lexsort((dealt, base_price[dealt], product_category[dealt]))]
    offset = int(rng.integers(0, len(names)))
    for f, name in enumerate(names):
        mine = dealt[(np.arange(len(dealt)) + offset) % len(names) == f]
        moved = mine[~np.isin(product_brand[mine], brand_families[name])]
        product_brand[moved] = brand_families[name][
            rng.choice(len(brand_families[name]), len(moved), p=brand_family_weight[name])
        ]
        anchor = brand_index[BRAND_FAMILIES[name]]
        if len(mine) and not (product_brand[mine] == anchor).any():
            product_brand[mine[0]] = anchor
    top_traffic = np.bincount(
        product_brand[has_brand & in_family_top], product_traffic[has_brand & in_family_top], len(brand_names)
    )
    brand_families = {name: m[top_traffic[m] > 0] for name, m in brand_families.items()}  # brands left with products
    brand_family_weight = {name: top_traffic[m] / top_traffic[m].sum() for name, m in brand_families.items()}
    price_order = np.lexsort((np.arange(n_products), base_price, product_category))
    category_start = np.searchsorted(product_category[price_order], np.arange(n_cat), side="left")
    category_size = np.bincount(product_category, minlength=n_cat)
    brand_group = np.where(has_brand & in_family_top, product_brand, len(brand_names))
    return _Catalogue(
        category_ids=category_ids,
        category_codes=codes,
        category_weight=weight,
        group_mask=group_mask,
        product_category=product_category,
        product_ids=product_ids,
        product_brand=product_brand,
        brand_names=brand_names,
        base_price=base_price,
        month_drift=month_drift,
        by_popularity=_GroupSampler(product_category, popularity, n_cat),
        by_brand=_GroupSampler(brand_group, np.sqrt(popularity), len(brand_names) + 1),  # flatter inside a brand
        price_order=price_order,
        category_start=category_start,
        category_size=category_size,
        brand_families=brand_families,
        brand_family_weight=brand_family_weight,
    )


# ---------------------------------------------------------------------------------------
# users and their events
# ---------------------------------------------------------------------------------------
def _persona_shares(clock: _Clock) -> np.ndarray:
    shares = np.array([p.share for p in PERSONAS])
    if "holiday" not in clock.cdfs:
        shares[PERSONA_NAMES.index("holiday_shopper")] = 0.0
    return shares / shares.sum()


NOT_BLENDED = ("one_visit", "bot")  # personas that never blend with another (one session; not a shopper)


def _assign_users(
    rng: np.random.Generator,
    users: int,
    clock: _Clock,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw user ids (9 digits, unique, shuffled), each user's persona and second persona (-1: none).

    :data:`BLEND_SHARE` of all users are drawn, among the personas that may blend, to blend a
    second persona into their sessions; the second one is drawn by the personas' shares and is
    never the first one.
    """
    stride = max(1, 250_000_000 // max(users, 1))
    ids = 300_000_000 + np.arange(users, dtype=np.int64) * stride + rng.integers(0, stride, users)
    ids = rng.permutation(ids)
    shares = _persona_shares(clock)
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


def _hash(*parts: np.ndarray) -> np.ndarray:
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


def _uuid4_strings(rng: np.random.Generator, n: int) -> pa.Array:
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


def _segment_starts(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def _chunk_events(
    rng: np.random.Generator,
    cat: _Catalogue,
    clock: _Clock,
    user_ids: np.ndarray,
    persona: np.ndarray,
    secondary: np.ndarray,
) -> pa.Table:
    """Every event of a chunk of users (unsorted), with the month each falls in.

    A user has two roles: 0 is the persona, 1 the second persona of a blended user (the
    persona again for the others). Each session plays one role, and everything inside it
    (views, taste, funnel) follows that role's persona.
    """
    n_users = len(user_ids)
    P = PERSONAS
    prop = lambda attr: np.array([getattr(p, attr) for p in P], np.float64)  # noqa: E731 (per persona)
    bot = PERSONA_NAMES.index("bot")
    blended = secondary >= 0
    role_persona = np.stack([persona, np.where(blended, secondary, persona)], axis=1).astype(np.int64)
    blend_weight = np.where(blended, rng.uniform(*BLEND_WEIGHT, n_users), 0.0)
    activity = np.where(
        persona == bot, 1.0, rng.lognormal(-(ACTIVITY_SIGMA**2) / 2, ACTIVITY_SIGMA, n_users)
    )  # mean 1, heavy tail
    noise_rate = rng.uniform(*NOISE_RATE, n_users)

    # --- sessions: how many, when --------------------------------------------------------
    months_of = np.array([clock.months_of_traffic(p.time_profile) if p.time_profile in clock.cdfs else 0.0 for p in P])
    extra = prop("sessions_per_month") * months_of * prop("span")  # expected sessions after the first
    rate = activity * ((1.0 - blend_weight) * extra[role_persona[:, 0]] + blend_weight * extra[role_persona[:, 1]])
    n_sessions = 1 + rng.poisson(rate)
    n_sessions = np.maximum(n_sessions, prop("min_sessions")[persona].astype(np.int64))
    s_user = np.repeat(np.arange(n_users), n_sessions)
    s_role = (rng.random(len(s_user)) < blend_weight[s_user]).astype(np.int64)
    s_role[_segment_starts(n_sessions)] = 0  # the first session is the persona's own
    s_persona = role_persona[s_user, s_role]
    # each user is active in a stretch of ``span`` of the profile's traffic, placed on a circle so
    # that every part of the window gets its share (a stretch may wrap from the end to the start)
    lo = rng.random(n_users)
    u = np.mod(lo[s_user] + rng.random(len(s_user)) * prop("span")[s_persona], 1.0)
    s_profile = np.array([p.time_profile for p in P])[s_persona]
    s_start = np.empty(len(s_user), np.int64)
    for profile in ("base", "promo", "holiday"):
        mask = s_profile == profile
        if mask.any():
            s_start[mask] = clock.sample(profile, u[mask])

    # views per session and their offsets inside the session
    n_views = rng.geometric(1.0 / prop("views_per_session")[s_persona])
    v_session = np.repeat(np.arange(len(s_user)), n_views)
    gap = 1 + rng.lognormal(np.log(prop("view_gap_s")[s_persona[v_session]]), 0.9).astype(np.int64)
    first_of_session = _segment_starts(n_views)
    gap[first_of_session] = 0
    cum = np.cumsum(gap)
    v_offset = cum - cum[first_of_session][v_session]
    s_duration = v_offset[first_of_session + n_views - 1] + SESSION_TAIL_S

    # sessions of one user in time order, at least SESSION_PAUSE_S apart:
    # start'_i = max(start_i, start'_{i-1} + duration_{i-1} + pause), as a running max per user
    order = np.lexsort((s_start, s_user))
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    st, du, us = s_start[order], s_duration[order] + SESSION_PAUSE_S, s_user[order]
    before = np.cumsum(du) - du
    user_first = np.searchsorted(us, us, side="left")
    push = before - before[user_first]
    big = np.int64(1) << np.int64(40)
    running = np.maximum.accumulate(st - push + us.astype(np.int64) * big) - us.astype(np.int64) * big
    s_start = (running + push)[inv]

    v_time = s_start[v_session] + v_offset
    keep = v_time < clock.end
    # drop views outside the requested months (a gap in --months) and past the end
    hour = np.clip((v_time - clock.hour0) // 3600, 0, clock.hours - 1)
    keep &= clock.in_window[hour]
    v_session, v_time = v_session[keep], v_time[keep]
    v_user, v_role, v_persona = s_user[v_session], s_role[v_session], s_persona[v_session]
    n_v = len(v_time)

    # --- what is viewed ------------------------------------------------------------------
    # each role has K distinct favourite categories inside its persona's categories (drawn ∝
    # traffic without replacement: Gumbel top-K); a session picks one of them
    K = 3
    n_cat = len(cat.category_weight)
    group_names = sorted(cat.group_mask)
    group_of = np.array([group_names.index(p.categories) for p in P])  # persona → category group
    in_group = np.array([cat.group_mask[g] for g in group_names])  # (groups, categories)
    fav = np.empty((n_users, 2, K), np.int64)
    for r in (0, 1):
        users_r = np.arange(n_users) if r == 0 else np.flatnonzero(blended)
        for g in np.unique(group_of[role_persona[users_r, r]]):
            users_g = users_r[group_of[role_persona[users_r, r]] == g]
            w = cat.category_weight * in_group[g]
            log_w = np.where(w > 0, np.log(np.where(w > 0, w, 1.0)), -np.inf)
            keys = log_w + rng.gumbel(size=(len(users_g), n_cat))
            fav[users_g, r] = np.argsort(-keys, axis=1, kind="stable")[:, :K]
    fav[~blended, 1] = fav[~blended, 0]
    s_pick = rng.choice(K, len(s_user), p=[0.6, 0.25, 0.15])
    s_category = fav[s_user, s_role, s_pick]
    taste_all = np.array([p.categories == "all" for p in P])
    explore_all = (rng.random(len(s_user)) < 0.12) & taste_all[s_persona]
    s_category[explore_all] = rng.choice(n_cat, int(explore_all.sum()), p=cat.category_weight)
    v_category = s_category[v_session]
    stray = rng.random(n_v) < 0.15
    v_category[stray] = fav[v_user[stray], v_role[stray], rng.integers(0, K, int(stray.sum()))]
    # off-taste browsing noise: a view of a category outside the persona's categories (outside the
    # user's favourites for personas of any category), redrawn while it falls inside the taste
    noise = (rng.random(n_v) < noise_rate[v_user]) & (v_persona != bot)
    nz = np.flatnonzero(noise)
    redraw = nz
    for _ in range(NOISE_REDRAWS):
        v_category[redraw] = rng.choice(n_cat, len(redraw), p=cat.category_weight)
        c, pz = v_category[redraw], v_persona[redraw]
        inside = np.where(
            taste_all[pz], (fav[v_user[redraw], v_role[redraw]] == c[:, None]).any(axis=1), in_group[group_of[pz], c]
        )
        redraw = redraw[inside]
        if not len(redraw):
            break

    product = cat.by_popularity.sample(v_category, rng.random(n_v))
    for k, p in enumerate(P):
        if p.price_taste is None:
            continue
        m = (v_persona == k) & ~noise
        if not m.any():
            continue
        q = rng.beta(p.price_taste[0], p.price_taste[1], int(m.sum()))
        c = v_category[m]
        pos = cat.category_start[c] + np.minimum((q * cat.category_size[c]).astype(np.int64), cat.category_size[c] - 1)
        product[m] = cat.price_order[pos]

    # brand loyalists: each role of a loyalist persona has one or two brands of its family
    # (drawn ∝ their traffic) and views their products 90 % of the time (noise aside)
    families = list(cat.brand_families)
    family_of = np.array([families.index(p.brand_family) if p.brand_family else -1 for p in P])
    user_brands = np.full((n_users, 2, 2), -1, np.int64)
    for r in (0, 1):
        for f, name in enumerate(families):
            users_f = np.flatnonzero((family_of[role_persona[:, r]] == f) & (blended if r else True))
            if not len(users_f):
                continue
            picks = cat.brand_families[name][
                rng.choice(len(cat.brand_families[name]), (len(users_f), 2), p=cat.brand_family_weight[name])
            ]
            one_brand = rng.random(len(users_f)) < 0.5
            picks[one_brand, 1] = picks[one_brand, 0]
            user_brands[users_f, r] = picks
    user_brands[~blended, 1] = user_brands[~blended, 0]
    loyal = family_of[v_persona] >= 0
    m = loyal & ~noise & (rng.random(n_v) < 0.9)
    if m.any():
        b = user_brands[v_user[m], v_role[m], rng.integers(0, 2, int(m.sum()))]
        product[m] = cat.by_brand.sample(b, rng.random(int(m.sum())))

    # look again at the product just seen (same session)
    again = np.flatnonzero(rng.random(n_v) < 0.25)
    again = again[(again > 0)]
    again = again[v_session[again] == v_session[again - 1]]
    product[again] = product[again - 1]  # chains resolve left to right only once; fine for realism
    noise[again] = noise[again - 1]

    # --- prices -------------------------------------------------------------------------
    month_idx = np.searchsorted(clock.month_edges, v_time, side="right") - 1
    day = (v_time - clock.hour0) // 86_400
    period = clock.promo_period[np.clip(day, 0, len(clock.promo_period) - 1)].astype(np.int64)
    pid = cat.product_ids[product]
    h = _hash(pid, period + 7)
    on_promo = (period >= 0) & (h % np.uint64(100) < np.uint64(35))
    discount = np.where(on_promo, 0.10 + (h >> np.uint64(20)) % np.uint64(31) / 100.0, 0.0)
    # month_idx counts calendar months from the first requested one; drift has one column per month
    drift = cat.month_drift[product, np.clip(month_idx, 0, cat.month_drift.shape[1] - 1)]
    price = np.round(cat.base_price[product] * drift * (1.0 - discount), 2)

    # --- the funnel ---------------------------------------------------------------------
    # the session's persona sets the rates; off-taste noise is browsing only (never carted or bought),
    # so the other views carry the carts and buy-nows the noise would have had (the table's rates
    # stay the means over all views)
    on_taste = np.where(noise, 0.0, 1.0 / (1.0 - noise_rate[v_user]))
    p_cart = on_taste * prop("p_cart")[v_persona]
    p_buy = prop("p_buy")[v_persona]
    p_buy_now = on_taste * prop("p_buy_now")[v_persona]
    p_remove = prop("p_remove")[v_persona]
    bargain = v_persona == PERSONA_NAMES.index("bargain_hunter")
    p_cart = np.where(bargain, np.where(on_promo, 2.0, 0.5) * p_cart, p_cart)
    p_buy = np.where(bargain & ~on_promo, 0.08, p_buy)
    p_buy_now = np.where(bargain, np.where(on_promo, 2.0 * p_buy_now, 0.0), p_buy_now)
    if loyal.any():  # loyalists buy only their own brands
        own = (cat.product_brand[product][:, None] == user_brands[v_user, v_role]).any(axis=1)
        p_buy = np.where(loyal & ~own, 0.0, p_buy)
        p_buy_now = np.where(loyal & ~own, 0.0, p_buy_now)

    carted = rng.random(n_v) < p_cart
    bought = carted & (rng.random(n_v) < p_buy)
    removed = carted & ~bought & (rng.random(n_v) < p_remove)
    bought_now = ~carted & (rng.random(n_v) < p_buy_now)
    cart_time = v_time + rng.integers(2, 60, n_v)
    buy_time = np.where(carted, cart_time + rng.integers(30, 300, n_v), v_time + rng.integers(20, 240, n_v))
    remove_time = cart_time + rng.integers(10, 500, n_v)

    idx = np.concatenate(
        [np.arange(n_v), np.flatnonzero(carted), np.flatnonzero(removed), np.flatnonzero(bought | bought_now)]
    )
    etype = np.concatenate(
        [
            np.full(n_v, VIEW),
            np.full(int(carted.sum()), CART),
            np.full(int(removed.sum()), REMOVE),
            np.full(int((bought | bought_now).sum()), PURCHASE),
        ]
    ).astype(np.int8)
    etime = np.concatenate([v_time, cart_time[carted], remove_time[removed], buy_time[bought | bought_now]])

    # --- exact duplicates -----------------------------------------------------------------
    copies = np.zeros(len(idx), np.int64)
    is_view = etype == VIEW
    copies[is_view] = rng.random(int(is_view.sum())) < 0.0005
    is_cart = etype == CART
    heavy = rng.random(int(is_cart.sum())) < 0.005
    copies[np.flatnonzero(is_cart)[heavy]] = np.minimum(rng.geometric(1 / 6, int(heavy.sum())), 40)
    rows = np.repeat(np.arange(len(idx)), 1 + copies)
    is_copy = np.concatenate([[False], rows[1:] == rows[:-1]])
    idx, etype, etime = idx[rows], etype[rows], etime[rows]
    keep = etime < clock.end
    idx, etype, etime, is_copy = idx[keep], etype[keep], etime[keep], is_copy[keep]

    sessions = _uuid4_strings(rng, len(s_user))
    month = np.searchsorted(clock.month_edges, etime, side="right") - 1
    return pa.table(
        {
            "event_time": pa.array(etime * 1_000_000, pa.timestamp("us")),
            "event_type": pa.DictionaryArray.from_arrays(pa.array(etype), pa.array(EVENT_TYPES)),
            "product_idx": pa.array(product[idx].astype(np.int32)),
            "price": pa.array(price[idx]),
            "user_id": pa.array(user_ids[v_user[idx]]),
            "user_session": sessions.take(pa.array(v_session[idx])),
            "month": pa.array(month.astype(np.int16)),
            "duplicate": pa.array(is_copy),
        }
    )


# ---------------------------------------------------------------------------------------
# the writer
# ---------------------------------------------------------------------------------------
def generate(
    out_dir: str | Path,
    users: int,
    months: str | Sequence[str] = "2019-10..2020-04",
    seed: int = 0,
    progress: Callable[[SynthProgress], None] | None = None,
) -> SynthResult:
    """Write one REES46 ``.csv.gz`` per month and ``personas.csv`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        Created if missing. Existing month files of the same names are replaced.
    users
        Number of synthetic users (≈ 30 events each over seven months, fewer over fewer
        months, heavy-tailed; 340 000 users give about 10 M events for 2019-10..2020-04).
    months
        ``"2019-10..2020-04"``, ``"2019-11"``, ``"2019-10,2019-12"`` or a list of ``YYYY-MM``.
    seed
        Seed of the numpy Generator: the same seed and arguments give byte-identical files.
    progress
        Called after each chunk of users and each month file.
    """
    started = time.perf_counter()
    if users < 1:
        raise ShopgraphError(f"--users must be at least 1 (got {users})")
    month_list = parse_months(months) if isinstance(months, str) else parse_months(",".join(months))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ShopgraphError(f"{out} exists and is not a directory: choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    clock = _Clock.build(month_list)
    all_months = [dt.datetime.fromtimestamp(int(e), dt.UTC).strftime("%Y-%m") for e in clock.month_edges[:-1]]
    catalogue = _build_catalogue(np.random.default_rng([seed, 0]), users, len(all_months))
    user_ids, persona, secondary = _assign_users(np.random.default_rng([seed, 1]), users, clock)

    tmp = out / ".synth-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        events = duplicates = 0
        for chunk, first in enumerate(range(0, users, USERS_PER_CHUNK)):
            last = min(first + USERS_PER_CHUNK, users)
            rng = np.random.default_rng([seed, 2, chunk])
            table = _chunk_events(
                rng, catalogue, clock, user_ids[first:last], persona[first:last], secondary[first:last]
            )
            table = table.append_column("seq", pa.array(np.arange(table.num_rows, dtype=np.int64) + (chunk << 36)))
            events += table.num_rows
            duplicates += int(pc.sum(table.column("duplicate")).as_py() or 0)
            month_col = table.column("month").to_numpy()
            for m in np.unique(month_col):
                part = table.filter(pa.array(month_col == m)).drop_columns(["month", "duplicate"])
                mdir = tmp / f"month={all_months[m]}"
                mdir.mkdir(exist_ok=True)
                pq.write_table(part, mdir / f"chunk-{chunk:05d}.parquet", compression="zstd")
            if progress:
                progress(SynthProgress("users", last, users, events))

        files, per_month, per_type = _write_months(out, tmp, catalogue, month_list, progress, events)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    personas_file = out / "personas.csv"
    order = np.argsort(user_ids)
    with open(personas_file, "w", encoding="utf-8", newline="\n") as f:
        f.write("user_id,persona,secondary_persona\n")
        names = np.array(PERSONA_NAMES)[persona[order]]
        seconds = np.array(("", *PERSONA_NAMES))[secondary[order].astype(np.int64) + 1]
        f.write(
            "".join(
                f"{u},{n},{m}\n"
                for u, n, m in zip(user_ids[order].tolist(), names.tolist(), seconds.tolist(), strict=True)
            )
        )
    counts = np.bincount(persona, minlength=len(PERSONAS))
    return SynthResult(
        out_dir=out,
        files=files,
        personas_file=personas_file,
        users=users,
        events=events,
        duplicates=duplicates,
        events_per_month=per_month,
        events_per_type=per_type,
        users_per_persona={n: int(c) for n, c in zip(PERSONA_NAMES, counts, strict=True) if c},
        seed=seed,
        seconds=time.perf_counter() - started,
        products=catalogue.products,
        blended_users=int((secondary >= 0).sum()),
        brand_families={
            name: tuple(catalogue.brand_names[b] for b in members) for name, members in catalogue.brand_families.items()
        },
        category_families=dict(TASTE_CATEGORIES),
    )


def _write_months(
    out: Path,
    tmp: Path,
    catalogue: _Catalogue,
    month_list: list[str],
    progress: Callable[[SynthProgress], None] | None,
    events: int,
) -> tuple[list[Path], dict[str, int], dict[str, int]]:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET memory_limit = '2GB'")
    spill = tmp / "spill"
    spill.mkdir()
    con.execute(f"SET temp_directory = {literal(spill)}")
    con.register("products", catalogue.arrow())
    files: list[Path] = []
    per_month: dict[str, int] = {}
    per_type = dict.fromkeys(EVENT_TYPES, 0)
    written = 0
    for i, month in enumerate(month_list):
        target = out / month_file_name(month)
        partial = target.with_name(target.name + ".partial")
        mdir = tmp / f"month={month}"
        if not (mdir.is_dir() and any(mdir.glob("*.parquet"))):
            partial.write_bytes(_gzip_header_only())  # a month without events: the header only
        else:
            source = f"read_parquet({literal(mdir / '*.parquet')})"
            con.execute(f"""
                COPY (
                    SELECT e.event_time, e.event_type, p.product_id, p.category_id, p.category_code,
                           p.brand, e.price::DECIMAL(12, 2) AS price, e.user_id, e.user_session
                    FROM {source} e JOIN products p ON p.product_idx = e.product_idx
                    ORDER BY e.event_time, e.seq
                ) TO {literal(partial)}
                (FORMAT csv, HEADER true, COMPRESSION gzip, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S UTC')
            """)
            for etype, n in con.execute(f"SELECT event_type, count(*) FROM {source} GROUP BY 1").fetchall():
                per_type[etype] += n
                per_month[month] = per_month.get(month, 0) + n
        per_month.setdefault(month, 0)
        written += per_month[month]
        partial.replace(target)
        files.append(target)
        if progress:
            progress(SynthProgress("months", i + 1, len(month_list), written, month))
    con.close()
    return files, per_month, per_type


def _gzip_header_only() -> bytes:
    import gzip

    return gzip.compress((HEADER + "\n").encode(), mtime=0)
