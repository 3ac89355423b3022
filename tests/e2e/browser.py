"""What the browser journeys share: screenshots per step, waiting for a run, signing in, and typing into the grids
while counting what the user does."""

from __future__ import annotations

from playwright.sync_api import Page, ViewportSize, expect

from mcwg_dashboard.checklist import load_checklist
from mcwg_dashboard.ui.auth import COOKIE
from tests.e2e.conftest import ARTIFACTS

CHECKLIST = load_checklist()
# A tall window, as on a desk: the first rows of a set's grid are on screen below the page's header.
DESK: ViewportSize = {"width": 1500, "height": 1400}


class Steps:
    """Screenshots of every step, kept under test-artifacts/ to see what the browser showed."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def done(self, what: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{what}.png"))


def settle(page: Page) -> None:
    """Wait until the app has finished its run (the status widget disappears)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=30_000)


def _cookie(page: Page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == COOKIE), None)


def sign_in(page: Page, app_url: str, username: str, password: str = "demo") -> None:
    before = _cookie(page)
    page.goto(f"{app_url}/sign_in")
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    settle(page)
    # The server sets the signed sign-in cookie a moment later (the page posts a code to its route).
    for _ in range(100):
        if _cookie(page) not in (None, before):
            cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
            assert COOKIE not in page.evaluate("document.cookie"), "no script in the page may read it"
            return
        page.wait_for_timeout(200)
    raise AssertionError("the sign-in cookie was not set")


class Counter:
    """Counts what the user does: each click, selection or typed field is one interaction; every key is a press."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.interactions = 0
        self.presses = 0
        self.grids_entered = 0

    def click(self, target: object) -> None:
        self.interactions += 1
        target.click()  # type: ignore[attr-defined]

    def key(self, name: str, times: int = 1) -> None:
        for _ in range(times):
            self.presses += 1
            self.page.keyboard.press(name)

    def type(self, text: str) -> None:
        """A typed field or a typed-to-select status, committed with Enter (one interaction, one press + text).

        The pauses are a person's: the status list filters as it is typed, and each committed cell reruns the page."""
        self.interactions += 1
        self.page.keyboard.type(text, delay=40)
        self.page.wait_for_timeout(300)
        self.key("Enter")
        settle(self.page)


def _grid(page: Page, set_code: str) -> object:
    index = [s.code for s in CHECKLIST.asked_sets].index(set_code)
    return page.get_by_test_id("stDataFrame").nth(index)


def enter_status_column(page: Page, counter: Counter, set_code: str, *, wake: bool = False) -> None:
    """Click the set's tab and its first row; two arrows to the Status column."""
    assert page.viewport_size == DESK, "open the survey in a desk-sized window first (the grid measures itself once)"
    counter.click(page.get_by_role("tab", name=set_code))
    settle(page)
    grid = _grid(page, set_code)
    box = grid.bounding_box()  # type: ignore[attr-defined]
    assert box is not None
    # The grid drawn with the page takes a first click to wake (a quirk of the grid component); one drawn by a tab
    # switch takes the selecting click at once.
    # So does a grid coming back after a button elsewhere had the focus (`wake`).
    drawn_with_page = counter.grids_entered == 0 and set_code == CHECKLIST.asked_sets[0].code
    for _ in range(2 if drawn_with_page or wake else 1):
        counter.interactions += 1
        page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)  # the first row; two arrows on to its Status cell
        page.wait_for_timeout(300)
    counter.grids_entered += 1
    counter.key("ArrowRight", 2)
