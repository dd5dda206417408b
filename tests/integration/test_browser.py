"""Neo4j Browser in real headless Chromium: connect with the test credentials, load the style, query the segments.

Debian's chromium (``/usr/bin/chromium``, installed by scripts/system-deps) driven by
Playwright's Python package, whose bundled driver needs no browser download. With
``SHOPGRAPH_SCREENSHOT=1`` the segment graph is saved to ``docs/img/browser-segments.png``
(the README's picture). Waits are explicit conditions with generous timeouts, never sleeps.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.browser import browser_guide, browser_query, parse_grass, style_command, style_text
from graph.connection import QueryRunner
from shopgraph.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "browser-segments.png"
TIMEOUT_MS = 90_000  # a cold Browser on a busy 2-core machine: generous, but a hang still fails
RUN_ID = "test-run"
SEGMENTS = [  # (segment_id, English name, French name, customers)
    (1, "Window shoppers", "Lèche-vitrines", 7),
    (2, "Loyal buyers", "Acheteurs fidèles", 4),
    (3, "Bargain hunters", "Chasseurs de promos", 3),
]
CATEGORIES = [(9001, "electronics.smartphone"), (9002, "appliances.kitchen.kettle")]
BRANDS = ["samsung", "bosch"]


@pytest.fixture
def segmented_graph(db: QueryRunner) -> Iterator[QueryRunner]:
    """A current segmentation written the way the contract says (docs: graph-contract), without the segmenter."""
    segments = [
        {
            "segment_id": sid,
            "name": name,
            "name_fr": name_fr,
            "size": size,
            "segment_key": f"{RUN_ID}/{sid}",
            "users": [sid * 1000 + i for i in range(size)],
        }
        for sid, name, name_fr, size in SEGMENTS
    ]
    db.run_text(
        """
        CREATE (run:SegmentationRun {run_id: $run, current: true, at: datetime(), k: size($segments),
                                     method: 'test fixture', threshold: 5})
        MERGE (pointer:CurrentSegmentation) SET pointer.run_id = $run
        WITH run
        UNWIND $segments AS seg
        CREATE (run)-[:HAS_SEGMENT]->(s:Segment {segment_key: seg.segment_key, segment_id: seg.segment_id,
                 run_id: $run, current: true, name: seg.name, name_fr: seg.name_fr, size: seg.size})
        WITH s, seg
        UNWIND seg.users AS user_id
        CREATE (u:User {user_id: user_id, segment: seg.name, segment_fr: seg.name_fr, segment_id: seg.segment_id,
                        segment_confidence: 0.9, segment_low_confidence: false, segmented_at: datetime(),
                        segment_run: $run})-[:IN_SEGMENT {confidence: 0.9}]->(s)
        """,
        {"run": RUN_ID, "segments": segments},
    )
    db.run_text(
        """
        UNWIND $categories AS cat
        MERGE (c:Category {category_id: cat[0]}) SET c.code = cat[1]
        WITH collect(c) AS categories
        UNWIND $brands AS name
        MERGE (b:Brand {name: name})
        WITH categories, collect(b) AS brands
        MATCH (s:Segment {run_id: $run})
        WITH s, categories[s.segment_id % size(categories)] AS category, brands[s.segment_id % size(brands)] AS brand
        CREATE (s)-[:PREFERS {lift: 2.5, share: 0.4}]->(category), (s)-[:PREFERS {lift: 1.8, share: 0.3}]->(brand)
        """,
        {"run": RUN_ID, "categories": [list(c) for c in CATEGORIES], "brands": BRANDS},
    )
    yield db
    db.run_text(
        """
        MATCH (n)
        WHERE n.run_id = $run OR n.segment_run = $run OR (n:Category AND n.category_id IN $categories)
           OR (n:Brand AND n.name IN $brands)
        DETACH DELETE n
        """,
        {"run": RUN_ID, "categories": [c[0] for c in CATEGORIES], "brands": BRANDS},
    )


@pytest.fixture
def browser_page(neo4j_settings: Settings):
    """A fresh Chromium page (no stored Browser settings or credentials); only the local server is reachable."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-deps does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright passes --no-sandbox unless chromium_sandbox=True: needed as root in a container.
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, chromium_sandbox=False, args=["--disable-dev-shm-usage"]
        )
        try:
            context = chromium.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
            # Browser asks for fonts, feedback and analytics scripts on the internet: refuse at once
            # rather than wait for a network that is not there.
            context.route(re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/])"), lambda route: route.abort())
            context.set_default_timeout(TIMEOUT_MS)
            yield context.new_page()
        finally:
            chromium.close()


def run_in_editor(page, command: str, frame_text: str | None):
    """Type ``command`` into Browser's main editor (Monaco), run it, return the frame it opens.

    The frame is found by the command it shows (``frame_text``, a part of it), newest first;
    ``None`` for a command that opens none.
    """
    from playwright.sync_api import expect

    editor = page.get_by_test_id("activeEditor")
    editor.click()
    page.wait_for_function(  # Monaco's input has the focus, so the keys go to the editor
        "() => document.activeElement?.closest('[data-testid=activeEditor]') != null", timeout=TIMEOUT_MS
    )
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(command)  # as a paste: no auto-closed brackets or quotes
    # Monaco draws only the lines in view, scrolled to the end of what was typed
    last_line = command.strip().splitlines()[-1].strip()
    expect(editor.locator(".view-lines")).to_contain_text(last_line, timeout=TIMEOUT_MS)
    page.get_by_test_id("editor-Run").click()
    if frame_text is None:
        return None
    frame = (
        page.get_by_test_id("frame").filter(has=page.get_by_test_id("frameCommand").filter(has_text=frame_text)).first
    )
    frame.wait_for(state="visible")
    return frame


def connect(page, settings: Settings) -> None:
    page.goto(browser_guide(settings).browser_url)
    page.get_by_test_id("boltaddress").wait_for(state="visible")
    page.get_by_test_id("bolt-scheme-select").select_option("bolt://")
    page.get_by_test_id("boltaddress").fill(f"{settings.bolt_host}:{settings.bolt_port}")
    page.get_by_test_id("username").fill(settings.user)
    page.get_by_test_id("password").fill(settings.password)
    page.get_by_test_id("connect").click()
    connected = page.get_by_text("You are connected as user")
    try:
        connected.wait_for(state="visible")
    except Exception:
        pytest.fail("Browser did not connect; it shows:\n" + page.get_by_test_id("stream").inner_text()[:2000])


def graph_settled(page, frame) -> None:
    """Wait until the force layout stops moving (the node positions are the same twice in a row)."""
    frame.locator("g.node").first.wait_for(state="visible")
    page.wait_for_function(
        """() => {
            const now = [...document.querySelectorAll('g.node')].map(n => n.getAttribute('transform')).join(';');
            const same = now.length > 0 && now === window.__shopgraphLayout;
            window.__shopgraphLayout = now;
            return same;
        }""",
        polling=500,
        timeout=TIMEOUT_MS,
    )


def test_browser_connects_and_shows_the_segments(
    segmented_graph: QueryRunner, browser_page, neo4j_settings: Settings
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    connect(page, neo4j_settings)

    # a segment query typed into the editor: the table shows the count the driver computes
    name = SEGMENTS[0][1]
    expected = segmented_graph.run_text("MATCH (u:User {segment: $name}) RETURN count(u) AS n", {"name": name})[0]["n"]
    assert expected == SEGMENTS[0][3]
    count_query = f"MATCH (u:User {{segment: '{name}'}}) RETURN count(u) AS n"
    frame = run_in_editor(page, count_query, count_query)
    expect(frame.locator("th[role=columnheader]")).to_have_text(["n"], timeout=TIMEOUT_MS)
    expect(frame.locator("td[role=cell]")).to_have_text([str(expected)], timeout=TIMEOUT_MS)

    # the guide's parameter command and parameterised query give the same number
    run_in_editor(page, browser_guide(neo4j_settings).parameter_command, ":param")
    size_query = browser_query("browser/segment_size").text
    frame = run_in_editor(page, size_query, "RETURN COUNT")
    expect(frame.locator("td[role=cell]")).to_have_text([str(expected)], timeout=TIMEOUT_MS)

    # the shipped style loads without a parse error
    frame = run_in_editor(page, style_command(), ":style")
    expect(frame).to_contain_text("node.Segment", timeout=TIMEOUT_MS)
    expect(frame).not_to_contain_text("Could not parse")

    # the overview graph: every node drawn, coloured and captioned by the style
    run_in_editor(page, ":clear", None)  # an empty stream: the screenshot shows one frame
    expect(page.get_by_test_id("frame")).to_have_count(0, timeout=TIMEOUT_MS)
    overview = browser_query("browser/segments_overview").text
    records = segmented_graph.run_text(
        "CALL () { " + overview + " } "
        "UNWIND members + preferences + [link] AS path UNWIND nodes(path) AS n RETURN count(DISTINCT n) AS n"
    )
    frame = run_in_editor(page, overview, "HAS_SEGMENT")
    nodes = frame.locator("g.node")
    expect(nodes).to_have_count(records[0]["n"], timeout=TIMEOUT_MS)
    graph_settled(page, frame)

    style = parse_grass(style_text())
    drawn = nodes.evaluate_all(
        """nodes => nodes.map(n => ({
            fill: n.querySelector('circle.b-outline').getAttribute('fill'),
            caption: [...n.querySelectorAll('text.caption')].map(t => t.textContent.trim()).join(' ')}))"""
    )
    by_fill: dict[str, list[str]] = {}
    for node in drawn:
        by_fill.setdefault(node["fill"].upper(), []).append(node["caption"])
    segment_names = [name for _, name, _, _ in SEGMENTS]

    def captions(label: str, expected: list[str]) -> None:
        shown = sorted(by_fill.get(style[f"node.{label}"]["color"].upper(), []))
        assert len(shown) == len(expected), f"{label}: {shown}"
        # Browser cuts a caption too long for its circle with "…"
        for caption, full in zip(shown, sorted(expected), strict=True):
            assert caption == full or (
                caption.endswith("…") and len(caption) > 4 and full.startswith(caption.removesuffix("…"))
            ), f"{label}: {caption!r}"

    captions("Segment", segment_names)
    captions("User", [name for _, name, _, size in SEGMENTS for _ in range(size)])
    captions("Category", [code for _, code in CATEGORIES])
    captions("Brand", BRANDS)
    captions("SegmentationRun", [RUN_ID])

    if os.environ.get("SHOPGRAPH_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        partial = SCREENSHOT.with_suffix(".partial.png")
        frame.screenshot(path=str(partial), animations="disabled")
        os.replace(partial, SCREENSHOT)
        assert SCREENSHOT.stat().st_size < 300_000
