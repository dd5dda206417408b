"""The SparkSession of ``--engine spark``: pyspark from the optional extra, Java 17, a master URL.

Nothing here imports pyspark at module level: without ``shopgraph[spark]`` the rest of the
project never touches it, and asking for the Spark engine is one clear :class:`ShopgraphError`.
pyspark 3.5 runs on Java 17 but not on newer JDKs, so the JVM is chosen explicitly:
``JAVA_HOME`` when it points at Java 17, else a Java 17 found under ``/usr/lib/jvm``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from shopgraph.errors import ShopgraphError

DEFAULT_MASTER = "local[2]"
MASTER_ENV = "SHOPGRAPH_SPARK_MASTER"
JVM_ROOT = Path("/usr/lib/jvm")
#: on one machine: few shuffle partitions (Spark's 200 are mostly task overhead here), no web UI
LOCAL_CONF = {"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false"}
#: the driver's log4j2 settings: errors only on the console (Spark's WARN start-up lines are noise to the user)
LOG4J2 = resources.files("events") / "resources" / "spark-log4j2.properties"
#: the settings every shopgraph Spark job relies on for DuckDB's results (UTC times, NULL on bad casts)
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.extraJavaOptions": f'-Duser.timezone=UTC -Dlog4j2.configurationFile="{LOG4J2}"',
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
}


def require_pyspark() -> Any:
    """The ``pyspark`` module, or a one-line error saying how to install the extra."""
    try:
        import pyspark
    except ImportError:
        raise ShopgraphError(
            "the Spark engine needs the spark extra: pip install 'shopgraph[spark]' (pyspark 3.5, Java 17)"
        ) from None
    return pyspark


def java_major(java_home: Path) -> int | None:
    """The major version of the JDK at ``java_home`` (from its ``release`` file or ``java -version``)."""
    release = java_home / "release"
    if release.is_file():
        found = re.search(r'JAVA_VERSION="(\d+)(?:\.(\d+))?', release.read_text(encoding="utf-8", errors="replace"))
        if found:
            major = int(found.group(1))
            return int(found.group(2)) if major == 1 and found.group(2) else major
    java = java_home / "bin" / "java"
    if not java.is_file():
        return None
    try:
        text = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2)) if major == 1 and found.group(2) else major


def find_java17() -> Path:
    """A Java 17 home: ``JAVA_HOME`` if it is one, else the first under ``/usr/lib/jvm``.

    Raises
    ------
    ShopgraphError
        When no Java 17 is found (pyspark 3.5 fails on newer JDKs with ``getSubject is not supported``).
    """
    current = os.environ.get("JAVA_HOME")
    if current and java_major(Path(current)) == 17:
        return Path(current)
    candidates = sorted(JVM_ROOT.glob("*17*")) if JVM_ROOT.is_dir() else []
    for home in candidates:
        if not home.is_symlink() and java_major(home) == 17:
            return home
    for home in candidates:
        if java_major(home) == 17:
            return home
    where = f"JAVA_HOME={current} is Java {java_major(Path(current))}" if current else "JAVA_HOME is not set"
    raise ShopgraphError(f"the Spark engine needs Java 17 (pyspark 3.5 fails on newer JDKs): {where}; install JDK 17")


def spark_path(path: os.PathLike[str] | str) -> str:
    """``path`` for Spark's readers, which take a path as a Hadoop glob: ``[]{}*?\\`` escaped to mean themselves."""
    return re.sub(r"([\[\]{}*?\\])", r"\\\1", str(path))


def spark_master(master: str | None = None) -> str:
    """The master URL: ``master``, else ``SHOPGRAPH_SPARK_MASTER``, else ``local[2]``."""
    return master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER


def get_spark(master: str | None = None, app_name: str = "shopgraph", conf: dict[str, str] | None = None) -> Any:
    """A SparkSession on ``master`` (see :func:`spark_master`) with :data:`SESSION_CONF`.

    An active session is reused (a test's shared session, or the job's own under
    ``spark-submit``); then ``master`` must be None or the session's own master. Under
    ``spark-submit`` the master, JVM and Python come from its options unless ``master`` is given.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        if master and active.sparkContext.master != master:
            raise ShopgraphError(
                f"a Spark session on {active.sparkContext.master} is already running: stop it to use {master}"
            )
        for key, value in SESSION_CONF.items():
            if not key.startswith(("spark.driver.", "spark.executor.", "spark.ui.")):
                active.conf.set(key, value)
        return active
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # under spark-submit: its JVM, master and settings
    if not submitted:
        os.environ["JAVA_HOME"] = str(find_java17())
        # the Python of this process for the executors' Python workers (pandas, pyarrow), unless set
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    url = master or (None if submitted else spark_master())
    builder = SparkSession.builder.appName(app_name)
    if url:
        builder = builder.master(url)
    # Spark's 200 shuffle partitions suit a cluster; on one machine they are mostly task overhead
    local = LOCAL_CONF if url and url.startswith("local") else {}
    for key, value in {**SESSION_CONF, **local, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start or the master is unreachable
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ShopgraphError(f"cannot start Spark on {url or 'the spark-submit master'}: {first}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session
