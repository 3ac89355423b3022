"""First start and upgrades: schema, checklist, members, an open survey round and the first admin account."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from mcwg_dashboard.checklist import load_checklist
from mcwg_dashboard.config import Settings
from mcwg_dashboard.db import migrate
from mcwg_dashboard.models import AppSetting, Country, SurveyRound
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import SYSTEM_ACTOR, Actor, require_admin
from mcwg_dashboard.services.checklist_store import store_checklist
from mcwg_dashboard.services.future_topics import seed_deck_topics
from mcwg_dashboard.services.rounds import create_round
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.services.users import create_first_admin

COUNTRY_CODE_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"


class Member(BaseModel):
    code: str = Field(pattern=COUNTRY_CODE_PATTERN)
    name: str = Field(min_length=2, max_length=80)


class MemberList(BaseModel):
    members: list[Member] = Field(min_length=1)


def load_members(path: Path) -> list[Member]:
    try:
        return MemberList.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).members
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: the member list cannot be read: {exc}") from None


@dataclass
class InitReport:
    checklist_version: str = ""
    members_added: list[str] = field(default_factory=list)
    round_created: str | None = None
    future_topics_added: int = 0
    # Set only when this run created the first account ("admin"): shown once, never stored in clear.
    first_admin_password: str | None = None


def add_members(session: Session, *, actor: Actor, members: list[Member]) -> list[str]:
    actor = require_admin(session, actor)
    added = []
    with transaction(session):
        for member in members:
            if session.get(Country, member.code) is None:
                session.add(Country(code=member.code, name=member.name))
                audit.record(
                    session,
                    actor=actor,
                    action="add_country",
                    entity="country",
                    entity_key=member.code,
                    before=None,
                    after={"name": member.name},
                )
                added.append(member.code)
    return added


def initialise(
    engine: Engine, settings: Settings, *, today: dt.date | None = None, create_admin: bool = True
) -> InitReport:
    """Create or upgrade everything a fresh database needs. Safe to run again: it adds only what is missing.

    With `create_admin`, a database without accounts gets a first admin whose random password is returned
    once (the command line prints it). The app passes False: it has no one to show the password to.
    """
    today = today or dt.date.today()
    migrate(engine)
    checklist = load_checklist(settings.surveys_dir)
    report = InitReport(checklist_version=checklist.version)
    with Session(engine, expire_on_commit=False) as session:
        version = store_checklist(session, actor=SYSTEM_ACTOR, checklist=checklist)
        report.members_added = add_members(
            session, actor=SYSTEM_ACTOR, members=load_members(settings.surveys_dir / "members.yaml")
        )
        if session.exec(select(SurveyRound).where(SurveyRound.is_demo == False)).first() is None:  # noqa: E712
            assert version.id is not None
            name = f"{today.year} adoption survey"
            create_round(
                session,
                actor=SYSTEM_ACTOR,
                name=name,
                opens_on=today,
                closes_on=today + dt.timedelta(days=90),
                checklist_version_id=version.id,
            )
            report.round_created = name
        # The deck's possible future topics (real, not demo data): only into a list that never held a topic.
        report.future_topics_added = seed_deck_topics(session, actor=SYSTEM_ACTOR)
        if create_admin:
            report.first_admin_password = create_first_admin(session, actor=SYSTEM_ACTOR)
    return report


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(AppSetting, key)
    return row.value if row else None
