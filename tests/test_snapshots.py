"""Meeting snapshots: admin-only, a faithful frozen copy, and read-only once written."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session, select

from mcwg_dashboard import analytics
from mcwg_dashboard.cli import main
from mcwg_dashboard.models import Answer, AuditEntry, CountrySurvey, MeetingSnapshot, ReadOnlyRecord, SurveyRound
from mcwg_dashboard.services import rounds, snapshots
from mcwg_dashboard.services.answer_data import load_answer_frame
from mcwg_dashboard.services.demo import clear_demo, load_demo
from mcwg_dashboard.services.errors import InvalidState, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.snapshots import SNAPSHOT_STATES, create_snapshot, get_snapshot, snapshot_frame
from tests.helpers import ADMIN, MEMBER, REP_FR

MEETING = dt.date(2025, 6, 12)


def _round(session: Session, name: str) -> int:
    survey_round = session.exec(select(SurveyRound).where(SurveyRound.name == name)).one()
    assert survey_round.id is not None
    return survey_round.id


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session, actor=ADMIN)
    return session


def test_snapshot_freezes_the_validated_and_published_answers(demo: Session) -> None:
    round_id = _round(demo, "2025 adoption survey (demo)")
    snapshot = create_snapshot(demo, actor=ADMIN, name=" Plenary Lisbon 2025 ", meeting_date=MEETING, round_id=round_id)
    assert snapshot.name == "Plenary Lisbon 2025" and snapshot.created_by == ADMIN.username
    live = load_answer_frame(demo, round_ids=[round_id], states=SNAPSHOT_STATES)
    frozen = snapshot_frame(get_snapshot(demo, "Plenary Lisbon 2025"))
    assert snapshot.answer_count == len(live) == len(frozen) > 0
    columns = ["country_code", "element_id", "status", "note", "weight", "set_code", "needs_reconfirmation"]
    pd.testing.assert_frame_equal(frozen[columns], live[columns], check_dtype=False)
    assert (frozen["answered_at"] == pd.to_datetime(live["answered_at"], utc=True)).all()
    entry = demo.exec(select(AuditEntry).where(AuditEntry.action == "create_snapshot")).one()
    assert entry.entity_key == "Plenary Lisbon 2025" and entry.after is not None
    assert entry.after["answers"] == len(live)
    # "What changed since the snapshot" is what changed since the round it froze.
    earlier = load_answer_frame(demo, round_ids=[round_id], states=SNAPSHOT_STATES)
    later = load_answer_frame(demo, round_ids=[_round(demo, "2026 adoption survey")])
    pd.testing.assert_frame_equal(
        analytics.round_changes(frozen, later), analytics.round_changes(earlier, later), check_dtype=False
    )
    listed = snapshots.list_snapshots(demo)
    assert listed["name"].tolist() == ["Plenary Lisbon 2025"] and bool(listed["is_demo"].iloc[0])


@pytest.mark.parametrize("actor", [MEMBER, REP_FR])
def test_only_the_focus_group_creates_snapshots(demo: Session, actor: object) -> None:
    round_id = _round(demo, "2025 adoption survey (demo)")
    with pytest.raises(PermissionDenied):
        create_snapshot(demo, actor=actor, name="Plenary", meeting_date=MEETING, round_id=round_id)  # type: ignore[arg-type]
    assert demo.exec(select(MeetingSnapshot)).first() is None


def test_snapshot_input_is_checked(demo: Session) -> None:
    round_id = _round(demo, "2025 adoption survey (demo)")
    create_snapshot(demo, actor=ADMIN, name="Plenary", meeting_date=MEETING, round_id=round_id)
    with pytest.raises(ValidationFailed, match="exists already"):
        create_snapshot(demo, actor=ADMIN, name="Plenary", meeting_date=MEETING, round_id=round_id)
    with pytest.raises(ValidationFailed, match="name"):
        create_snapshot(demo, actor=ADMIN, name="  ", meeting_date=MEETING, round_id=round_id)
    # A round with nothing handed in yet (drafts only, or no survey at all) has nothing to freeze.
    empty = rounds.create_round(
        demo,
        actor=ADMIN,
        name="Empty round",
        opens_on=MEETING,
        closes_on=None,
        checklist_version_id=demo.exec(select(SurveyRound)).first().checklist_version_id,  # type: ignore[union-attr]
    )
    with pytest.raises(InvalidState, match="nothing to freeze"):
        create_snapshot(demo, actor=ADMIN, name="Too early", meeting_date=MEETING, round_id=empty.id or 0)
    # The open round: submitted answers are frozen (what the plenary sees), drafts are not.
    open_round = _round(demo, "2026 adoption survey")
    during = create_snapshot(demo, actor=ADMIN, name="Mid-round plenary", meeting_date=MEETING, round_id=open_round)
    assert set(snapshot_frame(during)["survey_state"]) == {"submitted"}
    assert len(demo.exec(select(MeetingSnapshot)).all()) == 2


def test_snapshots_are_read_only(demo: Session) -> None:
    round_id = _round(demo, "2025 adoption survey (demo)")
    snapshot = create_snapshot(demo, actor=ADMIN, name="Plenary", meeting_date=MEETING, round_id=round_id)
    before = snapshot_frame(snapshot)
    # Later changes to the round's answers leave the snapshot as it was.
    survey = demo.exec(select(CountrySurvey).where(CountrySurvey.round_id == round_id)).first()
    assert survey is not None
    for answer in demo.exec(select(Answer).where(Answer.survey_id == survey.id)):
        answer.status = "NOPL" if answer.status != "NOPL" else "IMPL"
    demo.commit()
    demo.expire_all()
    pd.testing.assert_frame_equal(snapshot_frame(get_snapshot(demo, "Plenary")), before)
    # The model refuses changes and deletes, whoever tries.
    stored = get_snapshot(demo, "Plenary")
    stored.name = "Renamed"
    with pytest.raises(ReadOnlyRecord, match="read-only"):
        demo.commit()
    demo.rollback()
    demo.delete(get_snapshot(demo, "Plenary"))
    with pytest.raises(ReadOnlyRecord):
        demo.commit()
    demo.rollback()
    assert get_snapshot(demo, "Plenary").answer_count == len(before)
    # And the service offers no way to change or delete one.
    functions = [name for name, _ in inspect.getmembers(snapshots, inspect.isfunction)]
    assert not [f for f in functions if any(w in f for w in ("update", "delete", "edit", "rename", "remove", "set_"))]


def test_cli_snapshot_create_list_and_compare(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    create = ["snapshot", "create", "--round", "2025 adoption survey (demo)", "--name", "Plenary 2025"]
    assert main([*create, "--date", "2025-06-12"]) == 0
    assert "frozen: 690 validated and published answers" in capsys.readouterr().out
    assert main([*create, "--date", "2025-06-12"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: name: a snapshot named 'Plenary 2025' exists already. Choose another name."
    )
    assert main([*create[:-1], "Other", "--date", "12/06/2025"]) == 1
    assert "is not a date like 2025-06-12" in capsys.readouterr().err
    assert main(["snapshot", "list"]) == 0
    assert "2025-06-12  Plenary 2025 (demo)  [2025 adoption survey (demo), 690 answers]" in capsys.readouterr().out
    out = isolated_settings / "deck.pptx"
    since = ["--since", "snapshot:no such"]
    assert main(["deck", "--round", "2026 adoption survey", *since, "--out", str(out)]) == 1
    assert "No meeting snapshot 'no such'. Snapshots: Plenary 2025." in capsys.readouterr().err


def test_clearing_the_demo_removes_its_snapshots(demo: Session) -> None:
    round_id = _round(demo, "2025 adoption survey (demo)")
    create_snapshot(demo, actor=ADMIN, name="Demo plenary", meeting_date=MEETING, round_id=round_id)
    clear_demo(demo, actor=ADMIN)
    assert demo.exec(select(MeetingSnapshot)).first() is None
