"""A country survey's way through review: validate, send back, publish, reopen; and confirming carried-over answers.

    draft --submit (country, surveys.submit_survey)--> submitted
    submitted --validate (admin)--> validated
    submitted | validated --send back, with a comment (admin)--> draft
    validated --publish (admin)--> published          (publish_round: every validated survey of a round)
    validated | published --reopen, with a reason (admin)--> draft

Every other move is refused with InvalidState naming the survey's state and what the action needs. Each
transition names the survey version the user saw (`expected_version`) and is written with a compare-and-set
UPDATE on it: a survey changed meanwhile gives ConflictError and nothing is written. Each writes one audit
entry with the state before and after.

Transitions do not depend on the round's state: the focus group validates and publishes after a round
closes. A survey sent back or reopened in a closed round stays a locked draft until the round reopens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from mcwg_dashboard.models import Answer, CountrySurvey, SurveyRound, SurveyState, utcnow
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.errors import Conflict, ConflictError, InvalidState, NotFound, ValidationFailed
from mcwg_dashboard.services.surveys import claim_draft, editable_survey, get_round, load_answers
from mcwg_dashboard.services.transaction import transaction

# Action -> (states it may start from, state it leads to). Submitting lives in services.surveys.
TRANSITIONS: dict[str, tuple[tuple[SurveyState, ...], SurveyState]] = {
    "submit": ((SurveyState.DRAFT,), SurveyState.SUBMITTED),
    "validate": ((SurveyState.SUBMITTED,), SurveyState.VALIDATED),
    "send_back": ((SurveyState.SUBMITTED, SurveyState.VALIDATED), SurveyState.DRAFT),
    "publish": ((SurveyState.VALIDATED,), SurveyState.PUBLISHED),
    "reopen": ((SurveyState.VALIDATED, SurveyState.PUBLISHED), SurveyState.DRAFT),
}

_PAST_TENSE = {
    "submit": "submitted",
    "validate": "validated",
    "send_back": "sent back",
    "publish": "published",
    "reopen": "reopened",
}


def allowed_actions(state: str) -> list[str]:
    """The transitions a survey in this state allows (for showing only the buttons that can work)."""
    return [action for action, (sources, _) in TRANSITIONS.items() if state in sources]


def _survey_key(survey_round: SurveyRound, survey: CountrySurvey) -> str:
    return f"{survey_round.name}/{survey.country_code}"


def _get_survey(session: Session, survey_id: int) -> CountrySurvey:
    # Fresh from the database: a long-lived session must not judge the expected version by a stale copy.
    survey = session.get(CountrySurvey, survey_id, populate_existing=True)
    if survey is None:
        raise NotFound(f"Survey {survey_id} does not exist.")
    return survey


def _stale(survey: CountrySurvey, action: str) -> ConflictError:
    return ConflictError(
        [],
        f"Not {_PAST_TENSE[action]}: the survey of {survey.country_code} was changed by someone else since you "
        f"loaded it (it is now {survey.state}, version {survey.version}). Reload the page.",
    )


def _check_state(survey: CountrySurvey, action: str) -> None:
    sources, _ = TRANSITIONS[action]
    if survey.state not in sources:
        allowed = " or ".join(s.value for s in sources)
        raise InvalidState(
            f"The survey of {survey.country_code} is {survey.state}: "
            f"only a {allowed} survey can be {_PAST_TENSE[action]}."
        )


def _required_text(value: str, field: str, action: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed(
            {field: [f"a {field} is required: the country sees it."]}, summary=f"Not {_PAST_TENSE[action]}."
        )
    if len(value) > 2000:
        raise ValidationFailed({field: ["at most 2000 characters."]}, summary=f"Not {_PAST_TENSE[action]}.")
    return value


def _write_transition(
    session: Session,
    *,
    actor: Actor,
    survey: CountrySurvey,
    survey_round: SurveyRound,
    action: str,
    values: dict[str, Any],
    note: dict[str, str] | None = None,
) -> None:
    """Compare-and-set one survey's state inside the caller's transaction, with its audit entry."""
    _, to_state = TRANSITIONS[action]
    result = session.execute(
        update(CountrySurvey)
        .where(
            col(CountrySurvey.id) == survey.id,
            col(CountrySurvey.version) == survey.version,
            col(CountrySurvey.state) == survey.state,
        )
        .values(state=to_state.value, version=survey.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _RaceLost
    audit.record(
        session,
        actor=actor,
        action=f"{action}_survey",
        entity="countrysurvey",
        entity_key=_survey_key(survey_round, survey),
        before={"state": survey.state, "version": survey.version},
        after={"state": to_state.value, "version": survey.version + 1, **(note or {})},
    )


class _RaceLost(Exception):
    pass


def _transition(
    session: Session,
    *,
    actor: Actor,
    survey_id: int,
    expected_version: int,
    action: str,
    values: dict[str, Any],
    note: dict[str, str] | None = None,
) -> CountrySurvey:
    survey = _get_survey(session, survey_id)
    if survey.version != expected_version:
        raise _stale(survey, action)
    _check_state(survey, action)
    survey_round = get_round(session, survey.round_id)
    try:
        with transaction(session):
            _write_transition(
                session,
                actor=actor,
                survey=survey,
                survey_round=survey_round,
                action=action,
                values=values,
                note=note,
            )
    except _RaceLost:
        session.expire_all()
        raise _stale(_get_survey(session, survey_id), action) from None
    session.expire_all()
    return _get_survey(session, survey_id)


def validate_survey(session: Session, *, actor: Actor, survey_id: int, expected_version: int) -> CountrySurvey:
    """Submitted -> validated: the focus group accepts the country's answers (admin)."""
    actor = require_admin(session, actor)
    now = utcnow()
    return _transition(
        session,
        actor=actor,
        survey_id=survey_id,
        expected_version=expected_version,
        action="validate",
        values={"validated_at": now, "validated_by": actor.username, "updated_at": now},
    )


def send_back_survey(
    session: Session, *, actor: Actor, survey_id: int, expected_version: int, comment: str
) -> CountrySurvey:
    """Submitted or validated -> draft, with the comment the country sees in `state_comment` (admin)."""
    actor = require_admin(session, actor)
    comment = _required_text(comment, "comment", "send_back")
    return _transition(
        session,
        actor=actor,
        survey_id=survey_id,
        expected_version=expected_version,
        action="send_back",
        values={"state_comment": comment, "validated_at": None, "validated_by": None, "updated_at": utcnow()},
        note={"comment": comment},
    )


def publish_survey(session: Session, *, actor: Actor, survey_id: int, expected_version: int) -> CountrySurvey:
    """Validated -> published (admin)."""
    actor = require_admin(session, actor)
    now = utcnow()
    return _transition(
        session,
        actor=actor,
        survey_id=survey_id,
        expected_version=expected_version,
        action="publish",
        values={"published_at": now, "published_by": actor.username, "updated_at": now},
    )


def publish_round(session: Session, *, actor: Actor, round_id: int) -> int:
    """Publish every validated survey of the round in one transaction; returns how many (admin).

    Surveys in any other state are left alone. One audit entry per published survey. If any of them
    changes while this runs, nothing is published (ConflictError).
    """
    actor = require_admin(session, actor)
    survey_round = get_round(session, round_id)
    validated = list(
        session.exec(
            select(CountrySurvey)
            .where(CountrySurvey.round_id == round_id, CountrySurvey.state == SurveyState.VALIDATED.value)
            .order_by(col(CountrySurvey.country_code))
        )
    )
    if not validated:
        return 0
    now = utcnow()
    try:
        with transaction(session):
            for survey in validated:
                _write_transition(
                    session,
                    actor=actor,
                    survey=survey,
                    survey_round=survey_round,
                    action="publish",
                    values={"published_at": now, "published_by": actor.username, "updated_at": now},
                )
    except _RaceLost:
        session.expire_all()
        raise ConflictError(
            [],
            f"Nothing was published: a survey of the round {survey_round.name!r} changed meanwhile. Reload the page.",
        ) from None
    session.expire_all()
    return len(validated)


def reopen_survey(
    session: Session, *, actor: Actor, survey_id: int, expected_version: int, reason: str
) -> CountrySurvey:
    """Validated or published -> draft, with the reason in `state_comment`; clears the validation and
    publication stamps (the submission stamps stay until the next submission) (admin)."""
    actor = require_admin(session, actor)
    reason = _required_text(reason, "reason", "reopen")
    return _transition(
        session,
        actor=actor,
        survey_id=survey_id,
        expected_version=expected_version,
        action="reopen",
        values={
            "state_comment": reason,
            "validated_at": None,
            "validated_by": None,
            "published_at": None,
            "published_by": None,
            "updated_at": utcnow(),
        },
        note={"reason": reason},
    )


def confirm_carried_over(
    session: Session,
    *,
    actor: Actor,
    survey_id: int,
    element_ids: list[str] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """The country confirms carried-over answers unchanged; returns how many were confirmed.

    `element_ids=None` confirms every answer still carried over or needing re-confirmation. A confirmed
    answer becomes the actor's (answered_by/answered_at), is no longer carried over nor flagged, and its
    version goes up by one, so a page loaded before the confirmation cannot overwrite it unseen. Answers
    already confirmed or edited are skipped; an element without an answer in this survey is refused.
    The survey must be a draft in an open round and the actor its country's editor. One audit entry per answer.
    """
    survey, survey_round = editable_survey(session, actor, survey_id)
    answers = load_answers(session, survey_id=survey_id)
    if element_ids is None:
        wanted = sorted(answers)
    else:
        wanted = list(dict.fromkeys(element_ids))
        unknown = [element_id for element_id in wanted if element_id not in answers]
        if unknown:
            raise ValidationFailed(
                {key: ["has no answer in this survey to confirm."] for key in unknown}, summary="Nothing was confirmed."
            )
    to_confirm = [
        answers[element_id]
        for element_id in wanted
        if answers[element_id].carried_over or answers[element_id].needs_reconfirmation
    ]
    if not to_confirm:
        return 0
    now = now or utcnow()
    lost: list[str] = []
    try:
        with transaction(session):
            claim_draft(session, survey, now)  # the survey is still a draft when the answers are confirmed
            for answer in to_confirm:
                result = session.execute(
                    update(Answer)
                    .where(col(Answer.id) == answer.id, col(Answer.version) == answer.version)
                    .values(
                        carried_over=False,
                        needs_reconfirmation=False,
                        answered_by=actor.username,
                        answered_at=now,
                        version=answer.version + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    lost.append(answer.element_id)
                    raise _RaceLost
                audit.record(
                    session,
                    actor=actor,
                    action="confirm_answer",
                    entity="answer",
                    entity_key=f"{_survey_key(survey_round, survey)}/{answer.element_id}",
                    before={
                        "status": answer.status,
                        "carried_over": answer.carried_over,
                        "needs_reconfirmation": answer.needs_reconfirmation,
                        "answered_by": answer.answered_by,
                        "version": answer.version,
                    },
                    after={
                        "status": answer.status,
                        "carried_over": False,
                        "needs_reconfirmation": False,
                        "answered_by": actor.username,
                        "version": answer.version + 1,
                    },
                )
    except _RaceLost:
        session.expire_all()
        latest = load_answers(session, survey_id=survey_id)
        conflicts = [
            Conflict(
                element_id=element_id,
                expected_version=next(a.version for a in to_confirm if a.element_id == element_id),
                current_version=latest[element_id].version if element_id in latest else 0,
                current_status=latest[element_id].status if element_id in latest else None,
                changed_by=latest[element_id].answered_by if element_id in latest else None,
                changed_at=latest[element_id].answered_at.strftime("%Y-%m-%d %H:%M UTC")
                if element_id in latest
                else None,
            )
            for element_id in lost
        ]
        names = "; ".join(f"{c.element_id} (changed by {c.changed_by or 'someone'})" for c in conflicts)
        raise ConflictError(
            conflicts, f"Nothing was confirmed: answers were changed by someone else since you loaded them: {names}"
        ) from None
    session.expire_all()
    return len(to_confirm)
