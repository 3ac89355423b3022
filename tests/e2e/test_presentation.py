"""Presentation mode on a 1920x1080 shared screen: paged by keyboard only, each screen a link, no sidebar; and the
public landing page with its charts. Screenshots of every screen go to test-artifacts/presentation/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import CHECKLIST, Steps, settle, sign_in

pytestmark = pytest.mark.e2e

FULL_HD = {"width": 1920, "height": 1080}
SCREENS = [
    "Key figures",
    "Adoption per member",
    "Adoption per recommendation set",
    *[f"{s.code} · {s.title}" for s in CHECKLIST.asked_sets],
    "What changed since 2025 adoption survey (demo)",
    "Change proposals",
    "Agenda: elements to discuss",
]


def _heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).first.inner_text()


def test_presentation_pages_through_every_screen_by_keyboard(browser: Browser, app_url: str) -> None:
    context = browser.new_context(viewport=FULL_HD)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, app_url, "member")
    page.goto(f"{app_url}/presentation")
    settle(page)
    steps = Steps(page, "presentation")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # a distraction-free screen
    seen = []
    for number, title in enumerate(SCREENS, start=1):
        expect(page.get_by_role("heading", level=1).first).to_have_text(title)
        expect(page.get_by_text(f"Screen {number} of {len(SCREENS)}")).to_be_visible()
        assert not page.get_by_test_id("stException").count()
        if title == "Adoption per member":  # the map has drawn before its screenshot
            expect(page.get_by_test_id("stPlotlyChart").locator(".main-svg").first).to_be_visible()
            page.wait_for_timeout(500)
        if title.startswith("KOS"):  # the longest set: its last element is on the 1080-pixel screen
            last = page.get_by_role("cell", name=re.compile(r"^KOS-24 "))
            expect(last).to_be_in_viewport()
        seen.append(_heading(page))
        steps.done(re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"))
        # A person presses a key, never the mouse: Page Down and the right arrow both go on.
        page.locator("body").press("PageDown" if number % 2 else "ArrowRight")
        settle(page)
    assert seen == SCREENS
    expect(page.get_by_role("heading", level=1).first).to_have_text(SCREENS[0])  # round again
    page.locator("body").press("ArrowLeft")
    settle(page)
    expect(page.get_by_role("heading", level=1).first).to_have_text(SCREENS[-1])
    # Each screen is a link: the agenda opens straight away.
    assert "screen=agenda" in page.url
    page.goto(f"{app_url}/presentation?screen=matrix-KOS")
    settle(page)
    expect(page.get_by_role("heading", level=1).first).to_have_text(SCREENS[5])
    matrix = page.locator("table.mcwg-screen.matrix")
    expect(matrix).to_be_visible()
    expect(matrix.locator("td.missing").first).to_have_text("not submitted")
    context.close()


def test_public_landing_shows_the_newest_published_round_with_charts(page: Page, app_url: str) -> None:
    page.set_viewport_size(FULL_HD)  # type: ignore[arg-type]
    page.goto(app_url)
    settle(page)
    # The newest round with published answers (2025 on the demo; another journey on this app may publish in 2026).
    expect(page.get_by_text(re.compile(r"^Results of 20(25|26) adoption survey"))).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    expect(page.get_by_role("link", name="Every answer: the matrix")).to_be_visible()
    # Every page of the navigation is in sight: nothing folded behind "View more".
    expect(page.get_by_text(re.compile(r"View \d+ more"))).to_have_count(0)
    Steps(page, "landing").done("public")


def test_admin_navigation_shows_every_page_without_folding(browser: Browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, app_url, "admin")
    sidebar = page.get_by_test_id("stSidebarNav")
    for name in ("Presentation", "Proposal", "Rounds and review", "Users", "Audit log", "Account"):
        expect(sidebar.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(sidebar.get_by_text(re.compile(r"View \d+ more"))).to_have_count(0)
    Steps(page, "landing").done("admin-navigation")
    context.close()
