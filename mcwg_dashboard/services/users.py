"""Accounts and sign-in: who may act, with which role, for which countries.

Passwords are hashed with Argon2id (argon2-cffi) and never stored, logged or written to the audit trail in any
form. Failed sign-ins make the client wait longer after each failure (services/sign_in_throttle.py). A signed,
timed token ("remember me" cookie) names the user and its session version; resetting the password or disabling
the account bumps that version, so every token issued before stops working.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mcwg_dashboard.config import Settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import AppSetting, Country, User, Vendor, utcnow
from mcwg_dashboard.services import audit
from mcwg_dashboard.services import sign_in_throttle as throttle
from mcwg_dashboard.services.actors import SYSTEM_ACTOR, Actor, Role, actor_for, require_admin
from mcwg_dashboard.services.errors import InvalidState, NotFound, ServiceError, ValidationFailed
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.text import clean_text

TOKEN_MAX_AGE_SECONDS = 14 * 24 * 3600
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
FIRST_ADMIN = "admin"
SECRET_ENV = "MCWG_SECRET_KEY"
SECRET_SETTING = "session_secret"
MIN_SECRET_LENGTH = 16
ACCOUNT_ROLES = (Role.ADMIN, Role.COUNTRY_REP, Role.MEMBER, Role.VENDOR)

WRONG_CREDENTIALS = "Wrong username or password, or the account is disabled."

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOKEN_SALT = "mcwg-sign-in"
# Generated passwords avoid characters that are easy to misread (0/O, 1/l/I).
_PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# Passwords people choose: argon2-cffi's default profile (RFC 9106, low memory).
_HASHER = PasswordHasher()
# Passwords nobody chose: the public demo password and the 16 random characters of the first admin (about 93
# bits). Their strength does not come from the hash, so they are hashed cheaply (init and the demo stay fast)
# and upgraded to the default profile at the first successful sign-in (check_needs_rehash).
_QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
_dummy_hash: str | None = None


class SignInFailed(ServiceError):
    """The sign-in was refused. The message is safe to show: it never says whether the username exists."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        self.throttled = throttled
        super().__init__(message)


# --- input -------------------------------------------------------------------------------------------------


class UserProfile(BaseModel):
    """An account's details without its password (also used to change them)."""

    username: str
    display_name: str = ""
    email: str = ""
    role: Role
    countries: list[str] = []
    # The vendor a vendor account answers for (vendor accounts only).
    vendor_id: int | None = None

    @field_validator("username", mode="before")
    @classmethod
    def _username(cls, value: Any) -> str:
        text = str(value or "").strip().lower()
        if not 3 <= len(text) <= 60:
            raise ValueError("a username has 3 to 60 characters")
        if not USERNAME_PATTERN.match(text):
            raise ValueError(
                "a username uses only lower-case letters, digits, '.', '_' and '-', and starts with a letter or digit"
            )
        return text

    @field_validator("display_name", mode="before")
    @classmethod
    def _display_name(cls, value: Any) -> str:
        text = " ".join(clean_text(str(value or "")).split())
        if len(text) > 120:
            raise ValueError("a name has at most 120 characters")
        return text

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str:
        text = str(value or "").strip()
        if len(text) > 200 or (text and not EMAIL_PATTERN.match(text)):
            raise ValueError(f"{text[:60]!r} is not an email address")
        return text

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Role:
        text = str(value.value if isinstance(value, Role) else value or "").strip().lower()
        for role in ACCOUNT_ROLES:
            if text == role.value:
                return role
        raise ValueError(f"the role is one of {', '.join(r.value for r in ACCOUNT_ROLES)}")

    @field_validator("countries", mode="before")
    @classmethod
    def _countries(cls, value: Any) -> list[str]:
        items = [value] if isinstance(value, str) else list(value or [])
        codes: list[str] = []
        for item in items:
            for code in str(item).split(","):
                code = code.strip().upper()
                if code and code not in codes:
                    codes.append(code)
        if len(",".join(codes)) > 200:
            raise ValueError("too many countries for one account")
        return codes

    @field_validator("countries")
    @classmethod
    def _countries_only_for_representatives(cls, codes: list[str], info: ValidationInfo) -> list[str]:
        role = info.data.get("role")  # absent when the role itself is wrong
        if role is Role.COUNTRY_REP and not codes:
            raise ValueError("a country representative needs at least one country")
        if role is not None and role is not Role.COUNTRY_REP and codes:
            raise ValueError(f"only country representatives have countries, not the role {role.value}")
        return codes

    @field_validator("vendor_id", mode="before")
    @classmethod
    def _vendor_only_for_vendor_accounts(cls, vendor_id: Any, info: ValidationInfo) -> Any:
        role = info.data.get("role")
        if role is Role.VENDOR and vendor_id in (None, ""):
            raise ValueError("a vendor account needs its vendor")
        if role is not None and role is not Role.VENDOR and vendor_id not in (None, ""):
            raise ValueError(f"only vendor accounts have a vendor, not the role {role.value}")
        return vendor_id or None

    @model_validator(mode="after")
    def _vendor_account_has_its_vendor(self) -> UserProfile:
        if self.role is Role.VENDOR and self.vendor_id is None:
            raise ValueError("a vendor account needs its vendor")
        return self


def _check_password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(value) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    return value


class UserCreate(UserProfile):
    """A new account. Demo accounts (password "demo") are created internally and do not pass through here."""

    password: str

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _check_password(value)


class NewPassword(BaseModel):
    password: str

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _check_password(value)


ModelT = TypeVar("ModelT", bound=BaseModel)


def _validated(model: type[ModelT], data: Any, summary: str) -> ModelT:
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems: dict[str, list[str]] = {}
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else "account"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.setdefault(key, []).append(message)
        raise ValidationFailed(problems, summary=summary) from None


def _check_vendor(session: Session, vendor_id: int | None, summary: str) -> None:
    if vendor_id is not None and session.get(Vendor, vendor_id) is None:
        raise ValidationFailed({"vendor_id": [f"there is no vendor with ID {vendor_id}"]}, summary=summary)


def _check_countries(session: Session, codes: list[str], summary: str) -> None:
    known = set(session.exec(select(Country.code)))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationFailed(
            {"countries": [f"not a member: {', '.join(unknown)} (members: {', '.join(sorted(known))})"]},
            summary=summary,
        )


# --- hashing -----------------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def generate_password(length: int = 16) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _spend_a_verification(password: str) -> None:
    """Unknown usernames cost the same as known ones: verify against a hash that matches nothing."""
    global _dummy_hash
    if _dummy_hash is None or _HASHER.check_needs_rehash(_dummy_hash):
        _dummy_hash = _HASHER.hash(secrets.token_urlsafe(24))
    _verify(_dummy_hash, password)


# --- reading -----------------------------------------------------------------------------------------------


def _find(session: Session, username: str) -> User | None:
    statement = select(User).where(User.username == username.strip().lower())
    return session.exec(statement.execution_options(populate_existing=True)).first()


def _get(session: Session, username: str) -> User:
    user = _find(session, username)
    if user is None:
        raise NotFound(f"There is no account {username.strip().lower()!r}.")
    return user


def list_users(session: Session, *, actor: Actor) -> list[User]:
    actor = require_admin(session, actor)
    return list(session.exec(select(User).order_by(col(User.username))))


def get_user(session: Session, *, actor: Actor, username: str) -> User:
    """An account: the focus group reads every account, everyone else only their own."""
    if actor.username != username.strip().lower():
        actor = require_admin(session, actor)
    return _get(session, username)


def usernames_waiting(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> set[str]:
    """Usernames a client must currently wait for after failed sign-ins (focus group only)."""
    require_admin(session, actor)
    return throttle.usernames_waiting(session, _aware(now or utcnow()))


def _public(user: User) -> dict[str, Any]:
    """What the audit trail keeps about an account: never the password or its hash."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "countries": user.countries,
        "vendor_id": user.vendor_id,
        "is_active": user.is_active,
        "is_demo": user.is_demo,
    }


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _real_active_admins(session: Session) -> list[str]:
    statement = select(User.username).where(
        User.role == Role.ADMIN.value,
        User.is_active == True,  # noqa: E712
        User.is_demo == False,  # noqa: E712
    )
    return list(session.exec(statement))


# --- writing -----------------------------------------------------------------------------------------------


def _insert(session: Session, *, actor: Actor, profile: UserProfile, password_hash: str, is_demo: bool) -> User:
    """Add an account and its audit entry inside the caller's transaction."""
    user = User(
        username=profile.username,
        display_name=profile.display_name,
        email=profile.email,
        role=profile.role.value,
        countries=",".join(profile.countries),
        vendor_id=profile.vendor_id,
        password_hash=password_hash,
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create_user",
        entity="user",
        entity_key=user.username,
        before=None,
        after=_public(user),
    )
    return user


def create_user(session: Session, *, actor: Actor, data: UserCreate | Mapping[str, Any]) -> User:
    """A new account (focus group only). The username is unique."""
    actor = require_admin(session, actor)
    summary = "The account was not created."
    new = _validated(UserCreate, data, summary)
    _check_countries(session, new.countries, summary)
    _check_vendor(session, new.vendor_id, summary)
    taken = {"username": [f"the username {new.username!r} is taken: choose another"]}
    if _find(session, new.username) is not None:
        raise ValidationFailed(taken, summary=summary)
    password_hash = hash_password(new.password)
    try:
        with transaction(session):
            user = _insert(session, actor=actor, profile=new, password_hash=password_hash, is_demo=False)
    except IntegrityError:
        raise ValidationFailed(taken, summary=summary) from None
    return user


def update_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: Role | str | None = None,
    countries: list[str] | str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    vendor_id: int | None = None,
) -> User:
    """Change an account's role, countries, vendor, name or email (focus group only); None leaves a field as it is.

    The change applies at once, also to signed-in sessions: the actor is read from the account on every request.
    """
    actor = require_admin(session, actor)
    summary = "The account was not changed."
    user = _get(session, username)
    current = actor_for(user)
    new_role = current.role if role is None else role
    if countries is None:
        # A representative keeps their countries; the other roles have none.
        is_rep = str(getattr(new_role, "value", new_role)).strip().lower() == Role.COUNTRY_REP.value
        countries = [c for c in user.countries.split(",") if c] if is_rep else []
    is_vendor = str(getattr(new_role, "value", new_role)).strip().lower() == Role.VENDOR.value
    if vendor_id is None and is_vendor:
        vendor_id = user.vendor_id  # a vendor account keeps its vendor
    wanted = {
        "username": user.username,
        "role": new_role,
        "vendor_id": vendor_id if is_vendor else None,
        "display_name": user.display_name if display_name is None else display_name,
        "email": user.email if email is None else email,
        "countries": countries,
    }
    profile = _validated(UserProfile, wanted, summary)
    _check_countries(session, profile.countries, summary)
    _check_vendor(session, profile.vendor_id, summary)
    if user.role == Role.ADMIN.value and profile.role is not Role.ADMIN:
        _keep_an_admin(session, user, summary)
    before = _public(user)
    wanted_state = {
        **before,
        "role": profile.role.value,
        "countries": ",".join(profile.countries),
        "vendor_id": profile.vendor_id,
        "display_name": profile.display_name,
        "email": profile.email,
    }
    if wanted_state == before:
        return user
    with transaction(session):
        user.role = profile.role.value
        user.countries = ",".join(profile.countries)
        user.vendor_id = profile.vendor_id
        user.display_name = profile.display_name
        user.email = profile.email
        session.add(user)
        after = _public(user)
        audit.record(
            session,
            actor=actor,
            action="update_user",
            entity="user",
            entity_key=user.username,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return user


def _keep_an_admin(session: Session, user: User, summary: str) -> None:
    """Demo admins go with the demo data, so they do not count: one real, active admin always remains."""
    if user.is_active and not user.is_demo and _real_active_admins(session) == [user.username]:
        raise InvalidState(f"{summary} {user.username!r} is the only active admin: make another admin first.")


def disable_user(session: Session, *, actor: Actor, username: str) -> User:
    """Stop an account from signing in; its open sessions end (focus group only)."""
    actor = require_admin(session, actor)
    user = _get(session, username)
    if user.username == actor.username:
        raise InvalidState("You cannot disable your own account.")
    if user.role == Role.ADMIN.value:
        _keep_an_admin(session, user, "The account was not disabled.")
    if not user.is_active:
        return user
    with transaction(session):
        user.is_active = False
        user.session_version += 1
        session.add(user)
        audit.record(
            session,
            actor=actor,
            action="disable_user",
            entity="user",
            entity_key=user.username,
            before={"is_active": True},
            after={"is_active": False},
        )
    return user


def enable_user(session: Session, *, actor: Actor, username: str) -> User:
    """Let a disabled account sign in again (focus group only)."""
    actor = require_admin(session, actor)
    user = _get(session, username)
    if user.is_active:
        return user
    with transaction(session):
        user.is_active = True
        session.add(user)
        audit.record(
            session,
            actor=actor,
            action="enable_user",
            entity="user",
            entity_key=user.username,
            before={"is_active": False},
            after={"is_active": True},
        )
    return user


def reset_password(session: Session, *, actor: Actor, username: str, new_password: str) -> None:
    """Set a new password (focus group only): signs the account out everywhere and ends every client's wait."""
    actor = require_admin(session, actor)
    user = _get(session, username)
    password = _validated(NewPassword, {"password": new_password}, "The password was not changed.").password
    _end_sessions(session, actor, user, action="reset_password", password_hash=hash_password(password))


def change_own_password(session: Session, *, actor: Actor, old: str, new: str) -> User:
    """The signed-in user changes their password. Other sessions end: issue this session a new token."""
    summary = "The password was not changed."
    user = _find(session, actor.username)
    if user is None or not user.is_active:
        raise NotFound("Only a signed-in account can change its password.")
    password = _validated(NewPassword, {"password": new}, summary).password
    if not _verify(user.password_hash, old):
        raise ValidationFailed({"old": ["the current password is wrong"]}, summary=summary)
    if new == old:
        raise ValidationFailed({"new": ["the new password is the same as the current one"]}, summary=summary)
    _end_sessions(session, actor, user, action="change_password", password_hash=hash_password(password))
    return user


def actor_for_email(session: Session, email: str) -> Actor | None:
    """The active account with this email (for single sign-on, where the provider vouches for the email).

    The role and countries still come from our own user table; an unknown or disabled email gets no account.
    """
    wanted = email.strip().lower()
    if not wanted:
        return None
    for user in session.exec(select(User).where(col(User.is_active) == True)):  # noqa: E712
        if user.email.strip().lower() == wanted:
            return actor_for(user)
    return None


def sign_out_everywhere(session: Session, *, actor: Actor) -> None:
    """End every signed-in session of the actor's account: sign-in cookies issued before stop working."""
    user = _find(session, actor.username)
    if user is None:
        return
    _end_sessions(session, actor, user, action="sign_out")


def _end_sessions(session: Session, actor: Actor, user: User, *, action: str, password_hash: str | None = None) -> None:
    """Bump the account's session version (its sign-in cookies stop working), with a new password if given."""
    with transaction(session):
        user.session_version += 1
        if password_hash is not None:
            user.password_hash = password_hash
            throttle.forget_username(session, username=user.username)
        session.add(user)
        audit.record(
            session,
            actor=actor,
            action=action,
            entity="user",
            entity_key=user.username,
            before=None,
            after={"session_version": user.session_version},
        )


def create_first_admin(session: Session, *, actor: Actor = SYSTEM_ACTOR) -> str | None:
    """On a database without any account: create "admin" with a random password, returned once (else None)."""
    actor = require_admin(session, actor)
    if session.exec(select(User.id)).first() is not None:
        return None
    password = generate_password()
    profile = UserProfile(username=FIRST_ADMIN, display_name="Focus group admin", role=Role.ADMIN)
    try:
        with transaction(session):
            _insert(session, actor=actor, profile=profile, password_hash=_QUICK_HASHER.hash(password), is_demo=False)
    except IntegrityError:  # another process created it at the same moment
        return None
    return password


def add_demo_account(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: Role,
    countries: list[str],
    display_name: str,
    password: str,
    email: str = "",
    vendor_id: int | None = None,
) -> User:
    """A demo account (is_demo), inside the caller's transaction: the demo loader writes everything at once."""
    actor = require_admin(session, actor)
    profile = _validated(
        UserProfile,
        {
            "username": username,
            "role": role,
            "countries": countries,
            "display_name": display_name,
            "email": email,
            "vendor_id": vendor_id,
        },
        "The demo account was not created.",
    )
    return _insert(session, actor=actor, profile=profile, password_hash=_QUICK_HASHER.hash(password), is_demo=True)


# --- signing in --------------------------------------------------------------------------------------------


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    client: str = throttle.UNKNOWN_CLIENT,
    now: dt.datetime | None = None,
) -> Actor:
    """Check a username and password from a client (its address). Raises SignInFailed with one message for every
    kind of wrong, the same for existing and unknown usernames, at the same cost."""
    now = _aware(now or utcnow())
    name = username.strip().lower()[:60]
    wait = throttle.time_to_wait(session, client=client, username=name, now=now)
    if wait is not None:
        with transaction(session):
            throttle.count_refusal(session, client=client, username=name)
        raise SignInFailed(throttle.THROTTLED.format(wait=throttle.describe(wait)), throttled=True)

    user = _find(session, name) if name else None
    if user is None:
        _spend_a_verification(password)
        correct = False
    else:
        correct = _verify(user.password_hash, password)
        if _HASHER.check_needs_rehash(user.password_hash):
            # A quick demo hash would answer far faster than an unknown name: spend the full cost as well.
            _spend_a_verification(password)
    if user is not None and correct and user.is_active:
        with transaction(session):
            throttle.forget_username(session, username=name, client=client)
            if _HASHER.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            session.add(user)
            actor = actor_for(user)
            audit.record(
                session, actor=actor, action="sign_in", entity="user", entity_key=user.username, before=None, after=None
            )
        return actor

    failure = _count_failure(session, name=name, client=client, now=now)
    if failure.wait_seconds:
        raise SignInFailed(
            throttle.THROTTLED.format(wait=throttle.describe(dt.timedelta(seconds=failure.wait_seconds))),
            throttled=True,
        )
    raise SignInFailed(WRONG_CREDENTIALS)


def _count_failure(session: Session, *, name: str, client: str, now: dt.datetime) -> throttle.Failure:
    """Count the failure; the audit trail gets the first one and each wait, with the counts in between."""
    for attempt in range(2):
        try:
            with transaction(session):
                failure = throttle.count_failure(session, client=client, username=name, now=now)
                if failure.worth_auditing:
                    after: dict[str, Any] = {"failures": failure.failures, "client": client[:80]}
                    if failure.client_failures != failure.failures:
                        after["failures_from_client"] = failure.client_failures
                    if failure.refused_while_waiting:
                        after["refused_while_waiting"] = failure.refused_while_waiting
                    if failure.wait_seconds:
                        after["wait_seconds"] = failure.wait_seconds
                    _record_attempt(session, name, success=False, after=after, commit=False)
            return failure
        except IntegrityError:  # another app server counted this client's first failure at the same moment
            if attempt:
                raise
    raise AssertionError("unreachable")


def _record_attempt(
    session: Session, username: str, *, success: bool, after: dict[str, Any] | None, commit: bool = True
) -> None:
    """A sign-in attempt in the audit trail: the username as typed (never the password)."""

    def write() -> None:
        audit.record(
            session,
            actor=Actor(username=username or "(empty)", role=Role.PUBLIC),
            action="sign_in" if success else "sign_in_failed",
            entity="user",
            entity_key=username or "(empty)",
            before=None,
            after=after,
        )

    if not commit:
        write()
        return
    with transaction(session):
        write()


# --- remember-me tokens ------------------------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_TOKEN_SALT)


def issue_session_token(user: User | Session, *, secret: str, username: str | None = None) -> str:
    """A signed, timed token naming the account and its session version, for a "remember me" cookie.

    Pass the User, or a Session and `username=` (e.g. right after `authenticate`, which returns an Actor).
    """
    if isinstance(user, Session):
        if username is None:
            raise TypeError("issue_session_token(session, ...) needs username=")
        user = _get(user, username)
    if user.id is None:
        raise InvalidState("The account is not saved yet.")
    return _serializer(secret).dumps({"uid": user.id, "sv": user.session_version})


def actor_from_token(
    session: Session, token: str, *, secret: str, max_age_seconds: int = TOKEN_MAX_AGE_SECONDS
) -> Actor | None:
    """The actor a token stands for, or None: bad signature, expired, unknown or disabled account, or a token
    issued before the password was reset or the account disabled."""
    try:
        payload = _serializer(secret).loads(token, max_age=max_age_seconds)
    except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        return None
    if not isinstance(payload, dict):
        return None
    user_id, version = payload.get("uid"), payload.get("sv")
    if not isinstance(user_id, int) or not isinstance(version, int):
        return None
    statement = select(User).where(User.id == user_id).execution_options(populate_existing=True)
    user = session.exec(statement).first()
    if user is None or not user.is_active or user.session_version != version:
        return None
    return actor_for(user)


def ensure_session_secret(session: Session, *, actor: Actor = SYSTEM_ACTOR) -> str:
    """The token-signing secret stored in the database, generated on first use (the audit entry omits it)."""
    actor = require_admin(session, actor)
    stored = session.get(AppSetting, SECRET_SETTING, populate_existing=True)
    if stored is not None:
        return stored.value
    value = secrets.token_urlsafe(48)
    try:
        with transaction(session):
            session.add(AppSetting(key=SECRET_SETTING, value=value))
            audit.record(
                session,
                actor=actor,
                action="create_session_secret",
                entity="setting",
                entity_key=SECRET_SETTING,
                before=None,
                after={"generated": True},
            )
    except IntegrityError:  # another process stored one at the same moment: use theirs
        stored = session.get(AppSetting, SECRET_SETTING, populate_existing=True)
        if stored is None:
            raise
        return stored.value
    return value


def session_secret(source: Settings | Session) -> str:
    """The secret that signs sign-in tokens: MCWG_SECRET_KEY when set, otherwise one generated once and kept in
    the database. Pass the settings (a short-lived connection is opened) or an open session."""
    from_env = os.environ.get(SECRET_ENV, "").strip()
    if from_env:
        if len(from_env) < MIN_SECRET_LENGTH:
            raise ValueError(f"{SECRET_ENV} is too short: use at least {MIN_SECRET_LENGTH} random characters.")
        return from_env
    if isinstance(source, Session):
        return ensure_session_secret(source)
    engine = make_engine(source.effective_database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            return ensure_session_secret(session)
    finally:
        engine.dispose()


# --- demo accounts -----------------------------------------------------------------------------------------

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    countries: tuple[str, ...] = ()
    display_name: str = ""
    # Representatives get an address on example.org (reserved for examples: no mail ever reaches anyone), so the
    # demo shows reminders; a real deployment sets real addresses on the Users page.
    email: str = ""
    # The made-up vendor a demo vendor account answers for.
    vendor: str = ""


# What `load_demo` creates (a taken username gets a "demo-" prefix, e.g. "demo-admin" next to the real "admin").
DEMO_ACCOUNTS = (
    DemoAccount("admin", Role.ADMIN, (), "Demo focus group admin"),
    DemoAccount("rep-fr", Role.COUNTRY_REP, ("FR",), "Demo representative of France", "rep-fr@example.org"),
    DemoAccount("rep-no", Role.COUNTRY_REP, ("NO",), "Demo representative of Norway", "rep-no@example.org"),
    DemoAccount("member", Role.MEMBER, (), "Demo member"),
    DemoAccount("vendor", Role.VENDOR, (), "Demo vendor account of Example Imaging", vendor="Example Imaging"),
)


def describe_account(role: Role | str, countries: Iterable[str] | str) -> str:
    codes = sorted(c for c in (countries.split(",") if isinstance(countries, str) else countries) if c)
    role = Role(role)
    if role is Role.ADMIN:
        return "focus group (admin): every page, rounds, validation and accounts"
    if role is Role.COUNTRY_REP:
        return f"country representative of {', '.join(codes)}: fills in that country's survey"
    if role is Role.VENDOR:
        return "vendor: answers the product survey of its own products (made-up Example Imaging in the demo)"
    return "member: reads every submitted answer"


def demo_accounts(session: Session | None = None) -> list[tuple[str, str]]:
    """(username, description) of the demo accounts, all with the password "demo", for the sign-in page.

    With a session: the demo accounts actually in the database (empty when no demo data is loaded). Without:
    the accounts `load_demo` creates when none of their usernames is taken.
    """
    if session is None:
        return [(a.username, describe_account(a.role, a.countries)) for a in DEMO_ACCOUNTS]
    statement = select(User).where(User.is_demo == True).order_by(col(User.id))  # noqa: E712
    return [(u.username, describe_account(u.role, u.countries)) for u in session.exec(statement)]
