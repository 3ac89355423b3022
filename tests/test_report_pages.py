"""Plenary outputs in the app: the agenda and the deck on the Plenary page, meeting snapshots on Rounds and review."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from mcwg_dashboard.exports import chromium_available
from tests.test_app_pages import _dashboard, _figure

PLENARY = "mcwg_dashboard/views/plenary.py"
ROUNDS = "mcwg_dashboard/views/rounds_admin.py"


def _freeze(round_name: str, meeting: str) -> None:
    """Freeze a round on the Rounds and review page, as the focus group does."""
    at = _dashboard(ROUNDS)
    box = at.selectbox(key="manage_round")
    box.select_index(list(box.options).index(round_name)).run()
    at.text_input(key="snapshot_name").input(meeting)
    at.date_input(key="snapshot_date").set_value(dt.date(2025, 6, 12))
    next(b for b in at.button if b.label == "Freeze snapshot").click().run()
    assert not at.exception
    assert any(f"Snapshot {meeting!r} frozen." in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "name" in d.value.columns)
    assert table["name"].tolist() == [meeting]


def test_a_frozen_snapshot_is_offered_and_linkable_on_the_plenary_page(isolated_settings: Path) -> None:
    _freeze("2025 adoption survey (demo)", "Plenary Lisbon 2025")
    at = _dashboard(PLENARY, actor="member", since="s1")
    assert at.selectbox(key="since").value == "s1"
    assert "Snapshot: Plenary Lisbon 2025 (12 Jun 2025)" in at.selectbox(key="since").options
    for _ in range(6):  # to the last screen: what changed
        at.button(key="plenary_next").click().run()
    assert _figure(at)["layout"]["title"]["text"].startswith("What changed · Plenary Lisbon 2025 (12 Jun 2025) →")
    assert not at.exception


def test_plenary_shows_the_ranked_agenda(isolated_settings: Path) -> None:
    at = _dashboard(PLENARY, actor="member")
    listing = next(m.value for m in at.markdown if m.value.startswith("1. **"))
    items = re.findall(r"^(\d+)\. \*\*([A-Z]+-\d+)\*\* .* · score (\d+)  \n   (.+)$", listing, flags=re.M)
    assert [int(i[0]) for i in items] == list(range(1, 16))
    scores = [int(i[2]) for i in items]
    assert scores == sorted(scores, reverse=True)
    assert all(reason.strip() for *_, reason in items)


def test_plenary_without_chromium_says_so_instead_of_a_deck_button(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mcwg_dashboard.exports.chromium_available", lambda: False)
    at = _dashboard(PLENARY, actor="member")
    assert not at.exception
    assert "Make the slide deck (.pptx)" not in [b.label for b in at.button]
    assert any("Chart images need Chromium" in i.value for i in at.info)


@pytest.mark.skipif(not chromium_available(), reason="the deck's charts need Chromium (apt-get install chromium)")
def test_plenary_makes_the_deck(isolated_settings: Path) -> None:
    at = _dashboard(PLENARY, actor="member")
    at.button(key="plenary_make_deck").click().run()
    assert not at.exception
    _, deck = at.session_state["plenary_deck"]
    assert deck.startswith(b"PK")  # a zip: the .pptx
    assert at.get("download_button")
