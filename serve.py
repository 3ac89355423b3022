"""Serves the app (app.py) with the one route Streamlit lacks: the sign-in cookie set by the server, HttpOnly.

Start it with `streamlit run serve.py` (what `bash dev.sh app` does); `streamlit run app.py` also works, but then
a sign-in lasts only as long as the browser tab.
"""

import streamlit as st

from mcwg_dashboard.web_routes import routes

app = st.App("app.py", routes=routes())
