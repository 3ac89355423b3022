"""A change proposal from submission to the checklist, in a real browser, on an app of its own.

A member submits a proposal on KOS-16; the admin triages, assigns, accepts and applies it; the element page
shows it; the next round, opened on the new checklist version, asks the countries that answered KOS-16 to
re-confirm.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import Steps, settle, sign_in

pytestmark = pytest.mark.e2e


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox or multiselect by typing it."""
    page.get_by_label(label).click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    settle(page)


def act(page: Page, action: str, done: str, reason: str = "") -> None:
    page.get_by_text(action, exact=False).first.click()
    if reason:
        page.get_by_role("textbox", name="Reason or note (kept in the history)").fill(reason)
    page.get_by_role("button", name="Apply action").click()
    expect(page.get_by_text(done)).to_be_visible()
    settle(page)


def test_a_member_proposal_on_kos16_becomes_a_checklist_change_to_reconfirm(page: Page, own_app_url: str) -> None:
    url = own_app_url
    steps = Steps(page, "proposal-journey")
    sign_in(page, url, "member")
    page.goto(f"{url}/proposals")
    settle(page)
    page.get_by_role("tab", name="Submit a proposal").click()
    choose(page, "Recommendation set it concerns", "KOS")
    page.get_by_role("textbox", name="Title").fill("Retrieve URL: accept the WADO-RS base URI alone")
    page.get_by_label("Elements it targets").click()
    page.keyboard.type("KOS-16")  # filters the list (it also matches "TID 1600"), then pick the one
    page.get_by_role("option", name=re.compile(r"^KOS-16 ")).click()
    page.keyboard.press("Escape")
    page.get_by_role("textbox", name="Problem").fill("MADO manifests carry only the base URI in the Retrieve URL.")
    page.get_by_role("textbox", name="Proposed change").fill("Accept the base URI and say how to build the series URL.")
    steps.done("filled")
    page.get_by_role("button", name="Submit proposal").click()
    expect(page.get_by_text("was submitted. The focus group will triage it.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/proposal\?proposal=CP-\d{4}-\d{3}"))
    number = re.search(r"CP-\d{4}-\d{3}", page.url)
    assert number is not None
    proposal = number.group(0)
    steps.done("submitted")
    page.get_by_role("button", name="Sign out").click()
    settle(page)

    sign_in(page, url, "admin")
    page.goto(f"{url}/proposal?proposal={proposal}")
    settle(page)
    expect(page.get_by_text("Impact: where the countries stand on these elements")).to_be_visible()
    act(page, "Triage → Triaged", f"{proposal}: triage done.")
    page.get_by_text("Assign to a focus group → Assigned to a focus group").click()
    choose(page, "Focus group (for Assign)", "Imaging Study Manifest")
    page.get_by_role("button", name="Apply action").click()
    expect(page.get_by_text(f"{proposal}: assign to a focus group done.")).to_be_visible()
    settle(page)
    act(page, "Start discussion → In discussion", f"{proposal}: start discussion done.")
    act(page, "Accept → Accepted", f"{proposal}: accept done.", reason="Agreed in plenary: both forms count.")
    steps.done("accepted")
    page.get_by_role("textbox", name="Explanation").first.fill(
        "Counts as adopted when the Retrieve URL gives the series URL, or the WADO-RS base URI from which a "
        "consumer builds the series URL from the Study and Series Instance UIDs."
    )
    page.get_by_role("button", name="Create the new checklist version").click()
    expect(page.get_by_text(f"{proposal} applied: checklist version 2026.12+{proposal} created.")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Applied in checklist version")).to_be_visible()
    steps.done("applied")

    page.goto(f"{url}/element?element=KOS-16")
    settle(page)
    expect(
        page.get_by_text(re.compile(rf"{proposal} · Retrieve URL: accept the WADO-RS base URI alone"))
    ).to_be_visible()
    steps.done("element-page")

    page.goto(f"{url}/rounds_admin")
    settle(page)
    page.get_by_text("Open a new round").click()
    page.get_by_role("textbox", name="Name").fill("Next adoption survey")
    # The newest checklist version, the one the proposal created, is the default.
    expect(page.get_by_role("combobox", name=re.compile("Checklist version"))).to_have_value(f"2026.12+{proposal}")
    page.get_by_role("button", name="Open the round").click()
    expect(page.get_by_text("Round 'Next adoption survey' opened.")).to_be_visible()
    settle(page)

    # Austria answered KOS-16 in the demo's open round: its survey in the new round asks to re-confirm it.
    page.goto(f"{url}/survey")
    settle(page)
    choose(page, "Country or region", "Austria")
    choose(page, "Survey round", "Next adoption survey")
    expect(page.get_by_text(re.compile(r"re-confirm 1 whose element changed: KOS-16"))).to_be_visible()
    steps.done("reconfirm")
