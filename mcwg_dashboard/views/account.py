"""Account: who you are signed in as, and changing your password."""

import streamlit as st

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.services import users
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.ui.auth import SESSION_TOKEN, current_user, secret
from mcwg_dashboard.ui.context import get_engine
from mcwg_dashboard.ui.text import escape_markdown

user = current_user()
st.title("Account")
role = user.role.value.replace("_", " ")
countries = f" for {', '.join(sorted(user.countries))}" if user.countries else ""
st.markdown(f"Signed in as **{escape_markdown(user.label)}** (`{user.username}`), {role}{countries}.")

st.header("Change your password")


def _change() -> None:
    state = st.session_state
    if state.get("new_password") != state.get("new_password_again"):
        state["account_flash"] = ("error", "The two new passwords differ.")
        return
    with session_scope(get_engine()) as session:
        try:
            account = users.change_own_password(
                session, actor=user, old=state.get("old_password", ""), new=state.get("new_password", "")
            )
        except ServiceError as exc:
            state["account_flash"] = ("error", str(exc))
            return
        # The change signs out every other session; this one gets a fresh token.
        state[SESSION_TOKEN] = users.issue_session_token(account, secret=secret())
    for key in ("old_password", "new_password", "new_password_again"):
        state[key] = ""
    state["account_flash"] = ("success", "Password changed. Other browsers signed in as you are signed out.")


with st.form("change_password"):
    st.text_input(
        "Current password", type="password", key="old_password", autocomplete="current-password", max_chars=1024
    )
    st.text_input(
        "New password (at least 8 characters)",
        type="password",
        key="new_password",
        autocomplete="new-password",
        max_chars=1024,
    )
    st.text_input(
        "New password again", type="password", key="new_password_again", autocomplete="new-password", max_chars=1024
    )
    st.form_submit_button("Change password", type="primary", on_click=_change, key="change_password_button")

flash = st.session_state.pop("account_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])
