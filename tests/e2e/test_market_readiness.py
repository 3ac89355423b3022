"""Market readiness as a new user does it, in a real browser: the focus group registers a vendor and its gateway,
imports the gateway's integration statement from the template, gives the vendor an account; the vendor signs in and
answers the product survey; the focus group validates it; Austria's page then lists the gateway against its gaps."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from mcwg_dashboard.product_catalogue import load_product_survey
from tests.e2e.browser import DESK, settle, sign_in

pytestmark = pytest.mark.e2e

VENDOR, PRODUCT, VERSION = "Bridge Imaging (test)", "Bridge Gateway", "1"
LABEL = f"{PRODUCT} {VERSION} ({VENDOR})"


def _choose(page: Page | Locator, label: str, option: str) -> None:
    """Pick an option of a Streamlit select box by typing it, as a keyboard user does."""
    page.get_by_role("combobox", name=label, exact=True).click()
    browser_page = page if isinstance(page, Page) else page.page
    browser_page.keyboard.type(option)
    browser_page.keyboard.press("Enter")
    settle(browser_page)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("Not signed in")).to_be_visible()


def _filled_template(page: Page, tmp_path: Path) -> Path:
    with page.expect_download() as download:
        page.get_by_role("button", name="Statement template (Excel)").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book["Statement"]
    for row, line in enumerate(
        (
            ("XDS-I.b", "Imaging Document Source", "DICOM Retrieve by WADO-RS"),
            ("XCA-I", "Responding Imaging Gateway", ""),
            ("XCA-I", "Initiating Imaging Gateway", ""),
        ),
        start=2,
    ):
        for column, value in enumerate(line, start=1):
            sheet.cell(row=row, column=column, value=value or None)
    filled = tmp_path / "bridge-statement.xlsx"
    book.save(filled)
    return filled


def test_a_gateway_registered_answered_and_validated_reaches_austrias_page(
    page: Page, own_app_url: str, tmp_path: Path
) -> None:
    app_url = own_app_url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.set_viewport_size(DESK)  # before any grid is drawn: a grid measures itself once
    sign_in(page, app_url, "admin")

    # 1. The focus group registers the vendor and its gateway.
    page.goto(f"{app_url}/products")
    page.get_by_label("Vendor name").fill(VENDOR)
    page.get_by_role("button", name="Add the vendor").click()
    expect(page.get_by_text(f"Vendor {VENDOR} added.")).to_be_visible()
    _choose(page, "Vendor", VENDOR)
    page.get_by_label("Product name").fill(PRODUCT)
    page.get_by_label("Version", exact=True).fill(VERSION)
    _choose(page, "Type", "Imaging gateway")
    page.get_by_role("button", name="Add the product").click()
    expect(page.get_by_text(f"{PRODUCT} {VERSION} added.")).to_be_visible()

    # 2. Its integration statement, from the template.
    _choose(page, "Product", PRODUCT)
    filled = _filled_template(page, tmp_path)
    page.locator("input[type=file]").first.set_input_files(str(filled))
    expect(page.get_by_text(re.compile(r"Statement lines: 3 added, 0 removed"))).to_be_visible()
    page.get_by_role("button", name="Replace the statement with this file").click()
    expect(page.get_by_text("Integration statement imported: 3 line(s)")).to_be_visible()

    # 3. An account for the vendor.
    page.goto(f"{app_url}/users_admin")
    page.get_by_text("Add an account").click()
    form = page.get_by_test_id("stForm")
    form.get_by_label("Username", exact=True).fill("bridge")
    _choose(form, "Role", "vendor")
    _choose(form, "Vendor (vendor accounts only)", VENDOR)
    form.get_by_label("First password (at least 8 characters)").fill("bridge password")
    form.get_by_role("button", name="Add the account").click()
    expect(page.get_by_text("Account bridge added.")).to_be_visible()
    _sign_out(page)

    # 4. The vendor answers: every element asked of a gateway "Supported", pasted into the Claim column.
    sign_in(page, app_url, "bridge", "bridge password")
    page.goto(f"{app_url}/products")
    expect(page.get_by_role("combobox", name="Product", exact=True)).to_have_value(LABEL)
    page.get_by_role("button", name="Start the product survey").click()
    expect(page.get_by_text("Product survey started.")).to_be_visible()
    settle(page)
    grid = page.get_by_test_id("stDataFrame").last
    expect(grid).to_be_visible()
    for attempt in range(3):  # a rerun may redraw the grid under the scroll: find it again
        try:
            grid.scroll_into_view_if_needed()
            break
        except PlaywrightError:
            if attempt == 2:
                raise
            settle(page)
    settle(page)
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)  # the first row's Element
    page.wait_for_timeout(500)
    for _ in range(2):  # from the first row's Element across the Title to its Claim
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(200)
    rows = len(load_product_survey().elements_for("GATEWAY"))
    page.evaluate("text => navigator.clipboard.writeText(text)", "\n".join(["✔ Supported"] * rows))
    page.wait_for_timeout(600)
    page.keyboard.press("Control+V")
    settle(page)
    save = page.get_by_role("button", name=re.compile(r"Save \d+ change"))
    expect(save).to_be_enabled()
    save.click()
    expect(page.get_by_text(re.compile(r"\d+ answer\(s\) saved"))).to_be_visible()
    page.get_by_role("button", name="Submit to the focus group").click()
    expect(page.get_by_text("Submitted: the focus group reviews it")).to_be_visible()
    _sign_out(page)

    # 5. The focus group validates it.
    sign_in(page, app_url, "admin")
    page.goto(f"{app_url}/products")
    _choose(page, "Product", PRODUCT)
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Validated: members now see these vendor claims.")).to_be_visible()

    # 6. Austria's page lists the gateway against its gaps.
    page.goto(f"{app_url}/country?country=AT")
    expect(page.get_by_role("heading", name="Products that cover its gaps")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"Closing the most gaps:.*{re.escape(LABEL)}"))).to_be_visible()
