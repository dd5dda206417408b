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
  views). Every category has at least :data:`catalogue.MIN_PRODUCTS_PER_CATEGORY` products; the
  others follow traffic (one product per 8 users). Brands follow a Zipf law inside each
  top-level category. A few products cost 0.
* **Prices.** Base price × a small monthly drift (±2 %) × a promotion discount (10–40 %
  for ≈ 35 % of products during each promotion period of :data:`clock.PROMOTIONS`, the same
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

=============================  ======  ==========  ======  =====  ======  ======  =======
persona                        share   sess/mon.   views/  cart/  buy/    remove  buy-now
                                                   sess.   view   cart    /cart   /view
=============================  ======  ==========  ======  =====  ======  ======  =======
window_shopper                 0.24    1.0         6       0      0       0       0
cart_abandoner                 0.08    1.2         6       0.15   0.03    0.35    0
bargain_hunter                 0.08    0.8         7       0.04*  0.70*   0.25    0.010*
brand_loyalist_apple_family    0.05    1.0         5       0.05   0.60†   0.20    0.012†
brand_loyalist_samsung_family  0.05    1.0         5       0.05   0.60†   0.20    0.012†
big_ticket_electronics         0.04    0.4         6       0.05   0.65    0.20    0.010
frequent_small_basket_home     0.03    3.0         4       0.08   0.75    0.10    0.035
frequent_small_basket_fashion  0.03    3.0         4       0.08   0.75    0.10    0.035
holiday_shopper                0.10    3.0         6       0.05   0.65    0.20    0.015
one_visit                      0.2998  0 (1 sess)  3       0.01   0.30    0.10    0.002
bot                            2e-4    0.5         1500    0      0       0       0
=============================  ======  ==========  ======  =====  ======  ======  =======

Tastes and times: any category, products by popularity, any brand, all year, except

* ``bargain_hunter``: price taste Beta(1, 5); "promo ×6"*;
* the brand loyalists: one or two brands of the apple or samsung family†;
* ``big_ticket_electronics``: big-ticket electronics, price taste Beta(6, 1);
* the frequent small-basket shoppers: the home‡ or fashion‡ categories, price taste Beta(1, 3);
* ``holiday_shopper``: gifts, 20 Nov – 31 Dec only;
* ``bot``: products uniform over the price ranks.

**A persona shows in a short history.** A label the events cannot show is noise, not truth, so
each persona's defining habit appears early: window shoppers *come back* (at least two sessions,
``min_sessions``; a browser with a single session is a ``one_visit``), and cart abandoners cart
about one view in seven, so most of their sessions leave a cart (what this rule gained:
docs/BENCHMARKS.md, "a persona shows in a short history").

\\* bargain hunters: cart and buy-now rates ×2 and buy/cart 0.70 when the product is on
promotion at that moment; otherwise cart ×0.5, buy/cart 0.08 and no buy-now. "promo ×6":
their sessions are six times as likely on a promotion day.

Taste pairs (:data:`personas.TASTE_PAIRS`): the two personas of a pair have the same row but for
taste, so only brand or category features (or the graph) can tell them apart:

† **Brand families.** Brand loyalists view the products of one or two brands of their
family (drawn ∝ the brands' traffic) 90 % of the time (∝ √popularity inside a brand) and
buy only those. A family is a
few brands of the ``electronics`` top-level category (:data:`catalogue.BRAND_FAMILY_TOP`), built
from the catalogue: each starts with its anchor (apple, samsung, :data:`catalogue.BRAND_FAMILIES`);
then each next most-viewed named electronics brand joins the family with less traffic so
far, up to :data:`catalogue.BRAND_FAMILY_SIZE` brands. The families are disjoint, and their products
are dealt out again alternately in order of (category, price), so both families have the
same mix of categories and prices, hence the same spend. :attr:`SynthResult.brand_families` names them.
‡ **Category families** (:data:`catalogue.TASTE_CATEGORIES`): *home* is eight small-goods
categories of appliances, furniture and construction, *fashion* seven of apparel and
accessories, chosen so that their traffic and median prices match (geometric mean of the
medians ≈ 44 vs 46). Every persona's user draws three *distinct* favourite categories
inside its categories (∝ traffic), so both families give the same number of categories.

What blurs the personas, as real shoppers do
--------------------------------------------
* **Blends.** :data:`personas.BLEND_SHARE` (10 %) of all users, drawn among the personas other than
  ``one_visit`` and ``bot``, blend a second persona (drawn by the shares, never the first)
  into their sessions: each session after the first plays the second persona with a
  per-user probability in :data:`personas.BLEND_WEIGHT` (0.20–0.45), with its times, views, tastes
  and funnel. ``personas.csv`` records the dominant persona in ``persona`` and the other
  in ``secondary_persona`` (empty for the others).
* **Off-taste browsing.** Every user but bots has a per-user noise rate in
  :data:`personas.NOISE_RATE` (10–15 %): that share of views goes to a category outside the
  persona's categories (outside the user's three favourites for the personas of any
  category), by popularity. Noise is browsing only (never carted or bought); the other
  views carry the carts and buy-nows the noise would have had, so the table's rates are
  still the means over all views.
* **Heavy-tailed activity.** Each user (bots aside) has an activity multiplier,
  log-normal with mean 1 and sigma :data:`personas.ACTIVITY_SIGMA` (1.0) on the log, that scales
  their expected number of sessions: the top 10 % of users hold about half of the events,
  the median user has fewer events than the mean.

Modules
-------
``clock`` (months, hourly traffic, promotions), ``catalogue`` (categories, brands, products),
``personas`` (the table above, who is who, the blurs), ``sessions`` (when users shop),
``views`` (what they view), ``funnel`` (prices, carts, purchases, duplicates), ``chunk``
(the steps in order for a chunk of users), ``writer`` (Parquet parts, month CSVs,
``personas.csv``) and ``generator`` (:func:`generate`). Users are generated in chunks with
numpy (no Python loop per event), so memory is bounded by the chunk size, not by the number
of users. The output depends on ``seed`` and on the package's constants, not on the machine.
"""

from events.synth.catalogue import BRAND_FAMILIES, TASTE_CATEGORIES
from events.synth.clock import month_file_name, parse_months
from events.synth.funnel import EVENT_TYPES
from events.synth.generator import SynthProgress, SynthResult, generate
from events.synth.personas import BLEND_SHARE, PERSONA_NAMES, PERSONAS, TASTE_PAIRS, Persona
from events.synth.writer import HEADER

# BLEND_SHARE is a copy for reading: to switch a blur off, set it on events.synth.personas
__all__ = [
    "BLEND_SHARE",
    "BRAND_FAMILIES",
    "EVENT_TYPES",
    "HEADER",
    "PERSONAS",
    "PERSONA_NAMES",
    "TASTE_CATEGORIES",
    "TASTE_PAIRS",
    "Persona",
    "SynthProgress",
    "SynthResult",
    "generate",
    "month_file_name",
    "parse_months",
]
