"""Where shopgraph keeps its data on disk: the workspace (``SHOPGRAPH_HOME``) and its layout."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


def default_home() -> Path:
    """The workspace used when ``SHOPGRAPH_HOME`` is not set: the user's data directory."""
    return Path(platformdirs.user_data_dir("shopgraph", appauthor=False))


@dataclass(frozen=True)
class Workspace:
    """The directory tree holding the event store, feature tables, models and the local Neo4j.

    Layout (every path below is relative to ``home``)::

        store/events/month=YYYY-MM/*.parquet   the event store, one partition per month
        store/manifest.json                    what was ingested (file hash, counts)
        store/rejects/                         rejected rows with line number and reason
        secrets/                               pseudonymisation key (owner-only)
        graph/interactions/                    interaction aggregates (events.interactions; read by embed, load)
        features/  embeddings/  segments/  reports/   outputs of later steps
        neo4j/                                 the local Neo4j instance (conf, data, logs)
    """

    home: Path

    @classmethod
    def from_env(cls) -> Workspace:
        """The workspace named by ``SHOPGRAPH_HOME``, else :func:`default_home`."""
        raw = os.environ.get("SHOPGRAPH_HOME")
        return cls(Path(raw).expanduser().resolve() if raw else default_home())

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @property
    def events_dir(self) -> Path:
        return self.store_dir / "events"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def interactions_dir(self) -> Path:
        """Interaction aggregates per (user, product, event type), one Parquet file per source file."""
        return self.home / "graph" / "interactions"

    @property
    def features_dir(self) -> Path:
        return self.home / "features"

    @property
    def embeddings_dir(self) -> Path:
        return self.home / "embeddings"

    @property
    def segments_dir(self) -> Path:
        return self.home / "segments"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def neo4j_dir(self) -> Path:
        return self.home / "neo4j"

    def sizes(self) -> dict[str, int]:
        """Bytes on disk of the event store, of what later steps wrote, and of the local Neo4j's data (when here)."""
        from shopgraph.files import tree_size

        outputs = (self.home / "graph", self.features_dir, self.embeddings_dir, self.segments_dir, self.reports_dir)
        sizes = {
            "event store": tree_size(self.store_dir),
            "features, vectors, runs, reports": sum(tree_size(path) for path in outputs),
        }
        if (self.neo4j_dir / "data").is_dir():
            sizes["Neo4j data"] = tree_size(self.neo4j_dir / "data")
        return sizes
