"""A country's survey as an Excel workbook: download pre-filled, fill in offline, upload, preview, apply.

The workbook has an Instructions sheet, an Answers sheet (one row per element; only Status, Note,
Evidence URL, Target date, Stage and Regions covered are editable; read-only columns show the metadata level,
whether the element applies to the member's deployment profile and a proposed Not applicable where it does not),
a Profile sheet (the deployment profile: one yes/no row per architecture, transaction stack and manifest
repository, then scope, regions and a note) and two very hidden sheets: Lists (the drop-downs) and meta (format
marker, country, round, checklist version, export time, the profile's version and fingerprint, and for every
element the answer version and a fingerprint of the values it had at export).

An upload is checked as a file first (safety.check_upload), then read into a ParsedWorkbook, then
compared with the database into an ImportPlan: every error at once, with sheet, row and column. Only
apply_survey_import writes, through services.surveys.save_answers (permission, rules, optimistic
versions, audit) and, for a changed profile, services.profiles.save_profile, both inside one transaction.

Conflicts: an element is in conflict when its answer changed in the database since the export (its
version differs from the one in meta) and the workbook changed it too (its values differ from the
fingerprint in meta and from the database). Rows the user did not touch never overwrite newer database
answers. The profile is one more such item, keyed PROFILE_KEY in the resolutions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError
from sqlmodel import Session, select

from mcwg_dashboard.checklist import ARCHITECTURES, STACKS, AnswerScale, Checklist, Requirement, rule_violations
from mcwg_dashboard.excel.safety import UploadRejected, check_upload
from mcwg_dashboard.exports import FORMULA_TRIGGERS
from mcwg_dashboard.models import (
    Answer,
    ChecklistVersion,
    Country,
    DeploymentProfile,
    RoundState,
    SurveyRound,
    SurveyState,
    utcnow,
)
from mcwg_dashboard.services.actors import Actor, require_country_editor
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.errors import InvalidState, NotFound, ValidationFailed
from mcwg_dashboard.services.profiles import (
    FIELD_LABELS,
    REPOSITORIES,
    ProfileInput,
    codes,
    get_profile,
    parse_profile,
    profile_values,
    save_profile,
)
from mcwg_dashboard.services.surveys import (
    STAGE_LABELS,
    AnswerInput,
    applicability,
    find_survey,
    get_round,
    load_answers,
    open_survey,
    save_answers,
)
from mcwg_dashboard.services.transaction import transaction

FORMAT_MARKER = "mcwg-survey-workbook"
FORMAT_VERSION = 2
EXPORT_COMMAND = "python -m mcwg_dashboard export-survey"
FRESH_WORKBOOK = f"Download a fresh workbook from the survey page or with `{EXPORT_COMMAND}`."

INSTRUCTIONS_SHEET = "Instructions"
ANSWERS_SHEET = "Answers"
PROFILE_SHEET = "Profile"
META_SHEET = "meta"
LISTS_SHEET = "Lists"

COL_ID = "Element ID"
COL_SET = "Set"
COL_TITLE = "Title"
COL_EXPLANATION = "Explanation"
COL_LEVEL = "Metadata level"
COL_APPLIES = "Applies to your profile"
COL_PROPOSED = "From your profile"
COL_STATUS = "Status"
COL_NOTE = "Note"
COL_URL = "Evidence URL"
COL_DATE = "Target date"
COL_STAGE = "Stage"
COL_REGIONS = "Regions covered"
COLUMNS = (
    COL_ID,
    COL_SET,
    COL_TITLE,
    COL_EXPLANATION,
    COL_LEVEL,
    COL_APPLIES,
    COL_PROPOSED,
    COL_STATUS,
    COL_NOTE,
    COL_URL,
    COL_DATE,
    COL_STAGE,
    COL_REGIONS,
)
EDITABLE_COLUMNS = (COL_STATUS, COL_NOTE, COL_URL, COL_DATE, COL_STAGE, COL_REGIONS)
_WIDTHS = {
    COL_ID: 11,
    COL_SET: 7,
    COL_TITLE: 34,
    COL_EXPLANATION: 70,
    COL_LEVEL: 11,
    COL_APPLIES: 10,
    COL_PROPOSED: 18,
    COL_STATUS: 24,
    COL_NOTE: 44,
    COL_URL: 36,
    COL_DATE: 13,
    COL_STAGE: 20,
    COL_REGIONS: 24,
}
PROPOSED_MARK = "proposed from your profile: confirm"
"""Shown next to a Not applicable the export pre-filled because the element does not apply to the profile."""
_INDEX = {name: position + 1 for position, name in enumerate(COLUMNS)}

# meta sheet: key/value rows, then a table of elements.
_META_KEYS = (
    "format",
    "format_version",
    "country",
    "round_id",
    "round_name",
    "checklist_version",
    "exported_at",
    "profile_version",
    "profile_fingerprint",
)
_META_TABLE_HEADER = (COL_ID, "Answer version", "Fingerprint")

MAX_ANSWER_ROWS = 1000
"""More rows than this on the Answers sheet is not a survey workbook (there are 69 elements)."""
MAX_PROFILE_ROWS = 100

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIELD_COLUMNS = {
    "note": COL_NOTE,
    "evidence_url": COL_URL,
    "target_date": COL_DATE,
    "status": COL_STATUS,
    "stage": COL_STAGE,
    "regions": COL_REGIONS,
}
_DATE_FORMAT = "yyyy-mm-dd"
_HEADER_FILL = PatternFill("solid", start_color="DDE5EE")
_EDITABLE_FILL = PatternFill("solid", start_color="FFF9E0")

Resolution = Literal["mine", "theirs"]
PROFILE_KEY = "profile"
"""The key of the deployment profile in an import's resolutions and in apply_survey_import's result."""

# The Profile sheet: a header, then one row per option (yes/no) or per text field, in this order.
P_ITEM = "Profile item"
P_OPTION = "Option"
P_VALUE = "Your answer"
P_HELP = "Explanation"
PROFILE_COLUMNS = (P_ITEM, P_OPTION, P_VALUE, P_HELP)
_P_INDEX = {name: position + 1 for position, name in enumerate(PROFILE_COLUMNS)}
_YES = ("yes", "y", "x", "true", "1")
_NO = ("no", "n", "false", "0", "")


@dataclass(frozen=True)
class ProfileRow:
    """One row of the Profile sheet: a yes/no option of a multi-choice field, or a field typed as text."""

    field: str
    """The ProfileInput field it feeds."""
    option: str
    """The code a 'yes' adds to the field ('' for a text row)."""
    label: str
    """What the Option column shows; the import checks it did not change."""
    kind: Literal["choice", "scope", "text"]
    help: str

    @property
    def item(self) -> str:
        return FIELD_LABELS[self.field]


_ARCHITECTURE_HELP = {
    "A": "A central registry of manifests and reports; the images stay at the producing PACS/VNAs.",
    "B": "Federated registries (communities) linked by cross-community gateways.",
    "C": "A central registry and a central image archive (national or regional VNA).",
}
_STACK_HELP = {
    "MHD": "Goes with architecture A, B or C.",
    "XDS-I.b": "Goes with architecture A or C.",
    "XCA-I": "Goes with architecture B.",
}
PROFILE_ROWS: tuple[ProfileRow, ...] = (
    *(ProfileRow("architectures", a, a, "choice", _ARCHITECTURE_HELP[a]) for a in ARCHITECTURES),
    *(ProfileRow("stacks", s.value, s.label, "choice", _STACK_HELP[s.value]) for s in STACKS),
    *(ProfileRow("repositories", r, r, "choice", f"Manifests are kept in {r} repositories.") for r in REPOSITORIES),
    ProfileRow("scope", "", "national or regional", "scope", "Choose from the list; empty means national."),
    ProfileRow(
        "regions", "", "which regions", "text", "Needed when the scope is regional, e.g. 'Catalonia, Andalusia'."
    ),
    ProfileRow("note", "", "anything else", "text", "Optional: anything the focus group should know."),
)


# --------------------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class AnswerValues:
    """What a respondent gives for one element; `status` is a code of the answer scale."""

    status: str
    note: str = ""
    evidence_url: str = ""
    target_date: dt.date | None = None
    stage: str = ""
    """"" (not said), "specification" or "production" (services.surveys.Stage)."""
    regions: str = ""
    """The regions it covers; empty means all regions."""

    @classmethod
    def of(cls, answer: Answer | None, default_status: str) -> AnswerValues:
        if answer is None:
            return cls(status=default_status)
        return cls(answer.status, answer.note, answer.evidence_url, answer.target_date, answer.stage, answer.regions)

    def fingerprint(self) -> str:
        payload = [
            self.status,
            self.note,
            self.evidence_url,
            self.target_date.isoformat() if self.target_date else "",
            self.stage,
            self.regions,
        ]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class WorkbookProfile:
    """The Profile sheet as read: chosen codes of the multi-choice fields and the text of the others, unchecked."""

    values: dict[str, Any]
    """Field -> list of codes (architectures, stacks, repositories) or stripped text (scope, regions, note)."""
    rows: dict[tuple[str, str], int]
    """(field, option code or '') -> sheet row, for messages."""

    def fingerprint(self) -> str:
        return _profile_fingerprint(self.values)

    def as_input(self) -> dict[str, Any]:
        """The values for profiles.parse_profile (an empty scope means national)."""
        return {**self.values, "scope": self.values["scope"] or "national"}

    def row_of(self, field: str, option: str = "") -> int:
        if (field, option) in self.rows:
            return self.rows[(field, option)]
        return min(row for (name, _), row in self.rows.items() if name == field)


def _profile_fingerprint(values: Mapping[str, Any]) -> str:
    payload = [[str(code) for code in values.get(name, ())] for name in ("architectures", "stacks", "repositories")] + [
        str(values.get(name, "")).strip() for name in ("scope", "regions", "note")
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:16]


def _exported_profile_values(profile: DeploymentProfile | None) -> dict[str, Any]:
    """A saved profile as the Profile sheet shows it (no profile: nothing chosen, empty text)."""
    if profile is None:
        return {"architectures": [], "stacks": [], "repositories": [], "scope": "", "regions": "", "note": ""}
    return {
        "architectures": codes(profile.architectures),
        "stacks": codes(profile.stacks),
        "repositories": codes(profile.repositories),
        "scope": profile.scope,
        "regions": _sanitise(profile.regions).strip(),
        "note": _sanitise(profile.note).strip(),
    }


@dataclass(frozen=True)
class WorkbookMeta:
    """The meta sheet as read; `rows` gives the sheet row of each key (for messages)."""

    country_code: str
    round_id: int | None
    round_name: str
    checklist_version: str
    exported_at: str
    versions: dict[str, int]
    fingerprints: dict[str, str]
    rows: dict[str, int]
    profile_version: int | None = None
    profile_fingerprint: str = ""


@dataclass(frozen=True)
class WorkbookRow:
    """One row of the Answers sheet, as typed (status not yet checked against the scale)."""

    row: int
    element_id: str
    status: str
    note: str
    evidence_url: str
    target_date: dt.date | None
    stage: str = ""
    """As typed (a label or code of services.surveys.STAGE_LABELS, or empty)."""
    regions: str = ""
    unreadable: frozenset[str] = frozenset()
    """Columns whose cell could not be read (already reported as errors)."""


@dataclass(frozen=True)
class ParsedWorkbook:
    filename: str
    meta: WorkbookMeta | None
    rows: list[WorkbookRow]
    errors: list[str]
    profile: WorkbookProfile | None = None
    """None when the Profile sheet is missing or its structure changed (an error says so)."""


@dataclass(frozen=True)
class PlannedChange:
    """An element whose workbook values differ from the database's values now."""

    element_id: str
    old: AnswerValues
    new: AnswerValues
    exported_version: int
    """The answer version recorded in the workbook at export (0: there was no answer)."""
    current_version: int
    """The answer version in the database when the plan was made."""
    changed_by: str | None = None
    changed_at: str | None = None

    @property
    def conflict(self) -> bool:
        """Someone changed this answer in the database since the export, and the workbook changes it too."""
        return self.exported_version != self.current_version


@dataclass(frozen=True)
class ProfileChange:
    """The workbook's deployment profile, valid and different from the database's now."""

    old: dict[str, str] | None
    """The database's profile now (stored values), None when there is none."""
    new: ProfileInput
    exported_version: int
    current_version: int
    changed_by: str | None = None
    changed_at: str | None = None

    @property
    def conflict(self) -> bool:
        """Someone changed the profile in the dashboard since the export, and the workbook changes it too."""
        return self.exported_version != self.current_version


@dataclass(frozen=True)
class ImportPlan:
    """What an upload would change. `changes` includes the conflicts; nothing may be applied while `errors`."""

    filename: str
    errors: tuple[str, ...] = ()
    changes: tuple[PlannedChange, ...] = ()
    country_code: str | None = None
    country_name: str | None = None
    round_id: int | None = None
    round_name: str | None = None
    checklist_version: str | None = None
    status_labels: Mapping[str, str] = field(default_factory=dict)
    profile_change: ProfileChange | None = None

    @property
    def conflicts(self) -> tuple[PlannedChange, ...]:
        """The answers in conflict (the profile's conflict is `profile_change.conflict`)."""
        return tuple(change for change in self.changes if change.conflict)

    @property
    def change_count(self) -> int:
        return len(self.changes) + (1 if self.profile_change is not None else 0)

    @property
    def conflict_keys(self) -> tuple[str, ...]:
        """What needs a resolution: element IDs, and PROFILE_KEY when the profile is in conflict."""
        keys = tuple(change.element_id for change in self.conflicts)
        if self.profile_change is not None and self.profile_change.conflict:
            keys += (PROFILE_KEY,)
        return keys

    @property
    def ok(self) -> bool:
        return not self.errors

    def label(self, status_code: str) -> str:
        return self.status_labels.get(status_code, status_code)


# --------------------------------------------------------------------------------------------- export


def _sanitise(text: str) -> str:
    """Without the control characters an .xlsx cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _put_text(cell: Any, value: str) -> None:
    """User or checklist text that stays text: never a formula, shown as typed in Excel."""
    if not value:
        cell.value = None
        return
    cell.value = _sanitise(value)
    # openpyxl turns a string starting with "=" into a formula: force a string cell.
    cell.data_type = "s"
    if value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def _as_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _requirement_text(scale: AnswerScale, code: str) -> str:
    status = scale.get(code)
    needs = []
    if Requirement.NOTE in status.requires:
        needs.append("a note")
    if Requirement.TARGET_DATE in status.requires:
        needs.append("a target date")
    return "requires " + " and ".join(needs) if needs else ""


def _write_instructions(
    book: Any,
    *,
    country: Country,
    survey_round: SurveyRound,
    checklist: Checklist,
    exported_at: str,
    profile: DeploymentProfile | None,
) -> None:
    sheet = book.active
    sheet.title = INSTRUCTIONS_SHEET
    bold = Font(bold=True)
    headings: set[int] = set()
    lines: list[tuple[str, ...]] = []

    def heading(text: str) -> None:
        if lines:
            lines.append(())
        lines.append((text,))
        headings.add(len(lines))

    lines += [
        (f"MCWG adoption survey: {country.name} ({country.code}), round {survey_round.name}",),
        (f"Checklist version {checklist.version}; downloaded {exported_at} (UTC).",),
    ]
    headings.add(1)
    heading("What to fill in")
    lines += [
        (
            f"First the sheet '{PROFILE_SHEET}': your deployment profile (which architectures, transaction stacks "
            "and manifest repositories you run, and whether it is national or regional). Answer yes or no on each "
            "option row (an empty cell means no); several architectures and stacks may be yes. The deck's pairing: "
            "MHD goes with A, B or C; XDS-I.b with A or C; XCA-I with B. A regional scope needs the regions.",
        ),
        (
            f"Then the sheet '{ANSWERS_SHEET}', one answer per element: choose a Status from the drop-down list and "
            "add a Note, an Evidence URL (http:// or https://) and a Target date (a date, e.g. 2027-06-30) where "
            "needed. Stage says whether it is in the national specification only or in production (empty: not "
            "said); Regions covered says where (empty: all regions).",
        ),
        (
            "Only the Status, Note, Evidence URL, Target date, Stage and Regions covered cells can be changed. "
            "Leaving the Status empty means 'Unknown / not answered' (to withdraw an answer, choose that status).",
        ),
        (
            f"'{COL_APPLIES}' says whether the element applies to the profile as downloaded. Where it does not and "
            f"you had not answered, the Status is pre-filled with Not applicable and '{COL_PROPOSED}' says "
            f"'{PROPOSED_MARK}': it is saved only if you keep it and upload the workbook; empty the Status to leave "
            "the element unanswered. If you change the profile, the upload checks the answers against the new one.",
        ),
        ("Then upload the file on the survey page: you will see every change before anything is saved.",),
    ]
    if profile is not None and profile.carried_over:
        lines.append(
            (
                "The profile was carried over from the previous round: check it. It stays as carried over unless you "
                "change it here or on the survey page.",
            )
        )
    heading("The answer scale (the Status column accepts the label or the code)")
    lines.append(("Code", "Label", "Meaning", "Rules"))
    headings.add(len(lines))
    for status in checklist.scale.statuses:
        lines.append((status.code, status.label, status.meaning, _requirement_text(checklist.scale, status.code)))
    excused = [s.label for s in checklist.scale.statuses if s.excused_by_profile]
    heading("Rules")
    lines += [
        (
            "A note is required for "
            + " and ".join(f"'{s.label}'" for s in checklist.scale.statuses if Requirement.NOTE in s.requires)
            + "; a target date is required for "
            + " and ".join(f"'{s.label}'" for s in checklist.scale.statuses if Requirement.TARGET_DATE in s.requires)
            + "."
            + (f" '{excused[0]}' needs no note on an element that does not apply to your profile." if excused else ""),
        ),
        ("An upload with any error saves nothing: the page lists every error with its sheet, row and column.",),
    ]
    heading("When someone else changed an answer meanwhile")
    lines.append(
        (
            "If an answer or the profile was changed in the dashboard after you downloaded this workbook and you "
            "changed it here too, the upload shows both values and you choose, item by item, whether yours or theirs "
            "is kept. Answers you did not change here never overwrite newer answers.",
        )
    )
    heading("Please do not")
    lines += [
        (
            "change the hidden Element ID column, add, remove or reorder rows, change the Profile item and Option "
            "columns, rename the sheets, or change the hidden sheets: they tell the dashboard which country, round "
            "and checklist this workbook belongs to. The sheets are protected without a password only to prevent "
            "accidents.",
        ),
        (f"If the checklist version changed, the upload is refused. {FRESH_WORKBOOK}",),
    ]
    widths = (12, 26, 70, 30)
    for row_number, values in enumerate(lines, start=1):
        for column_number, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_number, column=column_number)
            _put_text(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if len(values) == 1:
            # A paragraph spans the four columns, wrapped.
            sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=len(widths))
            sheet.row_dimensions[row_number].height = _estimated_height([(values[0], sum(widths))])
        elif len(values) > 1:
            sheet.row_dimensions[row_number].height = _estimated_height(list(zip(values, widths, strict=False)))
        if row_number in headings:
            for column_number in range(1, len(values) + 1):
                sheet.cell(row=row_number, column=column_number).font = bold
    for column_number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column_number)].width = width
    sheet.protection.sheet = True


def _estimated_height(texts_and_widths: list[tuple[str, int]]) -> float:
    lines = 1
    for text, width in texts_and_widths:
        per_line = max(width - 2, 5)
        lines = max(lines, sum(max(1, -(-len(part) // per_line)) for part in text.split("\n")))
    return float(min(409, 15 * lines))


def _list_validation(formula: str, title: str, message: str) -> DataValidation:
    return DataValidation(
        type="list", formula1=formula, allow_blank=True, showErrorMessage=True, errorTitle=title, error=message
    )


def _length_validation(limit: int, message: str) -> DataValidation:
    return DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(limit),
        allow_blank=True,
        showErrorMessage=True,
        error=message,
    )


def _write_profile(book: Any, values: Mapping[str, Any], *, exists: bool) -> None:
    """The Profile sheet, pre-filled with the saved (or carried-over) profile; only 'Your answer' is editable."""
    sheet = book.create_sheet(PROFILE_SHEET)
    widths = {P_ITEM: 22, P_OPTION: 22, P_VALUE: 30, P_HELP: 70}
    for name, column_number in _P_INDEX.items():
        cell = sheet.cell(row=1, column=column_number, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        sheet.column_dimensions[get_column_letter(column_number)].width = widths[name]
    yes_no = _list_validation('"yes,no"', "Profile", "Answer yes or no (an empty cell means no).")
    scope = _list_validation('"national,regional"', "Scope", "Choose national or regional.")
    regions = _length_validation(400, "The regions can have at most 400 characters.")
    note = _length_validation(2000, "A note can have at most 2000 characters.")
    for validation in (yes_no, scope, regions, note):
        sheet.add_data_validation(validation)
    value_letter = get_column_letter(_P_INDEX[P_VALUE])
    for row_number, row in enumerate(PROFILE_ROWS, start=2):
        _put_text(sheet.cell(row=row_number, column=_P_INDEX[P_ITEM]), row.item)
        _put_text(sheet.cell(row=row_number, column=_P_INDEX[P_OPTION]), row.label)
        _put_text(sheet.cell(row=row_number, column=_P_INDEX[P_HELP]), row.help)
        cell = sheet.cell(row=row_number, column=_P_INDEX[P_VALUE])
        if row.kind == "choice":
            _put_text(cell, ("yes" if row.option in values[row.field] else "no") if exists else "")
            yes_no.add(f"{value_letter}{row_number}")
        else:
            _put_text(cell, str(values[row.field]))
            {"scope": scope, "regions": regions, "note": note}[row.field].add(f"{value_letter}{row_number}")
        cell.protection = Protection(locked=False)
        cell.fill = _EDITABLE_FILL
        for column_number in _P_INDEX.values():
            sheet.cell(row=row_number, column=column_number).alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def export_survey_workbook(
    session: Session, *, actor: Actor, round_id: int, country_code: str, now: dt.datetime | None = None
) -> bytes:
    """The country's survey in that round as an .xlsx, pre-filled with its current answers and profile."""
    require_country_editor(session, actor, country_code)  # re-reads the account: a download may fire much later
    survey_round = get_round(session, round_id)
    country = session.get(Country, country_code)
    if country is None:
        raise NotFound(f"There is no member with code {country_code!r}.")
    version = session.get(ChecklistVersion, survey_round.checklist_version_id)
    assert version is not None
    checklist = checklist_for_version(session, survey_round.checklist_version_id)
    survey = find_survey(session, round_id=round_id, country_code=country_code)
    answers = load_answers(session, survey_id=survey.id) if survey is not None and survey.id is not None else {}
    profile = get_profile(session, survey_id=survey.id) if survey is not None and survey.id is not None else None
    applies = applicability(checklist, profile)
    exported_at = _as_utc(now or utcnow()).isoformat(timespec="seconds")
    scale = checklist.scale
    not_applicable = next((s for s in scale.statuses if s.excused_by_profile), None)

    book = openpyxl.Workbook()
    _write_instructions(
        book,
        country=country,
        survey_round=survey_round,
        checklist=checklist,
        exported_at=exported_at,
        profile=profile,
    )

    sheet = book.create_sheet(ANSWERS_SHEET)
    for name, column_number in _INDEX.items():
        cell = sheet.cell(row=1, column=column_number, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column_number)].width = _WIDTHS[name]
    unlocked = Protection(locked=False)
    row_number = 1
    for rec_set in checklist.sets:
        for element in rec_set.elements:
            row_number += 1
            answer = answers.get(element.id)
            applicable = applies.get(element.id, True)
            values: dict[str, str] = {
                COL_ID: element.id,
                COL_SET: rec_set.code,
                # The ID column itself is hidden (the key the import reads); people see it with the title.
                COL_TITLE: f"{element.id} · {element.title}",
                COL_EXPLANATION: element.explanation,
                COL_LEVEL: element.level_text,
                COL_APPLIES: "yes" if applicable else "no",
                COL_PROPOSED: "",
                COL_STATUS: "",
                COL_NOTE: "",
                COL_URL: "",
                COL_STAGE: "",
                COL_REGIONS: "",
            }
            if answer is not None:
                try:
                    values[COL_STATUS] = scale.get(answer.status).label
                except KeyError:
                    values[COL_STATUS] = answer.status
                values[COL_NOTE] = answer.note
                values[COL_URL] = answer.evidence_url
                values[COL_STAGE] = STAGE_LABELS.get(answer.stage, answer.stage) if answer.stage else ""
                values[COL_REGIONS] = answer.regions
            unanswered = answer is None or answer.status == scale.default.code
            if not applicable and unanswered and not_applicable is not None:
                # Proposed only: the meta fingerprint keeps the database's value, so keeping it is a change.
                values[COL_STATUS] = not_applicable.label
                values[COL_PROPOSED] = PROPOSED_MARK
            for name, text in values.items():
                cell = sheet.cell(row=row_number, column=_INDEX[name])
                _put_text(cell, text)
                cell.alignment = Alignment(
                    vertical="top", wrap_text=name in (COL_TITLE, COL_EXPLANATION, COL_NOTE, COL_PROPOSED)
                )
            if values[COL_PROPOSED]:
                sheet.cell(row=row_number, column=_INDEX[COL_PROPOSED]).font = Font(bold=True, italic=True)
            date_cell = sheet.cell(row=row_number, column=_INDEX[COL_DATE])
            date_cell.value = answer.target_date if answer is not None else None
            date_cell.number_format = _DATE_FORMAT
            date_cell.alignment = Alignment(vertical="top")
            for name in EDITABLE_COLUMNS:
                editable = sheet.cell(row=row_number, column=_INDEX[name])
                editable.protection = unlocked
                editable.fill = _EDITABLE_FILL
            sheet.row_dimensions[row_number].height = _estimated_height(
                [(values[name], _WIDTHS[name]) for name in (COL_TITLE, COL_EXPLANATION, COL_NOTE)]
            )
    last = row_number
    sheet.column_dimensions[get_column_letter(_INDEX[COL_ID])].hidden = True

    def letter(name: str) -> str:
        return get_column_letter(_INDEX[name])

    status_list = _list_validation(
        f"{LISTS_SHEET}!$A$1:$A${len(scale.statuses)}",
        "Status",
        "Choose a status from the list (the answer scale is on the Instructions sheet).",
    )
    stage_labels = [label for code, label in STAGE_LABELS.items() if code]
    stage_list = _list_validation(
        f"{LISTS_SHEET}!$B$1:$B${len(stage_labels)}",
        "Stage",
        "Choose from the list, or leave it empty (not said).",
    )
    dates = DataValidation(
        type="date",
        operator="between",
        formula1=str(int(to_excel(dt.datetime(2000, 1, 1)))),
        formula2=str(int(to_excel(dt.datetime(2100, 12, 31)))),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Target date",
        error="Enter a date, for example 2027-06-30.",
    )
    for validation, name in (
        (status_list, COL_STATUS),
        (dates, COL_DATE),
        (_length_validation(4000, "A note can have at most 4000 characters."), COL_NOTE),
        (_length_validation(1000, "An evidence URL can have at most 1000 characters."), COL_URL),
        (stage_list, COL_STAGE),
        (_length_validation(400, "The regions can have at most 400 characters."), COL_REGIONS),
    ):
        sheet.add_data_validation(validation)
        validation.add(f"{letter(name)}2:{letter(name)}{last}")
    sheet.freeze_panes = "B2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # resizing columns and rows stays allowed
    sheet.protection.formatRows = False
    sheet.page_setup.orientation = "landscape"
    sheet.print_title_rows = "1:1"

    exported_profile = _exported_profile_values(profile)
    _write_profile(book, exported_profile, exists=profile is not None)

    # The drop-down lists live on a hidden sheet (labels may contain commas one day; inline lists cannot).
    lists = book.create_sheet(LISTS_SHEET)
    for position, status in enumerate(scale.statuses, start=1):
        _put_text(lists.cell(row=position, column=1), status.label)
    for position, label in enumerate(stage_labels, start=1):
        _put_text(lists.cell(row=position, column=2), label)
    lists.sheet_state = "veryHidden"
    lists.protection.sheet = True

    meta = book.create_sheet(META_SHEET)
    meta_values: list[tuple[str, Any]] = [
        ("format", FORMAT_MARKER),
        ("format_version", FORMAT_VERSION),
        ("country", country.code),
        ("round_id", survey_round.id),
        ("round_name", survey_round.name),
        ("checklist_version", version.label),
        ("exported_at", exported_at),
        ("profile_version", profile.version if profile is not None else 0),
        ("profile_fingerprint", _profile_fingerprint(exported_profile)),
    ]
    for position, (key, value) in enumerate(meta_values, start=1):
        _put_text(meta.cell(row=position, column=1), key)
        if isinstance(value, str):
            _put_text(meta.cell(row=position, column=2), value)
        else:
            meta.cell(row=position, column=2, value=value)
    table_start = len(meta_values) + 2
    for column_number, heading in enumerate(_META_TABLE_HEADER, start=1):
        _put_text(meta.cell(row=table_start, column=column_number), heading)
    for position, element_id in enumerate(checklist.elements, start=table_start + 1):
        answer = answers.get(element_id)
        _put_text(meta.cell(row=position, column=1), element_id)
        meta.cell(row=position, column=2, value=answer.version if answer is not None else 0)
        exported = AnswerValues.of(answer, scale.default.code)
        exported = AnswerValues(
            exported.status,
            _sanitise(exported.note),
            _sanitise(exported.evidence_url),
            exported.target_date,
            exported.stage,
            _sanitise(exported.regions),
        )
        _put_text(meta.cell(row=position, column=3), exported.fingerprint())
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True

    book.security = WorkbookProtection(lockStructure=True)
    book.active = 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------- reading


def _where(sheet: str, row: int, column: str) -> str:
    return f"{sheet}, row {row}, column {column}"


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell_problem(cell: Any) -> str | None:
    """Why a cell's content cannot be used as a value at all (a formula, an error value)."""
    if cell.data_type == "f":
        return f"contains a formula ({_shorten(str(cell.value))!r}); type the value itself"
    if cell.data_type == "e":
        return f"contains an Excel error ({cell.value}); type the value itself"
    return None


def _cell_text(cell: Any, where: str, errors: list[str]) -> str | None:
    """The cell as text ('' when empty), or None (with an error) when it is not a usable value."""
    problem = _cell_problem(cell)
    if problem:
        errors.append(f"{where}: {problem}.")
        return None
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _cell_date(cell: Any, where: str, errors: list[str]) -> tuple[dt.date | None, bool]:
    """(the date or None, whether the cell was readable)."""
    problem = _cell_problem(cell)
    if problem:
        errors.append(f"{where}: {problem}.")
        return None, False
    value = cell.value
    if value is None:
        return None, True
    if isinstance(value, dt.datetime):
        return value.date(), True
    if isinstance(value, dt.date):
        return value, True
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, True
        if _ISO_DATE.match(text):
            try:
                return dt.date.fromisoformat(text), True
            except ValueError:
                pass
        errors.append(f"{where}: {_shorten(text)!r} is not a date (enter a date such as 2027-06-30).")
        return None, False
    errors.append(f"{where}: {value!r} is not a date (enter a date such as 2027-06-30).")
    return None, False


def _read_meta(book: Any, errors: list[str]) -> WorkbookMeta | None:
    if META_SHEET not in book.sheetnames:
        errors.append(
            f"{META_SHEET}: the hidden sheet '{META_SHEET}' is missing, so this is not a survey workbook from the "
            f"dashboard (or it was copied into another file). {FRESH_WORKBOOK}"
        )
        return None
    sheet_rows = _sheet_rows(book[META_SHEET], max_col=3, limit=MAX_ANSWER_ROWS + 20)
    if sheet_rows is None:
        errors.append(
            f"{META_SHEET}: the sheet has more than {MAX_ANSWER_ROWS + 20} rows; this is not a survey workbook. "
            f"{FRESH_WORKBOOK}"
        )
        return None
    found: dict[str, tuple[int, Any]] = {}
    table_row: int | None = None
    for row_number, row in sheet_rows:
        key = row[0].value
        if isinstance(key, str) and key.strip() == COL_ID:
            table_row = row_number
            break
        if isinstance(key, str) and key.strip() in _META_KEYS:
            found[key.strip()] = (row_number, row[1].value)
    marker = found.get("format", (1, None))
    if marker[1] != FORMAT_MARKER:
        errors.append(
            f"{_where(META_SHEET, marker[0], 'B')}: the format marker {FORMAT_MARKER!r} is missing; this is not a "
            f"survey workbook from the dashboard. {FRESH_WORKBOOK}"
        )
        return None
    format_version = found.get("format_version", (2, None))
    if format_version[1] != FORMAT_VERSION:
        errors.append(
            f"{_where(META_SHEET, format_version[0], 'B')}: workbook format {format_version[1]!r} is not supported "
            f"(expected {FORMAT_VERSION}). {FRESH_WORKBOOK}"
        )
        return None
    rows = {key: found[key][0] for key in found}

    def text(key: str) -> str:
        if key not in found:
            errors.append(f"{META_SHEET}: the entry {key!r} is missing. {FRESH_WORKBOOK}")
            return ""
        value = found[key][1]
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append(
                f"{_where(META_SHEET, found[key][0], 'B')}: the {key.replace('_', ' ')} is empty. {FRESH_WORKBOOK}"
            )
            return ""
        return str(value).strip()

    country_code = text("country")
    round_name = text("round_name")
    checklist_version = text("checklist_version")
    exported_at = text("exported_at")

    def number(key: str, what: str) -> int | None:
        raw = text(key)
        if not raw:
            return None
        if re.fullmatch(r"\d{1,9}", raw.removesuffix(".0")):
            return int(raw.removesuffix(".0"))
        errors.append(f"{_where(META_SHEET, rows[key], 'B')}: {_shorten(raw)!r} is not {what}. {FRESH_WORKBOOK}")
        return None

    round_id = number("round_id", "a round number")
    profile_version = number("profile_version", "a profile version")
    profile_fingerprint = text("profile_fingerprint")
    versions: dict[str, int] = {}
    fingerprints: dict[str, str] = {}
    if table_row is None:
        errors.append(f"{META_SHEET}: the table of answer versions is missing. {FRESH_WORKBOOK}")
    else:
        for row_number, row in sheet_rows[table_row:]:
            element_id, version, fingerprint = (cell.value for cell in row)
            if element_id is None and version is None:
                continue
            where = _where(META_SHEET, row_number, "B")
            element = str(element_id or "").strip().upper()
            if isinstance(version, int) and not isinstance(version, bool) and version >= 0 and element:
                versions[element] = version
                fingerprints[element] = str(fingerprint or "")
            else:
                errors.append(f"{where}: the answer version of {element or '?'} is not readable. {FRESH_WORKBOOK}")
    return WorkbookMeta(
        country_code=country_code,
        round_id=round_id,
        round_name=round_name,
        checklist_version=checklist_version,
        exported_at=exported_at,
        versions=versions,
        fingerprints=fingerprints,
        rows=rows,
        profile_version=profile_version,
        profile_fingerprint=profile_fingerprint,
    )


def _read_answers(book: Any, errors: list[str]) -> list[WorkbookRow]:
    if ANSWERS_SHEET not in book.sheetnames:
        errors.append(f"{ANSWERS_SHEET}: the sheet '{ANSWERS_SHEET}' is missing. {FRESH_WORKBOOK}")
        return []
    sheet_rows = _sheet_rows(book[ANSWERS_SHEET], max_col=len(COLUMNS), limit=MAX_ANSWER_ROWS)
    if sheet_rows is None:
        errors.append(
            f"{ANSWERS_SHEET}: the sheet has more than {MAX_ANSWER_ROWS} rows; a survey workbook has one row per "
            f"element. {FRESH_WORKBOOK}"
        )
        return []
    header: list[Any] = [cell.value for cell in sheet_rows[0][1]] if sheet_rows else [None] * len(COLUMNS)
    wrong = [
        f"column {get_column_letter(number)} should be {name!r} but is {header[number - 1]!r}"
        for name, number in _INDEX.items()
        if not isinstance(header[number - 1], str) or header[number - 1].strip().casefold() != name.casefold()
    ]
    if wrong:
        errors.append(
            f"{ANSWERS_SHEET}, row 1: the header was changed ({'; '.join(wrong)}); columns must not be moved, "
            f"added or removed. {FRESH_WORKBOOK}"
        )
        return []
    rows: list[WorkbookRow] = []
    for row_number, cells in sheet_rows[1:]:
        by_name = {name: cells[number - 1] for name, number in _INDEX.items()}
        if all(
            cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()) for cell in by_name.values()
        ):
            continue

        def where(column: str, row_number: int = row_number) -> str:
            return _where(ANSWERS_SHEET, row_number, column)

        unreadable: set[str] = set()
        texts: dict[str, str] = {}
        for name in (COL_ID, COL_STATUS, COL_NOTE, COL_URL, COL_STAGE, COL_REGIONS):
            value = _cell_text(by_name[name], where(name), errors)
            if value is None:
                unreadable.add(name)
            texts[name] = (value or "").strip()
        target_date, readable = _cell_date(by_name[COL_DATE], where(COL_DATE), errors)
        if not readable:
            unreadable.add(COL_DATE)
        if not texts[COL_ID] and COL_ID not in unreadable:
            errors.append(f"{where(COL_ID)}: the element ID is missing, so the row cannot be matched to an element.")
            unreadable.add(COL_ID)
        rows.append(
            WorkbookRow(
                row=row_number,
                element_id=texts[COL_ID].upper(),
                status=texts[COL_STATUS],
                note=texts[COL_NOTE],
                evidence_url=texts[COL_URL],
                target_date=target_date,
                stage=texts[COL_STAGE],
                regions=texts[COL_REGIONS],
                unreadable=frozenset(unreadable),
            )
        )
    return rows


def _read_profile(book: Any, errors: list[str]) -> WorkbookProfile | None:
    """The Profile sheet's values, or None (with errors) when it is missing or its rows or labels changed."""
    if PROFILE_SHEET not in book.sheetnames:
        errors.append(
            f"{PROFILE_SHEET}: the sheet '{PROFILE_SHEET}' (your deployment profile) is missing: was it renamed or "
            f"deleted? {FRESH_WORKBOOK}"
        )
        return None
    sheet_rows = _sheet_rows(book[PROFILE_SHEET], max_col=len(PROFILE_COLUMNS), limit=MAX_PROFILE_ROWS)
    if sheet_rows is None:
        errors.append(
            f"{PROFILE_SHEET}: the sheet has more than {MAX_PROFILE_ROWS} rows; the profile has {len(PROFILE_ROWS)}. "
            f"{FRESH_WORKBOOK}"
        )
        return None
    header: list[Any] = [cell.value for cell in sheet_rows[0][1]] if sheet_rows else [None] * len(PROFILE_COLUMNS)
    wrong = [
        f"column {get_column_letter(number)} should be {name!r} but is {header[number - 1]!r}"
        for name, number in _P_INDEX.items()
        if name != P_HELP
        and (not isinstance(header[number - 1], str) or header[number - 1].strip().casefold() != name.casefold())
    ]
    if wrong:
        errors.append(
            f"{PROFILE_SHEET}, row 1: the header was changed ({'; '.join(wrong)}); columns must not be moved, added "
            f"or removed. {FRESH_WORKBOOK}"
        )
        return None
    structure_ok = True
    found_errors = len(errors)
    values: dict[str, Any] = {
        "architectures": [],
        "stacks": [],
        "repositories": [],
        "scope": "",
        "regions": "",
        "note": "",
    }
    rows: dict[tuple[str, str], int] = {}
    for row_number, expected in enumerate(PROFILE_ROWS, start=2):
        cells = sheet_rows[row_number - 1][1] if row_number <= len(sheet_rows) else (EMPTY_CELL,) * 4
        for column_name, wanted in ((P_ITEM, expected.item), (P_OPTION, expected.label)):
            where = _where(PROFILE_SHEET, row_number, column_name)
            typed = _cell_text(cells[_P_INDEX[column_name] - 1], where, errors)
            if typed is None:
                structure_ok = False
            elif typed.strip().casefold() != wanted.casefold():
                shown = f"{_shorten(typed.strip())!r}" if typed.strip() else "empty"
                errors.append(
                    f"{where}: should be {wanted!r} but is {shown}; the profile's items and options must not be "
                    f"changed, added, removed or moved. {FRESH_WORKBOOK}"
                )
                structure_ok = False
        rows[(expected.field, expected.option)] = row_number
        where = _where(PROFILE_SHEET, row_number, P_VALUE)
        typed = _cell_text(cells[_P_INDEX[P_VALUE] - 1], where, errors)
        if typed is None:
            continue
        typed = typed.strip()
        if expected.kind == "choice":
            if typed.casefold() in _YES:
                values[expected.field].append(expected.option)
            elif typed.casefold() not in _NO:
                errors.append(f"{where}: {_shorten(typed)!r} is not yes or no (an empty cell means no).")
        elif expected.kind == "scope":
            values["scope"] = typed.casefold()
        else:
            values[expected.field] = typed
    for row_number, cells in sheet_rows[len(PROFILE_ROWS) + 1 :]:
        if any(cell.value not in (None, "") for cell in cells[: _P_INDEX[P_VALUE]]):
            errors.append(
                f"{_where(PROFILE_SHEET, row_number, P_ITEM)}: a row was added below the profile; rows must not be "
                f"added. {FRESH_WORKBOOK}"
            )
            structure_ok = False
            break
    if not structure_ok or len(errors) > found_errors:
        return None
    return WorkbookProfile(values=values, rows=rows)


def _sheet_rows(sheet: Any, *, max_col: int, limit: int) -> list[tuple[int, tuple[Any, ...]]] | None:
    """(row number, the first max_col cells) of every row, or None when the sheet has more than `limit` rows.

    The workbook is opened read-only (streamed, several times faster); its stored size is not trusted, every
    row is read, and short rows are padded with empty cells.
    """
    if not hasattr(sheet, "iter_rows"):
        return []  # a chart sheet under the expected name: no rows (the header check then reports it)
    sheet.reset_dimensions()
    rows = []
    for row_number, cells in enumerate(sheet.iter_rows(max_col=max_col), start=1):
        if row_number > limit:
            return None
        rows.append((row_number, tuple(cells) + (EMPTY_CELL,) * (max_col - len(cells))))
    return rows


def read_survey_workbook(data: bytes, *, filename: str) -> ParsedWorkbook:
    """Check the file, open it and read meta and Answers; raise UploadRejected for an unusable file.

    Problems inside a readable workbook are collected in `errors`, all of them, each naming sheet, row
    and column. Values are read as stored: a cell holding a formula is an error, never evaluated.
    """
    check_upload(data, filename=filename)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False, keep_vba=False
            )
    except Exception as exc:  # openpyxl raises many kinds for a package that is not a workbook
        raise UploadRejected(
            f"{filename.strip()!r} cannot be read as an Excel workbook ({type(exc).__name__}). {FRESH_WORKBOOK}"
        ) from None
    try:
        errors: list[str] = []
        if META_SHEET not in book.sheetnames and ANSWERS_SHEET not in book.sheetnames:
            raise UploadRejected(
                f"{filename.strip()!r} is not a survey workbook from the dashboard: it has no '{ANSWERS_SHEET}' "
                f"sheet and no hidden '{META_SHEET}' sheet. {FRESH_WORKBOOK}"
            )
        meta = _read_meta(book, errors)
        profile = _read_profile(book, errors)
        rows = _read_answers(book, errors)
    finally:
        book.close()
    return ParsedWorkbook(filename=filename, meta=meta, rows=rows, errors=errors, profile=profile)


# --------------------------------------------------------------------------------------------- planning


@dataclass
class _Context:
    country: Country | None = None
    survey_round: SurveyRound | None = None
    checklist: Checklist | None = None
    may_compare: bool = False
    """Country, round, permission and checklist all fine: the database answers may be compared."""


def _resolve_context(session: Session, actor: Actor, meta: WorkbookMeta, errors: list[str]) -> _Context:
    context = _Context()
    usable = True

    def at(key: str) -> str:
        return _where(META_SHEET, meta.rows.get(key, 0), "B")

    if meta.country_code:
        context.country = session.get(Country, meta.country_code)
        if context.country is None:
            errors.append(f"{at('country')}: there is no member with code {meta.country_code!r}. {FRESH_WORKBOOK}")
            usable = False
        elif not actor.may_edit_country(meta.country_code):
            errors.append(f"{at('country')}: {actor.label} may not change the survey of {meta.country_code}.")
            usable = False
    else:
        usable = False
    if meta.round_id is not None:
        context.survey_round = session.get(SurveyRound, meta.round_id)
        if context.survey_round is None:
            errors.append(
                f"{at('round_id')}: survey round {meta.round_id} ({meta.round_name!r}) does not exist in this "
                f"database. {FRESH_WORKBOOK}"
            )
            usable = False
    else:
        usable = False
    survey_round = context.survey_round
    if survey_round is not None:
        if meta.round_name and survey_round.name != meta.round_name:
            errors.append(
                f"{at('round_name')}: the workbook is for round {meta.round_name!r}, but round {meta.round_id} here is "
                f"{survey_round.name!r} (a workbook from another database?). {FRESH_WORKBOOK}"
            )
            usable = False
        if survey_round.state != RoundState.OPEN:
            errors.append(
                f"{at('round_id')}: the round {survey_round.name!r} is closed: its answers can no longer change."
            )
            usable = False
        round_version = session.get(ChecklistVersion, survey_round.checklist_version_id)
        round_label = round_version.label if round_version is not None else "?"
        if meta.checklist_version and meta.checklist_version != round_label:
            errors.append(
                f"{at('checklist_version')}: the workbook was made for checklist version {meta.checklist_version!r}, "
                f"but the round {survey_round.name!r} uses {round_label!r}. {FRESH_WORKBOOK}"
            )
            usable = False
        else:
            context.checklist = checklist_for_version(session, survey_round.checklist_version_id)
        if context.country is not None:
            survey = find_survey(session, round_id=survey_round.id or 0, country_code=context.country.code)
            if survey is not None and survey.state != SurveyState.DRAFT:
                errors.append(
                    f"{at('country')}: the survey of {context.country.code} in round {survey_round.name!r} is "
                    f"{survey.state}: it can no longer be edited unless the focus group sends it back."
                )
                usable = False
    if context.checklist is None and meta.checklist_version:
        # Check the rows against the checklist the workbook names, so that every error shows at once.
        named = session.exec(select(ChecklistVersion).where(ChecklistVersion.label == meta.checklist_version)).first()
        if named is not None and named.id is not None:
            context.checklist = checklist_for_version(session, named.id)
    context.may_compare = usable and context.checklist is not None
    return context


def _parse_stage(text: str) -> str | None:
    """The stage code for a label or code as typed ('' when empty), or None when it is neither."""
    wanted = " ".join(text.casefold().split())
    for code, label in STAGE_LABELS.items():
        if wanted in (code, label.casefold()):
            return code
    return None


def _lower_first(message: str) -> str:
    """ "A note is required" -> "a note is required" (after "sheet, row, column: "); "XCA-I ..." stays."""
    first = message.split(" ", 1)[0]
    if first[:1].isupper() and (len(first) == 1 or first[1:].islower()):
        return message[0].lower() + message[1:]
    return message


def _check_row(
    row: WorkbookRow, checklist: Checklist, seen: dict[str, int], errors: list[str], applies: Mapping[str, bool]
) -> AnswerInput | None:
    """The row as a valid AnswerInput (expected_version left at 0), or None after adding its errors.

    `applies` says which elements apply to the profile the import will leave in place (Not applicable needs a
    note only on those).
    """

    def where(column: str) -> str:
        return _where(ANSWERS_SHEET, row.row, column)

    before = len(errors)
    scale = checklist.scale
    if COL_ID not in row.unreadable:
        if row.element_id not in checklist.elements:
            errors.append(
                f"{where(COL_ID)}: {_shorten(row.element_id)!r} is not an element of checklist {checklist.version}."
            )
        elif row.element_id in seen:
            errors.append(f"{where(COL_ID)}: {row.element_id} appears again (first in row {seen[row.element_id]}).")
        else:
            seen[row.element_id] = row.row
    status = scale.default  # an empty Status cell: the scale's default, "not answered"
    status_known = COL_STATUS not in row.unreadable
    if status_known and row.status:
        parsed = scale.parse(row.status)
        if parsed is None:
            labels = ", ".join(s.label for s in scale.statuses)
            errors.append(
                f"{where(COL_STATUS)}: {_shorten(row.status)!r} is not a status of the answer scale "
                f"(use one of: {labels})."
            )
            status_known = False
        else:
            status = parsed
    if status_known:
        # The scale's own rules (checklist.rule_violations), asked one field at a time to name the column.
        applicable = applies.get(row.element_id, True)
        if COL_NOTE not in row.unreadable:
            for message in rule_violations(scale, status.code, row.note, dt.date.max, applicable=applicable):
                errors.append(f"{where(COL_NOTE)}: {_lower_first(message)}")
        if COL_DATE not in row.unreadable:
            for message in rule_violations(scale, status.code, "-", row.target_date, applicable=applicable):
                errors.append(f"{where(COL_DATE)}: {_lower_first(message)}")
    stage = ""
    if COL_STAGE not in row.unreadable:
        parsed_stage = _parse_stage(row.stage)
        if parsed_stage is None:
            choices = " or ".join(f"'{label}'" for code, label in STAGE_LABELS.items() if code)
            errors.append(
                f"{where(COL_STAGE)}: {_shorten(row.stage)!r} is not a stage (choose {choices}, or leave it empty)."
            )
        else:
            stage = parsed_stage
    try:
        item = AnswerInput(
            element_id=row.element_id,
            status=status.code,
            note=row.note,
            evidence_url=row.evidence_url if COL_URL not in row.unreadable else "",
            target_date=row.target_date,
            stage=stage,  # a code, checked by _parse_stage
            regions=row.regions if COL_REGIONS not in row.unreadable else "",
        )
    except ValidationError as exc:
        for problem in exc.errors():
            name = str(problem["loc"][0]) if problem["loc"] else ""
            column = _FIELD_COLUMNS.get(name, COL_STATUS)
            message = str(problem["msg"]).removeprefix("Value error, ")
            shown = {COL_NOTE: row.note, COL_URL: row.evidence_url}.get(column)
            prefix = f"{_shorten(shown)!r} " if shown and column == COL_URL else ""
            errors.append(f"{where(column)}: {prefix}{_lower_first(message)}.")
        return None
    if len(errors) > before or row.unreadable:
        return None
    return item


_ROW_ERROR = re.compile(rf"^({PROFILE_SHEET}|{ANSWERS_SHEET}), row (\d+)")


def _error_order(message: str) -> tuple[int, int]:
    """Workbook-wide and meta errors first, then the Profile sheet's, then the Answers sheet's, by row."""
    found = _ROW_ERROR.match(message)
    if found is None:
        return (0, 0)
    return (1 if found.group(1) == PROFILE_SHEET else 2, int(found.group(2)))


def _profile_errors(profile: WorkbookProfile, problems: Mapping[str, list[str]]) -> list[str]:
    """profiles.parse_profile's problems (keyed by field label) placed on the Profile sheet's rows."""
    fields = {label: name for name, label in FIELD_LABELS.items()}
    errors = []
    for label, messages in problems.items():
        for message in messages:
            field_name = fields.get(label)
            row = profile.row_of(field_name) if field_name else None
            if row is None:
                # A rule across fields: the stack that breaks the pairing, or the regions a regional scope lacks.
                stack = next((s for s in STACKS if s.label in message and s.value in profile.values["stacks"]), None)
                row = profile.row_of("stacks", stack.value) if stack else profile.row_of("regions")
            errors.append(f"{_where(PROFILE_SHEET, row, P_VALUE)}: {_lower_first(message)}")
    return errors


def _profile_for_rules(profile: ProfileInput) -> DeploymentProfile:
    """A transient DeploymentProfile (never added to the session) for services.surveys.applicability."""
    return DeploymentProfile.model_validate({**profile.stored(), "survey_id": 0, "updated_by": ""})


def _describe_profile(values: Mapping[str, str] | None) -> str:
    if values is None:
        return "none"
    parts = [
        f"architectures {values['architectures'].replace(',', ', ') or 'none'}",
        f"stacks {values['stacks'].replace(',', ', ') or 'none'}",
        f"repositories {values['repositories'].replace(',', ', ') or 'not said'}",
        f"scope {values['scope']}" + (f" ({_shorten(values['regions'])})" if values["regions"] else ""),
    ]
    if values["note"]:
        parts.append(f"note {_shorten(values['note'])!r}")
    return "; ".join(parts)


def describe_profile_change(change: ProfileChange) -> tuple[str, str]:
    """(the database's profile now, the workbook's), in words, for previews."""
    return _describe_profile(change.old), _describe_profile(change.new.stored())


def plan_survey_import(session: Session, *, actor: Actor, data: bytes, filename: str) -> ImportPlan:
    """Read an uploaded workbook and compare it with the database; writes nothing.

    Returns every error at once; `changes` lists the elements whose values would change, each with the
    database's values now and the workbook's, and whether it is a conflict that needs a resolution;
    `profile_change` the deployment profile when the workbook changes it.
    """
    try:
        parsed = read_survey_workbook(data, filename=filename)
    except UploadRejected as exc:
        return ImportPlan(filename=filename, errors=(str(exc),))
    errors = list(parsed.errors)
    meta = parsed.meta
    if meta is None:
        return ImportPlan(filename=filename, errors=tuple(errors))
    context = _resolve_context(session, actor, meta, errors)
    checklist = context.checklist
    if checklist is None:
        return ImportPlan(
            filename=filename,
            errors=tuple(errors),
            country_code=meta.country_code or None,
            round_id=meta.round_id,
            round_name=meta.round_name or None,
            checklist_version=meta.checklist_version or None,
        )
    survey = None
    if context.country is not None and context.survey_round is not None:
        survey = find_survey(session, round_id=context.survey_round.id or 0, country_code=context.country.code)
    current_profile = get_profile(session, survey_id=survey.id) if survey is not None and survey.id else None

    # The profile first: the answers are checked against the one the import leaves in place.
    new_profile: ProfileInput | None = None
    if parsed.profile is not None and parsed.profile.fingerprint() != meta.profile_fingerprint:
        try:
            new_profile = parse_profile(parsed.profile.as_input())
        except ValidationFailed as exc:
            errors += _profile_errors(parsed.profile, exc.problems)
    effective = _profile_for_rules(new_profile) if new_profile is not None else current_profile
    applies = applicability(checklist, effective)

    seen: dict[str, int] = {}
    valid: list[AnswerInput] = []
    for row in parsed.rows:
        item = _check_row(row, checklist, seen, errors, applies)
        if item is None:
            continue
        if item.element_id not in meta.versions:
            errors.append(
                f"{_where(ANSWERS_SHEET, row.row, COL_ID)}: the hidden meta sheet records no answer version for "
                f"{item.element_id}. {FRESH_WORKBOOK}"
            )
            continue
        valid.append(item)

    errors.sort(key=_error_order)
    changes: list[PlannedChange] = []
    profile_change: ProfileChange | None = None
    if context.may_compare and context.country is not None and context.survey_round is not None:
        current = load_answers(session, survey_id=survey.id) if survey is not None and survey.id is not None else {}
        default = checklist.scale.default.code
        for item in valid:
            new = AnswerValues(item.status, item.note, item.evidence_url, item.target_date, item.stage, item.regions)
            existing = current.get(item.element_id)
            old = AnswerValues.of(existing, default)
            if new == old:
                continue
            if meta.fingerprints.get(item.element_id) == new.fingerprint():
                continue  # not touched in the workbook: the database's (newer) answer stays
            changes.append(
                PlannedChange(
                    element_id=item.element_id,
                    old=old,
                    new=new,
                    exported_version=meta.versions[item.element_id],
                    current_version=existing.version if existing is not None else 0,
                    changed_by=existing.answered_by if existing is not None else None,
                    changed_at=existing.answered_at.strftime("%Y-%m-%d %H:%M UTC") if existing is not None else None,
                )
            )
        old_profile = profile_values(current_profile)
        if new_profile is not None and new_profile.stored() != old_profile and meta.profile_version is not None:
            profile_change = ProfileChange(
                old=old_profile,
                new=new_profile,
                exported_version=meta.profile_version,
                current_version=current_profile.version if current_profile is not None else 0,
                changed_by=current_profile.updated_by if current_profile is not None else None,
                changed_at=current_profile.updated_at.strftime("%Y-%m-%d %H:%M UTC")
                if current_profile is not None
                else None,
            )
    return ImportPlan(
        filename=filename,
        errors=tuple(errors),
        changes=tuple(changes),
        country_code=context.country.code if context.country is not None else meta.country_code or None,
        country_name=context.country.name if context.country is not None else None,
        round_id=meta.round_id,
        round_name=context.survey_round.name if context.survey_round is not None else meta.round_name or None,
        checklist_version=checklist.version,
        status_labels={s.code: s.label for s in checklist.scale.statuses},
        profile_change=profile_change,
    )


# --------------------------------------------------------------------------------------------- applying


def apply_survey_import(
    session: Session, *, actor: Actor, plan: ImportPlan, resolutions: Mapping[str, Resolution]
) -> dict[str, int]:
    """Save the plan's changes in one transaction; returns each saved element's new version (and PROFILE_KEY's).

    The profile (profiles.save_profile) and then the answers (one save_answers call, checked against the new
    profile) are written in one transaction: all or nothing. Refused (nothing written) when the plan has errors or
    a conflict has no resolution. A conflict resolved "theirs" keeps the database's value; "mine" saves the
    workbook's over the version seen when the plan was made. Anything that changed after planning makes the
    services raise ConflictError.
    """
    if plan.errors:
        raise ValidationFailed(
            {"workbook": list(plan.errors)},
            summary="Nothing was imported: fix the workbook's errors and upload it again.",
        )
    if plan.country_code is None or plan.round_id is None:
        raise InvalidState("Nothing was imported: the plan names no country or round.")
    require_country_editor(session, actor, plan.country_code)
    unresolved: dict[str, list[str]] = {}
    for change in plan.conflicts:
        if resolutions.get(change.element_id) not in ("mine", "theirs"):
            unresolved[change.element_id] = [
                f"changed by {change.changed_by or 'someone'} at {change.changed_at or '?'} since the workbook was "
                "downloaded: choose 'mine' (the workbook's value) or 'theirs' (the database's value)."
            ]
    profile = plan.profile_change
    if profile is not None and profile.conflict and resolutions.get(PROFILE_KEY) not in ("mine", "theirs"):
        unresolved["Deployment profile"] = [
            f"changed by {profile.changed_by or 'someone'} at {profile.changed_at or '?'} since the workbook was "
            "downloaded: choose 'mine' (the workbook's profile) or 'theirs' (the database's)."
        ]
    if unresolved:
        raise ValidationFailed(unresolved, summary="Nothing was imported: some conflicts need a choice.")
    answers: list[AnswerInput] = []
    for change in plan.changes:
        if change.conflict:
            if resolutions[change.element_id] == "theirs":
                continue
            expected = change.current_version
        else:
            expected = change.exported_version
        answers.append(
            AnswerInput(
                element_id=change.element_id,
                status=change.new.status,
                note=change.new.note,
                evidence_url=change.new.evidence_url,
                target_date=change.new.target_date,
                stage=change.new.stage,  # a code, checked when planning
                regions=change.new.regions,
                expected_version=expected,
            )
        )
    if profile is not None and profile.conflict and resolutions[PROFILE_KEY] == "theirs":
        profile = None
    if not answers and profile is None:
        return {}
    survey = open_survey(session, actor=actor, round_id=plan.round_id, country_code=plan.country_code)
    assert survey.id is not None
    with transaction(session):
        saved: dict[str, int] = {}
        if profile is not None:
            expected = profile.current_version if profile.conflict else profile.exported_version
            stored = save_profile(
                session, actor=actor, survey_id=survey.id, profile=profile.new, expected_version=expected
            )
            saved[PROFILE_KEY] = stored.version
        if answers:
            saved.update(save_answers(session, actor=actor, survey_id=survey.id, answers=answers))
    return saved


def describe_saved(saved: Mapping[str, int]) -> str:
    """ "3 answer(s) and the deployment profile": what apply_survey_import saved ("" when nothing)."""
    answers = len([key for key in saved if key != PROFILE_KEY])
    parts = [f"{answers} answer(s)"] if answers else []
    if PROFILE_KEY in saved:
        parts.append("the deployment profile")
    return " and ".join(parts)


# --------------------------------------------------------------------------------------------- preview


def _describe_values(values: AnswerValues, label: Callable[[str], str]) -> str:
    parts = [label(values.status)]
    if values.note:
        parts.append(f"note {_shorten(values.note)!r}")
    if values.evidence_url:
        parts.append(f"URL {_shorten(values.evidence_url)}")
    if values.target_date:
        parts.append(f"target {values.target_date.isoformat()}")
    if values.stage:
        parts.append(STAGE_LABELS.get(values.stage, values.stage))
    if values.regions:
        parts.append(f"regions {_shorten(values.regions)!r}")
    return ", ".join(parts)


def _describe_difference(old: AnswerValues, new: AnswerValues, label: Callable[[str], str]) -> str:
    parts = []
    if old.status != new.status:
        parts.append(f"status {label(old.status)} -> {label(new.status)}")
    if old.note != new.note:
        parts.append(f"note {_shorten(old.note)!r} -> {_shorten(new.note)!r}")
    if old.evidence_url != new.evidence_url:
        parts.append(f"URL {_shorten(old.evidence_url)!r} -> {_shorten(new.evidence_url)!r}")
    if old.target_date != new.target_date:
        before = old.target_date.isoformat() if old.target_date else "none"
        after = new.target_date.isoformat() if new.target_date else "none"
        parts.append(f"target date {before} -> {after}")
    if old.stage != new.stage:
        parts.append(f"stage {STAGE_LABELS[old.stage]} -> {STAGE_LABELS[new.stage]}")
    if old.regions != new.regions:
        parts.append(f"regions {_shorten(old.regions) or 'all'!r} -> {_shorten(new.regions) or 'all'!r}")
    return "; ".join(parts)


def format_plan(plan: ImportPlan) -> str:
    """A plain-text preview of an import: what it is for, errors, changes and conflicts."""
    lines = [f"Workbook {plan.filename}"]
    if plan.country_code or plan.round_name:
        country = f"{plan.country_name} ({plan.country_code})" if plan.country_name else plan.country_code or "?"
        lines.append(
            f"Survey of {country}, round {plan.round_name or plan.round_id or '?'}, "
            f"checklist {plan.checklist_version or '?'}"
        )
    if plan.errors:
        lines.append(f"{len(plan.errors)} error(s); nothing can be imported until they are fixed:")
        lines += [f"  - {message}" for message in plan.errors]
    profile = plan.profile_change
    if profile is not None:
        before, after = describe_profile_change(profile)
        if profile.conflict:
            lines.append(
                f"Deployment profile: CONFLICT, changed by {profile.changed_by or 'someone'} at "
                f"{profile.changed_at or '?'} since the workbook was downloaded; choose mine (workbook) or theirs "
                f"(database): database: {before}; workbook: {after}"
            )
        else:
            lines.append(f"Deployment profile: {before} -> {after}")
    plain = [change for change in plan.changes if not change.conflict]
    if plain:
        lines.append(f"{len(plain)} change(s):")
        lines += [f"  {c.element_id}: {_describe_difference(c.old, c.new, plan.label)}" for c in plain]
    if plan.conflicts:
        lines.append(
            f"{len(plan.conflicts)} conflict(s): changed in the database since the workbook was downloaded; "
            "choose mine (workbook) or theirs (database) for each:"
        )
        for change in plan.conflicts:
            lines.append(
                f"  {change.element_id}: database (by {change.changed_by or 'someone'} at {change.changed_at or '?'}): "
                f"{_describe_values(change.old, plan.label)}; workbook: {_describe_values(change.new, plan.label)}"
            )
    if not plan.errors and not plan.change_count:
        lines.append("No changes: the workbook matches the database.")
    return "\n".join(lines)
