"""Home: what this tool is, and where each member stands in the open survey rounds."""

import streamlit as st

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.services.overview import survey_status_table
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import demo_banner, get_engine
from mcwg_dashboard.ui.text import escape_markdown

st.title("MCWG adoption dashboard")
demo_banner()
st.markdown(
    "The IHE-Europe Multi-Country Working Group (MCWG) on Imaging Information Sharing recommends how countries "
    "share medical imaging nationally. This tool collects each member's adoption of every recommendation element, "
    "round after round. Country representatives fill in their survey under **Country survey**; the full list of "
    "elements is under **Checklist**."
)

with session_scope(get_engine()) as session:
    table = survey_status_table(session)
if current_user().role is Role.PUBLIC:
    # The public sees which results are published, not how far drafts have come.
    table = table[table["State"] == "published"].drop(columns=["Answered", "Last change"])
    st.caption("Published results per round. Sign in to fill in a survey or to see submitted results.")

if table.empty:
    st.info(
        "No results are published yet."
        if current_user().role is Role.PUBLIC
        else "No survey round exists yet. Run `python -m mcwg_dashboard init` to open the first one."
    )
else:
    for round_name, rows in table.groupby("Round", sort=False):
        st.subheader(escape_markdown(str(round_name)), anchor=False)
        st.dataframe(
            rows.drop(columns=["Round"]),
            hide_index=True,
            height=36 * (len(rows) + 1) + 2,
            column_config={
                "Answered": st.column_config.ProgressColumn("Answered", min_value=0, max_value=1, format="percent")
            },
        )
