"""The survey workbook: export, upload checks, import plan, apply with conflicts, formula safety."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable

import openpyxl
import pytest
from sqlmodel import Session

from mcwg_dashboard.excel import (
    MAX_UPLOAD_BYTES,
    UploadRejected,
    apply_survey_import,
    check_upload,
    export_survey_workbook,
    format_plan,
    plan_survey_import,
)
from mcwg_dashboard.excel.survey_workbook import (
    ANSWERS_SHEET,
    COL_APPLIES,
    COL_DATE,
    COL_ID,
    COL_LEVEL,
    COL_NOTE,
    COL_PROPOSED,
    COL_REGIONS,
    COL_STAGE,
    COL_STATUS,
    COL_URL,
    COLUMNS,
    EDITABLE_COLUMNS,
    FORMAT_MARKER,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    META_SHEET,
    P_OPTION,
    P_VALUE,
    PROFILE_COLUMNS,
    PROFILE_KEY,
    PROFILE_SHEET,
    PROPOSED_MARK,
)
from mcwg_dashboard.services import profiles, surveys
from mcwg_dashboard.services.actors import Actor
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.errors import ConflictError, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.surveys import AnswerInput
from tests.excel_helpers import (
    MACRO_WORKBOOK_TYPE,
    WORKBOOK_TYPE,
    book_bytes,
    column,
    content_types,
    edit_answers,
    edit_profile,
    open_book,
    profile_row,
    remove_sheet,
    rezip,
    row_of,
    set_cells,
    set_meta,
    snapshot,
    zip_of_zeros,
)
from tests.helpers import ADMIN, REP_FR, REP_NO, the_open_round

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def _round_id(session: Session) -> int:
    round_id = the_open_round(session).id
    assert round_id is not None
    return round_id


def _save(session: Session, actor: Actor, *answers: AnswerInput) -> dict[str, int]:
    survey = surveys.open_survey(session, actor=actor, round_id=_round_id(session), country_code="FR")
    assert survey.id is not None
    return surveys.save_answers(session, actor=actor, survey_id=survey.id, answers=list(answers))


def _fr_answers(session: Session) -> dict[str, surveys.Answer]:
    session.expire_all()
    survey = surveys.find_survey(session, round_id=_round_id(session), country_code="FR")
    assert survey is not None and survey.id is not None
    return surveys.load_answers(session, survey_id=survey.id)


def _export(session: Session, actor: Actor = REP_FR) -> bytes:
    return export_survey_workbook(session, actor=actor, round_id=_round_id(session), country_code="FR", now=NOW)


@pytest.fixture
def existing(session: Session) -> bytes:
    """France has answered two elements; the workbook was exported after that."""
    _save(
        session,
        REP_FR,
        AnswerInput(element_id="SPP-05", status="CONS", note="Discussed in 2025"),
        AnswerInput(element_id="KOS-07", status="VAR", note="MADO rule", evidence_url="https://example.org/kos"),
    )
    return _export(session)


# ------------------------------------------------------------------------------------------ export


def test_export_without_survey_is_blank_protected_and_described(session: Session) -> None:
    data = _export(session, ADMIN)
    check_upload(data, filename="survey-FR.xlsx")
    book = open_book(data)
    assert book.sheetnames[:2] == [INSTRUCTIONS_SHEET, ANSWERS_SHEET]
    assert book[META_SHEET].sheet_state == "veryHidden"
    assert book[LISTS_SHEET].sheet_state == "veryHidden"
    assert book.security.lockStructure
    sheet = book[ANSWERS_SHEET]
    assert [cell.value for cell in sheet[1]] == list(COLUMNS)
    assert sheet.max_row == 70, "one row per element of the 69"
    assert sheet.cell(row=2, column=1).value == "SPP-04"
    assert sheet.protection.sheet
    assert sheet.freeze_panes == "B2"
    for row in range(2, 71):
        assert all(sheet.cell(row=row, column=column(name)).value is None for name in (COL_STATUS, COL_NOTE, COL_URL))
        assert sheet.cell(row=row, column=column(COL_DATE)).value is None
    locked = {name: sheet.cell(row=10, column=column(name)).protection.locked for name in COLUMNS}
    assert locked == {name: name not in EDITABLE_COLUMNS for name in COLUMNS}
    assert sheet.cell(row=10, column=column(COL_DATE)).number_format == "yyyy-mm-dd"
    validations = {str(v.sqref): v.type for v in sheet.data_validations.dataValidation}
    assert validations["H2:H70"] == "list", "Status"
    assert validations["L2:L70"] == "list", "Stage"
    assert validations["K2:K70"] == "date"
    assert [c.value for c in book[LISTS_SHEET]["A"]][:2] == ["Implemented", "Implemented – variant"]
    meta = {row[0]: row[1] for row in book[META_SHEET].iter_rows(max_row=9, values_only=True)}
    assert meta["format"] == FORMAT_MARKER
    assert meta["country"] == "FR"
    assert meta["round_id"] == _round_id(session)
    assert meta["checklist_version"] == "2026.12"
    assert meta["exported_at"] == "2026-03-01T09:30:00+00:00"
    instructions = " ".join(str(c.value) for row in book[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    for expected in ("VAR", "Implemented – variant", "requires a note", "requires a target date", "yours or theirs"):
        assert expected in instructions


def test_export_is_pre_filled_with_current_answers_and_versions(session: Session, existing: bytes) -> None:
    book = open_book(existing)
    sheet = book[ANSWERS_SHEET]
    row = row_of(sheet, "KOS-07")
    assert sheet.cell(row=row, column=column(COL_STATUS)).value == "Implemented – variant"
    assert sheet.cell(row=row, column=column(COL_NOTE)).value == "MADO rule"
    assert sheet.cell(row=row, column=column(COL_URL)).value == "https://example.org/kos"
    versions = {row[0]: row[1] for row in book[META_SHEET].iter_rows(min_row=12, values_only=True)}
    assert versions["KOS-07"] == 1
    assert versions["SPP-04"] == 0


def test_rep_cannot_export_another_country(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        export_survey_workbook(session, actor=REP_NO, round_id=_round_id(session), country_code="FR")


# ------------------------------------------------------------------------------------------ round trip


def test_round_trip_saves_exactly_the_edits(session: Session, existing: bytes) -> None:
    before = snapshot(session)
    edited = edit_answers(
        existing,
        {
            "SPP-04": {COL_STATUS: "Implemented"},
            "SPP-05": {COL_NOTE: "Decision expected in 2026"},
            "KOS-07": {COL_URL: "https://example.org/kos-v2"},
            "KIN-02": {COL_STATUS: "Planned", COL_DATE: dt.date(2027, 6, 30)},
        },
    )
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == ()
    assert plan.conflicts == ()
    assert sorted(change.element_id for change in plan.changes) == ["KIN-02", "KOS-07", "SPP-04", "SPP-05"]
    assert snapshot(session) == before, "planning writes nothing"

    versions = apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})

    assert versions == {"SPP-04": 1, "SPP-05": 2, "KOS-07": 2, "KIN-02": 1}
    stored = _fr_answers(session)
    assert set(stored) == {"SPP-04", "SPP-05", "KOS-07", "KIN-02"}
    assert (stored["SPP-04"].status, stored["SPP-04"].note, stored["SPP-04"].evidence_url) == ("IMPL", "", "")
    assert (stored["SPP-05"].status, stored["SPP-05"].note) == ("CONS", "Decision expected in 2026")
    assert (stored["KOS-07"].status, stored["KOS-07"].note) == ("VAR", "MADO rule")
    assert stored["KOS-07"].evidence_url == "https://example.org/kos-v2"
    assert (stored["KIN-02"].status, stored["KIN-02"].target_date) == ("PLAN", dt.date(2027, 6, 30))
    assert snapshot(session)[1] == before[1] + 4, "one audit entry per saved answer"
    again = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert again.changes == () and again.errors == ()
    assert "No changes" in format_plan(again)


def test_first_import_opens_the_survey(session: Session) -> None:
    round_id = _round_id(session)
    data = export_survey_workbook(session, actor=REP_NO, round_id=round_id, country_code="NO")
    assert surveys.find_survey(session, round_id=round_id, country_code="NO") is None
    edited = edit_answers(data, {"KIN-01": {COL_STATUS: "Implemented"}})
    plan = plan_survey_import(session, actor=REP_NO, data=edited, filename="survey-NO.xlsx")
    assert plan.errors == () and plan.country_code == "NO"
    assert apply_survey_import(session, actor=REP_NO, plan=plan, resolutions={}) == {"KIN-01": 1}
    survey = surveys.find_survey(session, round_id=round_id, country_code="NO")
    assert survey is not None and survey.id is not None
    assert {e: a.status for e, a in surveys.load_answers(session, survey_id=survey.id).items()} == {"KIN-01": "IMPL"}


def test_emptied_status_means_not_answered(session: Session, existing: bytes) -> None:
    edited = edit_answers(existing, {"SPP-05": {COL_STATUS: None, COL_NOTE: None}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == ()
    assert [(c.element_id, c.old.status, c.new.status, c.new.note) for c in plan.changes] == [
        ("SPP-05", "CONS", "UNK", "")
    ]
    assert "SPP-05: status Under consideration -> Unknown / not answered" in format_plan(plan)


def test_untouched_export_plans_no_change(session: Session, existing: bytes) -> None:
    plan = plan_survey_import(session, actor=REP_FR, data=existing, filename="survey-FR.xlsx")
    assert plan.errors == () and plan.changes == ()
    assert apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={}) == {}


def test_iso_text_date_and_code_are_accepted(session: Session, existing: bytes) -> None:
    edited = edit_answers(existing, {"SPP-08": {COL_STATUS: "plan", COL_DATE: " 2028-01-15 "}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == ()
    assert [(c.element_id, c.new.status, c.new.target_date) for c in plan.changes] == [
        ("SPP-08", "PLAN", dt.date(2028, 1, 15))
    ]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        (" implemented – VARIANT ", "VAR"),
        ("var", "VAR"),
        ("Partially implemented", "PART"),
        ("≈ Implemented – variant", "VAR"),
    ],
)
def test_status_text_is_read_forgivingly(session: Session, existing: bytes, typed: str, code: str) -> None:
    edited = edit_answers(existing, {"SPP-06": {COL_STATUS: typed, COL_NOTE: "Regional pilots only"}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == ()
    assert [(c.element_id, c.new.status) for c in plan.changes] == [("SPP-06", code)]
    apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})
    assert _fr_answers(session)["SPP-06"].status == code


# ------------------------------------------------------------------------------------------ bad uploads

Builder = Callable[[bytes], tuple[bytes, str]]


def _as(name: str) -> Builder:
    return lambda good: (good, name)


def _bytes(content: bytes) -> Builder:
    return lambda good: (content, "survey-FR.xlsx")


def _file(transform: Callable[[bytes], bytes]) -> Builder:
    return lambda good: (transform(good), "survey-FR.xlsx")


def _answers(edits: dict[str, dict[str, object]]) -> Builder:
    return _file(lambda good: edit_answers(good, edits))


BAD_UPLOADS = [
    pytest.param(_as("survey-FR.xlsm"), REP_FR, "macro-enabled workbook", id="xlsm-name"),
    pytest.param(_as("survey-FR.xls"), REP_FR, "old Excel 97-2003 format", id="xls-name"),
    pytest.param(_as("survey-FR.csv"), REP_FR, "text (CSV) file", id="csv-name"),
    pytest.param(
        _bytes(b"Element ID,Status\nSPP-04,Implemented\n"), REP_FR, "not a workbook package", id="csv-renamed-xlsx"
    ),
    pytest.param(_bytes(random.Random(7).randbytes(4096)), REP_FR, "not a workbook package", id="random-bytes"),
    pytest.param(_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)), REP_FR, "old-format .xls", id="ole2-xls"),
    pytest.param(_bytes(b""), REP_FR, "is empty", id="empty"),
    pytest.param(_bytes(b"PK\x03\x04" + bytes(MAX_UPLOAD_BYTES)), REP_FR, "the limit is 5.0 MB", id="too-large"),
    pytest.param(_file(lambda good: good[: len(good) // 2]), REP_FR, "damaged", id="truncated-zip"),
    pytest.param(_file(lambda good: good[:200] + bytes(400) + good[600:]), REP_FR, "damaged", id="corrupted-part"),
    pytest.param(_file(lambda good: zip_of_zeros(good, 20)), REP_FR, "possible zip bomb", id="zip-bomb-ratio"),
    pytest.param(_file(lambda good: zip_of_zeros(good, 60)), REP_FR, "would unpack to more than", id="zip-bomb-total"),
    pytest.param(
        _file(lambda good: rezip(good, add={"xl/vbaProject.bin": b"\x00macro" * 100})),
        REP_FR,
        "contains macros",
        id="vbaproject",
    ),
    pytest.param(
        _file(
            lambda good: rezip(
                good,
                replace={
                    "[Content_Types].xml": content_types(good).replace(
                        WORKBOOK_TYPE.encode(), MACRO_WORKBOOK_TYPE.encode()
                    )
                },
            )
        ),
        REP_FR,
        "macro-enabled workbook",
        id="macro-content-type",
    ),
    pytest.param(
        _file(
            lambda good: rezip(
                good,
                replace={
                    "[Content_Types].xml": content_types(good).replace(
                        WORKBOOK_TYPE.encode(), WORKBOOK_TYPE.replace("sheet.main", "template.main").encode()
                    )
                },
            )
        ),
        REP_FR,
        "has no workbook part",
        id="not-a-workbook-type",
    ),
    pytest.param(
        _file(lambda good: rezip(good, replace={"xl/workbook.xml": b"<not-a-workbook/>"})),
        REP_FR,
        "is not a survey workbook from the dashboard: it has no 'Answers' sheet",
        id="empty-workbook-xml",
    ),
    pytest.param(
        _file(lambda good: remove_sheet(good, META_SHEET)), REP_FR, "the hidden sheet 'meta' is missing", id="no-meta"
    ),
    pytest.param(
        _file(lambda good: rezip(good, replace={"xl/styles.xml": b"<broken"})),
        REP_FR,
        "cannot be read as an Excel workbook",
        id="broken-styles-xml",
    ),
    pytest.param(
        _file(lambda good: set_meta(good, "format", "something else")),
        REP_FR,
        "meta, row 1, column B: the format marker",
        id="wrong-marker",
    ),
    pytest.param(
        _file(lambda good: set_meta(good, "country", "XX")),
        REP_FR,
        "meta, row 3, column B: there is no member with code 'XX'",
        id="unknown-country",
    ),
    pytest.param(
        _file(lambda good: set_meta(good, "round_id", 9999)),
        REP_FR,
        "meta, row 4, column B: survey round 9999 ('2026 adoption survey') does not exist",
        id="unknown-round",
    ),
    pytest.param(
        _as("survey-FR.xlsx"),
        REP_NO,
        "meta, row 3, column B: rep-no may not change the survey of FR",
        id="other-country",
    ),
    pytest.param(
        _file(lambda good: set_meta(good, "checklist_version", "1999.01")),
        REP_FR,
        "meta, row 6, column B: the workbook was made for checklist version '1999.01', but the round "
        "'2026 adoption survey' uses '2026.12'. Download a fresh workbook from the survey page or with "
        "`python -m mcwg_dashboard export-survey`.",
        id="wrong-checklist-version",
    ),
    pytest.param(
        _file(lambda good: set_cells(good, ANSWERS_SHEET, {"H1": "Answer"})),
        REP_FR,
        "Answers, row 1: the header was changed (column H should be 'Status' but is 'Answer')",
        id="changed-header",
    ),
    pytest.param(
        _file(lambda good: set_cells(good, ANSWERS_SHEET, {"A2": "XYZ-99"})),
        REP_FR,
        "Answers, row 2, column Element ID: 'XYZ-99' is not an element of checklist 2026.12",
        id="unknown-element",
    ),
    pytest.param(
        _file(lambda good: set_cells(good, ANSWERS_SHEET, {"A3": "SPP-04"})),
        REP_FR,
        "Answers, row 3, column Element ID: SPP-04 appears again (first in row 2)",
        id="duplicate-element",
    ),
    pytest.param(
        _file(lambda good: set_cells(good, ANSWERS_SHEET, {"A2": None})),
        REP_FR,
        "Answers, row 2, column Element ID: the element ID is missing",
        id="missing-element-id",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "Done"}}),
        REP_FR,
        "Answers, row 2, column Status: 'Done' is not a status of the answer scale (use one of: Implemented, "
        "Implemented – variant, Partially implemented, Planned",
        id="bad-status",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "Implemented – variant"}}),
        REP_FR,
        "Answers, row 2, column Note: a note is required for “Implemented – variant”",
        id="var-without-note",
    ),
    pytest.param(
        _answers({"KOS-07": {COL_NOTE: None}}),
        REP_FR,
        "column Note: a note is required for “Implemented – variant”",
        id="existing-var-note-removed",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "PART"}}),
        REP_FR,
        "Answers, row 2, column Note: a note is required for “Partially implemented”",
        id="part-without-note",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "Planned"}}),
        REP_FR,
        "Answers, row 2, column Target date: a target date is required for “Planned”",
        id="plan-without-date",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "Implemented", COL_URL: "www.example.org"}}),
        REP_FR,
        "Answers, row 2, column Evidence URL: 'www.example.org' must be a web address starting with http:// or https://",
        id="malformed-url",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "Implemented", COL_URL: "javascript:alert(1)"}}),
        REP_FR,
        "column Evidence URL: 'javascript:alert(1)' must be a web address",
        id="javascript-url",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "Planned", COL_DATE: "next spring"}}),
        REP_FR,
        "Answers, row 2, column Target date: 'next spring' is not a date (enter a date such as 2027-06-30)",
        id="text-date",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "Planned", COL_DATE: "2027-02-30"}}),
        REP_FR,
        "Answers, row 2, column Target date: '2027-02-30' is not a date",
        id="impossible-date",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "Implemented", COL_NOTE: "x" * 4001}}),
        REP_FR,
        "Answers, row 2, column Note: string should have at most 4000 characters",
        id="note-too-long",
    ),
    pytest.param(
        _answers({"SPP-04": {COL_STATUS: "Implemented", COL_NOTE: '=HYPERLINK("http://evil")'}}),
        REP_FR,
        "Answers, row 2, column Note: contains a formula",
        id="typed-formula",
    ),
]


@pytest.mark.parametrize(("build", "actor", "expected"), BAD_UPLOADS)
def test_bad_upload_is_rejected_and_nothing_changes(
    session: Session, existing: bytes, build: Builder, actor: Actor, expected: str
) -> None:
    data, filename = build(existing)
    before = snapshot(session)
    plan = plan_survey_import(session, actor=actor, data=data, filename=filename)
    assert len(plan.errors) == 1, plan.errors
    assert expected in plan.errors[0]
    assert plan.changes == ()
    assert snapshot(session) == before, "planning writes nothing"
    with pytest.raises(ValidationFailed):
        apply_survey_import(session, actor=actor, plan=plan, resolutions={})
    assert snapshot(session) == before


def test_file_checks_run_before_anything_opens_the_file(existing: bytes) -> None:
    check_upload(existing, filename="Survey FR.XLSX")
    with pytest.raises(UploadRejected, match="macro-enabled"):
        check_upload(existing, filename="survey.xlsm")
    archive = zipfile.ZipFile(io.BytesIO(zip_of_zeros(existing, 20)))
    assert archive.infolist()[1].file_size == 20 * 1024 * 1024


def test_every_error_is_reported_at_once_with_sheet_row_and_column(session: Session, existing: bytes) -> None:
    edited = edit_answers(
        existing,
        {
            "SPP-04": {COL_STATUS: "Done"},
            "SPP-06": {COL_STATUS: "VAR"},
            "SPP-08": {COL_STATUS: "Implemented", COL_URL: "ftp://example.org"},
            "SPP-10": {COL_STATUS: "Planned", COL_DATE: "soon"},
            "SPP-12": {COL_ID: "NOPE-1"},
            "SPP-14": {COL_STATUS: "Planned"},
        },
    )
    before = snapshot(session)
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert [message.split(":")[0] for message in plan.errors] == [
        "Answers, row 2, column Status",
        "Answers, row 4, column Note",
        "Answers, row 6, column Evidence URL",
        "Answers, row 8, column Target date",
        "Answers, row 10, column Element ID",
        "Answers, row 12, column Target date",
    ]
    text = format_plan(plan)
    assert "6 error(s)" in text and "Answers, row 10, column Element ID" in text
    with pytest.raises(ValidationFailed):
        apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})
    assert snapshot(session) == before


def test_meta_and_row_errors_come_together(session: Session, existing: bytes) -> None:
    edited = edit_answers(existing, {"SPP-04": {COL_STATUS: "Done"}})
    edited = set_meta(edited, "round_id", 9999)
    plan = plan_survey_import(session, actor=REP_NO, data=edited, filename="survey-FR.xlsx")
    assert [message.split(":")[0] for message in plan.errors] == [
        "meta, row 3, column B",
        "meta, row 4, column B",
        "Answers, row 2, column Status",
    ]


def test_submitted_survey_cannot_be_imported(session: Session, existing: bytes) -> None:
    survey = surveys.find_survey(session, round_id=_round_id(session), country_code="FR")
    assert survey is not None
    survey.state = "submitted"
    session.add(survey)
    session.commit()
    edited = edit_answers(existing, {"SPP-04": {COL_STATUS: "Implemented"}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert len(plan.errors) == 1
    assert "is submitted: it can no longer be edited" in plan.errors[0]


# ------------------------------------------------------------------------------------------ formula triggers

TRIGGER_NOTES = {"SPP-07": "=1+1", "SPP-09": "+cmd", "SPP-11": "@SUM(A1)", "SPP-13": "-x"}


def test_formula_trigger_text_is_exported_as_text_and_comes_back_unchanged(session: Session) -> None:
    _save(session, REP_FR, *(AnswerInput(element_id=e, status="NOPL", note=n) for e, n in TRIGGER_NOTES.items()))
    data = _export(session)
    book = open_book(data)
    sheet = book[ANSWERS_SHEET]
    for element_id, note in TRIGGER_NOTES.items():
        cell = sheet.cell(row=row_of(sheet, element_id), column=column(COL_NOTE))
        assert cell.data_type == "s"
        assert cell.value == note
        assert cell.quotePrefix, "Excel shows it as typed text, not a formula"
    computed = openpyxl.load_workbook(io.BytesIO(data), data_only=True)[ANSWERS_SHEET]
    assert computed.cell(row=row_of(computed, "SPP-07"), column=column(COL_NOTE)).value == "=1+1"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not any(b"<f>" in archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets"))

    # Opened and saved again by a person (here openpyxl), uploaded back: nothing changes.
    resaved = edit_answers(data, {"SPP-04": {COL_STATUS: "Implemented"}})
    before = {e: (a.note, a.version) for e, a in _fr_answers(session).items()}
    plan = plan_survey_import(session, actor=REP_FR, data=resaved, filename="survey-FR.xlsx")
    assert plan.errors == ()
    assert [change.element_id for change in plan.changes] == ["SPP-04"]
    apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})
    after = _fr_answers(session)
    assert {e: (after[e].note, after[e].version) for e in TRIGGER_NOTES} == before


def test_control_characters_are_dropped_from_the_export_without_a_spurious_change(session: Session) -> None:
    _save(session, REP_FR, AnswerInput(element_id="SPP-07", status="NOPL", note="line\x0bbreak"))
    data = _export(session)
    sheet = open_book(data)[ANSWERS_SHEET]
    # Cleaned at input (text.clean_text): Word's vertical tab is a line break.
    assert sheet.cell(row=row_of(sheet, "SPP-07"), column=column(COL_NOTE)).value == "line\nbreak"
    plan = plan_survey_import(session, actor=REP_FR, data=data, filename="survey-FR.xlsx")
    assert plan.errors == () and plan.changes == ()


# ------------------------------------------------------------------------------------------ conflicts


def _conflict_setup(session: Session) -> bytes:
    """France answered SPP-04 and SPP-05 (v1) and exported; then the focus group changed both (v2).

    The workbook changes SPP-04 (a conflict) and SPP-06 (no conflict) and leaves SPP-05 as exported.
    """
    _save(
        session,
        REP_FR,
        AnswerInput(element_id="SPP-04", status="IMPL"),
        AnswerInput(element_id="SPP-05", status="CONS"),
    )
    exported = _export(session)
    _save(
        session,
        ADMIN,
        AnswerInput(element_id="SPP-04", status="NOPL", note="Dropped", expected_version=1),
        AnswerInput(element_id="SPP-05", status="PLAN", target_date=dt.date(2027, 1, 1), expected_version=1),
    )
    return edit_answers(
        exported,
        {
            "SPP-04": {COL_STATUS: "Partially implemented", COL_NOTE: "Two regions"},
            "SPP-06": {COL_STATUS: "Implemented"},
        },
    )


def test_conflict_is_shown_and_needs_a_resolution(session: Session) -> None:
    edited = _conflict_setup(session)
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == ()
    assert sorted(c.element_id for c in plan.changes) == ["SPP-04", "SPP-06"], "untouched SPP-05 is no change"
    (conflict,) = plan.conflicts
    assert conflict.element_id == "SPP-04"
    assert (conflict.old.status, conflict.old.note) == ("NOPL", "Dropped")
    assert (conflict.new.status, conflict.new.note) == ("PART", "Two regions")
    assert (conflict.exported_version, conflict.current_version, conflict.changed_by) == (1, 2, "fg-admin")
    text = format_plan(plan)
    assert "1 change(s):" in text and "SPP-06: status Unknown / not answered -> Implemented" in text
    assert "1 conflict(s)" in text and "SPP-04: database (by fg-admin" in text and "workbook: Partially" in text

    before = snapshot(session)
    with pytest.raises(ValidationFailed) as caught:
        apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})
    assert set(caught.value.problems) == {"SPP-04"}
    assert snapshot(session) == before


def test_theirs_keeps_the_database_value_and_saves_the_rest(session: Session) -> None:
    edited = _conflict_setup(session)
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    versions = apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={"SPP-04": "theirs"})
    assert versions == {"SPP-06": 1}
    stored = _fr_answers(session)
    assert (stored["SPP-04"].status, stored["SPP-04"].version) == ("NOPL", 2)
    assert (stored["SPP-05"].status, stored["SPP-05"].target_date) == ("PLAN", dt.date(2027, 1, 1))
    assert stored["SPP-06"].status == "IMPL"


def test_mine_saves_the_workbook_value_in_the_same_save(session: Session) -> None:
    edited = _conflict_setup(session)
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    audit_before = snapshot(session)[1]
    versions = apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={"SPP-04": "mine"})
    assert versions == {"SPP-04": 3, "SPP-06": 1}
    stored = _fr_answers(session)
    assert (stored["SPP-04"].status, stored["SPP-04"].note, stored["SPP-04"].answered_by) == (
        "PART",
        "Two regions",
        "rep-fr",
    )
    assert stored["SPP-05"].status == "PLAN", "the untouched row did not overwrite the newer answer"
    assert stored["SPP-06"].status == "IMPL"
    assert snapshot(session)[1] == audit_before + 2


def test_change_between_plan_and_apply_is_a_conflict_and_nothing_is_saved(session: Session) -> None:
    edited = _conflict_setup(session)
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    _save(session, ADMIN, AnswerInput(element_id="SPP-06", status="NA", note="No such registry"))
    before = snapshot(session)
    with pytest.raises(ConflictError) as caught:
        apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={"SPP-04": "mine"})
    assert [c.element_id for c in caught.value.conflicts] == ["SPP-06"]
    assert snapshot(session) == before
    stored = _fr_answers(session)
    assert (stored["SPP-04"].status, stored["SPP-06"].status) == ("NOPL", "NA")


def test_apply_rechecks_permission(session: Session, existing: bytes) -> None:
    edited = edit_answers(existing, {"SPP-04": {COL_STATUS: "Implemented"}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    before = snapshot(session)
    with pytest.raises(PermissionDenied):
        apply_survey_import(session, actor=REP_NO, plan=plan, resolutions={})
    assert snapshot(session) == before


def test_element_id_column_is_hidden_and_locked(session: Session) -> None:
    from mcwg_dashboard.excel.survey_workbook import ANSWERS_SHEET

    data = export_survey_workbook(session, actor=ADMIN, round_id=the_open_round(session).id or 0, country_code="FR")
    sheet = open_book(data)[ANSWERS_SHEET]
    assert sheet.column_dimensions["A"].hidden
    assert sheet.cell(row=2, column=1).protection.locked
    assert sheet.protection.sheet
    assert sheet.cell(row=2, column=3).value.startswith("SPP-04 · ")


def test_rows_beyond_a_wrong_stored_sheet_size_are_still_read(session: Session, existing: bytes) -> None:
    # The workbook is read in read-only (streaming) mode, which trusts a sheet's stored size unless told not to.
    book = open_book(existing)
    last = book[ANSWERS_SHEET].cell(row=book[ANSWERS_SHEET].max_row, column=1).value
    edited = edit_answers(existing, {last: {COL_STATUS: "Implemented"}})
    with zipfile.ZipFile(io.BytesIO(edited)) as archive:
        parts = {
            name: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:A2"/>', archive.read(name))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/sheet")
        }
    assert any(b'<dimension ref="A1:A2"/>' in part for part in parts.values())
    plan = plan_survey_import(session, actor=REP_FR, data=rezip(edited, replace=parts), filename="survey-FR.xlsx")
    assert plan.errors == ()
    assert [change.element_id for change in plan.changes] == [last]


def test_an_answers_sheet_with_too_many_rows_is_refused(session: Session, existing: bytes) -> None:
    crowded = set_cells(existing, ANSWERS_SHEET, {"A1005": "SPP-04"})
    plan = plan_survey_import(session, actor=REP_FR, data=crowded, filename="survey-FR.xlsx")
    assert any("more than 1000 rows" in error for error in plan.errors)
    assert plan.changes == ()


# ------------------------------------------------------------------------------------------ deployment profile


def _fr_survey_id(session: Session) -> int:
    survey = surveys.open_survey(session, actor=REP_FR, round_id=_round_id(session), country_code="FR")
    assert survey.id is not None
    return survey.id


def _set_profile(session: Session, actor: Actor = REP_FR, expected: int = 0, **values: object) -> None:
    profiles.save_profile(
        session,
        actor=actor,
        survey_id=_fr_survey_id(session),
        profile=profiles.parse_profile(values),
        expected_version=expected,
    )


def _fr_profile(session: Session) -> surveys.DeploymentProfile:
    session.expire_all()
    profile = profiles.get_profile(session, survey_id=_fr_survey_id(session))
    assert profile is not None
    return profile


@pytest.fixture
def profiled(session: Session) -> bytes:
    """France runs architectures A and C with MHD and XDS-I.b, central repositories, nationally (profile v1).

    It answered the two elements for architecture B only, so the export proposes nothing.
    """
    _set_profile(session, architectures="A,C", stacks="MHD,XDS-I.b", repositories="central", note="Since 2023")
    _save(
        session,
        REP_FR,
        *(AnswerInput(element_id=e, status="NA", note="No cross-community gateway") for e in ("SPP-06", "SPP-09")),
    )
    return _export(session)


def _profile_answers(data: bytes) -> dict[str, object]:
    sheet = open_book(data)[PROFILE_SHEET]
    option, value = PROFILE_COLUMNS.index(P_OPTION) + 1, PROFILE_COLUMNS.index(P_VALUE) + 1
    return {
        sheet.cell(row=row, column=option).value: sheet.cell(row=row, column=value).value
        for row in range(2, sheet.max_row + 1)
    }


def test_profile_sheet_is_pre_filled_protected_and_versioned(session: Session, profiled: bytes) -> None:
    book = open_book(profiled)
    assert PROFILE_SHEET in book.sheetnames
    assert _profile_answers(profiled) == {
        "A": "yes",
        "B": "no",
        "C": "yes",
        "MHD + WADO-RS": "yes",
        "XDS-I.b + WADO-RS": "yes",
        "XCA-I + WADO-RS": "no",
        "central": "yes",
        "distributed": "no",
        "national or regional": "national",
        "which regions": None,
        "anything else": "Since 2023",
    }
    sheet = book[PROFILE_SHEET]
    assert [c.value for c in sheet[1]] == list(PROFILE_COLUMNS)
    assert sheet.protection.sheet
    row = profile_row(sheet, "B")
    assert not sheet.cell(row=row, column=PROFILE_COLUMNS.index(P_VALUE) + 1).protection.locked
    assert sheet.cell(row=row, column=PROFILE_COLUMNS.index(P_OPTION) + 1).protection.locked
    validations = {v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert validations == {'"yes,no"', '"national,regional"'}
    meta = {row[0]: row[1] for row in book[META_SHEET].iter_rows(max_row=9, values_only=True)}
    assert meta["profile_version"] == 1
    instructions = " ".join(str(c.value) for row in book[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    assert "Answer yes or no on each option row" in instructions and PROPOSED_MARK in instructions


def test_a_blank_profile_sheet_left_blank_changes_nothing(session: Session, existing: bytes) -> None:
    assert set(_profile_answers(existing).values()) == {None}
    plan = plan_survey_import(session, actor=REP_FR, data=existing, filename="survey-FR.xlsx")
    assert plan.errors == () and plan.profile_change is None


def test_profile_round_trip_saves_it_with_the_answers_in_one_save(session: Session, profiled: bytes) -> None:
    untouched = plan_survey_import(session, actor=REP_FR, data=profiled, filename="survey-FR.xlsx")
    assert untouched.errors == () and untouched.change_count == 0

    # Now B with XCA-I only, regionally: SPP-04 (A and C only) no longer applies, so Not applicable needs no note.
    edited = edit_profile(
        profiled,
        {
            "A": "no",
            "B": "Yes",
            "C": None,
            "MHD + WADO-RS": "no",
            "XDS-I.b + WADO-RS": "no",
            "XCA-I + WADO-RS": "yes",
            "national or regional": "regional",
            "which regions": "Bretagne, Normandie",
        },
    )
    edited = edit_answers(
        edited,
        {
            "SPP-04": {COL_STATUS: "Not applicable"},
            "SPP-07": {COL_STATUS: "Implemented"},
        },
    )
    before = snapshot(session)
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == ()
    assert plan.profile_change is not None and not plan.profile_change.conflict
    assert plan.profile_change.new.stored()["architectures"] == "B"
    assert sorted(c.element_id for c in plan.changes) == ["SPP-04", "SPP-07"]
    assert plan.change_count == 3
    text = format_plan(plan)
    assert "Deployment profile: architectures A, C; stacks MHD, XDS-I.b;" in text
    assert "-> architectures B; stacks XCA-I; repositories central; scope regional (Bretagne, Normandie)" in text
    assert snapshot(session) == before, "planning writes nothing"

    saved = apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})

    assert saved == {PROFILE_KEY: 2, "SPP-04": 1, "SPP-07": 1}
    profile = _fr_profile(session)
    assert (profile.architectures, profile.stacks, profile.scope, profile.regions, profile.version) == (
        "B",
        "XCA-I",
        "regional",
        "Bretagne, Normandie",
        2,
    )
    assert (_fr_answers(session)["SPP-04"].status, _fr_answers(session)["SPP-04"].note) == ("NA", "")
    assert snapshot(session)[1] == before[1] + 3, "one audit entry for the profile, one per answer"
    again = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert again.errors == () and again.change_count == 0


def test_first_profile_from_a_workbook_creates_it(session: Session, existing: bytes) -> None:
    edited = edit_profile(existing, {"A": "yes", "MHD + WADO-RS": "x"})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == () and plan.profile_change is not None and plan.profile_change.old is None
    assert "Deployment profile: none -> architectures A; stacks MHD" in format_plan(plan)
    assert apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={}) == {PROFILE_KEY: 1}
    assert (_fr_profile(session).architectures, _fr_profile(session).stacks) == ("A", "MHD")


def _rename_profile_sheet(data: bytes) -> bytes:
    book = open_book(data)
    book[PROFILE_SHEET].title = "Profil"
    return book_bytes(book)


def _profile_cell(coordinate: str, value: object) -> Builder:
    return _file(lambda good: set_cells(good, PROFILE_SHEET, {coordinate: value}))


def _profile(values: dict[str, object]) -> Builder:
    return _file(lambda good: edit_profile(good, values))


BAD_PROFILES = [
    pytest.param(
        _file(lambda good: remove_sheet(good, PROFILE_SHEET)),
        "Profile: the sheet 'Profile' (your deployment profile) is missing: was it renamed or deleted?",
        id="no-profile-sheet",
    ),
    pytest.param(_file(_rename_profile_sheet), "Profile: the sheet 'Profile' (your deployment profile)", id="renamed"),
    pytest.param(
        _profile_cell("B7", "FHIR + WADO-RS"),
        "Profile, row 7, column Option: should be 'XCA-I + WADO-RS' but is 'FHIR + WADO-RS'; the profile's items "
        "and options must not be changed",
        id="unknown-stack",
    ),
    pytest.param(
        _profile_cell("B4", "D"), "Profile, row 4, column Option: should be 'C' but is 'D'", id="unknown-architecture"
    ),
    pytest.param(
        _profile_cell("A2", "Architecture"),
        "Profile, row 2, column Profile item: should be 'Architectures' but is 'Architecture'",
        id="changed-item",
    ),
    pytest.param(
        _profile_cell("C1", "Yes/no"),
        "Profile, row 1: the header was changed (column C should be 'Your answer' but is 'Yes/no')",
        id="changed-header",
    ),
    pytest.param(
        _profile_cell("A14", "Architectures"), "Profile, row 14, column Profile item: a row was added", id="row-added"
    ),
    pytest.param(
        _profile({"B": "maybe"}), "Profile, row 3, column Your answer: 'maybe' is not yes or no", id="not-yes-no"
    ),
    pytest.param(
        _profile({"A": "no", "C": None}),
        "Profile, row 2, column Your answer: choose at least one architecture (A, B or C).",
        id="no-architecture",
    ),
    pytest.param(
        _profile({"XCA-I + WADO-RS": "yes"}),
        "Profile, row 7, column Your answer: XCA-I + WADO-RS goes with architecture B (the deck's pairing)",
        id="stack-without-its-architecture",
    ),
    pytest.param(
        _profile({"national or regional": "regional"}),
        "Profile, row 11, column Your answer: a regional scope needs the regions it covers.",
        id="regional-without-regions",
    ),
    pytest.param(
        _profile({"national or regional": "nationwide"}),
        "Profile, row 10, column Your answer: 'nationwide' is not one of national, regional.",
        id="unknown-scope",
    ),
    pytest.param(
        _profile({"anything else": '=HYPERLINK("http://evil")'}),
        "Profile, row 12, column Your answer: contains a formula",
        id="formula-in-profile",
    ),
]


@pytest.mark.parametrize(("build", "expected"), BAD_PROFILES)
def test_bad_profile_is_reported_with_its_cell_and_nothing_changes(
    session: Session, profiled: bytes, build: Builder, expected: str
) -> None:
    data, filename = build(edit_answers(profiled, {"SPP-07": {COL_STATUS: "Implemented"}}))
    before = snapshot(session)
    plan = plan_survey_import(session, actor=REP_FR, data=data, filename=filename)
    assert len(plan.errors) == 1, plan.errors
    assert expected in plan.errors[0]
    assert plan.profile_change is None
    with pytest.raises(ValidationFailed):
        apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})
    assert snapshot(session) == before


def test_profile_errors_come_before_answer_errors(session: Session, profiled: bytes) -> None:
    edited = edit_profile(profiled, {"B": "maybe"})
    edited = edit_answers(edited, {"SPP-04": {COL_STATUS: "Done"}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert [message.split(":")[0] for message in plan.errors] == [
        "Profile, row 3, column Your answer",
        "Answers, row 2, column Status",
    ]


def test_profile_changed_in_the_app_since_the_export_is_a_conflict(session: Session, profiled: bytes) -> None:
    _set_profile(session, ADMIN, expected=1, architectures="A", stacks="MHD")
    edited = edit_profile(profiled, {"distributed": "yes"})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == ()
    change = plan.profile_change
    assert change is not None and change.conflict
    assert (change.exported_version, change.current_version, change.changed_by) == (1, 2, "fg-admin")
    assert plan.conflict_keys == (PROFILE_KEY,)
    assert "Deployment profile: CONFLICT, changed by fg-admin" in format_plan(plan)
    before = snapshot(session)
    with pytest.raises(ValidationFailed) as caught:
        apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})
    assert set(caught.value.problems) == {"Deployment profile"}
    assert snapshot(session) == before

    assert apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={PROFILE_KEY: "theirs"}) == {}
    assert (_fr_profile(session).architectures, _fr_profile(session).version) == ("A", 2)
    assert apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={PROFILE_KEY: "mine"}) == {PROFILE_KEY: 3}
    profile = _fr_profile(session)
    assert (profile.architectures, profile.repositories, profile.version) == ("A,C", "central,distributed", 3)


def test_untouched_profile_never_overwrites_a_newer_one(session: Session, profiled: bytes) -> None:
    _set_profile(session, ADMIN, expected=1, architectures="B", stacks="XCA-I")
    plan = plan_survey_import(session, actor=REP_FR, data=profiled, filename="survey-FR.xlsx")
    assert plan.errors == () and plan.profile_change is None


def test_a_failed_answer_save_leaves_the_profile_unsaved_too(session: Session, profiled: bytes) -> None:
    edited = edit_profile(profiled, {"distributed": "yes"})
    edited = edit_answers(edited, {"SPP-07": {COL_STATUS: "Implemented"}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == () and plan.change_count == 2
    _save(session, ADMIN, AnswerInput(element_id="SPP-07", status="CONS"))
    before = snapshot(session)
    with pytest.raises(ConflictError):
        apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})
    assert snapshot(session) == before, "the profile saved first was rolled back with the answers"
    assert _fr_profile(session).version == 1


# ------------------------------------------------------------------------------------------ applicability


def test_not_applicable_is_proposed_where_the_profile_excludes_the_element(session: Session) -> None:
    _set_profile(session, architectures="A", stacks="MHD")
    _save(session, REP_FR, AnswerInput(element_id="SPP-06", status="CONS"))
    data = _export(session)
    sheet = open_book(data)[ANSWERS_SHEET]

    def cells(element_id: str) -> tuple[object, object, object]:
        row = row_of(sheet, element_id)
        return tuple(sheet.cell(row=row, column=column(name)).value for name in (COL_APPLIES, COL_PROPOSED, COL_STATUS))

    assert cells("SPP-04") == ("no", PROPOSED_MARK, "Not applicable"), "XDS-I.b only, unanswered: proposed"
    assert cells("SPP-06") == ("no", None, "Under consideration"), "B only, but answered: kept"
    assert cells("SPP-05") == ("yes", None, None), "MHD: applies"
    assert sheet.cell(row=row_of(sheet, "SPP-04"), column=column(COL_PROPOSED)).protection.locked

    # Kept by the representative and uploaded: saved without a note. One proposal emptied: left unanswered.
    edited = edit_answers(data, {"SPP-04": {COL_STATUS: None}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == ()
    proposed = {c.element_id for c in plan.changes}
    assert proposed == {"SPP-09"}, "B only, unanswered: proposed and kept"
    assert all(c.new.status == "NA" and c.old.status == "UNK" for c in plan.changes)
    apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})
    stored = _fr_answers(session)
    assert "SPP-04" not in stored
    assert {e for e, a in stored.items() if a.status == "NA"} == proposed


def test_not_applicable_without_a_note_on_an_applicable_element_is_refused_with_its_row(session: Session) -> None:
    _set_profile(session, architectures="B", stacks="XCA-I")
    data = _export(session)
    # The representative switches to architecture A with XDS-I.b but keeps the proposed Not applicable on SPP-04.
    edited = edit_profile(data, {"A": "yes", "B": "no", "XCA-I + WADO-RS": "no", "XDS-I.b + WADO-RS": "yes"})
    edited = edit_answers(edited, {"SPP-06": {COL_STATUS: "Not applicable"}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors[:1] == (
        "Answers, row 2, column Note: “Not applicable” needs a note: the element applies to your deployment profile, "
        "so say why it does not apply to you (or correct the profile).",
    )
    assert not any("row 4," in message for message in plan.errors), "SPP-06 (B only) does not apply to A"
    with pytest.raises(ValidationFailed):
        apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})


# ------------------------------------------------------------------------------------------ stage, regions, levels


def test_stage_and_regions_round_trip(session: Session, existing: bytes) -> None:
    edited = edit_answers(
        existing,
        {
            "SPP-07": {COL_STAGE: "in production", COL_REGIONS: "Bretagne"},
            "KIN-01": {COL_STATUS: "Implemented", COL_STAGE: "Specification"},
        },
    )
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="survey-FR.xlsx")
    assert plan.errors == ()
    assert "SPP-07: stage not said -> in production; regions 'all' -> 'Bretagne'" in format_plan(plan)
    apply_survey_import(session, actor=REP_FR, plan=plan, resolutions={})
    stored = _fr_answers(session)
    assert (stored["SPP-07"].stage, stored["SPP-07"].regions) == ("production", "Bretagne")
    assert (stored["KIN-01"].stage, stored["KIN-01"].regions) == ("specification", "")
    again = _export(session)
    sheet = open_book(again)[ANSWERS_SHEET]
    row = row_of(sheet, "KIN-01")
    assert sheet.cell(row=row, column=column(COL_STAGE)).value == "in the national specification only"
    assert not sheet.cell(row=row, column=column(COL_STAGE)).protection.locked
    plan = plan_survey_import(session, actor=REP_FR, data=again, filename="survey-FR.xlsx")
    assert plan.errors == () and plan.changes == ()
    # Emptied: back to "not said" and all regions.
    cleared = edit_answers(again, {"SPP-07": {COL_STAGE: None, COL_REGIONS: None}})
    plan = plan_survey_import(session, actor=REP_FR, data=cleared, filename="survey-FR.xlsx")
    assert [(c.element_id, c.new.stage, c.new.regions) for c in plan.changes] == [("SPP-07", "", "")]


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({COL_STAGE: "live"}, "Answers, row 5, column Stage: 'live' is not a stage (choose"),
        ({COL_REGIONS: "x" * 401}, "Answers, row 5, column Regions covered: string should have at most 400"),
    ],
)
def test_bad_stage_or_regions_is_refused_with_its_cell(
    session: Session, existing: bytes, edits: dict[str, object], expected: str
) -> None:
    plan = plan_survey_import(
        session, actor=REP_FR, data=edit_answers(existing, {"SPP-07": edits}), filename="survey-FR.xlsx"
    )
    assert len(plan.errors) == 1 and expected in plan.errors[0], plan.errors


def test_metadata_levels_keep_their_alternative(session: Session) -> None:
    sheet = open_book(_export(session))[ANSWERS_SHEET]
    levels = {
        e: sheet.cell(row=row_of(sheet, e), column=column(COL_LEVEL)).value for e in ("META-06", "META-09", "SPP-04")
    }
    assert levels == {"META-06": "L1 (or L2)", "META-09": "L2 (or L1)", "SPP-04": None}


def test_the_survey_grid_offers_exactly_the_workbook_drop_down_so_a_pasted_column_lands(session: Session) -> None:
    """The grid accepts a pasted status only when it equals one of its options: they are the workbook's labels."""
    from mcwg_dashboard.ui.survey_grid import status_display, status_options

    book = openpyxl.load_workbook(io.BytesIO(_export(session)))
    drop_down = [row[0] for row in book[LISTS_SHEET].iter_rows(min_col=1, max_col=1, values_only=True) if row[0]]
    checklist = checklist_for_version(session, the_open_round(session).checklist_version_id)
    assert status_options(checklist) == drop_down
    assert status_display(checklist, "Implemented") == "✔ Implemented", "drawn with its glyph"
