"""Checklist versions in the database: each loaded checklist is kept whole, so old rounds keep their wording."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from mcwg_dashboard.checklist import Checklist
from mcwg_dashboard.models import ChecklistElement, ChecklistVersion
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.errors import InvalidState, NotFound
from mcwg_dashboard.services.transaction import transaction


def checklist_hash(checklist: Checklist) -> str:
    payload = checklist.model_dump(mode="json")
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def latest_version(session: Session) -> ChecklistVersion | None:
    return session.exec(select(ChecklistVersion).order_by(col(ChecklistVersion.id).desc())).first()


def latest_version_id(session: Session) -> int | None:
    """The newest checklist version's ID, without reading its stored definition."""
    return session.exec(select(col(ChecklistVersion.id)).order_by(col(ChecklistVersion.id).desc())).first()


def store_checklist(session: Session, *, actor: Actor, checklist: Checklist) -> ChecklistVersion:
    """Store the checklist as a new version unless a stored version has exactly this content.

    A version created in the app (by applying a change proposal) can be newer than the files in surveys/;
    starting the app again then finds the files' version already stored and leaves the newer one in place.
    """
    actor = require_admin(session, actor)
    digest = checklist_hash(checklist)
    same = session.exec(
        select(ChecklistVersion).where(ChecklistVersion.content_hash == digest).order_by(col(ChecklistVersion.id))
    ).first()
    if same is not None:
        return same
    with transaction(session):
        version = add_checklist_version(session, actor=actor, checklist=checklist)
    return version


def add_checklist_version(session: Session, *, actor: Actor, checklist: Checklist) -> ChecklistVersion:
    """Add a checklist version with its elements and audit entry, inside the caller's transaction."""
    actor = require_admin(session, actor)
    existing = session.exec(select(ChecklistVersion).where(ChecklistVersion.label == checklist.version)).first()
    if existing is not None:
        raise InvalidState(
            f"Checklist version {checklist.version!r} is already stored with other content. "
            "Give the new checklist a new version (in surveys/checklist.yaml, or when applying a proposal)."
        )
    version = ChecklistVersion(
        label=checklist.version, content_hash=checklist_hash(checklist), definition=checklist.model_dump(mode="json")
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    position = 0
    for rec_set in checklist.sets:
        for element in rec_set.elements:
            position += 1
            session.add(
                ChecklistElement(
                    checklist_version_id=version.id,
                    element_id=element.id,
                    set_code=rec_set.code,
                    position=position,
                    title=element.title,
                    metadata_level=element.metadata_level,
                    content_hash=element.content_hash(),
                )
            )
    audit.record(
        session,
        actor=actor,
        action="load_checklist",
        entity="checklistversion",
        entity_key=checklist.version,
        before=None,
        after={"label": checklist.version, "elements": position},
    )
    return version


_cache: dict[tuple[int, str], Checklist] = {}


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_session_checklists(session: OrmSession, previous_transaction: object) -> None:
    # A rolled-back version's ID may be given again to another checklist.
    session.info.pop("mcwg_checklists", None)


def checklist_for_version(session: Session, version_id: int) -> Checklist:
    """The checklist exactly as stored for that version (read and parsed once per process: a page asks for it
    often, and only the version's content hash is read to know the cached one is still right, once per session)."""
    known: dict[int, Checklist] = session.info.setdefault("mcwg_checklists", {})
    if version_id in known:
        return known[version_id]
    digest = session.exec(
        select(col(ChecklistVersion.content_hash)).where(col(ChecklistVersion.id) == version_id)
    ).first()
    if digest is None:
        raise NotFound(f"Checklist version {version_id} does not exist.")
    key = (version_id, digest)
    if key not in _cache:
        version = session.get(ChecklistVersion, version_id)
        assert version is not None
        _cache[key] = Checklist.model_validate(version.definition)
    known[version_id] = _cache[key]
    return _cache[key]
