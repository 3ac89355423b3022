"""The published report opened from disk in Chromium with every request to another host blocked: all charts draw."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mcwg_dashboard.cli import main
from tests.e2e.conftest import ARTIFACTS, CHROMIUM

pytestmark = pytest.mark.e2e
SETS = ["dep", "kin", "kos", "meta", "spp"]

pytest.importorskip("playwright")
from playwright.sync_api import Browser, Page, Route, expect  # noqa: E402


@pytest.fixture
def site(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    if CHROMIUM is None:
        pytest.skip("browser tests need Chromium (apt-get install chromium)")
    assert main(["demo"]) == 0
    out = isolated_settings / "published"
    assert main(["publish", "--round", "2025 adoption survey (demo)", "--out", str(out)]) == 0
    capsys.readouterr()
    return out


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    blocked: list[str] = []

    def only_files(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    yield context.new_page(), blocked
    context.close()


def test_published_site_draws_every_chart_offline(site: Path, offline_page: tuple[Page, list[str]]) -> None:
    page, blocked = offline_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    pages = sorted(site.glob("*.html"))
    members = [p.name for p in pages if p.name.startswith("member-")]
    guides = [p.name for p in pages if p.name.startswith("guide")]
    assert members, "a page per published member"
    assert guides == sorted(["guide.html", *(m.replace("member-", "guide-") for m in members)]), "a guide per member"
    assert [p.name for p in pages] == [
        *guides,
        "index.html",
        *members,
        "readiness.html",
        *(f"set-{c}.html" for c in sorted(SETS)),
    ]
    for html_file in pages:
        page.goto(html_file.as_uri())
        charts = page.locator("div.js-plotly-plot")
        # The index: map and sets (no ranking of members); a set page: its matrix; a member page: its answers; a
        # clinician guide: tables and a drawn diagram, no chart.
        without_charts = html_file.name.startswith(("member-", "guide", "readiness"))
        expected = {"index.html": 2}.get(html_file.name, 0 if without_charts else 1)
        expect(charts).to_have_count(expected)
        for i in range(expected):
            expect(charts.nth(i).locator("svg.main-svg").first).to_be_visible()
        if html_file.name == "index.html":
            # The map: one filled polygon trace per member at least, drawn from the shapes in the repository.
            expect(page.locator("#chart-map g.trace.scatter").nth(11)).to_be_attached()
            expect(page.get_by_text("Demo data: these answers are synthetic")).to_be_visible()
        if html_file.name in ("index.html", "set-kos.html", members[0]):
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"published-{html_file.stem}.png"), full_page=True)
    assert not blocked, f"the published pages asked for other hosts: {blocked[:5]}"
    assert not errors
