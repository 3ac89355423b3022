"""The audit trail: one entry for every change, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from mcwg_dashboard.models import AuditEntry
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.text import clean_text


def data_version(session: Session) -> int:
    """The newest audit entry's ID: every write records one, so it changes whenever the data does (on any server)."""
    return int(session.exec(select(func.max(col(AuditEntry.id)))).one() or 0)


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        AuditEntry(
            actor=actor.username, action=action, entity=entity, entity_key=entity_key, before=before, after=after
        )
    )


AUDIT_COLUMNS = ["When (UTC)", "Who", "Action", "What", "Key", "Before", "After"]


MAX_KEY_FILTER = 120


def audit_frame(
    session: Session,
    *,
    actor: Actor,
    who: str | None = None,
    action: str | None = None,
    key_contains: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """The audit log, newest first, filtered; for the focus group only."""
    actor = require_admin(session, actor)
    query = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
    if who:
        query = query.where(AuditEntry.actor == who)
    if action:
        query = query.where(AuditEntry.action == action)
    # What is typed is matched as typed: % and _ are not wildcards, and characters no key holds (a NUL fails
    # the whole query on PostgreSQL) are dropped; a key has at most 120 characters.
    key_contains = clean_text(key_contains or "")[:MAX_KEY_FILTER]
    if key_contains:
        query = query.where(col(AuditEntry.entity_key).contains(key_contains, autoescape=True))
    if since:
        query = query.where(col(AuditEntry.at) >= dt.datetime.combine(since, dt.time(0), tzinfo=dt.UTC))
    if until:
        query = query.where(
            col(AuditEntry.at) < dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
        )
    rows = [
        {
            "When (UTC)": entry.at.strftime("%Y-%m-%d %H:%M:%S"),
            "Who": entry.actor,
            "Action": entry.action,
            "What": entry.entity,
            "Key": entry.entity_key,
            "Before": _text(entry.before),
            "After": _text(entry.after),
        }
        for entry in session.exec(query)
    ]
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def audit_choices(session: Session, *, actor: Actor) -> tuple[list[str], list[str]]:
    """The distinct users and actions in the log, for filter drop-downs."""
    actor = require_admin(session, actor)
    who = sorted(session.exec(select(AuditEntry.actor).distinct()))
    actions = sorted(session.exec(select(AuditEntry.action).distinct()))
    return who, actions


def survey_history(session: Session, *, round_name: str, country_code: str) -> dict[str, list[AuditEntry]]:
    """Every saved change of every answer of one survey, per element, oldest first (one query)."""
    prefix = f"{round_name}/{country_code}/"
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity == "answer", col(AuditEntry.entity_key).startswith(prefix))
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    )
    history: dict[str, list[AuditEntry]] = {}
    for entry in session.exec(query):
        history.setdefault(entry.entity_key.removeprefix(prefix), []).append(entry)
    return history


def _text(values: dict[str, Any] | None) -> str:
    if not values:
        return ""
    return "; ".join(f"{k}: {v}" for k, v in values.items() if v not in (None, ""))
