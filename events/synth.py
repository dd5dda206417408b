"""Synthetic REES46 month files with planted customer personas, for the demo, benchmarks and quality checks.

:func:`generate` writes ``DIR/2019-Oct.csv.gz`` … (one file per month, time-ordered, the
real header and formats) and ``DIR/personas.csv`` (``user_id,persona`` with the raw ids),
so a segmentation can be scored against the truth. The same seed gives the same bytes.

What looks like the real shop
-----------------------------
* **Catalogue.** About 60 categories with the shop's dotted codes and 19-digit ids, plus
  about 20 categories without a code (≈ 20 % of events have an empty ``category_code``,
  always the same products: the code belongs to the category). Each product has one
  category, one brand (missing for ≈ 9 % of products), a base price drawn log-normal
  around its category's median, and a popularity (log-normal, so a few products take most
  views). Brands follow a Zipf law inside each top-level category. A few products cost 0.
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
  is close to view 94 % · cart 3.6 % · purchase 2.4 %, with ≈ 0.5 % remove_from_cart.
* **Dirt.** Exact duplicate rows (≈ 0.05 % of views once; ≈ 0.5 % of cart rows repeated
  up to a few dozen times) and a few bot-like users (thousands of views, seconds apart).

Planted personas
----------------
Shares are of users; rates are means. ``sessions/month`` is added to one guaranteed
session over the months a user is active (``span``: share of the window's traffic in which
the user is active). ``price taste`` is a Beta(a, b) over a product's price rank inside its
category (None: products by popularity). Holiday shoppers exist only when the months cover
20 Nov – 31 Dec; otherwise their share goes to the others.

======================  =====  =========  ======  =====  ======  ======  =======  ==============  ===========  ======  ========
persona                 share  sess/mon.  views/  cart/  buy/    remove  buy-now  categories      price taste  brands  time
                                          sess.   view   cart    /cart   /view
======================  =====  =========  ======  =====  ======  ======  =======  ==============  ===========  ======  ========
window_shopper          0.24   1.0        6       0      0       0       0        any             popularity   any     all year
cart_abandoner          0.08   1.2        6       0.07   0.03    0.35    0        any             popularity   any     all year
bargain_hunter          0.08   0.8        7       0.04*  0.70*   0.25    0.010*   any             Beta(1, 5)   any     promo ×6
brand_loyalist          0.09   1.0        5       0.05   0.60†   0.20    0.012†   any             popularity   1–2     all year
big_ticket_electronics  0.04   0.4        6       0.05   0.65    0.20    0.010    electronics     Beta(6, 1)   any     all year
frequent_small_basket   0.05   3.0        4       0.08   0.75    0.10    0.035    small goods     Beta(1, 3)   any     all year
holiday_shopper         0.10   3.0        6       0.05   0.65    0.20    0.015    gifts           popularity   any     20 Nov–31 Dec
one_visit               0.32   0 (1 sess) 3       0.01   0.30    0.10    0.002    any             popularity   any     all year
bot                     2e-4   0.5        1500    0      0       0       0        any             uniform      any     all year
======================  =====  =========  ======  =====  ======  ======  =======  ==============  ===========  ======  ========

\\* bargain hunters: cart and buy-now rates ×2 and buy/cart 0.70 when the product is on
promotion at that moment; otherwise cart ×0.5, buy/cart 0.08 and no buy-now. "promo ×6":
their sessions are six times as likely on a promotion day.
† brand loyalists browse their own brands 90 % of the time and buy only those.

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

from events.errors import ShopgraphError
from events.sqltext import literal

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
DAILY_RHYTHM = np.array([0.25, 0.15, 0.12, 0.15, 0.30, 0.55, 0.80, 0.95, 1.00, 1.00, 1.00, 1.00,
                         1.05, 1.10, 1.15, 1.20, 1.20, 1.15, 1.05, 0.90, 0.75, 0.60, 0.45, 0.35])
WEEKLY_RHYTHM = np.array([1.02, 1.00, 0.98, 0.97, 0.95, 0.93, 1.08])  # Monday … Sunday

# ---------------------------------------------------------------------------------------
# the catalogue
# ---------------------------------------------------------------------------------------
# (category_code or None, traffic weight, median price, log-normal sigma, groups)
# groups: e = big-ticket electronics, s = small goods, g = gifts
CATEGORIES: tuple[tuple[str | None, float, float, float, str], ...] = (
    ("electronics.smartphone", 26.0, 260.0, 0.75, "eg"),
    ("electronics.clocks", 3.5, 240.0, 0.8, "g"),
    ("electronics.audio.headphone", 3.0, 25.0, 0.9, "sg"),
    ("electronics.audio.subwoofer", 0.4, 150.0, 0.6, ""),
    ("electronics.audio.acoustic", 0.5, 90.0, 0.8, "g"),
    ("electronics.audio.microphone", 0.2, 20.0, 0.7, "s"),
    ("electronics.video.tv", 1.8, 370.0, 0.7, "eg"),
    ("electronics.video.projector", 0.2, 350.0, 0.6, "e"),
    ("electronics.tablet", 0.6, 380.0, 0.6, "eg"),
    ("electronics.telephone", 0.5, 40.0, 0.6, "s"),
    ("electronics.camera.photo", 0.3, 520.0, 0.7, "e"),
    ("electronics.camera.video", 0.2, 130.0, 0.7, ""),
    ("computers.notebook", 3.2, 410.0, 0.6, "e"),
    ("computers.desktop", 0.9, 550.0, 0.6, "e"),
    ("computers.peripherals.monitor", 0.6, 300.0, 0.6, "e"),
    ("computers.peripherals.printer", 0.4, 120.0, 0.7, ""),
    ("computers.peripherals.mouse", 0.3, 20.0, 0.7, "s"),
    ("computers.peripherals.keyboard", 0.2, 25.0, 0.7, "s"),
    ("computers.components.hdd", 0.6, 50.0, 0.8, ""),
    ("computers.components.videocards", 0.5, 250.0, 0.8, "e"),
    ("computers.components.motherboard", 0.2, 90.0, 0.6, ""),
    ("computers.components.power_supply", 0.2, 60.0, 0.5, ""),
    ("appliances.kitchen.refrigerators", 1.2, 290.0, 0.6, "e"),
    ("appliances.kitchen.washer", 1.6, 300.0, 0.5, "e"),
    ("appliances.kitchen.dishwasher", 0.3, 320.0, 0.4, "e"),
    ("appliances.kitchen.microwave", 0.4, 70.0, 0.5, ""),
    ("appliances.kitchen.kettle", 0.4, 20.0, 0.6, "s"),
    ("appliances.kitchen.blender", 0.5, 45.0, 0.7, "s"),
    ("appliances.kitchen.meat_grinder", 0.6, 60.0, 0.5, ""),
    ("appliances.kitchen.oven", 0.2, 80.0, 0.7, ""),
    ("appliances.kitchen.grill", 0.2, 60.0, 0.8, ""),
    ("appliances.environment.vacuum", 1.3, 150.0, 0.8, "g"),
    ("appliances.environment.air_heater", 1.0, 40.0, 0.6, ""),
    ("appliances.environment.water_heater", 0.8, 80.0, 0.7, ""),
    ("appliances.environment.air_conditioner", 0.3, 250.0, 0.5, "e"),
    ("appliances.iron", 0.4, 35.0, 0.6, "s"),
    ("appliances.sewing_machine", 0.3, 170.0, 0.5, ""),
    ("appliances.personal.hair_cutter", 0.2, 40.0, 0.6, "sg"),
    ("apparel.shoes", 1.2, 55.0, 0.6, "sg"),
    ("apparel.shoes.keds", 1.4, 50.0, 0.6, "s"),
    ("apparel.shoes.slipons", 0.3, 45.0, 0.5, "s"),
    ("apparel.tshirt", 0.3, 15.0, 0.6, "s"),
    ("apparel.jacket", 0.4, 80.0, 0.7, "g"),
    ("furniture.living_room.sofa", 0.3, 500.0, 0.6, ""),
    ("furniture.living_room.cabinet", 0.6, 250.0, 0.7, ""),
    ("furniture.living_room.chair", 0.2, 60.0, 0.6, ""),
    ("furniture.bedroom.bed", 0.4, 380.0, 0.6, ""),
    ("furniture.kitchen.table", 0.4, 280.0, 0.6, ""),
    ("furniture.kitchen.chair", 0.3, 20.0, 0.6, "s"),
    ("furniture.bathroom.toilet", 0.2, 75.0, 0.5, ""),
    ("kids.toys", 0.8, 25.0, 0.9, "sg"),
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
    ("auto.accessories.videoregister", 0.5, 35.0, 0.6, "s"),
    ("auto.accessories.compressor", 0.2, 240.0, 0.5, ""),
    ("accessories.bag", 0.3, 28.0, 0.7, "sg"),
    ("accessories.wallet", 0.1, 20.0, 0.6, "sg"),
    ("stationery.cartrige", 0.2, 12.0, 0.6, "s"),
    ("country_yard.lawn_mower", 0.2, 180.0, 0.6, ""),
    ("medicine.tools.tonometer", 0.1, 35.0, 0.4, "s"),
    # categories without a code, as in the real files (cosmetics, household, tyres …)
    (None, 4.6, 360.0, 0.8, ""),
    (None, 2.0, 35.0, 0.8, "s"),
    (None, 1.6, 380.0, 0.6, ""),
    (None, 1.2, 40.0, 0.7, "s"),
    (None, 1.0, 60.0, 0.6, ""),
    (None, 0.9, 15.0, 0.6, "s"),
    (None, 0.8, 120.0, 0.7, ""),
    (None, 0.7, 25.0, 0.8, "s"),
    (None, 0.6, 200.0, 0.7, ""),
    (None, 0.6, 10.0, 0.7, "s"),
    (None, 0.5, 75.0, 0.6, ""),
    (None, 0.5, 30.0, 0.6, ""),
    (None, 0.4, 45.0, 0.7, ""),
    (None, 0.4, 90.0, 0.6, ""),
    (None, 0.3, 15.0, 0.5, "s"),
    (None, 0.3, 150.0, 0.6, ""),
    (None, 0.2, 20.0, 0.6, ""),
    (None, 0.2, 250.0, 0.5, ""),
)

# brands per top-level category, most popular first (Zipf); "" = categories without a code
BRANDS: dict[str, tuple[str, ...]] = {
    "electronics": ("samsung", "apple", "xiaomi", "huawei", "oppo", "sony", "lg", "nokia", "honor",
                    "casio", "jbl", "meizu", "vivo", "philips", "sennheiser", "canon", "nikon", "garmin"),
    "computers": ("acer", "lenovo", "hp", "asus", "dell", "apple", "msi", "pulser", "seagate",
                  "kingston", "logitech", "gigabyte", "epson", "canon", "wd", "a4tech"),
    "appliances": ("bosch", "lg", "samsung", "indesit", "artel", "elenberg", "polaris", "redmond",
                   "vitek", "haier", "tefal", "beko", "atlant", "midea", "gorenje", "electrolux",
                   "philips", "braun", "scarlett", "aqua"),
    "apparel": ("nike", "adidas", "baden", "respect", "puma", "reebok", "tamaris", "rieker", "ecco",
                "skechers", "kapika", "betsy"),
    "furniture": ("brw", "askona", "sv", "dauscher", "lavsit", "stolline", "mebelson", "cersanit"),
    "kids": ("lego", "hasbro", "mattel", "chicco", "tutti", "cybex", "happybaby", "hot_wheels"),
    "sport": ("stels", "forward", "stern", "nordway", "merida", "author", "ridex"),
    "construction": ("bosch", "makita", "dewalt", "interskol", "zubr", "hammer", "einhell", "ryobi"),
    "auto": ("starline", "pioneer", "kenwood", "sho-me", "alpine", "pandora", "berkut", "aiken"),
    "accessories": ("samsonite", "xiaomi", "wenger", "victorinox", "tatonka", "hedgren"),
    "stationery": ("hp", "canon", "epson", "brother", "cactus"),
    "country_yard": ("huter", "champion", "patriot", "makita"),
    "medicine": ("omron", "and", "microlife", "beurer"),
    "": ("shiseido", "lucente", "cordiant", "creed", "luminarc", "triangle", "nokian", "oasis",
         "michelin", "tefal", "lorealparis", "nivea", "garnier", "estel", "kapous", "yokohama"),
}
LONG_TAIL_BRANDS = 12  # invented minor brands added to each pool
MISSING_BRAND_RATE = 0.09
ZERO_PRICE_RATE = 0.002
_SYLLABLES = ("ka", "ro", "vi", "ten", "lo", "mar", "zen", "to", "ri", "sa", "bel", "ox", "nu",
              "del", "fa", "gor", "ix", "ly", "mo", "pra", "sun", "tek", "vel", "wa")


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
    categories: str = "all"  # all | e (big-ticket electronics) | s (small goods) | g (gifts)
    price_taste: tuple[float, float] | None = None
    loyal_brands: int = 0
    time_profile: str = "base"  # base | promo | holiday
    span: float = 0.7  # share of the window's traffic the user is active in
    view_gap_s: float = 35.0  # median seconds between two views of a session


PERSONAS: tuple[Persona, ...] = (
    Persona("window_shopper", 0.24, 1.0, 6, 0.0, 0.0, 0.0, 0.0),
    Persona("cart_abandoner", 0.08, 1.2, 6, 0.07, 0.03, 0.35, 0.0),
    Persona("bargain_hunter", 0.08, 0.8, 7, 0.04, 0.70, 0.25, 0.010, price_taste=(1.0, 5.0),
            time_profile="promo"),
    Persona("brand_loyalist", 0.09, 1.0, 5, 0.05, 0.60, 0.20, 0.012, loyal_brands=2),
    Persona("big_ticket_electronics", 0.04, 0.4, 6, 0.05, 0.65, 0.20, 0.010, categories="e",
            price_taste=(6.0, 1.0), span=0.9),
    Persona("frequent_small_basket", 0.05, 3.0, 4, 0.08, 0.75, 0.10, 0.035, categories="s",
            price_taste=(1.0, 3.0), span=0.9),
    Persona("holiday_shopper", 0.10, 3.0, 6, 0.05, 0.65, 0.20, 0.015, categories="g",
            time_profile="holiday", span=1.0),
    Persona("one_visit", 0.32, 0.0, 3, 0.01, 0.30, 0.10, 0.002, span=1.0),
    Persona("bot", 0.0002, 0.5, 1500, 0.0, 0.0, 0.0, 0.0, price_taste=(1.0, 1.0), view_gap_s=3.0,
            span=1.0),
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
        cdf, p = self.cdfs[profile]
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
    by_brand: _GroupSampler  # products of a brand, ∝ popularity
    price_order: np.ndarray  # products sorted by (category, base price)
    category_start: np.ndarray
    category_size: np.ndarray
    brand_weight: np.ndarray  # traffic share per brand

    @property
    def products(self) -> int:
        return len(self.product_ids)

    def arrow(self) -> pa.Table:
        codes = pa.array(self.category_codes, pa.string()).take(pa.array(self.product_category))
        brand_idx = np.where(self.product_brand >= 0, self.product_brand, 0)
        brands = pa.array(self.brand_names, pa.string()).take(pa.array(brand_idx))
        brands = pc.if_else(pa.array(self.product_brand >= 0), brands, pa.scalar(None, pa.string()))
        return pa.table({
            "product_idx": pa.array(np.arange(self.products, dtype=np.int32)),
            "product_id": pa.array(self.product_ids),
            "category_id": pa.array(self.category_ids[self.product_category]),
            "category_code": codes,
            "brand": brands,
        })


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
    for g in "esg":
        group_mask[g] = np.array([g in c[4] for c in CATEGORIES])

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

    n_products = int(np.clip(users // 8, 400, 250_000))
    # every category has products; the rest follow traffic (more traffic, more products)
    product_category = np.concatenate([np.arange(n_cat), rng.choice(n_cat, n_products - n_cat, p=weight)])
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
    has_brand = product_brand >= 0
    brand_weight = np.bincount(product_brand[has_brand], product_traffic[has_brand], len(brand_names))
    brand_weight /= brand_weight.sum()
    price_order = np.lexsort((np.arange(n_products), base_price, product_category))
    category_start = np.searchsorted(product_category[price_order], np.arange(n_cat), side="left")
    category_size = np.bincount(product_category, minlength=n_cat)
    brand_group = np.where(has_brand, product_brand, len(brand_names))
    return _Catalogue(
        category_ids=category_ids, category_codes=codes, category_weight=weight, group_mask=group_mask,
        product_category=product_category, product_ids=product_ids, product_brand=product_brand,
        brand_names=brand_names, base_price=base_price, month_drift=month_drift,
        by_popularity=_GroupSampler(product_category, popularity, n_cat),
        by_brand=_GroupSampler(brand_group, popularity, len(brand_names) + 1),
        price_order=price_order, category_start=category_start, category_size=category_size,
        brand_weight=brand_weight,
    )


# ---------------------------------------------------------------------------------------
# users and their events
# ---------------------------------------------------------------------------------------
def _persona_shares(clock: _Clock) -> np.ndarray:
    shares = np.array([p.share for p in PERSONAS])
    if "holiday" not in clock.cdfs:
        shares[PERSONA_NAMES.index("holiday_shopper")] = 0.0
    return shares / shares.sum()


def _assign_users(rng: np.random.Generator, users: int, clock: _Clock) -> tuple[np.ndarray, np.ndarray]:
    """Raw user ids (9 digits, unique, shuffled) and each user's persona index."""
    stride = max(1, 250_000_000 // max(users, 1))
    ids = 300_000_000 + np.arange(users, dtype=np.int64) * stride + rng.integers(0, stride, users)
    ids = rng.permutation(ids)
    shares = _persona_shares(clock)
    persona = rng.choice(len(PERSONAS), users, p=shares)
    bot = PERSONA_NAMES.index("bot")
    if users >= 50 and not (persona == bot).any():  # a few bots, always at least one
        persona[int(rng.integers(0, users))] = bot
    return ids, persona.astype(np.int8)


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
    rng: np.random.Generator, cat: _Catalogue, clock: _Clock, user_ids: np.ndarray, persona: np.ndarray,
) -> pa.Table:
    """Every event of a chunk of users (unsorted), with the month each falls in."""
    n_users = len(user_ids)
    P = PERSONAS
    col = lambda attr: np.array([getattr(p, attr) for p in P], np.float64)[persona]  # noqa: E731

    # --- sessions: how many, when --------------------------------------------------------
    profile_of = np.array([p.time_profile for p in P])[persona]
    span = col("span")
    months_active = np.array([clock.months_of_traffic(p.time_profile) if p.time_profile in clock.cdfs else 0.0
                              for p in P])[persona] * span
    n_sessions = 1 + rng.poisson(col("sessions_per_month") * months_active)
    s_user = np.repeat(np.arange(n_users), n_sessions)
    # each user is active in a stretch of ``span`` of the profile's traffic, placed on a circle so
    # that every part of the window gets its share (a stretch may wrap from the end to the start)
    lo = rng.random(n_users)
    u = np.mod(lo[s_user] + rng.random(len(s_user)) * span[s_user], 1.0)
    s_start = np.empty(len(s_user), np.int64)
    for profile in ("base", "promo", "holiday"):
        mask = profile_of[s_user] == profile
        if mask.any():
            s_start[mask] = clock.sample(profile, u[mask])

    # views per session and their offsets inside the session
    n_views = rng.geometric(1.0 / col("views_per_session")[s_user])
    v_session = np.repeat(np.arange(len(s_user)), n_views)
    v_user = s_user[v_session]
    gap = 1 + rng.lognormal(np.log(col("view_gap_s")[v_user]), 0.9).astype(np.int64)
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
    v_session, v_user, v_time = v_session[keep], v_user[keep], v_time[keep]
    n_v = len(v_time)

    # --- what is viewed ------------------------------------------------------------------
    K = 3
    persona_groups = np.array([p.categories for p in P])
    fav = np.empty((n_users, K), np.int64)
    for g in np.unique(persona_groups[persona]):
        users_g = np.flatnonzero(persona_groups[persona] == g)
        w = cat.category_weight * cat.group_mask[g]
        fav[users_g] = rng.choice(len(w), (len(users_g), K), p=w / w.sum())
    s_pick = rng.choice(K, len(s_user), p=[0.6, 0.25, 0.15])
    s_category = fav[s_user, s_pick]
    explore_all = (rng.random(len(s_user)) < 0.12) & (persona_groups[persona][s_user] == "all")
    s_category[explore_all] = rng.choice(len(cat.category_weight), int(explore_all.sum()), p=cat.category_weight)
    v_category = s_category[v_session]
    stray = rng.random(n_v) < 0.15
    v_category[stray] = fav[v_user[stray], rng.integers(0, K, int(stray.sum()))]

    v_persona = persona[v_user]
    product = cat.by_popularity.sample(v_category, rng.random(n_v))
    for k, p in enumerate(P):
        if p.price_taste is None:
            continue
        m = v_persona == k
        if not m.any():
            continue
        q = rng.beta(p.price_taste[0], p.price_taste[1], int(m.sum()))
        c = v_category[m]
        pos = cat.category_start[c] + np.minimum((q * cat.category_size[c]).astype(np.int64), cat.category_size[c] - 1)
        product[m] = cat.price_order[pos]

    loyal_persona = np.array([p.loyal_brands for p in P])
    loyal_users = np.flatnonzero(loyal_persona[persona] > 0)
    user_brands = np.full((n_users, 2), -1, np.int64)
    if len(loyal_users):
        picks = rng.choice(len(cat.brand_weight), (len(loyal_users), 2), p=cat.brand_weight)
        one_brand = rng.random(len(loyal_users)) < 0.5
        picks[one_brand, 1] = picks[one_brand, 0]
        user_brands[loyal_users] = picks
        m = (loyal_persona[v_persona] > 0) & (rng.random(n_v) < 0.9)
        b = user_brands[v_user[m], rng.integers(0, 2, int(m.sum()))]
        product[m] = cat.by_brand.sample(b, rng.random(int(m.sum())))

    # look again at the product just seen (same session)
    again = np.flatnonzero(rng.random(n_v) < 0.25)
    again = again[(again > 0)]
    again = again[v_session[again] == v_session[again - 1]]
    product[again] = product[again - 1]  # chains resolve left to right only once; fine for realism

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
    p_cart = col("p_cart")[v_user]
    p_buy = col("p_buy")[v_user]
    p_buy_now = col("p_buy_now")[v_user]
    p_remove = col("p_remove")[v_user]
    bargain = v_persona == PERSONA_NAMES.index("bargain_hunter")
    p_cart = np.where(bargain, np.where(on_promo, 2.0, 0.5) * p_cart, p_cart)
    p_buy = np.where(bargain & ~on_promo, 0.08, p_buy)
    p_buy_now = np.where(bargain, np.where(on_promo, 2.0 * p_buy_now, 0.0), p_buy_now)
    loyal = loyal_persona[v_persona] > 0
    if loyal.any():
        own = (cat.product_brand[product][:, None] == user_brands[v_user]).any(axis=1)
        p_buy = np.where(loyal & ~own, 0.0, p_buy)
        p_buy_now = np.where(loyal & ~own, 0.0, p_buy_now)

    carted = rng.random(n_v) < p_cart
    bought = carted & (rng.random(n_v) < p_buy)
    removed = carted & ~bought & (rng.random(n_v) < p_remove)
    bought_now = ~carted & (rng.random(n_v) < p_buy_now)
    cart_time = v_time + rng.integers(2, 60, n_v)
    buy_time = np.where(carted, cart_time + rng.integers(30, 300, n_v), v_time + rng.integers(20, 240, n_v))
    remove_time = cart_time + rng.integers(10, 500, n_v)

    idx = np.concatenate([np.arange(n_v), np.flatnonzero(carted), np.flatnonzero(removed),
                          np.flatnonzero(bought | bought_now)])
    etype = np.concatenate([np.full(n_v, VIEW), np.full(int(carted.sum()), CART),
                            np.full(int(removed.sum()), REMOVE),
                            np.full(int((bought | bought_now).sum()), PURCHASE)]).astype(np.int8)
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
    return pa.table({
        "event_time": pa.array(etime * 1_000_000, pa.timestamp("us")),
        "event_type": pa.DictionaryArray.from_arrays(pa.array(etype), pa.array(EVENT_TYPES)),
        "product_idx": pa.array(product[idx].astype(np.int32)),
        "price": pa.array(price[idx]),
        "user_id": pa.array(user_ids[v_user[idx]]),
        "user_session": sessions.take(pa.array(v_session[idx])),
        "month": pa.array(month.astype(np.int16)),
        "duplicate": pa.array(is_copy),
    })


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
        Number of synthetic users (≈ 29 events each over seven months, fewer over fewer
        months; 340 000 users give about 10 M events for 2019-10..2020-04).
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
    user_ids, persona = _assign_users(np.random.default_rng([seed, 1]), users, clock)

    tmp = out / ".synth-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        events = duplicates = 0
        for chunk, first in enumerate(range(0, users, USERS_PER_CHUNK)):
            last = min(first + USERS_PER_CHUNK, users)
            rng = np.random.default_rng([seed, 2, chunk])
            table = _chunk_events(rng, catalogue, clock, user_ids[first:last], persona[first:last])
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
        f.write("user_id,persona\n")
        names = np.array(PERSONA_NAMES)[persona[order]]
        f.write("".join(f"{u},{n}\n" for u, n in zip(user_ids[order].tolist(), names.tolist(), strict=True)))
    counts = np.bincount(persona, minlength=len(PERSONAS))
    return SynthResult(
        out_dir=out, files=files, personas_file=personas_file, users=users, events=events,
        duplicates=duplicates, events_per_month=per_month, events_per_type=per_type,
        users_per_persona={n: int(c) for n, c in zip(PERSONA_NAMES, counts, strict=True) if c},
        seed=seed, seconds=time.perf_counter() - started, products=catalogue.products,
    )


def _write_months(
    out: Path, tmp: Path, catalogue: _Catalogue, month_list: list[str],
    progress: Callable[[SynthProgress], None] | None, events: int,
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
