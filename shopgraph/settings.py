"""Connection and local-server settings, read the Neo4j way from the environment (and ``.env``)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace

DEFAULT_URI = "bolt://127.0.0.1:7687"
DEFAULT_USER = "neo4j"
DEFAULT_HTTP_PORT = 7474
NEO4J_VERSION = "5.26.30"  # newest 5.26 LTS patch that resolved from Maven Central (2026-11)
BROWSER_VERSION = "5.24.0"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ShopgraphError(f"{name}={raw!r} is not an integer") from None


@dataclass(frozen=True)
class Settings:
    """Everything needed to reach Neo4j and, when it is the project's own, to run it.

    ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` as in Neo4j's own tools. When
    ``NEO4J_PASSWORD`` is unset the local server's generated password is used (kept in
    ``$SHOPGRAPH_HOME/neo4j/password``, owner-only).
    """

    uri: str
    user: str
    password: str
    password_source: str
    workspace: Workspace
    http_port: int
    heap: str
    pagecache: str
    neo4j_version: str
    cache_dir: Path

    @classmethod
    def from_env(cls) -> Settings:
        workspace = Workspace.from_env()
        password = os.environ.get("NEO4J_PASSWORD")
        source = "NEO4J_PASSWORD"
        if not password:
            password, source = local_password(workspace), str(password_file(workspace))
        cache_raw = os.environ.get("SHOPGRAPH_CACHE")
        import platformdirs

        cache_dir = (
            Path(cache_raw).expanduser()
            if cache_raw
            else Path(platformdirs.user_cache_dir("shopgraph", appauthor=False))
        )
        return cls(
            uri=os.environ.get("NEO4J_URI") or DEFAULT_URI,
            user=os.environ.get("NEO4J_USER") or DEFAULT_USER,
            password=password,
            password_source=source,
            workspace=workspace,
            http_port=_int_env("SHOPGRAPH_NEO4J_HTTP_PORT", DEFAULT_HTTP_PORT),
            heap=os.environ.get("SHOPGRAPH_NEO4J_HEAP") or "auto",
            pagecache=os.environ.get("SHOPGRAPH_NEO4J_PAGECACHE") or "auto",
            neo4j_version=os.environ.get("SHOPGRAPH_NEO4J_VERSION") or NEO4J_VERSION,
            cache_dir=cache_dir,
        )

    @property
    def bolt_host(self) -> str:
        return urlparse(self.uri).hostname or "127.0.0.1"

    @property
    def bolt_port(self) -> int:
        return urlparse(self.uri).port or 7687

    @property
    def is_local(self) -> bool:
        """True when the URI points at this machine, so `shopgraph neo4j start` may serve it."""
        return self.bolt_host in {"127.0.0.1", "localhost", "::1"}

    def as_table(self) -> list[tuple[str, str]]:
        """The effective settings for display, password masked."""
        masked = (self.password[:2] + "*" * 8) if self.password else "(empty)"
        return [
            ("NEO4J_URI", self.uri),
            ("NEO4J_USER", self.user),
            ("NEO4J_PASSWORD", f"{masked}  (from {self.password_source})"),
            ("SHOPGRAPH_HOME", str(self.workspace.home)),
            ("SHOPGRAPH_CACHE", str(self.cache_dir)),
            ("SHOPGRAPH_NEO4J_HTTP_PORT", str(self.http_port)),
            ("SHOPGRAPH_NEO4J_HEAP", self.heap),
            ("SHOPGRAPH_NEO4J_PAGECACHE", self.pagecache),
            ("SHOPGRAPH_NEO4J_VERSION", self.neo4j_version),
        ]


def password_file(workspace: Workspace) -> Path:
    return workspace.neo4j_dir / "password"


def local_password(workspace: Workspace) -> str:
    """The local server's password, generated (random, owner-only file) on first use."""
    path = password_file(workspace)
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = "sg" + secrets.token_urlsafe(18)  # never a leading '-', which neo4j-admin would read as an option
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value
