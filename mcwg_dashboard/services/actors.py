"""Who is acting, and what they may do. Every service write asks here before it writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from mcwg_dashboard.services.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    COUNTRY_REP = "country_rep"
    MEMBER = "member"
    PUBLIC = "public"


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    countries: frozenset[str] = field(default_factory=frozenset)
    display_name: str = ""

    @property
    def label(self) -> str:
        return self.display_name or self.username

    def may_edit_country(self, country_code: str) -> bool:
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.COUNTRY_REP and country_code in self.countries


# The command line acts with the focus group's rights: whoever runs it has the database itself.
CLI_ACTOR = Actor(username="cli", role=Role.ADMIN, display_name="command line")
SYSTEM_ACTOR = Actor(username="system", role=Role.ADMIN, display_name="set-up")


def require_country_editor(actor: Actor, country_code: str) -> None:
    if not actor.may_edit_country(country_code):
        raise PermissionDenied(f"{actor.label} may not change the survey of {country_code}.")


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied(f"{actor.label} may not do this: it needs the focus group's (admin) rights.")
