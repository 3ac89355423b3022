"""User text is text in every file we write: formula triggers after any separator, control characters, sheet names."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlmodel import Session, select

from mcwg_dashboard.excel.full_export import full_export_bytes, full_export_sheets
from mcwg_dashboard.excel.proposal_register import export_register
from mcwg_dashboard.excel.safety import UploadRejected, check_upload
from mcwg_dashboard.excel.survey_workbook import export_survey_workbook, plan_survey_import
from mcwg_dashboard.exports import FORMULA_TRIGGERS, csv_bytes, neutralise, sheet_titles, xlsx_bytes
from mcwg_dashboard.models import Answer, AuditEntry, ChangeProposal, CountrySurvey, ProposalEvent, SurveyRound
from mcwg_dashboard.reports.publish import load_publish_data, write_site
from mcwg_dashboard.services import audit, proposals, rounds, users
from mcwg_dashboard.services.demo import load_demo
from mcwg_dashboard.services.future_topics import TopicInput
from mcwg_dashboard.services.profiles import ProfileInput
from mcwg_dashboard.services.surveys import AnswerInput
from mcwg_dashboard.services.users import SignInFailed
from mcwg_dashboard.text import clean_text
from tests.helpers import ADMIN, MEMBER, REP_FR, the_open_round

# Each would start a formula in a spreadsheet that splits the line on its separator (';' in French or German Excel).
INJECTIONS = ["x;=1+1", "x,=1+1", "x\t=1+1", "x|@SUM(A1:A9)", 'x;"=1+1"', "x; -2+3", "a;+1;b,@c", "=1+1"]
DIALECTS = [",", ";", "\t", "|"]
PUBLISHED_ROUND = "2025 adoption survey (demo)"


def _cells_in_every_dialect(data: bytes) -> list[str]:
    """Every cell a spreadsheet could see, whichever separator it guesses."""
    text = data.decode("utf-8-sig")
    return [cell for sep in DIALECTS for row in csv.reader(io.StringIO(text), delimiter=sep) for cell in row]


def _live_cells(data: bytes) -> list[str]:
    return [cell for cell in _cells_in_every_dialect(data) if cell.startswith(FORMULA_TRIGGERS)]


# --------------------------------------------------------------------------------- 3. formula triggers


@pytest.mark.parametrize("text", INJECTIONS)
def test_a_trigger_after_any_separator_is_neutralised_in_csv(text: str) -> None:
    data = csv_bytes(pd.DataFrame({"note": [text], "n": [1]}))
    assert _live_cells(data) == []
    # Still readable: the text is all there, with an apostrophe before each trigger.
    assert neutralise(text).replace("'", "") == text.replace("'", "")


def test_neutralising_twice_changes_nothing_and_plain_text_is_untouched() -> None:
    for text in INJECTIONS:
        assert neutralise(neutralise(text)) == neutralise(text)
    assert neutralise("KOS-07, KOS-08; see https://x.example/a-b") == "KOS-07, KOS-08; see https://x.example/a-b"


def test_excel_cells_hold_no_trigger_after_a_separator() -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(pd.DataFrame({"note": INJECTIONS}))))
    sheet = book.active
    assert sheet is not None
    for row, text in enumerate(INJECTIONS, start=2):
        cell = sheet.cell(row=row, column=1)
        assert cell.data_type == "s" and cell.value == neutralise(text)
        pieces = [piece.lstrip(' "') for sep in DIALECTS for piece in str(cell.value).split(sep)]
        assert not any(piece.startswith(FORMULA_TRIGGERS) for piece in pieces), cell.value


def test_audit_csv_neutralises_a_failed_sign_in_username(session: Session) -> None:
    """An anonymous visitor types the username; it lands in the audit log the focus group downloads."""
    with pytest.raises(SignInFailed):
        users.authenticate(session, username='x;=HYPERLINK("http://evil.example")', password="wrong")
    log = audit.audit_frame(session, actor=ADMIN)
    assert log["Who"].str.contains("=hyperlink").any()
    assert _live_cells(csv_bytes(log)) == []


def test_published_open_data_csv_neutralises_a_round_name(session: Session, tmp_path: Path) -> None:
    load_demo(session, actor=ADMIN)
    published = session.exec(select(SurveyRound).where(SurveyRound.name == PUBLISHED_ROUND)).one()
    published.name = "2025;=1+1|@SUM(A1)"
    session.commit()
    write_site(load_publish_data(session, round_id=published.id or 0), tmp_path / "site")
    data = (tmp_path / "site" / "data" / "answers.csv").read_bytes()
    assert "2025;'=1+1|'@SUM(A1)" in data.decode("utf-8-sig")
    assert _live_cells(data) == []


# --------------------------------------------------------------------------------- 4. control characters

WORD_TEXT = "line\x0bbreak\x0cpage\x00nul\x1bescape\x7f"
CLEANED = "line\nbreak\npagenulescape"


def test_control_characters_are_cleaned_at_input(session: Session) -> None:
    assert clean_text(WORD_TEXT) == CLEANED
    assert clean_text("tab\tand\r\nlines stay") == "tab\tand\r\nlines stay"
    assert AnswerInput(element_id="SPP-01", status="IMPL", note=WORD_TEXT, regions="a\x0bb").note == CLEANED
    assert ProfileInput(architectures=("A",), note=WORD_TEXT).note == CLEANED
    assert TopicInput(title="Topic\x0b title", note=WORD_TEXT).title == "Topic\n title"
    proposal = proposals.ProposalInput(
        title="A title\x0bwith a break",
        set_code="KOS",
        element_ids=["KOS-07"],
        problem="The problem\x00 here",
        proposed_change="Change\x0cit like this",
    )
    assert (proposal.title, proposal.problem, proposal.proposed_change) == (
        "A title\nwith a break",
        "The problem here",
        "Change\nit like this",
    )
    survey_round = the_open_round(session)
    made = rounds.create_round(
        session,
        actor=ADMIN,
        name="Round\x0b\x00 2031",
        opens_on=dt.date(2031, 1, 1),
        closes_on=None,
        checklist_version_id=survey_round.checklist_version_id,
    )
    assert made.name == "Round\n 2031"


def _store_control_characters_everywhere(session: Session) -> str:
    """Rows written before input was cleaned (audit entries can never change): raw control characters in the DB.

    Returns the code of the member whose open-round note holds them."""
    load_demo(session, actor=ADMIN)
    # PostgreSQL cannot store a NUL character in text at all: there the other control characters stand for it.
    word_text = WORD_TEXT if session.get_bind().dialect.name == "sqlite" else WORD_TEXT.replace("\x00", "")
    survey = session.exec(select(CountrySurvey).where(CountrySurvey.round_id == the_open_round(session).id)).first()
    assert survey is not None
    answer = session.exec(select(Answer).where(Answer.survey_id == survey.id)).first()
    assert answer is not None
    answer.note = "pasted from Word" + word_text
    proposal = session.exec(select(ChangeProposal)).first()
    assert proposal is not None
    proposal.title = "Title" + word_text
    session.add(ProposalEvent(proposal_id=proposal.id or 0, actor="x\x0b", kind="comment", comment=word_text))
    session.add(AuditEntry(actor="x\x0b", action="sign_in_failed", entity="user", entity_key="x\x0by", after=None))
    session.commit()
    return survey.country_code


def test_every_excel_export_survives_stored_control_characters(session: Session) -> None:
    country = _store_control_characters_everywhere(session)
    round_id = the_open_round(session).id or 0
    books = {
        "full export": full_export_bytes(session, actor=ADMIN),
        "survey workbook": export_survey_workbook(session, actor=ADMIN, round_id=round_id, country_code=country),
        "audit log": xlsx_bytes(audit.audit_frame(session, actor=ADMIN)),
        "proposal register": export_register(session, actor=MEMBER),
    }
    for name, data in books.items():
        book = openpyxl.load_workbook(io.BytesIO(data))
        texts = [str(c) for s in book.worksheets for row in s.iter_rows(values_only=True) for c in row if c]
        assert any("pasted from Word" in t or "Title" in t or "x\n" in t for t in texts), name
        assert not any(ch in t for t in texts for ch in "\x0b\x0c\x00\x1b"), name
    answers = openpyxl.load_workbook(io.BytesIO(books["full export"]))["Answers"]
    assert any("pasted from Word" + CLEANED in row for row in answers.iter_rows(values_only=True))


# --------------------------------------------------------------------------------- 7. sheet names from round names


def test_round_names_give_safe_unique_sheet_names_and_no_matrix_is_lost(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    all_rounds = sorted(session.exec(select(SurveyRound)), key=lambda r: r.opens_on)
    names = [
        "Round [a]? * / \\ : b",
        "2026 adoption survey of the MCWG - spring",
        "2026 adoption survey of the MCWG - autumn",
    ]
    for survey_round, name in zip(all_rounds, names, strict=False):
        survey_round.name = name
    session.commit()
    sheets = full_export_sheets(session, actor=ADMIN)
    matrices = [key for key in sheets if key.startswith("Matrix ")]
    assert len(matrices) == len(all_rounds) == 3
    book = openpyxl.load_workbook(io.BytesIO(full_export_bytes(session, actor=ADMIN)))
    written = [title for title in book.sheetnames if title.startswith("Matrix ")]
    assert len(written) == 3 and len({t.casefold() for t in written}) == 3
    assert all(len(title) <= 31 and not set("[]?*/\\:") & set(title) for title in book.sheetnames)


def test_sheet_titles_are_unique_ignoring_case_and_never_empty() -> None:
    titles = sheet_titles(["x" * 40, "X" * 40, "x" * 31, "'quoted'", "", "[]"])
    assert len({t.casefold() for t in titles}) == 6
    assert all(0 < len(t) <= 31 and not t.startswith("'") and not t.endswith("'") for t in titles)


# --------------------------------------------------------------------------------- 17. a DTD in an uploaded workbook

_DTD = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY lol "lol">]><x>&lol;</x>'


def _with_part(data: bytes, part: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == part else source.read(info))
        if part not in source.namelist():
            target.writestr(part, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("part", "content"),
    [
        pytest.param("customXml/item1.xml", _DTD.encode(), id="unreferenced-part"),
        pytest.param("docProps/app.xml", b'<?xml version="1.0"?><!doctype Properties><Properties/>', id="doctype-only"),
        pytest.param("xl/styles.xml", _DTD.encode("utf-16"), id="utf-16"),
        pytest.param("xl/theme/extra.xml", b"<x><!ENTITY e 'v'></x>", id="entity-without-doctype"),
    ],
)
def test_a_workbook_holding_a_dtd_is_refused_before_it_is_read(session: Session, part: str, content: bytes) -> None:
    survey_round = the_open_round(session)
    good = export_survey_workbook(session, actor=REP_FR, round_id=survey_round.id or 0, country_code="FR")
    check_upload(good, filename="survey-FR.xlsx")
    bad = _with_part(good, part, content)
    with pytest.raises(UploadRejected, match="DOCTYPE"):
        check_upload(bad, filename="survey-FR.xlsx")
    plan = plan_survey_import(session, actor=REP_FR, data=bad, filename="survey-FR.xlsx")
    assert plan.changes == () and any("DOCTYPE" in error for error in plan.errors)
