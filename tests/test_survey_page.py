"""The survey page as a grid per set: one save for the whole survey, errors on their rows, nothing lost, submit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import Answer, CountrySurvey, DeploymentProfile, SurveyRound
from mcwg_dashboard.services import surveys
from mcwg_dashboard.ui import survey_page
from tests.helpers import ADMIN
from tests.survey_page_helpers import CHECKLIST, edit_grid
from tests.test_app_pages import _app

SURVEY = "mcwg_dashboard/views/survey.py"


def _scope(url: str, country: str) -> str:
    engine = make_engine(url)
    with Session(engine) as session:
        survey_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
    engine.dispose()
    return f"{survey_round.id}:{country}"


def _stored(url: str, country: str) -> tuple[CountrySurvey | None, dict[str, Answer]]:
    engine = make_engine(url)
    with Session(engine) as session:
        survey = session.exec(select(CountrySurvey).where(CountrySurvey.country_code == country)).first()
        answers = surveys.load_answers(session, survey_id=survey.id) if survey and survey.id else {}
    engine.dispose()
    return survey, answers


def _open(url: str, country: str = "FR", actor: str = "admin") -> tuple[AppTest, str]:
    at = _app(SURVEY, actor=actor)
    at.selectbox(key="survey_country").set_value(country).run()
    return at, _scope(url, country)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_rule_broken_on_a_row_is_named_there_and_nothing_is_saved(external_database: str) -> None:
    at, scope = _open(external_database)
    edit_grid(at, scope, {"KOS-07": {"Status": "≈ Implemented – variant"}, "KOS-01": {"Status": "✔ Implemented"}})
    assert _metrics(at)["Unsaved edits"] == "2"
    assert any("2 unsaved changes in KOS" in w.value for w in at.warning)
    at.button(key=f"save:{scope}").click().run()
    assert not at.exception
    assert any("KOS-07 · note: A note is required" in e.value for e in at.error)
    assert _stored(external_database, "FR")[1] == {}, "one save: the valid row is not saved either"
    assert _metrics(at)["Unsaved edits"] == "2", "every input is kept"


def test_bad_pasted_cells_are_refused_on_their_rows(external_database: str) -> None:
    at, scope = _open(external_database)
    edit_grid(
        at, scope, {"KOS-03": {"Status": "Done"}, "KOS-04": {"Status": "◷ Planned", "Target date": "next spring"}}
    )
    errors = " ".join(e.value for e in at.error)
    assert "KOS-03 · status: 'Done' is not on the answer scale" in errors
    assert "KOS-04 · target date: 'next spring' is not a date" in errors
    at.button(key=f"save:{scope}").click().run()
    assert _stored(external_database, "FR")[1] == {}


def test_one_save_stores_every_set_then_submit_with_confirmed_unknowns(external_database: str) -> None:
    at, scope = _open(external_database)
    every = {e: {"Status": "✔ Implemented"} for e in list(CHECKLIST.elements)[:-2]}
    every["KOS-07"] = {"Status": "≈ Implemented – variant", "Note": "MADO accession rule"}
    edit_grid(at, scope, every)
    at.button(key=f"save:{scope}").click().run()
    assert not at.exception
    assert any(f"Saved {len(every)} answer(s)" in s.value for s in at.success)
    survey, answers = _stored(external_database, "FR")
    assert len(answers) == len(every) and answers["KOS-07"].note == "MADO accession rule"
    assert _metrics(at)["Unsaved edits"] == "0" and _metrics(at)["Answered (saved)"] == f"{len(every)} / 69"

    at.button(key=f"submit:{scope}").click().run()
    assert not at.exception
    confirm = at.button(key=f"confirm:{scope}")
    assert confirm.disabled, "two elements are still Unknown: the representative must confirm the list"
    at.checkbox(key=f"accept_unknown:{scope}").check().run()
    at.button(key=f"confirm:{scope}").click().run()
    assert not at.exception
    survey, _ = _stored(external_database, "FR")
    assert survey is not None and survey.state == "submitted"


def test_a_status_change_clears_the_old_target_date_unless_kept(external_database: str) -> None:
    at, scope = _open(external_database)
    edit_grid(at, scope, {"KOS-08": {"Status": "◷ Planned", "Target date": "2027-06-30", "Note": "budget"}})
    at.button(key=f"save:{scope}").click().run()
    assert _stored(external_database, "FR")[1]["KOS-08"].target_date is not None
    edit_grid(at, scope, {"KOS-08": {"Status": "✔ Implemented"}})
    assert any("KOS-08 · the target date is cleared" in i.value for i in at.info)
    at.button(key=f"save:{scope}").click().run()
    saved = _stored(external_database, "FR")[1]["KOS-08"]
    assert (saved.status, saved.target_date, saved.note) == ("IMPL", None, "")


def test_a_conflicting_save_keeps_the_losers_input_and_discard_shows_the_winner(external_database: str) -> None:
    first, scope = _open(external_database, "NO")
    second, _ = _open(external_database, "NO")
    edit_grid(first, scope, {"SPP-07": {"Status": "✔ Implemented"}})
    first.button(key=f"save:{scope}").click().run()
    edit_grid(second, scope, {"SPP-07": {"Status": "✘ Not planned", "Note": "We decided against it"}})
    second.button(key=f"save:{scope}").click().run()
    assert not second.exception
    assert any("changed by someone else" in e.value for e in second.error)
    assert _metrics(second)["Unsaved edits"] == "1", "the loser keeps their input"
    assert _stored(external_database, "NO")[1]["SPP-07"].status == "IMPL"
    second.button(key=f"discard:{scope}").click().run()
    assert _metrics(second)["Unsaved edits"] == "0"
    edit_grid(second, scope, {"SPP-07": {"Status": "◐ Partially implemented", "Note": "Two regions"}})
    second.button(key=f"save:{scope}").click().run()
    assert _stored(external_database, "NO")[1]["SPP-07"].status == "PART"


def test_unsaved_edits_hold_the_country_and_round_pickers_and_confirm_all(external_database: str) -> None:
    at, scope = _open(external_database)
    edit_grid(at, scope, {"KIN-01": {"Status": "✔ Implemented"}})
    assert at.selectbox(key="survey_country").disabled and at.selectbox(key="survey_round").disabled
    at.button(key=f"discard:{scope}").click().run()
    assert not at.selectbox(key="survey_country").disabled


def test_the_profile_proposes_not_applicable_and_save_confirms_it(external_database: str) -> None:
    at, scope = _open(external_database)
    assert _metrics(at)["Unsaved edits"] == "0", "no profile: nothing proposed"
    next(m for m in at.multiselect if m.label == "Architectures").set_value(["A"])
    next(m for m in at.multiselect if m.label == "Transaction stacks").set_value(["XDS-I.b"])
    next(b for b in at.button if b.label == "Save the profile").click().run()
    assert not at.exception
    # A with XDS-I.b: MHD (SPP-05) and the cross-community elements of B (SPP-06, SPP-09) do not apply.
    assert any("(SPP-05, SPP-06, SPP-09): Save confirms them" in i.value for i in at.info)
    assert at.button(key=f"save:{scope}").label == "Save 3 change(s)"
    assert _stored(external_database, "FR")[1] == {}, "a proposal is not an answer until saved"
    at.button(key=f"save:{scope}").click().run()
    answers = _stored(external_database, "FR")[1]
    assert {e: a.status for e, a in answers.items()} == {"SPP-05": "NA", "SPP-06": "NA", "SPP-09": "NA"}


def test_profile_errors_name_the_field_and_save_nothing(external_database: str) -> None:
    at, _ = _open(external_database)
    next(m for m in at.multiselect if m.label == "Architectures").set_value(["A"])
    next(m for m in at.multiselect if m.label == "Transaction stacks").set_value(["XCA-I"])
    next(b for b in at.button if b.label == "Save the profile").click().run()
    assert any("goes with architecture B" in e.value for e in at.error)
    engine = make_engine(external_database)
    with Session(engine) as session:
        assert session.exec(select(DeploymentProfile)).first() is None
    engine.dispose()


def _guard(at: AppTest) -> str:
    (script,) = [str(html.proto.body) for html in at.get("html") if "beforeunload" in html.proto.body]
    return script


def test_leaving_with_unsaved_edits_is_guarded(external_database: str) -> None:
    at, scope = _open(external_database)
    assert "if (false)" in _guard(at), "nothing to lose: leaving asks nothing"
    edit_grid(at, scope, {"KIN-02": {"Status": "✔ Implemented"}})
    assert "if (true)" in _guard(at)
    assert "unsaved changes in the survey" in _guard(at)


@pytest.mark.parametrize("stored", [dt.date(9999, 12, 31), dt.date(1, 1, 1)], ids=str)
def test_a_stored_out_of_range_date_renders_and_is_refused_when_saved_again(
    external_database: str, stored: dt.date
) -> None:
    """A date saved before dates were checked (or written by hand) still lets the page, and its Submit, render."""
    engine = make_engine(external_database)
    with Session(engine) as session:
        survey_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
        survey = surveys.open_survey(session, actor=ADMIN, round_id=survey_round.id or 0, country_code="FR")
        session.add(
            Answer(survey_id=survey.id or 0, element_id="KOS-16", status="PLAN", target_date=stored, answered_by="x")
        )
        session.commit()
    engine.dispose()
    at, scope = _open(external_database)
    assert not at.exception, at.exception
    assert at.button(key=f"submit:{scope}") is not None, "the Submit button is drawn"
    edit_grid(at, scope, {"KOS-16": {"Note": "still planned"}})
    assert any("KOS-16 · target date:" in e.value and "outside the accepted dates" in e.value for e in at.error)


def test_next_and_previous_set_move_the_tab_and_put_the_keyboard_on_its_first_status(
    external_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, scope = _open(external_database)
    focus_scripts = [str(h.proto.body) for h in at.get("html") if "__mcwgCellTracker" in h.proto.body]
    assert len(focus_scripts) == 1 and "const restore = 0;" in focus_scripts[0], "opening takes no one's focus"
    next(b for b in at.button if b.label == "Next set").click().run()
    assert at.session_state[f"set_tab:{scope}"] == "META"
    (script,) = [str(h.proto.body) for h in at.get("html") if "__mcwgCellTracker" in h.proto.body]
    assert '"id": "glide-cell-2-0"' in script
    for _ in range(9):  # never past the last set
        next(b for b in at.button if b.label == "Next set").click().run()
    assert at.session_state[f"set_tab:{scope}"] == CHECKLIST.asked_sets[-1].code
    next(b for b in at.button if b.label == "Previous set").click().run()
    assert at.session_state[f"set_tab:{scope}"] == CHECKLIST.asked_sets[-2].code
    at.run()
    (script,) = [str(h.proto.body) for h in at.get("html") if "__mcwgCellTracker" in h.proto.body]
    assert '"id": "glide-cell-2-0"' in script, "drawn unchanged for a moment: a quick second rerun cannot lose it"
    monkeypatch.setattr(survey_page, "REFOCUS_SECONDS", -1.0)  # later
    at.run()
    (script,) = [str(h.proto.body) for h in at.get("html") if "__mcwgCellTracker" in h.proto.body]
    assert "const restore = 0;" in script, "a plain rerun leaves the keyboard where it is"
