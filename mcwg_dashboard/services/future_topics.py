"""Possible future topics: a short backlog the plenary sees and the focus group (admin) keeps.

The list starts with the topics the MCWG overview deck (May 2024) names (`DECK_TOPICS`, seeded by `initialise`).
The focus group adds, edits, retires, restores and reorders topics. A retired topic is kept (not deleted), so the
list's history stays readable next to the audit log.

Every change re-reads the acting account, validates, names the topic version the user saw (compare-and-set:
ConflictError when someone else changed it meanwhile), runs in one transaction and writes an audit entry.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from mcwg_dashboard.models import FutureTopic, utcnow
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.errors import ConflictError, InvalidState, NotFound, ValidationFailed
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.text import clean_any

# The possible future topics the MCWG overview deck (May 2024) names; real, not demo data.
DECK_TOPICS: tuple[tuple[str, str], ...] = (
    ("DICOMweb with XCA-I", "Cross-community image retrieval with WADO-RS next to XCA-I."),
    ("Image compression", ""),
    ("URL management", ""),
    ("Security/privacy", ""),
    ("Imaging report", ""),
    ("Reformatting the recommendations", ""),
)
DECK_NOTE = "Named by the MCWG overview deck (May 2024) as a possible future topic."

TOPIC_COLUMNS = ["id", "title", "note", "position", "active", "version", "updated_by", "updated_at"]


class TopicInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=200)
    note: str = Field(default="", max_length=2000)

    @field_validator("title", "note", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return clean_any(value)


# --- reads -------------------------------------------------------------------------------------------------------


def topic_frame(session: Session, *, include_retired: bool = False) -> pd.DataFrame:
    """The topics in list order (active first when retired ones are included)."""
    query = select(FutureTopic).order_by(col(FutureTopic.active).desc(), col(FutureTopic.position), col(FutureTopic.id))
    if not include_retired:
        query = query.where(col(FutureTopic.active) == True)  # noqa: E712
    rows = [{name: getattr(t, name) for name in TOPIC_COLUMNS} for t in session.exec(query)]
    return pd.DataFrame(rows, columns=TOPIC_COLUMNS)


def get_topic(session: Session, topic_id: int) -> FutureTopic:
    topic = session.get(FutureTopic, topic_id, populate_existing=True)
    if topic is None:
        raise NotFound(f"Future topic {topic_id} does not exist (any more).")
    return topic


# --- writes ------------------------------------------------------------------------------------------------------


def add_topic(session: Session, *, actor: Actor, title: str, note: str = "") -> FutureTopic:
    """A new topic at the end of the list (focus group only)."""
    summary = "The topic was not added."
    _require_focus_group(session, actor)
    data = _validated({"title": title, "note": note}, summary)
    _refuse_duplicate(session, data.title, summary)
    with transaction(session):
        topic = _insert(session, actor, data, _next_position(session))
    return topic


def edit_topic(
    session: Session, *, actor: Actor, topic_id: int, expected_version: int, title: str, note: str = ""
) -> FutureTopic:
    """Change a topic's title and note (focus group only)."""
    summary = "The topic was not saved."
    _require_focus_group(session, actor)
    data = _validated({"title": title, "note": note}, summary)
    topic = get_topic(session, topic_id)
    _refuse_duplicate(session, data.title, summary, except_id=topic_id)
    before = _public(topic)
    with transaction(session):
        _compare_and_set(session, topic, expected_version, actor, title=data.title, note=data.note)
        _audit(session, actor, "edit_future_topic", topic, before, {**before, "title": data.title, "note": data.note})
    return get_topic(session, topic_id)


def retire_topic(session: Session, *, actor: Actor, topic_id: int, expected_version: int) -> FutureTopic:
    """Take a topic off the list; it is kept and can be restored (focus group only)."""
    return _set_active(session, actor, topic_id, expected_version, active=False)


def restore_topic(session: Session, *, actor: Actor, topic_id: int, expected_version: int) -> FutureTopic:
    """Put a retired topic back, at the end of the list (focus group only)."""
    return _set_active(session, actor, topic_id, expected_version, active=True)


def move_topic(session: Session, *, actor: Actor, topic_id: int, expected_version: int, step: int) -> FutureTopic:
    """Move an active topic one place up (step -1) or down (step +1); it swaps places with its neighbour."""
    _require_focus_group(session, actor)
    if step not in (-1, 1):
        raise ValidationFailed({"step": ["-1 (up) or 1 (down)."]}, summary="The topic was not moved.")
    topic = get_topic(session, topic_id)
    if not topic.active:
        raise InvalidState(f"{topic.title!r} is retired: restore it before moving it.")
    order = [int(i) for i in topic_frame(session)["id"]]
    index = order.index(topic_id)
    if not 0 <= index + step < len(order):
        raise InvalidState(f"{topic.title!r} is already {'first' if step < 0 else 'last'}.")
    neighbour = get_topic(session, order[index + step])
    before = {"position": topic.position}
    with transaction(session):
        _compare_and_set(session, topic, expected_version, actor, position=neighbour.position)
        # The neighbour moves as a consequence; its own version is bumped so a stale edit of it is refused too.
        _compare_and_set(session, neighbour, neighbour.version, actor, position=topic.position)
        _audit(session, actor, "move_future_topic", topic, before, {"position": neighbour.position})
    return get_topic(session, topic_id)


def seed_deck_topics(session: Session, *, actor: Actor) -> int:
    """Add the deck's topics to an empty list (first start); a list that ever held a topic is left alone."""
    _require_focus_group(session, actor)
    if session.exec(select(FutureTopic.id)).first() is not None:
        return 0
    with transaction(session):
        for position, (title, note) in enumerate(DECK_TOPICS, start=1):
            data = TopicInput(title=title, note=f"{DECK_NOTE} {note}".strip())
            _insert(session, actor, data, position)
    return len(DECK_TOPICS)


# --- internals ---------------------------------------------------------------------------------------------------


def _require_focus_group(session: Session, actor: Actor) -> None:
    """The focus group's rights, checked on the account as it is now (a page may carry an old user object)."""
    require_admin(session, actor)


def _validated(data: dict[str, Any], summary: str) -> TopicInput:
    try:
        return TopicInput.model_validate(data)
    except ValidationError as exc:
        problems: dict[str, list[str]] = {}
        for error in exc.errors():
            problems.setdefault(".".join(str(p) for p in error["loc"]) or "input", []).append(error["msg"])
        raise ValidationFailed(problems, summary=summary) from None


def _refuse_duplicate(session: Session, title: str, summary: str, except_id: int | None = None) -> None:
    query = select(FutureTopic.id).where(
        func.lower(FutureTopic.title) == title.lower(),
        col(FutureTopic.active) == True,  # noqa: E712
    )
    if except_id is not None:
        query = query.where(FutureTopic.id != except_id)
    if session.exec(query).first() is not None:
        raise ValidationFailed({"title": [f"{title!r} is already on the list."]}, summary=summary)


def _next_position(session: Session) -> int:
    highest = session.exec(select(func.max(FutureTopic.position))).one()
    return int(highest or 0) + 1


def _insert(session: Session, actor: Actor, data: TopicInput, position: int) -> FutureTopic:
    now = utcnow()
    topic = FutureTopic(
        title=data.title,
        note=data.note,
        position=position,
        created_by=actor.username,
        created_at=now,
        updated_by=actor.username,
        updated_at=now,
    )
    session.add(topic)
    session.flush()
    _audit(session, actor, "add_future_topic", topic, None, _public(topic))
    return topic


def _set_active(session: Session, actor: Actor, topic_id: int, expected_version: int, *, active: bool) -> FutureTopic:
    _require_focus_group(session, actor)
    topic = get_topic(session, topic_id)
    if topic.active == active:
        raise InvalidState(f"{topic.title!r} is {'on the list' if active else 'retired'} already.")
    values: dict[str, Any] = {"active": active}
    if active:
        _refuse_duplicate(session, topic.title, "The topic was not restored.", except_id=topic_id)
        values["position"] = _next_position(session)
    before = _public(topic)
    with transaction(session):
        _compare_and_set(session, topic, expected_version, actor, **values)
        _audit(session, actor, "restore_future_topic" if active else "retire_future_topic", topic, before,
               {**before, **values})  # fmt: skip
    return get_topic(session, topic_id)


def _compare_and_set(session: Session, topic: FutureTopic, expected_version: int, actor: Actor, **values: Any) -> None:
    result = session.execute(
        update(FutureTopic)
        .where(col(FutureTopic.id) == topic.id, col(FutureTopic.version) == expected_version)
        .values(version=expected_version + 1, updated_by=actor.username, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        current = get_topic(session, topic.id or 0)
        raise ConflictError(
            [],
            f"Not saved: the topic {current.title!r} was changed by {current.updated_by} since you loaded it "
            f"(it is now version {current.version}). Reload the page; your input is kept below.",
        )


def _public(topic: FutureTopic) -> dict[str, Any]:
    return {"title": topic.title, "note": topic.note, "position": topic.position, "active": topic.active}


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    topic: FutureTopic,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit.record(
        session, actor=actor, action=action, entity="futuretopic", entity_key=str(topic.id), before=before, after=after
    )
