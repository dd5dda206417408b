"""Test helper: a workspace with everything the dossier reads — a small event store with its manifest,
describe.json, the real feature table, embedding.json, two segmentation runs (the current one with five
named segments in English and French, scores over k = 3..10 for two methods, a threshold curve, a
classifier comparison with a confusion matrix, importance, migration and drift) and a recommendation
evaluation. The field names follow what the segments branch writes (segments/segmentation.py, profile.py,
threshold.py, selection.py, assign.py, lineage.py); ``confusion.csv`` and ``drift`` in run.json are the
dossier's proposal (the segments branch does not write them yet)."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from events.describe import describe
from events.manifest import IngestedFile, write_manifest
from features.calendar import load_calendar
from features.compute import build_user_features
from shopgraph.workspace import Workspace
from tests.support.features_store import write_events

RUN_ID = "20261201T203000Z-a1b2c3"
PREVIOUS_RUN_ID = "20261101T090000Z-0f0e0d"
MONTHS = ("2019-10", "2019-11", "2019-12", "2020-01")
THRESHOLD = 5

SEGMENTS = [  # id, en, fr, persona: (categories, brands, mean events, buy probability, price level)
    (
        1,
        "Bargain hunters",
        "Chasseurs de bonnes affaires",
        (["apparel.shoes", "kids.toys"], ["nike", "lego"], 30, 0.35, 20.0),
    ),
    (
        2,
        "Premium electronics buyers",
        "Acheteurs d'électronique haut de gamme",
        (["electronics.smartphone", "computers.notebook"], ["apple", "samsung"], 25, 0.3, 700.0),
    ),
    (
        3,
        "Window shoppers",
        "Lèche-vitrines",
        (["furniture.living_room.sofa", "appliances.kitchen.refrigerators"], ["ikea", "bosch"], 40, 0.02, 300.0),
    ),
    (
        4,
        "Loyal regulars",
        "Habitués fidèles",
        (["electronics.audio.headphone", "sport.bicycle"], ["sony", "xiaomi"], 60, 0.2, 90.0),
    ),
    (
        5,
        "Weekend home improvers",
        "Bricoleurs du week-end",
        (["construction.tools.drill", "auto.accessories.player"], ["makita", "bosch"], 20, 0.15, 120.0),
    ),
]

DESCRIPTIONS = {
    1: ("Buy cheap, often during promotions.", "Achètent peu cher, souvent pendant les promotions."),
    2: ("High-value buyers of phones and laptops.", "Gros acheteurs de téléphones et d'ordinateurs."),
    3: ("Browse a lot, hardly ever buy.", "Naviguent beaucoup, n'achètent presque jamais."),
    4: ("Come back every month and buy steadily.", "Reviennent chaque mois et achètent régulièrement."),
    5: ("Shop for tools at weekends.", "Achètent des outils le week-end."),
}
RULES = {
    1: (
        ["promo_share above 0.4", "price_index_bought below 0.8"],
        ["part en promotion supérieure à 0,4", "indice de prix payé inférieur à 0,8"],
    ),
    2: (
        ["avg_order_value above 400", "share_electronics above 0.5"],
        ["panier moyen supérieur à 400", "part électronique supérieure à 0,5"],
    ),
    3: (
        ["purchase_rate below 0.02", "events_per_session above 8"],
        ["taux d'achat inférieur à 0,02", "plus de 8 événements par session"],
    ),
    4: (["months_active of 3 or more", "n_orders above 4"], ["actifs au moins 3 mois", "plus de 4 commandes"]),
    5: (
        ["weekend_share above 0.5", "share_construction above 0.3"],
        ["part du week-end supérieure à 0,5", "part bricolage supérieure à 0,3"],
    ),
}
ACTIONS = {
    1: (
        ["Invite to flash sales", "Send outlet newsletters"],
        ["Inviter aux ventes flash", "Envoyer la lettre du déstockage"],
    ),
    2: (
        ["Offer extended warranties", "Preview new models"],
        ["Proposer des extensions de garantie", "Présenter les nouveaux modèles en avant-première"],
    ),
    3: (
        ["Remind of viewed products", "Show reviews and stock alerts"],
        ["Rappeler les produits vus", "Afficher avis et alertes de stock"],
    ),
    4: (["Loyalty points", "Thank-you offers"], ["Points de fidélité", "Offres de remerciement"]),
    5: (
        ["Saturday morning e-mails", "Bundles of tools and accessories"],
        ["Courriels le samedi matin", "Lots outils et accessoires"],
    ),
}
PROFILE_METRICS = (
    "promo_share",
    "price_index_bought",
    "avg_order_value",
    "share_electronics",
    "purchase_rate",
    "events_per_session",
    "months_active",
    "n_orders",
    "weekend_share",
    "share_construction",
    "recency_days",
    "category_entropy",
)


def _json(path: Path, doc: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _events(rng: np.random.Generator, users: int) -> tuple[list[dict], dict[int, int]]:
    """Events of ``users`` customers, each drawn from one persona; returns the events and user → persona."""
    events, persona_of = [], {}
    start = dt.datetime(2019, 10, 1)
    days = (dt.datetime(2020, 2, 1) - start).days
    products: dict[str, list[int]] = {}
    for uid in range(1, users + 1):
        sid = int(rng.integers(1, 6))
        cats, brands, mean_events, buy_p, price = SEGMENTS[sid - 1][3]
        persona_of[uid] = sid
        n = int(rng.integers(1, 5)) if rng.random() < 0.15 else max(THRESHOLD, int(rng.poisson(mean_events)))
        first = int(rng.integers(0, days - 20))
        for i in range(n):
            when = start + dt.timedelta(
                days=int(min(days - 1, first + rng.integers(0, 60))), seconds=int(rng.integers(0, 86_400))
            )
            if sid == 5 and when.weekday() < 5 and rng.random() < 0.7:
                when += dt.timedelta(days=5 - when.weekday())
                when = min(when, start + dt.timedelta(days=days - 1))
            code = cats[int(rng.integers(0, len(cats)))] if rng.random() < 0.85 else None
            brand = brands[int(rng.integers(0, len(brands)))] if rng.random() < 0.9 else None
            pool = products.setdefault(code or "-", [len(products) * 100 + j for j in range(1, 30)])
            kind = "purchase" if rng.random() < buy_p / 3 else ("cart" if rng.random() < 0.08 else "view")
            events.append(
                {
                    "event_time": when,
                    "event_type": kind,
                    "product_id": int(rng.choice(pool)),
                    "category_id": 1000 + (zlib.crc32(code.encode()) % 97 if code else 0),
                    "category_code": code,
                    "brand": brand,
                    "price": 0.0 if rng.random() < 0.01 else round(float(rng.gamma(4, price / 4)), 2),
                    "user_id": uid,
                    "user_session": f"s{uid}-{i // 6}",
                }
            )
    return events, persona_of


def _manifest(workspace: Workspace, per_month: dict[str, int]) -> None:
    entries = []
    for month, kept in per_month.items():
        name = dt.datetime.strptime(month, "%Y-%m").strftime("%Y-%b") + ".csv.gz"
        rejected, duplicate = 3 + len(entries), 40 + 7 * len(entries)
        rejects = f"rejects/{month}.csv"
        (workspace.store_dir / "rejects").mkdir(parents=True, exist_ok=True)
        reasons = ["bad event_time"] * 2 + ["unknown event_type"] * (rejected - 2)
        pd.DataFrame(
            {
                "source_file": name,
                "line_number": range(2, 2 + rejected),
                "reason": reasons,
                "raw_text": "x",
                "user_id": "",
            }
        ).to_csv(workspace.store_dir / rejects, index=False)
        entries.append(
            IngestedFile(
                name=name,
                sha256=f"{len(entries):064x}",
                size_bytes=1000,
                months=[month],
                rows_read=kept + rejected + duplicate,
                rows_kept=kept,
                rows_rejected=rejected,
                rows_duplicate=duplicate,
                rows_erased=0,
                rows_per_month={month: kept},
                partitions=[f"events/month={month}/part-0.parquet"],
                rejects_file=rejects,
                pseudonymised=True,
                ingested_at="2026-12-01T20:00:00+00:00",
                code_version="shopgraph 0.1.0 (test)",
            )
        )
    write_manifest(workspace, entries)


def _selection() -> pd.DataFrame:
    """The columns of segments/selection.py's Candidate, with the resolution and modularity the Leiden path
    adds (nine columns in the dossier's table at the chosen k): two methods over k = 3..10."""
    rows = []
    for method, bonus in (("kmeans", 0.0), ("gmm", -0.04)):
        for k in range(3, 11):
            peak = 1 - abs(k - 5) / 6
            stability = round(0.62 + 0.3 * peak + bonus, 4)
            smallest = round(0.2 / k * (1 + peak), 4)
            rows.append(
                {
                    "method": method,
                    "k": k,
                    "resolution": round(0.1 * (k - 2), 1),
                    "modularity": round(0.45 + 0.3 * peak + bonus, 4),
                    "silhouette": round(0.18 + 0.17 * peak + bonus, 4),
                    "calinski_harabasz": round(400 + 350 * peak, 1),
                    "davies_bouldin": round(1.9 - 0.6 * peak - bonus, 4),
                    "stability": stability,
                    "separation": round(0.1 + 0.25 * peak, 4),
                    "smallest_share": smallest,
                    "eligible": stability >= 0.8 and smallest >= 0.01,
                    "chosen": method == "kmeans" and k == 5,
                }
            )
    return pd.DataFrame(rows)


def _segments_doc(assignments: pd.DataFrame, features: pd.DataFrame, run_id: str, names_suffix: str = "") -> dict:
    merged = assignments.merge(features, on="user_id")
    revenue = merged.groupby("segment_id")["total_spent"].sum()
    total_revenue = float(revenue.sum()) or 1.0
    segments = []
    for sid, en, fr, (cats, brands, *_rest) in SEGMENTS:  # segment 0 is not listed (the write-back adds it)
        part = merged[merged["segment_id"] == sid]
        profile = {}
        for metric in PROFILE_METRICS:
            overall = merged[metric].astype(float)
            sd = float(overall.std()) or 1.0
            profile[metric] = round((float(part[metric].astype(float).mean()) - float(overall.mean())) / sd, 3)
        seg = {
            "segment_id": sid,
            "name": {"en": en + names_suffix, "fr": fr + names_suffix},
            "size": len(part),
            "share": round(len(part) / len(assignments), 4),
            "revenue_share": round(float(revenue.get(sid, 0.0)) / total_revenue, 4),
            "conversion": round(float((part["n_purchases"] > 0).mean()) if len(part) else 0.0, 4),
        }
        if sid:
            seg |= {
                "description": {"en": DESCRIPTIONS[sid][0], "fr": DESCRIPTIONS[sid][1]},
                "actions": {"en": ACTIONS[sid][0], "fr": ACTIONS[sid][1]},
                "traits": {
                    "en": [f"high {m}" for m in PROFILE_METRICS[:2]],
                    "fr": [f"{m} élevé" for m in PROFILE_METRICS[:2]],
                },
                "naming_rule": f"largest standardised differences of {PROFILE_METRICS[sid]}",
                "standardised_differences": profile,
                "categories": [
                    {
                        "category_id": 1000 + zlib.crc32(c.encode()) % 97,
                        "category_code": c,
                        "lift": round(2.5 - 0.6 * i, 2),
                        "share": round(0.4 - 0.1 * i, 3),
                    }
                    for i, c in enumerate(cats)
                ],
                "brands": [
                    {"brand": b, "lift": round(2.0 - 0.4 * i, 2), "share": round(0.3 - 0.1 * i, 3)}
                    for i, b in enumerate(brands)
                ],
                "rules": {"en": RULES[sid][0], "fr": RULES[sid][1], "precision": 0.82, "recall": 0.74},
            }
        segments.append(seg)
    return segments  # a plain list, as segments/segmentation.py writes it


def build_report_workspace(home: Path, users: int = 500, seed: int = 11) -> Workspace:
    """Write the whole fixture workspace under ``home`` and return it."""
    rng = np.random.default_rng(seed)
    workspace = Workspace(home)
    events, persona_of = _events(rng, users)
    write_events(workspace, events)
    per_month = pd.Series([e["event_time"].strftime("%Y-%m") for e in events]).value_counts().sort_index()
    _manifest(workspace, {str(m): int(n) for m, n in per_month.items()})
    describe(workspace).save(workspace.reports_dir / "describe.json")
    build_user_features(workspace, load_calendar(), memory_limit="500MB", threads=1)
    features = pd.read_parquet(workspace.features_dir / "user_features.parquet")

    _json(
        workspace.embeddings_dir / "embedding.json",
        {
            "method": "node2vec",
            "dimensions": 32,
            "seed": seed,
            "walk_length": 40,
            "walks_per_node": 10,
            "p": 1.0,
            "q": 0.5,
            "counts": {"users_trained": users - 50, "users_folded": 50, "users_total": users},
            "timings": {"graph": 0.8, "walks": 6.2, "training": 9.4, "fold_in": 0.6, "total": 17.0},
            "data_window": {"files": [f"{m}.csv.gz" for m in MONTHS]},
            "code_version": "shopgraph 0.1.0 (test)",
        },
    )

    ids = features["user_id"].to_numpy()
    n_events = features.set_index("user_id")["n_events"]
    segment_id = np.array([persona_of[int(u)] if n_events[u] >= THRESHOLD else 0 for u in ids])
    noisy = rng.random(len(ids)) < 0.06
    segment_id[noisy & (segment_id > 0)] = rng.integers(1, 6, int((noisy & (segment_id > 0)).sum()))
    names = {0: "Not enough activity yet", **{s[0]: s[1] for s in SEGMENTS}}
    confidence = np.where(segment_id == 0, 1.0, np.clip(rng.beta(6, 2, len(ids)), 0, 1))
    assignments = pd.DataFrame(
        {
            "user_id": ids.astype("int64"),
            "segment_id": segment_id.astype("int32"),
            "segment": [names[int(s)] for s in segment_id],
            "confidence": confidence,
            "low_confidence": (confidence < 0.5) & (segment_id > 0),
            "assigned_by": np.where(
                segment_id == 0, "threshold", np.where(rng.random(len(ids)) < 0.3, "classifier", "cluster")
            ),
        }
    )

    runs = workspace.segments_dir / "runs"
    # the previous run: four segments, for the migration
    previous_dir = runs / PREVIOUS_RUN_ID
    previous = assignments.copy()
    previous.loc[previous["segment_id"] == 5, "segment_id"] = 1
    prev_doc = [s for s in _segments_doc(previous, features, PREVIOUS_RUN_ID) if s["segment_id"] != 5]
    _json(previous_dir / "segments.json", prev_doc)
    _json(previous_dir / "run.json", {"run_id": PREVIOUS_RUN_ID, "method": "kmeans", "k": 4})

    run_dir = runs / RUN_ID
    run_dir.mkdir(parents=True)
    assignments.to_parquet(run_dir / "assignments.parquet", index=False)
    _json(run_dir / "segments.json", _segments_doc(assignments, features, RUN_ID))
    _selection().to_csv(run_dir / "selection.csv", index=False)
    curve = [
        {
            "n": n,
            "users": 300,
            "agreement": round(min(0.97, 0.35 + 0.1 * n), 3),
            "kappa": round(min(0.95, 0.1 * n), 3),
            "median_abs_error_purchase_rate": round(0.2 / n, 4),
            "median_abs_error_total_spent": round(80 / n, 2),
        }
        for n in (1, 2, 3, 5, 8, 13, 20, 30)
    ]  # segments/threshold.py's study
    _json(
        run_dir / "threshold.json",
        {
            "threshold": THRESHOLD,
            "met": True,
            "level": 0.8,
            "long_history_events": 30,
            "study_users": 300,
            "vectors": "fold-in from the truncated events",
            "curve": curve,
            "rule": "smallest n with agreement >= 0.8; else the largest n studied",
        },
    )
    pd.DataFrame(
        [  # segments/assign.py's comparison
            {"classifier": "logistic_regression", "cv_macro_f1": 0.89, "kept": False},
            {"classifier": "random_forest", "cv_macro_f1": 0.93, "kept": False},
            {"classifier": "gradient_boosting", "cv_macro_f1": 0.94, "kept": True},
            {"classifier": "mlp", "cv_macro_f1": 0.9, "kept": False},
        ]
    ).to_csv(run_dir / "classifiers.csv", index=False)
    confusion = np.diag([150, 140, 160, 120, 110]) + rng.integers(0, 8, (5, 5))
    # proposed: true segment_id (rows) × predicted segment_id (columns), test customers
    pd.DataFrame(
        confusion, index=pd.Index(range(1, 6), name="segment_id"), columns=[str(i) for i in range(1, 6)]
    ).to_csv(run_dir / "confusion.csv")
    pd.DataFrame(
        {
            "feature": [*PROFILE_METRICS, "vector_0", "vector_1"],
            "block": ["features"] * len(PROFILE_METRICS) + ["vectors"] * 2,
            "importance": np.round(np.linspace(0.22, 0.01, len(PROFILE_METRICS) + 2), 3),
            "importance_sd": 0.01,
        }
    ).to_csv(run_dir / "importance.csv", index=False)
    both = previous[["user_id", "segment_id"]].merge(
        assignments[["user_id", "segment_id"]], on="user_id", suffixes=("_from", "_to")
    )
    (
        both.groupby(["segment_id_from", "segment_id_to"])
        .size()
        .reset_index(name="users")
        .rename(columns={"segment_id_from": "previous_segment_id", "segment_id_to": "segment_id"})
        .to_csv(run_dir / "migration.csv", index=False)
    )
    _json(
        run_dir / "run.json",
        {
            "run_id": RUN_ID,
            "at": "2026-12-01T20:30:00+00:00",
            "previous_run_id": PREVIOUS_RUN_ID,
            "seed": 7,
            "code_version": "shopgraph 0.1.0 (test)",
            "data_window": {"months": list(MONTHS)},
            "method": "kmeans",
            "k": 5,
            "threshold": THRESHOLD,
            "inputs": {
                "metrics_used": [f"metric_{i}" for i in range(36)],
                "cluster_view": {
                    "metric_components": 7,
                    "marchenko_pastur_edge": 1.2512,
                    "eigenvalues": [5.4, 2.9, 2.4, 2.0, 1.7, 1.4, 1.3],
                    "metric_variance_explained": 0.475,
                },
            },
            "reason": "the best silhouette among fits with stability ≥ 0.8 and no segment under 1 % (ties within "
            "0.01: fewer segments)",
            "reason_fr": "la meilleure silhouette parmi les ajustements de stabilité ≥ 0,8 sans segment sous 1 % "
            "(à 0,01 près : le moins de segments)",
            "classifier": {
                "kept": "gradient_boosting",
                "test_macro_f1": 0.93,
                "split": {
                    "train": 270,
                    "validation": 90,
                    "test": 90,
                    "short_train": 150,
                    "short_validation": 50,
                    "short_test": 48,
                },
                "short_history_test_macro_f1": 0.812,
                "short_histories": {"users": 83, "copies": 248, "truncations": [13, 20, 30]},
                "procedure": "60/20/20 stratified; 3-fold CV macro-F1 on train; sigmoid calibration on validation; "
                "macro-F1 on test",
                "low_confidence_below": 0.5,
            },
            "timings": {  # the phases segments/segmentation.py records
                "inputs": 0.3,
                "short histories": 1.1,
                "final fit": 8.5,
                "taste split": 0.2,
                "classifier": 6.1,
                "feature analysis": 0.9,
                "threshold": 2.0,
                "assignment": 3.0,
            },
            "drift": {
                "psi": {
                    "recency_days": 0.31,
                    "n_events": 0.12,
                    "purchase_rate": 0.04,
                    "promo_share": 0.08,
                    "avg_order_value": 0.02,
                },
                "psi_threshold": 0.25,
                "low_confidence_share": 0.07,
                "low_confidence_threshold": 0.2,
                "segment_share_change": 0.03,
                "share_change_threshold": 0.1,
                "decision": "retrained",
                "reason": {"en": "PSI of recency_days is above 0.25.", "fr": "Le PSI de recency_days dépasse 0,25."},
            },
        },
    )
    (workspace.segments_dir / "current").write_text(RUN_ID + "\n", encoding="utf-8")

    _json(
        workspace.reports_dir / "recommend_eval.json",
        {
            "k": 10,
            "users": 420,
            "holdout": "the last purchased product of each buyer was held out.",
            "holdout_fr": "le dernier produit acheté par chaque acheteur a été mis de côté.",
            "models": [
                {"name": "global popularity", "hit_rate": 0.08, "ndcg": 0.04, "coverage": 0.02},
                {"name": "segment popularity", "hit_rate": 0.19, "ndcg": 0.10, "coverage": 0.11},
                {"name": "embedding neighbours", "hit_rate": 0.24, "ndcg": 0.13, "coverage": 0.35},
            ],
            "chosen": "embedding neighbours",
        },
    )
    return workspace
