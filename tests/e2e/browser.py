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

    def paste(self, text: str) -> None:
        """Paste a block copied from a spreadsheet into the selected cell and below (one interaction, Ctrl+V), after
        the moment a person takes to copy it elsewhere."""
        self.page.evaluate("text => navigator.clipboard.writeText(text)", text)
        self.page.wait_for_timeout(600)
        self.interactions += 1
        self.key("Control+V")
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


_FOCUS = """() => { const e = document.activeElement; if (!e) return '';
  if (e.closest('[data-testid="stDataFrame"]') && (e.tagName === 'CANVAS' || e.tagName === 'TD')) return 'grid';
  if (e.getAttribute('role') === 'tab') return 'tab:' + e.innerText.trim();
  return (e.tagName + ':' + (e.innerText || e.getAttribute('aria-label') || '').trim()).slice(0, 60); }"""


class Keyboard:
    """A person with a keyboard only: every key is counted; typed text is counted apart (the issue's figure is key
    presses per element plus the text typed)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.presses = 0
        self.typed = 0

    def focus(self) -> str:
        return str(self.page.evaluate(_FOCUS))

    def key(self, name: str, times: int = 1) -> None:
        for _ in range(times):
            self.presses += 1
            self.page.keyboard.press(name)
            self.page.wait_for_timeout(40)

    def until(self, name: str, wanted: str, limit: int = 60) -> None:
        """Press `name` until the focus is on `wanted` ('grid', 'tab:KOS', 'BUTTON:Submit…')."""
        for _ in range(limit):
            if self.focus().startswith(wanted):
                return
            self.key(name)
        raise AssertionError(f"{name} x{limit} never reached {wanted!r} (focus: {self.focus()!r})")

    def lands_on(self, wanted: str) -> None:
        """The page moves the focus itself (after a save, or to another set): wait for it, pressing nothing, then
        look at the screen for half a second as a person does (a grid given the focus this way drops keys typed
        within about 0.3 s of it)."""
        for _ in range(80):
            if self.focus().startswith(wanted):
                self.page.wait_for_timeout(500)
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"the focus is on {self.focus()!r}, not on {wanted!r}")

    def cell(self, text: str) -> None:
        """Type into the selected cell (a status types to select) and commit it with Enter."""
        self.typed += len(text)
        self.page.keyboard.type(text, delay=40)
        self.page.wait_for_timeout(300)
        self.key("Enter")
        settle(self.page)
