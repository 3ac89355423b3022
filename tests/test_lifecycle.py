"""Round lifecycle (open with carried-over answers, close, reopen) and the survey review transitions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from mcwg_dashboard.checklist import Checklist, load_checklist
from mcwg_dashboard.models import Answer, AuditEntry, CountrySurvey, SurveyRound, SurveyState
from mcwg_dashboard.services import lifecycle, rounds, surveys
from mcwg_dashboard.services.checklist_store import store_checklist
from mcwg_dashboard.services.errors import ConflictError, InvalidState, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.surveys import AnswerInput
from tests.helpers import ADMIN, REP_FR, REP_NO, the_open_round

# --- builders (also used by tests/test_role_matrix.py) ---------------------------------------------------------


def open_round_id(session: Session) -> int:
    return the_open_round(session).id or 0


def complete_answers(session: Session, survey_id: int, status: str = "IMPL") -> list[AnswerInput]:
    checklist = surveys.survey_checklist(session, session.get_one(CountrySurvey, survey_id))
    return [AnswerInput(element_id=e, status=status) for e in checklist.elements]


def fresh_survey(session: Session, survey_id: int) -> CountrySurvey:
    session.expire_all()
    return session.get_one(CountrySurvey, survey_id)


def survey_in_state(
    session: Session, state: SurveyState, *, country: str = "FR", round_id: int | None = None
) -> CountrySurvey:
    """A survey of `country` brought to `state` through the services, every element answered."""
    round_id = round_id if round_id is not None else open_round_id(session)
    survey = surveys.open_survey(session, actor=ADMIN, round_id=round_id, country_code=country)
    survey_id = survey.id or 0
    if not surveys.load_answers(session, survey_id=survey_id):
        surveys.save_answers(session, actor=ADMIN, survey_id=survey_id, answers=complete_answers(session, survey_id))
    if state == SurveyState.DRAFT:
        return fresh_survey(session, survey_id)
    survey = surveys.submit_survey(session, actor=ADMIN, survey_id=survey_id, expected_version=survey.version)
    if state == SurveyState.SUBMITTED:
        return survey
    survey = lifecycle.validate_survey(session, actor=ADMIN, survey_id=survey_id, expected_version=survey.version)
    if state == SurveyState.VALIDATED:
        return survey
    return lifecycle.publish_survey(session, actor=ADMIN, survey_id=survey_id, expected_version=survey.version)


def audit_entries(session: Session) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))


def changed_checklist(session: Session, *, changed: str = "KOS-07", dropped: str = "DEP-06") -> Checklist:
    """The checklist from surveys/ with one element's explanation changed and one element removed, as a new version."""
    raw: dict[str, Any] = load_checklist().model_dump(mode="json")
    raw["version"] = raw["version"] + "-test"
    for rec_set in raw["sets"]:
        rec_set["elements"] = [e for e in rec_set["elements"] if e["id"] != dropped]
        for element in rec_set["elements"]:
            if element["id"] == changed:
                element["explanation"] += " Changed for the next round."
    return Checklist.model_validate(raw)


def later(session: Session, days: int) -> dt.date:
    return the_open_round(session).opens_on + dt.timedelta(days=days)


# --- survey transitions: the full table ---------------------------------------------------------------------------

ACTIONS: dict[str, Callable[[Session, int, int], CountrySurvey]] = {
    "submit": lambda s, sid, v: surveys.submit_survey(s, actor=ADMIN, survey_id=sid, expected_version=v),
    "validate": lambda s, sid, v: lifecycle.validate_survey(s, actor=ADMIN, survey_id=sid, expected_version=v),
    "send_back": lambda s, sid, v: lifecycle.send_back_survey(
        s, actor=ADMIN, survey_id=sid, expected_version=v, comment="Please add a note to KOS-07."
    ),
    "publish": lambda s, sid, v: lifecycle.publish_survey(s, actor=ADMIN, survey_id=sid, expected_version=v),
    "reopen": lambda s, sid, v: lifecycle.reopen_survey(
        s, actor=ADMIN, survey_id=sid, expected_version=v, reason="The country reported a mistake."
    ),
}

D, S, V, P = SurveyState.DRAFT, SurveyState.SUBMITTED, SurveyState.VALIDATED, SurveyState.PUBLISHED
# (starting state, action) -> new state, or None when the move is refused with InvalidState.
TABLE: dict[tuple[SurveyState, str], SurveyState | None] = {
    (D, "submit"): S,
    (D, "validate"): None,
    (D, "send_back"): None,
    (D, "publish"): None,
    (D, "reopen"): None,
    (S, "submit"): None,
    (S, "validate"): V,
    (S, "send_back"): D,
    (S, "publish"): None,
    (S, "reopen"): None,
    (V, "submit"): None,
    (V, "validate"): None,
    (V, "send_back"): D,
    (V, "publish"): P,
    (V, "reopen"): D,
    (P, "submit"): None,
    (P, "validate"): None,
    (P, "send_back"): None,
    (P, "publish"): None,
    (P, "reopen"): D,
}


def test_table_covers_every_state_and_action_and_matches_the_service_table() -> None:
    assert set(TABLE) == {(state, action) for state in SurveyState for action in ACTIONS}
    for (state, action), expected in TABLE.items():
        assert (action in lifecycle.allowed_actions(state)) == (expected is not None), (state, action)
        if expected is not None:
            assert lifecycle.TRANSITIONS[action][1] == expected


@pytest.mark.parametrize(("start", "action"), list(TABLE), ids=[f"{s.value}-{a}" for s, a in TABLE])
def test_transition(session: Session, start: SurveyState, action: str) -> None:
    survey = survey_in_state(session, start)
    survey_id, version = survey.id or 0, survey.version
    audit_before = len(audit_entries(session))
    expected = TABLE[(start, action)]
    if expected is None:
        with pytest.raises(InvalidState) as caught:
            ACTIONS[action](session, survey_id, version)
        assert f"The survey of FR is {start.value}" in str(caught.value)
        after = fresh_survey(session, survey_id)
        assert (after.state, after.version) == (start.value, version)
        assert len(audit_entries(session)) == audit_before
        return
    result = ACTIONS[action](session, survey_id, version)
    assert result.state == expected
    assert result.version == version + 1
    new_entries = audit_entries(session)[audit_before:]
    assert len(new_entries) == 1, "every transition writes exactly one audit entry"
    entry = new_entries[0]
    assert entry.actor == ADMIN.username
    assert entry.entity == "countrysurvey"
    assert entry.entity_key.endswith("/FR")
    assert entry.before is not None and entry.before["state"] == start.value
    assert entry.after is not None and entry.after["state"] == expected.value


def test_refusal_names_the_state_and_what_is_allowed(session: Session) -> None:
    survey = survey_in_state(session, SurveyState.DRAFT)
    with pytest.raises(InvalidState) as caught:
        lifecycle.validate_survey(session, actor=ADMIN, survey_id=survey.id or 0, expected_version=survey.version)
    assert str(caught.value) == "The survey of FR is draft: only a submitted survey can be validated."
    with pytest.raises(InvalidState, match="only a validated or published survey can be reopened"):
        lifecycle.reopen_survey(
            session, actor=ADMIN, survey_id=survey.id or 0, expected_version=survey.version, reason="x"
        )
    with pytest.raises(InvalidState, match="only a submitted or validated survey can be sent back"):
        lifecycle.send_back_survey(
            session, actor=ADMIN, survey_id=survey.id or 0, expected_version=survey.version, comment="x"
        )


def test_stamps_and_comments(session: Session) -> None:
    survey = survey_in_state(session, SurveyState.VALIDATED)
    assert survey.validated_by == ADMIN.username and survey.validated_at is not None
    published = lifecycle.publish_survey(session, actor=ADMIN, survey_id=survey.id or 0, expected_version=3)
    assert published.published_by == ADMIN.username and published.published_at is not None
    reopened = lifecycle.reopen_survey(
        session, actor=ADMIN, survey_id=survey.id or 0, expected_version=4, reason="  Wrong status for SPP-07.  "
    )
    assert reopened.state == SurveyState.DRAFT
    assert reopened.state_comment == "Wrong status for SPP-07."
    assert (reopened.validated_at, reopened.validated_by, reopened.published_at, reopened.published_by) == (
        None,
        None,
        None,
        None,
    )
    assert reopened.submitted_by == ADMIN.username, "the last submission stays on record"
    entry = audit_entries(session)[-1]
    assert entry.action == "reopen_survey"
    assert entry.after == {"state": "draft", "version": 5, "reason": "Wrong status for SPP-07."}
    # Reopened: the country can edit again.
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey.id or 0,
        answers=[AnswerInput(element_id="SPP-07", status="NOPL", note="Not a national priority.", expected_version=1)],
    )


def test_send_back_stores_the_comment_and_unlocks_the_survey(session: Session) -> None:
    survey = survey_in_state(session, SurveyState.VALIDATED)
    sent_back = lifecycle.send_back_survey(
        session, actor=ADMIN, survey_id=survey.id or 0, expected_version=survey.version, comment="Add evidence."
    )
    assert sent_back.state == SurveyState.DRAFT
    assert sent_back.state_comment == "Add evidence."
    assert sent_back.validated_at is None and sent_back.validated_by is None
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey.id or 0,
        answers=[
            AnswerInput(element_id="SPP-07", status="IMPL", evidence_url="https://example.org", expected_version=1)
        ],
    )
    resubmitted = surveys.submit_survey(
        session, actor=REP_FR, survey_id=survey.id or 0, expected_version=sent_back.version
    )
    assert resubmitted.state == SurveyState.SUBMITTED


@pytest.mark.parametrize("state", [SurveyState.VALIDATED, SurveyState.PUBLISHED])
def test_validated_and_published_surveys_are_locked(session: Session, state: SurveyState) -> None:
    survey = survey_in_state(session, state)
    with pytest.raises(InvalidState, match=state.value):
        surveys.save_answers(
            session,
            actor=REP_FR,
            survey_id=survey.id or 0,
            answers=[
                AnswerInput(element_id="SPP-07", status="NOPL", note="Not a national priority.", expected_version=1)
            ],
        )
    with pytest.raises(InvalidState):
        lifecycle.confirm_carried_over(session, actor=REP_FR, survey_id=survey.id or 0)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_comment_and_reason_are_required(session: Session, blank: str) -> None:
    submitted = survey_in_state(session, SurveyState.SUBMITTED)
    with pytest.raises(ValidationFailed, match="comment is required"):
        lifecycle.send_back_survey(
            session, actor=ADMIN, survey_id=submitted.id or 0, expected_version=submitted.version, comment=blank
        )
    validated = lifecycle.validate_survey(
        session, actor=ADMIN, survey_id=submitted.id or 0, expected_version=submitted.version
    )
    audit_before = len(audit_entries(session))
    with pytest.raises(ValidationFailed, match="reason is required"):
        lifecycle.reopen_survey(
            session, actor=ADMIN, survey_id=validated.id or 0, expected_version=validated.version, reason=blank
        )
    after = fresh_survey(session, validated.id or 0)
    assert (after.state, after.version) == (SurveyState.VALIDATED, validated.version)
    assert len(audit_entries(session)) == audit_before


@pytest.mark.parametrize(
    ("start", "action"),
    [(S, "validate"), (S, "send_back"), (V, "publish"), (V, "send_back"), (V, "reopen"), (P, "reopen")],
)
def test_stale_expected_version_is_a_conflict_and_changes_nothing(
    session: Session, start: SurveyState, action: str
) -> None:
    survey = survey_in_state(session, start)
    survey_id, version = survey.id or 0, survey.version
    audit_before = len(audit_entries(session))
    for stale in (version - 1, version + 1):
        with pytest.raises(ConflictError, match="changed by someone else"):
            ACTIONS[action](session, survey_id, stale)
    after = fresh_survey(session, survey_id)
    assert (after.state, after.version, after.state_comment) == (start.value, version, "")
    assert len(audit_entries(session)) == audit_before


def test_two_admins_acting_on_the_same_page(session: Session) -> None:
    survey = survey_in_state(session, SurveyState.SUBMITTED)
    seen = survey.version
    lifecycle.validate_survey(session, actor=ADMIN, survey_id=survey.id or 0, expected_version=seen)
    with pytest.raises(ConflictError) as caught:
        lifecycle.send_back_survey(session, actor=ADMIN, survey_id=survey.id or 0, expected_version=seen, comment="x")
    assert "it is now validated" in str(caught.value)
    assert fresh_survey(session, survey.id or 0).state == SurveyState.VALIDATED


def test_change_between_read_and_write_loses_the_compare_and_set(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey = survey_in_state(session, SurveyState.SUBMITTED)
    survey_id, seen = survey.id or 0, survey.version
    audit_before = len(audit_entries(session))
    real_get_round = lifecycle.get_round

    def get_round_while_someone_validates(s: Session, round_id: int) -> SurveyRound:
        with Session(engine) as other:
            other.execute(
                update(CountrySurvey)
                .where(col(CountrySurvey.id) == survey_id)
                .values(state="validated", version=seen + 1)
            )
            other.commit()
        return real_get_round(s, round_id)

    monkeypatch.setattr(lifecycle, "get_round", get_round_while_someone_validates)
    with pytest.raises(ConflictError, match="it is now validated"):
        lifecycle.send_back_survey(session, actor=ADMIN, survey_id=survey_id, expected_version=seen, comment="x")
    after = fresh_survey(session, survey_id)
    assert (after.state, after.version, after.state_comment) == ("validated", seen + 1, "")
    assert len(audit_entries(session)) == audit_before


def test_only_admins_move_surveys_through_review(session: Session) -> None:
    survey = survey_in_state(session, SurveyState.SUBMITTED)
    for actor in (REP_FR, REP_NO):
        with pytest.raises(PermissionDenied):
            lifecycle.validate_survey(session, actor=actor, survey_id=survey.id or 0, expected_version=survey.version)
    assert fresh_survey(session, survey.id or 0).state == SurveyState.SUBMITTED


# --- publish_round ------------------------------------------------------------------------------------------------


def test_publish_round_publishes_only_validated_surveys(session: Session) -> None:
    fr = survey_in_state(session, SurveyState.VALIDATED, country="FR")
    dk = survey_in_state(session, SurveyState.VALIDATED, country="DK")
    no = survey_in_state(session, SurveyState.SUBMITTED, country="NO")
    at = survey_in_state(session, SurveyState.DRAFT, country="AT")
    audit_before = len(audit_entries(session))
    assert lifecycle.publish_round(session, actor=ADMIN, round_id=open_round_id(session)) == 2
    states = {s.country_code: s.state for s in session.exec(select(CountrySurvey))}
    assert states == {"FR": "published", "DK": "published", "NO": "submitted", "AT": "draft"}
    new_entries = audit_entries(session)[audit_before:]
    assert sorted(e.entity_key.split("/")[-1] for e in new_entries) == ["DK", "FR"]
    assert all(e.action == "publish_survey" and e.before == {"state": "validated", "version": 3} for e in new_entries)
    assert fresh_survey(session, fr.id or 0).published_by == ADMIN.username
    assert fresh_survey(session, dk.id or 0).version == 4
    assert (fresh_survey(session, no.id or 0).version, fresh_survey(session, at.id or 0).version) == (2, 1)
    # Nothing left to publish: nothing written.
    assert lifecycle.publish_round(session, actor=ADMIN, round_id=open_round_id(session)) == 0
    assert len(audit_entries(session)) == audit_before + 2


def test_publish_round_is_admin_only(session: Session) -> None:
    survey_in_state(session, SurveyState.VALIDATED)
    with pytest.raises(PermissionDenied):
        lifecycle.publish_round(session, actor=REP_FR, round_id=open_round_id(session))
    assert {s.state for s in session.exec(select(CountrySurvey))} == {"validated"}


# --- rounds -------------------------------------------------------------------------------------------------------


def test_close_round_blocks_saves_and_reopen_allows_them(session: Session) -> None:
    draft = survey_in_state(session, SurveyState.DRAFT)
    round_id = open_round_id(session)
    closed = rounds.close_round(session, actor=ADMIN, round_id=round_id)
    assert closed.state == "closed"
    assert fresh_survey(session, draft.id or 0).state == SurveyState.DRAFT, "drafts stay drafts"
    with pytest.raises(InvalidState, match="closed"):
        surveys.save_answers(
            session,
            actor=REP_FR,
            survey_id=draft.id or 0,
            answers=[
                AnswerInput(element_id="SPP-07", status="NOPL", note="Not a national priority.", expected_version=1)
            ],
        )
    with pytest.raises(InvalidState, match="closed"):
        surveys.submit_survey(session, actor=REP_FR, survey_id=draft.id or 0, expected_version=draft.version)
    with pytest.raises(InvalidState, match="only an open round can be closed"):
        rounds.close_round(session, actor=ADMIN, round_id=round_id)
    with pytest.raises(ValidationFailed, match="reason"):
        rounds.reopen_round(session, actor=ADMIN, round_id=round_id, reason=" ")
    reopened = rounds.reopen_round(session, actor=ADMIN, round_id=round_id, reason="Two members asked for a week more.")
    assert reopened.state == "open"
    with pytest.raises(InvalidState, match="only a closed round can be reopened"):
        rounds.reopen_round(session, actor=ADMIN, round_id=round_id, reason="again")
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=draft.id or 0,
        answers=[AnswerInput(element_id="SPP-07", status="NOPL", note="Not a national priority.", expected_version=1)],
    )
    entries = [e for e in audit_entries(session) if e.entity == "surveyround" and e.action != "create_round"]
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("close_round", {"state": "open"}, {"state": "closed"}),
        ("reopen_round", {"state": "closed"}, {"state": "open", "reason": "Two members asked for a week more."}),
    ]


def test_validation_and_publication_go_on_after_the_round_closes(session: Session) -> None:
    survey = survey_in_state(session, SurveyState.SUBMITTED)
    rounds.close_round(session, actor=ADMIN, round_id=survey.round_id)
    assert lifecycle.validate_survey(session, actor=ADMIN, survey_id=survey.id or 0, expected_version=2).state == V
    assert lifecycle.publish_survey(session, actor=ADMIN, survey_id=survey.id or 0, expected_version=3).state == P


def test_set_closing_date(session: Session) -> None:
    survey_round = the_open_round(session)
    round_id = survey_round.id or 0
    with pytest.raises(InvalidState, match="before it opens"):
        rounds.set_closing_date(
            session, actor=ADMIN, round_id=round_id, closes_on=survey_round.opens_on - dt.timedelta(days=1)
        )
    new_date = survey_round.opens_on + dt.timedelta(days=120)
    old_date = survey_round.closes_on
    assert rounds.set_closing_date(session, actor=ADMIN, round_id=round_id, closes_on=new_date).closes_on == new_date
    entry = audit_entries(session)[-1]
    assert (entry.action, entry.before, entry.after) == (
        "set_closing_date",
        {"closes_on": str(old_date)},
        {"closes_on": str(new_date)},
    )
    with pytest.raises(PermissionDenied):
        rounds.set_closing_date(session, actor=REP_FR, round_id=round_id, closes_on=None)
    session.expire_all()
    assert session.get_one(SurveyRound, round_id).closes_on == new_date


def test_open_round_refuses_duplicate_name_and_bad_dates(session: Session) -> None:
    current = the_open_round(session)
    rounds_before = len(list(session.exec(select(SurveyRound))))
    with pytest.raises(InvalidState, match="already exists"):
        rounds.open_round(
            session,
            actor=ADMIN,
            name=f"  {current.name} ",
            opens_on=later(session, 30),
            closes_on=None,
            checklist_version_id=current.checklist_version_id,
        )
    with pytest.raises(InvalidState, match="before it opens"):
        rounds.open_round(
            session,
            actor=ADMIN,
            name="Next round",
            opens_on=later(session, 30),
            closes_on=later(session, 29),
            checklist_version_id=current.checklist_version_id,
        )
    with pytest.raises(PermissionDenied):
        rounds.open_round(
            session,
            actor=REP_FR,
            name="Next round",
            opens_on=later(session, 30),
            closes_on=None,
            checklist_version_id=current.checklist_version_id,
        )
    assert len(list(session.exec(select(SurveyRound)))) == rounds_before


def test_open_round_prefills_from_the_latest_earlier_round_only(session: Session) -> None:
    first = the_open_round(session)
    version_id = first.checklist_version_id
    day_30, day_60, day_150 = (first.opens_on + dt.timedelta(days=n) for n in (30, 60, 150))
    # Round 1 (the initial round): FR and NO answer everything.
    survey_in_state(session, SurveyState.PUBLISHED, country="FR", round_id=first.id)
    survey_in_state(session, SurveyState.SUBMITTED, country="NO", round_id=first.id)
    rounds.close_round(session, actor=ADMIN, round_id=first.id or 0)
    # Round 2, opened empty: only FR answers, and differently.
    second = rounds.create_round(
        session,
        actor=ADMIN,
        name="Round 2",
        opens_on=day_30,
        closes_on=None,
        checklist_version_id=version_id,
    )
    fr2 = surveys.open_survey(session, actor=REP_FR, round_id=second.id or 0, country_code="FR")
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=fr2.id or 0,
        answers=[
            AnswerInput(element_id="KOS-07", status="VAR", note="MADO rule", evidence_url="https://example.org/k"),
            AnswerInput(element_id="SPP-07", status="PLAN", target_date=dt.date(2030, 1, 1)),
        ],
    )
    fr2_answers = surveys.load_answers(session, survey_id=fr2.id or 0)
    rounds.close_round(session, actor=ADMIN, round_id=second.id or 0)
    audit_before = len(audit_entries(session))

    third = rounds.open_round(
        session,
        actor=ADMIN,
        name="Round 3",
        opens_on=day_60,
        closes_on=day_150,
        checklist_version_id=version_id,
    )
    assert third.state == "open"
    new_surveys = list(session.exec(select(CountrySurvey).where(CountrySurvey.round_id == third.id)))
    assert [s.country_code for s in new_surveys] == ["FR"], "NO skipped round 2: nothing comes from round 1"
    fr3 = new_surveys[0]
    assert (fr3.state, fr3.version, fr3.state_comment, fr3.submitted_at) == ("draft", 1, "", None)
    copied = surveys.load_answers(session, survey_id=fr3.id or 0)
    assert set(copied) == {"KOS-07", "SPP-07"}
    for element_id, answer in copied.items():
        source = fr2_answers[element_id]
        assert (answer.status, answer.note, answer.evidence_url, answer.target_date) == (
            source.status,
            source.note,
            source.evidence_url,
            source.target_date,
        )
        assert (answer.answered_by, answer.answered_at) == (source.answered_by, source.answered_at)
        assert (answer.version, answer.carried_over, answer.needs_reconfirmation) == (1, True, False)
    # The source stays as it was.
    assert all(not a.carried_over for a in surveys.load_answers(session, survey_id=fr2.id or 0).values())
    new_entries = audit_entries(session)[audit_before:]
    assert [(e.action, e.entity_key) for e in new_entries] == [
        ("open_round", "Round 3"),
        ("carry_over_answers", "Round 3/FR"),
    ]
    assert new_entries[0].after is not None and new_entries[0].after["carried_over_from"] == "Round 2"
    assert new_entries[1].after is not None and new_entries[1].after["answers"] == 2


def test_open_round_with_a_changed_checklist_flags_changed_elements(session: Session) -> None:
    first = the_open_round(session)
    survey_in_state(session, SurveyState.PUBLISHED, country="FR", round_id=first.id)
    new_version = store_checklist(session, actor=ADMIN, checklist=changed_checklist(session))
    second = rounds.open_round(
        session,
        actor=ADMIN,
        name="Round 2",
        opens_on=later(session, 30),
        closes_on=None,
        checklist_version_id=new_version.id or 0,
    )
    fr2 = surveys.find_survey(session, round_id=second.id or 0, country_code="FR")
    assert fr2 is not None
    copied = surveys.load_answers(session, survey_id=fr2.id or 0)
    assert "DEP-06" not in copied, "elements that no longer exist are not copied"
    assert len(copied) == 68
    assert {e for e, a in copied.items() if a.needs_reconfirmation} == {"KOS-07"}
    assert all(a.carried_over for a in copied.values())
    entry = audit_entries(session)[-1]
    assert entry.after is not None
    assert (entry.after["answers"], entry.after["needs_reconfirmation"], entry.after["dropped"]) == (68, 1, 1)

    # Carried-over answers may be handed in unconfirmed, but not one whose element changed.
    with pytest.raises(ValidationFailed) as caught:
        surveys.submit_survey(session, actor=REP_FR, survey_id=fr2.id or 0, expected_version=1)
    assert list(caught.value.problems) == ["KOS-07"]
    assert "changed in the checklist" in caught.value.problems["KOS-07"][0]
    assert lifecycle.confirm_carried_over(session, actor=REP_FR, survey_id=fr2.id or 0, element_ids=["KOS-07"]) == 1
    submitted = surveys.submit_survey(session, actor=REP_FR, survey_id=fr2.id or 0, expected_version=1)
    assert submitted.state == SurveyState.SUBMITTED


def test_saving_a_flagged_answer_clears_both_flags(session: Session) -> None:
    first = the_open_round(session)
    survey_in_state(session, SurveyState.SUBMITTED, country="FR", round_id=first.id)
    new_version = store_checklist(session, actor=ADMIN, checklist=changed_checklist(session))
    second = rounds.open_round(
        session,
        actor=ADMIN,
        name="Round 2",
        opens_on=later(session, 30),
        closes_on=None,
        checklist_version_id=new_version.id or 0,
    )
    fr2 = surveys.find_survey(session, round_id=second.id or 0, country_code="FR")
    assert fr2 is not None
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=fr2.id or 0,
        answers=[AnswerInput(element_id="KOS-07", status="PART", note="Pilot", expected_version=1)],
    )
    answer = surveys.load_answers(session, survey_id=fr2.id or 0)["KOS-07"]
    assert (answer.carried_over, answer.needs_reconfirmation, answer.version) == (False, False, 2)
    assert answer.answered_by == REP_FR.username


def test_open_round_without_an_earlier_round_creates_no_surveys(session: Session) -> None:
    # Every round so far opens later than this one.
    current = the_open_round(session)
    survey_in_state(session, SurveyState.SUBMITTED, country="FR", round_id=current.id)
    earlier = rounds.open_round(
        session,
        actor=ADMIN,
        name="A round in the past",
        opens_on=current.opens_on - dt.timedelta(days=365),
        closes_on=None,
        checklist_version_id=current.checklist_version_id,
    )
    assert session.exec(select(CountrySurvey).where(CountrySurvey.round_id == earlier.id)).first() is None


# --- confirm_carried_over -----------------------------------------------------------------------------------------


def carried_over_survey(session: Session, country: str = "FR") -> CountrySurvey:
    """A draft in a new open round, pre-filled from the country's complete survey in the initial round."""
    first = the_open_round(session)
    survey_in_state(session, SurveyState.SUBMITTED, country=country, round_id=first.id)
    rounds.close_round(session, actor=ADMIN, round_id=first.id or 0)
    second = rounds.open_round(
        session,
        actor=ADMIN,
        name="Round 2",
        opens_on=first.opens_on + dt.timedelta(days=30),
        closes_on=None,
        checklist_version_id=first.checklist_version_id,
    )
    survey = surveys.find_survey(session, round_id=second.id or 0, country_code=country)
    assert survey is not None
    return survey


def test_confirm_carried_over_answers(session: Session) -> None:
    survey = carried_over_survey(session)
    survey_id = survey.id or 0
    audit_before = len(audit_entries(session))
    moment = dt.datetime(2031, 1, 2, 3, 4, tzinfo=dt.UTC)
    assert (
        lifecycle.confirm_carried_over(
            session, actor=REP_FR, survey_id=survey_id, element_ids=["SPP-07", "SPP-08", "SPP-07"], now=moment
        )
        == 2
    )
    answers = surveys.load_answers(session, survey_id=survey_id)
    for element_id in ("SPP-07", "SPP-08"):
        answer = answers[element_id]
        assert (answer.carried_over, answer.needs_reconfirmation, answer.version) == (False, False, 2)
        assert answer.answered_by == REP_FR.username
        assert answer.answered_at.replace(tzinfo=dt.UTC) == moment
    assert answers["SPP-13"].carried_over and answers["SPP-13"].version == 1
    new_entries = audit_entries(session)[audit_before:]
    assert [(e.action, e.entity_key.split("/")[-1]) for e in new_entries] == [
        ("confirm_answer", "SPP-07"),
        ("confirm_answer", "SPP-08"),
    ]
    assert new_entries[0].before is not None and new_entries[0].before["carried_over"] is True
    assert new_entries[0].after is not None and new_entries[0].after["answered_by"] == REP_FR.username
    # The rest in one go; already confirmed answers are not counted again.
    assert lifecycle.confirm_carried_over(session, actor=REP_FR, survey_id=survey_id) == 67
    assert lifecycle.confirm_carried_over(session, actor=REP_FR, survey_id=survey_id) == 0
    assert not any(a.carried_over for a in surveys.load_answers(session, survey_id=survey_id).values())
    # The survey's own version does not move: confirming is editing, not a state change.
    assert fresh_survey(session, survey_id).version == 1


def test_a_page_loaded_before_the_confirmation_cannot_overwrite_it(session: Session) -> None:
    survey = carried_over_survey(session)
    lifecycle.confirm_carried_over(session, actor=REP_FR, survey_id=survey.id or 0, element_ids=["KIN-01"])
    with pytest.raises(ConflictError):
        surveys.save_answers(
            session,
            actor=ADMIN,
            survey_id=survey.id or 0,
            answers=[
                AnswerInput(element_id="KIN-01", status="NOPL", note="Not a national priority.", expected_version=1)
            ],
        )


def test_confirm_refuses_unknown_elements_and_changes_nothing(session: Session) -> None:
    survey = carried_over_survey(session)
    audit_before = len(audit_entries(session))
    with pytest.raises(ValidationFailed) as caught:
        lifecycle.confirm_carried_over(session, actor=REP_FR, survey_id=survey.id or 0, element_ids=["SPP-07", "XYZ-9"])
    assert list(caught.value.problems) == ["XYZ-9"]
    assert all(a.carried_over for a in surveys.load_answers(session, survey_id=survey.id or 0).values())
    assert len(audit_entries(session)) == audit_before


def test_confirm_needs_an_open_round_and_the_countrys_editor(session: Session) -> None:
    survey = carried_over_survey(session)
    with pytest.raises(PermissionDenied):
        lifecycle.confirm_carried_over(session, actor=REP_NO, survey_id=survey.id or 0)
    rounds.close_round(session, actor=ADMIN, round_id=survey.round_id)
    with pytest.raises(InvalidState, match="closed"):
        lifecycle.confirm_carried_over(session, actor=REP_FR, survey_id=survey.id or 0)
    assert all(a.carried_over for a in session.exec(select(Answer).where(Answer.survey_id == survey.id)))


def test_save_clears_carried_over(session: Session) -> None:
    survey = carried_over_survey(session)
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey.id or 0,
        answers=[AnswerInput(element_id="DEP-01", status="CONS", expected_version=1)],
    )
    answers = surveys.load_answers(session, survey_id=survey.id or 0)
    assert not answers["DEP-01"].carried_over
    assert answers["DEP-02"].carried_over
    # Unconfirmed carried-over answers count as answered: the survey can be handed in as it is.
    assert surveys.submit_survey(session, actor=REP_FR, survey_id=survey.id or 0, expected_version=1).state == S
