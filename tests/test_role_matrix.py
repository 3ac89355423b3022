"""Who may do what: every role against every write action and every download of non-public data, on its own and
on a foreign country; then accounts whose rights were taken away after the page was built.

A refused action raises PermissionDenied and leaves every row of the database as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, col, select

from mcwg_dashboard.excel import export_survey_workbook
from mcwg_dashboard.excel.full_export import full_export_bytes
from mcwg_dashboard.excel.proposal_register import export_register
from mcwg_dashboard.models import (
    Answer,
    AppSetting,
    AuditEntry,
    ChangeProposal,
    ChecklistVersion,
    Country,
    CountrySurvey,
    DeploymentProfile,
    FutureTopic,
    MeetingSnapshot,
    ProposalEvent,
    SurveyRound,
    SurveyState,
    User,
)
from mcwg_dashboard.services import (
    audit,
    future_topics,
    lifecycle,
    members,
    profiles,
    proposals,
    rounds,
    snapshots,
    surveys,
    users,
)
from mcwg_dashboard.services.actors import CLI_ACTOR, Actor, Role
from mcwg_dashboard.services.checklist_store import store_checklist
from mcwg_dashboard.services.demo import load_demo
from mcwg_dashboard.services.errors import PermissionDenied
from mcwg_dashboard.services.surveys import AnswerInput
from mcwg_dashboard.services.users import actor_for
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


def _save_profile(session: Session, country: str) -> Action:
    survey_id = survey_in_state(session, SurveyState.DRAFT, country=country).id or 0
    current = profiles.get_profile(session, survey_id=survey_id)
    version = current.version if current else 0
    profile = profiles.parse_profile({"architectures": ["B"], "stacks": ["XCA-I"]})
    return lambda actor: profiles.save_profile(
        session, actor=actor, survey_id=survey_id, profile=profile, expected_version=version
    )


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


def _add_future_topic(session: Session, country: str) -> Action:
    return lambda actor: future_topics.add_topic(session, actor=actor, title="Patient consent across borders")


def _create_user(session: Session, country: str) -> Action:
    data = {"username": "new-rep", "role": "country_rep", "countries": [country], "password": "long enough pass"}
    return lambda actor: users.create_user(session, actor=actor, data=data)


def _create_snapshot(session: Session, country: str) -> Action:
    survey_in_state(session, SurveyState.SUBMITTED, country=country)
    round_id = the_open_round(session).id or 0
    return lambda actor: snapshots.create_snapshot(
        session, actor=actor, name="Plenary 2027", meeting_date=dt.date(2027, 3, 1), round_id=round_id
    )


PROPOSAL = {
    "title": "Retrieve URL per series: allow the base-URI-only form",
    "set_code": "KOS",
    "element_ids": ["KOS-16"],
    "problem": "MADO fills the Retrieve URL with the WADO-RS base URI only; our text asks for the series URL.",
    "proposed_change": "Accept the base URI form and say how a consumer builds the series URL from it.",
}


def _triage_proposal(session: Session, country: str) -> Action:
    proposal = proposals.submit_proposal(session, actor=ADMIN, data=PROPOSAL)
    return lambda actor: proposals.transition(
        session, actor=actor, proposal_id=proposal.id or 0, expected_version=proposal.version, action="triage"
    )


def _submit_proposal(session: Session, country: str) -> Action:
    return lambda actor: proposals.submit_proposal(session, actor=actor, data=PROPOSAL)


def _comment_proposal(session: Session, country: str) -> Action:
    proposal_id = proposals.submit_proposal(session, actor=ADMIN, data=PROPOSAL).id or 0
    return lambda actor: proposals.add_comment(session, actor=actor, proposal_id=proposal_id, text="Seen in Norway.")


def _add_member(session: Session, country: str) -> Action:
    return lambda actor: members.add_member(session, actor=actor, code="IE", name="Ireland")


def _retire_member(session: Session, country: str) -> Action:
    return lambda actor: members.retire_member(session, actor=actor, code=country)


def _set_member_shape(session: Session, country: str) -> Action:
    ring = [[-8.0, 52.0], [-7.0, 52.0], [-7.0, 53.0], [-8.0, 52.0]]
    return lambda actor: members.set_member_shape(
        session, actor=actor, code=country, shape={"type": "MultiPolygon", "coordinates": [[ring]]}
    )


# Downloads of data the public may not see: they write nothing, and are refused exactly like a write.
def _full_export(session: Session, country: str) -> Action:
    survey_in_state(session, SurveyState.DRAFT, country=country)
    return lambda actor: full_export_bytes(session, actor=actor)


def _audit_export(session: Session, country: str) -> Action:
    return lambda actor: audit.audit_frame(session, actor=actor)


def _register_export(session: Session, country: str) -> Action:
    proposals.submit_proposal(session, actor=ADMIN, data=PROPOSAL)
    return lambda actor: export_register(session, actor=actor)


def _survey_workbook(session: Session, country: str) -> Action:
    survey_in_state(session, SurveyState.DRAFT, country=country)
    round_id = the_open_round(session).id or 0
    return lambda actor: export_survey_workbook(session, actor=actor, round_id=round_id, country_code=country)


# Actions a country's representative may take for their own country.
COUNTRY_ACTIONS: dict[str, Setup] = {
    "save_answers": _save,
    "save_profile": _save_profile,
    "submit_survey": _submit,
    "confirm_carried_over": _confirm,
    "download_survey_workbook": _survey_workbook,
}
# Actions for every signed-in account.
MEMBER_ACTIONS: dict[str, Setup] = {
    "submit_proposal": _submit_proposal,
    "comment_proposal": _comment_proposal,
    "download_register": _register_export,
}
DOWNLOADS = {"download_survey_workbook", "download_register", "download_full_export", "download_audit_log"}
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
    "add_future_topic": _add_future_topic,
    "create_user": _create_user,
    "create_snapshot": _create_snapshot,
    "triage_proposal": _triage_proposal,
    "add_member": _add_member,
    "retire_member": _retire_member,
    "set_member_shape": _set_member_shape,
    "download_full_export": _full_export,
    "download_audit_log": _audit_export,
}

CASES = [
    (role, action, country)
    for role in ROLES
    for action in [*COUNTRY_ACTIONS, *MEMBER_ACTIONS, *ADMIN_ACTIONS]
    for country in (["FR", "NO"] if action in COUNTRY_ACTIONS else ["FR"])
]


def is_allowed(actor: Actor, action: str, country: str) -> bool:
    if actor.role is Role.ADMIN:
        return True
    if action in MEMBER_ACTIONS:
        return actor.role is not Role.PUBLIC
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
        (DeploymentProfile, DeploymentProfile.id),
        (FutureTopic, FutureTopic.id),
        (ChangeProposal, ChangeProposal.id),
        (ProposalEvent, ProposalEvent.id),
        (MeetingSnapshot, MeetingSnapshot.id),
        (User, User.id),
    ]
    return {
        model.__name__: [row.model_dump() for row in session.exec(select(model).order_by(col(key)))]
        for model, key in tables
    }


def test_matrix_expectations() -> None:
    allowed = {(role, action, country) for role, action, country in CASES if is_allowed(ROLES[role], action, country)}
    rep_cases = {(r, a, c) for r, a, c in allowed if r != "admin" and a not in MEMBER_ACTIONS}
    assert rep_cases == {("rep-fr", action, "FR") for action in COUNTRY_ACTIONS} | {
        ("rep-no", action, "NO") for action in COUNTRY_ACTIONS
    }
    assert {(r, a) for r, a, _ in allowed if a in MEMBER_ACTIONS} == {
        (role, action) for role in ROLES if role != "public" for action in MEMBER_ACTIONS
    }
    assert len(CASES) == len(ROLES) * (2 * len(COUNTRY_ACTIONS) + len(MEMBER_ACTIONS) + len(ADMIN_ACTIONS))
    assert PUBLIC.may_edit_country("FR") is False


@pytest.mark.parametrize(("role", "action", "country"), CASES, ids=["-".join(case) for case in CASES])
def test_role_matrix(session: Session, role: str, action: str, country: str) -> None:
    actor = ROLES[role]
    run = SETUPS[action](session, country)
    before = snapshot(session)
    if is_allowed(actor, action, country):
        _allowed(session, run, actor, action, before)
    else:
        with pytest.raises(PermissionDenied):
            run(actor)
        assert snapshot(session) == before, "a refused action changes nothing"


SETUPS: dict[str, Setup] = {**COUNTRY_ACTIONS, **MEMBER_ACTIONS, **ADMIN_ACTIONS}


def _allowed(session: Session, run: Action, actor: Actor, action: str, before: dict[str, Any]) -> None:
    result = run(actor)
    after = snapshot(session)
    if action in DOWNLOADS:
        assert len(result) > 0
        assert after == before, "a download writes nothing"
        return
    assert after != before
    assert len(after["AuditEntry"]) > len(before["AuditEntry"]), "an allowed write leaves an audit entry"
    assert {e["actor"] for e in after["AuditEntry"][len(before["AuditEntry"]) :]} == {actor.username}


# --- rights taken away between the page run and the write -------------------------------------------------------
#
# A page builds its actor from the account when it runs (`current_user`); a button callback or a download built in
# that run can fire after the focus group disabled the account, changed its role or countries, or after its
# password was reset. The service re-reads the account and refuses.

ACCOUNT_ROLE = {"admin": Role.ADMIN, "rep": Role.COUNTRY_REP, "member": Role.MEMBER}
# What each kind of account may do, and what can be taken from it.
ACCOUNT_CASES = [
    *[("admin", action, change) for action in ADMIN_ACTIONS for change in ("disabled", "demoted", "signed_out")],
    *[
        ("rep", action, change)
        for action in COUNTRY_ACTIONS
        for change in ("disabled", "demoted", "country_removed", "signed_out")
    ],
    *[("member", action, change) for action in MEMBER_ACTIONS for change in ("disabled", "signed_out")],
]
UNCHANGED = sorted({(kind, action) for kind, action, _ in ACCOUNT_CASES})


def _page_actor(session: Session, kind: str) -> Actor:
    """A real account and the actor a page run built from it; a spare admin, so the last admin may be demoted."""
    countries = "FR,NO" if kind == "rep" else ""
    for name, role, codes in ((f"acct-{kind}", ACCOUNT_ROLE[kind], countries), ("spare-admin", Role.ADMIN, "")):
        session.add(User(username=name, role=role.value, countries=codes, password_hash="not a hash"))
    session.commit()
    account = session.exec(select(User).where(User.username == f"acct-{kind}")).one()
    return actor_for(account)


def _take_away(session: Session, username: str, change: str) -> None:
    """What the focus group does in another browser meanwhile."""
    if change == "disabled":
        users.disable_user(session, actor=CLI_ACTOR, username=username)
    elif change == "demoted":
        users.update_user(session, actor=CLI_ACTOR, username=username, role=Role.MEMBER, countries=[])
    elif change == "country_removed":
        users.update_user(session, actor=CLI_ACTOR, username=username, countries=["NO"])
    else:
        users.reset_password(session, actor=CLI_ACTOR, username=username, new_password="a brand new password")


@pytest.mark.parametrize(("kind", "action", "change"), ACCOUNT_CASES, ids=["-".join(c) for c in ACCOUNT_CASES])
def test_rights_taken_away_after_the_page_ran_stop_the_write(
    session: Session, kind: str, action: str, change: str
) -> None:
    run = SETUPS[action](session, "FR")
    actor = _page_actor(session, kind)
    _take_away(session, actor.username, change)
    before = snapshot(session)
    with pytest.raises(PermissionDenied, match="since this page was loaded: sign in again"):
        run(actor)
    assert snapshot(session) == before, "a refused action changes nothing"


@pytest.mark.parametrize(("kind", "action"), UNCHANGED, ids=["-".join(c) for c in UNCHANGED])
def test_an_unchanged_account_keeps_its_rights(session: Session, kind: str, action: str) -> None:
    run = SETUPS[action](session, "FR")
    actor = _page_actor(session, kind)
    _allowed(session, run, actor, action, snapshot(session))


def test_the_refusal_says_what_changed(session: Session) -> None:
    run = _save(session, "FR")
    actor = _page_actor(session, "rep")
    users.update_user(session, actor=CLI_ACTOR, username=actor.username, countries=["NO"])
    with pytest.raises(PermissionDenied, match=r"Your countries changed \(now: NO\)"):
        run(actor)
    users.update_user(session, actor=CLI_ACTOR, username=actor.username, role=Role.MEMBER, countries=[])
    with pytest.raises(PermissionDenied, match=r"Your role changed \(you are now a member\)"):
        run(actor)
    users.disable_user(session, actor=CLI_ACTOR, username=actor.username)
    with pytest.raises(PermissionDenied, match="Your account was disabled"):
        run(actor)
