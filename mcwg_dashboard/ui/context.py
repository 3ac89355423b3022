"""The database engine for the Streamlit process (set up on first use) and the demo-data banner."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine, session_scope
from mcwg_dashboard.models import Answer
from mcwg_dashboard.services.audit import data_version
from mcwg_dashboard.services.demo import is_demo_loaded, load_demo
from mcwg_dashboard.services.setup import SYSTEM_ACTOR, initialise


@st.cache_resource(show_spinner="Preparing the database…")
def _engine_for(url: str, embedded_default: bool) -> Engine:
    settings = get_settings()
    engine = make_engine(url)
    # Accounts come from `init` (which prints the first admin's password) or, in the demo database, the demo loader.
    initialise(engine, settings, create_admin=False)
    # Demo answers go only into the embedded default database, and only on its first start.
    if embedded_default:
        with session_scope(engine) as session:
            if not is_demo_loaded(session) and not _has_answers(session):
                load_demo(session, actor=SYSTEM_ACTOR)
    return engine


def _has_answers(session: Session) -> bool:
    return session.exec(select(Answer.id).limit(1)).first() is not None


def get_engine() -> Engine:
    settings = get_settings()
    return _engine_for(settings.effective_database_url, settings.is_embedded_default)


def data_key() -> str:
    """Part of every cache key: the database and its data version (services.audit.data_version), read on each
    call, so a write through any app server is seen by every server at its next rerun and no cache is ever cleared."""
    with session_scope(get_engine()) as session:
        return f"{get_settings().effective_database_url}@{data_version(session)}"


@st.cache_data(show_spinner=False, ttl=3600, max_entries=16)
def _demo_loaded(key: str) -> bool:
    with session_scope(get_engine()) as session:
        return is_demo_loaded(session)


def demo_loaded() -> bool:
    return _demo_loaded(data_key())


def demo_banner() -> None:
    """The demo-data warning, on every page that shows answers (cached with the page data until a write)."""
    if _demo_loaded(data_key()):
        st.warning(
            "**Demo data.** The answers shown here are synthetic, made up to demonstrate the tool: "
            "they are not real survey results of any country.",
            icon=":material/science:",
        )


# Styles of our own where Streamlit's theme cannot reach: the shortcut shown on a button is drawn faded (2.5:1 on
# white), below the 4.5:1 WCAG AA asks of small text; keyboard focus always visible, also on our page links.
_ACCESSIBLE_STYLE = """
<style>
button kbd { color: inherit !important; opacity: 1 !important; }
:focus-visible { outline: 2px solid #08519C !important; outline-offset: 1px; }
</style>
"""


def accessible_style() -> None:
    st.html(_ACCESSIBLE_STYLE)
