"""Neo4j Browser for analysts: where it is, how to connect, the shipped style and the first queries to paste."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import quote, urlparse

import cypher
from shopgraph.settings import Settings

STYLE_RESOURCE = ("resources", "browser-style.grass")
FIRST_QUERIES = (
    "browser/current_segments",
    "browser/segment_size",
    "browser/segment_neighbourhood",
    "browser/segments_overview",
)
EXAMPLE_SEGMENT = "Window shoppers"


@dataclass(frozen=True)
class BrowserQuery:
    """A query to paste into Browser's editor: the question it answers and its Cypher."""

    name: str
    question: str  # the `//` comment the .cypher file opens with, one line per comment line
    text: str  # the Cypher without those comment lines

    @property
    def needs_name(self) -> bool:
        return "$name" in self.text


@dataclass(frozen=True)
class BrowserGuide:
    """Everything an analyst needs to open Browser on this project's Neo4j and explore the segments."""

    browser_url: str
    prefilled_url: str  # the same page with the connect form filled in (Browser's `dbms` parameter)
    connect_url: str
    user: str
    password: str  # masked, with where it comes from, exactly as `shopgraph config` shows it
    style_path: Path
    parameter_command: str
    queries: list[BrowserQuery]

    def as_table(self) -> list[tuple[str, str]]:
        return [
            ("Browser", self.browser_url),
            ("  connect form filled in", self.prefilled_url),
            ("connect URL", self.connect_url),
            ("user", self.user),
            ("password", self.password),
            ("style file", str(self.style_path)),
            (
                "load the style",
                "drag the style file onto Browser, or run in its editor what "
                "`shopgraph browser --style-command` prints",
            ),
        ]


def style_path() -> Path:
    """The shipped Browser style file (GRASS), as a path on disk."""
    return Path(str(resources.files("graph").joinpath(*STYLE_RESOURCE)))


def style_text() -> str:
    return resources.files("graph").joinpath(*STYLE_RESOURCE).read_text(encoding="utf-8")


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """Selector → properties, read the way Neo4j Browser reads a GRASS file.

    Like Browser: quotes are dropped and protect the braces of a caption template, a brace
    outside quotes inside a rule is a binding (``{name}``), a property is kept only when it
    splits on ``:`` into exactly two parts, and there are no comments.
    """
    rules: dict[str, str] = {}
    selector, body = "", ""
    in_quotes = in_rule = in_binding = False
    for char in text:
        if char in "'\"":
            in_quotes = not in_quotes
        elif char == "{" and not in_quotes:
            if in_rule:
                in_binding = True
            else:
                in_rule = True
        elif char == "}" and not in_quotes:
            if in_binding:
                in_binding = False
            else:
                rules[selector], selector, body, in_rule = body, "", "", False
        elif in_rule:
            body += char
        elif not char.isspace():
            selector += char
    parsed: dict[str, dict[str, str]] = {}
    for key, props in rules.items():
        pairs = (item.split(":") for item in props.split(";"))
        parsed[key] = {pair[0].strip(): pair[1].strip() for pair in pairs if len(pair) == 2}
    return parsed


def style_command() -> str:
    """The `:style` command that loads the shipped style when run in Browser's editor."""
    return ":style\n" + style_text().strip() + "\n"


def browser_query(name: str) -> BrowserQuery:
    """A catalog query split into its opening comment (the question) and the Cypher to paste."""
    lines = cypher.text(name).strip().splitlines()
    comment = [line for line in lines if line.lstrip().startswith("//")]
    body = [line for line in lines if not line.lstrip().startswith("//")]
    question = " ".join(line.lstrip().removeprefix("//").strip() for line in comment)
    return BrowserQuery(name=name, question=question, text="\n".join(body).strip())


def browser_guide(settings: Settings) -> BrowserGuide:
    """How to reach Browser for ``settings``' server, connect to it, style it, and what to run first."""
    host = "127.0.0.1" if settings.is_local else settings.bolt_host
    browser_url = f"http://{host}:{settings.http_port}/browser/"
    scheme = urlparse(settings.uri).scheme or "bolt"
    dbms = f"{scheme}://{settings.user}@{settings.bolt_host}:{settings.bolt_port}"
    password = dict(settings.as_table())["NEO4J_PASSWORD"]
    return BrowserGuide(
        browser_url=browser_url,
        prefilled_url=f"{browser_url}?dbms={quote(dbms, safe=':/@')}",
        connect_url=settings.uri,
        user=settings.user,
        password=password,
        style_path=style_path(),
        parameter_command=f":param name => '{EXAMPLE_SEGMENT}'",
        queries=[browser_query(name) for name in FIRST_QUERIES],
    )
