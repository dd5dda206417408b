"""What `shopgraph run` has finished, keyed by the inputs each step saw (``pipeline/state.json``).

A step is skipped when its recorded *fingerprint* (a hash of the inputs it depends on: the
ingested files with their kept-row counts, its options, the segmentation run it read)
equals the fingerprint of the inputs now. A step records its fingerprint only after it has
finished, so an interrupted ``run`` re-run redoes the interrupted step and nothing before it.
The file is written to a temporary name and renamed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.manifest import read_manifest
from events.workspace import Workspace

STATE_FILE = "state.json"


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-serialisable parts."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def store_fingerprint(workspace: Workspace) -> list[list[object]]:
    """The ingested files as the steps after ingest see them: hash and rows kept (forget changes it)."""
    return [[entry.sha256, entry.rows_kept] for entry in read_manifest(workspace)]


@dataclass
class PipelineState:
    """The fingerprints of the finished steps, persisted under ``$SHOPGRAPH_HOME/pipeline/``."""

    path: Path
    steps: dict[str, str]

    @classmethod
    def load(cls, workspace: Workspace) -> PipelineState:
        path = workspace.home / "pipeline" / STATE_FILE
        steps: dict[str, str] = {}
        if path.is_file():
            try:
                steps = dict(json.loads(path.read_text(encoding="utf-8")).get("steps", {}))
            except (json.JSONDecodeError, AttributeError):
                steps = {}  # an unreadable state only costs a re-run of the steps
        return cls(path, steps)

    def is_done(self, step: str, key: str) -> bool:
        return self.steps.get(step) == key

    def mark_done(self, step: str, key: str) -> None:
        self.steps[step] = key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"steps": self.steps}, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def forget(self, *steps: str) -> None:
        """Make ``steps`` run again next time (e.g. the report after a new segmentation)."""
        for step in steps:
            self.steps.pop(step, None)
