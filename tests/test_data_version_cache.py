"""Page caches are keyed by the data version: a write made elsewhere (another app server, the command line) shows at
the next rerun, with no cache cleared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import CountrySurvey, SurveyRound
from mcwg_dashboard.services.audit import data_version
from mcwg_dashboard.services.lifecycle import send_back_survey
from tests.helpers import ADMIN
from tests.test_app_pages import _dashboard


def test_a_write_through_another_server_shows_at_the_next_rerun(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/overview.py")
    assert {m.label: m.value for m in at.metric}["Surveys submitted"] == "5 / 11"
    # Another app server (its own engine and process state) sends Austria's survey back; nothing here is cleared.
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        before = data_version(session)
        open_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
        survey = session.exec(
            select(CountrySurvey).where(CountrySurvey.round_id == open_round.id, CountrySurvey.country_code == "AT")
        ).one()
        send_back_survey(
            session, actor=ADMIN, survey_id=survey.id or 0, expected_version=survey.version, comment="Check KOS."
        )
        assert data_version(session) > before
    engine.dispose()
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Surveys submitted"] == "4 / 11"


def test_reruns_without_writes_reuse_the_cache(isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mcwg_dashboard.ui.dashboard as dashboard

    at = _dashboard("mcwg_dashboard/views/overview.py")
    calls: list[object] = []
    original = dashboard.load_answer_frame

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(dashboard, "load_answer_frame", counting)
    at.run()
    assert not at.exception
    assert calls == [], "no write happened: the answers come from the cache"
