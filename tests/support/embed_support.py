"""Helpers for the embedding tests: a workspace of two taste communities, ingested and aggregated (no Neo4j)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np

from events.ingest import ingest_files
from events.interactions import write_interactions
from events.pseudonym import load_key, pseudonymise_ids
from graph.load import ingested_files
from shopgraph.workspace import Workspace
from tests.support.ingest_support import write_csv

COMMUNITIES = {
    "apple": (100_000, 2053013555631882655, "electronics.smartphone"),
    "xiaomi": (200_000, 2053013553559896355, "electronics.audio.headphone"),
}
"""brand → (first product id, category id, category code): 20 products each."""


def taste_rows(
    raw_users: dict[str, list[int]], month: str = "2019-10", seed: int = 0, views: int = 6, carts: int = 2
) -> list[str]:
    """REES46 rows: every user of a brand views ``views`` of its 20 products, carts ``carts``, buys one."""
    rng = np.random.default_rng(seed)
    rows = []
    for brand, users in raw_users.items():
        first, category, code = COMMUNITIES[brand]
        for user in users:
            products = first + rng.choice(20, size=views, replace=False)
            session = f"00000000-0000-4000-8000-{user:012d}"
            for k, product in enumerate(products):
                t = f"{month}-{1 + k % 27:02d} 10:{k:02d}:00 UTC"
                rows.append(f"{t},view,{product},{category},{code},{brand},{100 + product % 7}.00,{user},{session}")
                if k < carts:
                    rows.append(
                        f"{t[:-6]}30 UTC,cart,{product},{category},{code},{brand},"
                        f"{100 + product % 7}.00,{user},{session}"
                    )
                if k == 0:
                    rows.append(
                        f"{t[:-6]}50 UTC,purchase,{product},{category},{code},{brand},"
                        f"{100 + product % 7}.00,{user},{session}"
                    )
    return rows


def add_month(workspace: Workspace, tmp_dir: Path, rows: list[str], name: str) -> None:
    """Ingest ``rows`` as one month file and write the interaction aggregates of every ingested file."""
    path = write_csv(tmp_dir / name, rows)
    ingest_files(workspace, [path])
    con = duckdb.connect()
    for source in ingested_files(workspace):
        write_interactions(workspace, source, con)
    con.close()


def stored(workspace: Workspace, raw_ids: list[int]) -> np.ndarray:
    """The pseudonyms the store holds for ``raw_ids``."""
    return np.asarray(pseudonymise_ids(raw_ids, load_key(workspace, create=False)), np.int64)


SMALL = {"dimensions": 16, "walk_length": 12, "walks_per_node": 8, "window": 4, "epochs": 3, "sample": 0.0}
"""node2vec parameters small enough for unit tests (no down-sampling: in a 100-node graph every node is "frequent")."""
