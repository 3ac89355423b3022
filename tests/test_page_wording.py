"""Pages a person can read: human headers, blanks instead of "None", counts in words, form errors in the page's
words, the representative's own country first, and a navigation that never folds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from pydantic import BaseModel, Field, ValidationError
from streamlit.testing.v1 import AppTest

from mcwg_dashboard.checklist import load_checklist
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.services.errors import plain_message
from mcwg_dashboard.ui.tables import answers_table, blank, change_counts_text, changes_table
from tests.test_app_pages import APP, _sign_in


def _scale() -> Any:
    return load_checklist(get_settings().surveys_dir).scale


def test_empty_values_are_blank_and_headers_human() -> None:
    answers = pd.DataFrame(
        {
            "element_id": ["KOS-01", "KOS-02"],
            "element_title": ["One manifest per study", "Manifest title"],
            "set_code": ["KOS", "KOS"],
            "status": ["PLAN", "IMPL"],
            "note": [None, "in production"],
            "evidence_url": [None, "https://example.org/x"],
            "target_date": [dt.date(2027, 3, 1), None],
        }
    )
    table = answers_table(answers, _scale())
    assert list(table.columns) == ["Element", "Title", "Set", "Status", "Note", "Evidence", "Target date"]
    assert table.to_dict("records")[1]["Target date"] == ""
    assert table.to_dict("records")[0]["Note"] == ""
    assert table.to_dict("records")[0]["Target date"] == "01 Mar 2027"
    assert "None" not in table.to_string()
    assert [blank(v) for v in (None, float("nan"), pd.NaT, "x", 3)] == ["", "", "", "x", "3"]


def test_change_counts_are_words_with_singular_and_plural() -> None:
    changes = pd.DataFrame(
        {
            "element_id": ["A-01", "A-02", "A-03", "A-04"],
            "set_code": ["A"] * 4,
            "before": ["PLAN", "IMPL", None, "PART"],
            "after": ["IMPL", "PART", "IMPL", "IMPL"],
            "change": ["upgrade", "downgrade", "new", "upgrade"],
        }
    )
    assert change_counts_text(changes) == "2 answers up, 1 answer down, 1 new answer"
    assert change_counts_text(changes.iloc[0:0]) == "no answer changed"
    shown = changes_table(changes, _scale())
    assert list(shown.columns) == ["Element", "Set", "Before", "Now", "Change"]
    assert shown.loc[2, "Before"] == "no answer"


class _Form(BaseModel):
    title: str = Field(min_length=5)
    elements: list[str] = Field(min_length=1)
    when: dt.date


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"title": "abc", "elements": ["X"], "when": "2026-01-01"}, "write at least 5 characters"),
        ({"title": "abcdef", "elements": [], "when": "2026-01-01"}, "choose at least one"),
        ({"title": "abcdef", "elements": ["X"], "when": "soon"}, "give a date like 2026-12-10"),
        ({"elements": ["X"], "when": "2026-01-01"}, "fill this in"),
    ],
)
def test_validation_errors_read_as_the_form_would_say_them(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as error:
        _Form.model_validate(data)
    assert [plain_message(e) for e in error.value.errors()] == [expected]


def test_a_representative_opens_the_country_profile_on_their_own_country(isolated_settings: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    _sign_in(at, "rep-fr")
    at.run()
    at.switch_page("mcwg_dashboard/views/country.py")
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="country").value == "FR"
    # France has not submitted in the open round: the page opens on the newest round with France's answers.
    assert not at.info, "France's answers are shown, not an empty state"
    assert at.get("plotly_chart"), "France's scores per set are charted"


def test_country_profile_tables_have_human_headers_and_no_none(isolated_settings: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    _sign_in(at, "admin")
    at.run()
    at.switch_page("mcwg_dashboard/views/country.py")
    at.query_params["country"] = "FI"
    at.run()
    assert not at.exception, at.exception
    frames = [frame.value for frame in at.dataframe]
    assert frames
    for frame in frames:
        assert not {"element_id", "set_code", "element_title", "target_date"} & set(frame.columns)
    answers = next(f for f in frames if "Target date" in f.columns)
    assert not answers.isna().any().any() and not (answers == "None").any().any()
    captions = " ".join(c.value for c in at.caption)
    assert "news" not in captions and "changeds" not in captions


def test_navigation_shows_every_page_without_folding(isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    original = st.navigation

    def spy(pages: Any, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return original(pages, **kwargs)

    monkeypatch.setattr(st, "navigation", spy)
    at = AppTest.from_file(APP, default_timeout=60)
    _sign_in(at, "admin")
    at.run()
    assert not at.exception
    assert seen and all(call.get("expanded") is True for call in seen)


def _page(page: str, actor: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    _sign_in(at, actor)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def test_public_landing_shows_the_newest_published_round_with_charts_and_links(isolated_settings: Path) -> None:
    at = _page("mcwg_dashboard/views/home.py", None)
    # The open round has submitted, unpublished surveys: the public lands on the newest published round.
    assert any("2025 adoption survey (demo)" in h.value for h in at.header)
    assert [chart.key for chart in at.get("plotly_chart")] == ["home-map", "home-sets"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Members with published answers"].endswith("of 11 members")
    assert " over " in metrics["Adoption score"]  # the count beside the percentage
    links = [link.proto.page for link in at.get("page_link")]
    assert {"matrix", "checklist"} <= {str(p).removesuffix(".py").rsplit("/", 1)[-1] for p in links}
    # The only tables are the charts' own data (every member's score, every set's score): no survey states.
    tables = [frame.value for frame in at.dataframe]
    assert [list(t.columns) for t in tables] == [["Member", "Score"], ["", "Value"]]
    assert len(tables[0]) == 11, "the map's table lists every member"


def test_members_land_on_the_newest_round_with_shared_answers(isolated_settings: Path) -> None:
    at = _page("mcwg_dashboard/views/home.py", "member")
    assert any("2026 adoption survey" in h.value for h in at.header)
    assert len(at.get("plotly_chart")) == 2


def test_presentation_opens_on_the_linked_screen_and_steps_round(isolated_settings: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    _sign_in(at, "member")
    at.run()
    at.switch_page("mcwg_dashboard/views/presentation.py")
    at.query_params["screen"] = "agenda"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Agenda: elements to discuss"
    at.button(key="present_next").click().run()
    assert at.title[0].value == "Key figures"  # after the last screen comes the first
    assert at.query_params["screen"] in ("figures", ["figures"])
    at.button(key="present_previous").click().run()
    assert at.title[0].value == "Agenda: elements to discuss"
    assert not at.get("text_input") and not at.get("text_area"), "nothing to edit on a shared screen"


def test_screen_tables_show_user_text_as_text() -> None:
    from mcwg_dashboard.reports.screens import ScreenTable
    from mcwg_dashboard.ui.presentation import table_html

    table = ScreenTable("t", "", ["Element", "AT", "BE", "In production"], [["X-01 <b>bold</b>", "✔", "", "1 of 1"]])
    shown = table_html(
        ScreenTable(
            table.title, "", table.header, table.rows, fills=[[None, "#08519C", None, None]], missing=frozenset({2})
        )
    )
    assert "<b>bold</b>" not in shown and "&lt;b&gt;bold&lt;/b&gt;" in shown
    assert 'rowspan="1">not submitted</td>' in shown
    assert "background:#08519C;color:white" in shown
