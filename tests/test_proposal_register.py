"""The change-proposal register workbook: export, checked import (every error named, nothing written), CLI."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, select

from mcwg_dashboard.cli import main
from mcwg_dashboard.excel.proposal_register import (
    COLUMNS,
    HISTORY_SHEET,
    META_SHEET,
    PROPOSALS_SHEET,
    apply_register_import,
    export_register,
    plan_register_import,
)
from mcwg_dashboard.models import AuditEntry, ChangeProposal, ProposalElement, ProposalEvent
from mcwg_dashboard.services import proposals
from mcwg_dashboard.services.errors import PermissionDenied
from tests.excel_helpers import book_bytes
from tests.helpers import ADMIN, MEMBER

FIRST: dict[str, Any] = {
    "title": "Retrieve URL: allow the base URI only",
    "country_code": None,
    "set_code": "KOS",
    "element_ids": ["KOS-16"],
    "problem": "MADO fills the Retrieve URL with the WADO-RS base URI only.",
    "proposed_change": "Accept the base URI form and say how to build the series URL.",
    "rationale": '=HYPERLINK("http://example.org")',
}


def _register(session: Session) -> ChangeProposal:
    proposals.submit_proposal(session, actor=MEMBER, data=FIRST)
    return proposals.submit_proposal(
        session,
        actor=MEMBER,
        data={**FIRST, "title": "Patient ID namespace", "set_code": "META", "element_ids": ["META-01"]},
    )


def _edit(data: bytes, rows: dict[int, dict[str, Any]]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[PROPOSALS_SHEET]
    for row, values in rows.items():
        for name, value in values.items():
            sheet.cell(row=row, column=COLUMNS.index(name) + 1, value=value)
    return book_bytes(book)


def _row_of(data: bytes, number: str) -> int:
    sheet = openpyxl.load_workbook(io.BytesIO(data))[PROPOSALS_SHEET]
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == number)


def _state(session: Session) -> tuple[int, int, int, int]:
    return (
        len(list(session.exec(select(ChangeProposal)))),
        len(list(session.exec(select(ProposalElement)))),
        len(list(session.exec(select(ProposalEvent)))),
        len(list(session.exec(select(AuditEntry)))),
    )


def test_export_has_every_proposal_its_history_and_versions(session: Session) -> None:
    second = _register(session)
    book = openpyxl.load_workbook(io.BytesIO(export_register(session, actor=MEMBER)))
    assert book.sheetnames[:3] == ["Instructions", PROPOSALS_SHEET, HISTORY_SHEET]
    assert book[META_SHEET].sheet_state == "veryHidden"
    sheet = book[PROPOSALS_SHEET]
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    assert [sheet.cell(row=r, column=1).value for r in range(2, 5)][2] is None and sheet.cell(row=3, column=1).value
    row = _row_of(export_register(session, actor=MEMBER), second.number)
    assert sheet.cell(row=row, column=COLUMNS.index("Elements") + 1).value == "META-01"
    # Text a spreadsheet would run stays text.
    rationale = sheet.cell(row=row, column=COLUMNS.index("Rationale") + 1)
    assert rationale.data_type == "s" and rationale.value.startswith("=HYPERLINK")
    assert book[HISTORY_SHEET].max_row == 3  # header + one "submitted" event each
    assert book[PROPOSALS_SHEET].protection.sheet


def test_round_trip_edits_and_adds_in_one_transaction(session: Session) -> None:
    second = _register(session)
    data = export_register(session, actor=ADMIN)
    row = _row_of(data, second.number)
    edited = _edit(
        data,
        {
            row: {"Title": "Patient ID: a regional namespace counts", "Elements": "META-01, META-02"},
            10: {
                "Set": "KIN",
                "Elements": "KIN-01",
                "Title": "Key images: say how many",
                "Problem": "Consumers cannot tell whether key images exist.",
                "Proposed change": "Add the number of key images to the manifest.",
                "Country": "NO",
            },
        },
    )
    plan = plan_register_import(session, actor=ADMIN, data=edited, filename="register.xlsx")
    assert plan.ok, plan.errors
    assert [(c.number, c.is_new) for c in plan.changes] == [(second.number, False), ("new", True)]
    assert set(plan.changes[0].changes) == {"Title", "Elements"}
    written = apply_register_import(session, actor=ADMIN, plan=plan)
    assert written[0] == second.number and written[1].startswith("CP-")
    assert proposals.elements_of(session, second.id or 0) == ["META-01", "META-02"]
    new = proposals.get_proposal(session, written[1])
    assert (new.state, new.country_code, new.submitted_by) == ("submitted", "NO", ADMIN.username)
    # Importing the same file again adds nothing twice.
    again = plan_register_import(session, actor=ADMIN, data=edited, filename="register.xlsx")
    assert any(f"already in the register ({written[1]})" in e for e in again.errors), again.errors
    # An edit of a proposal changed in the app since the export is refused.
    stale = _edit(data, {row: {"Title": "Patient ID: regional namespaces"}})
    plan = plan_register_import(session, actor=ADMIN, data=stale, filename="register.xlsx")
    assert any("was changed in the app since this register was exported" in e for e in plan.errors), plan.errors


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"Elements": "KOS-99"}, "Proposals, row {row}, column Elements: not in checklist version"),
        ({"Elements": "META-01"}, "Proposals, row {row}, column Elements: not in set KOS"),
        ({"Title": ""}, "Proposals, row {row}, column Title: write at least 5 characters"),
        ({"Country": "ZZ"}, "Proposals, row {row}, column Country: 'ZZ' is not a member code"),
        ({"Problem": "=1+1"}, "Proposals, row {row}, column Problem: contains a formula"),
        ({"Number": "CP-26-1"}, "Proposals, row {row}, column Number: 'CP-26-1' is not a proposal number"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_written(session: Session, edit: dict[str, Any], message: str) -> None:
    first = proposals.submit_proposal(session, actor=MEMBER, data=FIRST)
    data = export_register(session, actor=ADMIN)
    row = _row_of(data, first.number)
    before = _state(session)
    plan = plan_register_import(session, actor=ADMIN, data=_edit(data, {row: edit}), filename="r.xlsx")
    assert any(e.startswith(message.format(row=row)) for e in plan.errors), plan.errors
    assert not plan.changes
    with pytest.raises(Exception, match="Nothing was imported"):
        apply_register_import(session, actor=ADMIN, plan=plan)
    assert _state(session) == before


def test_other_files_and_roles_are_refused(session: Session, tmp_path: Path) -> None:
    first = proposals.submit_proposal(session, actor=MEMBER, data=FIRST)
    data = export_register(session, actor=ADMIN)
    with pytest.raises(PermissionDenied):
        plan_register_import(session, actor=MEMBER, data=data, filename="r.xlsx")
    not_a_register = openpyxl.Workbook()
    plan = plan_register_import(session, actor=ADMIN, data=book_bytes(not_a_register), filename="r.xlsx")
    assert "not a proposal register" in plan.errors[0]
    assert (
        "is not an Excel workbook"
        in plan_register_import(session, actor=ADMIN, data=b"a,b\n1,2\n", filename="r.xlsx").errors[0]
    )
    unchanged = plan_register_import(session, actor=ADMIN, data=data, filename="r.xlsx")
    assert unchanged.errors == ["Proposals: nothing to import: no row differs from the register."]
    # A decided proposal can no longer be edited through the register.
    proposals.transition(
        session, actor=ADMIN, proposal_id=first.id or 0, expected_version=1, action="reject", reason="Out of scope."
    )
    data = export_register(session, actor=ADMIN)
    row = _row_of(data, first.number)
    plan = plan_register_import(
        session, actor=ADMIN, data=_edit(data, {row: {"Title": "A new title"}}), filename="r.xlsx"
    )
    assert any("is rejected and can no longer be edited" in e for e in plan.errors)


def test_cli_export_edit_import(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    register = isolated_settings / "register.xlsx"
    assert main(["export-proposals", "--out", str(register)]) == 0
    data = register.read_bytes()
    row = _row_of(data, "CP-2026-003")
    edited = isolated_settings / "edited.xlsx"
    edited.write_bytes(_edit(data, {row: {"Elements": "META-02, KOS-01"}}))
    capsys.readouterr()
    assert main(["import-proposals", str(edited)]) == 1
    assert f"Proposals, row {row}, column Elements: not in set META" in capsys.readouterr().err
    edited.write_bytes(_edit(data, {row: {"Title": "Time of service: say which time zone (UTC offset)"}}))
    assert main(["import-proposals", str(edited), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "CP-2026-003: Title:" in out and "Dry run: nothing was saved." in out
    assert main(["import-proposals", str(edited)]) == 0
    assert "Saved 1 proposal(s): CP-2026-003." in capsys.readouterr().out
    assert main(["import-proposals", str(isolated_settings / "missing.xlsx")]) == 1
    assert "No such file" in capsys.readouterr().err


def test_a_register_exported_before_the_illustrative_column_still_imports(session: Session) -> None:
    second = _register(session)
    data = export_register(session, actor=ADMIN)
    row = _row_of(data, second.number)
    book = openpyxl.load_workbook(io.BytesIO(_edit(data, {row: {"Title": "Patient ID: a regional namespace"}})))
    book[PROPOSALS_SHEET].delete_cols(COLUMNS.index("Illustrative") + 1)
    plan = plan_register_import(session, actor=ADMIN, data=book_bytes(book), filename="register.xlsx")
    assert plan.ok, plan.errors
    assert [(c.number, set(c.changes)) for c in plan.changes] == [(second.number, {"Title"})]
