"""Concurrent writers and interrupted writes: every conflict detected, no update lost, nothing half-written."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from mcwg_dashboard.models import Answer
from mcwg_dashboard.services import audit, surveys
from mcwg_dashboard.services.errors import ConflictError
from mcwg_dashboard.services.surveys import AnswerInput
from tests.helpers import ADMIN, REP_FR, the_open_round

SAVES_PER_WRITER = 100


def _survey_id(engine: Engine) -> int:
    with Session(engine) as session:
        survey = surveys.open_survey(session, actor=REP_FR, round_id=the_open_round(session).id or 0, country_code="FR")
        assert survey.id is not None
        surveys.save_answers(
            session, actor=REP_FR, survey_id=survey.id, answers=[AnswerInput(element_id="KOS-16", status="CONS")]
        )
        return survey.id


def test_two_writers_never_lose_an_update(engine: Engine) -> None:
    survey_id = _survey_id(engine)
    outcomes: dict[str, list[str]] = {"rep-fr": [], "fg-admin": []}
    start = threading.Barrier(2)

    def writer(actor_name: str) -> None:
        actor = REP_FR if actor_name == "rep-fr" else ADMIN
        start.wait()
        for i in range(SAVES_PER_WRITER):
            with Session(engine) as session:
                # Read the version this writer sees, then save on top of it, as a page does.
                seen = surveys.load_answers(session, survey_id=survey_id)["KOS-16"].version
                note = f"{actor_name} {i}"
                try:
                    surveys.save_answers(
                        session,
                        actor=actor,
                        survey_id=survey_id,
                        answers=[AnswerInput(element_id="KOS-16", status="PART", note=note, expected_version=seen)],
                    )
                    outcomes[actor_name].append("saved")
                except ConflictError:
                    outcomes[actor_name].append("conflict")

    threads = [threading.Thread(target=writer, args=(name,)) for name in outcomes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    saved = sum(o.count("saved") for o in outcomes.values())
    conflicts = sum(o.count("conflict") for o in outcomes.values())
    assert saved + conflicts == 2 * SAVES_PER_WRITER, "every save either landed or was refused"
    with Session(engine) as session:
        answer = session.exec(select(Answer).where(Answer.element_id == "KOS-16")).one()
        audited = session.exec(select(audit.AuditEntry).where(audit.AuditEntry.action == "save_answer")).all()
    # Version 1 was the first answer; every landed save moved it on by exactly one: none overwrote another unseen.
    assert answer.version == 1 + saved
    assert len(audited) == 1 + saved
    assert answer.note in {f"{name} {i}" for name in outcomes for i in range(SAVES_PER_WRITER)}


def test_a_save_interrupted_half_way_leaves_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    survey_id = _survey_id(engine)
    calls = {"n": 0}
    real_record = audit.record

    def dies_on_the_third(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("the process is stopped mid-import")
        real_record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "record", dies_on_the_third)
    workbook_like = [AnswerInput(element_id=f"SPP-{i:02d}", status="IMPL") for i in range(1, 11)]
    with Session(engine) as session, pytest.raises(KeyboardInterrupt):
        surveys.save_answers(session, actor=REP_FR, survey_id=survey_id, answers=workbook_like)
    with Session(engine) as session:
        stored = surveys.load_answers(session, survey_id=survey_id)
    assert list(stored) == ["KOS-16"], "no answer of the interrupted save was kept"
