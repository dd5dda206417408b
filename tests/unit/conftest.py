"""Fixtures shared by unit test modules."""

from __future__ import annotations

import pytest

from shopgraph.workspace import Workspace
from tests.support.report_workspace import build_report_workspace


@pytest.fixture(scope="session")
def report_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The dossier's fixture workspace (tests/support/report_workspace.py), built once; copy it to change it."""
    return build_report_workspace(tmp_path_factory.mktemp("report-ws"))
