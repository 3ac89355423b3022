"""Pure helpers behind the survey form: what the form started from, and what the user changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from mcwg_dashboard.checklist import Checklist
from mcwg_dashboard.models import Answer
from mcwg_dashboard.services.surveys import AnswerInput

FIELDS = ("status", "note", "evidence_url", "target_date", "stage", "regions")
# element ID -> the saved values the form started from, plus the answer's version (0: none saved yet)
Baseline = dict[str, dict[str, Any]]


def widget_key(scope: str, element_id: str, field: str) -> str:
    return f"answer:{scope}:{element_id}:{field}"


def baseline_from_answers(checklist: Checklist, answers: dict[str, Answer]) -> Baseline:
    default = checklist.scale.default.code
    baseline: Baseline = {}
    for element_id in checklist.elements:
        answer = answers.get(element_id)
        if answer is None:
            baseline[element_id] = {
                "status": default,
                "note": "",
                "evidence_url": "",
                "target_date": None,
                "stage": "",
                "regions": "",
                "version": 0,
            }
        else:
            baseline[element_id] = {
                "status": answer.status,
                "note": answer.note,
                "evidence_url": answer.evidence_url,
                # A date outside the window (stored before dates were checked) is shown as stored; saving the row
                # again asks for a valid one (ui/survey_grid.py).
                "target_date": answer.target_date,
                "stage": answer.stage,
                "regions": answer.regions,
                "version": answer.version,
            }
    return baseline


NOT_APPLICABLE = "NA"


def proposed_not_applicable(checklist: Checklist, baseline: Baseline, applies: dict[str, bool]) -> set[str]:
    """Elements still unanswered that the member's profile makes irrelevant: the form proposes Not applicable for
    them, and saving confirms it."""
    default = checklist.scale.default.code
    return {
        element_id
        for element_id, values in baseline.items()
        if values["version"] == 0 and values["status"] == default and not applies.get(element_id, True)
    }


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    target = values.get("target_date")
    if isinstance(target, dt.datetime):
        target = target.date()
    return {
        "status": values.get("status"),
        "note": (values.get("note") or "").strip(),
        "evidence_url": (values.get("evidence_url") or "").strip(),
        "target_date": target,
        "stage": values.get("stage") or "",
        "regions": (values.get("regions") or "").strip(),
    }


def changed_answers(
    baseline: Baseline, current: dict[str, dict[str, Any]]
) -> tuple[list[AnswerInput], dict[str, list[str]]]:
    """The answers whose form values differ from the baseline, and per-element input problems."""
    inputs: list[AnswerInput] = []
    problems: dict[str, list[str]] = {}
    for element_id, values in current.items():
        before = _normalise(baseline[element_id])
        after = _normalise(values)
        if after == before:
            continue
        try:
            inputs.append(AnswerInput(element_id=element_id, expected_version=baseline[element_id]["version"], **after))
        except ValidationError as exc:
            problems[element_id] = [_field_message(error["loc"], error["msg"]) for error in exc.errors()]
    return inputs, problems


def _field_message(loc: tuple[int | str, ...], message: str) -> str:
    field = ".".join(str(part) for part in loc).replace("_", " ")
    return f"{field.capitalize()} {message.removeprefix('Value error, ')}."
