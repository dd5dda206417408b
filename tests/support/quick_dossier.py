"""Stand-ins for the dossier's rendering, for tests about what runs around it.

Drawing the charts and printing the PDF is most of a report (≈ 16 s on a slow 2-core box, each time); the
dossier's own tests (tests/unit/test_report_dossier.py) and `run`'s report in tests/integration/test_pipeline_run.py
render it for real. Tests that run the report step again only to check the step's bookkeeping, or that read the
HTML's text only, take these instead: the step and the command still run whole, only the rendering is left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shopgraph.workspace import Workspace

PDF = b"%PDF-1.4\n% a stand-in: tests/support/quick_dossier.py\n%%EOF\n"
PNG = "data:image/png;base64,"  # an empty image: the stand-in for a chart


def skip_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each chart's figure is built as ever, then closed undrawn (drawing and encoding it is the chart's cost)."""
    import matplotlib.pyplot as plt

    import reports.charts

    def undrawn(fig) -> str:
        plt.close(fig)
        return PNG

    monkeypatch.setattr(reports.charts, "to_uri", undrawn)


def skip_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF becomes a stand-in file; the sections and the HTML are built as ever."""
    import reports.dossier

    def write_stand_in(html: str, pdf_path: Path) -> Path:
        pdf_path.write_bytes(PDF)
        return pdf_path

    monkeypatch.setattr(reports.dossier, "render_pdf", write_stand_in)


def skip_dossier(monkeypatch: pytest.MonkeyPatch) -> list[Workspace]:
    """The whole dossier becomes two stand-in files; returns the workspaces it was asked for, one per call."""
    import reports.dossier

    asked: list[Workspace] = []

    def stand_in(workspace: Workspace, lang: str = "en", out_dir=None, progress=None) -> reports.dossier.DossierPaths:
        asked.append(workspace)
        out = Path(out_dir) if out_dir else workspace.reports_dir
        out.mkdir(parents=True, exist_ok=True)
        html, pdf = out / f"dossier-{lang}.html", out / f"dossier-{lang}.pdf"
        html.write_text("<!doctype html><title>a stand-in</title>", encoding="utf-8")
        pdf.write_bytes(PDF)
        return reports.dossier.DossierPaths(html, pdf)

    monkeypatch.setattr(reports.dossier, "build_dossier", stand_in)
    return asked
