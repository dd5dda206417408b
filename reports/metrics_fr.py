"""French units, group titles and purposes of the registry's metrics (features/registry.py has the English)."""

from __future__ import annotations

from features.registry import GROUP_TITLES, METRICS, PARTS_OF_DAY, TOP_CATEGORIES, Metric

GROUPS_FR = {
    "activity": "Activité",
    "funnel": "Entonnoir",
    "money": "Argent (RFM)",
    "price": "Prix",
    "breadth": "Diversité et fidélité",
    "time": "Temps et saison",
}

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

CATEGORIES_FR = {
    "electronics": "électronique",
    "appliances": "électroménager",
    "computers": "informatique",
    "apparel": "habillement",
    "furniture": "mobilier",
    "kids": "enfants",
    "sport": "sport",
    "construction": "bricolage",
    "auto": "auto",
    "accessories": "accessoires",
}

PARTS_FR = {"night": "la nuit", "morning": "le matin", "afternoon": "l'après-midi", "evening": "le soir"}

WHY_FR = {
    "n_events": "Engagement global ; distingue les visiteurs d'un jour des habitués (et signale les robots).",
    "n_views": "Volume de navigation : la matière première des profils d'intérêt.",
    "n_carts": "Intention d'achat exprimée, pas forcément concrétisée.",
    "n_removes": "Hésitations dans le panier.",
    "n_sessions": "La fréquence des retours du client ; la base de la fréquence de visite.",
    "active_days": "Visiteurs réguliers ou occasionnels ; plus stable que le nombre de sessions.",
    "months_active": "Fidélité à long terme : qui revient mois après mois.",
    "first_seen": "Cohorte d'acquisition.",
    "last_seen": "Base de la récence et du risque de départ.",
    "tenure_days": "Ancienneté de la relation : les nouveaux clients demandent un accueil, les anciens des "
    "attentions de fidélité.",
    "recency_days": "Risque de départ : plus le silence est long, plus il faut reconquérir.",
    "events_per_session": "Profondeur d'une visite : explorateurs ou visites rapides et ciblées.",
    "median_session_minutes": "Durée d'attention : combien de temps un message ou une page peut les retenir.",
    "median_session_gap_hours": "Rythme naturel de retour : quand envoyer la prochaine relance.",
    "view_to_cart_rate": "L'intérêt qui devient intention ; une valeur basse appelle des incitations (avis, "
    "alertes de stock).",
    "cart_to_purchase_rate": "Conversion au paiement ; une valeur basse signale un frein de prix ou de paiement.",
    "cart_abandonment_rate": "Public des relances de panier abandonné.",
    "remove_from_cart_rate": "Hésitation et comparaison dans le panier.",
    "purchase_rate": "La conversion d'un client : qui achète quand il visite.",
    "n_purchases": "Volume d'achats.",
    "n_orders": "Fréquence d'achat : le F de RFM.",
    "total_spent": "Valeur du client : le M de RFM.",
    "avg_order_value": "Taille du panier ; cibles de montée en gamme et de seuils de livraison gratuite.",
    "items_per_order": "Acheteurs de lots ou d'un seul article ; potentiel de ventes croisées.",
    "purchase_recency_days": "Le R de RFM : la fraîcheur de la relation d'achat.",
    "rfm_r": "Quintile classique de récence RFM.",
    "rfm_f": "Quintile classique de fréquence RFM.",
    "rfm_m": "Quintile classique de montant RFM.",
    "rfm_code": "La case RFM que le marketing connaît déjà (champions `555`, à risque `1xx`).",
    "mean_price_viewed": "Niveau de prix auquel le client navigue.",
    "mean_price_bought": "Niveau de prix que le client paie vraiment.",
    "price_index_viewed": "Amateurs de haut de gamme (> 1) ou chercheurs de petits prix (< 1), à catégorie égale.",
    "price_index_bought": "Sensibilité au prix à la caisse : à qui proposer des remises ou des gammes premium.",
    "below_median_purchase_share": "Chasseurs de bonnes affaires : le public des promotions et du déstockage.",
    "distinct_products": "Étendue de l'intérêt ; nourrit la diversité des recommandations.",
    "distinct_categories": "Spécialistes ou généralistes.",
    "distinct_brands": "Ouverture aux marques ; potentiel de changement de marque.",
    "category_entropy": "Dispersion de l'intérêt ; basse = un client concentré, à toucher par une seule catégorie.",
    "share_other": "Activité hors des grands rayons (ou sur des produits non catégorisés).",
    "top_category": "Le rayon par lequel s'adresser au client.",
    "brand_hhi_views": "Fidélité à une marque en navigation ; les fidèles réagissent aux nouveautés de la marque.",
    "brand_hhi_purchases": "Fidélité à une marque à l'achat : qui touche une campagne avec une marque partenaire.",
    "weekend_share": "Clients du week-end ou de la semaine : le moment des campagnes.",
    "promo_share": "La part de l'activité du client pendant les promotions.",
    "promo_lift": "Réactivité aux offres : qui inviter aux prochaines soldes, et qui achète sans elles.",
    "preferred_month": "Saisonnalité : quand ce client est acheteur.",
}
WHY_FR.update(
    {
        f"share_{c}": f"Affinité pour le rayon {CATEGORIES_FR[c]} : qui inclure dans ses campagnes."
        for c in TOP_CATEGORIES
    }
)
WHY_FR.update(
    {
        f"share_{p}": f"Quand envoyer : ceux qui achètent {PARTS_FR[p]} lisent leurs messages à ce moment-là."
        for p in PARTS_OF_DAY
    }
)


def group_title(group: str, lang: str) -> str:
    return GROUPS_FR.get(group, group) if lang == "fr" else GROUP_TITLES.get(group, group)


def unit(metric: Metric, lang: str) -> str:
    return UNITS_FR.get(metric.unit, metric.unit) if lang == "fr" else metric.unit


def why(metric: Metric, lang: str) -> str:
    """The metric's purpose; the English text when no French one is written yet."""
    return WHY_FR.get(metric.name, metric.why) if lang == "fr" else metric.why


def untranslated() -> list[str]:
    """Metrics of the registry without a French purpose (a test keeps this empty)."""
    return [m.name for m in METRICS if m.name not in WHY_FR]
