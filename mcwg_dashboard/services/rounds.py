"""Survey rounds."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from mcwg_dashboard.models import RoundState, SurveyRound
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.errors import InvalidState
from mcwg_dashboard.services.transaction import transaction


def list_rounds(session: Session) -> list[SurveyRound]:
    """All rounds, newest first."""
    return list(
        session.exec(select(SurveyRound).order_by(col(SurveyRound.opens_on).desc(), col(SurveyRound.id).desc()))
    )


def open_rounds(session: Session) -> list[SurveyRound]:
    return [r for r in list_rounds(session) if r.state == RoundState.OPEN]


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
    require_admin(actor)
    name = name.strip()
    if not name:
        raise InvalidState("A survey round needs a name.")
    if closes_on is not None and closes_on < opens_on:
        raise InvalidState(f"The round cannot close ({closes_on}) before it opens ({opens_on}).")
    if session.exec(select(SurveyRound).where(SurveyRound.name == name)).first() is not None:
        raise InvalidState(f"A survey round named {name!r} already exists.")
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
