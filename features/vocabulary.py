"""The metrics' words in English and French: each metric's short label and its purpose, the units, the group
titles, and the words for the departments and the parts of day.

The registry (:mod:`features.registry`) says what each metric is; this module says how people are told about
it. The labels are the short words used wherever a metric is named to a reader: segment names and traits
(:mod:`segments.naming`), the profiles' plain-language rules, the dossier's charts. The purposes ("why it
matters") fill the glossary (docs/METRICS.md) and the dossier's table of metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP_TITLES = {
    "activity": ("Activity", "Activité"),
    "funnel": ("Funnel", "Entonnoir"),
    "money": ("Money (RFM)", "Argent (RFM)"),
    "price": ("Price", "Prix"),
    "breadth": ("Breadth and loyalty", "Diversité et fidélité"),
    "time": ("Time and season", "Temps et saison"),
}

#: The registry's units (English, as ``Metric.unit``) in French.
UNITS_FR = {
    "events": "événements",
    "sessions": "sessions",
    "days": "jours",
    "months": "mois",
    "timestamp": "horodatage",
    "events per session": "événements par session",
    "minutes": "minutes",
    "hours": "heures",
    "share": "part",
    "items": "articles",
    "orders": "commandes",
    "currency": "devise",
    "currency per order": "devise par commande",
    "items per order": "articles par commande",
    "score": "score",
    "code": "code",
    "ratio": "ratio",
    "products": "produits",
    "categories": "catégories",
    "brands": "marques",
    "bits": "bits",
    "category": "catégorie",
    "index": "indice",
    "month": "mois",
}

#: The top-level categories (``share_*``) in French: the short word of labels and names ("part mode",
#: "les nouveautés mode"); in English the category's own name.
CATEGORY_FR = {
    "electronics": "électronique",
    "appliances": "électroménager",
    "computers": "informatique",
    "apparel": "mode",
    "furniture": "mobilier",
    "kids": "enfants",
    "sport": "sport",
    "construction": "bricolage",
    "auto": "auto",
    "accessories": "accessoires",
    "other": "autres",
}
#: The department's name after "le rayon" in a sentence, where it differs from the short word.
DEPARTMENT_FR = {**CATEGORY_FR, "apparel": "habillement"}

#: Parts of day as adverbs: "at night" / "la nuit".
PARTS_OF_DAY = {
    "night": ("at night", "la nuit"),
    "morning": ("in the morning", "le matin"),
    "afternoon": ("in the afternoon", "l'après-midi"),
    "evening": ("in the evening", "le soir"),
}


@dataclass(frozen=True)
class Words:
    """A metric's words: its short ``label`` and ``why`` it matters to marketing, each as (English, French)."""

    label: tuple[str, str]
    why: tuple[str, str]


#: Every metric of the registry; the ``share_*`` of the categories and parts of day are added below.
WORDS: dict[str, Words] = {
    "n_events": Words(
        ("events", "événements"),
        (
            "Overall engagement; separates one-off visitors from regulars (and flags bots).",
            "Engagement global ; distingue les visiteurs d'un jour des habitués (et signale les robots).",
        ),
    ),
    "n_views": Words(
        ("views", "vues"),
        (
            "Browsing volume: the raw material of interest profiles.",
            "Volume de navigation : la matière première des profils d'intérêt.",
        ),
    ),
    "n_carts": Words(
        ("cart adds", "ajouts au panier"),
        (
            "Purchase intent signalled but not necessarily completed.",
            "Intention d'achat exprimée, pas forcément concrétisée.",
        ),
    ),
    "n_removes": Words(
        ("cart removals", "retraits du panier"), ("Second thoughts in the basket.", "Hésitations dans le panier.")
    ),
    "n_sessions": Words(
        ("visits", "visites"),
        (
            "How often the customer comes back; the base of visit frequency.",
            "La fréquence des retours du client ; la base de la fréquence de visite.",
        ),
    ),
    "active_days": Words(
        ("active days", "jours actifs"),
        (
            "Habitual vs occasional visitors; steadier than session counts.",
            "Visiteurs réguliers ou occasionnels ; plus stable que le nombre de sessions.",
        ),
    ),
    "months_active": Words(
        ("active months", "mois actifs"),
        (
            "Long-term retention: who keeps coming back month after month.",
            "Fidélité à long terme : qui revient mois après mois.",
        ),
    ),
    "first_seen": Words(("first visit", "première visite"), ("Cohort of acquisition.", "Cohorte d'acquisition.")),
    "last_seen": Words(
        ("last visit", "dernière visite"),
        ("Base of recency and churn risk.", "Base de la récence et du risque de départ."),
    ),
    "tenure_days": Words(
        ("relationship length", "ancienneté"),
        (
            "Relationship length: new customers need onboarding, old ones loyalty care.",
            "Ancienneté de la relation : les nouveaux clients demandent un accueil, les anciens des "
            "attentions de fidélité.",
        ),
    ),
    "recency_days": Words(
        ("days since last visit", "jours depuis la dernière visite"),
        (
            "Churn risk: the longer the silence, the stronger the win-back need.",
            "Risque de départ : plus le silence est long, plus il faut reconquérir.",
        ),
    ),
    "events_per_session": Words(
        ("events per visit", "événements par visite"),
        (
            "Depth of a visit: explorers vs quick, targeted visits.",
            "Profondeur d'une visite : explorateurs ou visites rapides et ciblées.",
        ),
    ),
    "median_session_minutes": Words(
        ("visit length", "durée des visites"),
        (
            "Attention span: how long a message or landing page can hold them.",
            "Durée d'attention : combien de temps un message ou une page peut les retenir.",
        ),
    ),
    "median_session_gap_hours": Words(
        ("time between visits", "temps entre les visites"),
        (
            "Natural return rhythm: when to send the next reminder.",
            "Rythme naturel de retour : quand envoyer la prochaine relance.",
        ),
    ),
    "view_to_cart_rate": Words(
        ("view-to-cart rate", "taux de mise au panier"),
        (
            "Interest that turns into intent; low values call for nudges (reviews, stock alerts).",
            "L'intérêt qui devient intention ; une valeur basse appelle des incitations (avis, alertes de stock).",
        ),
    ),
    "cart_to_purchase_rate": Words(
        ("cart-to-purchase rate", "taux d'achat après panier"),
        (
            "Checkout conversion; low values point at price or checkout friction.",
            "Conversion au paiement ; une valeur basse signale un frein de prix ou de paiement.",
        ),
    ),
    "cart_abandonment_rate": Words(
        ("cart abandonment", "abandon de panier"),
        ("Audience for abandoned-basket reminders.", "Public des relances de panier abandonné."),
    ),
    "remove_from_cart_rate": Words(
        ("removal rate", "taux de retrait du panier"),
        ("Hesitation and comparison shopping inside the basket.", "Hésitation et comparaison dans le panier."),
    ),
    "purchase_rate": Words(
        ("purchase rate", "taux d'achat"),
        (
            "The headline conversion of a customer: who buys when they visit.",
            "La conversion d'un client : qui achète quand il visite.",
        ),
    ),
    "n_purchases": Words(("items bought", "articles achetés"), ("Purchase volume.", "Volume d'achats.")),
    "n_orders": Words(
        ("orders", "commandes"), ("Purchase frequency: the F of RFM.", "Fréquence d'achat : le F de RFM.")
    ),
    "total_spent": Words(("spend", "dépenses"), ("Customer value: the M of RFM.", "Valeur du client : le M de RFM.")),
    "avg_order_value": Words(
        ("order value", "panier moyen"),
        (
            "Basket size; targets for up-sell and free-shipping thresholds.",
            "Taille du panier ; cibles de montée en gamme et de seuils de livraison gratuite.",
        ),
    ),
    "items_per_order": Words(
        ("items per order", "articles par commande"),
        (
            "Bundlers vs single-item buyers; cross-sell potential.",
            "Acheteurs de lots ou d'un seul article ; potentiel de ventes croisées.",
        ),
    ),
    "purchase_recency_days": Words(
        ("days since last purchase", "jours depuis le dernier achat"),
        ("The R of RFM: how fresh the buying relationship is.", "Le R de RFM : la fraîcheur de la relation d'achat."),
    ),
    "rfm_r": Words(
        ("RFM recency score", "score de récence RFM"),
        ("Classic RFM recency quintile.", "Quintile classique de récence RFM."),
    ),
    "rfm_f": Words(
        ("RFM frequency score", "score de fréquence RFM"),
        ("Classic RFM frequency quintile.", "Quintile classique de fréquence RFM."),
    ),
    "rfm_m": Words(
        ("RFM monetary score", "score de montant RFM"),
        ("Classic RFM monetary quintile.", "Quintile classique de montant RFM."),
    ),
    "rfm_code": Words(
        ("RFM cell", "case RFM"),
        (
            "The classic RFM cell marketers already know (champions `555`, at risk `1xx`).",
            "La case RFM que le marketing connaît déjà (champions `555`, à risque `1xx`).",
        ),
    ),
    "mean_price_viewed": Words(
        ("price viewed", "prix consultés"),
        ("Price level the customer browses at.", "Niveau de prix auquel le client navigue."),
    ),
    "mean_price_bought": Words(
        ("price paid", "prix payés"),
        ("Price level the customer actually pays.", "Niveau de prix que le client paie vraiment."),
    ),
    "price_index_viewed": Words(
        ("price level viewed", "niveau de prix consulté"),
        (
            "Premium seekers (> 1) vs bargain browsers (< 1), fair across categories.",
            "Amateurs de haut de gamme (> 1) ou chercheurs de petits prix (< 1), à catégorie égale.",
        ),
    ),
    "price_index_bought": Words(
        ("price level paid", "niveau de prix payé"),
        (
            "Price sensitivity at the till: who to target with discounts vs premium lines.",
            "Sensibilité au prix à la caisse : à qui proposer des remises ou des gammes premium.",
        ),
    ),
    "below_median_purchase_share": Words(
        ("bargain purchases", "achats à prix bas"),
        (
            "Bargain hunters: the audience for promotions and outlet offers.",
            "Chasseurs de bonnes affaires : le public des promotions et du déstockage.",
        ),
    ),
    "distinct_products": Words(
        ("products seen", "produits vus"),
        (
            "Breadth of interest; feeds recommendation diversity.",
            "Étendue de l'intérêt ; nourrit la diversité des recommandations.",
        ),
    ),
    "distinct_categories": Words(
        ("categories seen", "catégories vues"), ("Specialists vs generalists.", "Spécialistes ou généralistes.")
    ),
    "distinct_brands": Words(
        ("brands seen", "marques vues"),
        (
            "Openness to brands; brand-switching potential.",
            "Ouverture aux marques ; potentiel de changement de marque.",
        ),
    ),
    "category_entropy": Words(
        ("category variety", "variété des catégories"),
        (
            "How spread the interest is; low = a focused shopper to address with one category.",
            "Dispersion de l'intérêt ; basse = un client concentré, à toucher par une seule catégorie.",
        ),
    ),
    "share_other": Words(
        ("share outside the main departments", "part hors grands rayons"),
        (
            "Activity outside the main departments (or in uncategorised products).",
            "Activité hors des grands rayons (ou sur des produits non catégorisés).",
        ),
    ),
    "top_category": Words(
        ("main department", "rayon principal"),
        ("The one department to address a customer with.", "Le rayon par lequel s'adresser au client."),
    ),
    "brand_hhi_views": Words(
        ("brand loyalty (views)", "fidélité à la marque (vues)"),
        (
            "Brand loyalty while browsing; loyalists respond to brand news.",
            "Fidélité à une marque en navigation ; les fidèles réagissent aux nouveautés de la marque.",
        ),
    ),
    "brand_hhi_purchases": Words(
        ("brand loyalty (purchases)", "fidélité à la marque (achats)"),
        (
            "Brand loyalty at the till: whom a brand partner campaign reaches.",
            "Fidélité à une marque à l'achat : qui touche une campagne avec une marque partenaire.",
        ),
    ),
    "weekend_share": Words(
        ("weekend activity", "activité le week-end"),
        (
            "Weekend vs weekday shoppers: campaign timing.",
            "Clients du week-end ou de la semaine : le moment des campagnes.",
        ),
    ),
    "promo_share": Words(
        ("activity in promotions", "activité en promotion"),
        (
            "How much of the customer's activity happens during promotions.",
            "La part de l'activité du client pendant les promotions.",
        ),
    ),
    "promo_lift": Words(
        ("promotion response", "réaction aux promotions"),
        (
            "Deal responsiveness: who to invite to the next sale, and who buys without one.",
            "Réactivité aux offres : qui inviter aux prochaines soldes, et qui achète sans elles.",
        ),
    ),
    "preferred_month": Words(
        ("busiest month", "mois le plus actif"),
        ("Seasonality: when this customer is in the market.", "Saisonnalité : quand ce client est acheteur."),
    ),
}
WORDS.update(
    {
        f"share_{c}": Words(
            (f"{c} share", f"part {fr}"),
            (
                f"Affinity for {c}: who to include in {c} campaigns.",
                f"Affinité pour le rayon {DEPARTMENT_FR[c]} : qui inclure dans ses campagnes.",
            ),
        )
        for c, fr in CATEGORY_FR.items()
        if c != "other"
    }
)
WORDS.update(
    {
        f"share_{part}": Words(
            (f"{part} activity", f"activité {fr}"),
            (
                f"When to send: {part} shoppers read messages then.",
                f"Quand envoyer : ceux qui achètent {fr} lisent leurs messages à ce moment-là.",
            ),
        )
        for part, (_, fr) in PARTS_OF_DAY.items()
    }
)


#: Gender and number of each French label's head noun (its first word; a whole label where the word alone
#: does not say, as "mois"), so that an adjective after the label agrees: "vues élevées", "part mode élevée".
FR_AGREEMENT = {
    **dict.fromkeys(["abandon", "niveau", "panier", "rayon", "score", "taux", "temps", "mois"], "m"),
    **dict.fromkeys(["achats", "ajouts", "articles", "jours", "prix", "produits", "retraits", "événements"], "mp"),
    **dict.fromkeys(
        ["activité", "ancienneté", "case", "dernière", "durée", "fidélité", "part", "première", "réaction", "variété"],
        "f",
    ),
    **dict.fromkeys(["catégories", "commandes", "dépenses", "marques", "visites", "vues"], "fp"),
    "mois actifs": "mp",
}
HIGH_FR = {"m": "élevé", "f": "élevée", "mp": "élevés", "fp": "élevées"}


def high_or_low(metric: str, high: bool, lang: str) -> str:
    """``"high views"`` / ``"vues élevées"``: the metric's label said high or low, the French adjective agreeing
    with the label's head noun (:data:`FR_AGREEMENT`; masculine singular for a label it does not know)."""
    text = label(metric, lang)
    if lang != "fr":
        return ("high " if high else "low ") + text
    agreement = FR_AGREEMENT.get(text) or FR_AGREEMENT.get(text.split()[0], "m")
    return f"{text} {HIGH_FR[agreement] if high else 'faibles' if agreement.endswith('p') else 'faible'}"


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "fr" else pair[0]


def label(metric: str, lang: str) -> str:
    """The metric's short label in ``lang``; a name the vocabulary does not know is shown with spaces."""
    words = WORDS.get(metric)
    return _pick(words.label, lang) if words else metric.replace("_", " ")


def why(metric: str, lang: str) -> str:
    """Why the metric matters to marketing, in ``lang``."""
    return _pick(WORDS[metric].why, lang)


def unit(unit_en: str, lang: str) -> str:
    """A registry unit in ``lang``."""
    return UNITS_FR.get(unit_en, unit_en) if lang == "fr" else unit_en


def group_title(group: str, lang: str) -> str:
    pair = GROUP_TITLES.get(group)
    return _pick(pair, lang) if pair else group


def part_of_day(part: str, lang: str) -> str:
    """``"at night"`` / ``"la nuit"``."""
    return _pick(PARTS_OF_DAY[part], lang)


def untranslated() -> list[str]:
    """Metrics of the registry without words in both languages (a test keeps this empty)."""
    from features.registry import METRICS

    return [m.name for m in METRICS if m.name not in WORDS or not all(WORDS[m.name].label + WORDS[m.name].why)]
