"""User text is text on every page (issue 13, point 2): a title or round name holding markdown renders as typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import ChangeProposal, SurveyRound
from tests.test_app_pages import _dashboard

EVIL = "[x](https://evil.example) ![i](https://evil.example/i.png) **b**"
ESCAPED = r"\[x\](https\://evil.example) !\[i\](https\://evil.example/i.png) \*\*b\*\*"
TEXT_ELEMENTS = (
    "markdown", "caption", "subheader", "header", "title", "info", "warning", "error", "success",
    "page_link", "metric", "expander", "tab", "toast",
)  # fmt: skip


def _texts(at: AppTest) -> list[str]:
    """Every string a text-rendering element of the page holds (body, label, value)."""
    found: list[str] = []
    for kind in TEXT_ELEMENTS:
        for element in at.get(kind):
            for attribute in ("value", "label", "body"):
                value: Any = getattr(element, attribute, None)
                if isinstance(value, str):
                    found.append(value)
            proto = getattr(element, "proto", None)
            for field in ("label", "body"):
                value = getattr(proto, field, None)
                if isinstance(value, str):
                    found.append(value)
    return found


def _plant_markup() -> None:
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        proposal = session.exec(select(ChangeProposal).where(ChangeProposal.number == "CP-2026-001")).one()
        proposal.title = EVIL
        open_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
        open_round.name = "2026 " + EVIL
        session.commit()
    engine.dispose()
    st.cache_data.clear()


def test_markdown_in_titles_and_round_names_never_renders(isolated_settings: Path) -> None:
    _dashboard("mcwg_dashboard/views/home.py", actor="member")  # the demo database
    _plant_markup()
    pages: list[tuple[str, dict[str, str]]] = [
        ("mcwg_dashboard/views/proposal.py", {"proposal": "CP-2026-001"}),
        ("mcwg_dashboard/views/proposals.py", {}),
        ("mcwg_dashboard/views/element.py", {"element": "KOS-16"}),
        ("mcwg_dashboard/views/recommendation_set.py", {"set": "KOS"}),
        ("mcwg_dashboard/views/home.py", {}),
        ("mcwg_dashboard/views/overview.py", {}),
    ]
    for page, query in pages:
        for actor in ("member", "admin"):
            texts = _texts(_dashboard(page, actor=actor, **query))
            shown = [t for t in texts if "evil.example" in t]
            for text in shown:
                assert "](https://evil" not in text and "**b**" not in text, f"{page}: live markdown in {text!r}"
            if page in ("mcwg_dashboard/views/proposal.py", "mcwg_dashboard/views/element.py"):
                assert any(ESCAPED in t for t in shown), f"{page}: the title is shown as typed (escaped source)"
            if page == "mcwg_dashboard/views/home.py":
                assert any(ESCAPED in t for t in shown), "home: the round name is shown as typed"
