"""The dossier's drift decision in the reader's language, and its confusion matrix over published segments only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.i18n import num
from reports.inputs import Inputs
from reports.sections import Block, Context
from reports.sections.assign import _confusion
from reports.sections.over_time import _drift
from segments.drift import PSI_RETRAIN, measure_drift
from shopgraph.workspace import Workspace

#: The English decision sentences segments/drift.py writes into run.json["drift"]["reason"].
ENGLISH = (
    "retrain",
    "median PSI",
    "worst",
    "segment-share",
    "low-confidence",
    "assign with the trained",
    "no new customers",
    "no drift to measure",
    "no metric",
)


def _context(tmp_path, lang: str, **found) -> Context:
    return Context(Inputs(Workspace(tmp_path), **found), lang)


def _said(blocks: list[Block]) -> str:
    return " ".join(b.text for b in blocks if b.kind == "p")


def _shifted() -> dict:
    rng = np.random.default_rng(2)

    def metrics(n: int, shift: float) -> dict[str, np.ndarray]:
        return {
            "purchase_rate": rng.beta(2, 20, n) + shift,
            "promo_share": rng.beta(2, 5, n) + shift,
            "events_per_session": rng.lognormal(1.5, 0.5, n) + 10 * shift,
        }

    report = measure_drift(
        metrics(4000, 0.0),
        metrics(600, 0.3),
        training_shares={1: 0.5, 2: 0.5},
        new_segments=np.array([1] * 580 + [2] * 20),
        new_low_confidence=np.array([True] * 300 + [False] * 300),
        training_low_confidence_share=0.05,
    )
    assert report.retrain and len(report.causes) == 3
    return report.as_record()


def _same() -> dict:
    rng = np.random.default_rng(1)
    same = {"purchase_rate": rng.beta(2, 20, 3000)}
    report = measure_drift(
        same,
        {"purchase_rate": rng.beta(2, 20, 500)},
        training_shares={1: 0.5, 2: 0.5},
        new_segments=rng.integers(1, 3, 500),
        new_low_confidence=rng.random(500) < 0.05,
        training_low_confidence_share=0.05,
    )
    assert not report.retrain
    return report.as_record()


@pytest.mark.parametrize("make", [_shifted, _same])
def test_the_french_drift_decision_has_no_english_sentence(tmp_path, make) -> None:
    record = make()
    french = _said(_drift(_context(tmp_path, "fr"), {"drift": record}))
    assert french.startswith("Décision : ")
    for english in ENGLISH:
        assert english not in french, english
    assert "PSI médian" in french and "0,25" in french
    english_text = _said(_drift(_context(tmp_path, "en"), {"drift": record}))
    assert english_text.startswith("Decision: ") and "median PSI" in english_text


def test_the_retrain_causes_are_told_with_their_figures(tmp_path) -> None:
    record = _shifted()
    french = _said(_drift(_context(tmp_path, "fr"), {"drift": record}))
    assert "réentraîné" in french
    assert f"PSI médian des indicateurs clés {num(record['causes'][0]['value'], 'fr', 3)} > 0,25" in french
    assert "PSI des parts de segments" in french and "part des affectations de faible confiance 50,0" in french
    english = _said(_drift(_context(tmp_path, "en"), {"drift": record}))
    assert "median PSI of the key metrics" in english and "(worst: " in english


def test_an_older_run_json_with_only_the_english_sentence_is_told_in_french_from_its_figures(tmp_path) -> None:
    record = _shifted()
    english_reason = record["reason"]
    older = {k: v for k, v in record.items() if k != "causes"}  # as run.json held it before the codes
    french = _said(_drift(_context(tmp_path, "fr"), {"drift": older}))
    assert english_reason not in french and "PSI médian des indicateurs clés" in french
    assert french == _said(_drift(_context(tmp_path, "fr"), {"drift": record}))
    assert "median PSI of the key metrics" in _said(_drift(_context(tmp_path, "en"), {"drift": older}))
    no_figures = {"decision": "retrain", "reason": english_reason}
    assert english_reason not in _said(_drift(_context(tmp_path, "fr"), {"drift": no_figures}))
    assert english_reason in _said(_drift(_context(tmp_path, "en"), {"drift": no_figures}))


def test_no_new_customers_is_said_in_french(tmp_path) -> None:
    record = measure_drift({"purchase_rate": np.ones(10)}, {}).as_record()
    assert not record["causes"]
    french = _said(_drift(_context(tmp_path, "fr"), {"drift": record}))
    assert "aucun nouveau client" in french and "nothing" not in french


def test_the_cause_codes_rebuild_the_decision() -> None:
    record = _shifted()
    assert [c["code"] for c in record["causes"]] == ["median_psi", "segment_share_psi", "low_confidence_share"]
    assert record["causes"][0]["value"] > PSI_RETRAIN and record["causes"][0]["worst"] in record["psi"]
    assert record["reason"].startswith("retrain: median PSI of the key metrics")


def test_the_dossier_confusion_matrix_leaves_out_an_unpublished_segment(tmp_path) -> None:
    confusion = pd.DataFrame(
        [[40, 2, 1], [3, 30, 0], [5, 1, 0]], index=pd.Index([1, 2, 9], name="segment_id"), columns=["1", "2", "9"]
    )  # segment 9: in an older run's file, not in segments.json
    segments = [
        {"segment_id": 0, "name": {"en": "Not enough activity yet", "fr": "Activité insuffisante"}},
        {"segment_id": 1, "name": {"en": "Window shoppers", "fr": "Lèche-vitrines"}},
        {"segment_id": 2, "name": {"en": "Bargain hunters", "fr": "Chasseurs de bonnes affaires"}},
    ]
    c = _context(tmp_path, "fr", confusion=confusion, segments=segments)
    matrix, rows, cols = _confusion(c, {})
    assert matrix.tolist() == [[40, 2], [3, 30]]
    assert rows == cols == ["Lèche-vitrines", "Chasseurs de bonnes affaires"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_run_that_clustered_a_sample_says_so_in_the_assign_section(tmp_path, lang: str) -> None:
    from reports.sections.assign import _how_assigned

    assignments = pd.DataFrame(
        {"segment_id": [1, 2], "assigned_by": ["cluster", "classifier"], "confidence": [1.0, 0.9]}
    )
    sampled = {"inputs": {"users_clustered": 1_000_000, "users_with_enough_events": 6_200_000}}
    said = _said(_how_assigned(_context(tmp_path, lang, run=sampled, assignments=assignments)))
    assert num(1_000_000, lang) in said and num(6_200_000, lang) in said
    whole = {"inputs": {"users_clustered": 900, "users_with_enough_events": 900}}
    assert num(900, lang) not in _said(_how_assigned(_context(tmp_path, lang, run=whole, assignments=assignments)))
