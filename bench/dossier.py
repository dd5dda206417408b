"""What the report step spends on the dossier, and what the PDF's table layout costs.

    python bench/dossier.py HOME [--lang en] [--repeat 2]

On a workspace after ``shopgraph run`` (HOME): the ten sections with their charts, the HTML, then the
PDF of that HTML printed by WeasyPrint as the product does, in CPU seconds of this process. The reference in
the same run is the same HTML printed with the cells' line-breaking rule before 2026-12-06
(``overflow-wrap: anywhere`` in table cells: any character may end a line, so the automatic table layout
measures every cell character by character). Each print is repeated and the fastest kept; each reports its
page count and the words printed past the right margin (``reports.dossier.words_past_the_right_margin``),
and the pages of the two PDFs are compared as images (poppler's ``pdftoppm`` at 60 dpi): the pages that differ.
Nothing is written to HOME: the files go to a temporary directory.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reports.dossier import build_sections, render_html, words_past_the_right_margin
from reports.inputs import current_run_dir
from shopgraph.workspace import Workspace

#: The cells' rule now (reports/resources/dossier.css) and the one it replaced.
CELLS_NOW = "td, th { overflow-wrap: break-word; }"
CELLS_BEFORE = "td, th { overflow-wrap: anywhere; }"


def print_pdf(html: str, path: Path, repeat: int) -> tuple[float, float, int, list]:
    """Fastest (render, write) CPU seconds of ``repeat`` prints, the pages and the words past the margin."""
    import weasyprint

    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        t0 = time.process_time()
        document = weasyprint.HTML(string=html).render()
        t1 = time.process_time()
        document.write_pdf(path)
        t2 = time.process_time()
        best = min(best, (t1 - t0, t2 - t1))
    return best[0], best[1], len(document.pages), words_past_the_right_margin(path)


def pages_that_differ(a: Path, b: Path) -> list[int]:
    """The page numbers whose images differ between PDFs ``a`` and ``b`` (a page only one has counts too)."""
    from PIL import Image, ImageChops

    images = {}
    for pdf in (a, b):
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(pdf.with_suffix(""))], check=True)
        images[pdf] = sorted(pdf.parent.glob(pdf.stem + "-*.png"))
    differ = []
    for number in range(1, max(len(images[a]), len(images[b])) + 1):
        if number > len(images[a]) or number > len(images[b]):
            differ.append(number)
            continue
        one, two = (Image.open(images[pdf][number - 1]).convert("RGB") for pdf in (a, b))
        if one.size != two.size or ImageChops.difference(one, two).getbbox():
            differ.append(number)
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--repeat", type=int, default=2, help="prints of each stylesheet; the fastest is kept")
    args = parser.parse_args()
    workspace = Workspace(args.home)
    t0 = time.process_time()
    sections = build_sections(workspace, args.lang)
    t1 = time.process_time()
    run_dir = current_run_dir(workspace)
    html = render_html(sections, workspace, args.lang, run_dir.name if run_dir else None)
    t2 = time.process_time()
    if CELLS_NOW not in html:
        raise SystemExit(f"the dossier's stylesheet has no {CELLS_NOW!r}: update this bench")
    print(f"# bench/dossier {time.strftime('%Y-%m-%d %H:%M')} {args.home} ({args.lang})")
    print(f"sections and charts {t1 - t0:6.1f} CPU s")
    print(f"HTML                {t2 - t1:6.1f} CPU s  ({len(html) / 1e6:.1f} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        rows = {}
        for name, text in (("now", html), ("before", html.replace(CELLS_NOW, CELLS_BEFORE))):
            rows[name] = print_pdf(text, Path(tmp) / f"{name}.pdf", args.repeat)
        differ = pages_that_differ(Path(tmp) / "now.pdf", Path(tmp) / "before.pdf")
    print(f"PDF, fastest of {args.repeat}      render  write  pages  words past the right margin")
    for name, (render, write, pages, past) in rows.items():
        label = "product" if name == "now" else "cells as before"
        print(f"  {label:<16} {render:8.2f} {write:6.2f} {pages:6d}  {len(past)} {past[:3] if past else ''}")
    now, before = rows["now"], rows["before"]
    print(f"pages that differ as images: {len(differ)} of {now[2]} {differ}")
    print(
        f"render: {now[0] / before[0]:.2f}x the reference's; print (render + write): {sum(now[:2]):.2f} s against "
        f"{sum(before[:2]):.2f}"
    )


if __name__ == "__main__":
    main()
