"""The possible-future-topics backlog as a page section: the list for everyone, the editor for the focus group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.services import future_topics
from mcwg_dashboard.services.actors import Actor, Role
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.ui.context import get_engine
from mcwg_dashboard.ui.dashboard import future_topics_frame
from mcwg_dashboard.ui.text import escape_markdown

_FLASH = "future_topics_flash"
_ERROR = "future_topics_error"


def topic_list_markdown(topics: pd.DataFrame) -> str:
    """A numbered list, titles in bold; the user's text is escaped so it shows as typed (no markup)."""
    lines = []
    for number, (title, note) in enumerate(zip(topics["title"], topics["note"], strict=True), start=1):
        line = f"{number}. **{escape_markdown(' '.join(str(title).split()))}**"
        if note:
            line += f" — {escape_markdown(' '.join(str(note).split()))}"
        lines.append(line)
    return "\n".join(lines)


def future_topics_section(user: Actor, *, editable: bool) -> None:
    """The list; with `editable`, the focus group (admin) also gets the editor (not in plenary mode, which has none)."""
    st.header("Possible future topics", anchor=False)
    st.caption(
        "Topics the MCWG may take up next: the list starts with those the MCWG overview deck (May 2024) names, "
        "and the focus group keeps it up to date."
    )
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.toast(flash, icon=":material/check:")
    topics = future_topics_frame()
    st.markdown(topic_list_markdown(topics) if not topics.empty else "No topic on the list.")
    if editable and user.role is Role.ADMIN:
        with st.expander("Edit the list (focus group)"):
            _editor(user)


def _run(done: str, call: Callable[[Session], Any], clear: tuple[str, ...] = ()) -> None:
    try:
        with session_scope(get_engine()) as session:
            call(session)
    except ServiceError as exc:
        # Shown on the next run; the inputs stay as typed.
        st.session_state[_ERROR] = str(exc)
        return
    for key in clear:
        st.session_state.pop(key, None)
    st.session_state[_FLASH] = done


def _editor(user: Actor) -> None:
    error = st.session_state.pop(_ERROR, None)
    if error:
        st.error(escape_markdown(error).replace("\n", "  \n"))
    with st.form("future_topic_add"):
        title = st.text_input("New topic", max_chars=200, key="ft_new_title")
        note = st.text_area("Note (optional)", max_chars=2000, key="ft_new_note")
        if st.form_submit_button("Add topic", icon=":material/add:"):
            _run(
                "Topic added.",
                lambda s: future_topics.add_topic(s, actor=user, title=title, note=note),
                clear=("ft_new_title", "ft_new_note"),
            )
            st.rerun()

    every = future_topics_frame(include_retired=True)
    if every.empty:
        return
    rows = {int(r["id"]): r for r in every.to_dict("records")}
    picked = st.selectbox(
        "Change a topic",
        list(rows),
        format_func=lambda i: str(rows[i]["title"]) + ("" if rows[i]["active"] else " (retired)"),
        key="ft_pick",
    )
    if picked is None:
        return
    topic = rows[int(picked)]
    topic_id, version = int(topic["id"]), int(topic["version"])
    with st.form(f"future_topic_edit_{topic_id}"):
        new_title = st.text_input("Title", value=str(topic["title"]), max_chars=200, key=f"ft_title_{topic_id}")
        new_note = st.text_area("Note", value=str(topic["note"]), max_chars=2000, key=f"ft_note_{topic_id}")
        if st.form_submit_button("Save topic"):
            _run(
                "Topic saved.",
                lambda s: future_topics.edit_topic(
                    s, actor=user, topic_id=topic_id, expected_version=version, title=new_title, note=new_note
                ),
            )
            st.rerun()
    buttons = st.columns(3)
    if topic["active"]:
        for column, (label, step) in zip(buttons[:2], (("Move up", -1), ("Move down", 1)), strict=True):
            column.button(
                label,
                key=f"ft_move_{step}",
                on_click=_run,
                args=(
                    f"Topic moved {label.split()[1]}.",
                    lambda s, step=step: future_topics.move_topic(
                        s, actor=user, topic_id=topic_id, expected_version=version, step=step
                    ),
                ),
            )
        buttons[2].button(
            "Retire topic",
            key="ft_retire",
            help="Takes it off the list; it is kept and can be restored.",
            on_click=_run,
            args=(
                "Topic retired.",
                lambda s: future_topics.retire_topic(s, actor=user, topic_id=topic_id, expected_version=version),
            ),
        )
    else:
        buttons[0].button(
            "Restore topic",
            key="ft_restore",
            on_click=_run,
            args=(
                "Topic restored.",
                lambda s: future_topics.restore_topic(s, actor=user, topic_id=topic_id, expected_version=version),
            ),
        )
