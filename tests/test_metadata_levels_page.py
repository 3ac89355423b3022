"""The Metadata levels page as the public, a member and an admin see it (AppTest, demo data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import SurveyRound
from tests.test_app_pages import _dashboard

PAGE = "mcwg_dashboard/views/metadata_levels.py"
DECK_ORDER = ["META-07", "META-06", "META-09", "META-10", "META-11", "META-12"]


def _open_round_id() -> int:
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        open_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
    engine.dispose()
    assert open_round.id is not None
    return open_round.id


@pytest.mark.parametrize("actor", [None, "member", "admin"])
def test_levels_page_shows_the_deck_table_the_linkages_and_the_members(
    isolated_settings: Path, actor: str | None
) -> None:
    at = _dashboard(PAGE, actor=actor)
    assert any("Demo data" in w.value for w in at.warning)
    table = at.table[0].value
    assert [e.split(" · ")[0] for e in table["Element"][:6]] == DECK_ORDER
    assert table["Query level"][:6].tolist() == ["1 (or 2)", "1 (or 2)", "2 (or 1)", "2 (or 1)", "2 (or 1)", "2"]
    assert any("Level 1 = the first filter of a registry search" in m.value for m in at.markdown)
    graph = at.get("graphviz_chart")
    assert len(graph) == 1 and "1 to n" in graph[0].proto.spec
    grid = at.dataframe[0].value
    assert list(grid.columns[:2]) == ["Member", "Architectures"] and list(grid.columns[2:8]) == DECK_ORDER
    assert len(grid) > 0
    glyphs = {cell for column in DECK_ORDER for cell in grid[column] if cell}
    assert glyphs and all(" " in cell for cell in glyphs), "each cell is glyph and label"


def test_the_public_sees_no_notes_and_nothing_unpublished(isolated_settings: Path) -> None:
    at = _dashboard(PAGE, actor=None)
    assert not at.expander, "notes stay internal"
    open_round = _open_round_id()
    at = _dashboard(PAGE, actor=None, round=str(open_round))
    assert len(at.table) == 1 and not at.dataframe, "only the level table: the open round has no published survey"
    assert any("No member has published answers" in i.value for i in at.info)


def test_members_read_the_notes_as_text(isolated_settings: Path) -> None:
    _dashboard(PAGE, actor="member")  # starts the app, which loads the demo data
    at = _dashboard(PAGE, actor="member", round=str(_open_round_id()))
    assert len(at.dataframe) == 2 and len(at.expander) == 1, "the open round's submitted answers and their notes"
    notes = at.dataframe[1].value
    assert list(notes.columns) == ["Member", "Element", "Status", "Note"]
    assert notes["Note"].str.strip().ne("").all()
    assert set(notes["Element"]) <= set(DECK_ORDER) | {f"META-{i:02d}" for i in range(1, 23)}
