"""Meeting snapshots: the shared answers of a round as a plenary saw them, frozen (name, meeting date).

Only the focus group (admin) creates one; nothing changes or deletes it afterwards: this module has no such function,
and the model refuses updates and deletes (models.MeetingSnapshot). "What changed since" compares against it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from mcwg_dashboard.models import MeetingSnapshot, SurveyRound
from mcwg_dashboard.services import audit, dates
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.answer_data import ANSWER_COLUMNS, SHARED_STATES, load_answer_frame
from mcwg_dashboard.services.demo import is_demo_loaded
from mcwg_dashboard.services.errors import InvalidState, NotFound, ValidationFailed
from mcwg_dashboard.services.transaction import transaction

# What the plenary looks at (the Plenary page and the deck): submitted, validated and published answers.
# Drafts stay the country's own business and are never frozen.
SNAPSHOT_STATES = SHARED_STATES
SNAPSHOT_COLUMNS = ["id", "name", "meeting_date", "round_name", "answer_count", "is_demo", "created_by", "created_at"]


class SnapshotInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=3, max_length=120)
    meeting_date: Annotated[dt.date, AfterValidator(dates.checked)]
    round_id: int


def create_snapshot(
    session: Session, *, actor: Actor, name: str, meeting_date: dt.date, round_id: int
) -> MeetingSnapshot:
    """Freeze the round's submitted, validated and published answers under `name`. Admin only; audited."""
    actor = require_admin(session, actor)
    try:
        data = SnapshotInput(name=name, meeting_date=meeting_date, round_id=round_id)
    except ValidationError as exc:
        problems: dict[str, list[str]] = {}
        for error in exc.errors():
            problems.setdefault(str(error["loc"][0]), []).append(error["msg"])
        raise ValidationFailed(problems, "The snapshot needs a name (3-120 characters) and a meeting date.") from None
    survey_round = session.get(SurveyRound, data.round_id)
    if survey_round is None:
        raise NotFound(f"Survey round {data.round_id} does not exist.")
    if session.exec(select(MeetingSnapshot.id).where(MeetingSnapshot.name == data.name)).first() is not None:
        raise ValidationFailed({"name": [f"a snapshot named {data.name!r} exists already"]}, "Choose another name.")
    frame = load_answer_frame(session, round_ids=[data.round_id], states=SNAPSHOT_STATES)
    if frame.empty:
        raise InvalidState(f"{survey_round.name} has no submitted answers yet: there is nothing to freeze.")
    with transaction(session):
        snapshot = MeetingSnapshot(
            name=data.name,
            meeting_date=data.meeting_date,
            round_id=data.round_id,
            round_name=survey_round.name,
            states=",".join(SNAPSHOT_STATES),
            answer_count=len(frame),
            is_demo=survey_round.is_demo or is_demo_loaded(session),
            created_by=actor.username,
            answers=_records(frame),
        )
        session.add(snapshot)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="create_snapshot",
            entity="meetingsnapshot",
            entity_key=data.name,
            before=None,
            after={
                "name": data.name,
                "meeting_date": data.meeting_date.isoformat(),
                "round": survey_round.name,
                "answers": len(frame),
            },
        )
    return snapshot


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    def plain(value: Any) -> Any:
        if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
            return value.isoformat()
        if isinstance(value, float) and math.isnan(value):
            return None
        if hasattr(value, "item"):  # numpy scalars
            return value.item()
        return value

    return [{str(key): plain(value) for key, value in row.items()} for row in frame.to_dict(orient="records")]


def list_snapshots(session: Session) -> pd.DataFrame:
    """Every snapshot, newest meeting first (without the frozen answers)."""
    columns = [col(getattr(MeetingSnapshot, name)) for name in SNAPSHOT_COLUMNS]
    query = sa_select(*columns).order_by(col(MeetingSnapshot.meeting_date).desc(), col(MeetingSnapshot.id).desc())
    rows = session.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=SNAPSHOT_COLUMNS)


def get_snapshot(session: Session, key: int | str) -> MeetingSnapshot:
    """By ID or by name."""
    snapshot = session.get(MeetingSnapshot, key) if isinstance(key, int) else None
    if snapshot is None:
        snapshot = session.exec(select(MeetingSnapshot).where(MeetingSnapshot.name == str(key))).first()
    if snapshot is None and isinstance(key, str) and key.isdigit():
        snapshot = session.get(MeetingSnapshot, int(key))
    if snapshot is None:
        known = "; ".join(list_snapshots(session)["name"]) or "none"
        raise NotFound(f"No meeting snapshot {key!r}. Snapshots: {known}.")
    return snapshot


def snapshot_frame(snapshot: MeetingSnapshot) -> pd.DataFrame:
    """The frozen answers as the long answer frame (the columns of load_answer_frame)."""
    frame = pd.DataFrame(snapshot.answers, columns=ANSWER_COLUMNS)
    if frame.empty:
        return frame
    frame["round_opens_on"] = pd.to_datetime(frame["round_opens_on"]).dt.date
    frame["answered_at"] = pd.to_datetime(frame["answered_at"], utc=True, format="ISO8601")
    frame["target_date"] = frame["target_date"].map(lambda d: dt.date.fromisoformat(d) if isinstance(d, str) else None)
    frame["weight"] = frame["weight"].astype("float64")
    return frame
