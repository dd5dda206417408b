"""The taste block: what each customer touched, as TF-IDF of brands and categories reduced by truncated SVD.

Two customers who shop alike in every habit but buy different brands or departments (home against
fashion, one brand family against another) differ only in *what* they touch. The metrics cannot see
it and the graph vectors hold it only in part, so the taste block reads it from the events directly:
each customer's count of events per brand and per category (its code, or its id when it has none),
sublinear TF-IDF (a token every customer touches weighs little; the tenth view of a brand adds less
than the second), rows to unit length, then the ``COMPONENTS`` leading directions of a truncated SVD.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from events.store import connect_events
from shopgraph.workspace import Workspace

COMPONENTS = 20
MIN_CUSTOMERS = 5  # a brand or category touched by fewer customers is left out (it says nothing shared)

TOKENS_SQL = """
    SELECT user_id, token, count(*)::DOUBLE AS n FROM (
        SELECT user_id, 'brand:' || brand AS token FROM events WHERE brand IS NOT NULL AND brand <> ''
        UNION ALL
        SELECT user_id, 'category:' || coalesce(nullif(category_code, ''), CAST(category_id AS VARCHAR)) AS token
        FROM events WHERE category_id IS NOT NULL
    ) JOIN users USING (user_id)
    GROUP BY user_id, token
"""


def touched(workspace: Workspace, user_ids: np.ndarray) -> pd.DataFrame:
    """``user_id, token, n``: how many events each of ``user_ids`` has on each brand and category."""
    con = connect_events(workspace)
    try:
        con.register("users", pd.DataFrame({"user_id": np.asarray(user_ids, np.int64)}))
        return con.execute(TOKENS_SQL).df()
    finally:
        con.close()


def count_matrix(counts: pd.DataFrame, user_ids: np.ndarray, tokens: list[str]) -> sparse.csr_matrix:
    """Users × tokens counts (rows in ``user_ids`` order, tokens not in ``tokens`` left out)."""
    row = pd.Index(np.asarray(user_ids, np.int64)).get_indexer(counts["user_id"].to_numpy(np.int64))
    col = pd.Index(tokens).get_indexer(counts["token"])
    keep = (row >= 0) & (col >= 0)
    return sparse.csr_matrix(
        (counts["n"].to_numpy(np.float64)[keep], (row[keep], col[keep])), shape=(len(user_ids), len(tokens))
    )


@dataclass
class TasteBlock:
    """Fitted on the clustered customers' counts; ``transform`` gives any customers' taste components."""

    seed: int = 0
    components: int = COMPONENTS
    tokens_: list[str] = field(default_factory=list)
    tfidf_: object = None
    svd_: object = None
    weight_: float = 1.0

    def fit_transform(self, counts: pd.DataFrame, user_ids: np.ndarray) -> np.ndarray:
        """Learn the tokens, their IDF and the SVD on these customers; their taste rows (total variance 1)."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfTransformer

        reach = counts.groupby("token")["user_id"].nunique()
        self.tokens_ = sorted(reach.index[reach >= MIN_CUSTOMERS])
        matrix = count_matrix(counts, user_ids, self.tokens_)
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(matrix)
        weighted = self.tfidf_.transform(matrix)
        m = max(1, min(self.components, len(self.tokens_) - 1, len(user_ids) - 1))
        self.svd_ = TruncatedSVD(m, random_state=self.seed).fit(weighted)
        rows = self.svd_.transform(weighted)
        self.weight_ = 1.0 / float(np.sqrt(max(rows.var(axis=0).sum(), 1e-12)))
        return rows * self.weight_

    def transform(self, counts: pd.DataFrame, user_ids: np.ndarray) -> np.ndarray:
        """Taste rows of ``user_ids`` with the fitted tokens, IDF, SVD and weight (no token: the zero row)."""
        weighted = self.tfidf_.transform(count_matrix(counts, user_ids, self.tokens_))
        return self.svd_.transform(weighted) * self.weight_
