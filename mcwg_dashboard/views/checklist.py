"""Checklist: every recommendation set and element, with what adopting it means."""

import pandas as pd
import streamlit as st

from mcwg_dashboard.checklist import DRAFT_LABEL, WATCH_LABEL
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import get_engine
from mcwg_dashboard.ui.future_topics import future_topics_section
from mcwg_dashboard.ui.text import escape_markdown

st.title("Checklist")
with session_scope(get_engine()) as session:
    version = latest_version(session)
    checklist = checklist_for_version(session, version.id) if version and version.id else None

if checklist is None:
    st.info("No checklist is loaded yet. Run `python -m mcwg_dashboard init`.")
    st.stop()

st.caption(
    f"Checklist version {checklist.version} ({checklist.date:%d %B %Y}): {len(checklist.elements)} elements in "
    f"{len(checklist.asked_sets)} recommendation sets (Tracking and adoption is derived: participation, not asked). "
    "Elements marked inferred come from secondary sources; the focus group can correct them through change proposals."
    " Each member's deployment profile (architectures A, B, C; transaction stacks) says which elements apply to it."
)

with st.expander("Answer scale", expanded=False):
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Code": s.code,
                    "Status": s.display,
                    "Meaning": s.meaning,
                    "Score weight": "not scored" if s.weight is None else f"{s.weight:.2f}",
                    "Requires": ", ".join(r.value.replace("_", " ") for r in s.requires) or "",
                }
                for s in checklist.scale.statuses
            ]
        ),
        hide_index=True,
    )

for rec_set in checklist.sets:
    st.header(f"{rec_set.code} · {escape_markdown(rec_set.title)}")
    st.caption(f"Version {rec_set.version} · {rec_set.maturity}. {escape_markdown(rec_set.summary)}")
    if not rec_set.elements:
        continue
    frame = pd.DataFrame(
        [
            {
                "ID": e.id,
                "Title": e.title,
                "What adopting it means": e.explanation,
                "Standards": "; ".join(e.standards),
                "Level": e.level_text,
                "Who sets it": e.set_by,
                "Applies to": ", ".join(e.architectures) + " · " + ", ".join(stack.label for stack in e.stacks),
                "Counts": WATCH_LABEL + ": never scored"
                if e.is_watch
                else ("headline score" if rec_set.is_final else DRAFT_LABEL),
                "Inferred": "yes" if e.inferred else "",
                "Sources": e.sources,
            }
            for e in rec_set.elements
        ]
    )
    st.dataframe(frame, hide_index=True)

# The backlog is the working group's own list: members see it, the focus group edits it (also shown in plenary mode).
user = current_user()
if user.role not in (Role.PUBLIC, Role.VENDOR):
    st.divider()
    future_topics_section(user, editable=True)
