"""France's survey filled from scratch through the grids in a real browser, by keyboard inside each grid: the
figures (page ready, save, interactions and key presses per element) go to test-artifacts/survey-grid-timings.json."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect
from sqlmodel import Session, select

from mcwg_dashboard.checklist import load_checklist
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import SurveyRound
from mcwg_dashboard.services import rounds
from tests.e2e.browser import DESK, Counter, Keyboard, Steps, enter_status_column, settle, sign_in
from tests.e2e.conftest import ARTIFACTS
from tests.helpers import ADMIN

pytestmark = pytest.mark.e2e
CHECKLIST = load_checklist()
# The demo's profile for France (A with XDS-I.b) rules these out: the grid proposes Not applicable, kept as is.
PROPOSED = {"SPP-05", "SPP-06", "SPP-09"}
# What the representative types, element by element; the rest is "impl" (Implemented).
SPECIAL = {"KOS-07": ("variant", "MADO accession rule"), "KOS-08": ("planned", "2027-06-30")}
PASTED = "DEP"  # this set's statuses are pasted as one column


def test_france_fills_the_survey_through_the_grids(page: Page, own_app_url: str) -> None:
    app_url = own_app_url  # it submits France's survey: an app of its own, so no other test depends on the order
    steps = Steps(page, "survey-grid")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, app_url, "rep-fr")
    page.set_viewport_size(DESK)
    started = time.monotonic()
    page.goto(f"{app_url}/survey")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_text("Answered (saved)")).to_be_visible()
    settle(page)
    ready = time.monotonic() - started
    steps.done("ready")

    counter = Counter(page)
    elements = 0
    for rec_set in CHECKLIST.asked_sets:
        enter_status_column(page, counter, rec_set.code)
        if rec_set.code == PASTED:  # a column of plain labels copied from Excel (the workbook's drop-down words)
            ids = [e.id for e in rec_set.elements]
            # First a block with a word that is not a status and a row too many: both named above the grid.
            counter.paste("\n".join(["Implemented", "Done", *["Implemented"] * (len(ids) - 1)]))
            problems = page.get_by_role("alert").filter(has_text="Not pasted")
            expect(problems).to_contain_text(f'{ids[1]}: "Done" is not one of Implemented, Implemented – variant')
            expect(problems).to_contain_text(f"1 pasted row(s) below the set's last element ({ids[-1]}) were left out")
            steps.done("paste-refused")
            counter.paste("\n".join("Implemented" for _ in ids))
            expect(problems).to_have_count(0)
            elements += len(rec_set.elements)
            expect(page.get_by_text(re.compile(rf"{len(rec_set.elements)} in {PASTED}\b"))).to_be_visible()
            continue
        for element in rec_set.elements:
            elements += 1
            if element.id in PROPOSED:
                counter.key("ArrowDown")  # the proposal stands
                continue
            status, extra = SPECIAL.get(element.id, ("impl", ""))
            counter.type(status)
            if extra:
                # Back up to the row, across to the note or the date, type it, and return to the Status column.
                counter.key("ArrowUp")
                column = 1 if status == "variant" else 3
                counter.key("ArrowRight", column)
                counter.type(extra)
                counter.key("ArrowLeft", column)
        settle(page)
    steps.done("filled")
    expect(page.get_by_text(re.compile(r"unsaved changes? in SPP"))).to_be_visible()

    started = time.monotonic()
    counter.click(page.get_by_role("button", name=re.compile(r"Save \d+ change")))
    expect(page.get_by_text(f"Saved {len(CHECKLIST.elements)} answer(s).")).to_be_visible()
    settle(page)
    save_seconds = time.monotonic() - started
    fill_interactions = counter.interactions
    fill_presses = counter.presses
    steps.done("saved")

    # An edit left unsaved is named when the user moves to another set.
    enter_status_column(page, counter, "KIN")
    counter.type("under")
    settle(page)
    page.get_by_role("tab", name="DEP").click()
    expect(page.get_by_text("1 unsaved change in KIN")).to_be_visible()
    expect(page.get_by_role("combobox", name="Country or region")).to_be_disabled()
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()  # "stay on the page"

    page.once("dialog", answer)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Overview").click()
    settle(page)
    assert asked == ["You have unsaved changes in the survey. Leave it and lose them?"], asked
    expect(page.get_by_text("1 unsaved change in KIN")).to_be_visible()  # stayed, the edit kept
    steps.done("unsaved-warning")

    # Planned -> Implemented: the old target date is named and cleared by the save.
    enter_status_column(page, counter, "KOS")
    counter.key("ArrowDown", 7)
    counter.type("impl")
    settle(page)
    expect(page.get_by_text("KOS-08 · the target date is cleared")).to_be_visible()
    steps.done("stale-date")
    page.get_by_role("button", name=re.compile(r"Save \d+ change")).click()
    expect(page.get_by_text("Saved 2 answer(s).")).to_be_visible()
    settle(page)

    started_submit = counter.interactions
    counter.click(page.get_by_role("button", name="Submit…"))
    counter.click(page.get_by_role("button", name="Yes, submit"))
    expect(page.get_by_text("Survey submitted. Thank you!")).to_be_visible()
    submit_interactions = counter.interactions - started_submit
    steps.done("submitted")

    page.reload()
    settle(page)
    expect(page.get_by_text(f"{len(CHECKLIST.elements)} / {len(CHECKLIST.elements)}")).to_be_visible()
    expect(page.get_by_text("Submitted", exact=True)).to_be_visible()
    steps.done("reloaded")

    figures = {
        "page_ready_seconds": round(ready, 2),
        "save_all_seconds": round(save_seconds, 2),
        "elements": elements,
        "interactions_to_fill": fill_interactions,
        "interactions_per_element": round(fill_interactions / elements, 2),
        "grid_key_presses_per_element": round(fill_presses / elements, 2),
        "interactions_to_submit": submit_interactions,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "survey-grid-timings.json").write_text(json.dumps(figures, indent=2))
    assert figures["interactions_per_element"] <= 1.5
    assert submit_interactions <= 5


def test_france_fills_and_submits_the_survey_by_keyboard_alone(page: Page, own_app_url: str) -> None:
    """From the page's first focus to a submitted survey without the mouse: keys counted apart from typed text."""
    app_url = own_app_url
    steps = Steps(page, "survey-keyboard")
    sign_in(page, app_url, "rep-fr")
    page.set_viewport_size(DESK)
    page.goto(f"{app_url}/survey")
    expect(page.get_by_text("Answered (saved)")).to_be_visible()
    settle(page)

    keyboard = Keyboard(page)
    keyboard.until("Tab", "grid")  # from the page's first focus, Tab by Tab
    keys_to_first_grid = keyboard.presses
    keyboard.key("ArrowRight", 2)  # from the first row's ID to its Status
    elements = 0
    for number, rec_set in enumerate(CHECKLIST.asked_sets):
        if number:  # the next set: the keyboard lands on the Status of its first row
            keyboard.key("Control+Shift+ArrowDown")
            settle(page)
            expect(page.get_by_role("tab", name=rec_set.code)).to_have_attribute("aria-selected", "true")
            keyboard.lands_on("grid")
        for element in rec_set.elements:
            elements += 1
            if element.id in PROPOSED:
                keyboard.key("ArrowDown")
                continue
            status, extra = SPECIAL.get(element.id, ("impl", ""))
            keyboard.cell(status)
            if extra:
                keyboard.key("ArrowUp")
                column = 1 if status == "variant" else 3
                keyboard.key("ArrowRight", column)
                keyboard.cell(extra)
                keyboard.key("ArrowLeft", column)
    steps.done("filled")

    keyboard.key("Control+s")
    expect(page.get_by_text(f"Saved {len(CHECKLIST.elements)} answer(s).")).to_be_visible()
    settle(page)
    keyboard.lands_on("grid")  # the page puts the keyboard back on the grid cell it was on
    steps.done("saved")

    keyboard.key("Control+Shift+Enter")  # Submit…
    expect(page.get_by_role("button", name="Yes, submit")).to_be_enabled()
    keyboard.key("Control+Shift+Y")  # Yes, submit
    expect(page.get_by_text("Survey submitted. Thank you!")).to_be_visible()
    steps.done("submitted")

    figures = {
        "elements": elements,
        "key_presses": keyboard.presses,
        "keys_to_first_grid": keys_to_first_grid,
        "key_presses_per_element": round(keyboard.presses / elements, 2),
        "typed_characters": keyboard.typed,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "survey-keyboard-timings.json").write_text(json.dumps(figures, indent=2))
    assert figures["key_presses_per_element"] <= 2.5, figures


def test_a_new_round_confirmed_from_last_round_and_submitted_in_a_few_clicks(
    page: Page, own_app_url: str, tmp_path: Path
) -> None:
    """Austria's answers carried over into a new round: confirm them all and submit, counting the clicks."""
    steps = Steps(page, "survey-confirm-all")
    sign_in(page, own_app_url, "admin")  # the app's first run makes its database, with the demo data
    engine = make_engine(f"sqlite:///{tmp_path / 'mcwg.sqlite3'}")  # the database of this test's own app
    with Session(engine) as session:
        current = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
        rounds.open_round(
            session,
            actor=ADMIN,
            name="2027 adoption survey",
            opens_on=current.opens_on + dt.timedelta(days=365),
            closes_on=None,
            checklist_version_id=current.checklist_version_id,
        )
    engine.dispose()
    page.set_viewport_size(DESK)
    page.goto(f"{own_app_url}/survey")
    settle(page)
    for label, choice in (("Country or region", "Austria"), ("Survey round", "2027 adoption")):
        page.get_by_role("combobox", name=label).click()
        page.keyboard.type(choice)
        page.keyboard.press("Enter")
        settle(page)
    expect(page.get_by_text(re.compile(r"Austria · 2027 adoption survey"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"answer\(s\) were carried over from the previous round"))).to_be_visible()
    steps.done("carried-over")

    counter = Counter(page)
    counter.click(page.get_by_role("button", name=re.compile(r"Confirm all \d+ carried-over answers")))
    counter.click(page.get_by_role("button", name="Yes, confirm them"))
    expect(page.get_by_text(re.compile(r"Confirmed \d+ carried-over answer\(s\) unchanged"))).to_be_visible()
    settle(page)
    counter.click(page.get_by_role("button", name="Submit…"))
    accept = page.get_by_role("checkbox", name=re.compile("unanswered"))
    if accept.count():
        counter.click(accept)
    counter.click(page.get_by_role("button", name="Yes, submit"))
    expect(page.get_by_text("Survey submitted. Thank you!")).to_be_visible()
    steps.done("submitted")
    figures = {"interactions_to_confirm_all_and_submit": counter.interactions}
    (ARTIFACTS / "survey-confirm-all.json").write_text(json.dumps(figures, indent=2))
    assert counter.interactions <= 5, figures
