"""Audit log: every change, who made it and when, with what it was before and after (focus group only)."""

import datetime as dt

import pandas as pd
import streamlit as st

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.services.audit import audit_choices, audit_frame
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import get_engine
from mcwg_dashboard.ui.dashboard import downloads

user = current_user()
st.title("Audit log")

with session_scope(get_engine()) as session:
    people, actions = audit_choices(session, actor=user)

filters = st.columns([1, 1, 2, 1, 1])
who = filters[0].selectbox("Who", ["everyone", *people], key="audit_who")
action = filters[1].selectbox("Action", ["all actions", *actions], key="audit_action")
key_contains = filters[2].text_input("Key contains", key="audit_key", placeholder="e.g. FR or KOS-07", max_chars=120)
since = filters[3].date_input("From", value=dt.date.today() - dt.timedelta(days=90), key="audit_since")
until = filters[4].date_input("Until", value=dt.date.today(), key="audit_until")


def _log() -> pd.DataFrame:
    """Read on every call: the download re-checks the reader's rights when clicked."""
    with session_scope(get_engine()) as session:
        return audit_frame(
            session,
            actor=user,
            who=None if who == "everyone" else who,
            action=None if action == "all actions" else action,
            key_contains=key_contains.strip() or None,
            since=since if isinstance(since, dt.date) else None,
            until=until if isinstance(until, dt.date) else None,
        )


log = _log()

st.caption(f"{len(log)} entries, newest first (at most 5,000 shown; narrow the filters to see older ones).")
if log.empty:
    st.info("No entries match these filters.")
else:
    st.dataframe(log, hide_index=True, height=600)
    downloads(name="audit log", data=_log)
