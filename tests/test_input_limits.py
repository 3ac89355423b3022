"""Text that does not fit: every input has a limit with a clear message, no SQL error ever reaches a person."""

from __future__ import annotations

import ast
import datetime as dt
import tomllib
from pathlib import Path

import pytest
from sqlmodel import Session, select

from mcwg_dashboard.models import Answer, AuditEntry, SurveyRound
from mcwg_dashboard.services import proposals, rounds, surveys
from mcwg_dashboard.services.audit import audit_frame
from mcwg_dashboard.services.errors import InvalidState, ValidationFailed
from mcwg_dashboard.services.surveys import AnswerInput
from mcwg_dashboard.services.transaction import transaction
from tests.helpers import ADMIN, REP_FR, the_open_round
from tests.test_proposals import ProposalState, act, proposal_in

ROOT = Path(__file__).resolve().parent.parent
TEXT_INPUTS = {"text_input", "text_area"}


def _text_inputs_without_a_limit() -> list[str]:
    missing = []
    for path in sorted([*ROOT.glob("mcwg_dashboard/views/*.py"), *ROOT.glob("mcwg_dashboard/ui/*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in TEXT_INPUTS
                and not any(keyword.arg == "max_chars" for keyword in node.keywords)
            ):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return missing


def test_every_text_input_of_every_page_has_a_length_limit() -> None:
    assert _text_inputs_without_a_limit() == []


def test_tracebacks_never_reach_the_browser() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none", "a traceback shows server paths and SQL to a visitor"


def test_a_round_name_longer_than_its_column_is_refused_with_a_message(session: Session) -> None:
    version = the_open_round(session).checklist_version_id
    before = len(session.exec(select(SurveyRound)).all())
    with pytest.raises(InvalidState, match="at most 80 characters \\(this one has 81\\)"):
        rounds.open_round(
            session,
            actor=ADMIN,
            name="R" * 81,
            opens_on=dt.date(2027, 1, 1),
            closes_on=None,
            checklist_version_id=version,
        )
    with pytest.raises(ValidationFailed, match="at most 2000 characters"):
        rounds.reopen_round(session, actor=ADMIN, round_id=the_open_round(session).id or 0, reason="x" * 2001)
    assert len(session.exec(select(SurveyRound)).all()) == before


def test_proposal_texts_are_refused_when_too_long_never_cut(session: Session) -> None:
    accepted = proposal_in(session, ProposalState.ACCEPTED)
    with pytest.raises(ValidationFailed, match="reference: at most 200 characters"):
        act(session, accepted, "forward", external_body="IHE Radiology", external_reference="CP-" + "9" * 200)
    triaged = proposal_in(session, ProposalState.TRIAGED)
    with pytest.raises(ValidationFailed, match="reason: at most 4000 characters"):
        act(session, triaged, "reject", reason="because " * 600)
    assert proposals.get_proposal(session, triaged.id or 0).state == ProposalState.TRIAGED


def test_text_too_long_for_its_column_fails_with_a_message_on_every_database(session: Session) -> None:
    survey = surveys.open_survey(session, actor=REP_FR, round_id=the_open_round(session).id or 0, country_code="FR")
    surveys.save_answers(
        session, actor=REP_FR, survey_id=survey.id or 0, answers=[AnswerInput(element_id="KOS-01", status="IMPL")]
    )
    answer = session.exec(select(Answer).where(Answer.element_id == "KOS-01")).one()
    with pytest.raises(ValidationFailed, match="answered by: at most 80 characters"), transaction(session):
        answer.answered_by = "x" * 81  # a path no service offers: the last guard still speaks plainly
        session.add(answer)
    session.expire_all()
    assert session.exec(select(Answer).where(Answer.element_id == "KOS-01")).one().answered_by == "rep-fr"


@pytest.mark.parametrize("typed", ["\x00KOS", "%", "_", "KOS\\", "x" * 5000])
def test_the_audit_filter_takes_any_text_and_matches_it_literally(session: Session, typed: str) -> None:
    log = audit_frame(session, actor=ADMIN, key_contains=typed)
    keys = [entry.entity_key for entry in session.exec(select(AuditEntry))]
    wanted = typed.replace("\x00", "")[:120]
    assert len(log) == sum(wanted in key for key in keys)
