"""The project's own local Neo4j Community server: provisioned from Maven Central jars, run in the background.

The *distribution* (the jars of ``org.neo4j:neo4j`` and Neo4j Browser) is resolved once per
version into the cache directory (``$SHOPGRAPH_CACHE/neo4j-<version>/lib``). The *instance*
(configuration, data, logs, pid file) lives in the workspace (``$SHOPGRAPH_HOME/neo4j``),
so a test run with its own workspace never touches the user's database.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from graph.memory import MemoryPlan, machine_memory, plan_memory, store_size
from shopgraph.errors import ShopgraphError
from shopgraph.settings import BROWSER_VERSION, Settings

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
CHECKPOINT_VOLUME = "4g"
"""Transaction logs written between two checkpoints. A REES46 month's load writes ≈ 2 GB of them a minute, and
they are pruned only at a checkpoint: Neo4j's 15-minute default let month 3 of bench/scale.py pile up 30 GB and
fill the disk (docs/BENCHMARKS.md, "Scale"). pipeline/forecast.py counts this much beside the store."""
JVM_OPTIONS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
]


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    version: str
    bolt: str
    http: str
    home: Path
    log: Path

    def as_table(self) -> list[tuple[str, str]]:
        return [
            ("state", f"running (pid {self.pid})" if self.running else "not running"),
            ("version", f"Neo4j Community {self.version}"),
            ("bolt", self.bolt),
            ("http", self.http),
            ("browser", f"{self.http}/browser/"),
            ("data directory", str(self.home / "data")),
            ("log", str(self.log)),
        ]


class LocalServer:
    """Start, stop and inspect the local Neo4j described by ``settings``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.workspace.neo4j_dir
        self.dist = settings.cache_dir / f"neo4j-{settings.neo4j_version}"

    # -- paths ---------------------------------------------------------------------------
    @property
    def lib_dir(self) -> Path:
        return self.dist / "lib"

    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "shopgraph-neo4j.pid"

    @property
    def console_log(self) -> Path:
        return self.home / "logs" / "console.log"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    # -- status --------------------------------------------------------------------------
    def pid(self) -> int | None:
        """The pid of our server if it is alive, else None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            cmdline = ""
        if ENTRY_POINT in cmdline and str(self.home) in cmdline:
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def status(self) -> ServerStatus:
        pid = self.pid()
        return ServerStatus(
            running=pid is not None,
            pid=pid,
            version=self.settings.neo4j_version,
            bolt=f"bolt://{self.settings.bolt_host}:{self.settings.bolt_port}",
            http=self.http_url,
            home=self.home,
            log=self.console_log,
        )

    # -- provisioning ----------------------------------------------------------------------
    def java(self) -> str:
        """The java executable (``JAVA_HOME`` first, else ``PATH``), checked to be 17 or newer."""
        java_home = os.environ.get("JAVA_HOME")
        if java_home:
            java = Path(java_home) / "bin" / "java"
            if not java.is_file():
                raise ShopgraphError(
                    f"JAVA_HOME={java_home} has no bin/java: point JAVA_HOME at a Java 17 JDK or unset it"
                )
            exe = str(java)
        else:
            found = shutil.which("java")
            if not found:
                raise ShopgraphError("java not found: install a Java 17 JDK (or set JAVA_HOME) to run the local Neo4j")
            exe = found
        try:
            out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=60)
        except OSError as exc:
            raise ShopgraphError(f"cannot run {exe}: {exc.strerror}; check JAVA_HOME / PATH") from None
        match = re.search(r'version "(\d+)', out.stderr + out.stdout)
        major = int(match.group(1)) if match else 0
        if major < 17:
            raise ShopgraphError(f"{exe} is Java {major or '?'}; Neo4j 5.26 needs Java 17 or newer")
        return exe

    def provision(self, say: Callable[[str], None] = lambda _: None) -> None:
        """Resolve the runtime jars into the cache once (``mvn dependency:copy-dependencies``)."""
        if (self.dist / ".complete").exists():
            return
        mvn = shutil.which("mvn")
        if not mvn:
            raise ShopgraphError("mvn not found: install Apache Maven once so the Neo4j jars can be fetched")
        say(f"fetching Neo4j {self.settings.neo4j_version} and Browser {BROWSER_VERSION} jars (once) …")
        staging = self.dist.with_name(self.dist.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        log = self.dist.with_name(self.dist.name + ".mvn.log")
        with resources.as_file(resources.files("graph") / "resources" / "neo4j-pom.xml") as pom:
            cmd = [
                mvn,
                "-B",
                "-q",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging / 'lib'}",
                f"-Dneo4j.version={self.settings.neo4j_version}",
                f"-Dneo4j.browser.version={BROWSER_VERSION}",
            ]
            with log.open("w") as fh:
                code = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT).returncode
        if code != 0 or not any((staging / "lib").glob("neo4j-server-*.jar")):
            raise ShopgraphError(f"Maven could not fetch the Neo4j jars (exit {code}); see {log}")
        (staging / ".complete").write_text(self.settings.neo4j_version + "\n")
        shutil.rmtree(self.dist, ignore_errors=True)
        staging.rename(self.dist)

    def memory_plan(self) -> MemoryPlan:
        """The heap and page cache for this machine and this instance's store (or as set)."""
        return plan_memory(
            self.settings.heap, self.settings.pagecache, machine_memory(), store_size(self.home / "data")
        )

    def configured_memory(self) -> dict[str, str]:
        """The heap and page cache of the last start (as written to ``conf/neo4j.conf``); empty before one."""
        keys = {"server.memory.heap.max_size": "heap", "server.memory.pagecache.size": "pagecache"}
        path = self.conf_dir / "neo4j.conf"
        lines = path.read_text().splitlines() if path.is_file() else []
        pairs = (line.split("=", 1) for line in lines if "=" in line)
        return {keys[key]: value for key, value in pairs if key in keys}

    def write_config(self, memory: MemoryPlan | None = None) -> MemoryPlan:
        """(Re)write ``conf/neo4j.conf`` and create the instance directories; returns the memory it set."""
        for sub in ("conf", "data", "logs", "plugins", "import", "run"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        s = self.settings
        memory = memory or self.memory_plan()
        lines = [
            "# Written by shopgraph (graph/server.py) at every start; edit settings, not this file.",
            "server.default_listen_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{s.bolt_port}",
            f"server.bolt.advertised_address=127.0.0.1:{s.bolt_port}",
            f"server.http.listen_address=127.0.0.1:{s.http_port}",
            f"server.http.advertised_address=127.0.0.1:{s.http_port}",
            "server.https.enabled=false",
            f"server.memory.heap.initial_size={memory.heap}",
            f"server.memory.heap.max_size={memory.heap}",
            f"server.memory.pagecache.size={memory.pagecache}",
            "dbms.usage_report.enabled=false",
            "dbms.security.auth_enabled=true",
            "db.tx_log.rotation.retention_policy=1 files",
            "db.checkpoint=VOLUME",  # pruning waits for a checkpoint: bound the logs by volume, not by 15 minutes
            f"db.checkpoint.interval.volume={CHECKPOINT_VOLUME}",
            f"server.directories.data={self.home / 'data'}",
            f"server.directories.logs={self.home / 'logs'}",
            f"server.directories.plugins={self.home / 'plugins'}",
            f"server.directories.import={self.home / 'import'}",
            f"server.directories.run={self.home / 'run'}",
            f"server.directories.lib={self.lib_dir}",
        ]
        (self.conf_dir / "neo4j.conf").write_text("\n".join(lines) + "\n")
        return memory

    def admin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``neo4j-admin`` (``org.neo4j.cli.AdminTool``) against this instance."""
        self.provision()
        memory = self.write_config()
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}
        cmd = [self.java(), f"-Xmx{memory.heap}", *JVM_OPTIONS, "-cp", f"{self.lib_dir}/*", ADMIN_TOOL, *args]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if check and done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
            raise ShopgraphError(f"neo4j-admin {' '.join(args[:2])} failed: {last[0]}")
        return done

    # -- lifecycle -----------------------------------------------------------------------
    def start(self, timeout: float = 180.0, say: Callable[[str], None] = lambda _: None) -> bool:
        """Start the server and wait until Bolt answers ``RETURN 1``. Returns False if it was already up (after
        waiting for Bolt the same way: a server left starting by an earlier timeout)."""
        if not self.settings.is_local:
            raise ShopgraphError(f"NEO4J_URI={self.settings.uri} is not on this machine: start that server there")
        if (running := self.pid()) is not None:
            self._wait_for_bolt(running, timeout)
            return False
        java = self.java()
        self.provision(say)
        for port, what in ((self.settings.bolt_port, "Bolt"), (self.settings.http_port, "HTTP")):
            if port_in_use(port):
                others = other_servers(self.home, port)
                holder = (
                    f"maybe by another workspace's Neo4j ({others[0]}: `SHOPGRAPH_HOME={others[0].parent} "
                    "shopgraph neo4j stop` stops it)"
                    if others
                    else "stop what holds it"
                )
                raise ShopgraphError(
                    f"port {port} ({what}) is already in use, {holder}, or choose another port "
                    "(NEO4J_URI / SHOPGRAPH_NEO4J_HTTP_PORT)"
                )
        if not (self.home / "data" / "dbms").exists():
            self.admin("dbms", "set-initial-password", self.settings.password)
        memory = self.write_config()
        say(f"memory: heap {memory.heap}, page cache {memory.pagecache} ({memory.reason})")
        cmd = [
            java,
            f"-Xms{memory.heap}",
            f"-Xmx{memory.heap}",
            *JVM_OPTIONS,
            "-cp",
            f"{self.home / 'plugins'}/*:{self.conf_dir}/*:{self.lib_dir}/*",
            ENTRY_POINT,
            f"--home-dir={self.home}",
            f"--config-dir={self.conf_dir}",
            "--console-mode",
        ]
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}
        # posix_spawn, not Popen: the server outlives this process, and a Popen handle that is
        # garbage-collected while its child runs raises a ResourceWarning.
        log_fd = os.open(self.console_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            pid = os.posix_spawn(
                java,
                cmd,
                env,
                setsid=True,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, log_fd, 1),
                    (os.POSIX_SPAWN_DUP2, log_fd, 2),
                ],
            )
        finally:
            os.close(log_fd)
        self.pid_file.write_text(f"{pid}\n")
        say(f"waiting for Neo4j on {self.settings.uri} (log: {self.console_log}) …")
        self._wait_for_bolt(pid, timeout)
        return True

    def _wait_for_bolt(self, pid: int, timeout: float) -> None:
        """Return once Bolt answers; one error when the process exits or ``timeout`` passes. A server still
        starting is left running: after a stop in the middle of a vector index's population Neo4j finishes the
        index's Lucene merge before it answers (minutes at millions of vectors), and a kill would only restart it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                self.pid_file.unlink(missing_ok=True)
                raise ShopgraphError(f"Neo4j exited during start; see {self.console_log}")
            if self._answers():
                return
            time.sleep(1.0)
        raise ShopgraphError(
            f"Neo4j (pid {pid}) did not answer within {timeout:.0f}s and is left starting (an index it was building "
            f"when stopped comes first: see {self.home / 'logs' / 'debug.log'}): `shopgraph neo4j start --timeout "
            "3600` waits for it, `shopgraph neo4j stop` stops it"
        )

    def _answers(self) -> bool:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError

        try:
            with (
                GraphDatabase.driver(
                    self.settings.uri, auth=(self.settings.user, self.settings.password), connection_timeout=2
                ) as driver,
                driver.session() as session,
            ):
                session.run("RETURN 1").consume()
            return True
        except AuthError:
            raise ShopgraphError(
                f"the local Neo4j rejects the configured password (from {self.settings.password_source}); "
                f"use the password it was created with, or delete {self.home / 'data'} to start afresh"
            ) from None
        except Exception:
            return False

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server cleanly (SIGTERM, then SIGKILL after ``timeout``). False if it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.3)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 50) -> str:
        """The last lines of the server's log (neo4j.log, or the console log before it exists)."""
        for path in (self.home / "logs" / "neo4j.log", self.console_log):
            if path.exists():
                return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


def other_servers(home: Path, port: int) -> list[Path]:
    """The homes of the shopgraph Neo4j servers running on this machine, other than ``home``'s, whose
    configuration listens on ``port`` (Linux: read from /proc; elsewhere none): the server answering a port
    may be another workspace's."""
    homes = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if ENTRY_POINT in args:
            homes |= {Path(a.removeprefix("--home-dir=")) for a in args if a.startswith("--home-dir=")} - {home}
    return sorted(h for h in homes if f":{port}\n" in _read_text(h / "conf" / "neo4j.conf") + "\n")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
