"""Clinician quick guide: which metadata finds a study, who sets it, and (for one member) what works there today."""

import streamlit as st

from mcwg_dashboard.exports import chromium_available
from mcwg_dashboard.reports.guide import guide_html, pdf_bytes
from mcwg_dashboard.ui.context import demo_banner, demo_loaded
from mcwg_dashboard.ui.dashboard import (
    checklist_of_round,
    countries_frame,
    empty_state,
    guide_basis,
    is_public_view,
    slug,
)
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_selectbox

st.title("Clinician quick guide")
demo_banner()
st.markdown(
    "A guide for clinicians on finding imaging studies with the recommended metadata, generated from the newest "
    "checklist. Choose a member to see which searches work there today."
)

checklist = checklist_of_round(None)
if checklist is None:
    empty_state("No checklist is stored yet. Run `python -m mcwg_dashboard init`.")
    st.stop()
members = countries_frame()
names = dict(zip(members["code"], members["name"], strict=True))
GENERAL = "general"
choice = url_selectbox(
    "Guide for",
    [GENERAL, *names],
    format_func=lambda code: "All members (general guide)" if code == GENERAL else f"{names[code]} ({code})",
    key="member",
    default=GENERAL,
)
basis = None
if choice and choice != GENERAL:
    basis = guide_basis(str(choice), checklist)
    if basis is None:
        shared = "published" if is_public_view() else "submitted"
        st.info(f"{escape_markdown(names[str(choice)])} has no {shared} answers yet: here is the general guide.")
page = guide_html(checklist, basis, demo=demo_loaded())
name = f"clinician guide {basis.code if basis else 'general'} {checklist.version}"
left, right = st.columns(2)
left.download_button(
    "Guide (HTML)", data=page.encode("utf-8"), file_name=f"{slug(name)}.html", mime="text/html", on_click="ignore"
)
if chromium_available():
    right.download_button(
        "Guide (PDF, A4)",
        data=lambda: pdf_bytes(page),
        file_name=f"{slug(name)}.pdf",
        mime="application/pdf",
        on_click="ignore",
    )
else:
    right.caption("The PDF needs Chromium on the server (apt-get install chromium); the HTML prints as well.")
# Every text in the guide is escaped when it is built (reports.guide), and it holds no script.
st.iframe(page, height=900, alt="The clinician quick guide")
