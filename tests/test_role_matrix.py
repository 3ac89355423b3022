"""Who may do what: every role against every write action, on its own and on a foreign country.

A refused action raises PermissionDenied and leaves every row of the database as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, col, select

from mcwg_dashboard.models import (
    Answer,
    AppSetting,
    AuditEntry,
    ChecklistVersion,
    Country,
    CountrySurvey,
    SurveyRound,
    SurveyState,
)
from mcwg_dashboard.services import lifecycle, rounds, surveys
from mcwg_dashboard.services.actors import Actor, Role
from mcwg_dashboard.services.checklist_store import store_checklist
from mcwg_dashboard.services.demo import load_demo
from mcwg_dashboard.services.errors import PermissionDenied
from mcwg_dashboard.services.surveys import AnswerInput
from tests.helpers import ADMIN, MEMBER, REP_FR, REP_NO, the_open_round
from tests.test_lifecycle import carried_over_survey, changed_checklist, complete_answers, survey_in_state

PUBLIC = Actor(username="anonymous", role=Role.PUBLIC)
ROLES: dict[str, Actor] = {"admin": ADMIN, "rep-fr": REP_FR, "rep-no": REP_NO, "member": MEMBER, "public": PUBLIC}

# An action's set-up brings the database to where the action makes sense (done as admin), and returns the
# action itself, to be run as the actor under test.
Action = Callable[[Actor], Any]
Setup = Callable[[Session, str], Action]


def _save(session: Session, country: str) -> Action:
    survey_id = survey_in_state(session, SurveyState.DRAFT, country=country).id or 0
    return lambda actor: surveys.save_answers(
        session,
        actor=actor,
        survey_id=survey_id,
        answers=[AnswerInput(element_id="SPP-07", status="NOPL", note="Not a national priority.", expected_version=1)],
    )


def _submit(session: Session, country: str) -> Action:
    survey = surveys.open_survey(session, actor=ADMIN, round_id=the_open_round(session).id or 0, country_code=country)
    survey_id = survey.id or 0
    surveys.save_answers(session, actor=ADMIN, survey_id=survey_id, answers=complete_answers(session, survey_id))
    return lambda actor: surveys.submit_survey(session, actor=actor, survey_id=survey_id, expected_version=1)


def _confirm(session: Session, country: str) -> Action:
    survey_id = carried_over_survey(session, country).id or 0
    return lambda actor: lifecycle.confirm_carried_over(session, actor=actor, survey_id=survey_id)


def _in_state(state: SurveyState, run: Callable[[Session, Actor, int, int], Any]) -> Setup:
    def setup(session: Session, country: str) -> Action:
        survey = survey_in_state(session, state, country=country)
        survey_id, version = survey.id or 0, survey.version
        return lambda actor: run(session, actor, survey_id, version)

    return setup


def _publish_round(session: Session, country: str) -> Action:
    survey_in_state(session, SurveyState.VALIDATED, country=country)
    round_id = the_open_round(session).id or 0
    return lambda actor: lifecycle.publish_round(session, actor=actor, round_id=round_id)


def _open_round(session: Session, country: str) -> Action:
    survey_in_state(session, SurveyState.SUBMITTED, country=country)
    current = the_open_round(session)
    return lambda actor: rounds.open_round(
        session,
        actor=actor,
        name="Next round",
        opens_on=current.opens_on + dt.timedelta(days=365),
        closes_on=None,
        checklist_version_id=current.checklist_version_id,
    )


def _close_round(session: Session, country: str) -> Action:
    round_id = the_open_round(session).id or 0
    return lambda actor: rounds.close_round(session, actor=actor, round_id=round_id)


def _reopen_round(session: Session, country: str) -> Action:
    round_id = the_open_round(session).id or 0
    rounds.close_round(session, actor=ADMIN, round_id=round_id)
    return lambda actor: rounds.reopen_round(session, actor=actor, round_id=round_id, reason="One more week.")


def _set_closing_date(session: Session, country: str) -> Action:
    current = the_open_round(session)
    new_date = current.opens_on + dt.timedelta(days=365)
    return lambda actor: rounds.set_closing_date(session, actor=actor, round_id=current.id or 0, closes_on=new_date)


def _store_checklist(session: Session, country: str) -> Action:
    checklist = changed_checklist(session)
    return lambda actor: store_checklist(session, actor=actor, checklist=checklist)


def _load_demo(session: Session, country: str) -> Action:
    return lambda actor: load_demo(session, actor=actor)


# Actions a country's representative may take for their own country.
COUNTRY_ACTIONS: dict[str, Setup] = {
    "save_answers": _save,
    "submit_survey": _submit,
    "confirm_carried_over": _confirm,
}
# Actions for the focus group only (run on the FR survey or its round).
ADMIN_ACTIONS: dict[str, Setup] = {
    "validate": _in_state(
        SurveyState.SUBMITTED,
        lambda s, actor, sid, v: lifecycle.validate_survey(s, actor=actor, survey_id=sid, expected_version=v),
    ),
    "send_back": _in_state(
        SurveyState.SUBMITTED,
        lambda s, actor, sid, v: lifecycle.send_back_survey(
            s, actor=actor, survey_id=sid, expected_version=v, comment="Please check KOS-07."
        ),
    ),
    "publish": _in_state(
        SurveyState.VALIDATED,
        lambda s, actor, sid, v: lifecycle.publish_survey(s, actor=actor, survey_id=sid, expected_version=v),
    ),
    "publish_round": _publish_round,
    "reopen": _in_state(
        SurveyState.PUBLISHED,
        lambda s, actor, sid, v: lifecycle.reopen_survey(
            s, actor=actor, survey_id=sid, expected_version=v, reason="Correction requested."
        ),
    ),
    "open_round": _open_round,
    "close_round": _close_round,
    "reopen_round": _reopen_round,
    "set_closing_date": _set_closing_date,
    "store_checklist": _store_checklist,
    "load_demo": _load_demo,
}

CASES = [
    (role, action, country)
    for role in ROLES
    for action in [*COUNTRY_ACTIONS, *ADMIN_ACTIONS]
    for country in (["FR", "NO"] if action in COUNTRY_ACTIONS else ["FR"])
]


def is_allowed(actor: Actor, action: str, country: str) -> bool:
    if actor.role is Role.ADMIN:
        return True
    return action in COUNTRY_ACTIONS and actor.role is Role.COUNTRY_REP and country in actor.countries


def snapshot(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables a write could touch."""
    session.expire_all()
    tables: list[tuple[type[SQLModel], Any]] = [
        (Answer, Answer.id),
        (CountrySurvey, CountrySurvey.id),
        (SurveyRound, SurveyRound.id),
        (AuditEntry, AuditEntry.id),
        (ChecklistVersion, ChecklistVersion.id),
        (AppSetting, AppSetting.key),
        (Country, Country.code),
    ]
    return {
        model.__name__: [row.model_dump() for row in session.exec(select(model).order_by(col(key)))]
        for model, key in tables
    }


def test_matrix_expectations() -> None:
    allowed = {(role, action, country) for role, action, country in CASES if is_allowed(ROLES[role], action, country)}
    rep_cases = {(r, a, c) for r, a, c in allowed if r != "admin"}
    assert rep_cases == {("rep-fr", action, "FR") for action in COUNTRY_ACTIONS} | {
        ("rep-no", action, "NO") for action in COUNTRY_ACTIONS
    }
    assert len(CASES) == len(ROLES) * (2 * len(COUNTRY_ACTIONS) + len(ADMIN_ACTIONS))
    assert PUBLIC.may_edit_country("FR") is False


@pytest.mark.parametrize(("role", "action", "country"), CASES, ids=["-".join(case) for case in CASES])
def test_role_matrix(session: Session, role: str, action: str, country: str) -> None:
    actor = ROLES[role]
    setup = COUNTRY_ACTIONS.get(action) or ADMIN_ACTIONS[action]
    run = setup(session, country)
    before = snapshot(session)
    if is_allowed(actor, action, country):
        run(actor)
        after = snapshot(session)
        assert after != before
        assert len(after["AuditEntry"]) > len(before["AuditEntry"]), "an allowed write leaves an audit entry"
        assert {e["actor"] for e in after["AuditEntry"][len(before["AuditEntry"]) :]} == {actor.username}
    else:
        with pytest.raises(PermissionDenied):
            run(actor)
        assert snapshot(session) == before, "a refused action changes nothing"
