"""Entry point: page config, who the user is, the navigation, then the chosen page."""

from pathlib import Path

import streamlit as st

from mcwg_dashboard.ui.context import current_user, get_engine

st.set_page_config(
    page_title="MCWG adoption dashboard",
    page_icon=str(Path(__file__).parent / "mcwg_dashboard" / "ui" / "favicon.png"),
    layout="wide",
)

get_engine()
user = current_user()

pages = {
    "Survey": [
        st.Page("mcwg_dashboard/views/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("mcwg_dashboard/views/survey.py", title="Country survey", icon=":material/edit_note:"),
        st.Page("mcwg_dashboard/views/checklist.py", title="Checklist", icon=":material/checklist:"),
    ],
    "Dashboards": [
        st.Page("mcwg_dashboard/views/overview.py", title="Overview", icon=":material/dashboard:"),
        st.Page("mcwg_dashboard/views/matrix.py", title="Matrix", icon=":material/grid_on:"),
        st.Page("mcwg_dashboard/views/country.py", title="Country profile", icon=":material/flag:"),
        st.Page("mcwg_dashboard/views/element.py", title="Element", icon=":material/label:"),
        st.Page("mcwg_dashboard/views/recommendation_set.py", title="Recommendation set", icon=":material/folder:"),
        st.Page("mcwg_dashboard/views/trends.py", title="Trends", icon=":material/trending_up:"),
        st.Page("mcwg_dashboard/views/plenary.py", title="Plenary mode", icon=":material/co_present:"),
    ],
    "Administration": [
        st.Page("mcwg_dashboard/views/audit_log.py", title="Audit log", icon=":material/history:"),
    ],
}
st.sidebar.caption(f"Signed in as: {user.label}")
st.navigation(pages).run()
