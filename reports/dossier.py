"""Assemble the dossier: the ten sections into one self-contained HTML file and the same as an A4 PDF.

The PDF is rendered by WeasyPrint rather than headless Chromium: it is a Python package
(the pango libraries come from scripts/system-deps), needs no browser process or sandbox
flags, gives the same bytes layout on every machine, and implements CSS paged media
fully: A4 margins, ``break-before: page`` per section and card, and page numbers
("page 3 of 24") in the page margins, which Chromium's print-to-PDF cannot put there.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from reports.i18n import SECTIONS, check_lang, t
from reports.inputs import read_inputs
from reports.sections import BUILDERS, Block, Context, Section
from shopgraph.errors import ShopgraphError
from shopgraph.files import atomic_path, write_text_atomic
from shopgraph.progress import Progress
from shopgraph.workspace import Workspace

#: The steps :func:`build_dossier` reports to ``progress``: one per section, then the two files.
STEPS = len(SECTIONS) + 2


@dataclass(frozen=True)
class DossierPaths:
    """The files written, and the sections that said an input is missing (``"3. The activity threshold"``)."""

    html: Path
    pdf: Path
    incomplete: tuple[str, ...] = ()


def build_sections(workspace: Workspace, lang: str = "en", progress: Progress | None = None) -> list[Section]:
    """The ten sections built from what the workspace holds (a missing input is a note, not an error)."""
    check_lang(lang)
    context = Context(read_inputs(workspace), lang)
    sections = []
    for number, key in enumerate(SECTIONS, start=1):
        title = t(lang, f"s.{key}")
        if progress:
            progress(f"{number}. {title}", number - 1, STEPS)
        try:
            blocks = BUILDERS[key](context)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            # a producer's file in a shape this reader does not know: say so in the section, keep the rest
            blocks = [Block("missing", t(lang, "need.shape", error=f"{type(exc).__name__}: {exc}"[:300]))]
        sections.append(Section(number, key, title, blocks))
    return sections


def render_html(sections: list[Section], workspace: Workspace, lang: str, run_id: str | None = None) -> str:
    """The dossier as one HTML document (styles inline, images as data URIs)."""
    import jinja2

    package = resources.files("reports") / "resources"
    css = (package / "dossier.css").read_text(encoding="utf-8")
    title = t(lang, "doc.title")
    css = (
        css.replace("{{PAGE}}", t(lang, "doc.page"))
        .replace("{{OF}}", t(lang, "doc.of"))
        .replace("{{TITLE}}", title.replace('"', "'"))
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    template = env.from_string((package / "dossier.html.j2").read_text(encoding="utf-8"))
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return template.render(
        lang=lang,
        title=title,
        css=css,
        subtitle=t(lang, "doc.subtitle"),
        generated=t(lang, "doc.generated", at=at, home=workspace.home),
        run_line=t(lang, "doc.run", run=run_id) if run_id else t(lang, "doc.norun"),
        contents=t(lang, "doc.contents"),
        missing_title=t(lang, "missing.title"),
        sections=sections,
    )


def render_pdf(html: str, pdf_path: Path) -> Path:
    """Print ``html`` to an A4 PDF with WeasyPrint, atomically."""
    try:
        import weasyprint
    except OSError as exc:  # the pango libraries are missing
        raise ShopgraphError(
            f"WeasyPrint cannot load its libraries ({exc}): run scripts/system-deps (installs pango) and try again"
        ) from None
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with atomic_path(pdf_path) as tmp:
        weasyprint.HTML(string=html).write_pdf(tmp)
    return pdf_path


#: The right page margin of reports/resources/dossier.css (``@page``), in PDF points.
RIGHT_MARGIN_PT = 18 / 25.4 * 72


def words_past_the_right_margin(pdf_path: Path) -> list[tuple[int, str, float]]:
    """(page, word, points past the margin) for every word printed beyond the PDF's right margin.

    A table whose columns cannot shrink to the text width runs into the margin; this reads the
    printed words' boxes back (poppler's ``pdftotext -bbox``) so tests and benches can check it.
    """
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True, check=True)
    past = []
    for number, (width, body) in enumerate(
        re.findall(r'<page width="([\d.]+)"[^>]*>(.*?)</page>', bbox.stdout, re.S), 1
    ):
        edge = float(width) - RIGHT_MARGIN_PT
        for x_max, word in re.findall(r'xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', body):
            if float(x_max) > edge + 0.5:
                past.append((number, word, round(float(x_max) - edge, 1)))
    return past


def build_dossier(
    workspace: Workspace, lang: str = "en", out_dir: Path | str | None = None, progress: Progress | None = None
) -> DossierPaths:
    """Write ``dossier-<lang>.html`` and ``dossier-<lang>.pdf`` into ``out_dir`` (default: workspace reports/).

    ``progress(step, done, STEPS)`` is called as each step starts, named after it (the ten sections,
    then HTML, then PDF), with ``done`` the steps finished before it.
    """
    check_lang(lang)
    out = Path(out_dir) if out_dir else workspace.reports_dir
    out.mkdir(parents=True, exist_ok=True)
    sections = build_sections(workspace, lang, progress)
    from reports.inputs import current_run_dir

    run_dir = current_run_dir(workspace)
    if progress:
        progress("HTML", STEPS - 2, STEPS)
    html = render_html(sections, workspace, lang, run_dir.name if run_dir else None)
    html_path = out / f"dossier-{lang}.html"
    write_text_atomic(html_path, html)
    if progress:
        progress("PDF", STEPS - 1, STEPS)
    pdf_path = render_pdf(html, out / f"dossier-{lang}.pdf")
    incomplete = tuple(f"{s.number}. {s.title}" for s in sections if _has_missing(s.blocks))
    return DossierPaths(html_path, pdf_path, incomplete)


def _has_missing(blocks: list[Block]) -> bool:
    return any(b.kind == "missing" or _has_missing(b.children) for b in blocks)


__all__ = ["STEPS", "Block", "DossierPaths", "build_dossier", "build_sections", "render_html", "render_pdf"]
