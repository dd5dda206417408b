"""Without the spark extra nothing imports pyspark, and asking for the Spark engine is one clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from events.spark_session import find_java17, require_pyspark, spark_master
from shopgraph.errors import ShopgraphError

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("shopgraph", "events", "graph", "features", "embeddings", "segments", "reports", "pipeline", "commands")

#: imports every product module with pyspark made unimportable, then checks none pulled it in
IMPORT_ALL = f"""
import importlib, pkgutil, sys
sys.modules["pyspark"] = None
names = ["cli"]
for package in {PACKAGES!r}:
    module = importlib.import_module(package)
    names += [info.name for info in pkgutil.walk_packages(module.__path__, package + ".")]
for name in names:
    importlib.import_module(name)
loaded = [m for m in sys.modules if m.startswith(("pyspark", "py4j"))]
assert loaded == ["pyspark"], loaded
print(len(names))
"""


def test_every_product_module_imports_without_pyspark() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=REPO, capture_output=True, text=True, env={"PYTHONPATH": str(REPO)}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) > 50


def test_the_spark_engine_without_the_extra_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(ShopgraphError, match=r"pip install 'shopgraph\[spark\]'") as caught:
        require_pyspark()
    assert "\n" not in str(caught.value)


def test_java_17_is_chosen_over_a_newer_java_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    newer = tmp_path / "jdk-25"
    newer.mkdir()
    (newer / "release").write_text('JAVA_VERSION="25.0.3"\n')
    monkeypatch.setenv("JAVA_HOME", str(newer))
    try:
        found = find_java17()
    except ShopgraphError as exc:  # a machine without Java 17: the message says what to install
        assert "Java 17" in str(exc) and "Java 25" in str(exc)
    else:
        assert found != newer and "17" in found.name


def test_the_master_comes_from_the_option_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPGRAPH_SPARK_MASTER", raising=False)
    assert spark_master() == "local[2]"
    monkeypatch.setenv("SHOPGRAPH_SPARK_MASTER", "spark://host:7077")
    assert spark_master() == "spark://host:7077"
    assert spark_master("local[4]") == "local[4]"


@pytest.mark.parametrize(
    "command",
    [
        ["ingest", "--engine", "spark", "x.csv"],
        ["features", "--engine", "spark"],
        ["run", "--engine", "spark", "x.csv"],
    ],
)
def test_the_cli_asks_for_the_extra_in_one_line(command, monkeypatch, workspace) -> None:
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.setitem(sys.modules, "pyspark", None)
    (workspace.home / "x.csv").write_text("event_time\n")
    monkeypatch.chdir(workspace.home)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "pip install 'shopgraph[spark]'" in result.output


def test_an_unknown_engine_is_one_clear_error(workspace) -> None:
    from typer.testing import CliRunner

    from cli import app

    result = CliRunner().invoke(app, ["ingest", "--engine", "flink", "x.csv"])
    assert result.exit_code == 1 and "--engine flink: choose duckdb or spark" in result.output
