"""Who may do what: every role against every write action and every download of non-public data, on its own and
on a foreign country; then accounts whose rights were taken away after the page was built.

A refused action raises PermissionDenied and leaves every row of the database as it was.
"""

from __future__ import annotations

import dataclasses
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
    ConnectathonResult,
    Country,
    CountrySurvey,
    DeploymentProfile,
    FutureTopic,
    IntegrationStatementLine,
    MeetingSnapshot,
    Product,
    ProductAnswer,
    ProductSurvey,
    ProposalEvent,
    SurveyRound,
    SurveyState,
    User,
    Vendor,
)
from mcwg_dashboard.services import (
    audit,
    future_topics,
    lifecycle,
    members,
    products,
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
# A vendor account of "Example Imaging": its vendor ID is looked up once the set-up created the vendors.
VENDOR = Actor(username="vendor-example", role=Role.VENDOR, vendor_id=None)
ROLES: dict[str, Actor] = {
    "admin": ADMIN,
    "rep-fr": REP_FR,
    "rep-no": REP_NO,
    "member": MEMBER,
    "vendor": VENDOR,
    "public": PUBLIC,
}
OWN_VENDOR, OTHER_VENDOR = "Example Imaging", "Other Imaging"

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


# Product actions run on a product of the vendor account's own vendor ("FR" below) or of another vendor ("NO").
def _product(session: Session, country: str) -> Product:
    vendors = {v.name: v for v in products.list_vendors(session)}
    for name in (OWN_VENDOR, OTHER_VENDOR):
        if name not in vendors:
            vendors[name] = products.add_vendor(session, actor=ADMIN, data={"name": name})
    vendor = vendors[OWN_VENDOR if country == "FR" else OTHER_VENDOR]
    return products.add_product(
        session,
        actor=ADMIN,
        data={"vendor_id": vendor.id, "name": f"{vendor.name} Gateway", "version": "3", "product_type": "GATEWAY"},
    )


def _product_survey(session: Session, country: str, state: SurveyState = SurveyState.DRAFT) -> ProductSurvey:
    product = _product(session, country)
    survey = products.open_product_survey(session, actor=ADMIN, product_id=product.id or 0)
    answers = [{"element_id": "KOS-16", "status": "SUP"}]
    products.save_product_answers(
        session, actor=ADMIN, survey_id=survey.id or 0, answers=answers, expected_version=survey.version
    )
    steps = [products.submit_product_survey, products.validate_product_survey, products.publish_product_survey]
    order = [SurveyState.DRAFT, SurveyState.SUBMITTED, SurveyState.VALIDATED, SurveyState.PUBLISHED]
    for step in steps[: order.index(state)]:
        step(session, actor=ADMIN, survey_id=survey.id or 0, expected_version=survey.version)
    return survey


def _open_product_survey(session: Session, country: str) -> Action:
    product_id = _product(session, country).id or 0
    return lambda actor: products.open_product_survey(session, actor=actor, product_id=product_id)


def _save_product_answers(session: Session, country: str) -> Action:
    survey = _product_survey(session, country)
    answers = [{"element_id": "SPP-09", "status": "PLAN", "release": "4.0"}]
    return lambda actor: products.save_product_answers(
        session, actor=actor, survey_id=survey.id or 0, answers=answers, expected_version=survey.version
    )


def _submit_product_survey(session: Session, country: str) -> Action:
    survey = _product_survey(session, country)
    return lambda actor: products.submit_product_survey(
        session, actor=actor, survey_id=survey.id or 0, expected_version=survey.version
    )


def _import_statement(session: Session, country: str) -> Action:
    product_id = _product(session, country).id or 0
    lines = [{"profile": "XCA-I", "actor": "Responding Imaging Gateway"}]
    return lambda actor: products.replace_statement(session, actor=actor, product_id=product_id, lines=lines)


def _add_vendor(session: Session, country: str) -> Action:
    return lambda actor: products.add_vendor(session, actor=actor, data={"name": "New Imaging"})


def _add_product(session: Session, country: str) -> Action:
    vendor_id = _product(session, country).vendor_id
    data = {"vendor_id": vendor_id, "name": "Example Viewer", "version": "1", "product_type": "VIEWER"}
    return lambda actor: products.add_product(session, actor=actor, data=data)


def _review_product(state: SurveyState, step: str) -> Setup:
    def setup(session: Session, country: str) -> Action:
        survey = _product_survey(session, country, state)
        if step == "send_back":
            return lambda actor: products.send_back_product_survey(
                session, actor=actor, survey_id=survey.id or 0, expected_version=survey.version, comment="Evidence?"
            )
        transition = getattr(products, f"{step}_product_survey")
        return lambda actor: transition(session, actor=actor, survey_id=survey.id or 0, expected_version=survey.version)

    return setup


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
    "add_vendor": _add_vendor,
    "add_product": _add_product,
    "validate_product_survey": _review_product(SurveyState.SUBMITTED, "validate"),
    "publish_product_survey": _review_product(SurveyState.VALIDATED, "publish"),
    "send_back_product_survey": _review_product(SurveyState.SUBMITTED, "send_back"),
    "download_full_export": _full_export,
    "download_audit_log": _audit_export,
}

# Actions a vendor account may take on its own vendor's products ("FR": its own; "NO": another vendor's).
PRODUCT_ACTIONS: dict[str, Setup] = {
    "open_product_survey": _open_product_survey,
    "save_product_answers": _save_product_answers,
    "submit_product_survey": _submit_product_survey,
    "import_integration_statement": _import_statement,
}

CASES = [
    (role, action, country)
    for role in ROLES
    for action in [*COUNTRY_ACTIONS, *MEMBER_ACTIONS, *ADMIN_ACTIONS, *PRODUCT_ACTIONS]
    for country in (["FR", "NO"] if action in COUNTRY_ACTIONS or action in PRODUCT_ACTIONS else ["FR"])
]


def is_allowed(actor: Actor, action: str, country: str) -> bool:
    if actor.role is Role.ADMIN:
        return True
    if action in MEMBER_ACTIONS:
        return actor.role not in (Role.PUBLIC, Role.VENDOR)
    if action in PRODUCT_ACTIONS:
        return actor.role is Role.VENDOR and country == "FR"
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
        (Vendor, Vendor.id),
        (Product, Product.id),
        (IntegrationStatementLine, IntegrationStatementLine.id),
        (ConnectathonResult, ConnectathonResult.id),
        (ProductSurvey, ProductSurvey.id),
        (ProductAnswer, ProductAnswer.id),
    ]
    return {
        model.__name__: [row.model_dump() for row in session.exec(select(model).order_by(col(key)))]
        for model, key in tables
    }


def test_matrix_expectations() -> None:
    allowed = {(role, action, country) for role, action, country in CASES if is_allowed(ROLES[role], action, country)}
    rep_cases = {(r, a, c) for r, a, c in allowed if r not in ("admin", "vendor") and a not in MEMBER_ACTIONS}
    assert rep_cases == {("rep-fr", action, "FR") for action in COUNTRY_ACTIONS} | {
        ("rep-no", action, "NO") for action in COUNTRY_ACTIONS
    }
    assert {(r, a) for r, a, _ in allowed if a in MEMBER_ACTIONS} == {
        (role, action) for role in ROLES if role not in ("public", "vendor") for action in MEMBER_ACTIONS
    }
    assert {(a, c) for r, a, c in allowed if r == "vendor"} == {(action, "FR") for action in PRODUCT_ACTIONS}
    assert len(CASES) == len(ROLES) * (
        2 * len(COUNTRY_ACTIONS) + len(MEMBER_ACTIONS) + len(ADMIN_ACTIONS) + 2 * len(PRODUCT_ACTIONS)
    )
    assert PUBLIC.may_edit_country("FR") is False


@pytest.mark.parametrize(("role", "action", "country"), CASES, ids=["-".join(case) for case in CASES])
def test_role_matrix(session: Session, role: str, action: str, country: str) -> None:
    run = SETUPS[action](session, country)
    actor = _with_vendor(session, ROLES[role])
    before = snapshot(session)
    if is_allowed(actor, action, country):
        _allowed(session, run, actor, action, before)
    else:
        with pytest.raises(PermissionDenied):
            run(actor)
        assert snapshot(session) == before, "a refused action changes nothing"


SETUPS: dict[str, Setup] = {**COUNTRY_ACTIONS, **MEMBER_ACTIONS, **ADMIN_ACTIONS, **PRODUCT_ACTIONS}


def _with_vendor(session: Session, actor: Actor) -> Actor:
    """The vendor account acts for Example Imaging (or, where no set-up made it, for a vendor made now)."""
    if actor.role is not Role.VENDOR:
        return actor
    vendor = next((v for v in products.list_vendors(session) if v.name == OWN_VENDOR), None)
    if vendor is None:
        vendor = products.add_vendor(session, actor=ADMIN, data={"name": OWN_VENDOR})
    return dataclasses.replace(actor, vendor_id=vendor.id)


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

ACCOUNT_ROLE = {"admin": Role.ADMIN, "rep": Role.COUNTRY_REP, "member": Role.MEMBER, "vendor": Role.VENDOR}
# The members' and products' admin actions ask `require_admin` exactly as the others do: one of each stands for them
# here (the role matrix above runs every one of them for every role).
SAME_CHECK_AS = {"add_member", "set_member_shape", "add_vendor", "add_product", "publish_product_survey"}
SAME_CHECK_AS |= {"send_back_product_survey"}
# What each kind of account may do, and what can be taken from it.
ACCOUNT_CASES = [
    *[
        ("admin", action, change)
        for action in ADMIN_ACTIONS
        if action not in SAME_CHECK_AS
        for change in ("disabled", "demoted", "signed_out")
    ],
    *[
        ("rep", action, change)
        for action in COUNTRY_ACTIONS
        for change in ("disabled", "demoted", "country_removed", "signed_out")
    ],
    *[("member", action, change) for action in MEMBER_ACTIONS for change in ("disabled", "signed_out")],
    *[("vendor", action, change) for action in PRODUCT_ACTIONS for change in ("disabled", "signed_out")],
]
UNCHANGED = sorted({(kind, action) for kind, action, _ in ACCOUNT_CASES})


def _page_actor(session: Session, kind: str) -> Actor:
    """A real account and the actor a page run built from it; a spare admin, so the last admin may be demoted."""
    countries = "FR,NO" if kind == "rep" else ""
    vendor = next((v.id for v in products.list_vendors(session) if v.name == OWN_VENDOR), None)
    for name, role, codes in ((f"acct-{kind}", ACCOUNT_ROLE[kind], countries), ("spare-admin", Role.ADMIN, "")):
        vendor_id = vendor if role is Role.VENDOR else None
        session.add(User(username=name, role=role.value, countries=codes, vendor_id=vendor_id, password_hash="x"))
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
