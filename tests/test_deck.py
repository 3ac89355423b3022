"""The plenary deck: structure reopened with python-pptx, and the command line with and without Chromium."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from sqlmodel import Session, select

from mcwg_dashboard.cli import main
from mcwg_dashboard.exports import chromium_available
from mcwg_dashboard.models import SurveyRound
from mcwg_dashboard.reports.data import PlenaryData, load_plenary_data, round_answers
from mcwg_dashboard.reports.deck import DEMO_NOTICE, build_deck, deck_charts
from mcwg_dashboard.services.demo import load_demo
from tests.helpers import ADMIN

SETS = ["SPP", "META", "KOS", "KIN", "DEP"]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 90), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _demo_data(session: Session, proposals: pd.DataFrame | None = None) -> PlenaryData:
    load_demo(session, actor=ADMIN)
    rounds = {r.name: r.id for r in session.exec(select(SurveyRound))}
    later, earlier = rounds["2025 adoption survey (demo)"], rounds["2024 adoption survey (demo)"]
    assert later is not None and earlier is not None
    data = load_plenary_data(
        session, round_id=later, earlier=round_answers(session, earlier), earlier_label="2024 adoption survey (demo)"
    )
    if proposals is not None:
        data = PlenaryData(**{**data.__dict__, "proposals": proposals, "open_states": frozenset({"submitted"})})
    return data


def _titles(deck: bytes) -> tuple[list[str], list[int]]:
    presentation = Presentation(io.BytesIO(deck))
    titles, pictures = [], []
    for slide in presentation.slides:
        assert slide.shapes.title is not None
        titles.append(slide.shapes.title.text_frame.text)
        pictures.append(sum(1 for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE))
    return titles, pictures


def test_deck_has_every_slide_with_its_title_and_pictures(session: Session) -> None:
    proposals = pd.DataFrame(
        {
            "number": ["2025-001", "2025-002"],
            "title": ["Add series-level descriptors", "Old idea"],
            "state": ["submitted", "rejected"],
            "set_code": ["KOS", "META"],
            "element_ids": [["KOS-11"], []],
            "country_code": ["FR", "NO"],
            "submitted_at": [dt.datetime(2025, 5, 1, tzinfo=dt.UTC)] * 2,
            "illustrative_fields": [["number", "submitted_at"], []],
        }
    )
    data = _demo_data(session, proposals)
    charts = deck_charts(data)
    deck = build_deck(data, charts, {c.key: _png() for c in charts})
    titles, pictures = _titles(deck)
    assert titles == [
        "MCWG adoption survey\n2025 adoption survey (demo)",
        "Key figures",
        "Adoption per member: map",
        "Matrix · SPP Standards and Profiles Positioning",
        "Matrix · META Imaging Metadata & Linkages",
        "Matrix · KOS Imaging Study Manifest (DICOM KOS)",
        "Matrix · KIN Significant Images (Sharing Imaging Studies with I…",
        "Matrix · DEP Deployment (draft recommendations)",
        "Score per member (finalized sets)",
        "What changed since 2024 adoption survey (demo)",
        "Change proposals",
        *[f"{code}: most and least adopted elements" for code in SETS],
        "Agenda: elements to discuss (1 of 2)",
        "Agenda: elements to discuss (2 of 2)",
    ]
    # One chart per chart slide, none elsewhere.
    assert pictures == [0, 0] + [1] * 8 + [0] * 8
    presentation = Presentation(io.BytesIO(deck))
    every_text = " ".join(
        shape.text_frame.text for slide in presentation.slides for shape in slide.shapes if shape.has_text_frame
    )
    assert DEMO_NOTICE in every_text  # demo data is labelled on the slides
    proposal_slide = presentation.slides[titles.index("Change proposals")]
    tables = [s.table for s in proposal_slide.shapes if s.has_table]
    assert [tables[0].cell(1, c).text for c in range(5)] == [
        "2025-001 (illustrative)",  # a made-up demo number says so on the slide too
        "Add series-level descriptors",
        "KOS-11",
        "FR",
        "submitted",
    ]
    assert len(tables[0].rows) == 2  # the rejected one is not open


def test_deck_without_an_earlier_round_has_no_change_slide(session: Session) -> None:
    data = _demo_data(session)
    data = PlenaryData(**{**data.__dict__, "earlier": None, "earlier_label": None})
    charts = deck_charts(data)
    titles, _ = _titles(build_deck(data, charts, {c.key: _png() for c in charts}))
    assert not any(t.startswith("What changed") for t in titles)
    assert "Change proposals" in titles


def test_cli_deck_without_chromium_says_so_in_one_line(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    monkeypatch.setattr("mcwg_dashboard.exports.chromium_available", lambda: False)
    out = isolated_settings / "deck.pptx"
    assert main(["deck", "--round", "2025 adoption survey (demo)", "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: Chart images need Chromium")
    assert len(error.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_deck_refuses_a_wrong_file_name_or_round(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    capsys.readouterr()
    assert main(["deck", "--round", "2026 adoption survey", "--out", str(isolated_settings / "deck.pdf")]) == 1
    assert "must end with .pptx" in capsys.readouterr().err
    assert main(["deck", "--round", "no such round", "--out", str(isolated_settings / "deck.pptx")]) == 1
    assert "No survey round 'no such round'" in capsys.readouterr().err
    assert main(["deck", "--round", "2026 adoption survey", "--out", str(isolated_settings / "deck.pptx")]) == 1
    assert "No submitted answers in 2026 adoption survey yet" in capsys.readouterr().err
    assert not (isolated_settings / "deck.pptx").exists()


@pytest.mark.skipif(not chromium_available(), reason="the deck's charts need Chromium (apt-get install chromium)")
def test_cli_deck_renders_real_charts_and_the_agenda(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out, agenda = isolated_settings / "deck.pptx", isolated_settings / "agenda.csv"
    args = ["deck", "--round", "2025 adoption survey (demo)", "--since", "2024 adoption survey (demo)"]
    assert main([*args, "--out", str(out), "--agenda", str(agenda)]) == 0
    printed = capsys.readouterr().out
    assert "chart 8/8: What changed since 2024 adoption survey (demo)" in printed
    titles, pictures = _titles(out.read_bytes())
    assert len(titles) == 18 and sum(pictures) == 8
    presentation = Presentation(str(out))
    picture = next(s for s in presentation.slides[2].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
    assert Image.open(io.BytesIO(picture.image.blob)).size == (1600, 820)
    ranked = pd.read_csv(agenda, encoding="utf-8-sig")
    assert ranked["rank"].tolist() == list(range(1, 70))
