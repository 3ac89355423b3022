"""Read-only summaries of where the surveys stand."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from mcwg_dashboard.models import Answer, Country, CountrySurvey
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.rounds import list_rounds

COLUMNS = ["Round", "Country", "Code", "State", "Answered", "Last change"]


def survey_status_table(session: Session) -> pd.DataFrame:
    """One row per round and member: survey state and the share of elements answered."""
    rounds = list_rounds(session)
    if not rounds:
        return pd.DataFrame(columns=COLUMNS)
    countries = list(session.exec(select(Country).order_by(Country.name)))
    counts = {
        survey_id: (answered, last)
        for survey_id, answered, last in session.exec(
            select(
                col(CountrySurvey.id),
                func.count(col(Answer.id)).filter(col(Answer.status) != "UNK"),
                func.max(col(Answer.answered_at)),
            )
            .join(Answer, col(Answer.survey_id) == col(CountrySurvey.id), isouter=True)
            .group_by(col(CountrySurvey.id))
        )
    }
    surveys = {(s.round_id, s.country_code): s for s in session.exec(select(CountrySurvey))}
    rows = []
    for survey_round in rounds:
        assert survey_round.id is not None
        total = len(checklist_for_version(session, survey_round.checklist_version_id).elements)
        for country in countries:
            survey = surveys.get((survey_round.id, country.code))
            answered, last = counts.get(survey.id, (0, None)) if survey else (0, None)
            rows.append(
                {
                    "Round": survey_round.name,
                    "Country": country.name,
                    "Code": country.code,
                    "State": survey.state if survey else "not started",
                    "Answered": answered / total if total else 0.0,
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
