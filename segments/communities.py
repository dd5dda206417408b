"""Segments as communities of a customer similarity graph: k nearest neighbours, then Leiden.

The recipe of cell-type discovery in single-cell analysis (scanpy: principal components → kNN graph →
Leiden) and of Neo4j GDS (kNN, then Leiden): customers are linked to their ``NEIGHBOURS`` most similar
customers, the links weighted by how many neighbours the two share (the shared-nearest-neighbour
graph of PhenoGraph and Seurat, which discounts links between customers in different dense regions),
and Leiden finds the groups more densely linked inside than a random graph with the same degrees would
be. Its resolution sets how fine; :func:`choose_resolution` picks it by bootstrap stability, as
``segments.selection`` picks k. Why and what it gave: docs/ARCHITECTURE.md, "segments/communities.py".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import sparse
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

from shopgraph.cores import usable_cores

METHOD = "leiden"
RULE = (
    "Leiden communities of the customers' nearest-neighbour graph, built on the customers with {long}+ events "
    "(the others join the community whose centre is nearest); resolution: the most communities among those with "
    "stability ≥ min(0.8, best − 0.05)"
)
RULE_FR = (
    "communautés Leiden du graphe des plus proches voisins des clients, construit sur les clients d'au moins {long} "
    "événements (les autres rejoignent la communauté dont le centre est le plus proche) ; résolution : le plus de "
    "communautés parmi celles de stabilité ≥ min(0,8, meilleure − 0,05)"
)
NEIGHBOURS = 15
RESOLUTIONS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0)
BOOTSTRAPS = 8
SUBSAMPLE = 0.8  # each stability fit sees this share of the users (a kNN graph cannot hold a user twice)
STABILITY_MIN = 0.8
STABILITY_SLACK = 0.05
SMALLEST_SHARE = 0.01  # communities below this share of the users join the community they link to most
SMALLEST_COMMUNITY = 20  # nor under this many users: no segment a shop cannot act on (segmentation's, issue 21 §3)
TABLE_SAMPLE = 10_000  # long histories the resolution table is fitted on, at most (BENCHMARKS, "Scale")
FIT_CAP = 50_000  # above this many users, the graph is built on a sample and the others join by kNN vote
PARALLEL_FROM = 5_000  # users; the resolution table's fits run in one process per core from this many
MAX_WORKERS = 4  # processes at most: each holds its own copy of a subsample's graph
ITERATIONS = 2  # Leiden passes (leidenalg's default): until stable cost 3.6-11x as much on a 50 k-customer graph for
# partitions at ARI 0.975-0.993 to these, and the five quality seeds' goals moved within their spread (BENCHMARKS,
# "Segments speed", "Leiden in two passes")


@dataclass
class Resolution:
    """One resolution with what it gave: communities (≥ ``SMALLEST_SHARE``), modularity and stability."""

    resolution: float
    communities: int
    modularity: float
    stability: float
    smallest_share: float
    scores: dict[str, float] = field(default_factory=dict)  # selection.score's, when business columns are given
    eligible: bool = False
    chosen: bool = False

    def as_row(self) -> dict[str, object]:
        """A row of ``selection.csv``: the method, ``k`` (the communities) and every score."""
        row = asdict(self)
        scores = row.pop("scores")
        return {"method": METHOD, "k": row.pop("communities"), **row, **scores}


def neighbour_graph(X: np.ndarray, neighbours: int = NEIGHBOURS) -> sparse.csr_matrix:
    """The shared-nearest-neighbour graph of the rows of ``X``: i and j linked when one is among the other's
    ``neighbours`` nearest (Euclidean), weighted by the Jaccard index of their neighbour sets (self included)."""
    n = len(X)
    k = min(neighbours, n - 1)
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    member = sparse.csr_matrix((np.ones(idx.size), (np.repeat(np.arange(n), k + 1), idx.ravel())), shape=(n, n))
    links = member.copy()
    links.data[:] = 1.0
    links = ((links + links.T) > 0).astype(np.float64)
    links.setdiag(0)
    links.eliminate_zeros()
    shared = member @ member.T  # |N(i) ∩ N(j)| for every pair
    rows, cols = links.nonzero()
    common = np.asarray(shared[rows, cols]).ravel()
    weight = common / (2 * (k + 1) - common)
    return sparse.csr_matrix((np.maximum(weight, 1e-3), (rows, cols)), shape=(n, n))


def as_igraph(graph: sparse.csr_matrix):
    """The weighted undirected igraph of a symmetric sparse adjacency matrix (weights in ``"weight"``)."""
    import igraph as ig

    upper = sparse.triu(graph, k=1).tocoo()
    g = ig.Graph(n=graph.shape[0], edges=list(zip(upper.row.tolist(), upper.col.tolist(), strict=True)))
    g.es["weight"] = upper.data.tolist()
    return g


def leiden(graph, resolution: float, seed: int) -> np.ndarray:
    """Leiden communities (RB configuration model at ``resolution``, ``ITERATIONS`` passes) of an igraph
    graph with edge weights, or of a sparse adjacency matrix."""
    import leidenalg

    g = as_igraph(graph) if sparse.issparse(graph) else graph
    part = leidenalg.find_partition(
        g,
        leidenalg.RBConfigurationVertexPartition,
        weights="weight",
        resolution_parameter=resolution,
        seed=int(seed),
        n_iterations=ITERATIONS,
    )
    return np.asarray(part.membership, np.int64)


def absorb_small(graph: sparse.csr_matrix, labels: np.ndarray, share: float = SMALLEST_SHARE) -> np.ndarray:
    """Labels 0..m-1 where every community under ``share`` of the users or ``SMALLEST_COMMUNITY`` users has
    joined the large community its members link to most (by weight); no large one: the largest stays."""
    labels = np.unique(labels, return_inverse=True)[1]
    counts = np.bincount(labels)
    big = np.flatnonzero(counts >= max(share * len(labels), SMALLEST_COMMUNITY))
    if len(big) == 0:
        big = np.array([int(counts.argmax())])
    small = ~np.isin(labels, big)
    if small.any():
        onehot = sparse.csr_matrix(
            (np.ones(len(labels)), (np.arange(len(labels)), labels)), shape=(len(labels), len(counts))
        )
        pull = (graph @ onehot).toarray()[:, big]  # weight from each user to each large community
        for _ in range(len(counts)):  # a small community linked only to other small ones joins in a later round
            todo = np.flatnonzero(small)
            for c in np.unique(labels[todo]):
                members = todo[labels[todo] == c]
                to = pull[members].sum(axis=0)
                labels[members] = big[int(to.argmax())] if to.max() > 0 else big[0]
            small = ~np.isin(labels, big)
            if not small.any():
                break
    return np.unique(labels, return_inverse=True)[1]


def communities(X: np.ndarray, resolution: float, seed: int, graph: sparse.csr_matrix | None = None) -> np.ndarray:
    """Community labels 0..m-1 of the rows of ``X`` at ``resolution`` (small communities absorbed); above
    ``FIT_CAP`` rows, on a sample whose labels the other rows take by a vote of their nearest neighbours."""
    if len(X) > FIT_CAP and graph is None:
        rows = np.sort(np.random.default_rng(seed).choice(len(X), FIT_CAP, replace=False))
        sample_labels = communities(X[rows], resolution, seed)
        vote = KNeighborsClassifier(n_neighbors=NEIGHBOURS, n_jobs=-1).fit(X[rows], sample_labels)
        return vote.predict(X)
    graph = neighbour_graph(X) if graph is None else graph
    return absorb_small(graph, leiden(graph, resolution, seed))


def subsamples(n: int, resolution: float, seed: int, bootstraps: int = BOOTSTRAPS) -> list[np.ndarray]:
    """The rows of each of the ``bootstraps`` stability fits at ``resolution``: ``SUBSAMPLE`` of ``n``, drawn from a
    generator seeded by ``seed`` and the resolution, so any process draws the same ones."""
    rng = np.random.default_rng([seed, round(resolution * 1000)])
    return [np.sort(rng.choice(n, int(SUBSAMPLE * n), replace=False)) for _ in range(bootstraps)]


def agreement(fits: list[np.ndarray]) -> float:
    """Mean pairwise ARI of partial labellings (-1: the row was not in that fit), on the rows both hold."""
    scores = []
    for i in range(len(fits)):
        for j in range(i + 1, len(fits)):
            both = (fits[i] >= 0) & (fits[j] >= 0)
            scores.append(adjusted_rand_score(fits[i][both], fits[j][both]))
    return float(np.mean(scores))


def _bootstrap_fit(X: np.ndarray, rows: np.ndarray, resolution: float, seed: int) -> np.ndarray:
    full = np.full(len(X), -1, np.int64)
    full[rows] = communities(X[rows], resolution, seed)
    return full


def _full_fit(graph: sparse.csr_matrix, resolution: float, seed: int) -> np.ndarray:
    return absorb_small(graph, leiden(graph, resolution, seed))


def workers(n: int) -> int:
    """Processes for the resolution table: one per core, none below ``PARALLEL_FROM`` users (starting them
    would cost more than it saves)."""
    return 1 if n < PARALLEL_FROM else min(usable_cores(), MAX_WORKERS)


def evaluate(
    X: np.ndarray,
    seed: int = 0,
    resolutions: tuple[float, ...] = RESOLUTIONS,
    bootstraps: int = BOOTSTRAPS,
    business: np.ndarray | None = None,
    jobs: int | None = None,
) -> list[Resolution]:
    """Every resolution on the rows of ``X``: communities, modularity (at resolution 1, so comparable across
    resolutions), stability, smallest share; with ``business`` columns, also ``selection.score``'s scores
    (silhouette, Calinski–Harabasz, Davies–Bouldin, separation), so the table reads like the k-means one. The
    Leiden fits run in ``jobs`` processes (default :func:`workers`); every fit's seed and rows are fixed
    first, so the table is the same at any count."""
    from joblib import Parallel, delayed

    from segments import selection

    graph = neighbour_graph(X)
    draws = {r: subsamples(len(X), r, seed, bootstraps) for r in resolutions}
    tasks = [delayed(_full_fit)(graph, r, seed) for r in resolutions] + [
        delayed(_bootstrap_fit)(X, rows, r, seed + 1 + b) for r in resolutions for b, rows in enumerate(draws[r])
    ]
    jobs = workers(len(X)) if jobs is None else jobs
    done = Parallel(n_jobs=jobs)(tasks)  # the same labels at any job count
    if jobs > 1:  # the idle workers would hold their memory through the rest of the segment step
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    full, boots = done[: len(resolutions)], done[len(resolutions) :]
    g = as_igraph(graph)
    out = []
    for i, (resolution, labels) in enumerate(zip(resolutions, full, strict=True)):
        counts = np.bincount(labels)
        out.append(
            Resolution(
                resolution,
                len(counts),
                float(g.modularity(labels.tolist(), weights="weight")),
                agreement(boots[i * bootstraps : (i + 1) * bootstraps]) if len(counts) > 1 else 1.0,
                float(counts.min() / len(labels)),
                {} if business is None else _scores(selection.score(labels, X, business, seed)),
            )
        )
    return out


def _scores(scores: dict[str, float]) -> dict[str, float]:
    return {key: value for key, value in scores.items() if key != "smallest_share"}


def choose_resolution(candidates: list[Resolution]) -> Resolution:
    """The finest partition that is as reproducible as any: among resolutions with at least two communities
    and stability ≥ min(``STABILITY_MIN``, best − ``STABILITY_SLACK``), the most communities (then the
    higher modularity, then the lower resolution)."""
    split = [c for c in candidates if c.communities > 1] or candidates
    level = min(STABILITY_MIN, max(c.stability for c in split) - STABILITY_SLACK)
    for c in candidates:
        c.eligible = c in split and c.stability >= level
        c.chosen = False
    winner = min((c for c in candidates if c.eligible), key=lambda c: (-c.communities, -c.modularity, c.resolution))
    winner.chosen = True
    return winner


@dataclass
class Segmentation:
    """What :func:`segment_customers` found: labels 1..k (1 the largest) for every row, the chosen
    resolution, every resolution's row for ``selection.csv``, the chosen partition's scores."""

    labels: np.ndarray
    chosen: Resolution
    table: list[dict[str, object]]
    scores: dict[str, float]
    long_history: int | None
    sample: int


def long_histories(n_events: np.ndarray) -> tuple[int | None, np.ndarray]:
    """The threshold study's long history (``threshold.study_population``) and the rows that reach it (every
    row when too few do)."""
    from segments.threshold import study_population

    length = study_population(np.asarray(n_events, np.float64))
    return length, (np.flatnonzero(n_events >= length) if length is not None else np.arange(len(n_events)))


def nearest_centre(view: np.ndarray, rows: np.ndarray, labels: np.ndarray, others: np.ndarray) -> np.ndarray:
    """For each row in ``others``, the label of ``rows`` (labelled ``labels``) whose centre, the mean of its
    rows in ``view``, is nearest: a smooth boundary the assignment classifier can learn, where a vote of
    the nearest neighbours is as ragged as the short histories are noisy."""
    classes = np.unique(labels)
    centres = np.stack([view[rows[labels == c]].mean(axis=0) for c in classes])
    out = np.empty(len(others), np.int64)
    for start in range(0, len(others), 50_000):  # bounded memory on a large shop
        part = view[others[start : start + 50_000]]
        out[start : start + 50_000] = classes[((part[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(1)]
    return out


def segment_customers(
    view: np.ndarray, n_events: np.ndarray, business: np.ndarray, seed: int, sample_size: int, progress=None
) -> Segmentation:
    """Communities among the customers with a long history, the others joining the nearest community.

    A habit shows in a long history and hides in a short one: the graph is built on the customers with
    at least the threshold study's long history (``threshold.study_population``: 30 events when 100
    customers have them; every row when too few have 8), at most ``sample_size`` of them for the
    resolution's choice (and never more than ``TABLE_SAMPLE``: on the REES46-sized month 10,000 chose what
    20,000 did in a quarter of the time); every other customer takes the community whose centre is nearest
    (:func:`nearest_centre`).
    """
    from segments import selection

    say = progress or (lambda _p, _d, _t: None)
    length, long = long_histories(n_events)
    rng = np.random.default_rng(seed)
    sample_size = min(sample_size, TABLE_SAMPLE)
    sample = long if len(long) <= sample_size else np.sort(rng.choice(long, sample_size, replace=False))
    say("model selection", 0, 1)
    candidates = evaluate(np.asarray(view[sample], np.float64), seed, business=business[sample])
    chosen = choose_resolution(candidates)
    say("final fit", 0, 1)
    raw = communities(np.asarray(view[long], np.float64), chosen.resolution, seed)
    labels = np.empty(len(view), np.int64)
    labels[long] = raw
    others = np.setdiff1d(np.arange(len(view)), long)
    if len(others):
        labels[others] = nearest_centre(np.asarray(view, np.float64), long, raw, others)
    labels, _ = selection.relabel_by_size(np.unique(labels, return_inverse=True)[1])
    scores = selection.score(labels, view, business, seed)
    scores.update(stability=chosen.stability, modularity=chosen.modularity, resolution=chosen.resolution)
    return Segmentation(labels + 1, chosen, [c.as_row() for c in candidates], scores, length, len(sample))
