"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from shopgraph.workspace import Workspace
from tests.support.jvm import quick_jvm
from tests.support.planted_shop import PlantedShop, build_planted_shop
from tests.support.schedule import longest_first
from tests.support.spark_case import KEY

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHOPGRAPH_SHARED_DATA") or REPO.parent / "shared" / "data")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # xdist workers run with COLUMNS=80, which rich's module-level consoles would keep as a fixed width
    # (the CLI tests give CliRunner a wider COLUMNS); a serial run has none
    os.environ.pop("COLUMNS", None)
CHAIN_FIXTURES = {"planted_shop", "report_workspace"}
"""A test that uses one of these runs the product's chain on a synthetic shop: it is marked ``chain``."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if CHAIN_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.chain)
    longest_first(items)


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_numeric_library() -> Iterator[None]:
    """BLAS and OpenMP single-threaded, as ``segments.segmentation.segment`` runs them: the tests that fit
    k-means on small samples directly spent most of their time in OpenMP threads waiting for a core while
    two xdist workers, their Neo4j servers and Spark share CI's two (figures in the README, "Set up and run")."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A fresh, empty workspace (``SHOPGRAPH_HOME``) for one test, with a fixed pseudonym key."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SHOPGRAPH_HOME", str(home))
    monkeypatch.setenv("SHOPGRAPH_PSEUDONYM_KEY", "test-key-not-secret")
    return Workspace(home)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real REES46 sample rows in ``../shared/data`` (never copied into the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"{SHARED_DATA} is missing: the real sample rows must sit beside the checkout "
            "(or set SHOPGRAPH_SHARED_DATA to their folder)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def planted_shop(tmp_path_factory: pytest.TempPathFactory) -> PlantedShop:
    """The session's synthetic shop with its features (tests/support/planted_shop.py); copy it to change it."""
    return build_planted_shop(tmp_path_factory.mktemp("planted-shop"))


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One ``local[2]`` session for every Spark test (starting a JVM costs seconds), in tests/spark or not."""
    try:
        import pyspark  # noqa: F401 (imported only to learn whether the extra is installed)
    except ImportError:
        if os.environ.get("SHOPGRAPH_REQUIRE_SPARK") == "1":
            pytest.fail("pyspark is missing: install the spark extra (pip install -e '.[dev,spark]')")
        pytest.skip("pyspark is not installed (the spark extra)")
    from events.spark_session import get_spark

    quick_jvm()  # the driver's JVM, and a local cluster's started by a test later
    session = get_spark("local[2]", app_name="shopgraph-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def engines_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder for the session's workspaces, with the test key in the environment."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOPGRAPH_PSEUDONYM_KEY", KEY)
        yield tmp_path_factory.mktemp("engines")
