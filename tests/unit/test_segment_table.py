"""The console's segment and coverage tables speak the language asked for, figures included."""

from __future__ import annotations

from rich.console import Console

from commands.segments import coverage_table, segment_table, segment_table_title
from segments.coverage import COVERAGE_LABELS

SEGMENTS = [
    {
        "segment_id": 1,
        "name": {"en": "Window shoppers", "fr": "Lèche-vitrines"},
        "size": 2375,
        "share": 0.792,
        "revenue_share": 0.326,
        "conversion": 0.072,
        "traits": {"en": ["lower cart adds (-1.1 sd)"], "fr": ["ajouts au panier ↓ (-1,1 é.-t.)"]},
        "actions": {"en": ["Newsletter: best sellers"], "fr": ["Newsletter : meilleures ventes"]},
    }
]


def _cover() -> dict:
    return {key: {"customers": 1403, "customer_share": 0.468, "revenue_share": 0.295} for key in COVERAGE_LABELS}


def _printed(renderable) -> str:
    console = Console(record=True, width=200)
    console.print(renderable)
    return console.export_text()


def test_the_french_tables_have_french_headers_and_figures() -> None:
    """`shopgraph demo --lang fr` printed '79.2%', '2,375' and 'users' in its French segment table."""
    text = _printed(segment_table(SEGMENTS, "fr", segment_table_title("r1", 3000, "fr"), width=200))
    assert "segments du run r1 (3\u202f000 clients)" in text
    assert "clients" in text and "traits principaux" in text and "Lèche-vitrines" in text
    assert "2\u202f375" in text and "79,2\u202f%" in text and "32,6\u202f%" in text and "79.2%" not in text
    text = _printed(coverage_table(_cover(), "fr"))
    assert "1\u202f403" in text and "46,8\u202f%" in text and "29,5\u202f%" in text


def test_the_english_tables_are_as_they_were() -> None:
    text = _printed(segment_table(SEGMENTS, "en", segment_table_title("r1", 3000, "en"), width=200))
    assert "segments of run r1 (3,000 customers)" in text and "users" in text and "top traits" in text
    assert "2,375" in text and "79.2%" in text
    text = _printed(coverage_table(_cover(), "en"))
    assert "1,403" in text and "46.8%" in text


def test_a_french_segment_name_gives_a_readable_file_name() -> None:
    """`recommend --segment Lèche-vitrines` wrote recommendations-l-che-vitrines.csv."""
    from graph.audience import slug

    assert slug("Lèche-vitrines") == "leche-vitrines"
    assert slug("Clients maison et électroménager") == "clients-maison-et-electromenager"
    assert slug("Window shoppers") == "window-shoppers" and slug("???") == "segment"
