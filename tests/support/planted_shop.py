"""Test helper: one planted shop per test session — synthetic months (500 customers, Nov–Dec 2019, seed 5)
ingested without pseudonyms, with the feature table built. Tests never write into it: each takes a copy."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from events.ingest import ingest_files
from events.synth import generate
from features.calendar import load_calendar
from features.compute import build_user_features
from shopgraph.workspace import Workspace

USERS = 500
MONTHS = "2019-11..2019-12"
SEED = 5


@dataclass(frozen=True)
class PlantedShop:
    data: Path  # the month files
    home: Path  # the workspace: event store and features

    def copy(self, home: Path) -> Workspace:
        """A workspace at ``home`` (which may exist, empty) holding a copy of the shop's store and features."""
        shutil.copytree(self.home, home, dirs_exist_ok=True)
        return Workspace(home)


def build_planted_shop(root: Path) -> PlantedShop:
    data = generate(root / "data", users=USERS, months=MONTHS, seed=SEED)
    workspace = Workspace(root / "home")
    ingest_files(workspace, sorted(data.files), pseudonymise=False)
    build_user_features(workspace, load_calendar())
    return PlantedShop(root / "data", workspace.home)
