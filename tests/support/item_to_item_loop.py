"""The item-to-item recommender of segments/recommend_eval.py as first written, a loop over each customer's seeds:
the reference its NumPy form must equal list for list (tests/unit/test_recommend_eval.py, bench/holdout.py)."""

from __future__ import annotations

import math
from collections import defaultdict

from segments.recommend_eval import INTEREST_SEEDS, Holdout, Recommend, popularity_recommender


def item_to_item_by_loop(data: Holdout, k: int = 10) -> Recommend:
    """The item-to-item recommender as first written, a loop over the seeds: the reference of the NumPy one."""
    buyers_of = defaultdict(set)
    for user, product, _ in data.pairs:
        buyers_of[product].add(user)

    def co_bought(q):
        counts = defaultdict(int)
        for user in buyers_of.get(q, ()):
            for p in data.bought[user]:
                if p != q:
                    counts[p] += 1
        return counts

    fill = popularity_recommender(data, k)

    def recommend(user):
        seeds = data.bought.get(user) or list(data.interactions.get(user, {}))[:INTEREST_SEEDS]
        scores = defaultdict(float)
        for q in seeds:
            for p, n in co_bought(q).items():
                scores[p] += n / math.sqrt(len(buyers_of[q]) * len(buyers_of[p]))
        seen = data.bought.get(user, set())
        ranked = [p for p in sorted(scores, key=lambda p: (-scores[p], p)) if p not in seen and p not in data.unpriced]
        ranked = ranked[:k]
        return ranked + [p for p in fill(user) if p not in ranked][: k - len(ranked)]

    return recommend
