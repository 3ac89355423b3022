"""The dashboards' answer frame, read from the database."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session, select

from mcwg_dashboard.models import CountrySurvey
from mcwg_dashboard.services.answer_data import (
    ANSWER_COLUMNS,
    PUBLISHED_STATES,
    SHARED_STATES,
    load_answer_frame,
    rounds_with_answers,
)
from mcwg_dashboard.services.demo import load_demo
from tests.helpers import ADMIN


def test_frame_holds_only_handed_in_surveys_with_weights(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    frame = load_answer_frame(session)
    assert list(frame.columns) == ANSWER_COLUMNS
    drafts = {
        (s.round_id, s.country_code) for s in session.exec(select(CountrySurvey).where(CountrySurvey.state == "draft"))
    }
    assert drafts, "the demo has drafts in the open round"
    assert not set(zip(frame["round_id"], frame["country_code"], strict=True)) & drafts
    assert frame["round_id"].nunique() == 3
    implemented = frame[(frame["status"] == "IMPL") & (frame["scope"] != "watch")]
    assert (implemented["weight"] == 1.0).all()
    assert frame[frame["status"] == "NA"]["weight"].isna().all()
    assert frame[frame["scope"] == "watch"]["weight"].isna().all(), "the MADO watch list is never scored"
    assert set(frame[frame["scope"] == "watch"]["element_id"]) == {"KOS-22", "KOS-23", "KOS-24", "META-15", "DEP-06"}
    assert set(frame[frame["scope"] == "headline"]["set_code"]) == {"SPP", "META", "KOS"}
    assert set(frame[frame["scope"] == "draft"]["set_code"]) == {"KIN", "DEP"}
    assert set(frame["set_code"]) == {"SPP", "META", "KOS", "KIN", "DEP"}
    assert (frame["architectures"] != "").all(), "every demo survey has a deployment profile"


def test_frame_is_one_query_whatever_the_rounds(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    load_answer_frame(session)  # warms the per-process checklist cache
    statements: list[str] = []
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    load_answer_frame(session)
    answers_only = [s for s in statements if "FROM answer" in s]
    assert len(answers_only) == 1


def test_rounds_with_answers_are_those_the_answer_frame_holds_from_one_query(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    countries = sorted({s.country_code for s in session.exec(select(CountrySurvey))})
    for states in (PUBLISHED_STATES, SHARED_STATES, ("draft",)):
        frame = load_answer_frame(session, states=states)
        assert rounds_with_answers(session, states=states) == sorted(set(frame["round_id"].astype(int)))
        for country in [*countries, "ZZ"]:
            mine = frame[frame["country_code"] == country]
            expected = sorted(set(mine["round_id"].astype(int)))
            assert rounds_with_answers(session, states=states, country_code=country) == expected, (states, country)
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))
    rounds_with_answers(session)
    assert [s for s in statements if "FROM answer" in s] == [next(s for s in statements if "DISTINCT" in s)]
