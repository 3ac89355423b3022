"""Server time of every page as a person causes it, on the demo data: the first run of the page in a fresh
session with empty caches (cold: round picker, database reads and figures included) and the reruns that follow a
click (warm), through Streamlit's AppTest (no browser: the browser's drawing time is in the browser journeys).

Used by `python -m mcwg_dashboard bench --pages`; it runs on a temporary copy of the demo database, never the
app's own.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import streamlit.logger as streamlit_logger
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from mcwg_dashboard.config import PROJECT_ROOT, get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.services import users
from mcwg_dashboard.ui import context
from mcwg_dashboard.ui.auth import SESSION_TOKEN

APP = str(PROJECT_ROOT / "app.py")
VIEWS = PROJECT_ROOT / "mcwg_dashboard" / "views"
# Who opens which page: the survey as a country's representative, the rest as the focus group (who sees every page).
SURVEY_PAGE = "survey"


@dataclass(frozen=True)
class PageTiming:
    page: str
    account: str
    cold_seconds: float
    warm_seconds: float  # median of the reruns

    def as_dict(self) -> dict[str, object]:
        return {
            "page": self.page,
            "account": self.account,
            "cold_seconds": round(self.cold_seconds, 3),
            "warm_seconds": round(self.warm_seconds, 3),
        }


@contextmanager
def demo_database() -> Iterator[Path]:
    """A temporary embedded database with the demo data, made the way `demo` makes it; the settings point at it."""
    from mcwg_dashboard.cli import main as cli

    saved = {name: os.environ.get(name) for name in ("MCWG_DATA_DIR", "MCWG_DATABASE_URL")}
    with tempfile.TemporaryDirectory(prefix="mcwg-pages-") as folder:
        os.environ["MCWG_DATA_DIR"] = folder
        os.environ.pop("MCWG_DATABASE_URL", None)
        get_settings.cache_clear()
        try:
            if cli(["demo"]) != 0:
                raise RuntimeError("the demo data could not be loaded")
            yield Path(folder)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            get_settings.cache_clear()


def page_names() -> list[str]:
    return sorted(p.stem for p in VIEWS.glob("*.py") if p.stem != "__init__")


def _signed_in(account: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if account is not None:
        engine = make_engine(get_settings().effective_database_url)
        with Session(engine) as session:
            at.session_state[SESSION_TOKEN] = users.issue_session_token(
                session, username=account, secret=users.session_secret(session)
            )
        engine.dispose()
        at.run()
    return at


def time_page(page: str, *, account: str | None, reruns: int) -> PageTiming:
    st.cache_data.clear()  # cold: nothing this page reads is cached yet (the engine stays, as on a running server)
    at = _signed_in(account)
    at.switch_page(f"mcwg_dashboard/views/{page}.py")
    cold = _seconds(at.run)
    if at.exception:
        raise RuntimeError(f"the {page} page failed: {at.exception[0].value}")
    if not at.title:
        raise RuntimeError(f"the {page} page drew nothing")
    warm = [_seconds(at.run) for _ in range(reruns)]
    return PageTiming(page, account or "public", cold, statistics.median(warm))


def time_pages(reruns: int = 5, log: Callable[[str], None] = print) -> list[PageTiming]:
    """Every page on a temporary demo database (admin and rep-fr)."""
    with demo_database():
        return _time_every_page(reruns, log, admin="admin", representative="rep-fr")


def time_pages_on(
    database_url: str, *, admin: str, representative: str, reruns: int, log: Callable[[str], None] = print
) -> list[PageTiming]:
    """Every page on a database that is complete as it is (the benchmark's synthetic dataset, whose checklist is
    the only one stored): the app's start-up steps (migrations, the checklist of surveys/, members, a first round)
    are left out, since storing the real checklist would make the synthetic one old."""
    saved = {name: os.environ.get(name) for name in ("MCWG_DATABASE_URL",)}
    os.environ["MCWG_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    st.cache_resource.clear()
    original = context.initialise
    context.initialise = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        return _time_every_page(reruns, log, admin=admin, representative=representative)
    finally:
        context.initialise = original
        st.cache_resource.clear()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def _time_every_page(reruns: int, log: Callable[[str], None], *, admin: str, representative: str) -> list[PageTiming]:
    # Outside a server Streamlit warns on every run that it has no runtime: expected here, and only noise.
    streamlit_logger.set_log_level("error")
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    accounts = {SURVEY_PAGE: representative, "sign_in": None}
    timings = []
    for page in page_names():
        timing = time_page(page, account=accounts.get(page, admin), reruns=reruns)
        log(f"  {page:<20} {timing.cold_seconds:6.2f} s cold  {timing.warm_seconds:6.3f} s warm")
        timings.append(timing)
    return timings


def format_pages(timings: list[PageTiming]) -> str:
    lines = ["page                 account   cold (s)  warm rerun (s)"]
    for t in timings:
        lines.append(f"{t.page:<20} {t.account:<9} {t.cold_seconds:8.2f}  {t.warm_seconds:14.3f}")
    lines.append(
        f"slowest cold: {max(t.cold_seconds for t in timings):.2f} s; "
        f"slowest warm rerun: {max(t.warm_seconds for t in timings):.3f} s (targets: 1 s cold, 0.3 s warm)"
    )
    return "\n".join(lines)


def _seconds(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started
