"""What bench/pipeline.py and bench/scale.py share: `shopgraph run` in a child process, with a bench Neo4j.

* :func:`bench_env` / :func:`bench_server`: a workspace with its own local Neo4j on its own
  ports (memory given, or the product's auto plan of graph/memory.py when ``memory`` is None).
* :func:`run_in_child`: runs this file as a child process (``python bench/run_child.py HOME
  FILE…``), which calls :func:`pipeline.run.run_pipeline` and prints one JSON line: per step
  its outcome, wall seconds, CPU seconds (this process and its children) and start time. While
  the child runs, the parent samples the resident memory of the child's whole process tree and
  of the Neo4j server, so each step gets the peak of both (pipeline/meter.py measures the
  child's own memory only; here the Neo4j server and any helper processes count too). The child also
  prints a line when each step ends, so the parent can save the steps a month finished before it ends
  (a month of the REES46-sized bench runs hours, and one stopped midway kept nothing before).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
NO_RESOURCE_CHECK = "SHOPGRAPH_BENCH_NO_RESOURCE_CHECK"  # "1": the child runs with check_resources=False
RETRAIN = "SHOPGRAPH_BENCH_RETRAIN"  # "1": the child runs with retrain=True
METHOD = "SHOPGRAPH_BENCH_METHOD"  # the segmentation's method (`run --method`); unset: the stated rule
STEP_MARK = "step done "  # the child's line when a step ends: JSON [step, status, seconds, CPU seconds, decision]


def bench_env(home: Path, bolt_port: int, http_port: int, memory: str | None) -> dict[str, str]:
    """The environment of a bench workspace: its home, its Neo4j's ports and memory, a fixed pseudonym key."""
    env = {
        **os.environ,
        "SHOPGRAPH_HOME": str(home),
        "NEO4J_URI": f"bolt://127.0.0.1:{bolt_port}",
        "SHOPGRAPH_NEO4J_HTTP_PORT": str(http_port),
        "SHOPGRAPH_PSEUDONYM_KEY": "bench-key-not-secret",
    }
    for key in ("NEO4J_USER", "NEO4J_PASSWORD", "SHOPGRAPH_NEO4J_HEAP", "SHOPGRAPH_NEO4J_PAGECACHE"):
        env.pop(key, None)
    if memory:
        env["SHOPGRAPH_NEO4J_HEAP"] = env["SHOPGRAPH_NEO4J_PAGECACHE"] = memory
    return env


def add_home_arguments(parser: argparse.ArgumentParser) -> None:
    """HOME (a workspace after `shopgraph run`, bench/scale.py's) and the ports of its own local Neo4j."""
    parser.add_argument("home", type=Path)
    parser.add_argument("--bolt-port", type=int, default=7706)
    parser.add_argument("--http-port", type=int, default=7493)


def current_run(args: argparse.Namespace) -> tuple[object, Path]:
    """The workspace of :func:`add_home_arguments`' arguments (this process pointed at it) and its current
    segmentation run's folder; exits with one line when it has none."""
    use_bench_home(args.home, args.bolt_port, args.http_port)
    sys.path.insert(0, str(REPO))
    from segments.runs import current_run_dir
    from shopgraph.workspace import Workspace

    workspace = Workspace.from_env()
    run_dir = current_run_dir(workspace)
    if run_dir is None:
        sys.exit(f"{args.home} has no current segmentation run: run `shopgraph run` first")
    return workspace, run_dir


def use_bench_home(home: Path, bolt_port: int, http_port: int) -> None:
    """Point this process at a bench workspace and its own local Neo4j (no password from the caller's shell)."""
    os.environ.update(
        {
            "SHOPGRAPH_HOME": str(home),
            "NEO4J_URI": f"bolt://127.0.0.1:{bolt_port}",
            "SHOPGRAPH_NEO4J_HTTP_PORT": str(http_port),
        }
    )
    os.environ.pop("NEO4J_PASSWORD", None)


@contextmanager
def own_server(settings: object) -> Iterator[object]:
    """The local Neo4j of ``settings``: started when it is down and stopped at the end; one already up stays up."""
    from graph.server import LocalServer

    server = LocalServer(settings)
    started = server.start()
    try:
        yield server
    finally:
        if started:
            server.stop()


@contextmanager
def bench_server(env: dict[str, str]) -> Iterator[object]:
    """The workspace's local Neo4j started under ``env`` (this process's environment meanwhile), then stopped."""
    sys.path.insert(0, str(REPO))
    from graph.server import LocalServer
    from shopgraph.settings import Settings

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    server = LocalServer(Settings.from_env())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


def tree_rss(root: int, skip: int | None = None) -> int:
    """Resident bytes of ``root`` and all its descendants (0 for processes gone meanwhile).

    ``skip`` (the Neo4j server) and its descendants are left out: a bulk load restarts the server
    from the run, which makes it the run's descendant, and it is measured on its own.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid == skip:
            continue
        total += rss(pid)
        todo.extend(children.get(pid, ()))
    return total


TX_LOG_EVERY = 10  # samples: the transaction logs' size is read every 5 s


def tx_log_bytes(home: Path) -> int:
    """Bytes of the workspace's Neo4j transaction logs (they grow until a checkpoint prunes them; a file pruned
    while it is read counts 0)."""
    total = 0
    for path in (Path(home) / "neo4j" / "data" / "transactions").rglob("*"):
        with suppress(OSError):
            total += path.stat().st_size if path.is_file() else 0
    return total


def process_cpu(pid: int | None) -> float:
    """CPU seconds so far of one process, all its threads (0 when it is gone): the Neo4j server's, for instance."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss(pid: int | None) -> int:
    """Resident bytes of one process (0 when it is gone)."""
    if pid is None:
        return 0
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


STATUS_FIELDS = ("VmRSS", "RssAnon", "RssFile")


def resident(pid: int | None) -> dict[str, int]:
    """:data:`STATUS_FIELDS` of ``/proc/<pid>/status`` in bytes (empty when the process is gone): all resident
    memory, the anonymous part, and the mapped files (``RssFile``: for Neo4j, its vector index's Lucene files and
    its jars, which the kernel can drop and read again)."""
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in STATUS_FIELDS:
                found[key] = int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return found


def run_in_child(
    home: Path,
    files: list[str],
    env: dict[str, str],
    server: object,
    interval: float = 0.5,
    on_step_done: Callable[[dict[str, dict], str], None] = lambda finished, decision: None,
) -> dict:
    """`run` on ``files`` in a child; its JSON plus, per step, the peak GiB of shopgraph and of Neo4j.

    ``on_step_done(finished, decision)`` each time a step ends, with ``{step: {"status", "seconds", "cpu_seconds"}}``
    of the steps finished so far and the run's decision so far. Raises SystemExit with the child's stderr tail
    when the run fails.
    """
    command = [sys.executable, str(Path(__file__).resolve()), str(home), *files]
    # time, shopgraph and Neo4j resident bytes, logs, Neo4j CPU, Neo4j's file-backed resident bytes
    samples: list[tuple[float, int, int, int, float, int]] = []
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        done = threading.Event()

        def sample() -> None:
            tick, logs = 0, 0
            while not done.wait(interval):
                neo4j = server.pid()
                if tick % TX_LOG_EVERY == 0:  # a walk of the log folder, not every half second
                    logs = tx_log_bytes(home)
                tick += 1
                at, mine = time.time(), tree_rss(proc.pid, skip=neo4j)
                samples.append((at, mine, rss(neo4j), logs, process_cpu(neo4j), resident(neo4j).get("RssFile", 0)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out = _read_steps(proc, on_step_done)
        proc.wait()
        done.set()
        sampler.join()
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"run on {', '.join(Path(f).name for f in files)} failed:\n{err.read()[-3000:]}")
    result = json.loads(out[-1])
    bounds = [*result["started"].values(), result["ended"]]
    result["peaks"] = {}
    for i, step in enumerate(result["started"]):
        inside = [s for s in samples if bounds[i] <= s[0] <= bounds[i + 1]] or samples[-1:]
        result["peaks"][step] = {
            "shopgraph_gib": max((s[1] for s in inside), default=0) / 2**30,
            "neo4j_gib": max((s[2] for s in inside), default=0) / 2**30,
            "tx_logs_gib": max((s[3] for s in inside), default=0) / 2**30,
            # both at the same instant: what the machine held (the two peaks above may fall apart in the step)
            "together_gib": max((s[1] + s[2] for s in inside), default=0) / 2**30,
            "neo4j_file_gib": max((s[5] for s in inside), default=0) / 2**30,
        }
    result["neo4j_cpu"] = neo4j_cpu_by_step(samples, result["started"], result["ended"])
    return result


def neo4j_cpu_by_step(samples: list[tuple], started: dict[str, float], ended: float) -> dict[str, float]:
    """The Neo4j server's CPU seconds during each step, from the samples nearest its start and its end (a server
    restarted within a step, as a bulk import does, counts from its new start)."""
    bounds = [*started.values(), ended]
    out: dict[str, float] = {}
    for i, step in enumerate(started):
        inside = [s[4] for s in samples if bounds[i] <= s[0] <= bounds[i + 1]]
        before = [s[4] for s in samples if s[0] < bounds[i]]
        if not inside:
            out[step] = 0.0
            continue
        first = before[-1] if before and before[-1] <= inside[0] else inside[0]
        rises = zip([first, *inside], inside, strict=False)
        out[step] = sum(b - a if b >= a else b for a, b in rises)  # b < a: a new server, counting from 0
    return out


def _read_steps(proc: subprocess.Popen, on_step_done: Callable[[dict, str], None]) -> list[str]:
    """The child's stdout lines but its step marks, calling ``on_step_done`` as each step ends."""
    out: list[str] = []
    finished: dict[str, dict] = {}
    for line in proc.stdout:
        if not line.startswith(STEP_MARK):
            out.append(line)
            continue
        step, status, seconds, cpu, decision = json.loads(line[len(STEP_MARK) :])
        finished[step] = {"status": status, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1)}
        on_step_done(dict(finished), decision)
    return [line for line in out if line.strip()] or ["{}"]


def child(home: Path, files: list[str]) -> None:
    """One `run` in this process; prints its outcomes, per-step CPU seconds and start times as one JSON line."""
    from graph.connection import connect
    from graph.schema import wait_for_indexes
    from pipeline.run import RunHooks, RunOptions, run_pipeline
    from shopgraph.settings import Settings
    from shopgraph.workspace import Workspace

    started: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def on_step(step: str, index: int, total: int) -> None:
        started[step] = time.time()
        cpu[step] = cpu_seconds()

    def on_done(outcome, decision: str) -> None:
        mark = [outcome.step, outcome.status, outcome.seconds, cpu_seconds() - cpu[outcome.step], decision]
        print(STEP_MARK + json.dumps(mark), flush=True)

    options = RunOptions(
        check_resources=os.environ.get(NO_RESOURCE_CHECK) != "1",
        retrain=os.environ.get(RETRAIN) == "1",
        method=os.environ.get(METHOD) or None,
    )
    begun = time.perf_counter()
    with connect(Settings.from_env()) as db:
        report = run_pipeline(
            Workspace(home), db, [Path(f) for f in files], options, RunHooks(on_step=on_step, on_done=on_done)
        )
        seconds, ended, cpu_end = time.perf_counter() - begun, time.time(), cpu_seconds()
        wait_for_indexes(db)  # `run` returns while Neo4j builds the look-alike index: timed apart from the month
        index_after = time.perf_counter() - begun - seconds
    marks = [*cpu.values(), cpu_end]
    record = {
        "seconds": seconds,
        "cpu_seconds": cpu_end - marks[0],
        "decision": report.decision,
        "steps": [[s.step, s.status, s.detail, s.seconds, s.peak_mib] for s in report.steps],
        "phases": {s.step: s.phases for s in report.steps},  # the phases each step's progress named (PhaseClock)
        "index_online_after_seconds": index_after,
        "cpu": {step: marks[i + 1] - marks[i] for i, step in enumerate(cpu)},
        "started": started,
        "ended": ended,
    }
    print(json.dumps(record), flush=True)


def bare_scan_seconds(path: Path) -> float:
    """The reference of the month benches: DuckDB counting a file's rows with its defaults (parses every line,
    writes nothing), in the same run as the figure it is the reference of."""
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    con.execute("SELECT count(*) FROM read_csv(?)", [str(path)]).fetchone()
    return time.perf_counter() - started


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    # run as a script, bench/ would come first on sys.path and shadow the project's "pipeline" package
    sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    child(Path(sys.argv[1]), sys.argv[2:])
