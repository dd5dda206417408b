"""A real Neo4j for integration tests: ``NEO4J_URI`` when set, else the project's local server.

The local server started here lives in its own workspace under ``.test-home`` (own data,
own ports), so running the tests never touches the user's database. Under pytest-xdist each
worker gets its own server (Neo4j Community has one user database): worker ``gwN`` uses
``.test-home/gwN`` and the N-th ``bolt:http`` pair of ``SHOPGRAPH_TEST_PORTS`` (default
``7688:7475,7690:7477``). Nothing here skips: a server that cannot be reached fails the
session, with the end of its log.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.connection import QueryRunner, open_driver
from graph.schema import apply_schema, reset_database
from shopgraph.settings import Settings
from tests.support.analyst_world import PSEUDONYM_KEY, World, build_world, clear_world
from tests.support.jvm import quick_jvm

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


DEFAULT_PORTS = "7688:7475,7690:7477"
TEST_MEMORY = {"SHOPGRAPH_NEO4J_HEAP": "1g", "SHOPGRAPH_NEO4J_PAGECACHE": "512m"}
GIVEN_URI = os.environ.get("NEO4J_URI")  # read before any test runs: a CLI test may load a .env later


def _local_server_env() -> dict[str, str]:
    """Home and ports of this process's test server: one per xdist worker, else ``.test-home`` on the first pair."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    pairs = (os.environ.get("SHOPGRAPH_TEST_PORTS") or DEFAULT_PORTS).split(",")
    if index >= len(pairs):
        pytest.fail(f"worker {worker} needs a bolt:http pair of its own: SHOPGRAPH_TEST_PORTS has {len(pairs)}")
    bolt, http = pairs[index].split(":")
    home = Path(os.environ.get("SHOPGRAPH_TEST_HOME") or REPO / ".test-home")
    return {
        "SHOPGRAPH_HOME": str(home / worker if worker else home),
        "NEO4J_URI": f"bolt://127.0.0.1:{bolt}",
        "SHOPGRAPH_NEO4J_HTTP_PORT": http,
    }


def _provision_once(server) -> None:
    """Fetch the Neo4j jars into the shared cache under a lock: xdist workers start their servers together."""
    lock_path = Path(os.environ.get("SHOPGRAPH_TEST_HOME") or REPO / ".test-home") / ".provision.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server.provision()


@pytest.fixture(scope="session")
def neo4j_settings() -> Iterator[Settings]:
    started = None
    if GIVEN_URI:
        if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
            pytest.fail("NEO4J_URI names one database for several xdist workers: unset it, or run with -n 0")
    else:
        from graph.server import LocalServer

        os.environ.update(_local_server_env())
        for name, size in TEST_MEMORY.items():  # small and fixed, whatever the machine: two may run at once
            os.environ.setdefault(name, size)
        quick_jvm()
        server = LocalServer(Settings.from_env())
        try:
            _provision_once(server)
            if server.start():
                started = server
        except Exception as exc:
            pytest.fail(f"could not start the test Neo4j: {exc}\n{server.log_tail(80)}")
    settings = Settings.from_env()
    yield settings
    if started is not None:
        started.stop()


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_settings: Settings):
    driver = open_driver(neo4j_settings)
    yield driver
    driver.close()


@pytest.fixture
def db(neo4j_driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> QueryRunner:
    """A QueryRunner on an empty database with the schema applied; the env points at that server."""
    for key in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"):
        monkeypatch.setenv(
            key, getattr(neo4j_settings, {"NEO4J_URI": "uri", "NEO4J_USER": "user", "NEO4J_PASSWORD": "password"}[key])
        )
    runner = QueryRunner(neo4j_driver)
    reset_database(runner)
    apply_schema(runner)
    return runner


@pytest.fixture(scope="module")
def segmented(neo4j_driver, neo4j_settings: Settings, tmp_path_factory) -> Iterator[World]:
    """The analyst tests' shop (tests/support/analyst_world.py), built once per module in the test Neo4j."""
    home = tmp_path_factory.mktemp("analyst") / "home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHOPGRAPH_HOME", str(home))
        mp.setenv("SHOPGRAPH_PSEUDONYM_KEY", PSEUDONYM_KEY)
        mp.setenv("NEO4J_URI", neo4j_settings.uri)
        mp.setenv("NEO4J_USER", neo4j_settings.user)
        mp.setenv("NEO4J_PASSWORD", neo4j_settings.password)
        db = QueryRunner(neo4j_driver)
        yield build_world(db, home)
        clear_world(db)
