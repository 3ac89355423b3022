"""The survey write path: save, rules, conflicts, permissions, submit, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlmodel import Session, col, select

from mcwg_dashboard.excel import export_survey_workbook, plan_survey_import
from mcwg_dashboard.excel.survey_workbook import COL_DATE, COL_STATUS
from mcwg_dashboard.models import Answer, AuditEntry, SurveyState
from mcwg_dashboard.services import rounds, snapshots, surveys
from mcwg_dashboard.services.actors import Actor
from mcwg_dashboard.services.errors import ConflictError, InvalidState, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.surveys import AnswerInput
from tests.excel_helpers import edit_answers
from tests.helpers import ADMIN, MEMBER, REP_FR, REP_NO, the_open_round


def _fr_survey(session: Session) -> int:
    survey = surveys.open_survey(session, actor=REP_FR, round_id=the_open_round(session).id or 0, country_code="FR")
    assert survey.id is not None
    return survey.id


def _all_answered(session: Session, survey_id: int) -> list[AnswerInput]:
    checklist = surveys.survey_checklist(session, session.get_one(surveys.CountrySurvey, survey_id))
    return [AnswerInput(element_id=e, status="IMPL") for e in checklist.elements]


def test_saved_answers_are_read_back(session: Session) -> None:
    survey_id = _fr_survey(session)
    versions = surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey_id,
        answers=[
            AnswerInput(element_id="KOS-07", status="VAR", note="MADO rule", evidence_url="https://example.org/x"),
            AnswerInput(element_id="SPP-07", status="PLAN", target_date=dt.date(2027, 6, 1)),
        ],
    )
    assert versions == {"KOS-07": 1, "SPP-07": 1}
    stored = surveys.load_answers(session, survey_id=survey_id)
    assert stored["KOS-07"].status == "VAR"
    assert stored["KOS-07"].note == "MADO rule"
    assert stored["KOS-07"].evidence_url == "https://example.org/x"
    assert stored["SPP-07"].target_date == dt.date(2027, 6, 1)
    assert stored["SPP-07"].answered_by == "rep-fr"


def test_variant_without_note_is_refused_and_nothing_is_saved(session: Session) -> None:
    survey_id = _fr_survey(session)
    with pytest.raises(ValidationFailed) as caught:
        surveys.save_answers(
            session,
            actor=REP_FR,
            survey_id=survey_id,
            answers=[
                AnswerInput(element_id="SPP-08", status="IMPL"),
                AnswerInput(element_id="KOS-07", status="VAR"),
                AnswerInput(element_id="KOS-08", status="PLAN"),
            ],
        )
    assert set(caught.value.problems) == {"KOS-07", "KOS-08"}
    assert "note is required" in caught.value.problems["KOS-07"][0]
    assert "target date is required" in caught.value.problems["KOS-08"][0]
    assert surveys.load_answers(session, survey_id=survey_id) == {}


def test_unknown_element_and_status_are_refused(session: Session) -> None:
    survey_id = _fr_survey(session)
    with pytest.raises(ValidationFailed) as caught:
        surveys.save_answers(
            session,
            actor=REP_FR,
            survey_id=survey_id,
            answers=[AnswerInput(element_id="XYZ-99", status="IMPL"), AnswerInput(element_id="SPP-07", status="DONE")],
        )
    assert "not an element" in caught.value.problems["XYZ-99"][0]
    assert "not a status" in caught.value.problems["SPP-07"][0]


def test_malformed_evidence_url_is_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        AnswerInput(element_id="SPP-07", status="IMPL", evidence_url="www.example.org")


def test_conflicting_save_is_refused_and_first_edit_kept(session: Session, engine: object) -> None:
    survey_id = _fr_survey(session)
    surveys.save_answers(
        session, actor=REP_FR, survey_id=survey_id, answers=[AnswerInput(element_id="SPP-07", status="CONS")]
    )
    # Two tabs load version 1; the first saves, the second must not overwrite it.
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey_id,
        answers=[AnswerInput(element_id="SPP-07", status="IMPL", expected_version=1)],
    )
    with pytest.raises(ConflictError) as caught:
        surveys.save_answers(
            session,
            actor=ADMIN,
            survey_id=survey_id,
            answers=[
                AnswerInput(element_id="SPP-08", status="IMPL"),
                AnswerInput(element_id="SPP-07", status="NOPL", note="Not a national priority.", expected_version=1),
            ],
        )
    assert [c.element_id for c in caught.value.conflicts] == ["SPP-07"]
    assert caught.value.conflicts[0].changed_by == "rep-fr"
    stored = surveys.load_answers(session, survey_id=survey_id)
    assert stored["SPP-07"].status == "IMPL"
    assert stored["SPP-07"].version == 2
    assert "SPP-08" not in stored, "a refused save writes nothing, not even its non-conflicting answers"


def test_two_first_answers_to_the_same_element_conflict(session: Session) -> None:
    survey_id = _fr_survey(session)
    surveys.save_answers(
        session, actor=REP_FR, survey_id=survey_id, answers=[AnswerInput(element_id="KIN-01", status="IMPL")]
    )
    with pytest.raises(ConflictError):
        surveys.save_answers(
            session, actor=ADMIN, survey_id=survey_id, answers=[AnswerInput(element_id="KIN-01", status="CONS")]
        )


def test_every_save_leaves_an_audit_entry_with_before_and_after(session: Session) -> None:
    survey_id = _fr_survey(session)
    surveys.save_answers(
        session, actor=REP_FR, survey_id=survey_id, answers=[AnswerInput(element_id="DEP-01", status="CONS")]
    )
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey_id,
        answers=[AnswerInput(element_id="DEP-01", status="PART", note="pilot", expected_version=1)],
    )
    entries = list(
        session.exec(select(AuditEntry).where(AuditEntry.action == "save_answer").order_by(col(AuditEntry.id)))
    )
    assert [e.entity_key.endswith("/FR/DEP-01") for e in entries] == [True, True]
    assert entries[0].before is None
    assert entries[0].after is not None and entries[0].after["status"] == "CONS"
    assert entries[1].before is not None and entries[1].before["status"] == "CONS"
    assert entries[1].after == {
        "status": "PART",
        "note": "pilot",
        "evidence_url": "",
        "target_date": None,
        "stage": "",
        "regions": "",
    }
    assert {e.actor for e in entries} == {"rep-fr"}


def test_refused_save_leaves_no_audit_entry(session: Session) -> None:
    survey_id = _fr_survey(session)
    before = len(list(session.exec(select(AuditEntry))))
    with pytest.raises(ValidationFailed):
        surveys.save_answers(
            session, actor=REP_FR, survey_id=survey_id, answers=[AnswerInput(element_id="KOS-01", status="VAR")]
        )
    assert len(list(session.exec(select(AuditEntry)))) == before


@pytest.mark.parametrize("actor", [REP_NO, MEMBER])
def test_cannot_edit_other_country(session: Session, actor: Actor) -> None:
    survey_id = _fr_survey(session)
    with pytest.raises(PermissionDenied):
        surveys.save_answers(
            session, actor=actor, survey_id=survey_id, answers=[AnswerInput(element_id="SPP-07", status="IMPL")]
        )
    with pytest.raises(PermissionDenied):
        surveys.open_survey(session, actor=actor, round_id=the_open_round(session).id or 0, country_code="FR")
    assert surveys.load_answers(session, survey_id=survey_id) == {}


def test_incomplete_survey_cannot_be_submitted(session: Session) -> None:
    survey_id = _fr_survey(session)
    surveys.save_answers(session, actor=REP_FR, survey_id=survey_id, answers=_all_answered(session, survey_id)[:-1])
    with pytest.raises(ValidationFailed) as caught:
        surveys.submit_survey(session, actor=REP_FR, survey_id=survey_id, expected_version=1)
    assert list(caught.value.problems) == ["DEP-06"]
    assert session.get_one(surveys.CountrySurvey, survey_id).state == SurveyState.DRAFT


def test_complete_survey_is_submitted_then_locked(session: Session) -> None:
    survey_id = _fr_survey(session)
    surveys.save_answers(session, actor=REP_FR, survey_id=survey_id, answers=_all_answered(session, survey_id))
    submitted = surveys.submit_survey(session, actor=REP_FR, survey_id=survey_id, expected_version=1)
    assert submitted.state == SurveyState.SUBMITTED
    assert submitted.submitted_by == "rep-fr"
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "submit_survey")).first() is not None
    with pytest.raises(InvalidState, match="submitted"):
        surveys.save_answers(
            session,
            actor=REP_FR,
            survey_id=survey_id,
            answers=[
                AnswerInput(element_id="SPP-07", status="NOPL", note="Not a national priority.", expected_version=1)
            ],
        )


def test_submit_from_a_stale_page_is_refused(session: Session) -> None:
    survey_id = _fr_survey(session)
    surveys.save_answers(session, actor=REP_FR, survey_id=survey_id, answers=_all_answered(session, survey_id))
    with pytest.raises(ConflictError):
        surveys.submit_survey(session, actor=REP_FR, survey_id=survey_id, expected_version=7)


def test_completion_counts_answered_elements_per_set(session: Session) -> None:
    survey_id = _fr_survey(session)
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey_id,
        answers=[
            AnswerInput(element_id="KIN-05", status="IMPL"),
            AnswerInput(element_id="KIN-02", status="NA", note="No key images in our studies."),
        ],
    )
    survey = session.get_one(surveys.CountrySurvey, survey_id)
    completion = surveys.completion_by_set(
        surveys.survey_checklist(session, survey), surveys.load_answers(session, survey_id=survey_id)
    )
    assert "TRK" not in completion, "participation is derived, not asked"
    assert completion["KIN"] == (2, 6)
    assert completion["KOS"] == (0, 24)


def test_answers_reference_stable_element_ids(session: Session) -> None:
    survey_id = _fr_survey(session)
    surveys.save_answers(
        session, actor=REP_FR, survey_id=survey_id, answers=[AnswerInput(element_id="META-07", status="IMPL")]
    )
    assert session.exec(select(Answer.element_id)).all() == ["META-07"]


# --- dates out of range ------------------------------------------------------------------------------------------

OUT_OF_RANGE = [dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(1899, 12, 30), dt.date(2101, 1, 1)]


@pytest.mark.parametrize("target", OUT_OF_RANGE, ids=str)
def test_a_target_date_out_of_range_is_refused_with_one_message(session: Session, target: dt.date) -> None:
    with pytest.raises(ValidationError, match="must be between 2000-01-01 and 2100-12-31"):
        AnswerInput(element_id="KOS-16", status="PLAN", target_date=target)
    survey = surveys.open_survey(session, actor=REP_FR, round_id=the_open_round(session).id or 0, country_code="FR")
    data = export_survey_workbook(session, actor=REP_FR, round_id=survey.round_id, country_code="FR")
    # Typed as text: Excel itself cannot hold a date before 1900 (openpyxl reads one back as a time).
    edited = edit_answers(data, {"KOS-16": {COL_STATUS: "Planned", COL_DATE: target.isoformat()}})
    plan = plan_survey_import(session, actor=REP_FR, data=edited, filename="fr.xlsx")
    assert any("must be between 2000-01-01 and 2100-12-31" in error for error in plan.errors), plan.errors
    assert surveys.load_answers(session, survey_id=survey.id or 0) == {}


def test_the_window_edges_are_accepted(session: Session) -> None:
    for target in (dt.date(2000, 1, 1), dt.date(2100, 12, 31)):
        assert AnswerInput(element_id="KOS-16", status="PLAN", target_date=target).target_date == target


def test_round_and_meeting_dates_out_of_range_are_refused(session: Session) -> None:
    current = the_open_round(session)
    with pytest.raises(ValidationFailed, match="opens_on: must be between 2000-01-01 and 2100-12-31"):
        rounds.open_round(
            session,
            actor=ADMIN,
            name="Far future",
            opens_on=dt.date(9999, 12, 31),
            closes_on=None,
            checklist_version_id=current.checklist_version_id,
        )
    with pytest.raises(ValidationFailed, match="closes_on: must be between"):
        rounds.set_closing_date(session, actor=ADMIN, round_id=current.id or 0, closes_on=dt.date(9999, 12, 31))
    with pytest.raises(ValidationFailed, match=r"meeting_date.*must be between"):
        snapshots.create_snapshot(
            session, actor=ADMIN, name="Plenary 1899", meeting_date=dt.date(1899, 12, 30), round_id=current.id or 0
        )
