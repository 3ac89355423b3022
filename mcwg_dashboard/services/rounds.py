"""Survey rounds and their lifecycle: open (pre-filled from the previous round), closing date, close, reopen.

Every write here is for the focus group (admin) only, and follows the service rule: permission check,
validation, one transaction, one audit entry per change.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlmodel import Session, col, select

from mcwg_dashboard.models import (
    Answer,
    ChecklistElement,
    Country,
    CountrySurvey,
    RoundState,
    SurveyRound,
    SurveyState,
    utcnow,
)
from mcwg_dashboard.services import audit, dates
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.errors import ConflictError, InvalidState, NotFound, ValidationFailed
from mcwg_dashboard.services.members import in_round
from mcwg_dashboard.services.profiles import carry_profile, get_profile
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.text import clean_text

MAX_ROUND_NAME = 80
MAX_REASON = 2000


def list_rounds(session: Session) -> list[SurveyRound]:
    """All rounds, newest first."""
    return list(
        session.exec(select(SurveyRound).order_by(col(SurveyRound.opens_on).desc(), col(SurveyRound.id).desc()))
    )


def open_rounds(session: Session) -> list[SurveyRound]:
    return [r for r in list_rounds(session) if r.state == RoundState.OPEN]


def _get_round(session: Session, round_id: int) -> SurveyRound:
    survey_round = session.get(SurveyRound, round_id)
    if survey_round is None:
        raise NotFound(f"Survey round {round_id} does not exist.")
    return survey_round


def _check_dates(**values: dt.date | None) -> None:
    problems = {name: [message] for name, value in values.items() if (message := dates.problem(value))}
    if problems:
        raise ValidationFailed(problems, summary="The round was not saved: a date is out of range.")


def _checked_round_input(session: Session, name: str, opens_on: dt.date, closes_on: dt.date | None) -> str:
    """The stripped name, or InvalidState for a blank or duplicate name or a closing date before the opening."""
    name = clean_text(name).strip()
    if not name:
        raise InvalidState("A survey round needs a name.")
    if len(name) > MAX_ROUND_NAME:
        raise InvalidState(f"A round name has at most {MAX_ROUND_NAME} characters (this one has {len(name)}).")
    _check_dates(opens_on=opens_on, closes_on=closes_on)
    if closes_on is not None and closes_on < opens_on:
        raise InvalidState(f"The round cannot close ({closes_on}) before it opens ({opens_on}).")
    if session.exec(select(SurveyRound).where(SurveyRound.name == name)).first() is not None:
        raise InvalidState(f"A survey round named {name!r} already exists.")
    return name


def create_round(
    session: Session,
    *,
    actor: Actor,
    name: str,
    opens_on: dt.date,
    closes_on: dt.date | None,
    checklist_version_id: int,
    state: RoundState = RoundState.OPEN,
    is_demo: bool = False,
) -> SurveyRound:
    """An empty round (no surveys). `open_round` is the focus group's way to start a round with carried-over answers."""
    actor = require_admin(session, actor)
    name = _checked_round_input(session, name, opens_on, closes_on)
    with transaction(session):
        survey_round = SurveyRound(
            name=name,
            opens_on=opens_on,
            closes_on=closes_on,
            checklist_version_id=checklist_version_id,
            state=state.value,
            is_demo=is_demo,
        )
        session.add(survey_round)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="create_round",
            entity="surveyround",
            entity_key=name,
            before=None,
            after={"name": name, "opens_on": str(opens_on), "closes_on": str(closes_on), "state": state.value},
        )
    return survey_round


def previous_round(session: Session, survey_round: SurveyRound) -> SurveyRound | None:
    """The most recent round that opened before this one (same opening day: the one created earlier)."""
    candidates = session.exec(
        select(SurveyRound)
        .where(col(SurveyRound.id) != survey_round.id, col(SurveyRound.opens_on) <= survey_round.opens_on)
        .order_by(col(SurveyRound.opens_on).desc(), col(SurveyRound.id).desc())
    )
    for candidate in candidates:
        if candidate.opens_on < survey_round.opens_on or (candidate.id or 0) < (survey_round.id or 0):
            return candidate
    return None


def _carry_rules(session: Session, source_version_id: int, target_version_id: int) -> dict[str, bool]:
    """Element ID -> needs re-confirmation, for every element of the target checklist version.

    Same version: nothing needs re-confirmation. Otherwise an element whose content hash changed does;
    an element new in the target version has no answer to carry anyway.
    """
    target = {
        row.element_id: row.content_hash
        for row in session.exec(
            select(ChecklistElement).where(ChecklistElement.checklist_version_id == target_version_id)
        )
    }
    if source_version_id == target_version_id:
        return dict.fromkeys(target, False)
    source = {
        row.element_id: row.content_hash
        for row in session.exec(
            select(ChecklistElement).where(ChecklistElement.checklist_version_id == source_version_id)
        )
    }
    return {element_id: source.get(element_id) != digest for element_id, digest in target.items()}


def open_round(
    session: Session,
    *,
    actor: Actor,
    name: str,
    opens_on: dt.date,
    closes_on: dt.date | None,
    checklist_version_id: int,
    now: dt.datetime | None = None,
) -> SurveyRound:
    """Open a new round, with a draft survey pre-filled for every member that answered the previous round.

    The previous round is the most recent round that opened before this one (`previous_round`), whatever
    its state; older rounds are never copied from, so a member that skipped the previous round starts empty.
    Each copied answer keeps its status, note, evidence URL, target date, answered_by and answered_at, starts
    at version 1 and is marked `carried_over` until the country confirms or edits it. When the checklist
    version differs, answers to elements that no longer exist are dropped, answers whose status is no longer
    on the answer scale are dropped, and answers to elements whose content changed get `needs_reconfirmation`
    (an answer that still needed re-confirmation in the previous round keeps needing it).

    One transaction; one audit entry for the round and one per pre-filled survey.
    """
    actor = require_admin(session, actor)
    name = _checked_round_input(session, name, opens_on, closes_on)
    checklist = checklist_for_version(session, checklist_version_id)  # NotFound for an unknown version
    now = now or utcnow()
    scale_codes = set(checklist.scale.codes)
    with transaction(session):
        survey_round = SurveyRound(
            name=name,
            opens_on=opens_on,
            closes_on=closes_on,
            checklist_version_id=checklist_version_id,
            state=RoundState.OPEN.value,
        )
        session.add(survey_round)
        session.flush()
        source = previous_round(session, survey_round)
        audit.record(
            session,
            actor=actor,
            action="open_round",
            entity="surveyround",
            entity_key=name,
            before=None,
            after={
                "name": name,
                "opens_on": str(opens_on),
                "closes_on": str(closes_on),
                "state": RoundState.OPEN.value,
                "checklist_version_id": checklist_version_id,
                "carried_over_from": source.name if source else None,
            },
        )
        if source is not None:
            reconfirm = _carry_rules(session, source.checklist_version_id, checklist_version_id)
            members = {c.code for c in session.exec(select(Country)) if in_round(c, survey_round)}
            source_surveys = session.exec(
                select(CountrySurvey).where(CountrySurvey.round_id == source.id).order_by(CountrySurvey.country_code)
            )
            for old_survey in list(source_surveys):
                if old_survey.country_code not in members:
                    continue
                old_answers = list(
                    session.exec(
                        select(Answer).where(Answer.survey_id == old_survey.id).order_by(col(Answer.element_id))
                    )
                )
                kept = [a for a in old_answers if a.element_id in reconfirm and a.status in scale_codes]
                if not kept and get_profile(session, survey_id=old_survey.id or 0) is None:
                    continue
                survey = CountrySurvey(
                    round_id=survey_round.id or 0,
                    country_code=old_survey.country_code,
                    state=SurveyState.DRAFT.value,
                    is_demo=old_survey.is_demo,
                    updated_at=now,
                )
                session.add(survey)
                session.flush()
                profile_carried = carry_profile(
                    session, source_survey_id=old_survey.id or 0, target_survey_id=survey.id or 0
                )
                flagged = 0
                for old in kept:
                    needs = reconfirm[old.element_id] or old.needs_reconfirmation
                    flagged += int(needs)
                    session.add(
                        Answer(
                            survey_id=survey.id or 0,
                            element_id=old.element_id,
                            status=old.status,
                            note=old.note,
                            evidence_url=old.evidence_url,
                            target_date=old.target_date,
                            stage=old.stage,
                            regions=old.regions,
                            version=1,
                            answered_by=old.answered_by,
                            answered_at=old.answered_at,
                            needs_reconfirmation=needs,
                            element_changed=needs,
                            carried_over=True,
                        )
                    )
                audit.record(
                    session,
                    actor=actor,
                    action="carry_over_answers",
                    entity="countrysurvey",
                    entity_key=f"{name}/{survey.country_code}",
                    before=None,
                    after={
                        "state": SurveyState.DRAFT.value,
                        "from_round": source.name,
                        "answers": len(kept),
                        "needs_reconfirmation": flagged,
                        "dropped": len(old_answers) - len(kept),
                        "profile": profile_carried,
                    },
                )
    return survey_round


def set_closing_date(session: Session, *, actor: Actor, round_id: int, closes_on: dt.date | None) -> SurveyRound:
    """Change (or remove, with None) the planned closing date. It does not open or close the round."""
    actor = require_admin(session, actor)
    survey_round = _get_round(session, round_id)
    _check_dates(closes_on=closes_on)
    if closes_on is not None and closes_on < survey_round.opens_on:
        raise InvalidState(f"The round cannot close ({closes_on}) before it opens ({survey_round.opens_on}).")
    before = str(survey_round.closes_on)
    if survey_round.closes_on == closes_on:
        return survey_round
    with transaction(session):
        survey_round.closes_on = closes_on
        session.add(survey_round)
        audit.record(
            session,
            actor=actor,
            action="set_closing_date",
            entity="surveyround",
            entity_key=survey_round.name,
            before={"closes_on": before},
            after={"closes_on": str(closes_on)},
        )
    return survey_round


def _change_round_state(
    session: Session,
    *,
    actor: Actor,
    survey_round: SurveyRound,
    to_state: RoundState,
    action: str,
    extra: dict[str, str] | None = None,
) -> SurveyRound:
    from_state = survey_round.state
    with transaction(session):
        # Compare-and-set on the state: of two focus-group members closing at once, one wins, one is told.
        result = session.execute(
            update(SurveyRound)
            .where(col(SurveyRound.id) == survey_round.id, col(SurveyRound.state) == from_state)
            .values(state=to_state.value)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError([], f"The round {survey_round.name!r} was changed by someone else. Reload the page.")
        audit.record(
            session,
            actor=actor,
            action=action,
            entity="surveyround",
            entity_key=survey_round.name,
            before={"state": from_state},
            after={"state": to_state.value, **(extra or {})},
        )
    session.expire_all()
    return _get_round(session, survey_round.id or 0)


def close_round(session: Session, *, actor: Actor, round_id: int) -> SurveyRound:
    """Open -> closed. Surveys keep their state; drafts can no longer be edited or submitted until it reopens."""
    actor = require_admin(session, actor)
    survey_round = _get_round(session, round_id)
    if survey_round.state != RoundState.OPEN:
        raise InvalidState(
            f"The round {survey_round.name!r} is {survey_round.state}: only an open round can be closed."
        )
    return _change_round_state(
        session, actor=actor, survey_round=survey_round, to_state=RoundState.CLOSED, action="close_round"
    )


def reopen_round(session: Session, *, actor: Actor, round_id: int, reason: str) -> SurveyRound:
    """Closed -> open, with the reason kept in the audit trail."""
    actor = require_admin(session, actor)
    survey_round = _get_round(session, round_id)
    reason = clean_text(reason).strip()
    if not reason:
        raise ValidationFailed({"reason": ["a reason is required to reopen a round."]}, summary="Not reopened.")
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": [f"at most {MAX_REASON} characters."]}, summary="Not reopened.")
    if survey_round.state != RoundState.CLOSED:
        raise InvalidState(
            f"The round {survey_round.name!r} is {survey_round.state}: only a closed round can be reopened."
        )
    return _change_round_state(
        session,
        actor=actor,
        survey_round=survey_round,
        to_state=RoundState.OPEN,
        action="reopen_round",
        extra={"reason": reason},
    )
