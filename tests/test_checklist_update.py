"""The corrections of December 2026 went in the way a focus group changes the checklist: a new version in surveys/,
stored at start-up, and the next round opened on it flags the answers to changed elements instead of rescoring them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session

from mcwg_dashboard.checklist import load_checklist
from mcwg_dashboard.config import PROJECT_ROOT, get_settings
from mcwg_dashboard.db import migrate
from mcwg_dashboard.services import surveys
from mcwg_dashboard.services.checklist_store import latest_version, store_checklist
from mcwg_dashboard.services.rounds import close_round, create_round, open_round
from mcwg_dashboard.services.setup import add_members, initialise, load_members
from mcwg_dashboard.services.surveys import AnswerInput
from tests.helpers import ADMIN, REP_FR

OLD_CHECKLIST = PROJECT_ROOT / "tests" / "fixtures" / "checklist_2024_05"


def test_an_old_round_carried_onto_2026_12_flags_corrected_elements_and_drops_the_profile_items(
    empty_engine: Engine,
) -> None:
    # A database as it stood before the corrections: the 2024.05 checklist and a round answered on it.
    migrate(empty_engine)
    session = Session(empty_engine, expire_on_commit=False)
    old = store_checklist(session, actor=ADMIN, checklist=load_checklist(OLD_CHECKLIST))
    add_members(session, actor=ADMIN, members=load_members(OLD_CHECKLIST / "members.yaml"))
    assert old.label == "2024.05"
    first = create_round(
        session,
        actor=ADMIN,
        name="2025 survey",
        opens_on=dt.date(2025, 3, 1),
        closes_on=None,
        checklist_version_id=old.id or 0,
    )
    survey = surveys.open_survey(session, actor=REP_FR, round_id=first.id or 0, country_code="FR")
    old_elements = load_checklist(OLD_CHECKLIST).elements
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey.id or 0,
        answers=[AnswerInput(element_id=e, status="IMPL") for e in old_elements],
    )
    close_round(session, actor=ADMIN, round_id=first.id or 0)

    # Starting the app (or `init`) after the files changed stores the new version, as the README's procedure says.
    initialise(empty_engine, get_settings(), create_admin=False)
    new = latest_version(session)
    assert new is not None and new.label == "2026.12"
    second = open_round(
        session,
        actor=ADMIN,
        name="2027 survey",
        opens_on=dt.date(2027, 3, 1),
        closes_on=None,
        checklist_version_id=new.id or 0,
    )
    carried_survey = surveys.find_survey(session, round_id=second.id or 0, country_code="FR")
    assert carried_survey is not None
    carried = surveys.load_answers(session, survey_id=carried_survey.id or 0)
    assert not set(carried) & {"SPP-01", "SPP-02", "SPP-03", "TRK-01", "TRK-02"}
    assert len(carried) == 69
    flagged = {e for e, a in carried.items() if a.needs_reconfirmation}
    corrected = {"KOS-07", "META-10", "KOS-09", "KOS-17", "SPP-04", "SPP-10", "SPP-11", "SPP-12", "DEP-01", "DEP-03"}
    corrected |= {"META-06", "META-07", "META-12"}
    assert corrected <= flagged
    # Classification alone (stacks, the watch list) also changed what an answer means: re-confirm those too.
    assert {"SPP-05", "SPP-06", "SPP-09", "KOS-22", "META-15", "DEP-06"} <= flagged
    assert "KOS-01" not in flagged, "unchanged elements keep their answer unflagged"
    assert all(a.status == "IMPL" for a in carried.values()), "nothing is rescored"
    session.close()
