"""The dashboards' answer frame, read from the database."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from mcwg_dashboard import analytics
from mcwg_dashboard.checklist import AnswerScale
from mcwg_dashboard.models import CountrySurvey
from mcwg_dashboard.services.answer_data import (
    ANSWER_COLUMNS,
    PUBLISHED_STATES,
    SHARED_STATES,
    load_answer_frame,
    load_scores,
    load_stale_counts,
    load_status_counts,
    rounds_with_answers,
)
from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version
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
    reading_answers = [s for s in statements if "FROM answer" in s]
    assert len(reading_answers) == 1 and "WHERE EXISTS" in reading_answers[0], "one query, no answer read"


def test_status_counts_give_the_figures_of_the_answer_rows(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    frame = load_answer_frame(session)
    for by in (
        ["set_code"],
        ["country_code", "country_name"],
        ["round_id", "set_code", "country_code"],
        ["element_id"],
    ):
        counts = load_status_counts(session, by=by)
        assert int(counts["count"].sum()) == len(frame)
        for scope in ("headline", "draft", "watch"):
            expected = analytics.adoption_scores(analytics.in_scope(frame, scope), by)
            got = analytics.adoption_scores(analytics.in_scope(counts, scope), by)
            pd.testing.assert_frame_equal(
                got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
            )
        assert analytics.overall_score(analytics.headline(counts)) == pytest.approx(
            analytics.overall_score(analytics.headline(frame))
        )
    trend = analytics.trend_by_set(
        load_status_counts(session, by=["round_id", "round_name", "round_opens_on", "set_code", "country_code"]),
        same_countries_only=True,
    )
    pd.testing.assert_frame_equal(trend, analytics.trend_by_set(frame, same_countries_only=True), check_dtype=False)


def test_status_counts_and_narrow_rows_take_the_same_filters(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    frame = load_answer_frame(session)
    newest = int(frame["round_id"].max())
    kos = load_status_counts(session, by=["round_id"], round_ids=[newest], set_codes=["KOS"], country_codes=["FR"])
    mine = frame[(frame["round_id"] == newest) & (frame["set_code"] == "KOS") & (frame["country_code"] == "FR")]
    assert int(kos["count"].sum()) == len(mine) > 0
    distribution = analytics.status_distribution(mine, _scale(session))
    assert distribution.equals(analytics.status_distribution(kos, _scale(session)))
    narrow = load_answer_frame(
        session, round_ids=[newest], columns=["country_code", "element_id", "status", "weight"], element_ids=["KOS-07"]
    )
    assert list(narrow.columns) == ["country_code", "element_id", "status", "weight"]
    expected = frame[(frame["round_id"] == newest) & (frame["element_id"] == "KOS-07")]
    assert narrow.reset_index(drop=True).equals(expected[list(narrow.columns)].reset_index(drop=True))
    with pytest.raises(ValueError, match="unknown answer column"):
        load_answer_frame(session, columns=["status", "secret"])
    with pytest.raises(ValueError, match="cannot group"):
        load_status_counts(session, by=["status"])


def test_status_counts_are_one_grouped_query(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    load_status_counts(session, by=["set_code"])  # warms the per-process checklist cache
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))
    counts = load_status_counts(session, by=["round_id", "set_code", "country_code"])
    answers_only = [s for s in statements if "FROM answer" in s]
    assert len(answers_only) == 1 and "GROUP BY" in answers_only[0]
    assert len(counts) < len(load_answer_frame(session)) / 2, "far fewer rows than answers"


def _scale(session: Session) -> AnswerScale:
    version = latest_version(session)
    assert version is not None and version.id is not None
    return checklist_for_version(session, version.id).scale


def test_stale_counts_match_the_answer_rows(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    frame = load_answer_frame(session)
    for round_id in sorted(set(frame["round_id"].astype(int))):
        expected = analytics.stale_answers(frame[frame["round_id"] == round_id])
        got = load_stale_counts(session, round_id=round_id)
        assert dict(zip(got["country_code"], got["stale"], strict=True)) == dict(
            zip(expected["country_code"], expected["stale"], strict=True)
        )
    assert load_stale_counts(session, round_id=999).empty


def test_status_counts_of_one_scope(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    watch = load_status_counts(session, by=["element_id"], scope="watch")
    assert set(watch["element_id"]) == {"KOS-22", "KOS-23", "KOS-24", "META-15", "DEP-06"}
    assert set(watch["scope"]) == {"watch"} and watch["weight"].isna().all()


def test_score_parts_summed_by_the_database_give_the_same_scores(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    frame = load_answer_frame(session)
    for by in (["set_code"], ["country_code", "country_name"], ["round_id", "round_name", "set_code", "country_code"]):
        parts = load_scores(session, by=by)
        assert int(parts["answers"].sum()) == len(frame)
        for scope in ("headline", "draft", "watch"):
            expected = analytics.adoption_scores(analytics.in_scope(frame, scope), by)
            got = analytics.adoption_scores(analytics.in_scope(parts, scope), by)
            pd.testing.assert_frame_equal(
                got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
            )
    peers = analytics.peer_comparison(
        load_scores(
            session, by=["set_code", "country_code", "architectures"], round_ids=[int(frame["round_id"].max())]
        ),
        "FR",
    )
    newest = frame[frame["round_id"] == frame["round_id"].max()]
    pd.testing.assert_frame_equal(peers, analytics.peer_comparison(newest, "FR"), check_dtype=False)
    trend = analytics.trend_by_set(
        load_scores(session, by=["round_id", "round_name", "round_opens_on", "set_code", "country_code"]),
        same_countries_only=True,
    )
    pd.testing.assert_frame_equal(trend, analytics.trend_by_set(frame, same_countries_only=True), check_dtype=False)
