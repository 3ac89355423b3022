"""Sign in: country representatives, members and the focus group; everyone else sees the published results."""

import streamlit as st
from sqlmodel import select

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import User
from mcwg_dashboard.services.demo import is_demo_loaded
from mcwg_dashboard.services.users import demo_accounts
from mcwg_dashboard.ui.auth import sign_in, single_sign_on_configured
from mcwg_dashboard.ui.context import get_engine

st.title("Sign in")
st.caption(
    "Country representatives fill in their country's survey; members read every submitted answer and discuss change "
    "proposals; the focus group runs the rounds. Without signing in you see the published results only."
)


def _submit() -> None:
    error = sign_in(st.session_state.get("sign_in_username", ""), st.session_state.get("sign_in_password", ""))
    st.session_state["sign_in_password"] = ""
    st.session_state["sign_in_error"] = error


with st.form("sign_in_form"):
    st.text_input("Username", key="sign_in_username", autocomplete="username", max_chars=60)
    st.text_input("Password", type="password", key="sign_in_password", autocomplete="current-password", max_chars=1024)
    st.form_submit_button("Sign in", type="primary", on_click=_submit, key="sign_in_button")

if single_sign_on_configured():
    st.button("Sign in with single sign-on", key="sso", on_click=st.login, icon=":material/key:")
    if getattr(st.user, "is_logged_in", False):
        st.warning(
            "The provider signed you in, but no active account here has your email address. Ask the focus group "
            "to add it to your account."
        )

error = st.session_state.pop("sign_in_error", None)
if error:
    st.error(error)

with session_scope(get_engine()) as session:
    accounts = demo_accounts(session) if is_demo_loaded(session) else []
    has_accounts = session.exec(select(User.id)).first() is not None
if accounts:
    st.info(
        "**Demo accounts** (demo data only; password `demo` for each):\n\n"
        + "\n".join(f"- `{username}`: {description}" for username, description in accounts)
    )
elif not has_accounts:
    st.warning(
        "No account exists yet. Run `python -m mcwg_dashboard init` on the server: it creates the first admin and "
        "prints the password once."
    )
