"""The Spark tests' marker and warning filters (their ``spark`` session fixture lives in tests/conftest.py).

The Spark tests need the spark extra (``pip install -e '.[dev,spark]'``) and Java 17; without
pyspark they are skipped, unless ``SHOPGRAPH_REQUIRE_SPARK=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import os

import pytest

from tests.support.spark_case import PYSPARK_NOISE


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/spark/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.spark)
            for noise in PYSPARK_NOISE:
                item.add_marker(pytest.mark.filterwarnings(noise))
