"""What `shopgraph run` has finished, keyed by the inputs each step saw (``pipeline/state.json``).

A step is skipped when its recorded *fingerprint* (a hash of the inputs it depends on: the
ingested files with their kept-row counts, its options, the fingerprints of the steps it reads
from, and the source of shopgraph's code that does the step, :func:`code_fingerprint`) equals
the fingerprint of the inputs now. So an upgrade that changed how metrics, vectors, segments
or the report are made redoes those steps on the next ``run``; the code hash of each step is
kept beside its fingerprint (:meth:`PipelineState.code_changed`) so the runner can tell "the
code changed" (retrain) from "new data arrived" (assign new customers). A step records its fingerprint only after it has
finished, so an interrupted ``run`` re-run redoes the interrupted step and nothing before it.
The file is written to a temporary name and renamed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from events.manifest import read_manifest
from shopgraph.files import write_text_atomic
from shopgraph.workspace import Workspace

STATE_FILE = "state.json"
CODE_SUFFIXES = (".py", ".cypher", ".csv", ".json", ".css", ".html", ".txt")  # code and packaged resources


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-serialisable parts."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.cache
def code_fingerprint(*packages: str, leave_out: Sequence[str] = ()) -> str:
    """A short hash of the installed source of ``packages`` (code and packaged resources, by path).

    A name may also be a single module (``events.interactions``); ``leave_out`` names modules of those
    packages not to count (``segments.drift``). Read from where Python imports them, so it is the same for
    an editable checkout and a regular install of the same source, and changes with any change of that source.
    """
    digest = hashlib.sha256()
    for package in sorted(packages):
        for name, path in _source_files(package):
            if f"{package}.{name.removesuffix('.py').replace('/', '.')}" in leave_out:
                continue
            digest.update(f"{package}/{name}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def _source_files(name: str) -> list[tuple[str, Path]]:
    """(relative name, path) of the code and resources of a package, or of one module's file."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        return []
    if spec.submodule_search_locations is None:
        return [(Path(spec.origin).name, Path(spec.origin))] if spec.origin else []
    files = []
    for root in sorted(spec.submodule_search_locations):
        base = Path(root)
        for path in sorted(
            p for p in base.rglob("*") if p.suffix in CODE_SUFFIXES and p.is_file() and "__pycache__" not in p.parts
        ):
            files.append((path.relative_to(base).as_posix(), path))
    return files


def store_fingerprint(workspace: Workspace) -> list[list[object]]:
    """The ingested files as the steps after ingest see them: hash and rows kept (forget changes it)."""
    return [[entry.sha256, entry.rows_kept] for entry in read_manifest(workspace)]


@dataclass
class PipelineState:
    """The fingerprints of the finished steps, persisted under ``$SHOPGRAPH_HOME/pipeline/``."""

    path: Path
    steps: dict[str, str]
    code: dict[str, str] = field(default_factory=dict)  # step -> code_fingerprint it last finished with

    @classmethod
    def load(cls, workspace: Workspace) -> PipelineState:
        path = workspace.home / "pipeline" / STATE_FILE
        steps: dict[str, str] = {}
        code: dict[str, str] = {}
        if path.is_file():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                steps = dict(record.get("steps", {}))
                code = dict(record.get("code", {}))
            except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
                steps, code = {}, {}  # an unreadable state only costs a re-run of the steps
        return cls(path, steps, code)

    def is_done(self, step: str, key: str) -> bool:
        return self.steps.get(step) == key

    def code_changed(self, step: str, code: str) -> bool:
        """True when ``step`` last finished with other code, or with a shopgraph that did not record it. A step
        made to run again (:meth:`forget`) keeps the code it last finished with, so the change still shows."""
        if step in self.code:
            return self.code[step] != code
        return step in self.steps

    def mark_done(self, step: str, key: str, code: str | None = None) -> None:
        self.steps[step] = key
        if code is not None:
            self.code[step] = code
        self._save()

    def forget(self, *steps: str) -> None:
        """Make ``steps`` run again next time (e.g. the report after a new segmentation)."""
        for step in steps:
            self.steps.pop(step, None)

    def _save(self) -> None:
        write_text_atomic(self.path, json.dumps({"steps": self.steps, "code": self.code}, indent=2) + "\n")
