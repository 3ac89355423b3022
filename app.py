"""Entry point: page config, who the user is, the navigation, then the chosen page."""

import streamlit as st

from mcwg_dashboard.ui.context import current_user, get_engine

st.set_page_config(page_title="MCWG adoption dashboard", page_icon=":material/radiology:", layout="wide")

get_engine()
user = current_user()

pages = [
    st.Page("mcwg_dashboard/views/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("mcwg_dashboard/views/survey.py", title="Country survey", icon=":material/edit_note:"),
    st.Page("mcwg_dashboard/views/checklist.py", title="Checklist", icon=":material/checklist:"),
]
st.sidebar.caption(f"Signed in as: {user.label}")
st.navigation(pages).run()
