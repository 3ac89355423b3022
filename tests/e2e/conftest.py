"""Browser tests: the app in a subprocess on a temporary demo database, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).parent.parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    # A 2-core CI machine running PostgreSQL beside the app can take seconds per rerun: wait, never sleep.
    expect.set_options(timeout=30_000)
except ImportError:  # pragma: no cover - the dev requirements install it
    sync_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(data_dir: Path, database_url: str | None = None, log_name: str = "streamlit.log") -> Iterator[str]:
    """The app on the embedded database in `data_dir` (which loads the demo data itself), or on `database_url`;
    yields its URL."""
    if CHROMIUM is None or sync_playwright is None:
        pytest.skip("browser tests need Chromium (apt-get install chromium) and Playwright")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCWG_")}
    env["MCWG_DATA_DIR"] = str(data_dir)
    if database_url:
        env["MCWG_DATABASE_URL"] = database_url
    log = (data_dir / log_name).open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "serve.py"),
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        process.terminate()
        pytest.fail(f"the app did not start; see {data_dir / log_name}")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One app for the tests that only read, or write in ways the others do not see."""
    with running_app(tmp_path_factory.mktemp("e2e-data")) as url:
        yield url


@pytest.fixture
def own_app_url(tmp_path: Path) -> Iterator[str]:
    """An app of this test's own, for journeys that change what every page shows (a new round, a new checklist)."""
    with running_app(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None and CHROMIUM is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, app_url: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context; every request is recorded and any host other than this machine fails the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    new_page = context.new_page()
    foreign: list[str] = []
    new_page.on(
        "request",
        lambda r: foreign.append(r.url) if urlparse(r.url).hostname not in ("127.0.0.1", "localhost") else None,
    )
    new_page.set_default_timeout(30_000)
    yield new_page
    failed = request.node.stash.get(_FAILED, False)
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        new_page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not foreign, f"the page asked hosts other than this machine: {foreign[:5]}"


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if getattr(report, "when", None) == "call" and getattr(report, "failed", False):
        item.stash[_FAILED] = True
    return report
