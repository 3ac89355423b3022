"""Answers for the dashboards, read as narrowly as each page needs: the rows on screen (only the columns asked for,
only the rounds, elements, sets or members shown), or status counts grouped in SQL. One query either way, whatever
the number of members."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import Select, and_, case, event, func, literal, or_, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased
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
from mcwg_dashboard.services.checklist_store import checklist_for_version

# Answers a country has handed in; drafts stay the country's own business.
SHARED_STATES = (SurveyState.SUBMITTED.value, SurveyState.VALIDATED.value, SurveyState.PUBLISHED.value)
# What the public may see: what the plenary approved and the focus group published.
PUBLISHED_STATES = (SurveyState.PUBLISHED.value,)

# Columns read from the database, in the order of the full frame; the last three are derived (DERIVED_COLUMNS).
STORED_COLUMNS = [
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
]
# What an answer counts for, by the newest checklist's reading (applied to every round, so rounds compare like with
# like): adoption elements of finalized sets make the headline figures; those of in-progress sets are shown apart as
# draft recommendations; the MADO watch list is shown, never scored. Elements the newest checklist no longer has
# (SPP-01..03 became the deployment profile, TRK-01/02 participation figures) are left out of the dashboards.
DERIVED_COLUMNS = ["weight", "answered", "scope"]
ANSWER_COLUMNS = [*STORED_COLUMNS, *DERIVED_COLUMNS]
# What the derived columns are computed from.
_DERIVED_FROM = {
    "weight": ("checklist_version_id", "status", "element_id"),
    "answered": ("checklist_version_id", "status"),
    "scope": ("element_id",),
}
# After the group columns: the scope, version and status of the group, how many answers, the first checklist position
# among them (to order sets), the status's score weight and whether it counts as answered.
COUNT_COLUMNS = ["scope", "checklist_version_id", "status", "count", "position", "weight", "answered"]


def _expressions() -> dict[str, Any]:
    return {
        "round_id": col(SurveyRound.id),
        "round_name": col(SurveyRound.name),
        "round_opens_on": col(SurveyRound.opens_on),
        "round_is_demo": col(SurveyRound.is_demo),
        "checklist_version_id": col(SurveyRound.checklist_version_id),
        "checklist_version": col(ChecklistVersion.label),
        "country_code": col(CountrySurvey.country_code),
        "country_name": col(Country.name),
        "architectures": func.coalesce(col(DeploymentProfile.architectures), literal("")),
        "survey_state": col(CountrySurvey.state),
        "element_id": col(Answer.element_id),
        "element_title": col(ChecklistElement.title),
        "set_code": col(ChecklistElement.set_code),
        "position": col(ChecklistElement.position),
        "metadata_level": col(ChecklistElement.metadata_level),
        "status": col(Answer.status),
        "note": col(Answer.note),
        "evidence_url": col(Answer.evidence_url),
        "target_date": col(Answer.target_date),
        "stage": col(Answer.stage),
        "regions": col(Answer.regions),
        "answered_at": col(Answer.answered_at),
        "needs_reconfirmation": col(Answer.needs_reconfirmation),
        "element_changed": col(Answer.element_changed),
    }


def _answers_query(
    selected: Sequence[Any],
    names: Iterable[str],
    *,
    states: Iterable[str],
    round_ids: Iterable[int] | None,
    element_ids: Iterable[str] | None,
    set_codes: Iterable[str] | None,
    country_codes: Iterable[str] | None,
) -> Select[Any]:
    """Answers joined to their survey, round and checklist element (the version the round used); the member, the
    checklist version's label and the deployment profile only when a selected column needs them."""
    needed = set(names)
    query = (
        select(*selected)
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
        .where(col(CountrySurvey.state).in_(list(states)))
    )
    if "country_name" in needed:
        query = query.join(Country, col(Country.code) == col(CountrySurvey.country_code))
    if "checklist_version" in needed:
        query = query.join(ChecklistVersion, col(ChecklistVersion.id) == col(SurveyRound.checklist_version_id))
    if "architectures" in needed:
        query = query.outerjoin(DeploymentProfile, col(DeploymentProfile.survey_id) == col(CountrySurvey.id))
    if round_ids is not None:
        query = query.where(col(SurveyRound.id).in_([int(r) for r in round_ids]))
    if element_ids is not None:
        query = query.where(col(Answer.element_id).in_(list(element_ids)))
    if set_codes is not None:
        query = query.where(col(ChecklistElement.set_code).in_(list(set_codes)))
    if country_codes is not None:
        query = query.where(col(CountrySurvey.country_code).in_(list(country_codes)))
    return query


def load_answer_frame(
    session: Session,
    *,
    round_ids: Iterable[int] | None = None,
    states: Iterable[str] = SHARED_STATES,
    include_retired: bool = False,
    columns: Sequence[str] | None = None,
    element_ids: Iterable[str] | None = None,
    set_codes: Iterable[str] | None = None,
    country_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The answers of the chosen rounds and survey states (and elements, sets, members when given), one row each,
    with only the `columns` asked for (all of ANSWER_COLUMNS by default, plus what a derived column needs).

    Answers to elements the newest checklist no longer has are left out unless `include_retired` (the full export).
    """
    wanted = list(ANSWER_COLUMNS if columns is None else columns)
    unknown = [name for name in wanted if name not in ANSWER_COLUMNS]
    if unknown:
        raise ValueError(f"unknown answer column(s): {', '.join(unknown)}")
    needed = set(wanted) | {d for name in wanted for d in _DERIVED_FROM.get(name, ())}
    fetched = [name for name in STORED_COLUMNS if name in needed]
    state = _checklist_state(session)
    scopes = state.scopes
    if not include_retired:
        element_ids = _current_elements(session, state, element_ids, round_ids)
    expressions = _expressions()
    query = _answers_query(
        [expressions[name].label(name) for name in fetched],
        fetched,
        states=states,
        round_ids=round_ids,
        element_ids=element_ids,
        set_codes=set_codes,
        country_codes=country_codes,
    ).order_by(col(SurveyRound.opens_on), col(CountrySurvey.country_code), col(ChecklistElement.position))
    # Core rows as plain tuples (no ORM objects, no dict per row), turned into columns; the derived columns are worked
    # out over those plain lists, which for the few hundred rows a page usually reads costs far less than pandas.
    rows = [tuple(row) for row in session.connection().execute(query)]
    stored: dict[str, Sequence[Any]] = (
        dict(zip(fetched, zip(*rows, strict=True), strict=True)) if rows else {name: () for name in fetched}
    )
    derived = _derived_columns(session, stored, scopes, wanted)
    return pd.DataFrame({name: derived[name] if name in derived else stored[name] for name in wanted}, columns=wanted)


def _derived_columns(
    session: Session, stored: dict[str, Sequence[Any]], scopes: dict[str, str], wanted: Sequence[str]
) -> dict[str, Any]:
    """Scope, score weight and 'answered' per row: the weight from the answer scale of the checklist version each
    round used, none for the watch list or an element the newest checklist no longer has (RETIRED)."""
    derived: dict[str, Any] = {}
    if "scope" in wanted or "weight" in wanted:
        scope = [scopes.get(element, RETIRED) for element in stored["element_id"]]
        if "scope" in wanted:
            derived["scope"] = scope
    if "weight" not in wanted and "answered" not in wanted:
        return derived
    versions = stored["checklist_version_id"]
    weights, answered = _scale_maps(session, {v for v in versions if v is not None})
    keys = list(zip(versions, stored["status"], strict=True))
    if "weight" in wanted:
        unscored = (WATCH, RETIRED)
        derived["weight"] = pd.Series(
            [
                math.nan if row_scope in unscored else weights.get(key, math.nan)
                for key, row_scope in zip(keys, scope, strict=True)
            ],
            dtype="float64",
        )
    if "answered" in wanted:
        derived["answered"] = pd.Series([answered.get(key, False) for key in keys], dtype="bool")
    return derived


def _by_version_and_status(session: Session, frame: pd.DataFrame, which: int) -> pd.Series:
    """Per row: the score weight (which=0) or 'answered' (which=1) of its status on its round's answer scale."""
    versions = frame["checklist_version_id"].dropna().unique()
    maps = _scale_maps(session, versions)[which]
    if len(versions) == 1:  # the usual case: one status -> value mapping for every row
        only = versions[0]
        return frame["status"].map({status: value for (version, status), value in maps.items() if version == only})
    keys = zip(frame["checklist_version_id"], frame["status"], strict=True)
    return pd.Series([maps.get(key) for key in keys], index=frame.index, dtype=object)


def _scale_maps(session: Session, version_ids: Iterable[Any]) -> tuple[dict[Any, float], dict[Any, bool]]:
    """(checklist version, status) -> score weight (NaN for no weight) and -> whether it counts as answered."""
    weights: dict[Any, float] = {}
    answered: dict[Any, bool] = {}
    for version_id in version_ids:
        for status in checklist_for_version(session, int(version_id)).scale.statuses:
            weights[(version_id, status.code)] = math.nan if status.weight is None else float(status.weight)
            answered[(version_id, status.code)] = bool(status.answered)
    return weights, answered


def load_status_counts(
    session: Session,
    *,
    by: Sequence[str],
    round_ids: Iterable[int] | None = None,
    states: Iterable[str] = SHARED_STATES,
    element_ids: Iterable[str] | None = None,
    set_codes: Iterable[str] | None = None,
    country_codes: Iterable[str] | None = None,
    scope: str | None = None,
) -> pd.DataFrame:
    """How many answers have each status, per group of `by` (stored answer columns), counted by the database (a
    GROUP BY), with each group's scope, score weight and 'answered'. The analytics functions take it like the answer
    frame: its `count` column says how many answers a row stands for. `scope` keeps the elements of one scope."""
    _check_groups(by)
    state = _checklist_state(session)
    scopes = state.scopes
    wanted = _current_elements(session, state, element_ids, round_ids, scope)
    expressions = _expressions()
    frame = _grouped(
        session,
        by,
        scopes,
        [expressions["status"]],
        ["status"],
        [func.count().label("count"), func.min(expressions["position"]).label("position")],
        version_needed=True,
        states=states,
        round_ids=round_ids,
        element_ids=wanted,
        set_codes=set_codes,
        country_codes=country_codes,
    )
    frame["count"] = frame["count"].astype("int64")
    weight = _by_version_and_status(session, frame, 0).astype("float64")
    frame["weight"] = weight.where(~frame["scope"].isin([WATCH, RETIRED]), math.nan)
    frame["answered"] = _by_version_and_status(session, frame, 1).eq(True)
    return frame[[*by, *COUNT_COLUMNS]]


def _grouped(
    session: Session,
    by: Sequence[str],
    scopes: dict[str, str],
    extra_groups: list[Any],
    extra_names: list[str],
    aggregates: list[Any],
    *,
    version_needed: bool,
    states: Iterable[str],
    round_ids: Iterable[int] | None,
    element_ids: list[str] | None,
    set_codes: Iterable[str] | None,
    country_codes: Iterable[str] | None,
) -> pd.DataFrame:
    """One GROUP BY of the answers by `by`, their scope and `extra_groups`, with `aggregates`. The database groups by
    IDs only: names and dates of rounds and members, their architectures and each round's checklist version are
    looked up afterwards, which makes the GROUP BY a third cheaper."""
    expressions = _expressions()
    only_round = None
    if round_ids is not None:
        round_ids = [int(r) for r in round_ids]
        only_round = round_ids[0] if len(round_ids) == 1 else None
    sql_by = [name for name in by if name not in _ROUND_DETAILS and name not in ("country_name", "architectures")]
    # One round read: its ID is known, not grouped by (a cheaper GROUP BY), and added to every row afterwards.
    if only_round is not None and "round_id" in sql_by:
        sql_by.remove("round_id")
    needs_round = any(name in _ROUND_DETAILS or name == "architectures" or name == "round_id" for name in by)
    if needs_round and only_round is None and "round_id" not in sql_by:
        sql_by.insert(0, "round_id")
    if ("country_name" in by or "architectures" in by) and "country_code" not in sql_by:
        sql_by.append("country_code")
    version_from_round = "round_id" in sql_by or only_round is not None
    version_grouped = version_needed and not version_from_round
    groups = [
        *(expressions[name] for name in sql_by),
        _scope_expression(scopes),
        *([expressions["checklist_version_id"]] if version_grouped else []),
        *extra_groups,
    ]
    names = [*sql_by, "scope", *(["checklist_version_id"] if version_grouped else []), *extra_names]
    query = _answers_query(
        [*(g.label(name) for g, name in zip(groups, names, strict=True)), *aggregates],
        sql_by,
        states=states,
        round_ids=round_ids,
        element_ids=element_ids,
        set_codes=set_codes,
        country_codes=country_codes,
    ).group_by(*groups)
    rows = [tuple(row) for row in session.connection().execute(query)]
    frame = pd.DataFrame.from_records(rows, columns=[*names, *(a.name for a in aggregates)])
    if only_round is not None:
        frame["round_id"] = pd.Series(only_round, index=frame.index, dtype="int64")
    looked_up = [n for n in by if n in _ROUND_DETAILS] + (
        ["checklist_version_id"] if version_needed and version_from_round else []
    )
    if looked_up:
        rounds = session.connection().execute(
            select(col(SurveyRound.id), *(_ROUND_DETAILS.values()), col(SurveyRound.checklist_version_id))
        )
        details = pd.DataFrame.from_records(
            [tuple(row) for row in rounds], columns=["round_id", *_ROUND_DETAILS, "checklist_version_id"]
        ).set_index("round_id")
        for name in looked_up:
            frame[name] = frame["round_id"].map(details[name])
    if "country_name" in by:
        members = dict(session.connection().execute(select(col(Country.code), col(Country.name))).all())
        frame["country_name"] = frame["country_code"].map(members)
    if "architectures" in by:
        profiles = session.connection().execute(
            select(col(CountrySurvey.round_id), col(CountrySurvey.country_code), col(DeploymentProfile.architectures))
            .join(DeploymentProfile, col(DeploymentProfile.survey_id) == col(CountrySurvey.id))
            .where(col(CountrySurvey.round_id).in_(frame["round_id"].dropna().unique().tolist()))
        )
        architectures = {(int(r), str(c)): a for r, c, a in profiles}
        frame["architectures"] = [
            architectures.get((int(r), str(c)), "")
            for r, c in zip(frame["round_id"], frame["country_code"], strict=True)
        ]
    return frame


def load_scores(
    session: Session,
    *,
    by: Sequence[str],
    round_ids: Iterable[int] | None = None,
    states: Iterable[str] = SHARED_STATES,
    element_ids: Iterable[str] | None = None,
    set_codes: Iterable[str] | None = None,
    country_codes: Iterable[str] | None = None,
    scope: str | None = None,
) -> pd.DataFrame:
    """Adoption score parts per group of `by`, summed by the database: `weight_sum` (of the score weights),
    `scored` (answers with a weight), `answers` (all), with the group's `scope` and first checklist `position`.
    The analytics functions take it like answer rows (analytics.adoption_scores)."""
    _check_groups(by)
    state = _checklist_state(session)
    scopes = state.scopes
    wanted = _current_elements(session, state, element_ids, round_ids, scope)
    weight = _weight_expression(session)
    frame = _grouped(
        session,
        by,
        scopes,
        [],
        [],
        [
            func.sum(weight).label("weight_sum"),
            func.count(weight).label("scored"),
            func.count().label("answers"),
            func.min(_expressions()["position"]).label("position"),
        ],
        version_needed=False,
        states=states,
        round_ids=round_ids,
        element_ids=wanted,
        set_codes=set_codes,
        country_codes=country_codes,
    )
    unscored = frame["scope"].isin([WATCH, RETIRED])  # the watch list is shown, never scored
    frame["weight_sum"] = frame["weight_sum"].astype("float64").where(~unscored, 0.0).fillna(0.0)
    frame["scored"] = frame["scored"].astype("int64").where(~unscored, 0)
    frame["answers"] = frame["answers"].astype("int64")
    return frame[[*by, *SCORE_PART_COLUMNS]]


SCORE_PART_COLUMNS = ["scope", "weight_sum", "scored", "answers", "position"]


def _weight_expression(session: Session) -> Any:
    """An answer's score weight as SQL, from the answer scale of the checklist version its round used (NULL for a
    status without a weight)."""
    versions = _checklist_state(session).version_ids
    weights: dict[str, dict[int, float]] = {}
    for version_id in versions:
        for status in checklist_for_version(session, int(version_id)).scale.statuses:
            if status.weight is not None:
                weights.setdefault(status.code, {})[int(version_id)] = float(status.weight)
    whens = []
    for code, per_version in weights.items():
        values = set(per_version.values())
        if len(values) == 1 and len(per_version) == len(versions):
            whens.append((col(Answer.status) == code, literal(values.pop())))
        else:
            for version_id, value in per_version.items():
                whens.append(
                    (
                        and_(col(Answer.status) == code, col(SurveyRound.checklist_version_id) == version_id),
                        literal(value),
                    )
                )
    return case(*whens, else_=None) if whens else literal(None)


def _check_groups(by: Sequence[str]) -> None:
    unknown = [
        name for name in by if name not in STORED_COLUMNS or name in ("status", "checklist_version_id", "position")
    ]
    if unknown:
        raise ValueError(f"cannot group answers by: {', '.join(unknown)}")


def load_stale_counts(session: Session, *, round_id: int, states: Iterable[str] = SHARED_STATES) -> pd.DataFrame:
    """Per member (`country_code`): how many of its answers in the round were given before the round opened (carried
    over) or wait for re-confirmation (`stale`), counted by the database."""
    survey_round = session.get(SurveyRound, round_id)
    if survey_round is None:
        return pd.DataFrame({"country_code": pd.Series(dtype=str), "stale": pd.Series(dtype="int64")})
    opened = dt.datetime.combine(survey_round.opens_on, dt.time(), tzinfo=dt.UTC)
    stale = case((or_(col(Answer.answered_at) < opened, col(Answer.needs_reconfirmation)), 1), else_=0)
    query = _answers_query(
        [col(CountrySurvey.country_code), func.sum(stale)],
        [],
        states=states,
        round_ids=[round_id],
        element_ids=_current_elements(session, _checklist_state(session), None, [round_id]),
        set_codes=None,
        country_codes=None,
    ).group_by(col(CountrySurvey.country_code))
    rows = [(code, int(count or 0)) for code, count in session.connection().execute(query)]
    return pd.DataFrame.from_records(rows, columns=["country_code", "stale"])


# Columns of the round an answer belongs to, looked up by round ID after grouping.
_ROUND_DETAILS = {
    "round_name": col(SurveyRound.name),
    "round_opens_on": col(SurveyRound.opens_on),
    "round_is_demo": col(SurveyRound.is_demo),
}


def _scope_expression(scopes: dict[str, str]) -> Any:
    """The scope of an answer's element as SQL (HEADLINE, DRAFT, WATCH); the answers are already limited to the
    newest checklist's elements, so the largest scope needs no list of its own."""
    by_scope: dict[str, list[str]] = {}
    for element, scope in scopes.items():
        by_scope.setdefault(scope, []).append(element)
    if not by_scope:
        return literal(RETIRED)
    ordered = sorted(by_scope.items(), key=lambda item: len(item[1]))
    if len(ordered) == 1:
        return literal(ordered[0][0])
    return case(
        *[(col(Answer.element_id).in_(elements), literal(scope)) for scope, elements in ordered[:-1]],
        else_=literal(ordered[-1][0]),
    )


def _current_elements(
    session: Session,
    state: _ChecklistState,
    element_ids: Iterable[str] | None,
    round_ids: Iterable[int] | None,
    scope: str | None = None,
) -> list[str] | None:
    """The elements to read: those asked for (of `scope`, when given) that the newest checklist has. None (no
    filter) when none were asked for and every round read was answered on the newest checklist, whose elements are
    then all current."""
    scopes = state.scopes
    if scope is not None:
        in_scope = [e for e, s in scopes.items() if s == scope]
        element_ids = in_scope if element_ids is None else [e for e in element_ids if e in set(in_scope)]
    if element_ids is None:
        if not scopes:
            return []
        if state.versions == 1:
            return None
        query = select(col(SurveyRound.checklist_version_id)).distinct()
        if round_ids is not None:
            query = query.where(col(SurveyRound.id).in_([int(r) for r in round_ids]))
        versions = {v for (v,) in session.connection().execute(query)}
        return None if versions <= {state.version_id} else list(scopes)
    asked = set(element_ids)
    return [e for e in scopes if e in asked]


class _ChecklistState(NamedTuple):
    scopes: dict[str, str]  # element ID -> HEADLINE, DRAFT or WATCH, by the newest checklist
    version_id: int | None  # the newest checklist version
    version_ids: tuple[int, ...]  # every stored version

    @property
    def versions(self) -> int:
        return len(self.version_ids)


_SCOPES: dict[tuple[int, str], dict[str, str]] = {}
_STATE_KEY = "mcwg_checklist_state"


@event.listens_for(OrmSession, "after_flush")
@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_checklist_state(session: OrmSession, *_: object) -> None:
    # Read once per transaction of reads; any write (a new checklist version, perhaps) reads it again.
    session.info.pop(_STATE_KEY, None)


def _checklist_state(session: Session) -> _ChecklistState:
    """The stored checklist versions and the newest one's element scopes, from one query per transaction of reads
    (the scopes are worked out once per version and process)."""
    known = session.info.get(_STATE_KEY)
    if known is not None:
        return known
    rows = session.connection().execute(
        select(col(ChecklistVersion.id), col(ChecklistVersion.content_hash)).order_by(col(ChecklistVersion.id))
    )
    stored = [(int(version_id or 0), str(digest)) for version_id, digest in rows]
    if not stored:
        state = _ChecklistState({}, None, ())
    else:
        version_id, digest = stored[-1]
        if (version_id, digest) not in _SCOPES:
            checklist = checklist_for_version(session, version_id)
            _SCOPES[(version_id, digest)] = {
                element.id: WATCH if element.is_watch else HEADLINE if rec_set.is_final else DRAFT
                for rec_set in checklist.sets
                for element in rec_set.elements
            }
        state = _ChecklistState(_SCOPES[(version_id, digest)], version_id, tuple(v for v, _ in stored))
    session.info[_STATE_KEY] = state
    return state


def element_scopes(session: Session) -> dict[str, str]:
    """Element ID -> HEADLINE, DRAFT or WATCH, from the newest checklist version (empty before any is stored)."""
    return _checklist_state(session).scopes


def rounds_with_answers(
    session: Session, *, states: Iterable[str] = SHARED_STATES, country_code: str | None = None
) -> list[int]:
    """The rounds holding answers in these survey states (of one member, when given), as `load_answer_frame` would
    return them, from one query that asks, per round, whether one such answer exists: listing rounds never reads
    their answers."""
    state = _checklist_state(session)
    if not state.scopes:
        return []
    current = _current_elements(session, state, None, None)
    one_answer = _answers_query(
        [literal(1)],
        [],
        states=states,
        round_ids=None,
        element_ids=current,
        set_codes=None,
        country_codes=None if country_code is None else [country_code],
    ).where(col(CountrySurvey.round_id) == col(Round.id))
    query = select(col(Round.id)).where(one_answer.exists())
    return sorted(int(round_id) for (round_id,) in session.connection().execute(query) if round_id is not None)


# The round listed by rounds_with_answers, apart from the round each answer is joined to.
Round = aliased(SurveyRound, name="listed_round")
