"""The Metadata levels page in a real browser: the linkage diagram draws with no network, in words."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import Steps, settle, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("actor", [None, "member"])
def test_linkage_diagram_draws_offline_with_its_words(page: Page, app_url: str, actor: str | None) -> None:
    if actor:
        sign_in(page, app_url, actor)
    page.goto(f"{app_url}/metadata_levels")
    settle(page)
    diagram = page.get_by_test_id("stGraphVizChart").locator("svg")
    expect(diagram).to_be_visible()  # Streamlit's bundled renderer: the page fixture fails on any other host
    for words in ("Clinical order", "Imaging procedure request", "Imaging study", "Imaging report"):
        expect(diagram.locator("text", has_text=words)).to_be_visible()
    expect(diagram.locator("text", has_text="1 to n")).to_have_count(3)
    expect(page.get_by_text("1 (or 2)").first).to_be_visible()
    expect(page.get_by_text("Demo data.")).to_be_visible()
    assert not page.get_by_test_id("stException").count(), "no traceback on the page"
    Steps(page, f"metadata-levels-{actor or 'public'}").done("page")
