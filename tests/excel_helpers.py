"""Builders for survey-workbook tests: edit an exported workbook as a person would, craft bad files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

import openpyxl
from sqlmodel import Session, select

from mcwg_dashboard.excel.survey_workbook import (
    ANSWERS_SHEET,
    COLUMNS,
    META_SHEET,
    P_OPTION,
    P_VALUE,
    PROFILE_COLUMNS,
    PROFILE_SHEET,
)
from mcwg_dashboard.models import Answer, AuditEntry, CountrySurvey, DeploymentProfile

WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def open_book(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def book_bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def column(name: str) -> int:
    return COLUMNS.index(name) + 1


def row_of(sheet: Any, element_id: str) -> int:
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == element_id:
            return row
    raise KeyError(element_id)


def edit_answers(data: bytes, edits: Mapping[str, Mapping[str, Any]]) -> bytes:
    """Type values into the Answers sheet: {element ID: {column name: value}}; None empties a cell.

    Assigning through openpyxl behaves like typing in Excel: a text starting with '=' becomes a formula.
    """
    book = open_book(data)
    sheet = book[ANSWERS_SHEET]
    for element_id, values in edits.items():
        row = row_of(sheet, element_id)
        for name, value in values.items():
            sheet.cell(row=row, column=column(name)).value = value
    return book_bytes(book)


def profile_row(sheet: Any, option: str) -> int:
    """The Profile sheet's row whose Option column reads `option` ("A", "XCA-I + WADO-RS", "which regions")."""
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=PROFILE_COLUMNS.index(P_OPTION) + 1).value == option:
            return row
    raise KeyError(option)


def edit_profile(data: bytes, values: Mapping[str, Any]) -> bytes:
    """Type into the Profile sheet's 'Your answer' column: {option: value}; None empties the cell."""
    book = open_book(data)
    sheet = book[PROFILE_SHEET]
    for option, value in values.items():
        sheet.cell(row=profile_row(sheet, option), column=PROFILE_COLUMNS.index(P_VALUE) + 1).value = value
    return book_bytes(book)


def set_cells(data: bytes, sheet_name: str, cells: Mapping[str, Any]) -> bytes:
    """Overwrite cells by coordinate, e.g. {"B3": "XX"} on the meta sheet."""
    book = open_book(data)
    sheet = book[sheet_name]
    for coordinate, value in cells.items():
        sheet[coordinate].value = value
    return book_bytes(book)


def set_meta(data: bytes, key: str, value: Any) -> bytes:
    book = open_book(data)
    sheet = book[META_SHEET]
    for row in range(1, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == key:
            sheet.cell(row=row, column=2).value = value
            return book_bytes(book)
    raise KeyError(key)


def remove_sheet(data: bytes, sheet_name: str) -> bytes:
    book = open_book(data)
    del book[sheet_name]
    return book_bytes(book)


def rezip(data: bytes, *, replace: Mapping[str, bytes] | None = None, add: Mapping[str, bytes] | None = None) -> bytes:
    """The same package with some parts replaced or added."""
    replace = replace or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return buffer.getvalue()


def content_types(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("[Content_Types].xml")


def zip_of_zeros(data: bytes, megabytes: int) -> bytes:
    """A package with the real [Content_Types].xml and one highly compressible part (streamed, not held)."""
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types(data))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def snapshot(session: Session) -> tuple[list[tuple[Any, ...]], int, int, list[tuple[Any, ...]]]:
    """Everything an import could write: answers, audit entries, surveys, deployment profiles."""
    session.expire_all()
    answers = sorted(
        (a.survey_id, a.element_id, a.status, a.note, a.evidence_url, a.target_date, a.stage, a.regions, a.version)
        for a in session.exec(select(Answer))
    )
    profiles = sorted(
        (p.survey_id, p.architectures, p.stacks, p.repositories, p.scope, p.regions, p.note, p.version)
        for p in session.exec(select(DeploymentProfile))
    )
    return (
        answers,
        len(session.exec(select(AuditEntry)).all()),
        len(session.exec(select(CountrySurvey)).all()),
        profiles,
    )
