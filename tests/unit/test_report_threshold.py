"""The dossier's threshold section: how many customers the activity threshold leaves out, in the reader's language."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.i18n import num
from reports.inputs import Inputs
from reports.sections import Block, Context
from reports.sections.threshold import _below
from shopgraph.workspace import Workspace


def _said(blocks: list[Block]) -> str:
    return " ".join(b.text for b in blocks if b.kind == "p")


def _context(tmp_path, lang: str, **found) -> Context:
    return Context(Inputs(Workspace(tmp_path), **found), lang)


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "The threshold is 1 event: every"), ("fr", "Le seuil est de 1 événement")]
)
def test_a_threshold_of_one_event_says_every_customer_is_clustered(tmp_path, lang, said) -> None:
    assignments = pd.DataFrame({"user_id": [1, 2, 3], "segment_id": [1, 2, 1]})
    text = _said(_below(_context(tmp_path, lang, assignments=assignments, run={"threshold": 1})))
    assert text.startswith(said) and "0 " not in text, text
    two = _said(
        _below(_context(tmp_path, lang, assignments=assignments.assign(segment_id=[0, 2, 1]), run={"threshold": 2}))
    )
    assert num(1, lang) in two and ("Below 2 events" in two or "Sous 2 événements" in two), two
