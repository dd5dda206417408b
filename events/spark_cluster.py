"""A Spark standalone cluster on this machine (one master, N workers), for the tests and the benchmark.

Started as the tests start Neo4j: child processes of this one (``spark-class`` of the pip
package runs the master and each worker), logs under ``work_dir``, stopped by their ids on
exit. A job reaches it through the URL it yields, ``spark://127.0.0.1:<port>``, exactly as it
would reach a cluster a data engineer runs (see docs/ARCHITECTURE.md, "Spark").
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from events.spark_session import find_java17, require_pyspark
from shopgraph.errors import ShopgraphError


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spark_class() -> tuple[Path, dict[str, str]]:
    """The ``spark-class`` script of the installed pyspark and the environment to run it in."""
    home = Path(require_pyspark().__file__).parent
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "JAVA_HOME": str(find_java17()),
        "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
        "SPARK_NO_DAEMONIZE": "1",
    }
    return home / "bin" / "spark-class", env


def _alive_workers(ui_port: int) -> int:
    """The workers the master counts as alive (its JSON status page); 0 while it starts."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as response:
            return int(json.load(response).get("aliveworkers", 0))
    except (OSError, ValueError):
        return 0


def _commands(port: int, ui_port: int, work_dir: Path, workers: int, cores: int, memory: str) -> list[list[str]]:
    """The ``spark-class`` arguments of the master, then of each worker."""
    url = f"spark://127.0.0.1:{port}"
    master = ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port)]
    commands = [[*master, "--webui-port", str(ui_port)]]
    for n in range(workers):
        worker = ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", str(cores)]
        worker += ["--memory", memory, "--webui-port", str(free_port()), "--work-dir", str(work_dir / f"worker-{n}")]
        commands.append([*worker, url])
    return commands


@contextmanager
def local_cluster(
    work_dir: Path, workers: int = 2, cores: int = 1, memory: str = "1g", timeout: float = 180.0
) -> Iterator[str]:
    """Start a master and ``workers`` workers (``cores`` and ``memory`` each); yield the master URL; stop them.

    Raises
    ------
    ShopgraphError
        When the workers are not registered with the master within ``timeout`` seconds
        (the logs in ``work_dir`` say why).
    """
    script, env = _spark_class()
    work_dir.mkdir(parents=True, exist_ok=True)
    port, ui_port = free_port(), free_port()
    url = f"spark://127.0.0.1:{port}"
    commands = _commands(port, ui_port, work_dir, workers, cores, memory)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for n, command in enumerate(commands):
            with open(work_dir / ("master.log" if n == 0 else f"worker-{n - 1}.log"), "wb") as log:
                processes.append(
                    subprocess.Popen([str(script), *command], env=env, stdout=log, stderr=subprocess.STDOUT)
                )
        deadline = time.monotonic() + timeout
        while _alive_workers(ui_port) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise ShopgraphError(f"the local Spark cluster did not start: see the logs in {work_dir}")
            time.sleep(1)
        yield url
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            if process.poll() is None:
                process.kill()
                process.wait()
