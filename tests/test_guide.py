"""The clinician quick guide: generated from the checklist (every levelled element with its level and who sets it)
and, per member, from its newest shared answers; HTML and a printed A4 PDF."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session

from mcwg_dashboard.checklist import Checklist, load_checklist
from mcwg_dashboard.cli import main
from mcwg_dashboard.reports import guide
from mcwg_dashboard.services.answer_data import load_answer_frame
from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version
from mcwg_dashboard.services.demo import load_demo
from mcwg_dashboard.services.errors import NotFound
from tests.helpers import ADMIN

CHECKLIST = load_checklist()


def _row_of(page: str, element_id: str) -> str:
    """The table row of one element in the guide's HTML."""
    match = re.search(rf"<tr><td><strong>[^<]*</strong><br><span class=\"note\">{element_id}</span>.*?</tr>", page)
    assert match, f"{element_id} has no row in the guide"
    return match.group(0)


def test_every_level_1_and_level_2_element_is_in_the_general_guide_with_its_level_and_who_sets_it() -> None:
    page = guide.guide_html(CHECKLIST)
    levelled = [e for s in CHECKLIST.sets for e in s.elements if e.metadata_level is not None]
    assert len(levelled) >= 20
    for element in levelled:
        row = _row_of(page, element.id)
        assert f"<td>Level {element.metadata_level}" in row, element.id
        assert guide.who_sets(element) in row.replace("&amp;", "&"), element.id
    # Level-1 elements under "Filter first", level-2 under "Then pick".
    first, then = page.split("<h2>Then pick (level 2)</h2>")
    assert all(f'"note">{e.id}<' in first for e in levelled if e.metadata_level == 1)
    assert all(f'"note">{e.id}<' in then for e in levelled if e.metadata_level == 2)
    assert "who sets" in page.lower() and "1 to n" in page
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org", ""), "nothing from elsewhere"


def test_the_deck_s_setters_are_kept_and_the_others_are_said_to_be_the_usual_case() -> None:
    elements = CHECKLIST.elements
    assert guide.who_sets(elements["META-11"]) == "the ordering module of the EHR/EMR"
    assert guide.who_sets(elements["KOS-11"]).startswith("the system that writes the study manifest")
    assert guide.who_sets(elements["META-02"]).startswith("usually")


def test_a_changed_level_shows_in_the_next_guide() -> None:
    data = CHECKLIST.model_dump(mode="json")
    for rec_set in data["sets"]:
        for element in rec_set["elements"]:
            if element["id"] == "META-08":
                element["metadata_level"] = 1
    changed = Checklist.model_validate(data)
    first = guide.guide_html(changed).split("<h2>Then pick (level 2)</h2>")[0]
    assert '"note">META-08<' in first
    assert '"note">META-08<' not in guide.guide_html(CHECKLIST).split("<h2>Then pick (level 2)</h2>")[0]


def test_france_s_guide_says_what_works_from_its_newest_shared_answers(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    version = latest_version(session)
    assert version is not None and version.id is not None
    checklist = checklist_for_version(session, version.id)
    basis = guide.member_basis(session, "FR", checklist)
    assert basis is not None
    answers = load_answer_frame(
        session,
        columns=["round_opens_on", "round_name", "element_id", "status", "note", "target_date"],
        country_codes=["FR"],
    )
    newest = answers[answers["round_opens_on"] == answers["round_opens_on"].max()]
    assert basis.round_name == newest["round_name"].iloc[0]
    page = guide.guide_html(checklist, basis, demo=True)
    assert f"Based on the survey of {basis.round_name}, {basis.survey_state}" in page.replace("&amp;", "&")
    assert "Demo data." in page
    expected = {"IMPL": "works today", "VAR": "works today", "PART": "partly available", "PLAN": "planned"}
    checked = 0
    for element in guide.guide_elements(checklist):
        row = newest[newest["element_id"] == element.id]
        if row.empty:
            continue
        status, note, target = row.iloc[0][["status", "note", "target_date"]]
        cell = _row_of(page, element.id).rsplit("<td>", 1)[1]
        state = expected.get(status, "not available" if status != "UNK" else "not answered")
        assert cell.startswith(f"<strong>{state}</strong>"), (element.id, status, cell)
        if status == "PART" and note:
            assert guide.html.escape(str(note)) in cell
        if status == "PLAN" and target:
            assert str(target) in cell
        checked += 1
    assert checked >= 20


def test_an_unknown_member_is_refused_with_the_known_ones(session: Session) -> None:
    with pytest.raises(NotFound, match=r"Unknown member 'XX'; the members are .*FR"):
        guide.member_basis(session, "XX", CHECKLIST)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="printing needs Chromium")
def test_cli_prints_france_s_guide_as_an_a4_pdf_with_page_numbers(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out = isolated_settings / "guide-fr.pdf"
    assert main(["guide", "--member", "fr", "--out", str(out)]) == 0
    assert "for France" in capsys.readouterr().out
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45]\.\d+ 841\.\d+", pdf), "A4 pages"
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") + pdf.count(b"/Type/Page") >= 3


def test_cli_refuses_a_wrong_file_name_and_an_unknown_member(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["guide", "--out", str(isolated_settings / "guide.docx")]) == 1
    assert "must end with .pdf or .html" in capsys.readouterr().err
    assert main(["guide", "--member", "XX", "--out", str(isolated_settings / "guide.html")]) == 1
    assert "Unknown member 'XX'" in capsys.readouterr().err
    assert not (isolated_settings / "guide.html").exists()
    assert main(["guide", "--out", str(isolated_settings / "guide.html")]) == 0
    assert "<h1>Finding imaging studies" in (isolated_settings / "guide.html").read_text(encoding="utf-8")


PAGE = "mcwg_dashboard/views/guide.py"


@pytest.mark.parametrize("actor", [None, "member"])
def test_guide_page_shows_a_member_s_guide_from_the_answers_the_reader_may_see(
    isolated_settings: Path, actor: str | None
) -> None:
    from tests.test_app_pages import _dashboard

    at = _dashboard(PAGE, actor=actor)
    assert not at.exception
    frames = at.get("iframe")
    assert len(frames) == 1
    assert "Finding imaging studies: a quick guide for clinicians</h1>" in str(frames[0].proto)
    at.selectbox(key="member").set_value("FR").run()
    assert not at.exception
    shown = str(at.get("iframe")[0].proto)
    assert "Finding imaging studies: a quick guide for clinicians · France" in shown
    # France's newest shared answers in the demo are the published ones of 2025.
    assert "Based on the survey of 2025 adoption survey (demo), published answers of France" in shown
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Guide (HTML)" in labels
