"""Sign-in throttling: a wait that grows with repeated failures, counted per client and per client + username.

Why per client: an account-wide lock lets anyone keep a known account shut (five wrong tries every fifteen
minutes), and only existing accounts could be locked, which told an attacker which usernames exist. Here the
counts belong to the client (the address the app sees), so a correct sign-in from a client that has not failed
always goes through, while a client guessing at one username, or at many, waits longer after every failure.
Unknown and existing usernames are counted and answered alike. The state lives in the database, so every app
server sees the same counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from mcwg_dashboard.models import SignInThrottle

# Failures forgotten after this long without a new one.
QUIET_PERIOD = dt.timedelta(minutes=15)
# Failures allowed before the first wait: per client and username, and per client over all usernames.
FREE_PER_USERNAME = 5
FREE_PER_CLIENT = 20
FIRST_WAIT = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(minutes=15)
UNKNOWN_CLIENT = "unknown"

THROTTLED = "Too many failed sign-ins from this connection: wait {wait}, then try again."


@dataclass(frozen=True)
class Failure:
    """What one failed attempt did to the counts, for the audit trail."""

    failures: int  # of this username from this client, since the last quiet period
    client_failures: int  # of any username from this client
    refused_while_waiting: int  # attempts refused unchecked since the last audited failure
    wait_seconds: int  # the wait this failure started (0: none)
    worth_auditing: bool  # the first failure, or the start of a wait; the others are only counted


def client_key(client: str) -> str:
    return f"client:{client[:80]}"


def username_key(client: str, username: str) -> str:
    return f"user:{client[:80]}|{username[:60]}"


def wait_for(failures: int, free: int) -> dt.timedelta:
    """The wait after the n-th failure: none within the free tries, then 30 s, doubling, at most 15 minutes."""
    if failures < free:
        return dt.timedelta(0)
    return min(FIRST_WAIT * 2 ** (failures - free), LONGEST_WAIT)


def describe(wait: dt.timedelta) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"


def time_to_wait(session: Session, *, client: str, username: str, now: dt.datetime) -> dt.timedelta | None:
    """How long this client must still wait before trying this username (None: it may try now)."""
    keys = [client_key(client), username_key(client, username)]
    rows = session.exec(select(SignInThrottle).where(col(SignInThrottle.key).in_(keys))).all()
    waits = [_aware(row.blocked_until) - now for row in rows if row.blocked_until and _aware(row.blocked_until) > now]
    return max(waits) if waits else None


def count_refusal(session: Session, *, client: str, username: str) -> None:
    """An attempt refused during a wait: counted (it shows in the next audit entry), never checked."""
    for key in (client_key(client), username_key(client, username)):
        row = session.get(SignInThrottle, key)
        if row is not None:
            row.refused += 1
            session.add(row)


def count_failure(session: Session, *, client: str, username: str, now: dt.datetime) -> Failure:
    """Count a failed attempt for the client and for the client + username; start a wait when due."""
    _forget_old(session, now)
    per_client = _counted(session, client_key(client), client=client, username=None, now=now, free=FREE_PER_CLIENT)
    per_username = _counted(
        session, username_key(client, username), client=client, username=username, now=now, free=FREE_PER_USERNAME
    )
    wait = max(per_client[1], per_username[1])
    refused = per_username[0].refused
    worth_auditing = per_username[0].failures == 1 or wait > dt.timedelta(0)
    if worth_auditing:
        per_username[0].refused = 0
        session.add(per_username[0])
    return Failure(
        failures=per_username[0].failures,
        client_failures=per_client[0].failures,
        refused_while_waiting=refused,
        wait_seconds=int(wait.total_seconds()),
        worth_auditing=worth_auditing,
    )


def forget_username(session: Session, *, username: str, client: str | None = None) -> None:
    """Clear the counts of a username: after its correct sign-in (that client) or a password reset (all)."""
    query = delete(SignInThrottle).where(col(SignInThrottle.username) == username)
    if client is not None:
        query = query.where(col(SignInThrottle.client) == client[:80])
    session.execute(query)


def usernames_waiting(session: Session, now: dt.datetime) -> set[str]:
    """Usernames some client must currently wait for (shown to the focus group, not to anyone else)."""
    rows = session.exec(
        select(SignInThrottle.username).where(
            col(SignInThrottle.username).is_not(None), col(SignInThrottle.blocked_until) > now
        )
    )
    return {name for name in rows if name}


def _counted(
    session: Session, key: str, *, client: str, username: str | None, now: dt.datetime, free: int
) -> tuple[SignInThrottle, dt.timedelta]:
    row = session.get(SignInThrottle, key)
    if row is None:
        row = SignInThrottle(key=key, client=client[:80], username=username, failures=0, last_failure_at=now)
    elif now - _aware(row.last_failure_at) > QUIET_PERIOD and not (
        row.blocked_until and _aware(row.blocked_until) > now
    ):
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    wait = wait_for(row.failures, free)
    row.blocked_until = now + wait if wait else None
    session.add(row)
    return row, wait


def _forget_old(session: Session, now: dt.datetime) -> None:
    """Rows of clients that have been quiet for a day go: guessing at random usernames cannot grow the table."""
    stale = now - dt.timedelta(days=1)
    session.execute(
        delete(SignInThrottle).where(
            col(SignInThrottle.last_failure_at) < stale,
            or_(col(SignInThrottle.blocked_until).is_(None), col(SignInThrottle.blocked_until) < now),
        )
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
