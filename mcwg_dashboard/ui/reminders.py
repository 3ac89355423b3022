"""The Reminders section of the Rounds page: members that have not submitted, their representatives' addresses,
and a reminder each, by the app's mail server when one is configured or from the reader's own mail client."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlmodel import Session

from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import SurveyRound
from mcwg_dashboard.services import reminders
from mcwg_dashboard.services.actors import Actor
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.ui.context import get_engine
from mcwg_dashboard.ui.text import escape_markdown


def reminders_section(
    actor: Actor, round_id: int, round_name: str, run: Callable[[str, Callable[[Session], object]], None]
) -> None:
    """`run(message, call)` runs a service call from a button and reports its outcome on the next run."""
    st.header(f"Reminders · {escape_markdown(round_name)}", anchor=False)
    with session_scope(get_engine()) as session:
        pending = reminders.pending_members(session, actor=actor, round_id=round_id)
        survey_round = session.get(SurveyRound, round_id)
    assert survey_round is not None
    if not pending:
        st.success("Every member has submitted its survey: nobody to remind.")
        return
    settings = get_settings()
    st.caption(
        "Members whose survey is not submitted, with their representatives' e-mail addresses. "
        + (
            "Reminders go out through the configured mail server (MCWG_SMTP_URL)."
            if settings.smtp_url
            else "No mail server is configured (MCWG_SMTP_URL): open each reminder in your mail client, send it, "
            "then mark it sent so the audit trail has it."
        )
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Member": f"{m.name} ({m.code})",
                    "Survey": m.survey_state,
                    "Representatives": "; ".join(f"{r.name} <{r.email}>" for r in m.recipients) or "no address",
                    "Last reminded (UTC)": m.last_reminded,
                }
                for m in pending
            ]
        ),
        hide_index=True,
    )
    for member in pending:
        with st.expander(f"Reminder to {member.name} ({member.code})"):
            if not member.recipients:
                st.warning(f"{escape_markdown(member.name)} has no representative with an e-mail address.")
                continue
            try:
                reminder = reminders.compose_reminder(survey_round, member)
            except ServiceError as exc:
                st.info(escape_markdown(str(exc)))
                continue
            st.text(f"To: {', '.join(r.email for r in reminder.to)}\nSubject: {reminder.subject}")
            st.code(reminder.body, language=None, wrap_lines=True)
            left, right = st.columns(2)
            code = member.code
            if settings.smtp_url:
                if left.button(f"Send to {code}", key=f"remind:{round_id}:{code}", icon=":material/send:"):
                    run(f"Reminder sent to {escape_markdown(member.name)}.", _sender(actor, round_id, code, False))
                    st.rerun()
            else:
                left.link_button(f"Open in my mail client ({code})", reminder.mailto, icon=":material/mail:")
                if right.button(f"Mark the reminder to {code} sent", key=f"reminded:{round_id}:{code}"):
                    run(
                        f"Reminder to {escape_markdown(member.name)} recorded as sent.",
                        _sender(actor, round_id, code, True),
                    )
                    st.rerun()


def _sender(actor: Actor, round_id: int, code: str, by_hand: bool) -> Callable[[Session], object]:
    settings = get_settings()

    def send(session: Session) -> object:
        return reminders.send_reminder(
            session,
            actor=actor,
            round_id=round_id,
            country_code=code,
            smtp_url=None if by_hand else settings.smtp_url,
            sender=settings.mail_from,
            sent_by_hand=by_hand,
        )

    return send
