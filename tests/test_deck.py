"""The plenary deck: structure reopened with python-pptx, every text measured to fit, LibreOffice's PDF where it is
installed, and the command line with and without Chromium."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide
from sqlmodel import Session, select

from mcwg_dashboard.cli import main
from mcwg_dashboard.exports import chromium_available
from mcwg_dashboard.models import SurveyRound
from mcwg_dashboard.reports.data import PlenaryData, last_plenary, load_plenary_data, round_answers
from mcwg_dashboard.reports.deck import DEMO_NOTICE, IDENTITY, NOT_SUBMITTED, DeckOptions, build_deck, deck_charts
from mcwg_dashboard.reports.slide_fit import overflowing_text
from mcwg_dashboard.services.demo import load_demo
from tests.helpers import ADMIN

OPEN_ROUND = "2026 adoption survey"
MEMBERS = ["AT", "BE", "CA-QC", "CZ", "DK", "GB-ENG", "FI", "FR", "NL", "NO", "ES"]  # by name: Austria ... Spain


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 76), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _rounds(session: Session) -> dict[str, int]:
    return {r.name: r.id for r in session.exec(select(SurveyRound)) if r.id is not None}


def _open_round_data(session: Session) -> PlenaryData:
    """The demo's open round compared, as the command does by default, with the last plenary's state."""
    load_demo(session, actor=ADMIN)
    round_id = _rounds(session)[OPEN_ROUND]
    earlier = last_plenary(session, round_id)
    assert earlier is not None
    return load_plenary_data(
        session, round_id=round_id, earlier=earlier.answers, earlier_label=earlier.label, since_date=earlier.since
    )


def _deck(data: PlenaryData, options: DeckOptions | None = None) -> PresentationType:
    charts = deck_charts(data)
    return Presentation(io.BytesIO(build_deck(data, charts, {c.key: _png() for c in charts}, options)))


def _title(slide: Slide) -> str:
    assert slide.shapes.title is not None
    return slide.shapes.title.text_frame.text


def _slides(deck: PresentationType, start: str) -> list[Slide]:
    return [s for s in deck.slides if _title(s).startswith(start)]


def _tables(slide: Slide) -> list[list[list[str]]]:
    shapes: list[Any] = [s for s in slide.shapes if s.has_table]
    return [[[cell.text for cell in row.cells] for row in s.table.rows] for s in shapes]


def _texts(slide: Slide) -> str:
    shapes: list[Any] = [s for s in slide.shapes if s.has_text_frame]
    return "\n".join(s.text_frame.text for s in shapes)


def test_deck_of_the_open_round_has_every_slide_and_fits_at_16_9(session: Session) -> None:
    data = _open_round_data(session)
    deck = _deck(data, DeckOptions(meeting="MCWG plenary, December 2026", meeting_date=dt.date(2026, 12, 10)))
    titles = [_title(s) for s in deck.slides]
    assert titles[:5] == [
        "MCWG plenary, December 2026",
        "Key figures",
        "Members and their surveys",
        "Adoption per member: map",
        "Adoption per recommendation set",
    ]
    assert titles[-2:] == ["Change proposals", "Agenda: elements to discuss"]
    assert "What changed since 2025 adoption survey (demo)" in titles[-4]
    assert deck.slide_width / deck.slide_height == pytest.approx(16 / 9, rel=0.001)
    # Nothing cut, nothing overflowing: every text frame and table cell measured with the font's metrics.
    assert overflowing_text(deck) == []
    # Speaker notes on every slide hold the detail.
    assert all(s.has_notes_slide and s.notes_slide.notes_text_frame.text.strip() for s in deck.slides)
    pictures = [sum(1 for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE) for slide in deck.slides]
    assert pictures == [1 if t == "Adoption per member: map" else 0 for t in titles]


def test_title_slide_names_the_meeting_the_group_and_the_demo(session: Session) -> None:
    deck = _deck(_open_round_data(session), DeckOptions(meeting="Plenary Lisbon", meeting_date=dt.date(2026, 12, 10)))
    text = _texts(deck.slides[0])
    for expected in (IDENTITY, "Plenary Lisbon", "10 December 2026", f"Adoption survey: {OPEN_ROUND}", DEMO_NOTICE):
        assert expected in text
    assert all(IDENTITY in _texts(slide) for slide in deck.slides)  # the footer of every slide


def test_no_member_is_dropped_from_a_matrix(session: Session) -> None:
    data = _open_round_data(session)
    submitted = set(data.answers["country_code"])
    assert 0 < len(submitted) < len(MEMBERS)  # the open round: some members have not handed in
    deck = _deck(data)
    for rec_set in data.checklist.asked_sets:
        slides = _slides(deck, f"{rec_set.code} · {rec_set.title}")
        assert slides, rec_set.code
        rows_shown = []
        for slide in slides:
            (table,) = _tables(slide)
            assert table[0] == ["Element", *MEMBERS, "In production"]  # every member, by name
            for code in set(MEMBERS) - submitted:
                assert table[1][MEMBERS.index(code) + 1] == NOT_SUBMITTED
            rows_shown += [row[0] for row in table[1:]]
            assert rec_set.maturity in _texts(slide)  # set maturity on every set slide
        # Every element, with its title beside its ID.
        assert rows_shown == [f"{e.id}  {e.title}" for e in rec_set.elements]
    members = _tables(_slides(deck, "Members and their surveys")[0])[0]
    assert [row[2] == NOT_SUBMITTED for row in members[1:]] == [code not in submitted for code in MEMBERS]


def test_members_can_be_grouped_by_architecture(session: Session) -> None:
    data = _open_round_data(session)
    deck = _deck(data, DeckOptions(member_order="architecture"))
    members = _tables(_slides(deck, "Members and their surveys")[0])[0][1:]
    architectures = [row[1] or "~" for row in members]
    assert architectures == sorted(architectures)
    assert len(members) == len(MEMBERS)


def test_every_percentage_has_its_count_and_no_league_table(session: Session) -> None:
    deck = _deck(_open_round_data(session))
    titles = [_title(s) for s in deck.slides]
    assert not any("Score per member" in t for t in titles)
    for slide in _slides(deck, "KOS: most and least adopted"):
        for row in _tables(slide)[0][1:]:
            assert " over " in row[2] and "scored answer" in row[2]  # "35% over 5 scored answers"
            assert " of " in row[3]  # "1 of 5 in production"
    key_figures = _texts(_slides(deck, "Key figures")[0])
    assert "5 of 11 members" in key_figures and "scored answers" in key_figures


def test_proposals_slide_lists_open_ones_with_the_real_xca_wado_proposal(session: Session) -> None:
    deck = _deck(_open_round_data(session))
    (slide,) = _slides(deck, "Change proposals")
    rows = _tables(slide)[0][1:]
    assert any("WADO-RS" in row[2] and "XCA-I" in row[2] and row[0] == "Open" for row in rows)
    assert "CP-2023-001 (illustrative)" in [row[1] for row in rows]  # its MCWG-side number is not known


def test_proposals_decided_since_the_last_plenary_are_listed_apart(session: Session) -> None:
    data = _open_round_data(session)
    proposals = pd.DataFrame(
        {
            "number": ["2026-010", "2026-011", "2020-001"],
            "title": ["Still open", "Turned down lately", "Turned down long ago"],
            "state": ["submitted", "rejected", "rejected"],
            "state_label": ["Submitted", "Rejected", "Rejected"],
            "set_code": ["KOS", "META", "META"],
            "element_ids": [["KOS-11"], [], []],
            "state_since": pd.to_datetime(["2026-02-01", "2026-03-01", "2020-03-01"], utc=True),
            "illustrative_fields": [[], [], []],
        }
    )
    data = PlenaryData(**{**data.__dict__, "proposals": proposals, "open_states": frozenset({"submitted"})})
    (slide,) = _slides(_deck(data), "Change proposals")
    rows = _tables(slide)[0][1:]
    assert [(row[0], row[2]) for row in rows] == [
        ("Open", "Still open"),
        (f"Decided since {data.since_date:%d %b %Y}", "Turned down lately"),
    ]


@pytest.mark.parametrize("size", [8, 5])
def test_agenda_slide_has_at_most_the_asked_size_with_distinct_reasons(session: Session, size: int) -> None:
    deck = _deck(_open_round_data(session), DeckOptions(agenda_size=size))
    (slide,) = _slides(deck, "Agenda: elements to discuss")
    rows = _tables(slide)[0][1:]
    assert len(rows) == size
    reasons = [row[3] for row in rows]
    assert len(set(reasons)) == len(reasons)
    # Answers carried over into the new round concern nearly every element: said once, not on every row.
    assert not any("carried over" in reason for reason in reasons)
    assert "carried over" in _texts(slide)
    assert len({row[2] for row in rows}) >= 3  # several main reasons, not one reason filling the call


def test_deck_without_an_earlier_state_has_no_change_slide(session: Session) -> None:
    data = _open_round_data(session)
    data = PlenaryData(**{**data.__dict__, "earlier": None, "earlier_label": None, "since_date": None})
    deck = _deck(data)
    titles = [_title(s) for s in deck.slides]
    assert not any(t.startswith("What changed") for t in titles)
    assert "Change proposals" in titles
    assert overflowing_text(deck) == []


def test_changes_slide_says_who_moved_up_and_down_per_element(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    rounds = _rounds(session)
    data = load_plenary_data(
        session,
        round_id=rounds["2025 adoption survey (demo)"],
        earlier=round_answers(session, rounds["2024 adoption survey (demo)"]),
        earlier_label="2024 adoption survey (demo)",
    )
    changes = data.changes()
    assert changes is not None
    slides = _slides(_deck(data), "What changed since 2024 adoption survey (demo)")
    rows = [row for slide in slides for row in _tables(slide)[0][1:]]
    first = rows[0]
    element_id = first[0].split()[0]
    expected_up = changes[(changes["element_id"] == element_id) & (changes["change"] == "upgrade")]["country_code"]
    assert first[1] == (f"▲ {', '.join(expected_up)}" if len(expected_up) else "")


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_draws_every_slide_with_its_whole_text(session: Session, tmp_path: Path) -> None:
    data = _open_round_data(session)
    charts = deck_charts(data)
    deck = build_deck(data, charts, {c.key: _png() for c in charts}, DeckOptions(meeting="Plenary Lisbon"))
    path = tmp_path / "deck.pptx"
    path.write_bytes(deck)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "deck.pdf"
    assert pdf.exists()
    presentation = Presentation(io.BytesIO(deck))
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed to read the PDF back")
    for number, slide in enumerate(presentation.slides, start=1):
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        flat = " ".join(text.split())
        # The slide's title is drawn whole on its own page (a cut title loses its end).
        assert " ".join(_title(slide).split()) in flat, number
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)[1] == str(len(presentation.slides))  # type: ignore[index]


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


def test_cli_deck_refuses_a_wrong_file_name_round_date_or_agenda_size(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    capsys.readouterr()
    out = str(isolated_settings / "deck.pptx")
    assert main(["deck", "--round", OPEN_ROUND, "--out", str(isolated_settings / "deck.pdf")]) == 1
    assert "must end with .pptx" in capsys.readouterr().err
    assert main(["deck", "--round", "no such round", "--out", out]) == 1
    assert "No survey round 'no such round'" in capsys.readouterr().err
    assert main(["deck", "--round", OPEN_ROUND, "--out", out, "--meeting-date", "10/12/2026"]) == 1
    assert "is not a date like 2026-12-10" in capsys.readouterr().err
    assert main(["deck", "--round", OPEN_ROUND, "--out", out, "--agenda-size", "40"]) == 1
    assert "--agenda-size 40" in capsys.readouterr().err
    assert main(["deck", "--round", OPEN_ROUND, "--out", out]) == 1
    assert f"No submitted answers in {OPEN_ROUND} yet" in capsys.readouterr().err
    assert not (isolated_settings / "deck.pptx").exists()


@pytest.mark.skipif(not chromium_available(), reason="the deck's map needs Chromium (apt-get install chromium)")
def test_cli_deck_of_the_open_round_with_the_meeting_and_agenda(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    out, agenda = isolated_settings / "deck.pptx", isolated_settings / "agenda.csv"
    args = ["deck", "--round", OPEN_ROUND, "--meeting", "Plenary Lisbon", "--meeting-date", "2026-12-10"]
    assert main([*args, "--agenda-size", "6", "--out", str(out), "--agenda", str(agenda)]) == 0
    printed = capsys.readouterr().out
    assert "Comparing with 2025 adoption survey (demo)" in printed  # the last plenary, found by default
    assert " 1. Plenary Lisbon" in printed  # the slide list
    deck = Presentation(str(out))
    assert "10 December 2026" in _texts(deck.slides[0])
    assert len(_tables(_slides(deck, "Agenda")[0])[0]) == 7  # header + 6
    shapes: list[Any] = list(_slides(deck, "Adoption per member")[0].shapes)
    picture = next(s for s in shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
    assert Image.open(io.BytesIO(picture.image.blob)).size == (1600, 760)
    assert overflowing_text(deck) == []
    ranked = pd.read_csv(agenda, encoding="utf-8-sig")
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))


def test_the_map_picture_carries_every_member_score_as_its_alternative_text(session: Session) -> None:
    data = _open_round_data(session)
    slide = _slides(_deck(data), "Adoption per member: map")[0]
    picture = next(s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
    description = picture._element.xpath("./p:nvPicPr/p:cNvPr")[0].get("descr")
    assert description.startswith("Adoption per member: map: ")
    scores = data.country_scores()
    for name in scores["country_name"]:
        assert name in description, f"{name} is missing from the map's alternative text"
