"""Read-only summaries of where the surveys stand."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from mcwg_dashboard.models import Answer, ChangeProposal, Country, CountrySurvey, SurveyRound, SurveyState
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.members import in_round, round_member_codes
from mcwg_dashboard.services.rounds import list_rounds

COLUMNS = ["Round", "Country", "Code", "State", "Answered", "Unknown", "Last change"]


def survey_status_table(session: Session, *, round_id: int | None = None) -> pd.DataFrame:
    """One row per round and member: survey state and the share of elements answered.

    With `round_id`, that round only: the answers of the other rounds are then not even counted.
    """
    rounds = [r for r in list_rounds(session) if round_id is None or r.id == round_id]
    if not rounds:
        return pd.DataFrame(columns=COLUMNS)
    countries = list(session.exec(select(Country).order_by(Country.name)))
    count_query = (
        select(
            col(CountrySurvey.id),
            func.count(col(Answer.id)).filter(col(Answer.status) != "UNK"),
            func.max(col(Answer.answered_at)),
        )
        .join(Answer, col(Answer.survey_id) == col(CountrySurvey.id), isouter=True)
        .group_by(col(CountrySurvey.id))
    )
    survey_query = select(CountrySurvey)
    if round_id is not None:
        count_query = count_query.where(col(CountrySurvey.round_id) == round_id)
        survey_query = survey_query.where(col(CountrySurvey.round_id) == round_id)
    counts = {survey_id: (answered, last) for survey_id, answered, last in session.exec(count_query)}
    surveys = {(s.round_id, s.country_code): s for s in session.exec(survey_query)}
    rows = []
    totals: dict[int, int] = {}  # elements per checklist version, looked up once each
    for survey_round in rounds:
        assert survey_round.id is not None
        version_id = survey_round.checklist_version_id
        if version_id not in totals:
            totals[version_id] = len(checklist_for_version(session, version_id).elements)
        total = totals[version_id]
        for country in countries:
            survey = surveys.get((survey_round.id, country.code))
            if survey is None and not in_round(country, survey_round):
                continue
            answered, last = counts.get(survey.id, (0, None)) if survey else (0, None)
            rows.append(
                {
                    "Round": survey_round.name,
                    "Country": country.name,
                    "Code": country.code,
                    "State": survey.state if survey else "not started",
                    "Answered": answered / total if total else 0.0,
                    # Elements still Unknown (a survey may be submitted with some, once the country confirms them).
                    "Unknown": total - answered,
                    "Last change": last.strftime("%Y-%m-%d") if last else "",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


RECONFIRMATION_COLUMNS = ["Element", "Carried onto a changed element", "Re-confirmed", "Share re-confirmed"]


def reconfirmation_table(session: Session, round_id: int) -> pd.DataFrame:
    """Per element that changed in the checklist: answers carried onto it in this round, and how many are confirmed.

    Counts every survey of the round, drafts included: it says how far the countries are, not what they answered.
    """
    rows = session.exec(
        select(
            col(Answer.element_id),
            func.count(col(Answer.id)),
            func.count(col(Answer.id)).filter(col(Answer.needs_reconfirmation) == False),  # noqa: E712
        )
        .join(CountrySurvey, col(CountrySurvey.id) == col(Answer.survey_id))
        .where(col(CountrySurvey.round_id) == round_id, col(Answer.element_changed) == True)  # noqa: E712
        .group_by(col(Answer.element_id))
        .order_by(col(Answer.element_id))
    ).all()
    table = pd.DataFrame(
        [(element_id, int(flagged), int(done), done / flagged) for element_id, flagged, done in rows],
        columns=RECONFIRMATION_COLUMNS,
    )
    return table


PARTICIPATION_COLUMNS = ["Country", "Code", "Survey answered", "Survey state", "Change proposals raised"]
_HANDED_IN = (SurveyState.SUBMITTED.value, SurveyState.VALIDATED.value, SurveyState.PUBLISHED.value)


def participation_table(session: Session, round_id: int) -> pd.DataFrame:
    """Participation, not adoption (formerly TRK-01 and TRK-02, now derived, never asked or scored): whether each
    member handed in its survey of the round, and how many change proposals it raised (the whole register)."""
    states = {
        code: state
        for code, state in session.exec(
            select(CountrySurvey.country_code, CountrySurvey.state).where(CountrySurvey.round_id == round_id)
        )
    }
    survey_round = session.get(SurveyRound, round_id)
    members = round_member_codes(session, survey_round) if survey_round is not None else set()
    raised = dict(
        session.exec(
            select(col(ChangeProposal.country_code), func.count(col(ChangeProposal.id))).group_by(
                col(ChangeProposal.country_code)
            )
        ).all()
    )
    rows = [
        (
            country.name,
            country.code,
            states.get(country.code) in _HANDED_IN,
            states.get(country.code, "not started"),
            int(raised.get(country.code, 0)),
        )
        for country in session.exec(select(Country).order_by(Country.name))
        if country.code in members
    ]
    return pd.DataFrame(rows, columns=PARTICIPATION_COLUMNS)
