"""Two app servers on one database (as behind a proxy): a survey submitted through one shows on the other's
Overview at the next page load, although the other had the page cached."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import reset_postgres
from tests.e2e.browser import settle, sign_in
from tests.e2e.conftest import ROOT, running_app

pytestmark = pytest.mark.e2e
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("MCWG_TEST_DATABASE_URL") else [])


def _demo_database(backend: str, data_dir: Path) -> str | None:
    """None: both servers share the embedded SQLite file in data_dir (the first start loads the demo)."""
    if backend == "sqlite":
        return None
    url = os.environ["MCWG_TEST_DATABASE_URL"]
    reset_postgres(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCWG_")}
    env["MCWG_DATABASE_URL"] = url
    subprocess.run([sys.executable, "-m", "mcwg_dashboard", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    return url


def _page(browser: Browser) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(30_000)
    return page


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_submission_on_one_server_shows_on_the_other(browser: Browser, tmp_path: Path, backend: str) -> None:
    url = _demo_database(backend, tmp_path)
    with running_app(tmp_path, url, "first.log") as first, running_app(tmp_path, url, "second.log") as second:
        reader = _page(browser)
        sign_in(reader, second, "member")
        reader.goto(f"{second}/overview")
        settle(reader)
        expect(reader.get_by_text("5 / 11")).to_be_visible()

        writer = _page(browser)
        sign_in(writer, first, "rep-fr")
        writer.goto(f"{first}/survey")
        settle(writer)
        writer.get_by_role("button", name="Save 3 change(s)").click()  # confirms the profile's proposals
        expect(writer.get_by_text("Saved 3 answer(s).")).to_be_visible()
        settle(writer)
        writer.get_by_role("button", name="Submit…").click()
        writer.get_by_text(re.compile(r"Submit with these \d+ element\(s\) as Unknown")).click()
        writer.get_by_role("button", name="Yes, submit").click()
        expect(writer.get_by_text("Survey submitted")).to_be_visible()

        reader.reload()
        settle(reader)
        expect(reader.get_by_text("6 / 11")).to_be_visible()
        reader.context.close()
        writer.context.close()
