"""Small builders shared by tests."""

from __future__ import annotations

from sqlmodel import Session

from mcwg_dashboard.models import SurveyRound
from mcwg_dashboard.services.actors import Actor, Role
from mcwg_dashboard.services.rounds import open_rounds

ADMIN = Actor(username="fg-admin", role=Role.ADMIN)
REP_FR = Actor(username="rep-fr", role=Role.COUNTRY_REP, countries=frozenset({"FR"}))
REP_NO = Actor(username="rep-no", role=Role.COUNTRY_REP, countries=frozenset({"NO"}))
MEMBER = Actor(username="member", role=Role.MEMBER)


def the_open_round(session: Session) -> SurveyRound:
    rounds = open_rounds(session)
    assert len(rounds) == 1
    return rounds[0]
