"""The survey grid's data mapping and change tracking, without a browser."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from mcwg_dashboard.checklist import load_checklist
from mcwg_dashboard.ui.survey_form import Baseline
from mcwg_dashboard.ui.survey_grid import edited_values, grid_frame, pending_changes, unsaved_summary

CHECKLIST = load_checklist()
KOS = next(s for s in CHECKLIST.sets if s.code == "KOS")


def _baseline(**saved: Any) -> Baseline:
    empty = {"status": "UNK", "note": "", "evidence_url": "", "target_date": None, "stage": "", "regions": ""}
    baseline: Baseline = {e: {**empty, "version": 0} for e in CHECKLIST.elements}
    for element_id, values in saved.items():
        baseline[element_id] = {**empty, "version": 3, **values}
    return baseline


def _frame(baseline: Baseline, proposed: set[str] | None = None) -> pd.DataFrame:
    return grid_frame(
        CHECKLIST,
        KOS,
        baseline,
        proposed=proposed or set(),
        applies={},
        last_round={"KOS-01": "✔ Implemented"},
        flags={},
    )


def _edit(frame: pd.DataFrame, changes: dict[str, dict[str, object]]) -> dict[str, Any]:
    positions = {element_id: i for i, element_id in enumerate(frame.index)}
    return {
        "edited_rows": {positions[e]: values for e, values in changes.items()},
        "added_rows": [],
        "deleted_rows": [],
    }


def test_rows_hold_saved_values_with_labels_last_round_and_flags() -> None:
    baseline = _baseline(**{"KOS-07": {"status": "VAR", "note": "MADO rule", "target_date": None}})
    frame = _frame(baseline, proposed={"KOS-02"})
    assert list(frame.index) == [e.id for e in KOS.elements]
    assert frame.at["KOS-07", "Status"] == "Implemented – variant" and frame.at["KOS-07", "Note"] == "MADO rule"
    assert frame.at["KOS-02", "Status"] == "Not applicable"
    assert "proposed from your profile" in str(frame.at["KOS-02", "Flags"])
    assert frame.at["KOS-01", "Last round"] == "✔ Implemented"
    assert "not scored" in str(frame.at["KOS-22", "Flags"])


def test_no_edits_no_changes_but_proposals_are_pending_until_saved() -> None:
    baseline = _baseline()
    frame = _frame(baseline, proposed={"KOS-02"})
    pending = pending_changes(CHECKLIST, baseline, edited_values(frame, None))
    assert [a.element_id for a in pending.answers] == ["KOS-02"]
    assert pending.answers[0].status == "NA"


def test_pasted_labels_codes_and_glyphs_all_read_as_statuses() -> None:
    baseline = _baseline()
    frame = _frame(baseline)
    cells = edited_values(
        frame,
        _edit(
            frame,
            {
                "KOS-01": {"Status": "Implemented"},
                "KOS-02": {"Status": "IMPL"},
                "KOS-03": {"Status": "✔ Implemented"},
                "KOS-04": {"Status": "implemented - variant", "Note": "x"},
            },
        ),
    )
    pending = pending_changes(CHECKLIST, baseline, cells)
    assert {a.element_id: a.status for a in pending.answers} == {
        "KOS-01": "IMPL",
        "KOS-02": "IMPL",
        "KOS-03": "IMPL",
        "KOS-04": "VAR",
    }


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"Status": "Done"}, "'Done' is not on the answer scale"),
        ({"Status": "Planned", "Target date": "next spring"}, "'next spring' is not a date"),
        ({"Status": "Planned", "Target date": "9999-12-31"}, "outside the accepted dates"),
        ({"Status": "Implemented", "Evidence URL": "example.org/x"}, "evidence url"),
    ],
)
def test_bad_cells_are_refused_on_their_row(changes: dict[str, object], words: str) -> None:
    baseline = _baseline()
    frame = _frame(baseline)
    pending = pending_changes(CHECKLIST, baseline, edited_values(frame, _edit(frame, {"KOS-05": changes})))
    assert list(pending.problems) == ["KOS-05"]
    assert any(words in problem for problem in pending.problems["KOS-05"]), pending.problems
    assert not pending.answers


def test_a_status_change_clears_the_old_target_date_and_note_unless_kept() -> None:
    baseline = _baseline(**{"KOS-08": {"status": "PLAN", "target_date": dt.date(2027, 6, 30), "note": "budget 2027"}})
    frame = _frame(baseline)
    assert frame.at["KOS-08", "Target date"] == "2027-06-30"
    pending = pending_changes(CHECKLIST, baseline, edited_values(frame, _edit(frame, {"KOS-08": {"Status": "IMPL"}})))
    (answer,) = pending.answers
    assert (answer.status, answer.target_date, answer.note, answer.expected_version) == ("IMPL", None, "", 3)
    assert any("target date is cleared" in n for n in pending.notices["KOS-08"])
    kept = pending_changes(
        CHECKLIST, baseline, edited_values(frame, _edit(frame, {"KOS-08": {"Status": "IMPL", "Keep": True}}))
    )
    assert (kept.answers[0].target_date, kept.answers[0].note) == (dt.date(2027, 6, 30), "budget 2027")


def test_an_old_note_never_satisfies_the_rule_of_a_new_status_unseen() -> None:
    baseline = _baseline(**{"KOS-09": {"status": "PART", "note": "two regions"}})
    frame = _frame(baseline)
    pending = pending_changes(CHECKLIST, baseline, edited_values(frame, _edit(frame, {"KOS-09": {"Status": "VAR"}})))
    # The note is cleared, so the service's rule (a note for a variant) then asks for one.
    assert pending.answers[0].note == ""
    rewritten = pending_changes(
        CHECKLIST,
        baseline,
        edited_values(frame, _edit(frame, {"KOS-09": {"Status": "VAR", "Note": "MADO accession rule"}})),
    )
    assert rewritten.answers[0].note == "MADO accession rule" and not rewritten.notices


def test_unsaved_summary_counts_per_set_in_checklist_order() -> None:
    assert unsaved_summary(CHECKLIST, ["KOS-01", "META-02", "KOS-07", "KOS-09"]) == "1 unsaved change in META, 3 in KOS"
    assert unsaved_summary(CHECKLIST, ["META-02"]) == "1 unsaved change in META"
    assert unsaved_summary(CHECKLIST, []) == ""
