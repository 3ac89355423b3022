"""What the plenary outputs are built from, read in one place: a round's answers, an earlier state, the proposals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlmodel import Session, select

from mcwg_dashboard import analytics
from mcwg_dashboard.checklist import Checklist
from mcwg_dashboard.models import Country, SurveyRound
from mcwg_dashboard.reports.agenda import discussion_agenda
from mcwg_dashboard.reports.readiness import ReadinessData, load_readiness
from mcwg_dashboard.services import proposals
from mcwg_dashboard.services.answer_data import SHARED_STATES, load_answer_frame
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.demo import is_demo_loaded
from mcwg_dashboard.services.errors import NotFound
from mcwg_dashboard.services.members import member_shapes, round_member_codes
from mcwg_dashboard.services.products import VALIDATED_STATES


@dataclass(frozen=True)
class PlenaryData:
    """One round's answers and everything the deck, the agenda and the page show next to them."""

    round_name: str
    answers: pd.DataFrame
    checklist: Checklist
    members: pd.DataFrame  # country_code, country_name, architectures: every member of the round, answered or not
    is_demo: bool = False
    earlier: pd.DataFrame | None = None  # an earlier round's or a meeting snapshot's answers
    earlier_label: str | None = None
    # When the earlier state was taken (the snapshot's meeting, the earlier round's close): "decided since" starts here.
    since_date: dt.date | None = None
    proposals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=proposals.PROPOSAL_COLUMNS))
    open_states: frozenset[str] = frozenset()
    # Outlines members brought themselves, by code (services.members.member_shapes), for the map.
    shapes: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    # Members' gaps and the products whose validated vendor claims cover them; None where it was not read (the deck
    # then has no market readiness slide).
    readiness: ReadinessData | None = None

    def country_scores(self) -> pd.DataFrame:
        scores = self.members[["country_code", "country_name"]].merge(
            analytics.adoption_scores(analytics.headline(self.answers), ["country_code", "country_name"]), how="left"
        )
        return scores.assign(detail="")

    def changes(self) -> pd.DataFrame | None:
        if self.earlier is None:
            return None
        return analytics.round_changes(self.earlier, self.answers)

    def agenda(self) -> pd.DataFrame:
        return discussion_agenda(self.answers, self.proposals, open_states=self.open_states)


def load_proposals(session: Session) -> tuple[pd.DataFrame, frozenset[str]]:
    """The change proposals (services.proposals.proposal_frame) and the states that count as open."""
    return proposals.proposal_frame(session), frozenset(str(state) for state in proposals.OPEN_STATES)


def members_frame(session: Session, survey_round: SurveyRound | None = None) -> pd.DataFrame:
    """Every member, or with `survey_round` the round's members (a member retired before it opened is left out)."""
    countries = session.exec(select(Country).order_by(Country.name)).all()
    if survey_round is not None:
        codes = round_member_codes(session, survey_round)
        countries = [c for c in countries if c.code in codes]
    return pd.DataFrame(
        {
            "country_code": [c.code for c in countries],
            "country_name": [c.name for c in countries],
            "architectures": [c.architectures for c in countries],
        },
    )


def load_plenary_data(
    session: Session,
    *,
    round_id: int,
    earlier: pd.DataFrame | None = None,
    earlier_label: str | None = None,
    since_date: dt.date | None = None,
    states: tuple[str, ...] = SHARED_STATES,
) -> PlenaryData:
    survey_round = session.get(SurveyRound, round_id)
    if survey_round is None:
        raise NotFound(f"Survey round {round_id} does not exist.")
    proposal_rows, open_states = load_proposals(session)
    return PlenaryData(
        round_name=survey_round.name,
        answers=load_answer_frame(session, round_ids=[round_id], states=states),
        checklist=checklist_for_version(session, survey_round.checklist_version_id),
        members=members_frame(session, survey_round),
        shapes=member_shapes(session),
        is_demo=survey_round.is_demo or is_demo_loaded(session),
        earlier=earlier,
        earlier_label=earlier_label,
        since_date=since_date,
        proposals=proposal_rows,
        open_states=open_states,
        # Validated claims: the plenary's members may see them before the focus group publishes them.
        readiness=load_readiness(session, round_id=round_id, claim_states=VALIDATED_STATES, answer_states=states),
    )


def round_answers(session: Session, round_id: int, states: tuple[str, ...] = SHARED_STATES) -> pd.DataFrame:
    return load_answer_frame(session, round_ids=[round_id], states=states)


@dataclass(frozen=True)
class EarlierState:
    """What a plenary compares with: an earlier round's or a meeting snapshot's answers, named and dated."""

    answers: pd.DataFrame
    label: str
    since: dt.date | None


def snapshot_state(session: Session, key: str) -> EarlierState:
    from mcwg_dashboard.services.snapshots import get_snapshot, snapshot_frame

    snapshot = get_snapshot(session, key)
    return EarlierState(
        snapshot_frame(snapshot), f"{snapshot.name} ({snapshot.meeting_date:%d %b %Y})", snapshot.meeting_date
    )


def round_state(session: Session, round_id: int) -> EarlierState:
    survey_round = session.get(SurveyRound, round_id)
    if survey_round is None:
        raise NotFound(f"Survey round {round_id} does not exist.")
    return EarlierState(
        round_answers(session, round_id), survey_round.name, survey_round.closes_on or survey_round.opens_on
    )


def last_plenary(session: Session, round_id: int) -> EarlierState | None:
    """The state the previous plenary saw: the newest meeting snapshot, else the newest earlier round that has
    shared answers (None when there is neither)."""
    from mcwg_dashboard.services.snapshots import list_snapshots

    survey_round = session.get(SurveyRound, round_id)
    if survey_round is None:
        raise NotFound(f"Survey round {round_id} does not exist.")
    snapshots = list_snapshots(session)
    if not snapshots.empty:
        newest = snapshots.iloc[0]
        return snapshot_state(session, str(int(newest["id"])))
    earlier = session.exec(
        select(SurveyRound).where(SurveyRound.opens_on < survey_round.opens_on).order_by(SurveyRound.opens_on.desc())  # type: ignore[attr-defined]
    ).all()
    for candidate in earlier:
        assert candidate.id is not None
        state = round_state(session, candidate.id)
        if not state.answers.empty:
            return state
    return None
