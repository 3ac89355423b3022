"""Entry point: page config, who the user is, the navigation for their role, then the chosen page."""

from pathlib import Path

import streamlit as st

from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.ui.auth import current_user, sign_out, sync_cookie
from mcwg_dashboard.ui.context import accessible_style, get_engine
from mcwg_dashboard.ui.text import escape_markdown

st.set_page_config(
    page_title="MCWG adoption dashboard",
    page_icon=str(Path(__file__).parent / "mcwg_dashboard" / "ui" / "favicon.png"),
    layout="wide",
)

get_engine()
accessible_style()
user = current_user()


def page(module: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(f"mcwg_dashboard/views/{module}.py", title=title, icon=f":material/{icon}:", default=default)


# Only the pages a role may use are registered at all; the services check permissions again on every write.
home = page("home", "Home", "home", default=True)
results = [
    page("overview", "Overview", "dashboard"),
    page("matrix", "Matrix", "grid_on"),
    page("country", "Country profile", "flag"),
    page("metadata_levels", "Metadata levels", "account_tree"),
    page("guide", "Clinician guide", "menu_book"),
]
products = page("products", "Products", "inventory_2")
if user.role is Role.PUBLIC:
    pages = {
        "Published results": [home, *results, products, page("checklist", "Checklist", "checklist")],
        "Account": [page("sign_in", "Sign in", "login")],
    }
elif user.role is Role.VENDOR:
    # A vendor answers for its products; of the members' answers it sees what the public sees (published ones).
    pages = {
        "Published results": [home, *results, products, page("checklist", "Checklist", "checklist")],
        "Account": [page("account", "Account", "person")],
    }
else:
    survey = [page("survey", "Country survey", "edit_note")] if user.role in (Role.ADMIN, Role.COUNTRY_REP) else []
    pages = {
        "Survey": [home, *survey, page("checklist", "Checklist", "checklist")],
        "Dashboards": [
            *results,
            page("element", "Element", "label"),
            page("recommendation_set", "Recommendation set", "folder"),
            page("trends", "Trends", "trending_up"),
            page("plenary", "Plenary mode", "co_present"),
            page("presentation", "Presentation", "present_to_all"),
        ],
        "Change proposals": [
            page("proposals", "Register", "rule"),
            page("proposal", "Proposal", "description"),
        ],
        "Market readiness": [products],
    }
    if user.role is Role.ADMIN:
        pages["Administration"] = [
            page("rounds_admin", "Rounds and review", "fact_check"),
            page("users_admin", "Users", "group"),
            page("members_admin", "Members", "public"),
            page("audit_log", "Audit log", "history"),
        ]
    pages["Account"] = [page("account", "Account", "person")]

with st.sidebar:
    if user.role is Role.PUBLIC:
        st.caption("Not signed in: published results only.")
    else:
        st.caption(f"Signed in as **{escape_markdown(user.label)}** ({user.role.value.replace('_', ' ')})")
        st.button("Sign out", key="sign_out", on_click=sign_out, icon=":material/logout:")
sync_cookie()
# Every page in sight: a folded "View N more" hid the proposal and administration pages.
st.navigation(pages, expanded=True).run()
