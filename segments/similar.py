"""Look-alike customers: the segmentation's similarity graph saved in the run folder and written to Neo4j.

When a run's segments are communities of the customers' nearest-neighbour graph (``segments.communities``),
the run folder keeps each of those customers' ``NEIGHBOURS`` nearest ones in ``similar.parquet``
(``user_id, other_user_id, score``; score = 1 / (1 + distance) in the clustering view, 1 = identical
habits), and :func:`write_similar` puts them in the graph as ``(:User)-[:SIMILAR {score}]->(:User)``
for look-alike queries. Up to ``EXACT_UP_TO`` customers the search is exact; above, where an exact search
grows with the square of the customers, it is NN-descent's approximate graph (pynndescent, as UMAP builds
its own). Its speed and recall: docs/BENCHMARKS.md, "The look-alike graph at size" (bench/similar.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sklearn.neighbors import NearestNeighbors

from segments.communities import NEIGHBOURS
from shopgraph.files import file_sha256
from shopgraph.progress import Progress

if TYPE_CHECKING:
    from graph.node_ids import NodeIds

SIMILAR_FILE = "similar.parquet"
BATCH = 10_000
READ_ROWS = 1 << 18  # pairs read from similar.parquet at a time by write_similar
LINKS = 5  # look-alike links per customer in Neo4j; similar.parquet keeps NEIGHBOURS (BENCHMARKS, same section)
EXACT_UP_TO = 100_000  # customers; below, the exact search is also the faster one (BENCHMARKS, same section)


def similar_pairs(
    user_ids: np.ndarray,
    view: np.ndarray,
    neighbours: int = NEIGHBOURS,
    seed: int = 0,
    exact_up_to: int = EXACT_UP_TO,
    others: Iterable[tuple[np.ndarray, np.ndarray]] = (),
) -> pd.DataFrame:
    """Each customer's ``neighbours`` nearest others in ``view`` (Euclidean), most similar first: exact up to
    ``exact_up_to`` customers, approximate (NN-descent) above. ``others``: (ids, view rows) of customers outside
    ``view`` (those a sampled run did not cluster), each given its ``neighbours`` nearest among ``view``'s."""
    k = min(neighbours, len(view) - 1)
    if k < 1:
        return pd.DataFrame({"user_id": [], "other_user_id": [], "score": []}).astype(
            {"user_id": "int64", "other_user_id": "int64", "score": "float64"}
        )
    user_ids = np.asarray(user_ids, np.int64)
    index = _Index(np.asarray(view), k + 1, seed, exact=len(view) <= exact_up_to)
    distance, idx = index.graph()
    rows = np.repeat(np.arange(len(view)), k + 1)
    keep = idx.ravel() != rows  # a customer is not their own look-alike
    parts = [_pairs(user_ids[rows[keep]], user_ids[idx.ravel()[keep]], distance.ravel()[keep], k)]
    for ids, rows_view in others:
        if len(ids):
            distance, idx = index.query(np.asarray(rows_view), k)
            found = idx >= 0
            ids = np.repeat(np.asarray(ids, np.int64), k).reshape(-1, k)
            parts.append(_pairs(ids[found], user_ids[idx[found]], distance[found], k))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _pairs(user_ids: np.ndarray, other_ids: np.ndarray, distance: np.ndarray, k: int) -> pd.DataFrame:
    """The ``k`` most similar others of each customer, most similar first (ties: the lower id)."""
    pairs = pd.DataFrame({"user_id": user_ids, "other_user_id": other_ids, "score": 1.0 / (1.0 + distance)})
    pairs = pairs.sort_values(["user_id", "score", "other_user_id"], ascending=[True, False, True], kind="stable")
    return pairs.groupby("user_id", sort=False).head(k).reset_index(drop=True)


class _Index:
    """The rows of ``view`` searchable by their ``k`` nearest: exact (scikit-learn) or NN-descent (pynndescent)."""

    def __init__(self, view: np.ndarray, k: int, seed: int, exact: bool) -> None:
        self.view, self.k, self.exact = view, k, exact
        if exact:
            self.search = NearestNeighbors(n_neighbors=k).fit(view)
        else:
            from pynndescent import NNDescent

            self.search = NNDescent(np.asarray(view, np.float32), n_neighbors=k, random_state=seed, low_memory=True)

    def graph(self) -> tuple[np.ndarray, np.ndarray]:
        """Each indexed row's ``k`` nearest indexed rows (itself among them, as a rule)."""
        if self.exact:
            return self.search.kneighbors(self.view)
        idx, distance = self.search.neighbor_graph
        return _padded(idx, distance, np.arange(len(self.view))[:, None])

    def query(self, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest indexed rows of each of ``rows`` (-1: none found)."""
        if self.exact:
            return self.search.kneighbors(rows, n_neighbors=k)
        idx, distance = self.search.query(np.asarray(rows, np.float32), k=k)
        return _padded(idx, distance, -1)


def _padded(idx: np.ndarray, distance: np.ndarray, missing) -> tuple[np.ndarray, np.ndarray]:
    """NN-descent's result with the -1 it pads a row left short of neighbours with replaced by ``missing``
    (a row's own index, never kept, or -1) at an infinite distance."""
    found = idx >= 0
    idx = np.where(found, idx, missing)
    return np.where(found, distance, np.inf).astype(np.float64), idx.astype(np.int64)


def write_similar(
    db,
    run_dir: Path,
    progress: Progress | None = None,
    batch_size: int = BATCH,
    links: int = LINKS,
    nodes: NodeIds | None = None,
) -> int:
    """Replace every ``SIMILAR`` relationship by each customer's ``links`` most similar in the run's
    ``similar.parquet`` (none: only removes them); pairs whose customers are not in the graph are skipped.
    Links already written from the same file are kept (a month that assigned, a run resumed). ``nodes``: the
    customers' node ids when the caller has read them (graph/node_ids.py), otherwise read here when there are
    links to write. Returns how many links the graph holds."""
    say = progress or (lambda _p, _d, _t: None)
    path = Path(run_dir) / SIMILAR_FILE
    source = f"{file_sha256(path)}/{links}" if path.is_file() else None
    held = db.run("segments/similar_source")
    if source is not None and held and held[0]["source"] == source:
        return int(held[0]["links"])
    db.run("segments/drop_similar")
    if source is None:
        return 0
    total = pq.ParquetFile(path).metadata.num_rows
    written = 0
    say("look-alike links", 0, total)
    nodes = nodes if nodes is not None else db.user_nodes()  # each pair's two customers found by node id
    for pairs, read in _first_links(path, links):
        for lo in range(0, len(pairs), batch_size):
            part = pairs.iloc[lo : lo + batch_size]
            users, others = part["user_id"].to_numpy(np.int64), part["other_user_id"].to_numpy(np.int64)
            written += int(
                db.run(
                    "segments/create_similar",
                    user_ids=users.tolist(),
                    node_ids=nodes.ids(users),
                    other_user_ids=others.tolist(),
                    other_node_ids=nodes.ids(others),
                    scores=part["score"].astype("float64").tolist(),
                )[0]["linked"]
            )
        say("look-alike links", read, total)  # in pairs of the file read
    db.run("segments/mark_similar", source=source, links=written)
    return written


def _first_links(path: Path, links: int, rows: int = READ_ROWS) -> Iterator[tuple[pd.DataFrame, int]]:
    """Each customer's first ``links`` pairs of ``similar.parquet``, read ``rows`` at a time (the whole file is 22 M
    pairs at month 3): (those pairs, the file's rows read so far). The file holds a customer's pairs together, most
    similar first (:func:`similar_pairs`), so the count of a customer cut by a read goes on into the next."""
    carried_user, carried, read = None, 0, 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows, columns=["user_id", "other_user_id", "score"]):
        pairs = batch.to_pandas()
        read += len(pairs)
        users = pairs["user_id"].to_numpy()
        rank = pairs.groupby("user_id", sort=False).cumcount().to_numpy()
        if carried_user is not None:
            rank = rank + np.where(users == carried_user, carried, 0)
        if len(pairs):
            carried_user, carried = users[-1], int(rank[-1]) + 1
        yield pairs[rank < links], read
