"""The survey's grids: one tab per recommendation set, its messages on top, the grid, and what the set means.

Keyboard: Ctrl+Shift+Down / Up moves to the next / previous set with the keyboard on its first Status cell."""

from __future__ import annotations

from typing import Any

import streamlit as st

from mcwg_dashboard.models import AuditEntry
from mcwg_dashboard.ui import survey_grid
from mcwg_dashboard.ui.survey_grid import STAGE_LABELS, Pending
from mcwg_dashboard.ui.survey_page import SurveyPageState, move_set, set_details, set_tab_key
from mcwg_dashboard.ui.text import escape_markdown


def set_grids(
    state: SurveyPageState,
    *,
    found: dict[str, list[str]],
    pending: Pending,
    locked: bool,
    history: dict[str, list[AuditEntry]],
) -> None:
    ctx = state.ctx
    checklist = ctx.checklist
    codes = [s.code for s in checklist.asked_sets]
    moves = st.columns([1, 1, 4])
    for column, label, step, shortcut, icon in (
        (moves[0], "Previous set", -1, "Ctrl+Shift+Up", ":material/arrow_upward:"),
        (moves[1], "Next set", 1, "Ctrl+Shift+Down", ":material/arrow_downward:"),
    ):
        column.button(
            label,
            key=f"{label}:{ctx.scope}",
            on_click=move_set,
            args=(ctx.scope, codes, step),
            shortcut=shortcut,
            type="tertiary",
            icon=icon,
        )
    tabs = st.tabs(codes, key=set_tab_key(ctx.scope), on_change="rerun")
    for tab, rec_set in zip(tabs, checklist.asked_sets, strict=True):
        with tab:
            st.caption(
                f"**{escape_markdown(rec_set.title)}** · {rec_set.maturity}. " + escape_markdown(rec_set.summary)
            )
            messages = st.container()
            for element in rec_set.elements:
                for message in found.get(element.id, []):
                    messages.error(f"{element.id} · {escape_markdown(message)}")
                for message in pending.notices.get(element.id, []):
                    messages.info(f"{element.id} · {escape_markdown(message)}")
            st.data_editor(
                state.frame(rec_set),
                key=state.editor_key(rec_set.code),
                disabled=locked or ["_index", "Title", "Last round", "Flags"],
                num_rows="fixed",
                width="stretch",
                height=36 * (len(rec_set.elements) + 1) + 3,
                column_config=_columns(state),
            )
            set_details(rec_set, history, checklist.scale)


def _columns(state: SurveyPageState) -> dict[str, Any]:
    checklist = state.ctx.checklist
    return {
        "Title": st.column_config.TextColumn("Title", width="medium"),
        "Stage": st.column_config.SelectboxColumn("Stage", options=list(STAGE_LABELS.values()), width="small"),
        "Keep": st.column_config.CheckboxColumn("Keep", help="Keep the old note and date", width="small"),
        # Plain labels, drawn with their glyph: a pasted column of workbook labels lands as it is.
        "Status": st.column_config.SelectboxColumn(
            "Status",
            options=survey_grid.status_options(checklist),
            format_func=lambda label: survey_grid.status_display(checklist, str(label)),
            required=True,
            help="Type to choose; a column pasted from the survey workbook (plain labels) lands as it is",
        ),
        "Note": st.column_config.TextColumn(
            "Note", max_chars=4000, help="Required for a variant, partial or not planned"
        ),
        "Evidence URL": st.column_config.TextColumn("Evidence URL", max_chars=1000),
        "Target date": st.column_config.TextColumn("Target date", help="YYYY-MM-DD; required when Planned"),
        "Regions": st.column_config.TextColumn("Regions", help="Blank: all regions", max_chars=400),
        "Last round": st.column_config.TextColumn("Last round"),
        "Flags": st.column_config.TextColumn("Flags"),
    }
