"""Reminders to members that have not submitted their survey of an open round: who, to whom, what to say, and the
sending (SMTP when MCWG_SMTP_URL is set, otherwise a mailto: link the focus group sends from its own mail client).

Every reminder sent is audited ("send_reminder"); nothing is ever sent to a member whose survey is submitted, and a
reminder the mail server refused or never answered is reported as not sent and recorded nowhere.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import quote, unquote, urlsplit

from sqlmodel import Session, col, select

from mcwg_dashboard.models import AuditEntry, Country, CountrySurvey, RoundState, SurveyRound, SurveyState, User
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor, Role, require_admin
from mcwg_dashboard.services.errors import InvalidState, NotFound, ServiceError
from mcwg_dashboard.services.members import round_member_codes
from mcwg_dashboard.services.transaction import transaction

SEND_ACTION = "send_reminder"
# How a reminder went out: by the app's mail server, or from the focus group's own mail client (said by a click).
BY_SMTP, BY_MAIL_CLIENT = "smtp", "mail client"
SMTP_TIMEOUT_SECONDS = 15.0


class ReminderNotSent(ServiceError):
    """The mail server refused the reminder or did not answer: nothing was sent and nothing recorded."""


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


@dataclass(frozen=True)
class PendingMember:
    """A member whose survey of the round is not handed in, with the representatives a reminder goes to."""

    code: str
    name: str
    survey_state: str  # "draft" or "not started"
    recipients: tuple[Recipient, ...]
    last_reminded: str  # when the last reminder of this round went out (UTC), "" when never


@dataclass(frozen=True)
class Reminder:
    to: tuple[Recipient, ...]
    subject: str
    body: str

    @property
    def mailto(self) -> str:
        """A mailto: link that opens the reminder, ready to send, in the reader's own mail client."""
        addresses = ",".join(quote(r.email, safe="@") for r in self.to)
        return f"mailto:{addresses}?subject={quote(self.subject)}&body={quote(self.body)}"


def _round(session: Session, round_id: int) -> SurveyRound:
    survey_round = session.get(SurveyRound, round_id)
    if survey_round is None:
        raise NotFound(f"Round {round_id} does not exist.")
    return survey_round


def _representatives(session: Session) -> dict[str, list[Recipient]]:
    """Member code -> its active representatives that have an e-mail address."""
    found: dict[str, list[Recipient]] = {}
    users = session.exec(select(User).where(col(User.role) == Role.COUNTRY_REP.value, col(User.is_active)))
    for user in users:
        if not user.email.strip():
            continue
        for code in filter(None, (c.strip() for c in user.countries.split(","))):
            found.setdefault(code, []).append(Recipient(user.display_name or user.username, user.email.strip()))
    return found


def _last_reminders(session: Session, round_name: str) -> dict[str, str]:
    entries = session.exec(
        select(AuditEntry)
        .where(col(AuditEntry.action) == SEND_ACTION, col(AuditEntry.entity_key).startswith(f"{round_name}/"))
        .order_by(col(AuditEntry.id))
    )
    return {e.entity_key.rsplit("/", 1)[1]: e.at.strftime("%Y-%m-%d %H:%M") for e in entries}


def pending_members(session: Session, *, actor: Actor, round_id: int) -> list[PendingMember]:
    """The members that have not submitted the round's survey (draft or not started), by name."""
    require_admin(session, actor)
    survey_round = _round(session, round_id)
    states = {
        s.country_code: s.state
        for s in session.exec(select(CountrySurvey).where(col(CountrySurvey.round_id) == round_id))
    }
    handed_in = {SurveyState.SUBMITTED.value, SurveyState.VALIDATED.value, SurveyState.PUBLISHED.value}
    representatives = _representatives(session)
    reminded = _last_reminders(session, survey_round.name)
    in_round = round_member_codes(session, survey_round)
    return [
        PendingMember(
            code=member.code,
            name=member.name,
            survey_state=states.get(member.code, "not started"),
            recipients=tuple(representatives.get(member.code, [])),
            last_reminded=reminded.get(member.code, ""),
        )
        for member in session.exec(select(Country).order_by(col(Country.name)))
        if states.get(member.code) not in handed_in and member.code in in_round
    ]


def reminder_for(session: Session, *, actor: Actor, round_id: int, country_code: str) -> Reminder:
    """The reminder to one member that has not submitted: refused for a submitted one, or without an address."""
    survey_round = _round(session, round_id)
    member = next((m for m in pending_members(session, actor=actor, round_id=round_id) if m.code == country_code), None)
    if member is None:
        known = session.get(Country, country_code)
        if known is None:
            raise NotFound(f"Unknown member {country_code!r}.")
        if known.code not in round_member_codes(session, survey_round):
            raise InvalidState(f"{country_code} retired before {survey_round.name} opened: no reminder is sent.")
        raise InvalidState(f"{country_code} has submitted its survey of {survey_round.name}: no reminder is sent.")
    return compose_reminder(survey_round, member)


def compose_reminder(survey_round: SurveyRound, member: PendingMember) -> Reminder:
    """What to send a member listed by pending_members (no database read: a page lists many at once)."""
    if survey_round.state != RoundState.OPEN.value:
        raise InvalidState(f"{survey_round.name} is {survey_round.state}: reminders go out for open rounds only.")
    if not member.recipients:
        raise InvalidState(
            f"{member.name} has no active representative with an e-mail address: add one on the Users page first."
        )
    closes = f" The round closes on {survey_round.closes_on:%d %B %Y}." if survey_round.closes_on else ""
    names = ", ".join(r.name for r in member.recipients)
    body = (
        f"Dear {names},\n\n"
        f"The survey of {survey_round.name} for {member.name} is not submitted yet"
        f" (it is {member.survey_state}).{closes}"
        "\n\nYou can fill it in on the MCWG adoption dashboard (Country survey page), or download the Excel workbook"
        " there, fill it offline and upload it again.\n\n"
        "Thank you,\nThe MCWG Tracking & Adoption focus group"
    )
    return Reminder(member.recipients, f"MCWG survey {survey_round.name}: {member.name} not submitted yet", body)


def send_reminder(
    session: Session,
    *,
    actor: Actor,
    round_id: int,
    country_code: str,
    smtp_url: str | None,
    sender: str = "",
    sent_by_hand: bool = False,
) -> Reminder:
    """Send the reminder by SMTP (`smtp_url`), or record that the focus group sent it from its own mail client
    (`sent_by_hand`). One audit entry when it went out; nothing recorded when the server refused it."""
    with transaction(session):
        reminder = reminder_for(session, actor=actor, round_id=round_id, country_code=country_code)
        if sent_by_hand:
            channel = BY_MAIL_CLIENT
        elif smtp_url:
            _deliver(reminder, smtp_url, sender)
            channel = BY_SMTP
        else:
            raise InvalidState("No mail server is configured (MCWG_SMTP_URL): send it from your mail client.")
        survey_round = _round(session, round_id)
        audit.record(
            session,
            actor=actor,
            action=SEND_ACTION,
            entity="countrysurvey",
            entity_key=f"{survey_round.name}/{country_code}",
            before=None,
            after={"to": [r.email for r in reminder.to], "subject": reminder.subject, "channel": channel},
        )
    return reminder


def _deliver(reminder: Reminder, smtp_url: str, sender: str) -> None:
    """Hand the message to the SMTP server: smtp://[user:password@]host[:port] (STARTTLS when the server offers it)
    or smtps:// (TLS from the start)."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ReminderNotSent(f"MCWG_SMTP_URL must look like smtp://user:password@host:587, not {parts.scheme}://…")
    message = EmailMessage()
    user = unquote(parts.username or "")
    message["From"] = sender or (user if "@" in user else f"mcwg-dashboard@{parts.hostname}")
    message["To"] = ", ".join(f"{r.name} <{r.email}>" for r in reminder.to)
    message["Subject"] = reminder.subject
    message.set_content(reminder.body)
    client_type = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        with client_type(parts.hostname, port, timeout=SMTP_TIMEOUT_SECONDS) as client:
            if parts.scheme == "smtp":
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            refused = client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise ReminderNotSent(
            f"The reminder was not sent: the mail server {parts.hostname}:{port} said {exc}."
        ) from exc
    if refused:
        raise ReminderNotSent(f"The reminder was not sent to {', '.join(refused)}: the mail server refused them.")
