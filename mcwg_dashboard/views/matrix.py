"""Matrix: every member x every element, coloured and marked by status; pick a row or column to drill down."""

import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import details_in_hover, status_heatmap
from mcwg_dashboard.ui.context import demo_banner
from mcwg_dashboard.ui.dashboard import (
    MATRIX_COLUMNS,
    answer_frame,
    architecture_filter,
    checklist_of_round,
    empty_state,
    is_public_view,
    round_picker,
    rounds_frame,
    show_chart,
)
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_multiselect, url_selectbox

st.title("Adoption matrix")
demo_banner()

round_id = round_picker()
checklist = checklist_of_round(round_id)
if round_id is None or checklist is None:
    empty_state("No survey round exists yet.")
    st.stop()
round_name = str(rounds_frame().set_index("id").at[round_id, "name"])
scale = checklist.scale
answers = answer_frame([round_id], columns=MATRIX_COLUMNS)

filters = st.columns([3, 1, 2, 1.3, 1.5])
set_codes = [s.code for s in checklist.sets]
with filters[0]:
    chosen_sets = url_multiselect("Recommendation sets", set_codes, default=set_codes, key="sets")
with filters[1]:
    level = url_selectbox(
        "Metadata level",
        ["any", "L1", "L2", "none"],
        key="level",
        help="L1: a query filter; L2: shown in the result list to choose a study or report",
    )
with filters[2]:
    chosen_statuses = url_multiselect(
        "Show elements where some country answered",
        scale.codes,
        format_func=lambda code: scale.get(code).display,
        key="status",
        placeholder="any status",
    )
with filters[3]:
    sort = url_selectbox(
        "Sort countries by", ["country", "adoption", "architecture"], key="sort", format_func=str.capitalize
    )
with filters[4]:
    answers = architecture_filter(answers)

if answers.empty:
    empty_state(f"No country has submitted its survey for {escape_markdown(round_name)} yet.")
    st.stop()

selected = answers[answers["set_code"].isin(chosen_sets)]
if level == "L1":
    selected = selected[selected["metadata_level"] == 1]
elif level == "L2":
    selected = selected[selected["metadata_level"] == 2]
elif level == "none":
    selected = selected[selected["metadata_level"].isna()]
if chosen_statuses:
    elements = selected.loc[selected["status"].isin(chosen_statuses), "element_id"].unique()
    selected = selected[selected["element_id"].isin(elements)]

if selected.empty:
    empty_state("No element matches these filters.")
    st.stop()

matrix = analytics.status_matrix(selected, sort_by=str(sort))
architectures = selected.drop_duplicates("country_code").set_index("country_code")["architectures"]
heatmap = status_heatmap(matrix, selected, scale, title=f"Adoption matrix · {round_name}")
hover = (
    "Hover a cell for the status, note and evidence."
    if details_in_hover(heatmap)
    else "Hover a cell for its status; this selection holds too many notes to send with the chart, so notes and "
    "evidence are in the data download below and on each country's page (or choose fewer sets)."
)
st.caption(
    f"{len(matrix.index)} countries x {len(matrix.columns)} elements, "
    f"{'published' if is_public_view() else 'submitted'} answers of {escape_markdown(round_name)}. "
    f"{hover} Row labels end with the member's architectures. Glyphs: " + " · ".join(s.display for s in scale.statuses)
)
show_chart(
    heatmap,
    name=f"{round_name} matrix",
    data=selected[
        ["country_code", "country_name", "element_id", "element_title", "set_code", "status", "note", "evidence_url"]
    ],
)

st.header("Open a country or an element")
st.caption("Select a row to open the country's profile, or a column to open the element.")
names = selected.drop_duplicates("country_code").set_index("country_code")["country_name"]
grid = analytics.status_glyphs(matrix, scale)
grid.index = [f"{names[c]} ({c}) · {architectures[c].replace(',', '+') or '?'}" for c in grid.index]
event = st.dataframe(
    grid,
    key="matrix-grid",
    on_select="rerun",
    selection_mode=["single-row", "single-column"],
    height=min(36 * (len(grid) + 1) + 2, 640),
)
selection = event.selection if hasattr(event, "selection") else None
if selection is not None:
    if selection.rows:
        code = matrix.index[selection.rows[0]]
        st.switch_page("mcwg_dashboard/views/country.py", query_params={"country": code, "round": str(round_id)})
    if selection.columns:
        st.switch_page(
            "mcwg_dashboard/views/element.py", query_params={"element": selection.columns[0], "round": str(round_id)}
        )
