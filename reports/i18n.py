"""The dossier's words in English and French, and numbers written the way each language writes them."""

from __future__ import annotations

import math

from shopgraph.words import LANGS

#: Section keys in reading order (the numbers of the issue).
SECTIONS = ("data", "metrics", "threshold", "selection", "segments", "map", "assign", "recommend", "time", "infra")

TEXT: dict[str, tuple[str, str]] = {
    # the document
    "doc.title": ("Customer segments: the dossier", "Segments de clientèle : le dossier"),
    "doc.subtitle": (
        "How the marketplace's customers shop and browse, grouped into named segments, and how the groups were found.",
        "Comment les clients de la place de marché achètent et naviguent, regroupés en segments "
        "nommés, et comment ces groupes ont été trouvés.",
    ),
    "doc.generated": ("Generated {at} from the workspace {home}.", "Généré le {at} depuis l'espace de travail {home}."),
    "doc.run": ("Segmentation run: {run}.", "Segmentation : exécution {run}."),
    "doc.norun": ("No segmentation run yet.", "Pas encore de segmentation."),
    "doc.contents": ("Contents", "Sommaire"),
    "doc.page": ("Page", "Page"),
    "doc.of": ("of", "sur"),
    "missing.title": ("Missing input", "Donnée manquante"),
    # section titles
    "s.data": ("The data", "Les données"),
    "s.metrics": ("The metrics and why each matters", "Les indicateurs et leur intérêt"),
    "s.threshold": ("The activity threshold", "Le seuil d'activité"),
    "s.selection": ("Model selection", "Le choix du modèle"),
    "s.segments": ("The segments", "Les segments"),
    "s.map": ("Map of customers", "Carte des clients"),
    "s.assign": ("Assigning new customers", "Affecter les nouveaux clients"),
    "s.recommend": ("Recommendations", "Recommandations"),
    "s.time": ("Over time", "Évolution dans le temps"),
    "s.infra": ("The infrastructure", "L'infrastructure"),
    # what to run when an input is missing
    "need.describe": (
        "The descriptive analysis ({path}) is missing: run `shopgraph describe` first.",
        "L'analyse descriptive ({path}) est absente : lancez d'abord `shopgraph describe`.",
    ),
    "need.manifest": (
        "The ingest manifest ({path}) is missing: run `shopgraph ingest FILE` first.",
        "Le manifeste d'ingestion ({path}) est absent : lancez d'abord `shopgraph ingest FICHIER`.",
    ),
    "need.features": (
        "The feature table ({path}) is missing: run `shopgraph features` first.",
        "La table des indicateurs ({path}) est absente : lancez d'abord `shopgraph features`.",
    ),
    "need.run": (
        "No segmentation run ({path}): run `shopgraph segment` first.",
        "Aucune segmentation ({path}) : lancez d'abord `shopgraph segment`.",
    ),
    "need.file": (
        "The run folder has no {name}: run `shopgraph segment` again with the current version.",
        "Le dossier de l'exécution n'a pas de {name} : relancez `shopgraph segment` avec la version actuelle.",
    ),
    "need.embedding": (
        "No embedding record ({path}): run `shopgraph embed` first.",
        "Aucun plongement enregistré ({path}) : lancez d'abord `shopgraph embed`.",
    ),
    "need.recommend": (
        "No recommendation evaluation ({path}) yet: `shopgraph run` computes the hold-out "
        "evaluation before the dossier; this section then shows it.",
        "Pas encore d'évaluation des recommandations ({path}) : `shopgraph run` calcule "
        "l'évaluation sur données mises de côté avant le dossier ; cette section l'affichera alors.",
    ),
    "need.store": (
        "The event store is empty: run `shopgraph ingest FILE` first.",
        "Le magasin d'événements est vide : lancez d'abord `shopgraph ingest FICHIER`.",
    ),
    "need.unreadable": ("{path} could not be read ({error}).", "Impossible de lire {path} ({error})."),
    "need.shape": (
        "This section could not be built from the files as they are ({error}): the producing "
        "step and the dossier disagree on a field; re-run that step with the current version.",
        "Cette section n'a pas pu être construite à partir des fichiers ({error}) : l'étape qui les "
        "produit et le dossier ne s'accordent pas sur un champ ; relancez cette étape avec la version "
        "actuelle.",
    ),
    "need.previous": (
        "This is the first run: there is no earlier run to migrate from.",
        "C'est la première exécution : aucune exécution antérieure d'où migrer.",
    ),
    "need.drift": (
        "The run records no drift figures (they appear when new data is compared with the training run).",
        "L'exécution n'enregistre pas de mesures de dérive (elles apparaissent quand de nouvelles "
        "données sont comparées à l'exécution d'entraînement).",
    ),
    # 1 data
    "data.intro": (
        "What the event store holds after cleaning: {events} events from {users} customers over "
        "{months} months ({first} to {last}).",
        "Ce que contient le magasin d'événements après nettoyage : {events} événements de {users} "
        "clients sur {months} mois (du {first} au {last}).",
    ),
    "data.volumes": ("Volumes", "Volumes"),
    "data.events": ("events", "événements"),
    "data.users": ("customers", "clients"),
    "data.products": ("products", "produits"),
    "data.sessions": ("sessions", "sessions"),
    "data.brands": ("brands", "marques"),
    "data.categories": ("categories", "catégories"),
    "data.first": ("first event", "premier événement"),
    "data.last": ("last event", "dernier événement"),
    "data.months": ("months", "mois"),
    "data.per_month": ("Events per month and type", "Événements par mois et par type"),
    "data.month": ("month", "mois"),
    "data.funnel": (
        "The funnel: customers who viewed, carted and bought",
        "L'entonnoir : clients ayant vu, mis au panier, acheté",
    ),
    "data.funnel.note": (
        "{cart} of viewers put something in the cart; {buy} of carters bought.",
        "{cart} des visiteurs ont mis un article au panier ; {buy} de ceux-ci ont acheté.",
    ),
    "data.missing": ("Missing values", "Valeurs manquantes"),
    "data.column": ("column", "colonne"),
    "data.missing_share": ("share of events where it is empty", "part des événements où elle est vide"),
    "data.cleaning": ("Cleaning decisions and their counts", "Décisions de nettoyage et leurs effets"),
    "data.file": ("file", "fichier"),
    "data.read": ("rows read", "lignes lues"),
    "data.kept": ("kept", "gardées"),
    "data.rejected": ("rejected", "rejetées"),
    "data.duplicates": ("duplicates", "doublons"),
    "data.erased": ("erased", "effacées"),
    "data.total": ("total", "total"),
    "data.decisions": (
        [
            "Rows that cannot be parsed (wrong field count, bad time, unknown event type, bad ids or price) "
            "are rejected and kept in store/rejects/ with their line number and reason.",
            "Exact duplicate rows (same time, type, product, user, session) are dropped: the real files repeat "
            "some cart rows dozens of times.",
            "Empty category codes and brands are kept as missing: the product still counts.",
            "Prices of 0 are kept for the counts but left out of every price metric.",
            "User ids are replaced by a keyed hash before anything is stored (pseudonymisation).",
            "Bot-like users ({bots} users, {bot_share} of events; rule: {rule}) are flagged, not deleted.",
        ],
        [
            "Les lignes illisibles (nombre de champs, date, type d'événement, identifiants ou prix invalides) "
            "sont rejetées et conservées dans store/rejects/ avec leur numéro de ligne et leur motif.",
            "Les doublons exacts (même heure, type, produit, client, session) sont supprimés : les fichiers "
            "réels répètent certaines mises au panier des dizaines de fois.",
            "Les codes de catégorie et marques vides sont gardés comme manquants : le produit compte quand même.",
            "Les prix à 0 comptent dans les volumes mais sont exclus de tous les indicateurs de prix.",
            "Les identifiants clients sont remplacés par un hachage à clé avant tout stockage (pseudonymisation).",
            "Les utilisateurs au comportement de robot ({bots} utilisateurs, {bot_share} des événements ; "
            "règle : {rule}) sont signalés, pas supprimés.",
        ],
    ),
    "data.bot_rule": ("more than {n} events on one UTC day", "plus de {n} événements sur un même jour UTC"),
    "data.reasons": ("Rejected rows by reason", "Lignes rejetées par motif"),
    "data.reason": ("reason", "motif"),
    "data.rows": ("rows", "lignes"),
    "data.zero_prices": ("Prices of 0: {n} events ({share}).", "Prix à 0 : {n} événements ({share})."),
    "ev.view": ("view", "vue"),
    "ev.cart": ("cart", "panier"),
    "ev.remove_from_cart": ("remove from cart", "retrait du panier"),
    "ev.purchase": ("purchase", "achat"),
    "funnel.view": ("viewed", "ont vu"),
    "funnel.cart": ("carted", "ont mis au panier"),
    "funnel.purchase": ("bought", "ont acheté"),
    "axis.events": ("events", "événements"),
    "axis.customers": ("customers", "clients"),
    # 2 metrics
    "metrics.intro": (
        "Each customer is described by {n} behavioural metrics computed from the events (no "
        "demographics). The table says what each measures and why marketing cares; the full "
        "definitions are in docs/METRICS.md.",
        "Chaque client est décrit par {n} indicateurs de comportement calculés à partir des "
        "événements (aucune donnée démographique). Le tableau dit ce que chacun mesure et "
        "pourquoi il intéresse le marketing ; les définitions complètes sont dans "
        "docs/METRICS.md.",
    ),
    "metrics.group": ("group", "famille"),
    "metrics.metric": ("metric", "indicateur"),
    "metrics.unit": ("unit", "unité"),
    "metrics.why": ("why it matters", "pourquoi c'est utile"),
    "metrics.importance": ("Feature importance", "Importance des indicateurs"),
    "metrics.importance.note": (
        "How much each metric separates the segments ({source}).",
        "Ce que chaque indicateur apporte à la séparation des segments ({source}).",
    ),
    "metrics.importance.plain": (
        "How much each metric separates the segments.",
        "Ce que chaque indicateur apporte à la séparation des segments.",
    ),
    "metrics.importance.axis": (
        "importance (relative, larger = separates segments more)",
        "importance (relative, plus grand = sépare davantage les segments)",
    ),
    "metrics.pca": ("Principal components of the metrics", "Composantes principales des indicateurs"),
    "metrics.pca.note": (
        "PCA of the {n} numeric metrics, standardised (mean 0, standard deviation 1), over "
        "{users} customers{sampled}. The first two components explain {two} of the variance.",
        "ACP des {n} indicateurs numériques centrés réduits (moyenne 0, écart-type 1), sur "
        "{users} clients{sampled}. Les deux premières composantes expliquent {two} de la "
        "variance.",
    ),
    "metrics.pca.sampled": (" (a random sample)", " (un échantillon aléatoire)"),
    "metrics.view": (
        "What the segmentation sees: of the {n} metrics it uses, {m} directions stand above noise "
        "(eigenvalue above the Marchenko–Pastur edge {edge}, the largest that independent noise "
        "columns would reach on this many customers); they hold {share} of the metrics' variance. "
        "The clusterings see these {m} components beside the graph vectors' components, each block "
        "weighing the same; the rest is left out as noise.",
        "Ce que voit la segmentation : sur les {n} indicateurs utilisés, {m} directions dépassent le "
        "bruit (valeur propre au-dessus du seuil de Marchenko–Pastur {edge}, le plus haut qu'atteindraient "
        "des colonnes de bruit indépendantes sur autant de clients) ; elles portent {share} de la "
        "variance des indicateurs. Les regroupements voient ces {m} composantes à côté de celles des "
        "vecteurs du graphe, chaque bloc pesant autant ; le reste est écarté comme du bruit.",
    ),
    "metrics.pca.component": ("component", "composante"),
    "metrics.pca.explained": ("variance explained (%)", "variance expliquée (%)"),
    "metrics.pca.each": ("each component", "chaque composante"),
    "metrics.pca.cumulative": ("cumulative", "cumulée"),
    "metrics.pca.loadings": (
        "Metrics weighing most on the first two components",
        "Indicateurs qui pèsent le plus sur les deux premières composantes",
    ),
    "metrics.pca.loading": ("loading", "poids"),
    # 3 threshold
    "threshold.intro": (
        "Customers with too few events cannot be described reliably. Below {t} events a "
        "customer is labelled “{name}” and is not clustered: {below} customers ({share}).",
        "Un client avec trop peu d'événements ne peut pas être décrit de façon fiable. Sous "
        "{t} événements, il est classé « {name} » et n'entre pas dans le regroupement : "
        "{below} clients ({share}).",
    ),
    "threshold.none_below": (
        "The threshold is 1 event: every customer is clustered, none is labelled “{name}”.",
        "Le seuil est de 1 événement : tous les clients entrent dans le regroupement, aucun n'est classé « {name} ».",
    ),
    "threshold.curve": (
        "Customers and events kept against the minimum number of events",
        "Clients et événements gardés selon le nombre minimal d'événements",
    ),
    "threshold.axis.x": ("minimum events per customer", "nombre minimal d'événements par client"),
    "threshold.axis.y": ("share (%)", "part (%)"),
    "threshold.chosen": ("chosen: {t}", "choisi : {t}"),
    "threshold.met": (
        "From {t} events on, the segment predicted from a customer's first events agrees with "
        "the one from the full history for at least {level} of customers (the “agreement” curve).",
        "À partir de {t} événements, le segment prédit à partir des premiers événements d'un client "
        "coïncide avec celui de tout l'historique pour au moins {level} des clients (la courbe "
        "« accord »).",
    ),
    "threshold.not_met": (
        "No number of events studied reaches {level} agreement with the full history: the "
        "largest studied ({t}) is used.",
        "Aucun nombre d'événements étudié n'atteint {level} d'accord avec l'historique complet : "
        "le plus grand étudié ({t}) est retenu.",
    ),
    "threshold.kappa": (
        "Corrected for chance (Cohen's κ, 0 = what guessing from the segment sizes gives, "
        "1 = always the same segment), the agreement at {t} events is {kappa}.",
        "Corrigé du hasard (κ de Cohen : 0 = ce que donne un tirage selon la taille des segments, "
        "1 = toujours le même segment), l'accord à {t} événements vaut {kappa}.",
    ),
    "threshold.why": ("Why this threshold", "Pourquoi ce seuil"),
    "threshold.rule": (
        "The study cut the histories of {users} customers with at least {long} events to their "
        "first n events, assigned each cut a segment with the run's classifier, and compared it "
        "with the segment of the same customer's whole history. The threshold is the smallest n "
        "whose agreement reaches {level}; when none does, the largest n studied.",
        "L'étude a coupé l'historique de {users} clients ayant au moins {long} événements à leurs "
        "n premiers événements, a attribué un segment à chaque coupe avec le classifieur de "
        "l'analyse et l'a comparé au segment de l'historique complet du même client. Le seuil est "
        "le plus petit n dont l'accord atteint {level} ; si aucun ne l'atteint, le plus grand n "
        "étudié.",
    ),
    "threshold.users": ("customers kept", "clients gardés"),
    "threshold.events": ("events kept", "événements gardés"),
    # 4 selection
    "selection.intro": (
        "Every method was fitted for every number of segments k and scored. The chosen model is {method} with k = {k}.",
        "Chaque méthode a été ajustée pour chaque nombre de segments k, puis notée. Le modèle "
        "retenu est {method} avec k = {k}.",
    ),
    "selection.scores": ("Scores over k, by method", "Scores selon k, par méthode"),
    "selection.k": ("number of segments k", "nombre de segments k"),
    "selection.better_high": ("higher is better", "plus haut = meilleur"),
    "selection.better_low": ("lower is better", "plus bas = meilleur"),
    "selection.why": ("The choice and why", "Le choix et pourquoi"),
    "selection.table": ("Scores of each method at the chosen k", "Scores de chaque méthode au k retenu"),
    "selection.method": ("method", "méthode"),
    "selection.chosen": ("chosen", "retenu"),
    "selection.facts": ("{method} with k = {k}: {facts}.", "{method} avec k = {k} : {facts}."),
    "selection.stability": ("Stability", "Stabilité"),
    "selection.stability.note": (
        "Stability is the agreement (adjusted Rand index) between the segments found "
        "on resamples of the customers: 1 means the same segments every time.",
        "La stabilité est l'accord (indice de Rand ajusté) entre les segments trouvés "
        "sur des rééchantillonnages des clients : 1 signifie les mêmes segments à "
        "chaque fois.",
    ),
    # 5 segments
    "segments.intro": (
        "{n} segments, named from what they over-index on. Sizes are customers; the revenue "
        "share is the segment's share of all purchase revenue.",
        "{n} segments, nommés d'après ce qui les distingue. Les tailles sont en clients ; la "
        "part du chiffre d'affaires est la part du segment dans le total des achats.",
    ),
    "segments.overview": ("Segments at a glance", "Les segments en bref"),
    "segments.coverage": ("Coverage", "Couverture"),
    "segments.coverage.intro": (
        "Customers below the activity threshold keep “Not enough activity yet”; from 5 events on they also get a "
        "likely segment, the classifier's guess, kept apart from the segment.",
        "Les clients sous le seuil d'activité restent « Activité insuffisante » ; dès 5 événements, ils "
        "reçoivent aussi un segment probable, l'estimation du classifieur, tenue à part du segment.",
    ),
    "segments.coverage.group": ("group", "groupe"),
    "segments.coverage.segment": ("with a segment", "avec un segment"),
    "segments.coverage.likely": ("with a likely segment only", "avec un segment probable seulement"),
    "segments.coverage.neither": ("with neither", "sans l'un ni l'autre"),
    "segments.name": ("segment", "segment"),
    "segments.size": ("customers", "clients"),
    "segments.share": ("share of customers", "part des clients"),
    "segments.revenue": ("revenue share", "part du chiffre d'affaires"),
    "segments.conversion": ("conversion", "conversion"),
    "segments.profile": (
        "Profile: how the segment differs from all customers",
        "Profil : en quoi le segment diffère de l'ensemble des clients",
    ),
    "segments.profile.axis": (
        "standardised difference (segment mean − overall mean, in standard deviations)",
        "écart standardisé (moyenne du segment − moyenne générale, en écarts-types)",
    ),
    "segments.categories": ("Top categories", "Catégories préférées"),
    "segments.brands": ("Top brands", "Marques préférées"),
    "segments.item": ("name", "nom"),
    "segments.lift": ("lift (× all customers)", "indice (× ensemble)"),
    "segments.item_share": ("share of the segment's events", "part des événements du segment"),
    "segments.rules": ("Plain-language rules", "Règles en clair"),
    "segments.actions": ("Marketing actions", "Actions marketing"),
    "segments.rule0": ("fewer than {t} events in the data window", "moins de {t} événements sur la période"),
    "segments.naming": ("Why this name: {rule}", "Pourquoi ce nom : {rule}"),
    "segments.nocode": ("no category code", "sans code de catégorie"),
    "segments.none": ("not recorded", "non renseigné"),
    "segments.sizes": ("Size and revenue share of each segment", "Taille et part du chiffre d'affaires par segment"),
    "segments.axis.share": ("share (%)", "part (%)"),
    # 6 map
    "map.intro": (
        "Each dot is a customer, placed by {coords}; colours are segments. {n} customers shown{sampled}.",
        "Chaque point est un client, placé selon {coords} ; les couleurs sont les segments. {n} clients "
        "affichés{sampled}.",
    ),
    "map.sampled": (" (a random sample of {total})", " (un échantillon aléatoire sur {total})"),
    "map.coords.run": ("the run's stored 2-D coordinates", "les coordonnées 2-D enregistrées par l'exécution"),
    "map.coords.pca": (
        "the first two principal components of the standardised metrics",
        "les deux premières composantes principales des indicateurs centrés réduits",
    ),
    "map.title": ("Customers coloured by segment", "Clients colorés par segment"),
    "map.x.pca": ("principal component 1 (standard units)", "composante principale 1 (unités réduites)"),
    "map.y.pca": ("principal component 2 (standard units)", "composante principale 2 (unités réduites)"),
    "map.x.run": ("map axis 1", "axe 1 de la carte"),
    "map.y.run": ("map axis 2", "axe 2 de la carte"),
    # 7 assign
    "assign.intro": (
        "New customers are assigned to a segment by a classifier trained on the segmented "
        "customers, so a new month does not need a new segmentation.",
        "Les nouveaux clients sont affectés à un segment par un classifieur entraîné sur les "
        "clients déjà segmentés : un nouveau mois ne demande pas de nouvelle segmentation.",
    ),
    "assign.comparison": ("Classifier comparison", "Comparaison des classifieurs"),
    "assign.classifier": ("classifier", "classifieur"),
    "assign.chosen": ("Chosen classifier: {name}.", "Classifieur retenu : {name}."),
    "assign.score": ("score (0–1)", "score (0–1)"),
    "assign.confusion": (
        "Confusion matrix of the chosen classifier (held-out customers)",
        "Matrice de confusion du classifieur retenu (clients mis de côté)",
    ),
    "assign.true": ("true segment", "segment réel"),
    "assign.pred": ("predicted segment", "segment prédit"),
    "assign.cell": ("cell: share of the true segment's customers (%)", "case : part des clients du segment réel (%)"),
    "assign.validation": ("Validation procedure", "Procédure de validation"),
    "assign.split": ("Customers used: {parts}.", "Clients utilisés : {parts}."),
    "assign.test_f1": (
        "Macro-F1 of the kept classifier on the test customers: {f1}.",
        "F1 macro du classifieur retenu sur les clients de test : {f1}.",
    ),
    "assign.short_f1": (
        "Macro-F1 on the test customers' first {cuts} events (short-history copies, labelled "
        "with the segment of the whole history): {f1}.",
        "F1 macro sur les {cuts} premiers événements des clients de test (copies d'historiques "
        "courts, étiquetées avec le segment de l'historique complet) : {f1}.",
    ),
    "assign.low_below": (
        "An assignment with a confidence below {value} is flagged as low-confidence.",
        "Une affectation de confiance inférieure à {value} est signalée comme peu sûre.",
    ),
    "assign.by": ("How the current customers were assigned", "Comment les clients actuels ont été affectés"),
    "assign.by.cluster": ("by the clustering", "par le regroupement"),
    "assign.by.classifier": ("by the classifier", "par le classifieur"),
    "assign.by.threshold": ("below the activity threshold", "sous le seuil d'activité"),
    "assign.sample": (
        "The segments were learnt on a random sample of {n} of the {m} customers with {events} or more events, "
        "which keeps the run's memory flat as the shop grows; the others were assigned by the classifier above.",
        "Les segments ont été appris sur un échantillon aléatoire de {n} des {m} clients ayant au moins {events} "
        "événements, ce qui garde la mémoire du calcul stable quand la boutique grandit ; les autres ont été "
        "affectés par le classifieur ci-dessus.",
    ),
    "assign.low": (
        "{n} customers ({share}) have a low-confidence assignment.",
        "{n} clients ({share}) ont une affectation de faible confiance.",
    ),
    "assign.confidence": ("Confidence of the assignments", "Confiance des affectations"),
    "assign.confidence.axis": ("confidence (0–1)", "confiance (0–1)"),
    "assign.no_confusion": (
        "The run records no confusion matrix.",
        "L'exécution n'enregistre pas de matrice de confusion.",
    ),
    "assign.no_validation": (
        "The run does not describe its validation procedure.",
        "L'exécution ne décrit pas sa procédure de validation.",
    ),
    # 8 recommend
    "recommend.intro": (
        "Recommendations are scored on a hold-out: {holdout} The models must find the held-out "
        "items among their top {k}; {users} customers were evaluated.",
        "Les recommandations sont évaluées sur des données mises de côté : {holdout} Les modèles "
        "doivent retrouver les articles mis de côté parmi leurs {k} premières propositions ; "
        "{users} clients ont été évalués.",
    ),
    "recommend.none": (
        "The recommendation hold-out ran but gives no figures this time: {reason}",
        "L'évaluation des recommandations a tourné mais ne donne pas de chiffres cette fois : {reason}",
    ),
    "recommend.model": ("model", "modèle"),
    "recommend.chart": ("Hold-out scores by model", "Scores sur données mises de côté, par modèle"),
    "recommend.axis": ("score (0–1, higher is better)", "score (0–1, plus haut = meilleur)"),
    # 9 time
    "time.shares": ("Segment shares per month", "Part de chaque segment par mois"),
    "time.shares.note": (
        "For each month, the customers active that month, by their current segment.",
        "Pour chaque mois, les clients actifs ce mois-là, selon leur segment actuel.",
    ),
    "time.axis.share": ("share of the month's active customers (%)", "part des clients actifs du mois (%)"),
    "time.migration": ("Migration between runs", "Migration entre exécutions"),
    "time.migration.note": (
        "Customers of each segment of the previous run ({prev}) by their segment now.",
        "Clients de chaque segment de l'exécution précédente ({prev}) selon leur segment actuel.",
    ),
    "time.from": ("previous segment", "segment précédent"),
    "time.to": ("current segment", "segment actuel"),
    "time.cell": ("cell: customers", "case : clients"),
    "time.drift": ("Drift since the training run", "Dérive depuis l'exécution d'entraînement"),
    "time.psi": ("Population stability index per metric", "Indice de stabilité de la population par indicateur"),
    "time.psi.axis": ("PSI (0.1 = watch, 0.25 = shifted)", "PSI (0,1 = à surveiller, 0,25 = décalé)"),
    "time.decision": ("Decision", "Décision"),
    "time.retrained": ("retrained", "réentraîné"),
    "time.assigned": ("assigned with the trained classifier", "affecté par le classifieur entraîné"),
    "time.reason.none": ("no new customers: no drift to measure", "aucun nouveau client : aucune dérive à mesurer"),
    "time.reason.median_psi": (
        "median PSI of the key metrics {value} > {limit} (worst: {worst})",
        "PSI médian des indicateurs clés {value} > {limit} (le plus décalé : {worst})",
    ),
    "time.reason.segment_share_psi": (
        "segment-share PSI {value} > {limit}",
        "PSI des parts de segments {value} > {limit}",
    ),
    "time.reason.low_confidence_share": (
        "low-confidence share {value} > {limit}",
        "part des affectations de faible confiance {value} > {limit}",
    ),
    "time.reason.median_psi_ok": ("median PSI {value} ≤ {limit}", "PSI médian {value} ≤ {limit}"),
    "time.reason.no_metric": ("no metric to compare", "aucun indicateur à comparer"),
    "time.reason.too_few": (
        "{n} new customers to compare, fewer than the {floor} a drift figure needs",
        "{n} nouveaux clients à comparer, moins que les {floor} qu'il faut pour mesurer une dérive",
    ),
    "time.reason.segment_share_psi_ok": (
        "segment-share PSI {value} ≤ {limit}",
        "PSI des parts de segments {value} ≤ {limit}",
    ),
    "time.reason.low_confidence_share_ok": (
        "low-confidence share {value}",
        "part des affectations de faible confiance {value}",
    ),
    "time.low_share": ("share of low-confidence assignments", "part des affectations de faible confiance"),
    "time.figure": ("figure", "mesure"),
    "time.value": ("value", "valeur"),
    "time.threshold": ("threshold", "seuil"),
    "time.shares_change": ("predicted segment shares: largest change", "parts des segments prédits : plus grand écart"),
    # 10 infra
    "infra.intro": (
        "Month files go through these steps; each arrow is a file or table that can be inspected. "
        "Neo4j holds the graph analysts query; the event store and the feature tables are the "
        "analytic source of truth.",
        "Les fichiers mensuels passent par ces étapes ; chaque flèche est un fichier ou une table "
        "consultable. Neo4j contient le graphe qu'interrogent les analystes ; le magasin "
        "d'événements et les tables d'indicateurs sont la source de vérité analytique.",
    ),
    "infra.flow": ("The flow", "Le flux"),
    "infra.measured": ("Measured in this workspace", "Mesuré dans cet espace de travail"),
    "infra.step": ("step", "étape"),
    "infra.seconds": ("seconds", "secondes"),
    "infra.detail": ("detail", "détail"),
    "infra.bench": ("Reference benchmarks", "Bancs d'essai de référence"),
    "infra.bench.note": (
        "The dossier states only what this workspace measured. Throughput, memory and how each step "
        "scales on reference data are in docs/BENCHMARKS.md, with the scripts that re-run them (bench/run_all.py).",
        "Le dossier ne rapporte que ce qui a été mesuré dans cet espace de travail. Le débit, la mémoire "
        "et la façon dont chaque étape passe à l'échelle sur des données de référence sont dans "
        "docs/BENCHMARKS.md, avec les scripts qui les mesurent à nouveau (bench/run_all.py).",
    ),
    "infra.ingest": ("{files} files, {rows} rows read", "{files} fichiers, {rows} lignes lues"),
    "infra.none": ("No timings recorded yet.", "Aucune durée enregistrée pour l'instant."),
    "flow.files": ("month files\n(.csv / .csv.gz)", "fichiers mensuels\n(.csv / .csv.gz)"),
    "flow.ingest": (
        "events/: read, validate,\nclean, pseudonymise, dedupe",
        "events/ : lire, valider,\nnettoyer, pseudonymiser, dédoublonner",
    ),
    "flow.store": (
        "event store\n(Parquet per month + manifest)",
        "magasin d'événements\n(Parquet par mois + manifeste)",
    ),
    "flow.features": ("features/: per-customer\nmetrics (Parquet)", "features/ : indicateurs\npar client (Parquet)"),
    "flow.graph": ("Neo4j graph\n(User, Product, Category, Brand)", "graphe Neo4j\n(User, Product, Category, Brand)"),
    "flow.embed": (
        "embeddings/: node2vec\non the interaction graph",
        "embeddings/ : node2vec\nsur le graphe d'interactions",
    ),
    "flow.segments": (
        "segments/: scale, reduce, cluster,\nchoose k, name, profile",
        "segments/ : normaliser, réduire,\nregrouper, choisir k, nommer, profiler",
    ),
    "flow.writeback": (
        "write-back: User.segment,\nSegment nodes, run history",
        "écriture : User.segment,\nnœuds Segment, historique",
    ),
    "flow.reports": ("reports/: this dossier\n(HTML + PDF)", "reports/ : ce dossier\n(HTML + PDF)"),
    "step.ingest": ("ingest", "ingestion"),
    "step.features": ("features", "indicateurs"),
    "step.embed": ("embeddings", "plongements"),
    "step.segment": ("segmentation", "segmentation"),
    "yes": ("yes", "oui"),
    "no": ("no", "non"),
    "other": ("other", "autres"),
}


def t(lang: str, key: str, **values: object):
    """The text ``key`` in ``lang`` with ``values`` filled in (lists and tuples are returned as they are)."""
    en, fr = TEXT[key]
    text = fr if lang == "fr" else en
    if isinstance(text, str):
        return text.format(**values) if values else text
    if values:
        return [s.format(**values) for s in text]
    return text


def check_lang(lang: str) -> str:
    from shopgraph.errors import ShopgraphError

    if lang not in LANGS:
        raise ShopgraphError(f"--lang {lang!r} is not one of {', '.join(LANGS)}")
    return lang


_NNBSP = "\u202f"  # the narrow no-break space French puts between thousands and before %


def num(value: float | int | None, lang: str, digits: int = 0) -> str:
    """A number with thousands separators: ``1,234.5`` in English, ``1 234,5`` in French."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", _NNBSP).replace(".", ",")
    return text


def pct(share: float | None, lang: str, digits: int = 1) -> str:
    """A share 0..1 as a percentage with a (narrow no-break) space before the sign, as both languages here do."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    return num(100 * float(share), lang, digits) + _NNBSP + "%"


#: Names of scores and columns that come from the producers' files (selection.csv, classifiers.csv,
#: threshold.json, recommend_eval.json): (English, French); an unknown name is shown as written.
LABELS: dict[str, tuple[str, str]] = {
    "silhouette": ("silhouette", "silhouette"),
    "davies_bouldin": ("Davies–Bouldin", "Davies–Bouldin"),
    "calinski_harabasz": ("Calinski–Harabasz", "Calinski–Harabasz"),
    "stability": ("stability", "stabilité"),
    "resolution": ("resolution", "résolution"),
    "modularity": ("modularity", "modularité"),
    "stability_ari": ("stability (ARI)", "stabilité (ARI)"),
    "ari": ("ARI", "ARI"),
    "persona_ari": ("ARI against the personas", "ARI par rapport aux personas"),
    "nmi": ("NMI", "NMI"),
    "bic": ("BIC", "BIC"),
    "aic": ("AIC", "AIC"),
    "inertia": ("inertia", "inertie"),
    "accuracy": ("accuracy", "exactitude"),
    "balanced_accuracy": ("balanced accuracy", "exactitude équilibrée"),
    "macro_f1": ("macro F1", "F1 macro"),
    "weighted_f1": ("weighted F1", "F1 pondéré"),
    "f1": ("F1", "F1"),
    "precision": ("precision", "précision"),
    "recall": ("recall", "rappel"),
    "log_loss": ("log loss", "perte logarithmique"),
    "fit_seconds": ("fit (s)", "ajustement (s)"),
    "predict_seconds": ("prediction (s)", "prédiction (s)"),
    "seconds": ("seconds", "secondes"),
    "hit_rate": ("hit rate", "taux de succès"),
    "ndcg": ("NDCG", "NDCG"),
    "mrr": ("MRR", "MRR"),
    "map": ("MAP", "MAP"),
    "coverage": ("catalogue coverage", "couverture du catalogue"),
    "novelty": ("novelty", "nouveauté"),
    "diversity": ("diversity", "diversité"),
    "users": ("customers", "clients"),
    "users_trained": ("customers in training", "clients à l'entraînement"),
    "users_folded": ("customers folded in", "clients ajoutés ensuite"),
    "users_total": ("customers", "clients"),
    "products": ("products", "produits"),
    "edges": ("edges", "arêtes"),
    "agreement": ("agreement with the full history", "accord avec l'historique complet"),
    "kappa": ("agreement beyond chance (Cohen's κ)", "accord au-delà du hasard (κ de Cohen)"),
    "separation": ("business separation (ε²)", "séparation commerciale (ε²)"),
    "smallest_share": ("smallest segment share", "part du plus petit segment"),
    "cv_macro_f1": ("cross-validated macro F1", "F1 macro en validation croisée"),
    "test_macro_f1": ("test macro F1", "F1 macro de test"),
    "train": ("training", "entraînement"),
    "validation": ("validation (calibration)", "validation (calibration)"),
    "test": ("test", "test"),
    "short_train": ("short-history copies in training", "copies d'historiques courts en entraînement"),
    "short_validation": ("short-history copies in validation", "copies d'historiques courts en validation"),
    "short_test": ("short-history copies in test", "copies d'historiques courts en test"),
    # the phases whose seconds the embed and segment steps record (run.json / embedding.json "timings")
    "graph": ("graph", "graphe"),
    "walks": ("walks", "marches aléatoires"),
    "training": ("training", "entraînement"),
    "fold_in": ("fold in", "ajout des autres clients"),
    "inputs": ("inputs", "entrées"),
    "short histories": ("short histories", "historiques courts"),
    "final fit": ("final fit", "ajustement final"),
    "taste split": ("taste split", "partage par goûts"),
    "classifier": ("classifier", "classifieur"),
    "feature analysis": ("feature analysis", "analyse des métriques"),
    "threshold": ("threshold", "seuil"),
    "assignment": ("assignment", "affectation"),
    "selection": ("selection", "sélection"),
    "profiles": ("profiles", "profils"),
    "lineage": ("lineage", "filiation"),
    "write": ("write", "écriture"),
}


def label(lang: str, name: str) -> str:
    """A producer's column or score name in ``lang`` (``hit_rate@10`` keeps its ``@10``)."""
    base, at, suffix = str(name).partition("@")
    pair = LABELS.get(base.lower())
    text = (pair[1] if lang == "fr" else pair[0]) if pair else base.replace("_", " ")
    return text + (at + suffix if at else "")
