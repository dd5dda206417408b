"""The recommendation hold-out: the segments' recommendations against popularity and item-to-item, for the dossier.

:func:`evaluate_recommendations` holds out the store's last month, scores each recommender's ``k``
products per customer (hit rate, precision, recall, coverage) and writes
``reports/recommend_eval.json``, or why no fair figure could be computed. The procedure:
docs/ARCHITECTURE.md, "segments/recommend_eval.py".
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from events.month_digest import MonthDigest, month_digests, sources
from events.store import bounded_connection, event_files, events_sql, month_dirs
from features.registry import TOP_CATEGORIES
from graph.recommend import CANDIDATES, HALF_LIFE_DAYS, MIN_BUYERS, NO_DEPARTMENT, personalise, rank
from segments.runs import current_run_dir, write_json
from shopgraph.progress import Progress
from shopgraph.workspace import Workspace

K = 10
MAX_USERS = 20_000
MIN_USERS = 30
INTEREST_SEEDS = 20  # item-to-item: how many carted/viewed products stand in for purchases
RECOMMEND_EVAL = "recommend_eval.json"
CHOSEN = "segment"
MODEL_NAMES_FR = {
    "segment": "segment",
    "segment, unpersonalised": "segment, sans personnalisation",
    "popularity": "popularité",
    "item-to-item": "article à article",
}

Recommend = Callable[[int], list[int]]


@dataclass
class Holdout:
    """Training purchases and interactions, and the evaluated customers' new purchases (stored pseudonyms)."""

    pairs: list[tuple[int, int, float]]  # training (user, product, epoch seconds of their last purchase of it)
    catalogue: int  # distinct products in the training months
    department_of: dict[int, str]  # product → first level of its category code ('' without one)
    category_of: dict[int, Any]  # product → category id
    unpriced: frozenset[int]  # latest training price 0 or missing: never recommended
    bought: dict[int, set[int]]  # user → products bought in the training months
    interactions: dict[int, dict[int, int]]  # evaluated user → product → views + carts (carted first, most first)
    departments: dict[int, str]  # evaluated user → the department to address them with
    test: dict[int, set[int]]  # evaluated user → products bought for the first time in the held-out period
    candidates: int = 0  # customers with a new purchase in the held-out period, before sampling
    known_users: int = 0  # customers of the training months

    @property
    def users(self) -> list[int]:
        return sorted(self.test)


def load_holdout(
    train: Sequence[MonthDigest],
    test_files: Sequence[Path],
    max_users: int = MAX_USERS,
    seed: int = 0,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Holdout:
    """Read the training months (their digests, ``train``: events.month_digest) and the held-out purchases
    (``test_files``, the store's files of the month held out).

    The training purchases, products and customers add up the months' digests; only the evaluated customers'
    views, carts and departments are read from the training months' events (docs/BENCHMARKS.md, "The dossier").
    ``con``: the connection to read with (its memory bound; closed here), a new unbounded one by default."""
    con = con or duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"CREATE TEMP VIEW train AS {events_sql([f for d in train for f in d.files])}")
        con.execute(f"CREATE TEMP VIEW test AS {events_sql(test_files)}")
        con.execute(f"""CREATE TEMP TABLE pairs AS SELECT user_id, product_id, epoch(max(last_at)) AS last_at
                        FROM {sources(train, "purchases")} GROUP BY 1, 2""")
        con.execute(f"CREATE TEMP TABLE train_users AS SELECT DISTINCT user_id FROM {sources(train, 'per_user')}")
        pairs = [
            (int(u), int(p), float(at))
            for u, p, at in con.execute("SELECT user_id, product_id, last_at FROM pairs ORDER BY 1, 2").fetchall()
        ]
        known = con.execute("SELECT count(*) FROM train_users").fetchone()[0]
        department_of, category_of, unpriced = {}, {}, set()
        for product, code, category, price in con.execute(f"""
                SELECT product_id, split_part(any_value(category_code), '.', 1), any_value(category_id),
                       arg_max(last_price, (last_at, last_price))
                FROM {sources(train, "products")} GROUP BY 1""").fetchall():
            department_of[product] = code or ""
            category_of[product] = category
            if not price or price <= 0:
                unpriced.add(product)
        catalogue = sum(1 for product in department_of if product is not None)
        test, candidates = _held_out_purchases(con, max_users, seed)
        con.register("evaluated_frame", pd.DataFrame({"user_id": np.array(sorted(test), dtype="int64")}))
        con.execute("CREATE TEMP TABLE evaluated AS SELECT user_id FROM evaluated_frame")
        con.execute("""CREATE TEMP TABLE evaluated_events AS
                       SELECT user_id, product_id, event_type, category_l1 FROM train JOIN evaluated USING (user_id)""")
        interactions: dict[int, dict[int, int]] = defaultdict(dict)
        for user, product, n in con.execute("""
                SELECT user_id, product_id, count(*) FROM evaluated_events
                WHERE event_type IN ('cart', 'view') GROUP BY 1, 2
                ORDER BY user_id, max(CASE WHEN event_type = 'cart' THEN 1 ELSE 0 END) DESC, count(*) DESC,
                         product_id""").fetchall():
            interactions[int(user)][int(product)] = int(n)
        per_department: dict[int, dict[str, int]] = defaultdict(dict)
        for user, department, n in con.execute(
            "SELECT user_id, category_l1, count(*) FROM evaluated_events GROUP BY 1, 2"
        ).fetchall():
            per_department[int(user)][department] = int(n)
    finally:
        con.close()
    bought: dict[int, set[int]] = defaultdict(set)
    for user, product, _ in pairs:
        bought[user].add(product)
    departments = {u: top_department(per_department.get(u, {})) for u in test}
    return Holdout(
        pairs,
        int(catalogue),
        department_of,
        category_of,
        frozenset(unpriced),
        bought,
        interactions,
        departments,
        test,
        candidates,
        int(known),
    )


def _held_out_purchases(con: duckdb.DuckDBPyConnection, max_users: int, seed: int) -> tuple[dict[int, set[int]], int]:
    """Per training customer, the products first bought in the held-out month (views ``test``, tables ``pairs``
    and ``train_users``), a seeded sample of ``max_users`` customers when there are more; and how many there were."""
    new = con.execute("""
        SELECT DISTINCT t.user_id, t.product_id FROM test t
        WHERE t.event_type = 'purchase' AND t.user_id IN (SELECT user_id FROM train_users)
          AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.user_id = t.user_id AND p.product_id = t.product_id)
        ORDER BY 1, 2""").fetchall()
    test: dict[int, set[int]] = defaultdict(set)
    for user, product in new:
        test[int(user)].add(int(product))
    candidates = len(test)
    if candidates > max_users:
        chosen = set(np.random.default_rng(seed).choice(sorted(test), size=max_users, replace=False).tolist())
        test = defaultdict(set, {u: products for u, products in test.items() if u in chosen})
    return test, candidates


def top_department(events_per_department: Mapping[str | None, int]) -> str:
    """The department with the most events (features' ``top_category`` rule: the first of the top
    categories, then ``other`` for the rest, with the largest count)."""
    counts = [events_per_department.get(c, 0) for c in TOP_CATEGORIES]
    counts.append(sum(events_per_department.values()) - sum(counts))
    names = [*TOP_CATEGORIES, "other"]
    return names[counts.index(max(counts))]


def _fr(n: int) -> str:
    """An integer with French digit groups (narrow no-break spaces)."""
    return f"{n:,}".replace(",", "\u202f")


def _weight(age_seconds: float) -> float:
    return math.pow(2.0, -age_seconds / 86400.0 / HALF_LIFE_DAYS)


def _scored(
    rows: list[tuple[int, float]],
    min_buyers: int,
    unpriced: frozenset[int],
    lift_of: Callable[[int, int], float] | None = None,
) -> list[tuple[int, float]]:
    """(product, purchase time) rows → [(product, score)] best first, ties by product id (cypher/recommend/)."""
    buyers: dict[int, int] = defaultdict(int)
    weights: dict[int, float] = defaultdict(float)
    ref = max((at for _, at in rows), default=0.0)
    for product, at in rows:
        buyers[product] += 1
        weights[product] += _weight(ref - at)
    out = [
        (p, weights[p] * (lift_of(p, buyers[p]) if lift_of else 1.0))
        for p in buyers
        if buyers[p] >= min_buyers and p not in unpriced
    ]
    return sorted(out, key=lambda item: (-item[1], item[0]))


def segment_recommender(data: Holdout, segments: Mapping[int, int], personal: bool = True, k: int = K) -> Recommend:
    """graph/recommend.py's recommender over the training months, with ``segments`` (user → segment id, 0 = none)."""
    all_buyers: dict[int, int] = defaultdict(int)
    for _, product, _ in data.pairs:
        all_buyers[product] += 1
    n_all = len({u for u, _, _ in data.pairs})
    by_segment: dict[int, list[tuple[int, float]]] = defaultdict(list)
    by_department: dict[str, list[tuple[int, float]]] = defaultdict(list)
    segment_buyers: dict[int, set[int]] = defaultdict(set)
    for user, product, at in data.pairs:
        sid = segments.get(user)
        if sid:
            by_segment[sid].append((product, at))
            segment_buyers[sid].add(user)
        by_department[data.department_of.get(product) or ""].append((product, at))
    lists = {
        sid: _scored(
            rows,
            MIN_BUYERS,
            data.unpriced,
            lambda p, b, sid=sid: (b / len(segment_buyers[sid])) / (all_buyers[p] / n_all),
        )
        for sid, rows in by_segment.items()
    }
    departments = {d: _scored(rows, 1, data.unpriced) for d, rows in by_department.items() if d}
    shop = _scored([(p, at) for _, p, at in data.pairs], 1, data.unpriced)

    def recommend(user: int) -> list[int]:
        chosen: list[tuple[str, Sequence[tuple[int, float]]]] = []
        sid = segments.get(user)
        if sid:
            candidates = lists.get(sid, [])[:CANDIDATES]
            if personal:
                seen = data.interactions.get(user, {})
                candidates = personalise(
                    candidates,
                    {p: data.category_of.get(p) for p, _ in candidates},
                    [(p, data.category_of.get(p), n) for p, n in seen.items()],
                )
            chosen.append(("segment", candidates))
        department = data.departments.get(user) or ""
        if department not in NO_DEPARTMENT:
            chosen.append(("department", departments.get(department, [])))
        chosen.append(("shop", shop))
        return [r.product_id for r in rank(k, data.bought.get(user, ()), chosen)]

    return recommend


def popularity_recommender(data: Holdout, k: int = K) -> Recommend:
    """The training months' most bought products (by buyers), purchases excluded."""
    counts: dict[int, int] = defaultdict(int)
    for _, product, _ in data.pairs:
        counts[product] += 1
    ranked = [p for p in sorted(counts, key=lambda p: (-counts[p], p)) if p not in data.unpriced]

    def recommend(user: int) -> list[int]:
        seen = data.bought.get(user, set())
        out: list[int] = []
        for p in ranked:
            if p not in seen:
                out.append(p)
                if len(out) == k:
                    break
        return out

    return recommend


def item_to_item_recommender(data: Holdout, k: int = K) -> Recommend:
    """Co-purchase cosine similarity to the customer's purchases (else carts, then views), filled with popularity.

    A customer's score of product p is the sum, over their seeds q, of co(q, p) / sqrt(buyers(q) * buyers(p)),
    co(q, p) the customers who bought both. Each seed's neighbours are kept as arrays, and a customer's scores are
    one ``bincount`` of their seeds' arrays laid end to end: the same additions in the same order as a loop over
    the seeds, so the same floats and the same ranking (tests/support/item_to_item_loop.py keeps the loop as the
    reference), at a fraction of the cost: it was most of the hold-out (docs/BENCHMARKS.md, "Recommendations")."""
    buyers_of: dict[int, set[int]] = defaultdict(set)
    for user, product, _ in data.pairs:
        buyers_of[product].add(user)
    products = np.array(sorted(buyers_of), dtype=np.int64)  # a product's index: its place in this list
    index = {int(p): i for i, p in enumerate(products)}
    buyers = np.array([len(buyers_of[int(p)]) for p in products], dtype=np.int64)
    blocked = np.array([int(p) in data.unpriced for p in products], dtype=bool)
    neighbours: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # built for the seeds the evaluated customers need

    def co_bought(q: int) -> tuple[np.ndarray, np.ndarray]:
        """The products bought with q (their indexes, in the order first met) and their share of q's score."""
        if q not in neighbours:
            counts: dict[int, int] = defaultdict(int)
            for user in buyers_of.get(q, ()):
                for p in data.bought[user]:
                    if p != q:
                        counts[p] += 1
            at = np.fromiter((index[p] for p in counts), dtype=np.int64, count=len(counts))
            together = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
            neighbours[q] = (at, together / np.sqrt(len(buyers_of.get(q, ())) * buyers[at]))
        return neighbours[q]

    fill = popularity_recommender(data, k)

    def recommend(user: int) -> list[int]:
        seeds = data.bought.get(user) or list(data.interactions.get(user, {}))[:INTEREST_SEEDS]
        found = [co_bought(q) for q in seeds]
        found = [f for f in found if len(f[0])]
        ranked: list[int] = []
        if found:
            scores = np.bincount(
                np.concatenate([at for at, _ in found]), np.concatenate([w for _, w in found]), len(products)
            )
            out = blocked.copy()
            out[[index[p] for p in data.bought.get(user, ()) if p in index]] = True
            candidates = np.flatnonzero((scores > 0) & ~out)
            order = np.lexsort((products[candidates], -scores[candidates]))[:k]
            ranked = products[candidates[order]].tolist()
        return ranked + [p for p in fill(user) if p not in ranked][: k - len(ranked)]

    return recommend


def score(
    data: Holdout, recommend: Recommend, k: int = K, progress: Progress | None = None, step: str = "score"
) -> dict[str, float]:
    """hit_rate, precision, recall (at ``k``) and catalogue coverage of the evaluated customers (progress: ``step``)."""
    hits = precision = recall = 0.0
    recommended: set[int] = set()
    users = data.users
    for i, user in enumerate(users, start=1):
        recs = recommend(user)
        recommended.update(recs)
        found = len(set(recs) & data.test[user])
        hits += found > 0
        precision += found / k
        recall += found / len(data.test[user])
        if progress and (i % 1000 == 0 or i == len(users)):
            progress(step, i, len(users))
    n = len(users) or 1
    return {
        "hit_rate": hits / n,
        "precision": precision / n,
        "recall": recall / n,
        "coverage": len(recommended) / data.catalogue if data.catalogue else 0.0,
    }


def compare(
    data: Holdout,
    segments: Mapping[int, int],
    k: int = K,
    unpersonalised: bool = False,
    progress: Progress | None = None,
) -> dict[str, dict[str, float]]:
    """Every recommender's figures, by name (``segment`` first)."""
    models: dict[str, Callable[[], Recommend]] = {"segment": lambda: segment_recommender(data, segments, k=k)}
    if unpersonalised:
        models["segment, unpersonalised"] = lambda: segment_recommender(data, segments, personal=False, k=k)
    models["popularity"] = lambda: popularity_recommender(data, k)
    models["item-to-item"] = lambda: item_to_item_recommender(data, k)
    out = {}
    for name, build in models.items():
        out[name] = score(data, build(), k, progress, step=name)
    return out


@dataclass
class RecommendEvaluation:
    """What :func:`evaluate_recommendations` wrote: the file and its record (``reason`` set when no figures)."""

    path: Path
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        return self.record.get("reason")


def evaluate_recommendations(
    workspace: Workspace,
    segments: Mapping[int, int] | None = None,
    *,
    k: int = K,
    max_users: int = MAX_USERS,
    min_users: int = MIN_USERS,
    seed: int = 0,
    progress: Progress | None = None,
) -> RecommendEvaluation:
    """Hold out the store's last month, compare the recommenders, write ``reports/recommend_eval.json``.

    ``segments`` (user → segment id) defaults to the current run's ``assignments.parquet``.
    """
    started = time.perf_counter()
    path = workspace.reports_dir / RECOMMEND_EVAL
    months = list(month_dirs(workspace))
    record: dict[str, Any] = {
        "k": k,
        "users": 0,
        "models": [],
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "months": months,
    }

    def finish(reason: tuple[str, str] | None = None) -> RecommendEvaluation:
        if reason:
            record["reason"], record["reason_fr"] = reason
        record["seconds"] = round(time.perf_counter() - started, 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, record)
        return RecommendEvaluation(path, record)

    run_id = None
    if segments is None:
        run_id, segments = _current_segments(workspace)
        if segments is None:
            return finish(NO_RUN)
    record["segment_run"] = run_id
    if len(months) < 2:
        return finish(_one_month(months))
    train_months, test_month = months[:-1], months[-1]
    record.update(train_months=train_months, test_month=test_month)
    if progress:
        progress("read the hold-out", 0, 0)
    data = load_holdout(
        month_digests(workspace, train_months),
        event_files(workspace, [test_month]),
        max_users=max_users,
        seed=seed,
        con=bounded_connection(workspace),
    )
    record.update(
        users=len(data.test),
        candidates=data.candidates,
        sampled=data.candidates > len(data.test),
        max_users=max_users,
        seed=seed,
        training_customers=data.known_users,
        catalogue=data.catalogue,
    )
    train = ", ".join(train_months)
    if len(data.test) < min_users:
        return finish(_too_few_customers(len(data.test), train, test_month, min_users))
    record.update(_holdout_sentences(data, train, test_month, seed, sampled=record["sampled"]))
    results = compare(data, segments, k, progress=progress)
    record["models"] = [
        {"name": name, "name_fr": MODEL_NAMES_FR.get(name, name), **figures} for name, figures in results.items()
    ]
    record["chosen"] = CHOSEN
    return finish()


NO_RUN = (
    "there is no segmentation run to recommend from yet.",
    "il n'y a pas encore de segmentation à partir de laquelle recommander.",
)


def _one_month(months: list[str]) -> tuple[str, str]:
    return (
        f"the store holds one month ({', '.join(months) or 'none'}); the hold-out needs a later month to test on.",
        f"le magasin ne contient qu'un mois ({', '.join(months) or 'aucun'}) ; l'évaluation a besoin "
        "d'un mois suivant pour tester.",
    )


def _too_few_customers(users: int, train: str, test_month: str, min_users: int) -> tuple[str, str]:
    return (
        f"only {users} customer(s) of {train} bought a product in {test_month} that they "
        f"had not bought before; a fair comparison needs at least {min_users}.",
        f"seuls {users} client(s) de {train} ont acheté en {test_month} un produit qu'ils "
        f"n'avaient jamais acheté ; une comparaison équitable en demande au moins {min_users}.",
    )


def _current_segments(workspace: Workspace) -> tuple[str | None, dict[int, int] | None]:
    """The current run's id and its user → segment id (None, None when there is no run with assignments)."""
    run_dir = current_run_dir(workspace)
    if run_dir is None or not (run_dir / "assignments.parquet").is_file():
        return None, None
    frame = pd.read_parquet(run_dir / "assignments.parquet", columns=["user_id", "segment_id"])
    return run_dir.name, dict(zip(frame["user_id"].tolist(), frame["segment_id"].tolist(), strict=True))


HOLDOUT_NOTE = (
    "The segments are the current run's, computed from every month including the held-out one, "
    "so the segment figures may be slightly optimistic; the departments, views and carts the "
    "recommenders use come from the training months only. Products priced 0 or without a price "
    "are never recommended."
)
HOLDOUT_NOTE_FR = (
    "Les segments sont ceux de l'exécution en cours, calculés sur tous les mois, y compris "
    "celui mis de côté : les chiffres du segment peuvent être un peu optimistes ; les rayons, "
    "vues et paniers utilisés viennent des seuls mois d'apprentissage. Les produits à prix nul "
    "ou sans prix ne sont jamais recommandés."
)


def _holdout_sentences(data: Holdout, train: str, test_month: str, seed: int, *, sampled: bool) -> dict[str, str]:
    """What was held out and the caveat, in English and French, as the record keeps them."""
    sample_en = sample_fr = ""
    if sampled:
        sample_en = f" (a random sample of {len(data.test):,} of the {data.candidates:,} such customers, seed {seed})"
        sample_fr = (
            f" (un échantillon aléatoire de {_fr(len(data.test))} des {_fr(data.candidates)} clients "
            f"concernés, graine {seed})"
        )
    return {
        "holdout": (
            f"the purchases of {test_month} were held out; the models learnt from {train} and had to "
            f"find, for each customer of those months, the products they bought in {test_month} for "
            f"the first time{sample_en}."
        ),
        "holdout_fr": (
            f"les achats de {test_month} ont été mis de côté ; les modèles ont appris sur {train} et "
            f"devaient retrouver, pour chaque client de ces mois, les produits achetés en "
            f"{test_month} pour la première fois{sample_fr}."
        ),
        "note": HOLDOUT_NOTE,
        "note_fr": HOLDOUT_NOTE_FR,
    }


def current_evaluation(workspace: Workspace, progress: Progress | None = None) -> RecommendEvaluation | None:
    """``reports/recommend_eval.json`` as it stands if it was made for the current segmentation run and
    the store's months; otherwise :func:`evaluate_recommendations` again. None when there is no run yet
    (the dossier then says what to run)."""
    import json

    run_dir = current_run_dir(workspace)
    if run_dir is None or not (run_dir / "assignments.parquet").is_file():
        return None
    path = workspace.reports_dir / RECOMMEND_EVAL
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    if record.get("segment_run") == run_dir.name and record.get("months") == list(month_dirs(workspace)):
        return RecommendEvaluation(path, record)
    return evaluate_recommendations(workspace, progress=progress)
