"""The survey grid without a browser: rows of one recommendation set for `st.data_editor`, the edits read back, and
what a save would send. Plain Python (no streamlit), tested with pytest.

A grid shows one set; the page keeps one editor per set, so edits in every set stay until saved. Status cells hold
the plain label ("Implemented"), as the survey workbook's drop-down does, and are drawn with their glyph
(`status_display`): the grid accepts a pasted cell only when it equals an option, so a column pasted from the
workbook or typed in Excel lands as it is. A label, code or glyph-and-label read back parses the same. Target
dates are typed as text (YYYY-MM-DD), so a pasted "next spring" is refused on its row rather than dropped by a date
picker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import ValidationError

from mcwg_dashboard.checklist import Checklist, RecommendationSet, Requirement
from mcwg_dashboard.services import dates
from mcwg_dashboard.services.surveys import STAGE_LABELS, AnswerInput
from mcwg_dashboard.ui.survey_form import Baseline

EDITABLE = ["Status", "Note", "Evidence URL", "Target date", "Stage", "Regions", "Keep"]
STAGE_BY_LABEL = {label: code for code, label in STAGE_LABELS.items()}


@dataclass
class Pending:
    """What a save would send, and what stops it: per element, problems (nothing is saved while any) and notices
    (old notes or target dates the save clears because the status changed)."""

    answers: list[AnswerInput] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)
    notices: dict[str, list[str]] = field(default_factory=dict)

    @property
    def element_ids(self) -> list[str]:
        return sorted({a.element_id for a in self.answers} | set(self.problems))


def grid_frame(
    checklist: Checklist,
    rec_set: RecommendationSet,
    baseline: Baseline,
    *,
    proposed: set[str],
    applies: dict[str, bool],
    last_round: dict[str, str],
    flags: dict[str, list[str]],
) -> pd.DataFrame:
    """The editor's input for one set: one row per element, element ID as index. Built from saved values (plus the
    profile's Not applicable proposals); never rebuilt from the editor's output while the user edits."""
    scale = checklist.scale
    rows = []
    for element in rec_set.elements:
        values = baseline[element.id]
        status = "NA" if element.id in proposed else values["status"]
        notes = list(flags.get(element.id, []))
        if element.id in proposed:
            notes.append("Not applicable proposed from your profile")
        elif not applies.get(element.id, True):
            notes.append("does not apply to your profile")
        if element.is_watch:
            notes.append("MADO alignment, not scored")
        rows.append(
            {
                "Element": element.id,
                "Title": element.title,
                "Status": scale.get(status).label,
                "Note": values["note"],
                "Evidence URL": values["evidence_url"],
                "Target date": values["target_date"].isoformat() if values["target_date"] else "",
                "Stage": STAGE_LABELS[values["stage"]],
                "Regions": values["regions"],
                "Keep": False,
                "Last round": last_round.get(element.id, ""),
                "Flags": " · ".join(notes),
            }
        )
    return pd.DataFrame(rows).set_index("Element")


def status_options(checklist: Checklist) -> list[str]:
    """The Status column's options: the scale's plain labels, in scale order."""
    return [status.label for status in checklist.scale.statuses]


def status_display(checklist: Checklist, label: str) -> str:
    """How a Status option is drawn: glyph and label, so status never rests on colour."""
    status = checklist.scale.parse(label)
    return status.display if status is not None else label


def edited_values(frame: pd.DataFrame, editor_state: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Each row's cells after the user's edits (`st.data_editor` state: edited_rows by row position)."""
    cells = {
        str(element_id): {column: frame.at[element_id, column] for column in EDITABLE} for element_id in frame.index
    }
    for position, changes in ((editor_state or {}).get("edited_rows") or {}).items():
        element_id = str(frame.index[int(position)])
        for column, value in changes.items():
            if column in EDITABLE:
                cells[element_id][column] = value
    return cells


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _date(text: str) -> dt.date | None:
    """A target date from the cell, or ValueError with words a person understands."""
    if not text:
        return None
    try:
        value = dt.date.fromisoformat(text[:10]) if len(text) >= 10 else dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2027-06-30.") from None
    if not dates.in_window(value):
        raise ValueError(f"{value} is outside the accepted dates ({dates.WINDOW}).")
    return value


def pending_changes(checklist: Checklist, baseline: Baseline, cells: dict[str, dict[str, Any]]) -> Pending:
    """The answers that differ from what is saved, checked as the service would, with the stale-field rule:
    after a status change, a note or target date left as it was is cleared on save unless "Keep" is ticked, so an
    old note never satisfies the rule of a new status unseen."""
    scale = checklist.scale
    pending = Pending()
    for element_id, values in cells.items():
        saved = baseline[element_id]
        problems: list[str] = []
        label = _text(values["Status"])
        status = scale.parse(label)
        if status is None:
            problems.append(
                f"status: {label!r} is not on the answer scale ({', '.join(s.label for s in scale.statuses)})."
            )
        try:
            target = _date(_text(values["Target date"]))
        except ValueError as exc:
            problems.append(f"target date: {exc}")
            target = saved["target_date"]
        stage = STAGE_BY_LABEL.get(_text(values["Stage"]), _text(values["Stage"]))
        current = {
            "status": status.code if status else saved["status"],
            "note": _text(values["Note"]),
            "evidence_url": _text(values["Evidence URL"]),
            "target_date": target,
            "stage": stage,
            "regions": _text(values["Regions"]),
        }
        before = {key: saved[key] for key in current}
        if current == before and not problems:
            continue
        notices: list[str] = []
        if status is not None and status.code != saved["status"] and not bool(values.get("Keep")):
            if current["note"] and current["note"] == saved["note"]:
                current["note"] = ""
                notices.append("the old note is cleared: it was written for another status (tick Keep to keep it).")
            unchanged_date = current["target_date"] and current["target_date"] == saved["target_date"]
            if unchanged_date and Requirement.TARGET_DATE not in status.requires:
                current["target_date"] = None
                notices.append(f"the target date is cleared: “{status.label}” has none (tick Keep to keep it).")
        if problems:
            pending.problems[element_id] = problems
            continue
        try:
            pending.answers.append(AnswerInput(element_id=element_id, expected_version=saved["version"], **current))
        except ValidationError as exc:
            pending.problems[element_id] = [_field_problem(error) for error in exc.errors()]
        if notices:
            pending.notices[element_id] = notices
    return pending


def _field_problem(error: Any) -> str:
    field_name = ".".join(str(part) for part in error["loc"]).replace("_", " ")
    return f"{field_name}: {str(error['msg']).removeprefix('Value error, ')}."


def unsaved_summary(checklist: Checklist, element_ids: list[str]) -> str:
    """ "3 unsaved changes in KOS, 1 in META" (checklist order), or "" when there are none."""
    counts = {s.code: sum(1 for e in element_ids if e.split("-")[0] == s.code) for s in checklist.asked_sets}
    parts = [(code, n) for code, n in counts.items() if n]
    if not parts:
        return ""
    first_code, first_count = parts[0]
    text = f"{first_count} unsaved change{'s' if first_count != 1 else ''} in {first_code}"
    return ", ".join([text, *(f"{n} in {code}" for code, n in parts[1:])])
