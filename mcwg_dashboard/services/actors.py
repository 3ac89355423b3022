"""Who is acting, and what they may do. Every service write asks here before it writes.

A page builds its `Actor` from the account when it runs, but a button callback or a download can run much later,
with the user object of that earlier run. So every check here re-reads the account first (`as_of_now`): a
disabled account, a reset password, a lost role or a removed country stops an open tab at its next write or
download, with a message that says why. The command line and the set-up have no account and keep their rights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session, select

from mcwg_dashboard.models import User
from mcwg_dashboard.services.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    COUNTRY_REP = "country_rep"
    MEMBER = "member"
    # A vendor's account: its own products' surveys and integration statements, nothing of the members'.
    VENDOR = "vendor"
    PUBLIC = "public"


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    countries: frozenset[str] = field(default_factory=frozenset)
    display_name: str = ""
    # The vendor a vendor account acts for.
    vendor_id: int | None = None
    # The account's session version when this actor was read from an account (None: not read from one): a
    # password reset or "sign out everywhere" after that ends what the actor may do.
    session_version: int | None = None

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

SIGN_IN_AGAIN = "since this page was loaded: sign in again (or reload the page)."


def actor_for(user: User) -> Actor:
    """The actor an account stands for, as the account is now."""
    return Actor(
        username=user.username,
        role=Role(user.role),
        countries=frozenset(code for code in user.countries.split(",") if code),
        display_name=user.display_name,
        vendor_id=user.vendor_id,
        session_version=user.session_version,
    )


def as_of_now(session: Session, actor: Actor) -> Actor:
    """The actor with its account's rights as they are now, read in the caller's session (and transaction).

    Refused when the account was disabled, or its sign-in ended (password reset, signed out everywhere), after
    the actor was built. The command line and the set-up, and any actor with no account of its name (tools,
    tests), keep the rights they were built with; an actor built from an account whose account is gone has none.
    """
    if actor.role is Role.PUBLIC or actor in (CLI_ACTOR, SYSTEM_ACTOR):
        return actor
    statement = select(User).where(User.username == actor.username).execution_options(populate_existing=True)
    user = session.exec(statement).first()
    if user is None:
        if actor.session_version is None:
            return actor
        raise PermissionDenied(f"Your account was removed {SIGN_IN_AGAIN}")
    if not user.is_active:
        raise PermissionDenied(f"Your account was disabled {SIGN_IN_AGAIN}")
    if actor.session_version is not None and user.session_version != actor.session_version:
        raise PermissionDenied(f"You were signed out (password reset or signed out elsewhere) {SIGN_IN_AGAIN}")
    return actor_for(user)


def refused(before: Actor, now: Actor, fallback: str) -> PermissionDenied:
    """The refusal of what `before` (the page's actor) could do and `now` cannot: says what changed if anything."""
    if now.role is not before.role:
        return PermissionDenied(f"Your role changed (you are now {_role_name(now)}) {SIGN_IN_AGAIN}")
    if now.countries != before.countries:
        countries = ", ".join(sorted(now.countries)) or "none"
        return PermissionDenied(f"Your countries changed (now: {countries}) {SIGN_IN_AGAIN}")
    return PermissionDenied(fallback)


def _role_name(actor: Actor) -> str:
    if actor.role is Role.COUNTRY_REP:
        return f"representative of {', '.join(sorted(actor.countries))}"
    return {Role.ADMIN: "an admin", Role.MEMBER: "a member", Role.VENDOR: "a vendor"}.get(
        actor.role, "a public visitor"
    )


def require_country_editor(session: Session, actor: Actor, country_code: str) -> Actor:
    """The actor as of now, if it may change this country's survey."""
    now = as_of_now(session, actor)
    if not now.may_edit_country(country_code):
        message = f"{actor.label} may not change the survey of {country_code}."
        raise refused(actor, now, message) if actor.may_edit_country(country_code) else PermissionDenied(message)
    return now


def require_admin(session: Session, actor: Actor) -> Actor:
    """The actor as of now, if it has the focus group's (admin) rights."""
    now = as_of_now(session, actor)
    if now.role is not Role.ADMIN:
        message = f"{actor.label} may not do this: it needs the focus group's (admin) rights."
        raise refused(actor, now, message) if actor.role is Role.ADMIN else PermissionDenied(message)
    return now


def require_member(session: Session, actor: Actor, message: str = "Sign in first.") -> Actor:
    """The actor as of now, if it is a signed-in member account (any role but vendor)."""
    now = as_of_now(session, actor)
    if now.role is Role.PUBLIC:
        raise PermissionDenied(message)
    if now.role is Role.VENDOR:
        raise PermissionDenied(f"{actor.label} is a vendor account: it answers for its products only.")
    return now
