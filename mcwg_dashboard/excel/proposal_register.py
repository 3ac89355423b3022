"""The change-proposal register as an Excel workbook: export it, edit or add proposals offline, import it back.

Sheets: Instructions; Proposals (one row per proposal; Number, State and the focus group's columns are
read-only, the text columns editable, an empty Number adds a proposal); History (every event, read-only);
and a very hidden meta sheet with the format marker and, per proposal, the version it had at export.

An upload passes the same file checks as a survey workbook (safety.check_upload), then every row is checked
and all errors are listed at once with sheet, row and column. Only apply_register_import writes, through
services.proposals.import_register: the focus group's rights, one transaction, audit, and the versions
from meta so that a proposal changed in the app since the export is never overwritten. State changes are
not imported: they go through the workflow on the proposal's page.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from pydantic import ValidationError
from sqlmodel import Session

from mcwg_dashboard.excel.safety import UploadRejected, check_upload
from mcwg_dashboard.excel.survey_workbook import _cell_text, _put_text, _where
from mcwg_dashboard.models import utcnow
from mcwg_dashboard.services import proposals
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.errors import ValidationFailed, plain_message
from mcwg_dashboard.services.proposals import (
    NUMBER_PATTERN,
    ProposalInput,
    RegisterRow,
    illustrative,
    illustrative_summary,
    require_member,
)

FORMAT_MARKER = "mcwg-proposal-register"
FORMAT_VERSION = 1
EXPORT_HINT = (
    "Export a fresh register from the Change proposals page or with `python -m mcwg_dashboard export-proposals`."
)
INSTRUCTIONS_SHEET = "Instructions"
PROPOSALS_SHEET = "Proposals"
HISTORY_SHEET = "History"
META_SHEET = "meta"
MAX_ROWS = 2000
NEW_ROWS = 200

COL_NUMBER = "Number"
COL_TITLE = "Title"
COL_STATE = "State"
COL_SET = "Set"
COL_ELEMENTS = "Elements"
COL_COUNTRY = "Country"
COL_SUBMITTER = "Submitter"
COL_PROBLEM = "Problem"
COL_CHANGE = "Proposed change"
COL_RATIONALE = "Rationale"
COL_FOCUS_GROUP = "Focus group"
COL_REASON = "Decision reason"
COL_EXTERNAL = "External body and reference"
COL_EXTERNAL_STATUS = "External status"
COL_SUBMITTED = "Submitted"
COL_DEMO = "Demo"
# Which values of a demo proposal are made up; read-only, and not required in an upload (exports before it lack it).
COL_ILLUSTRATIVE = "Illustrative"
COLUMNS = (
    COL_NUMBER,
    COL_TITLE,
    COL_STATE,
    COL_SET,
    COL_ELEMENTS,
    COL_COUNTRY,
    COL_SUBMITTER,
    COL_PROBLEM,
    COL_CHANGE,
    COL_RATIONALE,
    COL_FOCUS_GROUP,
    COL_REASON,
    COL_EXTERNAL,
    COL_EXTERNAL_STATUS,
    COL_SUBMITTED,
    COL_DEMO,
    COL_ILLUSTRATIVE,
)
OPTIONAL_COLUMNS = (COL_ILLUSTRATIVE,)
EDITABLE = (COL_TITLE, COL_SET, COL_ELEMENTS, COL_COUNTRY, COL_SUBMITTER, COL_PROBLEM, COL_CHANGE, COL_RATIONALE)
# Which column an input field comes from, to name it in messages.
FIELD_COLUMNS = {
    "title": COL_TITLE,
    "set_code": COL_SET,
    "element_ids": COL_ELEMENTS,
    "country_code": COL_COUNTRY,
    "submitter_name": COL_SUBMITTER,
    "problem": COL_PROBLEM,
    "proposed_change": COL_CHANGE,
    "rationale": COL_RATIONALE,
}
_WIDTHS = {COL_TITLE: 40, COL_ELEMENTS: 18, COL_PROBLEM: 50, COL_CHANGE: 50, COL_RATIONALE: 40, COL_REASON: 40}
_HEADER_FILL = PatternFill("solid", start_color="DDE5EE")
_EDITABLE_FILL = PatternFill("solid", start_color="FFF9E0")


# --------------------------------------------------------------------------------------------- export


def export_register(session: Session, *, actor: Actor) -> bytes:
    """The whole register (members and up), with its history and the versions for a safe re-import."""
    actor = require_member(session, actor)
    frame = proposals.proposal_frame(session)
    book = openpyxl.Workbook()
    intro = book.active
    assert intro is not None
    intro.title = INSTRUCTIONS_SHEET
    lines = [
        "MCWG change-proposal register",
        f"Exported {utcnow():%Y-%m-%d %H:%M} UTC.",
        "",
        "Proposals: edit the yellow columns; add a proposal on a new row with an empty Number.",
        "Elements: element IDs of one recommendation set, separated by commas (e.g. KOS-16, KOS-15).",
        "Country: a member code (e.g. FR, CA-QC) or empty.",
        "Number, State and the focus group's columns are not imported: states change on the proposal's page.",
        "Only the focus group (admin) imports the register; every row is checked before anything is saved.",
        "Rows marked Demo are examples (demo data). Values marked (illustrative) are made up: the column "
        "Illustrative names them.",
    ]
    for index, line in enumerate(lines, start=1):
        _put_text(intro.cell(row=index, column=1), line)
    intro.column_dimensions["A"].width = 110
    intro["A1"].font = Font(bold=True, size=14)

    sheet = book.create_sheet(PROPOSALS_SHEET)
    for column, name in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        sheet.column_dimensions[get_column_letter(column)].width = _WIDTHS.get(name, 14)
    for row_index, row in enumerate(frame.to_dict("records"), start=2):
        made_up = row["illustrative_fields"]
        # Editable cells (the submitter) stay as stored, so a re-import sees no change; the column names them.
        values = {
            COL_NUMBER: row["number"],
            COL_TITLE: row["title"],
            COL_STATE: row["state_label"],
            COL_SET: row["set_code"],
            COL_ELEMENTS: ", ".join(row["element_ids"]),
            COL_COUNTRY: row["country_code"],
            COL_SUBMITTER: row["submitter_name"],
            COL_PROBLEM: row["problem"],
            COL_CHANGE: row["proposed_change"],
            COL_RATIONALE: row["rationale"],
            COL_FOCUS_GROUP: illustrative(row["focus_group"], "focus_group", made_up) if row["focus_group"] else "",
            COL_REASON: illustrative(row["decision_reason"], "decision_reason", made_up)
            if row["decision_reason"]
            else "",
            COL_EXTERNAL: f"{row['external_body']} {row['external_reference']}".strip(),
            COL_EXTERNAL_STATUS: illustrative(row["external_status"], "external_status", made_up)
            if row["external_status"]
            else "",
            COL_SUBMITTED: illustrative(f"{row['submitted_at']:%Y-%m-%d}", "submitted_at", made_up),
            COL_DEMO: "demo" if row["is_demo"] else "",
            COL_ILLUSTRATIVE: illustrative_summary(made_up),
        }
        for column, name in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row_index, column=column)
            _put_text(cell, str(values[name]))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if name in EDITABLE:
                cell.fill = _EDITABLE_FILL
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(1, len(frame) + 1)}"

    history = book.create_sheet(HISTORY_SHEET)
    for column, name in enumerate(["Number", "When (UTC)", "Who", "What", "From", "To", "Comment"], start=1):
        cell = history.cell(row=1, column=column, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    numbers = dict(zip(frame["id"], frame["number"], strict=True))
    dates_made_up = {i for i, f in zip(frame["id"], frame["illustrative_fields"], strict=True) if "history_dates" in f}
    events = proposals.proposal_events(session)  # every proposal's history in one query
    events = events.assign(number=events["proposal_id"].map(numbers)).sort_values(["number", "at"], kind="stable")
    for history_row, event in enumerate(events.to_dict("records"), start=2):
        cells = [
            event["number"],
            illustrative(f"{event['at']:%Y-%m-%d %H:%M}", "history_dates", ["history_dates"])
            if event["proposal_id"] in dates_made_up
            else f"{event['at']:%Y-%m-%d %H:%M}",
            event["actor"],
            event["kind"],
            event["from_state"],
            event["to_state"],
            event["comment"],
        ]
        for column, value in enumerate(cells, start=1):
            _put_text(history.cell(row=history_row, column=column), str(value))
    history.column_dimensions["G"].width = 80

    meta = book.create_sheet(META_SHEET)
    meta.append(["format", FORMAT_MARKER])
    meta.append(["format_version", FORMAT_VERSION])
    meta.append(["Number", "Version"])
    for row in frame.to_dict("records"):
        meta.append([row["number"], int(row["version"])])
    meta.sheet_state = "veryHidden"
    for protected in (sheet, history):
        protected.protection.sheet = True
        protected.protection.autoFilter = False
        protected.protection.sort = False
    # Rows below the register stay open for new proposals (the sheet is protected otherwise).
    for row_cells in sheet.iter_rows(min_row=2, max_row=len(frame) + 1 + NEW_ROWS, max_col=len(COLUMNS)):
        for cell in row_cells:
            if COLUMNS[cell.column - 1] in EDITABLE or cell.row > len(frame) + 1:
                cell.protection = Protection(locked=COLUMNS[cell.column - 1] not in EDITABLE)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------- import


@dataclass
class RegisterChange:
    """One row that changes the register: a new proposal, or the fields an edit changes (old -> new)."""

    row: int
    number: str
    is_new: bool
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class RegisterPlan:
    errors: list[str] = field(default_factory=list)
    changes: list[RegisterChange] = field(default_factory=list)
    rows: list[RegisterRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _read_versions(book: Any, errors: list[str]) -> dict[str, int] | None:
    if META_SHEET not in book.sheetnames or PROPOSALS_SHEET not in book.sheetnames:
        errors.append(f"This is not a proposal register from the dashboard (sheet '{META_SHEET}' or "
                      f"'{PROPOSALS_SHEET}' is missing). {EXPORT_HINT}")  # fmt: skip
        return None
    meta = book[META_SHEET]
    rows = list(meta.iter_rows(min_row=1, max_col=2, values_only=True))
    if len(rows) < 3 or rows[0] != ("format", FORMAT_MARKER):
        errors.append(f"{META_SHEET}, row 1: the format marker {FORMAT_MARKER!r} is missing. {EXPORT_HINT}")
        return None
    if rows[1][1] != FORMAT_VERSION:
        errors.append(f"{META_SHEET}, row 2: register format {rows[1][1]!r} is not supported. {EXPORT_HINT}")
        return None
    versions: dict[str, int] = {}
    for index, (number, version) in enumerate(rows[3:], start=4):
        if number is None and version is None:
            continue
        if not isinstance(number, str) or not isinstance(version, int) or isinstance(version, bool):
            errors.append(f"{META_SHEET}, row {index}: the version of {number!r} is not readable. {EXPORT_HINT}")
            continue
        versions[number] = version
    return versions


def plan_register_import(session: Session, *, actor: Actor, data: bytes, filename: str) -> RegisterPlan:
    """Check an uploaded register and list what it would change; writes nothing."""
    actor = require_admin(session, actor)
    plan = RegisterPlan()
    try:
        check_upload(data, filename=filename)
    except UploadRejected as exc:
        plan.errors.append(str(exc))
        return plan
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # any reader failure means a file the user must replace
        plan.errors.append(f"{filename!r} cannot be read as a workbook ({type(exc).__name__}). {EXPORT_HINT}")
        return plan
    versions = _read_versions(book, plan.errors)
    if versions is None:
        return plan
    sheet = book[PROPOSALS_SHEET]
    header = [str(c.value or "").strip() for c in next(sheet.iter_rows(min_row=1, max_row=1))]
    missing = [name for name in COLUMNS if name not in header and name not in OPTIONAL_COLUMNS]
    if missing:
        plan.errors.append(f"{PROPOSALS_SHEET}, row 1: column(s) {', '.join(missing)} missing. {EXPORT_HINT}")
        return plan
    if sheet.max_row > MAX_ROWS + 1:
        plan.errors.append(f"{PROPOSALS_SHEET}: {sheet.max_row - 1} rows; at most {MAX_ROWS} proposals.")
        return plan
    read = [name for name in COLUMNS if name not in OPTIONAL_COLUMNS]
    position = {name: header.index(name) for name in read}
    existing = proposals.proposal_frame(session).set_index("number")
    seen: set[str] = set()
    for cells in sheet.iter_rows(min_row=2, max_col=len(header)):
        row = cells[0].row
        texts: dict[str, str] = {}
        readable = True
        for name in read:
            value = _cell_text(cells[position[name]], _where(PROPOSALS_SHEET, row, name), plan.errors)
            readable &= value is not None
            texts[name] = (value or "").strip()
        if not readable or not any(texts[name] for name in (COL_NUMBER, *EDITABLE)):
            continue
        _plan_row(session, actor, plan, row, texts, existing, versions, seen)
    if not plan.errors and not plan.changes:
        plan.errors.append(f"{PROPOSALS_SHEET}: nothing to import: no row differs from the register.")
    if plan.errors:
        plan.changes.clear()
        plan.rows.clear()
    return plan


def _plan_row(
    session: Session,
    actor: Actor,
    plan: RegisterPlan,
    row: int,
    texts: dict[str, str],
    existing: Any,
    versions: dict[str, int],
    seen: set[str],
) -> None:
    number = texts[COL_NUMBER].upper()
    if number:
        if number in seen:
            plan.errors.append(f"{_where(PROPOSALS_SHEET, row, COL_NUMBER)}: {number} appears twice.")
            return
        seen.add(number)
        if not NUMBER_PATTERN.match(number):
            plan.errors.append(
                f"{_where(PROPOSALS_SHEET, row, COL_NUMBER)}: {number!r} is not a proposal number "
                "(CP-2026-001); leave it empty for a new proposal."
            )
            return
    raw = {
        "title": texts[COL_TITLE],
        "submitter_name": texts[COL_SUBMITTER],
        "country_code": texts[COL_COUNTRY] or None,
        "set_code": texts[COL_SET].upper(),
        "element_ids": [e for e in re.split(r"[,;\s]+", texts[COL_ELEMENTS]) if e],
        "problem": texts[COL_PROBLEM],
        "proposed_change": texts[COL_CHANGE],
        "rationale": texts[COL_RATIONALE],
    }
    try:
        data = ProposalInput.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            column = FIELD_COLUMNS.get(str(error["loc"][0]), str(error["loc"][0]))
            plan.errors.append(f"{_where(PROPOSALS_SHEET, row, column)}: {plain_message(error)}.")
        return
    try:
        proposals.check_proposal_input(session, actor, data)
    except ValidationFailed as exc:
        for key, messages in exc.problems.items():
            for message in messages:
                plan.errors.append(f"{_where(PROPOSALS_SHEET, row, FIELD_COLUMNS.get(key, key))}: {message}")
        return
    if number and number in existing.index:
        current = existing.loc[number]
        if str(current["state"]) in {s.value for s in proposals.TERMINAL_STATES}:
            if _differences(session, int(current["id"]), data):
                plan.errors.append(
                    f"{_where(PROPOSALS_SHEET, row, COL_NUMBER)}: {number} is {current['state']} and can no longer "
                    "be edited; undo the changes on this row."
                )
            return
        changes = _differences(session, int(current["id"]), data)
        if not changes:
            return
        exported = versions.get(number)
        if exported is None:
            plan.errors.append(f"{_where(PROPOSALS_SHEET, row, COL_NUMBER)}: {number} is not in this export's meta "
                               f"sheet. {EXPORT_HINT}")  # fmt: skip
            return
        if exported != int(current["version"]):
            plan.errors.append(
                f"{_where(PROPOSALS_SHEET, row, COL_NUMBER)}: {number} was changed in the app since this register "
                f"was exported (version {exported}, now {int(current['version'])}). {EXPORT_HINT}"
            )
            return
        plan.changes.append(RegisterChange(row=row, number=number, is_new=False, changes=changes))
        plan.rows.append(RegisterRow(data=data, proposal_id=int(current["id"]), expected_version=exported))
    else:
        same_title = existing.index[existing["title"].str.casefold() == data.title.casefold()] if len(existing) else []
        if not number and len(same_title):
            plan.errors.append(
                f"{_where(PROPOSALS_SHEET, row, COL_TITLE)}: a proposal with this title is already in the register "
                f"({same_title[0]}); was this file imported before? Give the row its number, or change the title."
            )
            return
        label = number or "new"
        plan.changes.append(RegisterChange(row=row, number=label, is_new=True))
        plan.rows.append(RegisterRow(data=data, number=number or None))


def _differences(session: Session, proposal_id: int, data: ProposalInput) -> dict[str, tuple[str, str]]:
    proposal = proposals.get_proposal(session, proposal_id)
    old = {
        COL_TITLE: proposal.title,
        COL_SUBMITTER: proposal.submitter_name,
        COL_COUNTRY: proposal.country_code or "",
        COL_SET: proposal.set_code,
        COL_ELEMENTS: ", ".join(proposals.elements_of(session, proposal_id)),
        COL_PROBLEM: proposal.problem,
        COL_CHANGE: proposal.proposed_change,
        COL_RATIONALE: proposal.rationale,
    }
    new = {
        COL_TITLE: data.title,
        COL_SUBMITTER: data.submitter_name or proposal.submitter_name,
        COL_COUNTRY: data.country_code or "",
        COL_SET: data.set_code,
        COL_ELEMENTS: ", ".join(sorted(data.element_ids)),
        COL_PROBLEM: data.problem,
        COL_CHANGE: data.proposed_change,
        COL_RATIONALE: data.rationale,
    }
    return {name: (old[name], new[name]) for name in old if old[name].strip() != new[name].strip()}


def format_register_plan(plan: RegisterPlan) -> str:
    if plan.errors:
        return "\n".join(plan.errors)
    lines = []
    for change in plan.changes:
        if change.is_new:
            lines.append(f"row {change.row}: new proposal" + (f" {change.number}" if change.number != "new" else ""))
        else:
            fields = "; ".join(f"{k}: {_short(a)!r} -> {_short(b)!r}" for k, (a, b) in change.changes.items())
            lines.append(f"row {change.row}: {change.number}: {fields}")
    return "\n".join(lines)


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def apply_register_import(session: Session, *, actor: Actor, plan: RegisterPlan) -> list[str]:
    """Write a checked plan in one transaction; returns the proposal numbers written."""
    if not plan.ok:
        raise ValidationFailed({"workbook": plan.errors}, summary="Nothing was imported.")
    return proposals.import_register(session, actor=actor, rows=plan.rows)
