"""The suite's own layout: a test module imports helpers from tests/support, never another test module."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            names.update(f".{alias.name}" for alias in node.names)
    return names


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for name in _imported_modules(path):
            last = name.rsplit(".", 1)[-1]
            if last.startswith("test_") or last == "conftest" or name.startswith(("tests.unit", "tests.integration")):
                offenders.append(f"{path.relative_to(TESTS)} imports {name}")
    assert offenders == [], "move shared helpers to tests/support and shared fixtures to a conftest.py"


def test_helpers_live_in_tests_support() -> None:
    strays = [
        p.relative_to(TESTS).as_posix()
        for folder in ("unit", "integration")
        for p in (TESTS / folder).glob("*.py")
        if not p.name.startswith("test_") and p.name not in ("__init__.py", "conftest.py")
    ]
    assert strays == [], "helper modules belong in tests/support"
