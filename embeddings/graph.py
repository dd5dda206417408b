"""The user–product–category–brand interaction graph, built in memory as undirected CSR arrays.

:class:`InteractionGraph` holds the CSR arrays and the node keys (users, products, categories, brands
numbered densely by type); :func:`from_edges` and :func:`build_graph` are pure, :func:`load_graph`
reads the workspace. The API and the edge weights: docs/ARCHITECTURE.md, "embeddings/graph.py".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np

from events.interactions import refresh_interactions
from events.store import bounded_connection
from shopgraph.errors import ShopgraphError
from shopgraph.sqltext import literal_list
from shopgraph.workspace import Workspace

NODE_TYPES = ("user", "product", "category", "brand")
"""``node_type`` codes: 0 user, 1 product, 2 category, 3 brand."""
INTENT_WEIGHTS = {"view": 1.0, "cart": 3.0, "remove_from_cart": 0.25, "purchase": 6.0}
"""Per event type, the weight of ``log1p(count)`` in a user–product edge."""
CATEGORY_WEIGHT = 4.0
"""Weight of every product–category edge (a product has exactly one, its latest category)."""
BRAND_WEIGHT = 4.0
"""Weight of every product–brand edge (products without a brand have none)."""
DEFAULT_MAX_USERS = 150_000
"""Training users at most; the rest are folded in (docs/ARCHITECTURE.md: the token budget)."""

Say = Callable[[str], None]


@dataclass
class InteractionGraph:
    """An undirected weighted graph in CSR form with typed, keyed nodes (see the module docstring).

    ``indices[indptr[v]:indptr[v+1]]`` are the neighbours of node ``v`` (sorted), with
    ``weights`` alongside. Every undirected edge appears twice (once per direction), so a
    graph with E edges holds 2E entries: 4 bytes index + 4 bytes weight each.
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    node_type: np.ndarray
    user_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    product_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    category_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    brands: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    product_category: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    """Per product (in ``product_ids`` order), the node index of its category (-1 when none)."""
    product_brand: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    """Per product, the node index of its brand (-1 when it has no brand)."""
    users_total: int = 0
    """Users in the interactions (the training users are a sample of them when capped)."""

    @property
    def n_nodes(self) -> int:
        return int(self.indptr.shape[0] - 1)

    @property
    def n_entries(self) -> int:
        """Directed CSR entries (twice the undirected edges)."""
        return int(self.indices.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.indices.nbytes + self.weights.nbytes + self.node_type.nbytes)

    def counts(self) -> dict[str, int]:
        """Nodes per type, e.g. ``{"user": 5000, "product": 1200, ...}``."""
        found = np.bincount(self.node_type, minlength=len(NODE_TYPES))
        return {name: int(found[i]) for i, name in enumerate(NODE_TYPES)}

    def nodes(self, node_type: str) -> slice:
        """The contiguous node-index range of one node type."""
        counts = self.counts()
        start = 0
        for name in NODE_TYPES:
            if name == node_type:
                return slice(start, start + counts[name])
            start += counts[name]
        raise ValueError(f"unknown node type {node_type!r}; expected one of {', '.join(NODE_TYPES)}")

    def keys(self, node_type: str) -> np.ndarray:
        """The ids of one node type, aligned with :meth:`nodes` (users/products/categories int64, brands str)."""
        return {
            "user": self.user_ids,
            "product": self.product_ids,
            "category": self.category_ids,
            "brand": self.brands,
        }[node_type]

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)


def from_edges(
    n_nodes: int, src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays ``(indptr int64[n+1], indices int32, weights float32)`` of an undirected graph.

    Each edge ``(src[i], dst[i], weights[i])`` is added in both directions; duplicate pairs are
    summed; self loops and edges with weight ≤ 0 are dropped; neighbours are sorted per row
    (the walks binary-search them). ``weights=None`` means 1.0 for every edge. Pure numpy:
    one int64 sort key per directed entry, O(E log E).
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    w = np.ones(src.shape[0], np.float64) if weights is None else np.asarray(weights, dtype=np.float64)
    if not (src.shape == dst.shape == w.shape):
        raise ValueError("src, dst and weights must have the same length")
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n_nodes):
        raise ValueError(f"edge endpoints must lie in [0, {n_nodes})")
    keep = (src != dst) & (w > 0)
    src, dst, w = src[keep], dst[keep], w[keep]
    key = np.concatenate([src * n_nodes + dst, dst * n_nodes + src])
    both = np.concatenate([w, w])
    del src, dst, w
    order = np.argsort(key, kind="stable")
    key = key[order]
    both = both[order]
    del order
    first = np.ones(key.shape[0], bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    summed = np.add.reduceat(both, starts) if starts.size else np.zeros(0)
    key = key[starts]
    rows = key // n_nodes
    indices = (key % n_nodes).astype(np.int32)
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n_nodes), out=indptr[1:])
    return indptr, indices, summed.astype(np.float32)


def build_graph(
    user_ids: np.ndarray,
    product_ids: np.ndarray,
    weights: np.ndarray,
    products: np.ndarray,
    product_categories: np.ndarray,
    product_brands: Sequence[str | None],
    category_weight: float = CATEGORY_WEIGHT,
    brand_weight: float = BRAND_WEIGHT,
    users_total: int | None = None,
    users: np.ndarray | None = None,
) -> InteractionGraph:
    """The interaction graph from arrays (pure; :func:`load_graph` feeds it from the workspace).

    ``user_ids, product_ids, weights`` are the user–product edges (one per pair, weight > 0;
    users must be the training users). ``products`` lists every product to include (all of
    them, also those only non-training users touched) with its ``product_categories`` id and
    ``product_brands`` name (None or "" for no brand); edge products must be among them.
    ``users`` numbers the user nodes in that order (every edge user among them; default: by id).
    """
    user_ids = np.asarray(user_ids, np.int64)
    product_ids = np.asarray(product_ids, np.int64)
    products = np.asarray(products, np.int64)
    order = np.argsort(products, kind="stable")
    products = products[order]
    if products.size and (np.diff(products) == 0).any():
        raise ValueError("products must be unique")
    cats = np.asarray(product_categories, np.int64)[order]
    brand_list = np.asarray(product_brands, dtype=object)[order]
    has_brand = np.array([b is not None and b == b and str(b) != "" for b in brand_list], bool)
    users = np.unique(user_ids) if users is None else np.asarray(users, np.int64)
    categories = np.unique(cats)
    brands = np.unique(brand_list[has_brand].astype(str)) if has_brand.any() else np.zeros(0, str)
    n_u, n_p, n_c, n_b = len(users), len(products), len(categories), len(brands)
    n = n_u + n_p + n_c + n_b
    if n >= np.iinfo(np.int32).max:
        raise ShopgraphError(f"{n:,} nodes do not fit int32 indices: lower --max-users")
    pidx = np.searchsorted(products, product_ids)
    if product_ids.size and ((pidx >= n_p).any() or (products[np.minimum(pidx, n_p - 1)] != product_ids).any()):
        raise ValueError("every edge product must be in products")
    by_id = np.argsort(users, kind="stable")
    u_pos = np.minimum(np.searchsorted(users, user_ids, sorter=by_id), max(n_u - 1, 0))
    if user_ids.size and (users[by_id[u_pos]] != user_ids).any():
        raise ValueError("every edge user must be in users")
    u_node = by_id[u_pos]
    p_node = n_u + pidx
    cat_node = (n_u + n_p + np.searchsorted(categories, cats)).astype(np.int32)
    brand_node = np.full(n_p, -1, np.int32)
    if n_b:
        brand_node[has_brand] = n_u + n_p + n_c + np.searchsorted(brands, brand_list[has_brand].astype(str))
    prod_nodes = n_u + np.arange(n_p, dtype=np.int64)
    src = np.concatenate([u_node, prod_nodes, prod_nodes[has_brand]])
    dst = np.concatenate([p_node, cat_node, brand_node[has_brand]])
    w = np.concatenate(
        [np.asarray(weights, np.float64), np.full(n_p, category_weight), np.full(int(has_brand.sum()), brand_weight)]
    )
    indptr, indices, ws = from_edges(n, src, dst, w)
    node_type = np.repeat(np.arange(4, dtype=np.int8), [n_u, n_p, n_c, n_b])
    return InteractionGraph(
        indptr=indptr,
        indices=indices,
        weights=ws,
        node_type=node_type,
        user_ids=users,
        product_ids=products,
        category_ids=categories,
        brands=brands.astype(object),
        product_category=cat_node,
        product_brand=brand_node,
        users_total=n_u if users_total is None else users_total,
    )


def sample_users(users: np.ndarray, max_users: int | None, seed: int) -> np.ndarray:
    """All of ``users`` when at most ``max_users``, else a seeded uniform sample; in the order given.

    The draw picks positions, not ids, so with ``users`` in :func:`users_in_order` order the
    sample does not depend on the pseudonymisation key.
    """
    users = np.asarray(users, np.int64)
    if max_users is None or len(users) <= max_users:
        return users
    rng = np.random.default_rng([seed, 0x5EED])
    return users[np.sort(rng.choice(len(users), size=max_users, replace=False))]


def users_in_order(con: duckdb.DuckDBPyConnection, files: Sequence[str]) -> np.ndarray:
    """Every user of the interactions, in an order the pseudonymisation key does not decide.

    By first interaction, then last, then rows and events, then a hash of what they touched;
    only users whose interactions are identical to the second fall back to their id. The user
    nodes are numbered, and the training users sampled, in this order, so the same month files
    give the same walks and vectors under any key (docs/ARCHITECTURE.md, "Reproducibility").
    """
    rows = con.execute(f"""
        SELECT user_id FROM read_parquet({literal_list(files)})
        GROUP BY user_id
        ORDER BY min(first_at), max(last_at), count(*), sum(count),
                 bit_xor(hash(product_id, event_type, count, first_at, last_at)), user_id
    """).fetchnumpy()
    return np.asarray(rows["user_id"], np.int64)


def interaction_files(workspace: Workspace) -> list[str]:
    """The interaction aggregates of the event store, made or brought up to date first; none is a user error.

    They come from the store's partitions (:func:`events.interactions.refresh_interactions`),
    not from Neo4j: ``embed`` runs without a graph server.
    """
    refresh_interactions(workspace)
    files = sorted(str(p) for p in workspace.interactions_dir.glob("part-*.parquet"))
    if not files:
        raise ShopgraphError(f"no interactions in {workspace.interactions_dir}: run `shopgraph ingest FILE` first")
    return files


def intent_weight_sql(weights: dict[str, float] | None = None) -> str:
    """The SQL expression of one interaction row's edge weight (constants of this module, not user input)."""
    weights = weights or INTENT_WEIGHTS
    cases = " ".join(f"WHEN '{name}' THEN {float(w)!r}" for name, w in weights.items())
    return f"(CASE event_type {cases} ELSE 0.0 END) * ln(1 + count)"


WEIGHT_UNIT = 2.0**-40
"""The edge weights are summed as integer multiples of this: exact, so in any row order."""


def edge_weight_sql() -> str:
    """The SQL aggregate of a (user, product) edge's weight over its interaction rows.

    A floating-point sum depends on the order DuckDB's threads meet the rows (and the rows'
    order in the aggregates follows the pseudonyms), so the terms are rounded to
    :data:`WEIGHT_UNIT` and summed as integers, which gives the same weight in any order.
    """
    unit = 1.0 / WEIGHT_UNIT
    return f"(sum(round({intent_weight_sql()} * {unit!r})::BIGINT) / {unit!r})::DOUBLE"


def user_product_weights(
    con: duckdb.DuckDBPyConnection, files: Sequence[str], users: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(user_ids, product_ids, weights)`` per (user, product) pair, sorted, weight > 0.

    ``users`` restricts to those users (the training sample); DuckDB does the aggregation.
    """
    where = ""
    if users is not None:
        con.register("_training_users", {"user_id": np.asarray(users, np.int64)})
        where = "WHERE user_id IN (SELECT user_id FROM _training_users)"
    rows = con.execute(f"""
        SELECT user_id, product_id, {edge_weight_sql()} AS weight
        FROM read_parquet({literal_list(files)}) {where}
        GROUP BY ALL HAVING {edge_weight_sql()} > 0
        ORDER BY user_id, product_id
    """).fetchnumpy()
    if users is not None:
        con.unregister("_training_users")
    return (
        np.asarray(rows["user_id"], np.int64),
        np.asarray(rows["product_id"], np.int64),
        np.asarray(rows["weight"], np.float64),
    )


def product_attributes(
    workspace: Workspace, con: duckdb.DuckDBPyConnection, files: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(product_ids, category_ids, brands)`` for every product in the interactions.

    Category and brand are each product's latest in the event store (the latest non-empty
    brand; None when it never had one; a tie in time goes to the greater value, not to the
    row met first, whose place in the store follows the pseudonyms). Products missing from the store (it expired) get
    category -1 and no brand; :func:`build_graph` then gives them a category node of their own.
    """
    from events.store import connect_events

    connect_events(workspace, con=con)
    rows = con.execute(f"""
        WITH products AS (SELECT DISTINCT product_id FROM read_parquet({literal_list(files)})),
        attributes AS (
            SELECT product_id, arg_max(category_id, (event_time, category_id)) AS category_id,
                   arg_max(brand, (event_time, brand)) FILTER (WHERE brand IS NOT NULL AND brand <> '') AS brand
            FROM events WHERE product_id IN (SELECT product_id FROM products) GROUP BY product_id
        )
        SELECT p.product_id, coalesce(a.category_id, -1) AS category_id, a.brand
        FROM products p LEFT JOIN attributes a USING (product_id) ORDER BY p.product_id
    """).fetchnumpy()
    brands = rows["brand"]
    brands = np.array(
        [
            None if b is None or (isinstance(b, float) and b != b) else str(b)
            for b in (brands.tolist() if hasattr(brands, "tolist") else brands)
        ],
        dtype=object,
    )
    return np.asarray(rows["product_id"], np.int64), np.asarray(rows["category_id"], np.int64), brands


def load_graph(
    workspace: Workspace, max_users: int | None = DEFAULT_MAX_USERS, seed: int = 42, say: Say | None = None
) -> InteractionGraph:
    """The training graph of ``workspace``: a seeded sample of at most ``max_users`` users, all products.

    Raises ShopgraphError when nothing has been ingested yet.
    """
    say = say or (lambda _m: None)
    files = interaction_files(workspace)
    con = bounded_connection(workspace)
    try:
        started = time.perf_counter()
        say("reading users")
        all_users = users_in_order(con, files)
        users = sample_users(all_users, max_users, seed)
        say(f"aggregating interactions of {len(users):,} of {len(all_users):,} users")
        u, p, w = user_product_weights(con, files, None if len(users) == len(all_users) else users)
        say("reading product categories and brands")
        products, categories, brands = product_attributes(workspace, con, files)
        say(f"building CSR ({time.perf_counter() - started:.1f}s so far)")
        return build_graph(u, p, w, products, categories, brands, users_total=len(all_users), users=users)
    finally:
        con.close()
