"""Change proposals: register, every allowed and forbidden transition, permissions, history, the checklist path."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session, col, select

from mcwg_dashboard.config import get_settings
from mcwg_dashboard.models import Answer, AuditEntry, ChangeProposal, CountrySurvey, ProposalEvent, SurveyState
from mcwg_dashboard.services import proposals, rounds, surveys
from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version, store_checklist
from mcwg_dashboard.services.errors import ConflictError, InvalidState, NotFound, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.overview import reconfirmation_table
from mcwg_dashboard.services.proposals import TRANSITIONS, ProposalState
from mcwg_dashboard.services.setup import initialise
from mcwg_dashboard.services.surveys import AnswerInput
from tests.helpers import ADMIN, MEMBER, REP_FR, REP_NO, the_open_round

KOS16: dict[str, Any] = {
    "title": "Retrieve URL per series: allow the base-URI-only form",
    "country_code": "FR",
    "set_code": "KOS",
    "element_ids": ["KOS-16"],
    "problem": "MADO fills the Retrieve URL with the WADO-RS base URI only; our text asks for the series URL.",
    "proposed_change": "Accept the base URI form and say how a consumer builds the series URL from it.",
    "rationale": "Aligns the recommendation with MADO and the XC-WADO profile.",
}

# The shortest path from submitted to each state (actions, each with the arguments it needs).
ARGS: dict[str, dict[str, str]] = {
    "assign": {"focus_group": "Imaging Study Manifest"},
    "forward": {"external_body": "IHE Radiology", "external_reference": "CP-RAD-999"},
    "accept": {"reason": "Agreed in plenary."},
    "reject": {"reason": "Out of scope."},
    "defer": {"reason": "Wait for the white paper."},
    "resume": {"reason": "The white paper is out."},
    "withdraw": {"reason": "Submitted twice."},
    "close": {"reason": "Done."},
}
PATHS: dict[ProposalState, list[str]] = {
    ProposalState.SUBMITTED: [],
    ProposalState.TRIAGED: ["triage"],
    ProposalState.ASSIGNED: ["triage", "assign"],
    ProposalState.IN_DISCUSSION: ["triage", "assign", "discuss"],
    ProposalState.ACCEPTED: ["triage", "assign", "discuss", "accept"],
    ProposalState.FORWARDED: ["triage", "assign", "discuss", "accept", "forward"],
    ProposalState.APPLIED: ["triage", "assign", "discuss", "accept", "apply"],
    ProposalState.REJECTED: ["reject"],
    ProposalState.DEFERRED: ["triage", "defer"],
    ProposalState.WITHDRAWN: ["withdraw"],
    ProposalState.CLOSED: ["triage", "assign", "discuss", "accept", "close"],
}
A_CHANGE = {"version_label": "2026.12+CP", "edits": [{"element_id": "KOS-16", "explanation": "x" * 60}]}


def submit(session: Session, actor: Any = MEMBER, **overrides: Any) -> ChangeProposal:
    data = {**KOS16, **overrides}
    if actor is MEMBER and "country_code" not in overrides:
        data["country_code"] = None
    return proposals.submit_proposal(session, actor=actor, data=data)


def act(session: Session, proposal: ChangeProposal, action: str, actor: Any = ADMIN, **extra: Any) -> ChangeProposal:
    proposal = proposals.get_proposal(session, proposal.id or 0)
    if action == "apply":
        label = f"2026.12+{proposal.number}"
        changes = {**A_CHANGE, "version_label": label}
        proposals.apply_proposal(
            session, actor=actor, proposal_id=proposal.id or 0, expected_version=proposal.version, changes=changes
        )
        return proposals.get_proposal(session, proposal.id or 0)
    arguments = {**ARGS.get(action, {}), **extra}
    return proposals.transition(
        session,
        actor=actor,
        proposal_id=proposal.id or 0,
        expected_version=proposal.version,
        action=action,
        **arguments,
    )


def proposal_in(session: Session, state: ProposalState) -> ChangeProposal:
    proposal = submit(session)
    for action in PATHS[state]:
        proposal = act(session, proposal, action)
    assert proposal.state == state
    return proposal


def counts(session: Session) -> tuple[int, int, int]:
    events = len(list(session.exec(select(ProposalEvent))))
    audits = len(list(session.exec(select(AuditEntry))))
    versions = len(list(session.exec(select(ChangeProposal.version))))
    return events, audits, versions


# --- register ----------------------------------------------------------------------------------------------------


def test_numbers_run_per_year_of_submission(session: Session) -> None:
    first = submit(session)
    second = submit(session, title="Second proposal on the manifest")
    later = proposals.submit_proposal(
        session, actor=MEMBER, data={**KOS16, "country_code": None}, now=dt.datetime(2027, 1, 2, tzinfo=dt.UTC)
    )
    year = dt.datetime.now(dt.UTC).year
    assert (first.number, second.number, later.number) == (f"CP-{year}-001", f"CP-{year}-002", "CP-2027-001")
    assert first.state == ProposalState.SUBMITTED
    assert first.submitter_name == "member"
    assert proposals.elements_of(session, first.id or 0) == ["KOS-16"]


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"element_ids": ["KOS-99"]}, "element_ids", "not in checklist version"),
        ({"element_ids": ["META-01"]}, "element_ids", "not in set KOS"),
        ({"set_code": "XYZ"}, "set_code", "is not a recommendation set"),
        ({"country_code": "ZZ"}, "country_code", "is not a member code"),
        ({"title": "x"}, "title", "at least 5"),
        ({"element_ids": []}, "element_ids", "choose at least one"),
        ({"problem": ""}, "problem", "at least 10"),
    ],
)
def test_bad_input_is_named_and_nothing_is_saved(
    session: Session, override: dict[str, Any], field: str, message: str
) -> None:
    before = counts(session)
    with pytest.raises(ValidationFailed) as error:
        submit(session, actor=ADMIN, **override)
    assert message in " ".join(error.value.problems[field])
    assert "should have" not in str(error.value)  # the form's words, never pydantic's
    assert counts(session) == before


def test_a_representative_submits_for_their_own_country_only(session: Session) -> None:
    assert submit(session, actor=REP_FR).country_code == "FR"
    with pytest.raises(ValidationFailed, match="you represent NO, not FR"):
        submit(session, actor=REP_NO)


def test_the_public_can_neither_submit_nor_comment(session: Session) -> None:
    from mcwg_dashboard.services.actors import Actor, Role

    public = Actor(username="anonymous", role=Role.PUBLIC)
    with pytest.raises(PermissionDenied):
        submit(session, actor=public)
    proposal = submit(session)
    with pytest.raises(PermissionDenied):
        proposals.add_comment(session, actor=public, proposal_id=proposal.id or 0, text="Hello")


def test_proposal_frame_lists_elements_and_states(session: Session) -> None:
    submit(session)
    second = proposal_in(session, ProposalState.ASSIGNED)
    frame = proposals.proposal_frame(session)
    assert list(frame["number"]) == [second.number, frame["number"].iloc[1]]
    row = frame[frame["number"] == second.number].iloc[0]
    assert row["state"] == "assigned" and row["focus_group"] == "Imaging Study Manifest"
    assert row["element_ids"] == ["KOS-16"]
    assert len(proposals.proposals_touching(frame, ["KOS-16", "KOS-01"])) == 2
    assert proposals.proposals_touching(frame, ["KOS-01"]).empty
    by_state = proposals.count_by_state(frame).set_index("state")["Proposals"]
    assert by_state["submitted"] == 1 and by_state["assigned"] == 1 and by_state.sum() == 2


# --- workflow: every allowed and every forbidden transition --------------------------------------------------------

ALLOWED = [(state, action) for state in ProposalState for action, t in TRANSITIONS.items() if state in t.sources]
FORBIDDEN = [(state, action) for state in ProposalState for action, t in TRANSITIONS.items() if state not in t.sources]


@pytest.mark.parametrize(("state", "action"), ALLOWED, ids=[f"{s.value}-{a}" for s, a in ALLOWED])
def test_allowed_transition(session: Session, state: ProposalState, action: str) -> None:
    proposal = proposal_in(session, state)
    version_before = proposal.version
    events_before, audits_before, _ = counts(session)
    moved = act(session, proposal, action)
    assert moved.state == TRANSITIONS[action].target
    assert moved.version == version_before + 1
    events = proposals.proposal_events(session, proposal.id or 0)
    last = events.iloc[-1]
    assert (last["from_state"], last["to_state"], last["actor"]) == (state.value, moved.state, ADMIN.username)
    if TRANSITIONS[action].needs_reason:
        assert last["comment"] == ARGS[action]["reason"] and moved.decision_reason == ARGS[action]["reason"]
    events_after, audits_after, _ = counts(session)
    assert (events_after - events_before, audits_after - audits_before) == (1, 1 + (action == "apply"))


@pytest.mark.parametrize("state", list(ProposalState), ids=[s.value for s in ProposalState])
def test_forbidden_transitions_change_nothing(session: Session, state: ProposalState) -> None:
    """One database per state, every action the state does not allow (one test each would take minutes)."""
    proposal = proposal_in(session, state)
    forbidden = [action for s, action in FORBIDDEN if s == state]
    assert forbidden
    before = counts(session)
    for action in forbidden:
        with pytest.raises(InvalidState, match=f"{proposal.number} is") as error:
            act(session, proposal, action)
        assert "only a proposal that is" in str(error.value), action
        assert counts(session) == before, action
        assert proposals.get_proposal(session, proposal.id or 0).state == state, action


@pytest.mark.parametrize("action", sorted(a for a, t in TRANSITIONS.items() if t.needs_reason))
def test_decisions_need_a_reason(session: Session, action: str) -> None:
    state = next(s for s, a in ALLOWED if a == action)
    proposal = proposal_in(session, state)
    before = counts(session)
    with pytest.raises(ValidationFailed, match="a reason is required"):
        act(session, proposal, action, reason="   ")
    assert counts(session) == before


def test_assign_names_a_focus_group_and_forward_a_body(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="focus group"):
        act(session, proposal_in(session, ProposalState.TRIAGED), "assign", focus_group="")
    with pytest.raises(ValidationFailed, match="Standards and Profiles Positioning"):
        act(session, proposal_in(session, ProposalState.TRIAGED), "assign", focus_group="Made-up focus group")
    with pytest.raises(ValidationFailed, match="name the body"):
        act(session, proposal_in(session, ProposalState.ACCEPTED), "forward", external_body="")


# --- permissions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [MEMBER, REP_FR], ids=["member", "country_rep"])
@pytest.mark.parametrize("action", sorted(a for a, t in TRANSITIONS.items() if not t.submitter_may))
def test_only_the_focus_group_moves_a_proposal(session: Session, actor: Any, action: str) -> None:
    state = next(s for s, a in ALLOWED if a == action)
    proposal = proposal_in(session, state)
    before = counts(session)
    with pytest.raises(PermissionDenied, match="focus group"):
        act(session, proposal, action, actor=actor)
    assert counts(session) == before


def test_the_submitter_may_withdraw_but_no_other_member(session: Session) -> None:
    mine = submit(session, actor=REP_FR)
    with pytest.raises(PermissionDenied):
        act(session, mine, "withdraw", actor=MEMBER)
    withdrawn = act(session, mine, "withdraw", actor=REP_FR)
    assert withdrawn.state == ProposalState.WITHDRAWN
    assert proposals.allowed_actions(REP_FR, submit(session, actor=REP_FR)) == ["withdraw"]
    assert proposals.allowed_actions(MEMBER, mine) == []


def test_the_submitter_edits_until_triage(session: Session) -> None:
    mine = submit(session, actor=REP_FR)
    edited = proposals.update_proposal(
        session,
        actor=REP_FR,
        proposal_id=mine.id or 0,
        expected_version=mine.version,
        data={**KOS16, "element_ids": ["KOS-16", "KOS-15"]},
    )
    assert proposals.elements_of(session, edited.id or 0) == ["KOS-15", "KOS-16"]
    triaged = act(session, edited, "triage")
    with pytest.raises(InvalidState, match="only until triage"):
        proposals.update_proposal(
            session, actor=REP_FR, proposal_id=mine.id or 0, expected_version=triaged.version, data=KOS16
        )
    with pytest.raises(PermissionDenied):
        proposals.update_proposal(
            session, actor=MEMBER, proposal_id=mine.id or 0, expected_version=triaged.version, data=KOS16
        )


# --- history, comments, concurrency ---------------------------------------------------------------------------------


def test_history_keeps_who_when_from_to_and_comments(session: Session) -> None:
    proposal = submit(session, actor=REP_FR)
    proposals.add_comment(session, actor=MEMBER, proposal_id=proposal.id or 0, text="Norway has the same issue.")
    proposal = act(session, proposal, "triage")
    proposal = act(session, proposal, "reject", reason="Duplicate of CP-2025-004.")
    events = proposals.proposal_events(session, proposal.id or 0)
    assert list(events["kind"]) == ["submitted", "comment", "triage", "reject"]
    assert list(events["actor"]) == ["rep-fr", "member", "fg-admin", "fg-admin"]
    assert list(events["to_state"]) == ["submitted", "", "triaged", "rejected"]
    assert events.iloc[1]["comment"] == "Norway has the same issue."
    assert events.iloc[3]["comment"] == "Duplicate of CP-2025-004."
    assert events["at"].is_monotonic_increasing
    with pytest.raises(ValidationFailed):
        proposals.add_comment(session, actor=MEMBER, proposal_id=proposal.id or 0, text="  ")


def test_a_stale_page_gets_a_conflict_and_changes_nothing(session: Session) -> None:
    proposal = submit(session)
    stale_version = proposal.version
    act(session, proposal, "triage")
    assert proposals.get_proposal(session, proposal.id or 0).version == stale_version + 1
    before = counts(session)
    with pytest.raises(ConflictError, match="changed by someone else"):
        proposals.transition(
            session, actor=ADMIN, proposal_id=proposal.id or 0, expected_version=stale_version, action="reject",
            reason="No.",
        )  # fmt: skip
    assert counts(session) == before


def test_external_status_is_tracked_after_forwarding(session: Session) -> None:
    proposal = proposal_in(session, ProposalState.FORWARDED)
    assert (proposal.external_body, proposal.external_status) == ("IHE Radiology", "submitted")
    updated = proposals.set_external_status(
        session,
        actor=ADMIN,
        proposal_id=proposal.id or 0,
        expected_version=proposal.version,
        status="final text",
        reference="XC-WADO",
    )
    assert (updated.external_status, updated.external_reference) == ("final text", "XC-WADO")
    last = proposals.proposal_events(session, proposal.id or 0).iloc[-1]
    assert last["kind"] == "external" and "submitted → final text" in last["comment"]
    with pytest.raises(ValidationFailed):
        proposals.set_external_status(
            session, actor=ADMIN, proposal_id=proposal.id or 0, expected_version=updated.version, status="done"
        )
    with pytest.raises(InvalidState, match="was not forwarded"):
        fresh = submit(session)
        proposals.set_external_status(
            session, actor=ADMIN, proposal_id=fresh.id or 0, expected_version=fresh.version, status="ballot"
        )
    with pytest.raises(NotFound):
        proposals.get_proposal(session, "CP-1999-001")


# --- the checklist path: apply, new version, re-confirmation in the next round -----------------------------------


def test_applying_edits_adds_and_retires_elements_in_a_new_version(session: Session) -> None:
    proposal = proposal_in(session, ProposalState.ACCEPTED)
    base = latest_version(session)
    assert base is not None and base.id is not None
    version = proposals.apply_proposal(
        session,
        actor=ADMIN,
        proposal_id=proposal.id or 0,
        expected_version=proposal.version,
        changes={
            "version_label": "2024.05-cp1",
            "edits": [{"element_id": "KOS-16", "explanation": "Retrieve URL: the series URL, or the base URI " * 2}],
            "additions": [
                {"element_id": "KOS-25", "title": "Base URI registry", "explanation": "A national registry " * 4}
            ],
            "retirements": ["KOS-15"],
        },
    )
    new = checklist_for_version(session, version.id or 0)
    old = checklist_for_version(session, base.id)
    assert "KOS-25" in new.elements and "KOS-15" not in new.elements and len(new.elements) == 69
    assert new.elements["KOS-16"].content_hash() != old.elements["KOS-16"].content_hash()
    assert new.elements["KOS-01"] == old.elements["KOS-01"]
    assert new.set_of("KOS-16").status == "updated"
    applied = proposals.get_proposal(session, proposal.id or 0)
    assert applied.state == ProposalState.APPLIED and applied.applied_version_id == version.id
    assert (
        "edited KOS-16; added KOS-25; retired KOS-15"
        in proposals.proposal_events(session, applied.id or 0).iloc[-1]["comment"]
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version_label": "x"}, "at least one element"),
        ({"version_label": "2026.12", "edits": [{"element_id": "KOS-16", "title": "New title"}]}, "already stored"),
        ({"version_label": "v2", "edits": [{"element_id": "KOS-99", "title": "New title"}]}, "not in the checklist"),
        ({"version_label": "v2", "edits": [{"element_id": "KOS-16", "explanation": "short"}]}, "at least 40"),
        ({"version_label": "v2", "additions": [{"element_id": "KOS-01", "title": "t", "explanation": "e"}]}, "exists"),
        ({"version_label": "v2", "retirements": [f"DEP-0{i}" for i in range(1, 7)]}, "no element left"),
    ],
)
def test_a_bad_application_names_the_problem_and_changes_nothing(
    session: Session, changes: dict[str, Any], message: str
) -> None:
    proposal = proposal_in(session, ProposalState.ACCEPTED)
    before = counts(session)
    versions = latest_version(session)
    with pytest.raises((ValidationFailed, InvalidState), match=message):
        proposals.apply_proposal(
            session, actor=ADMIN, proposal_id=proposal.id or 0, expected_version=proposal.version, changes=changes
        )
    assert counts(session) == before and latest_version(session) == versions
    assert proposals.get_proposal(session, proposal.id or 0).state == ProposalState.ACCEPTED


def test_the_next_round_asks_those_who_answered_the_element_to_reconfirm(session: Session) -> None:
    """The issue's 'done when', through the services: KOS-16 changed, the next round flags its answers."""
    current = the_open_round(session)
    for actor, country, status in [(REP_FR, "FR", "VAR"), (REP_NO, "NO", "IMPL")]:
        survey = surveys.open_survey(session, actor=actor, round_id=current.id or 0, country_code=country)
        answers = [AnswerInput(element_id="KOS-16", status=status, note="Base URI only.")]
        answers.append(AnswerInput(element_id="KOS-01", status="IMPL"))
        surveys.save_answers(session, actor=actor, survey_id=survey.id or 0, answers=answers)
    proposal = act(session, proposal_in(session, ProposalState.ACCEPTED), "apply")
    assert proposal.applied_version_id is not None
    next_round = rounds.open_round(
        session,
        actor=ADMIN,
        name="Next round",
        opens_on=current.opens_on + dt.timedelta(days=200),
        closes_on=None,
        checklist_version_id=proposal.applied_version_id,
    )
    carried = session.exec(
        select(CountrySurvey.country_code, Answer.element_id, Answer.needs_reconfirmation, Answer.element_changed)
        .join(CountrySurvey, col(CountrySurvey.id) == col(Answer.survey_id))
        .where(CountrySurvey.round_id == next_round.id)
        .order_by(col(CountrySurvey.country_code), col(Answer.element_id))
    ).all()
    assert [tuple(row) for row in carried] == [
        ("FR", "KOS-01", False, False),
        ("FR", "KOS-16", True, True),
        ("NO", "KOS-01", False, False),
        ("NO", "KOS-16", True, True),
    ]
    # Confirming clears the flag but keeps the record that the element changed: the re-confirmed share.
    survey = session.exec(
        select(CountrySurvey).where(CountrySurvey.round_id == next_round.id, CountrySurvey.country_code == "FR")
    ).one()
    assert survey.state == SurveyState.DRAFT
    from mcwg_dashboard.services import lifecycle

    lifecycle.confirm_carried_over(session, actor=REP_FR, survey_id=survey.id or 0, element_ids=["KOS-16"])
    fr = session.exec(select(Answer).where(Answer.survey_id == survey.id, Answer.element_id == "KOS-16")).one()
    session.refresh(fr)
    assert (fr.needs_reconfirmation, fr.element_changed) == (False, True)
    progress = reconfirmation_table(session, next_round.id or 0)
    assert progress.to_dict("records") == [
        {
            "Element": "KOS-16",
            "Carried onto a changed element": 2,
            "Re-confirmed": 1,
            "Share re-confirmed": 0.5,
        }
    ]


def test_starting_again_keeps_the_applied_version_newest(engine: Any, session: Session, isolated_settings: Any) -> None:
    proposal = act(session, proposal_in(session, ProposalState.ACCEPTED), "apply")
    from mcwg_dashboard.checklist import load_checklist

    assert store_checklist(session, actor=ADMIN, checklist=load_checklist()).label == "2026.12"
    newest = latest_version(session)
    assert newest is not None and newest.id == proposal.applied_version_id
    initialise(engine, get_settings(), create_admin=False)
    newest_again = latest_version(session)
    assert newest_again is not None and newest_again.id == proposal.applied_version_id


# --- demo ------------------------------------------------------------------------------------------------------------


def test_demo_proposals_target_real_elements_and_go_with_clear(session: Session) -> None:
    from mcwg_dashboard.checklist import load_checklist
    from mcwg_dashboard.services.demo import clear_demo, load_demo

    report = load_demo(session, actor=ADMIN, today=dt.date(2026, 11, 28))
    assert report.proposals == 7
    frame = proposals.proposal_frame(session)
    checklist = load_checklist()
    for record in frame.to_dict("records"):
        assert record["is_demo"]
        targets: list[str] = record["element_ids"]
        assert all(e in checklist.elements and e.startswith(f"{record['set_code']}-") for e in targets), record

    real = frame.set_index("number")
    # The record gives no outcome for the XCA-I + WADO-RS proposal: it stays forwarded, with no IHE reference.
    assert (real.loc["CP-2023-001", "state"], real.loc["CP-2023-001", "external_reference"]) == ("forwarded", "")
    assert (real.loc["CP-2025-004", "external_body"], real.loc["CP-2025-004", "external_reference"]) == (
        "DICOM",
        "CP-2595",
    )
    assert real.loc["CP-2025-004", "external_status"] == "ballot"
    history = proposals.proposal_events(session, int(str(real.loc["CP-2023-001", "id"])))
    assert list(history["to_state"].replace("", None).dropna())[-1] == "forwarded"
    assert "inferred" in " ".join(history["comment"])
    clear_demo(session, actor=ADMIN)
    assert proposals.proposal_frame(session).empty
    assert not list(session.exec(select(ProposalEvent)))


def test_a_proposal_is_filed_under_the_signed_in_account(session: Session) -> None:
    member = submit(session, actor=MEMBER, submitter_name="The Norwegian Health Directorate")
    assert (member.submitted_by, member.submitter_name) == ("member", MEMBER.label)
    rep = submit(session, actor=REP_FR, submitter_name="Someone else")
    assert rep.submitter_name == REP_FR.label
    proposals.update_proposal(
        session,
        actor=MEMBER,
        proposal_id=member.id or 0,
        expected_version=member.version,
        data={**KOS16, "country_code": None, "submitter_name": "Another name"},
    )
    assert proposals.get_proposal(session, member.id or 0).submitter_name == MEMBER.label
    # The focus group records who made a proposal in plenary, for any member.
    plenary = submit(session, actor=ADMIN, submitter_name="MCWG plenary", country_code="NO")
    assert (plenary.submitter_name, plenary.country_code) == ("MCWG plenary", "NO")


def test_a_member_without_countries_files_for_no_country(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="country_code: your account represents no member"):
        submit(session, actor=MEMBER, country_code="FR")
    before = counts(session)
    with pytest.raises(ValidationFailed, match="you represent NO, not FR"):
        submit(session, actor=REP_NO, country_code="FR")
    assert counts(session) == before
