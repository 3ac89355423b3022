"""Accounts and sign-in: creation rules, passwords, throttling, tokens, permissions and the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from itsdangerous import TimestampSigner
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mcwg_dashboard.config import Settings
from mcwg_dashboard.models import AppSetting, AuditEntry, User
from mcwg_dashboard.services import users
from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.services.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.setup import initialise
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.services.users import SignInFailed, UserCreate
from tests.helpers import ADMIN, MEMBER, REP_FR

SECRET = "a-test-secret-that-is-long-enough"
PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheaper Argon2 parameters than production, but still different from the quick hasher (rehash tests)."""
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1))
    monkeypatch.setattr(users, "_dummy_hash", None)


def _create(session: Session, username: str = "marie", **changes: Any) -> User:
    data: dict[str, Any] = {
        "username": username,
        "display_name": "Marie Dupont",
        "email": "marie@example.org",
        "role": "country_rep",
        "countries": ["FR"],
        "password": PASSWORD,
    }
    data.update(changes)
    return users.create_user(session, actor=ADMIN, data=data)


def _audit_text(session: Session) -> str:
    entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
    return json.dumps([[e.actor, e.action, e.entity_key, e.before, e.after] for e in entries])


def test_created_account_is_read_back_and_audited(session: Session) -> None:
    user = _create(session, "Marie", countries="fr")
    assert (user.username, user.role, user.countries, user.is_active, user.is_demo) == (
        "marie",
        "country_rep",
        "FR",
        True,
        False,
    )
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert [u.username for u in users.list_users(session, actor=ADMIN)] == ["admin", "marie"]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "create_user", AuditEntry.actor == "fg-admin"))
    after = entry.one().after
    assert after is not None and after["username"] == "marie" and after["countries"] == "FR"
    assert "password" not in json.dumps(after) and "argon2" not in json.dumps(after)


def test_a_validated_usercreate_is_accepted_too(session: Session) -> None:
    data = UserCreate(username="piet", role=Role.MEMBER, password="long enough")
    assert users.create_user(session, actor=ADMIN, data=data).role == "member"


def test_duplicate_username_is_refused_with_a_clear_message(session: Session) -> None:
    _create(session)
    with pytest.raises(ValidationFailed) as caught:
        _create(session, "MARIE ")
    assert caught.value.problems == {"username": ["the username 'marie' is taken: choose another"]}
    assert len(users.list_users(session, actor=ADMIN)) == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "ab"}, "username", "3 to 60 characters"),
        ({"username": "-marie"}, "username", "lower-case letters"),
        ({"username": "marie dupont"}, "username", "lower-case letters"),
        ({"password": "short"}, "password", "at least 8 characters"),
        ({"email": "not-an-address"}, "email", "not an email address"),
        ({"role": "public"}, "role", "admin, country_rep, member"),
        ({"role": "superuser"}, "role", "admin, country_rep, member"),
        ({"countries": []}, "countries", "needs at least one country"),
        ({"role": "member"}, "countries", "only country representatives have countries"),
        ({"countries": ["FR", "XX"]}, "countries", "not a member: XX"),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_written(
    session: Session, changes: dict[str, Any], field: str, message: str
) -> None:
    audit_before = len(session.exec(select(AuditEntry)).all())
    with pytest.raises(ValidationFailed) as caught:
        _create(session, **changes)
    assert any(message in msg for msg in caught.value.problems.get(field, [])), caught.value.problems
    assert len(users.list_users(session, actor=ADMIN)) == 1
    assert len(session.exec(select(AuditEntry)).all()) == audit_before


def test_sign_in_returns_the_actor_and_is_audited(session: Session) -> None:
    _create(session, countries=["FR", "NO"])
    actor = users.authenticate(session, username=" Marie ", password=PASSWORD)
    assert actor.username == "marie"
    assert actor.role is Role.COUNTRY_REP
    assert actor.countries == frozenset({"FR", "NO"})
    assert actor.display_name == "Marie Dupont"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "sign_in")).one()
    assert (entry.actor, entry.entity_key) == ("marie", "marie")


def test_wrong_password_unknown_user_and_disabled_account_get_one_message(session: Session) -> None:
    _create(session)
    messages = []
    for username, password in [("marie", "wrong password"), ("nobody", PASSWORD), ("", "")]:
        with pytest.raises(SignInFailed) as caught:
            users.authenticate(session, username=username, password=password)
        messages.append(str(caught.value))
    users.disable_user(session, actor=ADMIN, username="marie")
    with pytest.raises(SignInFailed) as caught:
        users.authenticate(session, username="marie", password=PASSWORD)
    messages.append(str(caught.value))
    assert set(messages) == {"Wrong username or password, or the account is disabled."}
    failed = session.exec(select(AuditEntry).where(AuditEntry.action == "sign_in_failed")).all()
    # The second failure for marie from the same connection is counted, not written again (aggregated).
    assert [e.entity_key for e in failed] == ["marie", "nobody", "(empty)"]


def test_unknown_username_still_costs_a_password_verification(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            calls.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(users, "_HASHER", CountingHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1))
    _create(session)
    with pytest.raises(SignInFailed):
        users.authenticate(session, username="marie", password="wrong password")
    with pytest.raises(SignInFailed):
        users.authenticate(session, username="nobody", password="wrong password")
    assert len(calls) == 2
    assert calls[1].startswith("$argon2id$") and calls[1] != calls[0]


WRONG = "Wrong username or password, or the account is disabled."
HERE = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


def _fail(session: Session, times: int, now: dt.datetime, *, username: str = "marie", client: str = HERE) -> list[str]:
    messages = []
    for _ in range(times):
        with pytest.raises(SignInFailed) as caught:
            users.authenticate(session, username=username, password="wrong password", client=client, now=now)
        messages.append(str(caught.value))
    return messages


def _demo_account(session: Session) -> None:
    with transaction(session):
        users.add_demo_account(
            session,
            actor=ADMIN,
            username="demo-rep",
            role=Role.COUNTRY_REP,
            countries=["NO"],
            display_name="",
            password="demo",
        )


def _failed_entries(session: Session) -> list[AuditEntry]:
    return list(
        session.exec(select(AuditEntry).where(AuditEntry.action == "sign_in_failed").order_by(col(AuditEntry.id)))
    )


def test_five_failures_make_the_client_wait_and_each_further_failure_doubles_the_wait(session: Session) -> None:
    _create(session)
    messages = _fail(session, 5, T0)
    assert messages[:4] == [WRONG] * 4
    assert messages[4] == "Too many failed sign-ins from this connection: wait 30 seconds, then try again."
    # While it waits, even the right password is not checked.
    with pytest.raises(SignInFailed, match="wait 20 seconds") as caught:
        users.authenticate(session, username="marie", password=PASSWORD, client=HERE, now=T0 + dt.timedelta(seconds=10))
    assert caught.value.throttled
    assert _fail(session, 1, T0 + dt.timedelta(seconds=31)) == [
        "Too many failed sign-ins from this connection: wait 60 seconds, then try again."
    ]
    later = T0 + dt.timedelta(seconds=31 + 61)
    assert users.authenticate(session, username="marie", password=PASSWORD, client=HERE, now=later).username == "marie"
    assert _fail(session, 4, later) == [WRONG] * 4, "a correct sign-in starts the count again"


def test_the_wait_never_exceeds_fifteen_minutes_and_a_quiet_period_forgets_failures(session: Session) -> None:
    assert [users.throttle.wait_for(n, 5).total_seconds() for n in (4, 5, 6, 7, 9, 30)] == [0, 30, 60, 120, 480, 900]
    _create(session)
    _fail(session, 4, T0)
    assert _fail(session, 4, T0 + dt.timedelta(minutes=16)) == [WRONG] * 4


def test_nobody_can_keep_an_account_shut_from_another_connection(session: Session) -> None:
    _create(session)
    _fail(session, 5, T0, client=ELSEWHERE)
    _fail(session, 1, T0 + dt.timedelta(minutes=1), client=ELSEWHERE)  # an attacker keeps failing
    moment = T0 + dt.timedelta(minutes=1, seconds=10)
    with pytest.raises(SignInFailed, match="wait 50 seconds"):
        users.authenticate(session, username="marie", password=PASSWORD, client=ELSEWHERE, now=moment)
    actor = users.authenticate(session, username="marie", password=PASSWORD, client=HERE, now=moment)
    assert actor.username == "marie"


def test_a_connection_guessing_many_usernames_waits_too(session: Session) -> None:
    _create(session)
    messages = [_fail(session, 1, T0, username=f"guess{n}")[0] for n in range(20)]
    assert messages[:19] == [WRONG] * 19
    assert messages[19].startswith("Too many failed sign-ins from this connection: wait 30 seconds")
    with pytest.raises(SignInFailed, match="wait"):
        users.authenticate(session, username="marie", password=PASSWORD, client=HERE, now=T0)
    assert (
        users.authenticate(session, username="marie", password=PASSWORD, client=ELSEWHERE, now=T0).username == "marie"
    )


def test_unknown_and_existing_usernames_get_the_same_answers(session: Session) -> None:
    _create(session)
    _demo_account(session)
    answers: dict[str, list[str]] = {}
    for username in ("marie", "demo-rep", "nobody"):
        answers[username] = _fail(session, 7, T0, username=username, client=f"192.0.2.{len(answers) + 1}")
    assert answers["marie"] == answers["demo-rep"] == answers["nobody"]
    assert answers["nobody"][4].startswith("Too many failed sign-ins")


def test_an_account_on_the_quick_demo_hash_costs_as_much_as_an_unknown_username(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_cost: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            if "m=8192,t=2" in str(hash):  # the parameters of the full-cost hasher of these tests
                full_cost.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(users, "_HASHER", CountingHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1))
    _demo_account(session)
    _fail(session, 1, T0, username="demo-rep")
    assert len(full_cost) == 1, "a quick hash alone answers about 30x faster than an unknown username"
    _fail(session, 1, T0, username="nobody")
    assert len(full_cost) == 2


def test_repeated_failures_are_aggregated_in_the_audit_trail(session: Session) -> None:
    _create(session)
    _fail(session, 5, T0)
    for second in range(1, 11):  # refused unchecked while waiting
        with pytest.raises(SignInFailed, match="wait"):
            users.authenticate(
                session, username="marie", password="x", client=HERE, now=T0 + dt.timedelta(seconds=second)
            )
    _fail(session, 1, T0 + dt.timedelta(seconds=31))
    entries = _failed_entries(session)
    assert [e.after for e in entries] == [
        {"failures": 1, "client": HERE},
        {"failures": 5, "client": HERE, "wait_seconds": 30},
        {"failures": 6, "client": HERE, "refused_while_waiting": 10, "wait_seconds": 60},
    ]
    assert {e.entity_key for e in entries} == {"marie"}


def test_reset_password_ends_the_waits_and_invalidates_old_tokens(session: Session) -> None:
    user = _create(session)
    token = users.issue_session_token(user, secret=SECRET)
    assert users.actor_from_token(session, token, secret=SECRET) == users.actor_for(user)
    _fail(session, 5, users.utcnow())
    assert users.usernames_waiting(session, actor=ADMIN) == {"marie"}
    users.reset_password(session, actor=ADMIN, username="marie", new_password="a brand new one")
    assert users.usernames_waiting(session, actor=ADMIN) == set()
    assert users.actor_from_token(session, token, secret=SECRET) is None
    with pytest.raises(SignInFailed):
        users.authenticate(session, username="marie", password=PASSWORD, client=HERE)
    assert users.authenticate(session, username="marie", password="a brand new one", client=HERE).username == "marie"
    fresh = users.issue_session_token(session, username="marie", secret=SECRET)
    assert users.actor_from_token(session, fresh, secret=SECRET) is not None
    with pytest.raises(ValidationFailed, match="at least 8 characters"):
        users.reset_password(session, actor=ADMIN, username="marie", new_password="short")
    with pytest.raises(NotFound):
        users.reset_password(session, actor=ADMIN, username="nobody", new_password="long enough")


def test_disabling_ends_sessions_and_enabling_does_not_revive_old_tokens(session: Session) -> None:
    user = _create(session)
    token = users.issue_session_token(user, secret=SECRET)
    users.disable_user(session, actor=ADMIN, username="marie")
    assert users.actor_from_token(session, token, secret=SECRET) is None
    users.enable_user(session, actor=ADMIN, username="marie")
    assert users.actor_from_token(session, token, secret=SECRET) is None
    assert users.authenticate(session, username="marie", password=PASSWORD).username == "marie"


def test_tampered_foreign_or_expired_tokens_are_refused(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    user = _create(session)
    token = users.issue_session_token(user, secret=SECRET)
    assert users.actor_from_token(session, token, secret=SECRET) is not None
    payload, rest = token.split(".", 1)
    assert (
        users.actor_from_token(session, payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest, secret=SECRET)
        is None
    )
    assert users.actor_from_token(session, token[:-2], secret=SECRET) is None
    assert users.actor_from_token(session, token, secret="another-secret-of-some-length") is None
    assert users.actor_from_token(session, "", secret=SECRET) is None
    assert users.actor_from_token(session, "not a token at all", secret=SECRET) is None

    fifteen_days_ago = int(time.time()) - 15 * 24 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: fifteen_days_ago)
    old = users.issue_session_token(user, secret=SECRET)
    monkeypatch.undo()
    assert users.actor_from_token(session, old, secret=SECRET) is None
    assert users.actor_from_token(session, old, secret=SECRET, max_age_seconds=16 * 24 * 3600) is not None


def test_changing_the_role_applies_to_existing_tokens(session: Session) -> None:
    user = _create(session)
    token = users.issue_session_token(user, secret=SECRET)
    users.update_user(session, actor=ADMIN, username="marie", role="member", display_name="Marie D.")
    actor = users.actor_from_token(session, token, secret=SECRET)
    assert actor is not None
    assert (actor.role, actor.countries, actor.display_name) == (Role.MEMBER, frozenset(), "Marie D.")
    users.update_user(session, actor=ADMIN, username="marie", role=Role.COUNTRY_REP, countries=["NO", "FR"])
    assert users.get_user(session, actor=ADMIN, username="marie").countries == "NO,FR"
    users.update_user(session, actor=ADMIN, username="marie", email="")
    assert users.get_user(session, actor=ADMIN, username="marie").countries == "NO,FR"
    with pytest.raises(ValidationFailed, match="needs at least one country"):
        users.update_user(session, actor=ADMIN, username="marie", countries=[])
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "update_user")).first()
    assert entry is not None
    assert entry.before == {"role": "country_rep", "countries": "FR", "display_name": "Marie Dupont"}
    assert entry.after == {"role": "member", "countries": "", "display_name": "Marie D."}


def test_one_real_admin_always_remains(session: Session) -> None:
    with pytest.raises(InvalidState, match="only active admin"):
        users.disable_user(session, actor=ADMIN, username="admin")
    with pytest.raises(InvalidState, match="only active admin"):
        users.update_user(session, actor=ADMIN, username="admin", role="member")
    _create(session, "second", role="admin", countries=[])
    users.disable_user(session, actor=ADMIN, username="admin")
    second = users.actor_for(users.get_user(session, actor=ADMIN, username="second"))
    with pytest.raises(InvalidState, match="your own account"):
        users.disable_user(session, actor=second, username="second")


def test_change_own_password(session: Session) -> None:
    user = _create(session)
    actor = users.actor_for(user)
    token = users.issue_session_token(user, secret=SECRET)
    with pytest.raises(ValidationFailed, match="current password is wrong"):
        users.change_own_password(session, actor=actor, old="not it at all", new="another password")
    with pytest.raises(ValidationFailed, match="at least 8"):
        users.change_own_password(session, actor=actor, old=PASSWORD, new="short")
    with pytest.raises(ValidationFailed, match="same as the current"):
        users.change_own_password(session, actor=actor, old=PASSWORD, new=PASSWORD)
    updated = users.change_own_password(session, actor=actor, old=PASSWORD, new="another password")
    assert users.actor_from_token(session, token, secret=SECRET) is None
    assert users.actor_from_token(session, users.issue_session_token(updated, secret=SECRET), secret=SECRET)
    assert users.authenticate(session, username="marie", password="another password").username == "marie"
    with pytest.raises(NotFound):
        users.change_own_password(session, actor=REP_FR, old="whatever1", new="whatever2")


@pytest.mark.parametrize("actor", [REP_FR, MEMBER], ids=["country_rep", "member"])
def test_only_the_focus_group_manages_accounts(session: Session, actor: Any) -> None:
    _create(session)
    calls: list[Callable[[], object]] = [
        lambda: _create_as(session, actor),
        lambda: users.list_users(session, actor=actor),
        lambda: users.disable_user(session, actor=actor, username="marie"),
        lambda: users.enable_user(session, actor=actor, username="marie"),
        lambda: users.reset_password(session, actor=actor, username="marie", new_password="long enough"),
        lambda: users.update_user(session, actor=actor, username="marie", role="admin"),
        lambda: users.get_user(session, actor=actor, username="admin"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()


def _create_as(session: Session, actor: Any) -> User:
    return users.create_user(
        session, actor=actor, data={"username": "x-user", "role": "member", "password": "12345678"}
    )


def test_no_password_or_hash_ever_reaches_the_audit_trail(session: Session) -> None:
    user = _create(session)
    users.authenticate(session, username="marie", password=PASSWORD)
    _fail(session, 5, T0)
    users.reset_password(session, actor=ADMIN, username="marie", new_password="second password")
    users.change_own_password(session, actor=users.actor_for(user), old="second password", new="third password")
    users.disable_user(session, actor=ADMIN, username="marie")
    users.enable_user(session, actor=ADMIN, username="marie")
    users.ensure_session_secret(session)
    text = _audit_text(session)
    for secret in (PASSWORD, "wrong password", "second password", "third password", "$argon2", "password_hash"):
        assert secret not in text
    stored_secret = session.get(AppSetting, users.SECRET_SETTING)
    assert stored_secret is not None and stored_secret.value not in text
    actions = {e.action for e in session.exec(select(AuditEntry))}
    assert {"create_user", "sign_in", "sign_in_failed", "reset_password", "change_password"} <= actions
    assert {"disable_user", "enable_user", "create_session_secret"} <= actions


def test_the_first_admin_is_created_once_and_upgraded_at_first_sign_in(empty_engine: Engine) -> None:
    settings = Settings(database_url=str(empty_engine.url.render_as_string(hide_password=False)))
    report = initialise(empty_engine, settings)
    password = report.first_admin_password
    assert password is not None and len(password) == 16
    assert initialise(empty_engine, settings).first_admin_password is None
    with Session(empty_engine, expire_on_commit=False) as session:
        admin = users.get_user(session, actor=ADMIN, username="admin")
        assert admin.role == "admin" and not admin.is_demo
        quick_hash = admin.password_hash
        assert users._HASHER.check_needs_rehash(quick_hash)
        actor = users.authenticate(session, username="admin", password=password)
        assert actor.role is Role.ADMIN
        upgraded = users.get_user(session, actor=ADMIN, username="admin").password_hash
        assert upgraded != quick_hash and not users._HASHER.check_needs_rehash(upgraded)
        assert password not in _audit_text(session)


def test_session_secret_from_the_environment_or_generated_once(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(users.SECRET_ENV, raising=False)
    first = users.session_secret(session)
    settings = Settings(database_url=str(engine.url.render_as_string(hide_password=False)))
    assert users.session_secret(settings) == first
    assert len(first) >= 32
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "create_session_secret")).all()) == 1
    assert first not in _audit_text(session)
    monkeypatch.setenv(users.SECRET_ENV, "  from-the-environment-0123456789 ")
    assert users.session_secret(settings) == "from-the-environment-0123456789"
    monkeypatch.setenv(users.SECRET_ENV, "short")
    with pytest.raises(ValueError, match="too short"):
        users.session_secret(session)
    with pytest.raises(PermissionDenied):
        users.ensure_session_secret(session, actor=MEMBER)


def test_sign_out_ends_every_session_of_the_account(session: Session) -> None:
    from mcwg_dashboard.services import users as user_service

    user_service.create_user(
        session, actor=ADMIN, data={"username": "leaver", "role": "member", "password": "long enough pw"}
    )
    secret = user_service.session_secret(session)
    token = user_service.issue_session_token(session, username="leaver", secret=secret)
    actor = user_service.actor_from_token(session, token, secret=secret)
    assert actor is not None
    user_service.sign_out_everywhere(session, actor=actor)
    assert user_service.actor_from_token(session, token, secret=secret) is None


def test_single_sign_on_maps_the_email_to_our_account(session: Session) -> None:
    from mcwg_dashboard.services import users as user_service

    user_service.create_user(
        session,
        actor=ADMIN,
        data={
            "username": "rep-be",
            "role": "country_rep",
            "countries": ["BE"],
            "email": "Rep@Example.org",
            "password": "long enough pw",
        },
    )
    actor = user_service.actor_for_email(session, "rep@example.org ")
    assert actor is not None and actor.username == "rep-be" and actor.countries == frozenset({"BE"})
    assert user_service.actor_for_email(session, "stranger@example.org") is None
    user_service.disable_user(session, actor=ADMIN, username="rep-be")
    assert user_service.actor_for_email(session, "rep@example.org") is None
