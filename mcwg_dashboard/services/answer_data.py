"""Answers as one long pandas frame for the dashboards: one query, whatever the number of countries."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import and_, select
from sqlmodel import Session, col

from mcwg_dashboard.analytics import DRAFT, HEADLINE, RETIRED, WATCH
from mcwg_dashboard.models import (
    Answer,
    ChecklistElement,
    ChecklistVersion,
    Country,
    CountrySurvey,
    DeploymentProfile,
    SurveyRound,
    SurveyState,
)
from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version

# Answers a country has handed in; drafts stay the country's own business.
SHARED_STATES = (SurveyState.SUBMITTED.value, SurveyState.VALIDATED.value, SurveyState.PUBLISHED.value)
# What the public may see: what the plenary approved and the focus group published.
PUBLISHED_STATES = (SurveyState.PUBLISHED.value,)

ANSWER_COLUMNS = [
    "round_id",
    "round_name",
    "round_opens_on",
    "round_is_demo",
    "checklist_version_id",
    "checklist_version",
    "country_code",
    "country_name",
    "architectures",
    "survey_state",
    "element_id",
    "element_title",
    "set_code",
    "position",
    "metadata_level",
    "status",
    "note",
    "evidence_url",
    "target_date",
    "stage",
    "regions",
    "answered_at",
    "needs_reconfirmation",
    "element_changed",
    "weight",
    "answered",
    "scope",
]
# What an answer counts for, by the newest checklist's reading (applied to every round, so rounds compare like with
# like): adoption elements of finalized sets make the headline figures; those of in-progress sets are shown apart as
# draft recommendations; the MADO watch list is shown, never scored. Elements the newest checklist no longer has
# (SPP-01..03 became the deployment profile, TRK-01/02 participation figures) are left out of the dashboards.


def load_answer_frame(
    session: Session,
    *,
    round_ids: Iterable[int] | None = None,
    states: Iterable[str] = SHARED_STATES,
    include_retired: bool = False,
) -> pd.DataFrame:
    """Every answer of the chosen rounds and survey states, with its round, country, element and score weight.

    Answers to elements the newest checklist no longer has are left out unless `include_retired` (the full export).
    """
    columns: list[Any] = [
        col(SurveyRound.id).label("round_id"),
        col(SurveyRound.name).label("round_name"),
        col(SurveyRound.opens_on).label("round_opens_on"),
        col(SurveyRound.is_demo).label("round_is_demo"),
        col(SurveyRound.checklist_version_id).label("checklist_version_id"),
        col(ChecklistVersion.label).label("checklist_version"),
        col(Country.code).label("country_code"),
        col(Country.name).label("country_name"),
        col(DeploymentProfile.architectures).label("architectures"),
        col(CountrySurvey.state).label("survey_state"),
        col(Answer.element_id).label("element_id"),
        col(ChecklistElement.title).label("element_title"),
        col(ChecklistElement.set_code).label("set_code"),
        col(ChecklistElement.position).label("position"),
        col(ChecklistElement.metadata_level).label("metadata_level"),
        col(Answer.status).label("status"),
        col(Answer.note).label("note"),
        col(Answer.evidence_url).label("evidence_url"),
        col(Answer.target_date).label("target_date"),
        col(Answer.stage).label("stage"),
        col(Answer.regions).label("regions"),
        col(Answer.answered_at).label("answered_at"),
        col(Answer.needs_reconfirmation).label("needs_reconfirmation"),
        col(Answer.element_changed).label("element_changed"),
    ]
    query = (
        select(*columns)
        .select_from(Answer)
        .join(CountrySurvey, col(CountrySurvey.id) == col(Answer.survey_id))
        .join(SurveyRound, col(SurveyRound.id) == col(CountrySurvey.round_id))
        .join(Country, col(Country.code) == col(CountrySurvey.country_code))
        .outerjoin(DeploymentProfile, col(DeploymentProfile.survey_id) == col(CountrySurvey.id))
        .join(ChecklistVersion, col(ChecklistVersion.id) == col(SurveyRound.checklist_version_id))
        .join(
            ChecklistElement,
            and_(
                col(ChecklistElement.checklist_version_id) == col(SurveyRound.checklist_version_id),
                col(ChecklistElement.element_id) == col(Answer.element_id),
            ),
        )
        .where(col(CountrySurvey.state).in_(list(states)))
        .order_by(col(SurveyRound.opens_on), col(Country.code), col(ChecklistElement.position))
    )
    if round_ids is not None:
        query = query.where(col(SurveyRound.id).in_(list(round_ids)))
    # Core rows straight into pandas: no ORM row processing, no dict per row (a few hundred thousand rows at scale).
    # Plain tuples: pandas probes every Row object for attributes, which costs an exception per row.
    rows = [tuple(row) for row in session.connection().execute(query).all()]
    frame = pd.DataFrame.from_records(rows, columns=ANSWER_COLUMNS[:-3])
    return add_weights(session, frame, include_retired=include_retired)


def element_scopes(session: Session) -> dict[str, str]:
    """Element ID -> HEADLINE, DRAFT or WATCH, from the newest checklist version (empty before any is stored)."""
    version = latest_version(session)
    if version is None or version.id is None:
        return {}
    checklist = checklist_for_version(session, version.id)
    scopes = {}
    for rec_set in checklist.sets:
        for element in rec_set.elements:
            scopes[element.id] = WATCH if element.is_watch else HEADLINE if rec_set.is_final else DRAFT
    return scopes


def add_weights(session: Session, frame: pd.DataFrame, *, include_retired: bool = False) -> pd.DataFrame:
    """Scope, score weight and 'answered' per row: the weight from the answer scale of the checklist version each
    round used, none for the watch list; rows of elements the newest checklist no longer has are RETIRED (never
    scored), and dropped unless `include_retired`."""
    scopes = element_scopes(session)
    scope = frame["element_id"].map(scopes)
    if include_retired:
        scope = scope.fillna(RETIRED)
    frame = frame[scope.notna()].copy()
    frame["architectures"] = frame["architectures"].fillna("")
    weight = pd.Series(math.nan, index=frame.index, dtype="float64")
    answered = pd.Series(False, index=frame.index, dtype=bool)
    versions = frame["checklist_version_id"]
    for version_id in versions.dropna().unique():
        scale = checklist_for_version(session, int(version_id)).scale
        rows = versions == version_id
        statuses = frame.loc[rows, "status"]
        weights = {s.code: math.nan if s.weight is None else s.weight for s in scale.statuses}
        weight[rows] = statuses.map(weights).astype("float64")
        answered[rows] = statuses.map({s.code: s.answered for s in scale.statuses}).eq(True)
    kept_scope = scope[scope.notna()].astype(str)
    weight[kept_scope.isin([WATCH, RETIRED])] = math.nan
    frame["weight"] = weight
    frame["answered"] = answered
    frame["scope"] = kept_scope
    return frame.reset_index(drop=True)


def rounds_with_answers(
    session: Session, *, states: Iterable[str] = SHARED_STATES, country_code: str | None = None
) -> list[int]:
    """The rounds holding answers in these survey states (of one member, when given), as `load_answer_frame` would
    return them, from one DISTINCT query: listing rounds never loads their answers."""
    current = list(element_scopes(session))
    if not current:
        return []
    query = (
        select(col(SurveyRound.id))
        .distinct()
        .select_from(Answer)
        .join(CountrySurvey, col(CountrySurvey.id) == col(Answer.survey_id))
        .join(SurveyRound, col(SurveyRound.id) == col(CountrySurvey.round_id))
        .join(
            ChecklistElement,
            and_(
                col(ChecklistElement.checklist_version_id) == col(SurveyRound.checklist_version_id),
                col(ChecklistElement.element_id) == col(Answer.element_id),
            ),
        )
        .where(col(CountrySurvey.state).in_(list(states)), col(Answer.element_id).in_(current))
    )
    if country_code is not None:
        query = query.where(col(CountrySurvey.country_code) == country_code)
    return sorted(int(round_id) for (round_id,) in session.connection().execute(query) if round_id is not None)
