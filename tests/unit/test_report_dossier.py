"""The dossier: self-contained HTML, ten sections in both languages, a real A4 PDF, clear notes for missing inputs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from markupsafe import escape

from features import vocabulary
from reports import charts
from reports.dossier import build_dossier, build_sections, words_past_the_right_margin
from reports.i18n import SECTIONS, TEXT, label, num, pct, t
from reports.inputs import read_inputs
from reports.sections import BUILDERS, Context
from reports.sections.segments import section_segments
from shopgraph.workspace import Workspace
from tests.support.quick_dossier import skip_drawing
from tests.support.report_workspace import PROFILE_METRICS, RUN_ID


@pytest.fixture(scope="module")
def workspace(report_workspace: Workspace) -> Workspace:
    return report_workspace


@pytest.fixture(scope="module")
def dossiers(workspace, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("report-out")
    return {lang: build_dossier(workspace, lang, out) for lang in ("en", "fr")}


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_html_is_one_self_contained_file(dossiers, lang) -> None:
    text = dossiers[lang].html.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text, re.I)
    assert "<link" not in text and "<script" not in text
    images = re.findall(r"""<img[^>]*\ssrc="([^"]*)\"""", text)
    assert len(images) >= 20  # every chart is embedded
    assert all(src.startswith("data:image/png;base64,") for src in images)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_all_ten_sections_present_and_built(dossiers, lang) -> None:
    text = dossiers[lang].html.read_text(encoding="utf-8")
    for number, key in enumerate(SECTIONS, start=1):
        assert f"<h2>{number}. {escape(t(lang, f's.{key}'))}</h2>" in text, key
    # the full fixture run leaves no section short of an input and none failed on a field
    assert dossiers[lang].incomplete == ()
    assert t(lang, "missing.title") not in text
    assert 'class="missing"' not in text


@pytest.mark.parametrize(
    ("lang", "phrase"), [("en", "7 directions stand above noise"), ("fr", "7 directions dépassent le bruit")]
)
def test_the_metrics_section_says_what_the_segmentation_sees(dossiers, lang, phrase) -> None:
    text = dossiers[lang].html.read_text(encoding="utf-8")
    assert phrase in text and "Marchenko" in text and ("1.25" if lang == "en" else "1,25") in text


@pytest.mark.parametrize(
    ("lang", "phrase"),
    [
        ("en", "first 13/20/30 events (short-history copies, labelled with the segment of the whole history): 0.812"),
        (
            "fr",
            "13/20/30 premiers événements des clients de test (copies d'historiques courts, étiquetées avec le "
            "segment de l'historique complet) : 0,812",
        ),
    ],
)
def test_the_assignment_section_states_how_the_classifier_reads_short_histories(dossiers, lang, phrase) -> None:
    text = dossiers[lang].html.read_text(encoding="utf-8")
    assert str(escape(phrase)) in text
    assert str(escape(label(lang, "short_test"))) + " 48" in text.replace("\u202f", " ")


@pytest.mark.parametrize(
    ("lang", "phrase"),
    [
        ("en", "The study cut the histories of 300 customers with at least 30 events"),
        ("fr", "L'étude a coupé l'historique de 300 clients ayant au moins 30 événements"),
    ],
)
def test_the_threshold_section_explains_the_study_in_the_language(dossiers, lang, phrase) -> None:
    text = dossiers[lang].html.read_text(encoding="utf-8")
    assert str(escape(phrase)) in text and t(lang, "threshold.why") in text


@pytest.mark.parametrize(
    ("lang", "phrase"), [("en", "the agreement at 5 events is 0.500"), ("fr", "l'accord à 5 événements vaut 0,500")]
)
def test_the_threshold_section_states_the_chance_corrected_agreement(dossiers, lang, phrase) -> None:
    text = dossiers[lang].html.read_text(encoding="utf-8")
    assert str(escape(phrase)) in text and "κ" in text


def test_french_dossier_speaks_french(dossiers) -> None:
    text = dossiers["fr"].html.read_text(encoding="utf-8")
    for phrase in (
        "Activité insuffisante",
        "Chasseurs de bonnes affaires",
        "Évolution dans le temps",
        "Matrice de confusion",
        "Procédure de validation",
        "le dernier produit acheté",
        "15\u202f623",
    ):
        assert phrase in text, phrase
    for english in ("Not enough activity yet", "Bargain hunters", "Model selection", "customers kept"):
        assert english not in text, english
    assert "la meilleure silhouette parmi les ajustements" in text  # the run's reason, in French (reason_fr)
    # the steps' phases in the infrastructure section (run.json's and embedding.json's timings)
    for english, french in (("short histories", "historiques courts"), ("fold in", "ajout des autres clients")):
        assert english not in text and french in text, english


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pdf_is_a4_with_a_plausible_page_count(dossiers, lang) -> None:
    pdf = dossiers[lang].pdf
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert 15 <= _pages(pdf) <= 40
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width), round(height)) == (595, 842)  # A4 in points


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_table_reaches_past_the_right_margin(dossiers, lang) -> None:
    # the method scores at the chosen k (nine columns) ran 32 points into the margin before wide tables were compact
    assert words_past_the_right_margin(dossiers[lang].pdf) == []


def test_pdf_text_has_french_accents(dossiers) -> None:
    text = _pdf_text(dossiers["fr"].pdf)
    for phrase in (
        "Activité insuffisante",
        "Segments",
        "é",
        "Évolution dans le temps",
        "Le seuil d'activité",
        "Lèche-vitrines",
    ):
        assert phrase in text, phrase
    english = _pdf_text(dossiers["en"].pdf)
    assert "Not enough activity yet" in english and "Page 2 of" in english


def test_empty_workspace_gives_a_note_per_section_not_a_crash(tmp_path) -> None:
    sections = build_sections(Workspace(tmp_path), "en")
    assert [s.key for s in sections] == list(SECTIONS)
    notes = {s.key: " ".join(b.text for b in s.blocks if b.kind in ("missing", "note")) for s in sections}
    assert "shopgraph describe" in notes["data"] and "shopgraph ingest" in notes["data"]
    assert "shopgraph features" in notes["metrics"]
    for key in ("threshold", "selection", "segments", "map", "assign", "time"):
        assert "run `shopgraph segment` first" in notes[key], key
    assert "recommend_eval.json" in notes["recommend"]
    assert not any("could not be built" in n for n in notes.values())


def test_missing_and_broken_run_files_are_named(workspace, tmp_path, monkeypatch) -> None:
    skip_drawing(monkeypatch)  # the sections' notes are the subject; the charts are drawn by the tests above
    home = tmp_path / "ws"
    shutil.copytree(workspace.home, home)
    run_dir = home / "segments" / "runs" / RUN_ID
    (run_dir / "classifiers.csv").unlink()
    (run_dir / "confusion.csv").unlink()
    (run_dir / "threshold.json").unlink()
    (run_dir / "segments.json").write_text("{not json", encoding="utf-8")
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    del run["drift"], run["classifier"]
    (run_dir / "run.json").write_text(json.dumps(run), encoding="utf-8")
    sections = {s.key: s for s in build_sections(Workspace(home), "fr")}

    def said(key: str) -> str:
        return " ".join(b.text for b in sections[key].blocks if b.kind in ("missing", "note"))

    assert "classifiers.csv" in said("assign") and "matrice de confusion" in said("assign")
    assert "threshold.json" in said("threshold")
    assert "segments.json" in said("segments") and "Impossible de lire" in said("segments")
    assert "dérive" in said("time")
    # what is there still renders: the model selection, the map and the migration
    assert any(b.kind == "figure" for b in sections["selection"].blocks)
    assert any(b.kind == "figure" for b in sections["map"].blocks)


def test_a_field_of_an_unknown_shape_spoils_one_section_only(workspace, tmp_path, monkeypatch) -> None:
    skip_drawing(monkeypatch)
    home = tmp_path / "ws"
    shutil.copytree(workspace.home, home)
    run_dir = home / "segments" / "runs" / RUN_ID
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    run["drift"] = {"psi": {"recency_days": "high"}, "low_confidence_share": [1, 2]}
    (run_dir / "run.json").write_text(json.dumps(run), encoding="utf-8")
    sections = {s.key: s for s in build_sections(Workspace(home), "en")}
    assert any("could not be built" in b.text for b in sections["time"].blocks)
    assert not any(b.kind == "missing" for s in sections.values() if s.key != "time" for b in s.blocks)


def recommend_section(workspace: Workspace, lang: str) -> list:
    """The blocks of the recommendation section alone, as build_sections builds it."""
    return BUILDERS["recommend"](Context(read_inputs(workspace), lang))


def test_recommendation_section_shows_the_evaluations_reason_or_note_in_the_language(workspace, tmp_path) -> None:
    home = tmp_path / "ws"
    shutil.copytree(workspace.home, home)
    path = home / "reports" / "recommend_eval.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["models"][0]["name_fr"] = "popularité globale"
    doc.update(note="Segments saw every month.", note_fr="Les segments ont vu tous les mois.")
    path.write_text(json.dumps(doc), encoding="utf-8")
    fr = recommend_section(Workspace(home), "fr")  # the one section (the whole dossier's ten draw charts)
    assert "popularité globale" in str(fr[1].rows[0][0])  # the table's first model, in French
    assert any(b.kind == "note" and b.text == "Les segments ont vu tous les mois." for b in fr)
    path.write_text(
        json.dumps(
            {
                "k": 10,
                "users": 3,
                "models": [],
                "reason": "only 3 customer(s) bought.",
                "reason_fr": "seuls 3 client(s) ont acheté.",
            }
        ),
        encoding="utf-8",
    )
    for lang, reason in (("en", "only 3 customer(s) bought."), ("fr", "seuls 3 client(s) ont acheté.")):
        [block] = recommend_section(Workspace(home), lang)
        assert block.kind == "note" and block.text.endswith(reason), block.text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_profile_charts_name_their_bars_with_the_metric_labels_not_the_columns(workspace, lang, monkeypatch) -> None:
    drawn: list[list[str]] = []

    def profile(labels, values, lang):
        drawn.append(list(labels))
        return "data:image/png;base64,"

    monkeypatch.setattr(charts, "profile", profile)
    section_segments(Context(read_inputs(workspace), lang))
    assert len(drawn) == 5  # one chart per named segment
    words = {vocabulary.label(m, lang) for m in PROFILE_METRICS}
    for labels in drawn:
        assert labels and set(labels) <= words, labels
        assert not set(labels) & set(PROFILE_METRICS)
    assert vocabulary.label("purchase_rate", lang) in drawn[0]
    assert ("taux d'achat" if lang == "fr" else "purchase rate") in words


def _strings(value) -> list[str]:
    return [value] if isinstance(value, str) else [s for item in value for s in _strings(item)]


def test_the_dossier_quotes_no_benchmark_figure() -> None:
    """The dossier states what the run measured; reference figures stay in docs/BENCHMARKS.md."""
    for text in _strings(list(TEXT.values())):
        assert not re.search(r"\d\s*(GiB|Gio|GB|Go|MB|Mo|k |M |CPU|/s\b)", text), text
    for lang in ("en", "fr"):
        assert "docs/BENCHMARKS.md" in t(lang, "infra.bench.note")


def test_every_metric_has_a_french_purpose() -> None:
    assert vocabulary.untranslated() == []


def test_numbers_follow_the_language() -> None:
    assert num(15623, "en") == "15,623"
    assert num(15623.25, "fr", 1) == "15\u202f623,2"
    assert pct(0.1234, "en") == "12.3\u202f%"
    assert pct(0.1234, "fr") == "12,3\u202f%"
    assert label("fr", "hit_rate@10") == "taux de succès@10"
    assert label("en", "some_new_score") == "some new score"


def test_the_customer_map_leaves_an_empty_metric_out_without_a_warning() -> None:
    """A metric empty for every sampled customer (no purchase, on real rows) is left out with no RuntimeWarning."""
    import pandas as pd

    from reports.sections.context import _fit_pca

    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [float("nan")] * 4, "c": [4.0, 1.0, 3.0, 2.0]})
    pca = _fit_pca(frame, total=4)  # filterwarnings = error: a warning fails this test
    assert pca["columns"] == ["a", "c"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_segments_section_shows_coverage_in_the_language(dossiers, workspace, lang) -> None:
    import pandas as pd

    from segments import runs

    text = dossiers[lang].html.read_text(encoding="utf-8").replace("\u202f", " ").replace("\xa0", " ")
    assert f"<h3>{escape(t(lang, 'segments.coverage'))}</h3>" in text
    assignments = pd.read_parquet(runs.current_run_dir(workspace) / "assignments.parquet")
    zero = int((assignments["segment_id"] == 0).sum())  # the fixture run has no likely segments: all "neither"
    for key, n in (("segment", len(assignments) - zero), ("likely", 0), ("neither", zero)):
        label_text = escape(t(lang, f"segments.coverage.{key}"))
        assert re.search(rf"<td>{re.escape(str(label_text))}</td>\s*<td[^>]*>{n:,}</td>".replace(",", "[ ,]"), text), (
            key
        )


def test_the_segment_overview_counts_the_members_as_they_are_now(workspace, tmp_path, monkeypatch) -> None:
    """After a month that assigned, the overview's sizes, revenue and conversion are the members' of now."""
    import pandas as pd

    from segments.coverage import segment_figures_now

    home = tmp_path / "ws"
    shutil.copytree(workspace.home, home)
    path = home / "segments" / "runs" / RUN_ID / "assignments.parquet"
    assignments = pd.read_parquet(path)
    joined = assignments.index[assignments["segment_id"] == 0][:10]
    assignments.loc[joined, "segment_id"] = 1  # ten customers a later month put in segment 1
    assignments.to_parquet(path, index=False)
    drawn = {}

    def segment_sizes(names, ids, shares, revenue, lang):
        drawn.update(ids=list(ids), shares=list(shares), revenue=list(revenue))
        return "data:image/png;base64,"

    monkeypatch.setattr(charts, "segment_sizes", segment_sizes)
    section_segments(Context(read_inputs(Workspace(home)), "en"))

    now = segment_figures_now(Workspace(home), path.parent)
    one = drawn["ids"].index(1)
    assert drawn["shares"][one] == pytest.approx((assignments["segment_id"] == 1).mean())
    assert drawn["revenue"][one] == pytest.approx(now[1]["revenue_share"])
