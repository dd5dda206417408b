"""Run the Spark ingest and features of ``FILES`` into the workspace ``HOME`` on ``MASTER``, as a separate driver.

``python -m tests.support.spark_cluster_driver MASTER HOME FILE...``: a process of its own, because one
process holds one SparkContext and the test session's is ``local[2]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from events.spark_ingest import ingest_files_spark
from events.spark_session import LOCAL_CONF, get_spark
from features.calendar import load_calendar
from features.spark_features import build_user_features_spark
from shopgraph.workspace import Workspace


def main(master: str, home: str, *files: str) -> None:
    workspace = Workspace(Path(home))
    # a few shuffle partitions, as on local[N]: the test's month is small, and Spark's 200 on a
    # cluster are 200 tasks a shuffle, each scheduled to an executor and back
    spark = get_spark(master, app_name="shopgraph-cluster-test", conf=LOCAL_CONF)
    try:
        ingest_files_spark(workspace, [Path(f) for f in files], master=master)
        build_user_features_spark(workspace, load_calendar(), master=master)
        print(spark.sparkContext.master, spark.sparkContext.defaultParallelism)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:])
