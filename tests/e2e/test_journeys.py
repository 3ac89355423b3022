"""The main journeys in a real browser: fill and submit a survey, review and publish it, read it in public."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import DESK, Counter, Steps, enter_status_column, settle, sign_in
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def test_representative_fills_and_submits_admin_publishes_public_reads(page: Page, app_url: str) -> None:
    steps = Steps(page, "survey-journey")
    sign_in(page, app_url, "rep-fr")
    page.reload()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    steps.done("signed-in-after-reload")

    page.set_viewport_size(DESK)
    page.goto(f"{app_url}/survey")
    expect(page.get_by_text(re.compile(r"France · \d{4} adoption survey"))).to_be_visible()
    settle(page)
    page.get_by_label("Country or region").click()
    expect(page.get_by_role("option")).to_have_text(["France (FR)"])  # Norway is not offered
    page.keyboard.press("Escape")

    # A draft answer survives a reload.
    counter = Counter(page)
    enter_status_column(page, counter, "KOS")
    counter.key("ArrowDown", 6)
    counter.type("variant")
    settle(page)
    page.get_by_role("button", name=re.compile(r"Save \d+ change")).click()
    expect(page.get_by_text("KOS-07 · note: A note is required").first).to_be_visible()
    steps.done("rule-violation")
    enter_status_column(page, counter, "KOS", wake=True)  # back into the grid after the Save button had the focus
    counter.key("ArrowDown", 6)
    counter.key("ArrowRight")
    counter.type("MADO accession rule")
    settle(page)
    page.get_by_role("button", name=re.compile(r"Save \d+ change")).click()
    expect(page.get_by_text("Saved 4 answer(s).")).to_be_visible()  # KOS-07 and the profile's 3 proposals
    page.reload()
    settle(page)
    expect(page.get_by_text("4 / 69")).to_be_visible()
    steps.done("draft-after-reload")

    # The rest comes from the Excel workbook, filled offline.
    page.get_by_text("Work offline in Excel").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the survey workbook").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book["Answers"]
    header = [cell.value for cell in sheet[1]]
    status = header.index("Status") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=status).value in (None, "", "Unknown / not answered"):
            sheet.cell(row=row, column=status).value = "Implemented"
    filled = ARTIFACTS / "fr-filled.xlsx"
    book.save(filled)
    page.locator("input[type=file]").set_input_files(str(filled))
    expect(page.get_by_text("65 change(s) to import")).to_be_visible()
    steps.done("upload-preview")
    page.get_by_role("button", name=re.compile(r"Import 65 change")).click()
    page.get_by_role("button", name="Yes, import").click()
    expect(page.get_by_text(re.compile(r"Imported .*65 answer"))).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Submit…").click()
    page.get_by_role("button", name="Yes, submit").click()
    expect(page.get_by_text("Survey submitted")).to_be_visible()
    steps.done("submitted")
    page.get_by_role("button", name="Sign out").click()
    settle(page)

    sign_in(page, app_url, "admin")
    page.goto(f"{app_url}/rounds_admin")
    settle(page)
    page.get_by_role("button", name="Validate FR").click()
    expect(page.get_by_text("The survey of FR was validated.")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Publish FR").click()
    expect(page.get_by_text("The survey of FR was published.")).to_be_visible()
    steps.done("published")
    page.get_by_role("button", name="Sign out").click()
    settle(page)
    for _ in range(50):  # the server removes the sign-in cookie a moment later
        if not any(c["name"] == "mcwg_session" for c in page.context.cookies()):
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError("signing out left the sign-in cookie in the browser")

    # Signed out: France's published answers are in the public matrix; drafts and unpublished surveys are not.
    page.goto(f"{app_url}/matrix")
    settle(page)
    expect(page.get_by_text("Not signed in: published results only.")).to_be_visible()
    expect(page.get_by_text("Adoption matrix · 2026 adoption survey", exact=True)).to_be_visible()
    # The title is written above the chart: wait for the chart itself to draw its labels.
    expect(page.locator(".js-plotly-plot").first.locator(".ytick text").first).to_be_visible()
    labels = page.locator(".js-plotly-plot").first.locator(".ytick text").all_text_contents()
    assert labels == ["France"], labels
    steps.done("public-matrix")


@pytest.mark.parametrize(
    ("path", "charts"),
    [
        ("overview", 4),
        ("matrix?sets=KIN", 1),
        ("country?country=DK", 1),
        ("element?element=KOS-16", 2),
        ("recommendation_set?set=META", 3),
        ("trends", 1),
        ("plenary", 1),
    ],
)
def test_dashboard_pages_draw_their_charts(page: Page, app_url: str, path: str, charts: int) -> None:
    sign_in(page, app_url, "member")
    page.goto(f"{app_url}/{path}")
    settle(page)
    plots = page.locator(".js-plotly-plot")
    expect(plots.nth(charts - 1)).to_be_visible()  # waits for the page's last chart, not just the first
    expect(page.get_by_text("Demo data.")).to_be_visible()
    assert not page.get_by_test_id("stException").count(), "no traceback on the page"
    Steps(page, f"dashboard-{path.split('?')[0]}").done("page")


def test_map_draws_every_member_offline(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/overview")
    settle(page)
    plot = page.locator(".js-plotly-plot").nth(2)  # after the finalized and the draft set scores
    expect(plot).to_be_visible()
    # One filled shape per member plus the background countries, drawn from the shipped shapes.
    assert plot.locator("path.js-fill").count() >= 11


def test_matrix_row_opens_the_country_profile(page: Page, app_url: str) -> None:
    sign_in(page, app_url, "member")
    page.goto(f"{app_url}/matrix?sets=KIN")
    settle(page)
    grid = page.get_by_test_id("stDataFrame").last  # the glyph grid below the chart (its data table comes first)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 14, box["y"] + 35 + 17)  # the first row's selection box
    expect(page).to_have_url(re.compile(r"/country\?country=[A-Z-]+"))
    settle(page)
    expect(page.get_by_text(re.compile(r"· score per set · [^:]*$"))).to_be_visible()  # the chart title, not its words
