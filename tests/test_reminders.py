"""Reminders to members that have not submitted: to whom, what, by a local SMTP server (aiosmtpd) or a mailto: link;
audited when sent, never sent to a member that submitted, nothing recorded when the server refuses or is silent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, col, select

from mcwg_dashboard.models import AuditEntry, CountrySurvey, SurveyState
from mcwg_dashboard.services import reminders
from mcwg_dashboard.services.errors import InvalidState, PermissionDenied
from mcwg_dashboard.services.users import create_user
from tests.helpers import ADMIN, MEMBER, the_open_round


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[Any] = []
        self.refuse = refuse

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, _Inbox]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", inbox
    controller.stop()


def _representatives(session: Session) -> None:
    for username, countries, email in (
        ("rep-fr", "FR", "marie@example.fr"),
        ("rep-fr-2", "FR", "paul@example.fr"),
        ("rep-no", "NO", "kari@example.no"),
        ("rep-at", "AT", ""),  # no address: cannot be reminded
    ):
        create_user(
            session,
            actor=ADMIN,
            data={
                "username": username,
                "display_name": username.upper(),
                "email": email,
                "role": "country_rep",
                "countries": countries,
                "password": "a long enough password 1",
            },
        )


def _submitted(session: Session, code: str) -> None:
    survey_round = the_open_round(session)
    assert survey_round.id is not None
    session.add(CountrySurvey(round_id=survey_round.id, country_code=code, state=SurveyState.SUBMITTED.value))
    session.commit()


def _reminder_entries(session: Session) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(col(AuditEntry.action) == reminders.SEND_ACTION)))


def test_pending_members_are_those_not_submitted_with_their_representatives(session: Session) -> None:
    _representatives(session)
    _submitted(session, "NO")
    round_id = the_open_round(session).id or 0
    pending = {m.code: m for m in reminders.pending_members(session, actor=ADMIN, round_id=round_id)}
    assert "NO" not in pending, "a member that submitted is not listed"
    assert [r.email for r in pending["FR"].recipients] == ["marie@example.fr", "paul@example.fr"]
    assert pending["FR"].survey_state == "not started" and pending["FR"].last_reminded == ""
    assert pending["AT"].recipients == ()
    with pytest.raises(PermissionDenied):
        reminders.pending_members(session, actor=MEMBER, round_id=round_id)


def test_a_reminder_reaches_the_local_smtp_server_and_is_audited(
    session: Session, smtp_server: tuple[str, _Inbox]
) -> None:
    url, inbox = smtp_server
    _representatives(session)
    survey_round = the_open_round(session)
    sent = reminders.send_reminder(
        session, actor=ADMIN, round_id=survey_round.id or 0, country_code="FR", smtp_url=url, sender="fg@example.org"
    )
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "REP-FR <marie@example.fr>, REP-FR-2 <paul@example.fr>"
    assert message["From"] == "fg@example.org"
    assert message["Subject"] == sent.subject and survey_round.name in sent.subject and "France" in sent.subject
    assert "not submitted yet" in message.get_payload()
    (entry,) = _reminder_entries(session)
    assert entry.entity_key == f"{survey_round.name}/FR" and entry.actor == ADMIN.username
    assert entry.after == {"to": ["marie@example.fr", "paul@example.fr"], "subject": sent.subject, "channel": "smtp"}
    pending = {m.code: m for m in reminders.pending_members(session, actor=ADMIN, round_id=survey_round.id or 0)}
    assert pending["FR"].last_reminded, "the list says when the member was last reminded"


def test_nothing_is_sent_to_a_member_that_submitted_or_has_no_address(
    session: Session, smtp_server: tuple[str, _Inbox]
) -> None:
    url, inbox = smtp_server
    _representatives(session)
    _submitted(session, "NO")
    round_id = the_open_round(session).id or 0
    with pytest.raises(InvalidState, match="NO has submitted its survey"):
        reminders.send_reminder(session, actor=ADMIN, round_id=round_id, country_code="NO", smtp_url=url)
    with pytest.raises(InvalidState, match="no active representative with an e-mail address"):
        reminders.send_reminder(session, actor=ADMIN, round_id=round_id, country_code="AT", smtp_url=url)
    with pytest.raises(PermissionDenied):
        reminders.send_reminder(session, actor=MEMBER, round_id=round_id, country_code="FR", smtp_url=url)
    assert inbox.messages == [] and _reminder_entries(session) == []


def _remind_france(session: Session, port: int) -> None:
    reminders.send_reminder(
        session,
        actor=ADMIN,
        round_id=the_open_round(session).id or 0,
        country_code="FR",
        smtp_url=f"smtp://127.0.0.1:{port}",
    )


def test_a_refusing_server_means_not_sent_and_nothing_recorded(session: Session) -> None:
    inbox = _Inbox(refuse=True)
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _representatives(session)
        with pytest.raises(reminders.ReminderNotSent, match="not sent"):
            _remind_france(session, port)
    finally:
        controller.stop()
    assert inbox.messages == [] and _reminder_entries(session) == []


def test_a_silent_server_times_out_as_not_sent(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reminders, "SMTP_TIMEOUT_SECONDS", 0.5)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    _representatives(session)
    try:
        with pytest.raises(reminders.ReminderNotSent, match="timed out"):
            _remind_france(session, listener.getsockname()[1])
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
    assert _reminder_entries(session) == []


def test_without_a_mail_server_a_mailto_link_and_a_recorded_hand_sending(session: Session) -> None:
    _representatives(session)
    round_id = the_open_round(session).id or 0
    reminder = reminders.reminder_for(session, actor=ADMIN, round_id=round_id, country_code="FR")
    link = reminder.mailto
    assert link.startswith("mailto:marie@example.fr,paul@example.fr?subject=")
    assert unquote(link.split("body=", 1)[1]) == reminder.body
    with pytest.raises(InvalidState, match="No mail server is configured"):
        reminders.send_reminder(session, actor=ADMIN, round_id=round_id, country_code="FR", smtp_url=None)
    assert _reminder_entries(session) == []
    reminders.send_reminder(
        session, actor=ADMIN, round_id=round_id, country_code="FR", smtp_url=None, sent_by_hand=True
    )
    (entry,) = _reminder_entries(session)
    assert entry.after is not None and entry.after["channel"] == "mail client"


def test_rounds_page_lists_who_to_remind_with_a_ready_mail_for_the_focus_group(isolated_settings: Path) -> None:
    from mcwg_dashboard.config import get_settings
    from mcwg_dashboard.db import make_engine
    from mcwg_dashboard.models import User
    from tests.test_app_pages import _dashboard

    at = _dashboard("mcwg_dashboard/views/rounds_admin.py")  # loads the demo; the open round is chosen first
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        rep = session.exec(select(User).where(col(User.username) == "rep-no")).one()
        rep.email = "kari@example.no"
        session.add(rep)
        session.commit()
    engine.dispose()
    at.run()
    assert not at.exception
    assert any(h.value.startswith("Reminders · ") for h in at.header)
    table = next(d.value for d in at.dataframe if "Representatives" in d.value.columns)
    assert "Norway (NO)" in table["Member"].tolist()
    assert str(table.set_index("Member").at["Norway (NO)", "Representatives"]).endswith("<kari@example.no>")
    links = [b.proto.url for b in at.get("link_button")]
    assert any(link.startswith("mailto:kari@example.no?subject=") for link in links)
    next(b for b in at.button if b.label == "Mark the reminder to NO sent").click().run()
    assert any("Reminder to Norway recorded as sent." in s.value for s in at.success)
