"""Metadata levels: the deck's level table, the 1-n linkages, and where each member stands on those elements."""

import streamlit as st

from mcwg_dashboard.reports import metadata_levels as levels
from mcwg_dashboard.ui.context import demo_banner
from mcwg_dashboard.ui.dashboard import (
    answer_frame,
    checklist_of_round,
    downloads,
    empty_state,
    is_public_view,
    round_picker,
    rounds_frame,
)
from mcwg_dashboard.ui.text import escape_markdown

st.title("Metadata levels")
demo_banner()

round_id = round_picker()
checklist = checklist_of_round(round_id)
if round_id is None or checklist is None:
    empty_state("No survey round exists yet.")
    st.stop()
# Round names are user text: escaped wherever markdown would render them.
round_name = escape_markdown(str(rounds_frame().set_index("id").at[round_id, "name"]))
elements = levels.levelled_elements(checklist)

st.header("Which metadata finds a study, and who sets it", anchor=False)
st.markdown(f"**{levels.LEVEL_LEGEND}**")
table = levels.levels_table(checklist)
# A static table wraps its text, so the whole reference reads at once (and on a projector); st.table renders
# markdown, so the checklist's words are escaped first.
st.table(table.map(escape_markdown), hide_index=True)
st.caption(
    f"The first six rows are the MCWG deck's table (May 2024); the others are the levels of checklist "
    f"{checklist.version}. Manifest (KOS) and flagged-image (KIN) attributes are not registry search metadata."
)
downloads(name=f"metadata levels {checklist.version}", data=table)

st.header("How orders, requests, studies and reports link", anchor=False)
st.graphviz_chart(levels.linkage_dot(), width="content", alt=levels.LINKAGE_TEXT)
st.caption(levels.LINKAGE_TEXT)

st.header(f"Each member's answers · {escape_markdown(round_name)}", anchor=False)
answers = levels.member_answers(answer_frame([round_id]), checklist)
if answers.empty:
    state = "published" if is_public_view() else "submitted"
    empty_state(f"No member has {state} answers on these elements for {escape_markdown(round_name)} yet.")
    st.stop()

ids = [e.id for e in elements]
grid = levels.member_grid(answers, ids)
st.caption(
    f"{len(grid)} members x {len(ids)} elements, {'published' if is_public_view() else 'submitted'} answers. "
    "Glyphs: " + " · ".join(s.display for s in checklist.scale.statuses)
)
st.dataframe(
    grid,
    hide_index=True,
    width="stretch",
    column_config={
        "Member": st.column_config.TextColumn(pinned=True),
        **{
            e.id: st.column_config.TextColumn(
                f"{e.id} · {levels.short_name(e)}", help=escape_markdown(f"{e.title}: level {levels.deck_level(e)}")
            )
            for e in elements
        },
    },
)
downloads(name=f"{round_name} metadata level answers", data=answers)

notes = answers[answers["note"].fillna("").str.strip() != ""]
if not is_public_view() and not notes.empty:
    with st.expander(f"Members' notes on these elements ({len(notes)})"):
        # A dataframe shows notes as plain text: no markdown or HTML is rendered.
        st.dataframe(
            notes[["country_name", "element_id", "status_label", "note"]].rename(
                columns={"country_name": "Member", "element_id": "Element", "status_label": "Status", "note": "Note"}
            ),
            hide_index=True,
            width="stretch",
        )
