"""Who is signed in: the session's user, restored after a reload from a signed cookie; everyone else is public."""

from __future__ import annotations

import json
import secrets

import streamlit as st

from mcwg_dashboard import web_routes
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.services import sign_in_throttle as throttle
from mcwg_dashboard.services import users
from mcwg_dashboard.services.actors import Actor, Role
from mcwg_dashboard.services.users import SignInFailed
from mcwg_dashboard.ui.context import get_engine

COOKIE = web_routes.COOKIE
PUBLIC = Actor(username="anonymous", role=Role.PUBLIC, display_name="Public visitor")
SESSION_TOKEN = "session_token"
_PENDING_COOKIE = "pending_cookie"
_COOKIE_RUNS = 5


@st.cache_resource(show_spinner=False)
def _secret(url: str) -> str:
    with session_scope(get_engine()) as session:
        return users.session_secret(session)


def secret() -> str:
    """The key that signs sign-in tokens for this database."""
    return _secret(get_settings().effective_database_url)


def single_sign_on_configured() -> bool:
    """An OIDC provider in .streamlit/secrets.toml ([auth]) lets people sign in with st.login instead."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_user() -> Actor:
    """The one place that says who is acting: read from the account on every run, so a disabled account,
    a reset password or a changed role takes effect at once."""
    if single_sign_on_configured() and getattr(st.user, "is_logged_in", False):
        email = str(st.user.get("email") or "")
        with session_scope(get_engine()) as session:
            sso_actor = users.actor_for_email(session, email)
        if sso_actor is not None:
            return sso_actor
    token = st.session_state.get(SESSION_TOKEN)
    if token is None and not st.session_state.get("signed_out"):
        token = _cookie_token()
    if token:
        with session_scope(get_engine()) as session:
            actor = users.actor_from_token(session, token, secret=secret())
        if actor is not None:
            st.session_state[SESSION_TOKEN] = token
            return actor
        st.session_state.pop(SESSION_TOKEN, None)
    return PUBLIC


def _cookie_token() -> str | None:
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this session (AppTest, bare mode)
        return None


def client_address() -> str:
    """The address failed sign-ins are counted against (see `client_from`)."""
    try:
        ip_address = str(st.context.ip_address or "")
    except Exception:  # no browser behind this session (AppTest, bare mode)
        ip_address = ""
    return client_from(ip_address, _header("X-Forwarded-For"), behind_proxy=get_settings().behind_proxy)


def client_from(ip_address: str, forwarded_for: str, *, behind_proxy: bool) -> str:
    """The browser's address; behind a trusted proxy the first X-Forwarded-For address (the proxy's own otherwise)."""
    if behind_proxy and forwarded_for.split(",")[0].strip():
        return forwarded_for.split(",")[0].strip()[:80]
    return ip_address[:80] or throttle.UNKNOWN_CLIENT


def _header(name: str) -> str:
    try:
        return str(st.context.headers.get(name) or "")
    except Exception:  # no browser behind this session
        return ""


def sign_in(username: str, password: str) -> str | None:
    """Check the password; on success remember the user for this session and the browser. Returns an error."""
    with session_scope(get_engine()) as session:
        try:
            actor = users.authenticate(session, username=username.strip(), password=password, client=client_address())
        except SignInFailed as exc:
            return str(exc)
        token = users.issue_session_token(session, username=actor.username, secret=secret())
    st.session_state[SESSION_TOKEN] = token
    st.session_state.pop("signed_out", None)
    st.session_state[_PENDING_COOKIE] = ("set", web_routes.handoff_code(token, secret=secret()), _COOKIE_RUNS)
    return None


def sign_out() -> None:
    """Sign out here and in every other browser of this account: the cookie may outlive this page."""
    actor = current_user()
    if actor.role is not Role.PUBLIC:
        with session_scope(get_engine()) as session:
            users.sign_out_everywhere(session, actor=actor)
    st.session_state.pop(SESSION_TOKEN, None)
    st.session_state["signed_out"] = True
    st.session_state[_PENDING_COOKIE] = ("delete", secrets.token_urlsafe(16), _COOKIE_RUNS)


def sync_cookie() -> None:
    """Have the server set or remove the sign-in cookie after a sign-in or sign-out (see web_routes.py).

    A hidden script in the page posts to the server's route. The wish stays pending, and the script is drawn
    again on the next runs, until the server reports the cookie set: a rerun right after sign-in (the page
    changes) could otherwise remove the script before it ran. Without the route (`streamlit run app.py`) it
    gives up after a few runs and the sign-in lasts as long as the tab.
    """
    pending = st.session_state.get(_PENDING_COOKIE)
    if pending is None:
        return
    action, code, runs_left = pending
    if runs_left <= 0 or web_routes.delivered(code):
        st.session_state.pop(_PENDING_COOKIE, None)
        return
    st.session_state[_PENDING_COOKIE] = (action, code, runs_left - 1)
    path = web_routes.SESSION_PATH if action == "set" else web_routes.END_PATH
    st.html(
        "<script>fetch("
        + json.dumps(path)
        + ', {method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"}, body: '
        + json.dumps(json.dumps({"code": code}))
        + "});</script>",
        unsafe_allow_javascript=True,
    )
