"""The shared ``local[2]`` SparkSession of the Spark tests and the stores both engines build from the same files.

The Spark tests need the spark extra (``pip install -e '.[dev,spark]'``) and Java 17; without
pyspark they are skipped, unless ``SHOPGRAPH_REQUIRE_SPARK=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.spark_case import KEY

#: pyspark 3.5's own warnings: py4j leaves the sockets of collected results to the garbage
#: collector, and its pandas version check uses distutils
PYSPARK_NOISE = (
    "ignore::ResourceWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
    "ignore:distutils Version classes are deprecated:DeprecationWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/spark/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.spark)
            for noise in PYSPARK_NOISE:
                item.add_marker(pytest.mark.filterwarnings(noise))


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One ``local[2]`` session for every Spark test (starting a JVM costs seconds)."""
    try:
        import pyspark  # noqa: F401 (imported only to learn whether the extra is installed)
    except ImportError:
        if os.environ.get("SHOPGRAPH_REQUIRE_SPARK") == "1":
            pytest.fail("pyspark is missing: install the spark extra (pip install -e '.[dev,spark]')")
        pytest.skip("pyspark is not installed (the spark extra)")
    from events.spark_session import get_spark

    session = get_spark("local[2]", app_name="shopgraph-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def engines_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder for the session's workspaces, with the test key in the environment."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOPGRAPH_PSEUDONYM_KEY", KEY)
        yield tmp_path_factory.mktemp("engines")
