"""The survey's grids: one tab per recommendation set, its messages on top, the grid, and what the set means.

Keyboard: Ctrl+Shift+Down / Up moves to the next / previous set with the keyboard on its first Status cell."""

from __future__ import annotations

import json
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
    moves = st.columns([1.6, 1.6, 3])
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
    _paste_check(state)
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


# A pasted block is checked as it lands: the grid silently leaves a cell unchanged when the pasted text is not one of
# its column's options, and drops rows below the set's last; this says which, above the grid, in words.
_PASTE_CHECK = """<script>(() => {
const doc = window.document, setup = %(setup)s;
if (window.__mcwgPasteCheck) doc.removeEventListener("paste", window.__mcwgPasteCheck, {capture: true});
window.__mcwgPasteCheck = (event) => {
  const grid = event.target.closest && event.target.closest('[data-testid="stDataFrame"]');
  // The selected cell (the one holding the focus may lag behind the arrow keys).
  const cell = grid && (grid.querySelector('td[id^="glide-cell-"][aria-selected="true"]')
    || event.target.closest('td[id^="glide-cell-"]'));
  const tab = doc.querySelector('[data-testid="stTabs"] [role="tab"][aria-selected="true"]');
  const rows = tab && setup.rows[tab.innerText.trim()];
  if (!cell || !rows) return;
  const [, column, row] = cell.id.match(/glide-cell-(\\d+)-(\\d+)/).map(Number);
  const lines = (event.clipboardData.getData("text/plain") || "").replace(/\\r?\\n$/, "").split(/\\r?\\n/);
  const problems = [];
  lines.forEach((line, offset) => {
    const element = rows[row + offset];
    if (!element) return;
    line.split("\\t").forEach((value, step) => {
      const options = setup.options[column + step], text = value.trim();
      if (options && text && !options.includes(text))
        problems.push(
          element + ": " + JSON.stringify(text) + " is not one of " + options.join(", ") + "; left as it was.");
    });
  });
  const extra = row + lines.length - rows.length;
  if (extra > 0) problems.push(extra + " pasted row(s) below the set's last element (" + rows[rows.length - 1]
    + ") were left out: paste each set into its own grid.");
  let box = doc.getElementById("mcwg-paste-problems");
  if (!problems.length) { if (box) box.remove(); return; }
  if (!box) { box = doc.createElement("div"); box.id = "mcwg-paste-problems"; box.setAttribute("role", "alert");
    box.style.cssText = "background:#fff4d6;color:#4a3600;border-radius:0.5rem;padding:0.75rem 1rem;margin:0.5rem 0;"; }
  box.textContent = "";
  const title = doc.createElement("strong"); title.textContent = "Not pasted:"; box.appendChild(title);
  const list = doc.createElement("ul"); list.style.margin = "0.25rem 0 0 0";
  problems.forEach(text => { const item = doc.createElement("li"); item.textContent = text; list.appendChild(item); });
  box.appendChild(list);
  // Above the grid's own block: inside it the grid keeps its measured height and would overlap what follows.
  const block = grid.closest('[data-testid="stElementContainer"]') || grid;
  block.parentElement.insertBefore(box, block);
};
doc.addEventListener("paste", window.__mcwgPasteCheck, {capture: true});
})();</script>"""


def _paste_check(state: SurveyPageState) -> None:
    checklist = state.ctx.checklist
    frame_columns = list(state.frame(checklist.asked_sets[0]).columns)
    # Glide counts the element ID (the index) as column 0.
    options = {
        frame_columns.index("Status") + 1: survey_grid.status_options(checklist),
        frame_columns.index("Stage") + 1: list(STAGE_LABELS.values()),
    }
    setup = {"options": options, "rows": {s.code: [e.id for e in s.elements] for s in checklist.asked_sets}}
    st.html(_PASTE_CHECK % {"setup": json.dumps(setup)}, unsafe_allow_javascript=True)


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
