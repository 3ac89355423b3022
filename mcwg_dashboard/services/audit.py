"""The audit trail: one entry for every change, written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from mcwg_dashboard.models import AuditEntry
from mcwg_dashboard.services.actors import Actor


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
