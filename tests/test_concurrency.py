"""Concurrent writers and interrupted writes: every conflict detected, no update lost, nothing half-written.

The killed import runs in a real separate process, killed with SIGKILL inside its transaction."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from mcwg_dashboard.config import PROJECT_ROOT
from mcwg_dashboard.excel import export_survey_workbook
from mcwg_dashboard.excel.survey_workbook import ANSWERS_SHEET, COL_STATUS
from mcwg_dashboard.models import Answer, CountrySurvey, SurveyState
from mcwg_dashboard.services import audit, profiles, surveys
from mcwg_dashboard.services.errors import ConflictError, InvalidState, ValidationFailed
from mcwg_dashboard.services.surveys import AnswerInput
from tests.helpers import ADMIN, REP_FR, the_open_round
from tests.test_lifecycle import complete_answers

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
    workbook_like = [AnswerInput(element_id=f"SPP-{i:02d}", status="IMPL") for i in range(4, 14)]
    with Session(engine) as session, pytest.raises(KeyboardInterrupt):
        surveys.save_answers(session, actor=REP_FR, survey_id=survey_id, answers=workbook_like)
    with Session(engine) as session:
        stored = surveys.load_answers(session, survey_id=survey_id)
    assert list(stored) == ["KOS-16"], "no answer of the interrupted save was kept"


# The child process: import the workbook with the command line, but after the Nth audit entry of the import's
# transaction flush it to the database, leave a marker file and wait to be killed.
_KILLED_IMPORT = """
import sys, time
from pathlib import Path
from mcwg_dashboard import cli
from mcwg_dashboard.services import audit

workbook, marker, stop_after = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
real_record = audit.record
calls = 0

def record_then_hang(session, **kwargs):
    global calls
    real_record(session, **kwargs)
    calls += 1
    if calls == stop_after:
        session.flush()  # the answers and audit entries so far are written, not committed
        marker.write_text(str(calls))
        time.sleep(120)

audit.record = record_then_hang
sys.exit(cli.main(["import-survey", workbook]))
"""


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    from mcwg_dashboard.models import AuditEntry, CountrySurvey

    with Session(engine) as session:
        return {
            "answers": sorted(
                (a.survey_id, a.element_id, a.status, a.note, a.version, a.answered_by)
                for a in session.exec(select(Answer))
            ),
            "surveys": sorted(
                (s.id, s.state, s.version, str(s.updated_at)) for s in session.exec(select(CountrySurvey))
            ),
            "audit": sorted((e.id, e.action, e.entity_key) for e in session.exec(select(AuditEntry))),
        }


def test_an_import_killed_half_way_leaves_no_partial_data(engine: Engine, tmp_path: Path) -> None:
    survey_id = _survey_id(engine)
    with Session(engine) as session:
        round_id = the_open_round(session).id or 0
        exported = export_survey_workbook(session, actor=ADMIN, round_id=round_id, country_code="FR")
    book = openpyxl.load_workbook(io.BytesIO(exported))
    sheet = book[ANSWERS_SHEET]
    status_column = next(cell.column for cell in sheet[1] if cell.value == COL_STATUS)
    for row in range(2, 22):
        sheet.cell(row=row, column=status_column, value="Implemented")
    workbook = tmp_path / "fr.xlsx"
    book.save(workbook)
    marker = tmp_path / "half-way"
    before = _snapshot(engine)

    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "MCWG_DATABASE_URL": url, "PYTHONPATH": str(PROJECT_ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_IMPORT, str(workbook), str(marker), "5"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert child.poll() is None, f"the import ended before the kill: {child.communicate()[0].decode()[-2000:]}"
            assert time.monotonic() < deadline, "the import never reached its fifth answer"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert marker.read_text() == "5", "the child was killed inside the import's transaction, after five saves"

    assert _snapshot(engine) == before, "no answer, survey or audit entry of the killed import remains"
    # The database is not left locked: the same survey takes a save at once.
    with Session(engine) as session:
        surveys.save_answers(
            session,
            actor=REP_FR,
            survey_id=survey_id,
            answers=[AnswerInput(element_id="SPP-07", status="IMPL")],
        )
        assert surveys.load_answers(session, survey_id=survey_id)["SPP-07"].version == 1


# --- a save racing a submit ---------------------------------------------------------------------------------------


def _complete_draft(engine: Engine) -> tuple[int, int, str]:
    """FR's survey, every element answered, still a draft; (survey id, its version, the scale's "unknown" code)."""
    with Session(engine) as session:
        survey = surveys.open_survey(session, actor=REP_FR, round_id=the_open_round(session).id or 0, country_code="FR")
        survey_id = survey.id or 0
        surveys.save_answers(session, actor=REP_FR, survey_id=survey_id, answers=complete_answers(session, survey_id))
        unknown = surveys.survey_checklist(session, survey).scale.default.code
        return survey_id, survey.version, unknown


def _late_save(kind: str, session: Session, survey_id: int, unknown: str) -> None:
    if kind == "answers":  # the representative turns an answered element back into "unknown"
        surveys.save_answers(
            session,
            actor=REP_FR,
            survey_id=survey_id,
            answers=[AnswerInput(element_id="KOS-16", status=unknown, expected_version=1)],
        )
    else:
        profile = profiles.parse_profile({"architectures": ["B"], "stacks": ["XCA-I"]})
        profiles.save_profile(session, actor=REP_FR, survey_id=survey_id, profile=profile, expected_version=0)


@pytest.mark.parametrize("kind", ["answers", "profile"])
def test_a_save_racing_a_submit_lands_before_it_or_is_refused(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The submit is held right after it read the answers, and the save runs in that moment (the worst interleaving,
    made certain rather than hoped for): the save must wait and then be refused, never land in a survey the submit
    judged without it."""
    survey_id, version, unknown = _complete_draft(engine)
    submit_has_read, save_finished = threading.Event(), threading.Event()
    read_answers = surveys.load_answers

    def load_then_hold(session: Session, *, survey_id: int) -> dict[str, Answer]:
        answers = read_answers(session, survey_id=survey_id)
        if threading.current_thread().name == "submit":
            submit_has_read.set()
            save_finished.wait(timeout=2)  # a save blocked by the submit's claim never finishes in time
        return answers

    monkeypatch.setattr(surveys, "load_answers", load_then_hold)
    outcome: dict[str, str] = {}

    def submit() -> None:
        with Session(engine) as session:
            try:
                surveys.submit_survey(session, actor=REP_FR, survey_id=survey_id, expected_version=version)
                outcome["submit"] = "submitted"
            except (ConflictError, ValidationFailed) as exc:
                outcome["submit"] = f"refused: {exc}"

    def save() -> None:
        submit_has_read.wait(timeout=10)
        with Session(engine) as session:
            try:
                _late_save(kind, session, survey_id, unknown)
                outcome["save"] = "saved"
            except (ConflictError, InvalidState) as exc:
                outcome["save"] = f"refused: {exc}"
            finally:
                save_finished.set()

    threads = [threading.Thread(target=submit, name="submit"), threading.Thread(target=save, name="save")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with Session(engine) as session:
        survey = session.get_one(CountrySurvey, survey_id)
        checklist = surveys.survey_checklist(session, survey)
        answers = read_answers(session, survey_id=survey_id)
        profile = profiles.get_profile(session, survey_id=survey_id)
    assert outcome["submit"] == "submitted"
    assert survey.state == SurveyState.SUBMITTED
    assert outcome["save"].startswith("refused: Not saved: the survey of FR was submitted"), outcome
    assert surveys.missing_answers(checklist, answers) == [], "a submitted survey holds no unconfirmed unknown"
    assert profile is None, "nothing lands in a survey after it was submitted"


def test_a_save_that_landed_first_is_seen_by_the_submit(engine: Engine) -> None:
    survey_id, version, unknown = _complete_draft(engine)
    with Session(engine) as session:
        _late_save("answers", session, survey_id, unknown)
        with pytest.raises(ValidationFailed, match="KOS-16: still unknown"):
            surveys.submit_survey(session, actor=REP_FR, survey_id=survey_id, expected_version=version)
        assert session.get_one(CountrySurvey, survey_id).state == SurveyState.DRAFT
