"""The audit log: filters, and only the focus group reads it."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from mcwg_dashboard.services import surveys
from mcwg_dashboard.services.audit import audit_frame, survey_history
from mcwg_dashboard.services.errors import PermissionDenied
from mcwg_dashboard.services.surveys import AnswerInput
from tests.helpers import ADMIN, MEMBER, REP_FR, the_open_round


def _save_twice(session: Session) -> str:
    survey_round = the_open_round(session)
    survey = surveys.open_survey(session, actor=REP_FR, round_id=survey_round.id or 0, country_code="FR")
    assert survey.id is not None
    surveys.save_answers(
        session, actor=REP_FR, survey_id=survey.id, answers=[AnswerInput(element_id="KOS-01", status="CONS")]
    )
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey.id,
        answers=[AnswerInput(element_id="KOS-01", status="IMPL", expected_version=1)],
    )
    return survey_round.name


def test_log_filters_by_who_action_and_key(session: Session) -> None:
    _save_twice(session)
    everything = audit_frame(session, actor=ADMIN)
    assert {"load_checklist", "create_round", "open_survey", "save_answer"} <= set(everything["Action"])
    mine = audit_frame(session, actor=ADMIN, who="rep-fr", action="save_answer", key_contains="KOS-01")
    assert len(mine) == 2
    assert mine["After"].iloc[0] == "status: IMPL", "newest first"


@pytest.mark.parametrize("actor", [REP_FR, MEMBER])
def test_only_the_focus_group_reads_the_log(session: Session, actor: object) -> None:
    with pytest.raises(PermissionDenied):
        audit_frame(session, actor=actor)  # type: ignore[arg-type]


def test_answer_history_is_per_element_oldest_first(session: Session) -> None:
    round_name = _save_twice(session)
    history = survey_history(session, round_name=round_name, country_code="FR")
    assert list(history) == ["KOS-01"]
    assert [e.after["status"] for e in history["KOS-01"] if e.after] == ["CONS", "IMPL"]
