"""A product's IHE Integration Statement as an Excel workbook: download the template, fill it in, upload, preview,
apply.

Sheets: Instructions (what to fill in, and every known IHE profile with its actors and options); Statement (one row
per profile x actor x option the product implements); Connectathon (year, profile and actor of each Connectathon
result); Product (which product the workbook is for, and the statement's link and date); and a hidden Lists sheet
that feeds the drop-downs.

An upload passes the same file checks as a survey workbook (safety.check_upload). Every cell is then read as stored
(a formula is refused, never evaluated) and every problem is listed at once, each naming sheet, row and column. The
lines are checked against the known profiles by services.products.check_statement, whose "line N" problems are
mapped back to sheet rows. Only apply_statement_import writes, through products.replace_statement: the vendor's or
the focus group's rights, one transaction, an audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError
from sqlmodel import Session

from mcwg_dashboard.excel.safety import UploadRejected, check_upload
from mcwg_dashboard.excel.survey_workbook import (
    _EDITABLE_FILL,
    _HEADER_FILL,
    _cell_date,
    _cell_text,
    _length_validation,
    _list_validation,
    _put_text,
    _sheet_rows,
    _shorten,
)
from mcwg_dashboard.models import Product, Vendor
from mcwg_dashboard.product_catalogue import IheProfiles, load_ihe_profiles
from mcwg_dashboard.services import products
from mcwg_dashboard.services.actors import Actor
from mcwg_dashboard.services.errors import ConflictError, ValidationFailed, plain_message
from mcwg_dashboard.services.products import ConnectathonInput, ProductInput, StatementLine
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.text import clean_text

TEMPLATE_COMMAND = "python -m mcwg_dashboard statement-template --product"

INSTRUCTIONS_SHEET = "Instructions"
STATEMENT_SHEET = "Statement"
CONNECTATHON_SHEET = "Connectathon"
PRODUCT_SHEET = "Product"
LISTS_SHEET = "Lists"
# The order errors are listed in: the product first (a wrong product makes the rest moot), then the sheets' rows.
_SHEET_ORDER = {PRODUCT_SHEET: 0, STATEMENT_SHEET: 1, CONNECTATHON_SHEET: 2}

COL_PROFILE = "Profile"
COL_ACTOR = "Actor"
COL_OPTION = "Option"
COL_YEAR = "Year"
STATEMENT_COLUMNS = (COL_PROFILE, COL_ACTOR, COL_OPTION)
CONNECTATHON_COLUMNS = (COL_YEAR, COL_PROFILE, COL_ACTOR)
# The database columns' sizes (models.IntegrationStatementLine, ConnectathonResult).
TEXT_LIMITS = {COL_PROFILE: 40, COL_ACTOR: 80, COL_OPTION: 80}
_WHAT = {COL_PROFILE: "a profile code", COL_ACTOR: "an actor's name", COL_OPTION: "an option's name"}
MAX_ROWS = 2000
"""Data rows per sheet; a real statement has a few dozen lines."""
MAX_PRODUCT_ROWS = 50

P_ITEM = "Item"
P_VALUE = "Value"
P_NOTE = "Note"
ITEM_ID = "Product ID"
ITEM_VENDOR = "Vendor"
ITEM_NAME = "Product"
ITEM_VERSION = "Version"
ITEM_URL = "Statement link"
ITEM_DATE = "Statement date"
PRODUCT_ITEMS = (ITEM_ID, ITEM_VENDOR, ITEM_NAME, ITEM_VERSION, ITEM_URL, ITEM_DATE)
_VALUE_LETTER = "B"


# --------------------------------------------------------------------------------------------- template


def _header(sheet: Any, names: Sequence[str], widths: Sequence[int]) -> None:
    for number, (name, width) in enumerate(zip(names, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=number, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "A2"


def _write_instructions(book: Any, label: str | None, profiles: IheProfiles) -> None:
    sheet = book.active
    assert sheet is not None
    sheet.title = INSTRUCTIONS_SHEET
    title = f"IHE Integration Statement of {label}" if label else "IHE Integration Statement (blank template)"
    lines = [
        title,
        "",
        f"{STATEMENT_SHEET}: one row per profile, actor and option the product implements, from row 2.",
        f"  {COL_PROFILE}: the profile's code as listed below (drop-down), e.g. XDS-I.b.",
        f"  {COL_ACTOR}: the actor's name as listed below for that profile, e.g. Imaging Document Source.",
        f"  {COL_OPTION}: one option per row, as listed below for that actor; an actor implemented with two options "
        "takes two rows. Leave it empty for the actor itself.",
        f"{CONNECTATHON_SHEET} (optional): one row per Connectathon result: the year, the profile and the actor "
        "tested. An empty sheet means no result; a workbook without this sheet keeps the stored results.",
        f"{PRODUCT_SHEET}: the product this workbook is for; do not change its ID, vendor, name or version. Fill in "
        "the statement's link (https://...) and date (YYYY-MM-DD); an empty cell keeps the stored value.",
        "",
        "The import replaces the whole statement: a stored line that is not in the workbook is removed. You see "
        "what is added and removed before anything is saved.",
        "Nothing is saved while any row has a problem; every problem is listed with its sheet, row and column.",
        f"Type values, not formulas. At most {MAX_ROWS} rows per sheet; a profile code has at most "
        f"{TEXT_LIMITS[COL_PROFILE]} characters, an actor or option at most {TEXT_LIMITS[COL_ACTOR]}.",
        "Only the product's vendor and the focus group may import its statement.",
        "",
        "Known profiles, their actors and options (ask the focus group to add one that is missing):",
    ]
    for number, line in enumerate(lines, start=1):
        _put_text(sheet.cell(row=number, column=1), line)
    sheet["A1"].font = Font(bold=True, size=14)
    table_row = len(lines) + 1
    names = ("Profile", "Domain", "Title", "Actor", "Options")
    for number, name in enumerate(names, start=1):
        cell = sheet.cell(row=table_row, column=number, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    row = table_row + 1
    for profile in profiles.profiles:
        for actor, options in profile.actors.items():
            values = (profile.code, profile.domain, profile.title, actor, "; ".join(options) or "none")
            for number, value in enumerate(values, start=1):
                _put_text(sheet.cell(row=row, column=number), value)
                sheet.cell(row=row, column=number).alignment = Alignment(vertical="top", wrap_text=number == 5)
            row += 1
    # Column A holds the long instruction lines too: they overflow into the empty cells to their right.
    for letter, width in zip("ABCDE", (14, 9, 44, 34, 60), strict=True):
        sheet.column_dimensions[letter].width = width


def _write_lists(book: Any, profiles: IheProfiles) -> dict[str, str]:
    """The hidden sheet the drop-downs read; returns each column's range formula (only for non-empty lists)."""
    sheet = book.create_sheet(LISTS_SHEET)
    actors = sorted({actor for p in profiles.profiles for actor in p.actors}, key=str.casefold)
    options = sorted({o for p in profiles.profiles for opts in p.actors.values() for o in opts}, key=str.casefold)
    formulas = {}
    for letter, name, values in (
        ("A", COL_PROFILE, [p.code for p in profiles.profiles]),
        ("B", COL_ACTOR, actors),
        ("C", COL_OPTION, options),
    ):
        for row, value in enumerate(values, start=1):
            _put_text(sheet[f"{letter}{row}"], value)
        if values:
            formulas[name] = f"{LISTS_SHEET}!${letter}$1:${letter}${len(values)}"
    sheet.sheet_state = "hidden"
    return formulas


def _add_drop_downs(sheet: Any, columns: Sequence[str], formulas: dict[str, str]) -> None:
    last = MAX_ROWS + 1
    for number, name in enumerate(columns, start=1):
        letter = get_column_letter(number)
        if name == COL_YEAR:
            validation = DataValidation(
                type="whole",
                operator="between",
                formula1="1998",
                formula2=str(dt.date.today().year + 1),
                allow_blank=True,
                showErrorMessage=True,
                error="The Connectathon's year, e.g. 2024.",
            )
        elif name in formulas:
            validation = _list_validation(
                formulas[name],
                name,
                f"Choose a known {name.lower()}: the Instructions sheet lists them for each profile.",
            )
        else:
            validation = _length_validation(TEXT_LIMITS[name], f"At most {TEXT_LIMITS[name]} characters.")
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{last}")


def _write_product(book: Any, product: Product | None, vendor: Vendor | None) -> None:
    sheet = book.create_sheet(PRODUCT_SHEET)
    _header(sheet, (P_ITEM, P_VALUE, P_NOTE), (18, 48, 70))
    fixed = "Names the product this workbook is for: do not change."
    blank = "Blank template: the import is for the product it is uploaded for."
    rows: list[tuple[str, Any, str]] = [
        (ITEM_ID, product.id if product else None, fixed if product else blank),
        (ITEM_VENDOR, vendor.name if vendor else "", fixed if product else blank),
        (ITEM_NAME, product.name if product else "", fixed if product else blank),
        (ITEM_VERSION, product.version if product else "", fixed if product else blank),
        (
            ITEM_URL,
            product.statement_url if product else "",
            "Where the vendor publishes this integration statement (https://...). Empty: the stored link stays.",
        ),
        (
            ITEM_DATE,
            product.statement_date if product else None,
            "The statement's date (YYYY-MM-DD). Empty: the stored date stays.",
        ),
    ]
    for row, (item, value, note) in enumerate(rows, start=2):
        _put_text(sheet.cell(row=row, column=1), item)
        cell = sheet.cell(row=row, column=2)
        if isinstance(value, str):
            _put_text(cell, value)
        else:
            cell.value = value
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        _put_text(sheet.cell(row=row, column=3), note)
        if item in (ITEM_URL, ITEM_DATE) or product is None:
            cell.protection = Protection(locked=False)
            cell.fill = _EDITABLE_FILL
    if product is not None:
        # The identifying cells stay as exported; the link and date stay editable.
        sheet.protection.sheet = True
        sheet.protection.formatColumns = False


def statement_template_bytes(session: Session, *, product_id: int | None = None) -> bytes:
    """The integration-statement workbook: blank, or pre-filled with a product's stored statement and results."""
    product = products.get_product(session, product_id) if product_id is not None else None
    vendor = session.get(Vendor, product.vendor_id) if product is not None else None
    profiles = load_ihe_profiles()
    book = openpyxl.Workbook()
    _write_instructions(book, products.product_label(vendor, product) if product and vendor else None, profiles)

    statement = book.create_sheet(STATEMENT_SHEET)
    _header(statement, STATEMENT_COLUMNS, (14, 40, 40))
    connectathon = book.create_sheet(CONNECTATHON_SHEET)
    _header(connectathon, CONNECTATHON_COLUMNS, (8, 14, 40))
    if product is not None and product.id is not None:
        for row, line in enumerate(_stored_lines(session, product.id), start=2):
            for number, value in enumerate(_line_key(line), start=1):
                _put_text(statement.cell(row=row, column=number), value)
        for row, result in enumerate(_stored_results(session, product.id), start=2):
            connectathon.cell(row=row, column=1, value=result.year)
            _put_text(connectathon.cell(row=row, column=2), result.profile)
            _put_text(connectathon.cell(row=row, column=3), result.actor)
    _write_product(book, product, vendor)
    formulas = _write_lists(book, profiles)
    _add_drop_downs(statement, STATEMENT_COLUMNS, formulas)
    _add_drop_downs(connectathon, CONNECTATHON_COLUMNS, formulas)
    book.active = 1  # open on the Statement sheet
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------- reading


def where(sheet: str, row: int, column: int, name: str) -> str:
    """ "Sheet 'Statement', row 7, column B (Actor)": how every problem names its cell."""
    return f"Sheet '{sheet}', row {row}, column {get_column_letter(column)} ({name})"


@dataclass
class _Problems:
    """Problems found while reading, kept with their place so they can be listed sheet by sheet, row by row."""

    found: list[tuple[int, int, int, str]] = field(default_factory=list)

    def add(self, sheet: str, row: int, column: int, message: str) -> None:
        self.found.append((_SHEET_ORDER.get(sheet, 9), row, column, message))

    def add_to_sheet(self, sheet: str, message: str) -> None:
        self.found.append((_SHEET_ORDER.get(sheet, 9), 0, 0, f"Sheet '{sheet}': {message}"))

    def text(self, cell: Any, sheet: str, row: int, column: int, name: str) -> str | None:
        """The cell as text (whitespace runs made one space), or None with a problem: a formula, an error value."""
        scratch: list[str] = []
        raw = _cell_text(cell, where(sheet, row, column, name), scratch)
        for message in scratch:
            self.add(sheet, row, column, message)
        return None if raw is None else " ".join(clean_text(raw).split())

    def limited(self, cell: Any, sheet: str, row: int, column: int, name: str) -> str | None:
        text = self.text(cell, sheet, row, column, name)
        if text is not None and len(text) > TEXT_LIMITS[name]:
            self.add(
                sheet,
                row,
                column,
                f"{where(sheet, row, column, name)}: {_shorten(text)!r} has {len(text)} characters; "
                f"{_WHAT[name]} has at most {TEXT_LIMITS[name]}.",
            )
            return None
        return text

    def messages(self) -> list[str]:
        return [message for *_, message in sorted(self.found, key=lambda item: item[:3])]


def _table(book: Any, sheet_name: str, columns: Sequence[str], problems: _Problems) -> list[tuple[int, Any]] | None:
    """The sheet's non-empty data rows (row number, cells), or None (with a problem) when it cannot be used."""
    sheet_rows = _sheet_rows(book[sheet_name], max_col=len(columns), limit=MAX_ROWS + 1)
    if sheet_rows is None:
        problems.add_to_sheet(
            sheet_name,
            f"more than {MAX_ROWS} rows; an integration statement has far fewer. Remove the empty or repeated rows.",
        )
        return None
    header: list[Any] = [cell.value for cell in sheet_rows[0][1]] if sheet_rows else [None] * len(columns)
    wrong = [
        f"column {get_column_letter(number)} should be {name!r} but is {header[number - 1]!r}"
        for number, name in enumerate(columns, start=1)
        if not isinstance(header[number - 1], str) or header[number - 1].strip().casefold() != name.casefold()
    ]
    if wrong:
        problems.add(
            sheet_name,
            1,
            0,
            f"Sheet '{sheet_name}', row 1: the header was changed ({'; '.join(wrong)}); the columns must be "
            f"{', '.join(columns)}, in this order.",
        )
        return None
    return [
        (row, cells)
        for row, cells in sheet_rows[1:]
        if any(
            cell.value is not None and not (isinstance(cell.value, str) and not cell.value.strip()) for cell in cells
        )
    ]


def _read_lines(book: Any, problems: _Problems) -> list[tuple[int, StatementLine]]:
    if STATEMENT_SHEET not in book.sheetnames:
        problems.add_to_sheet(
            STATEMENT_SHEET,
            f"the sheet is missing: the statement's lines go on a sheet named '{STATEMENT_SHEET}' with the columns "
            f"{', '.join(STATEMENT_COLUMNS)}.",
        )
        return []
    rows = _table(book, STATEMENT_SHEET, STATEMENT_COLUMNS, problems)
    if rows is None:
        return []
    if not rows:
        problems.add_to_sheet(
            STATEMENT_SHEET, "no line: list at least one profile and actor the product implements, from row 2."
        )
        return []
    lines = []
    for row, cells in rows:
        texts = {
            name: problems.limited(cells[number - 1], STATEMENT_SHEET, row, number, name)
            for number, name in enumerate(STATEMENT_COLUMNS, start=1)
        }
        missing = False
        for number, name in enumerate((COL_PROFILE, COL_ACTOR), start=1):
            if texts[name] == "":
                problems.add(
                    STATEMENT_SHEET,
                    row,
                    number,
                    f"{where(STATEMENT_SHEET, row, number, name)}: the {name.lower()} is missing.",
                )
                missing = True
        if missing or any(value is None for value in texts.values()):
            continue
        lines.append((row, StatementLine(profile=texts[COL_PROFILE], actor=texts[COL_ACTOR], option=texts[COL_OPTION])))
    return lines


def _year(cell: Any, row: int, problems: _Problems) -> int | None:
    place = where(CONNECTATHON_SHEET, row, 1, COL_YEAR)
    text = problems.text(cell, CONNECTATHON_SHEET, row, 1, COL_YEAR)
    if text is None:
        return None
    if not text:
        problems.add(CONNECTATHON_SHEET, row, 1, f"{place}: the year is missing.")
        return None
    if isinstance(cell.value, bool) or not re.fullmatch(r"\d{4}", text):
        problems.add(CONNECTATHON_SHEET, row, 1, f"{place}: {_shorten(text)!r} is not a year (write it as 2024).")
        return None
    return int(text)


def _read_results(book: Any, problems: _Problems) -> list[tuple[int, ConnectathonInput]] | None:
    """The Connectathon results, or None when the workbook has no Connectathon sheet (the stored ones stay)."""
    if CONNECTATHON_SHEET not in book.sheetnames:
        return None
    rows = _table(book, CONNECTATHON_SHEET, CONNECTATHON_COLUMNS, problems)
    if rows is None:
        return []
    results = []
    for row, cells in rows:
        year = _year(cells[0], row, problems)
        profile = problems.limited(cells[1], CONNECTATHON_SHEET, row, 2, COL_PROFILE)
        actor = problems.limited(cells[2], CONNECTATHON_SHEET, row, 3, COL_ACTOR)
        missing = False
        for number, name, value in ((2, COL_PROFILE, profile), (3, COL_ACTOR, actor)):
            if value == "":
                problems.add(
                    CONNECTATHON_SHEET,
                    row,
                    number,
                    f"{where(CONNECTATHON_SHEET, row, number, name)}: the {name.lower()} is missing.",
                )
                missing = True
        if missing or year is None or profile is None or actor is None:
            continue
        try:
            results.append((row, ConnectathonInput(year=year, profile=profile, actor=actor)))
        except ValidationError as exc:
            for error in exc.errors():
                problems.add(
                    CONNECTATHON_SHEET,
                    row,
                    1,
                    f"{where(CONNECTATHON_SHEET, row, 1, COL_YEAR)}: {plain_message(error)}.",
                )
    return results


@dataclass(frozen=True)
class _ProductSheet:
    statement_url: str | None = None
    statement_date: dt.date | None = None


def _read_product(book: Any, session: Session, product: Product, vendor: Vendor, problems: _Problems) -> _ProductSheet:
    """The statement's link and date (None: keep the stored one), after checking the sheet names this product."""
    if PRODUCT_SHEET not in book.sheetnames:
        return _ProductSheet()
    sheet_rows = _sheet_rows(book[PRODUCT_SHEET], max_col=2, limit=MAX_PRODUCT_ROWS)
    if sheet_rows is None:
        problems.add_to_sheet(PRODUCT_SHEET, f"more than {MAX_PRODUCT_ROWS} rows; it has {len(PRODUCT_ITEMS)} items.")
        return _ProductSheet()
    # Items are found by their label, not their row: a row inserted above them does not shift what is read.
    items: dict[str, tuple[int, Any]] = {}
    known = {item.casefold(): item for item in PRODUCT_ITEMS}
    for row, (item_cell, value_cell) in sheet_rows:
        typed_item = item_cell.value.strip().casefold() if isinstance(item_cell.value, str) else ""
        if typed_item in known:
            items.setdefault(known[typed_item], (row, value_cell))
    if not _names_this_product(items, session, product, vendor, problems):
        return _ProductSheet()
    return _ProductSheet(
        statement_url=_statement_url(items, product, problems), statement_date=_statement_date(items, problems)
    )


def _item_text(items: dict[str, tuple[int, Any]], item: str, problems: _Problems) -> tuple[int, str | None]:
    row, cell = items[item]
    return row, problems.text(cell, PRODUCT_SHEET, row, 2, item)


def _names_this_product(
    items: dict[str, tuple[int, Any]], session: Session, product: Product, vendor: Vendor, problems: _Problems
) -> bool:
    """False (with a problem) when the Product sheet names another product; empty cells name none (blank template)."""
    label = products.product_label(vendor, product)
    template = f"the template of {label} (`{TEMPLATE_COMMAND} {product.id}`)"
    if ITEM_ID in items:
        row, typed = _item_text(items, ITEM_ID, problems)
        place = where(PRODUCT_SHEET, row, 2, ITEM_ID)
        number = (typed or "").removesuffix(".0")
        if typed and not number.isdigit():
            problems.add(
                PRODUCT_SHEET, row, 2, f"{place}: {_shorten(typed)!r} is not a product ID. Download {template}."
            )
            return False
        if typed and int(number) != product.id:
            other = session.get(Product, int(number))
            other_vendor = session.get(Vendor, other.vendor_id) if other is not None else None
            named = (
                f"{products.product_label(other_vendor, other)} (product ID {number})"
                if other is not None and other_vendor is not None
                else f"product ID {number}, which is not in this database"
            )
            problems.add(
                PRODUCT_SHEET,
                row,
                2,
                f"{place}: this workbook is for {named}, not for {label} (product ID {product.id}). Import it for "
                f"that product, or download {template}.",
            )
            return False
    matches = True
    for item, expected in ((ITEM_VENDOR, vendor.name), (ITEM_NAME, product.name), (ITEM_VERSION, product.version)):
        if item not in items:
            continue
        row, typed = _item_text(items, item, problems)
        if typed and typed.casefold() != " ".join(expected.split()).casefold():
            problems.add(
                PRODUCT_SHEET,
                row,
                2,
                f"{where(PRODUCT_SHEET, row, 2, item)}: this workbook names {item.lower()} {_shorten(typed)!r}, but it "
                f"is imported for {label}. Download {template}.",
            )
            matches = False
    return matches


def _statement_url(items: dict[str, tuple[int, Any]], product: Product, problems: _Problems) -> str | None:
    """The link typed on the Product sheet, checked as the product form checks it; None when empty."""
    if ITEM_URL not in items:
        return None
    row, typed = _item_text(items, ITEM_URL, problems)
    if not typed:
        return None
    data = product.model_dump(include=set(ProductInput.model_fields)) | {"statement_url": typed}
    try:
        return ProductInput.model_validate(data).statement_url
    except ValidationError as exc:
        for error in exc.errors():
            if tuple(error["loc"]) == ("statement_url",):
                problems.add(
                    PRODUCT_SHEET, row, 2, f"{where(PRODUCT_SHEET, row, 2, ITEM_URL)}: {plain_message(error)}."
                )
        return None


def _statement_date(items: dict[str, tuple[int, Any]], problems: _Problems) -> dt.date | None:
    if ITEM_DATE not in items:
        return None
    row, cell = items[ITEM_DATE]
    scratch: list[str] = []
    statement_date, _ = _cell_date(cell, where(PRODUCT_SHEET, row, 2, ITEM_DATE), scratch)
    for message in scratch:
        problems.add(PRODUCT_SHEET, row, 2, message)
    return statement_date


# --------------------------------------------------------------------------------------------- planning


def _same_name(typed: str, names: Sequence[str]) -> str | None:
    """The catalogue's spelling of a name typed with another case or spacing ("document  source")."""
    wanted = " ".join(typed.split()).casefold()
    return next((name for name in names if name.casefold() == wanted), None)


def _catalogue_line(line: StatementLine, profiles: IheProfiles) -> StatementLine:
    profile = profiles.find(line.profile)
    if profile is None:
        return line
    actor = _same_name(line.actor, list(profile.actors)) or line.actor
    option = (_same_name(line.option, profile.actors.get(actor, ())) or line.option) if line.option else ""
    return StatementLine(profile=profile.code, actor=actor, option=option)


def _catalogue_result(result: ConnectathonInput, profiles: IheProfiles) -> ConnectathonInput:
    profile = profiles.find(result.profile)
    if profile is None:
        return result
    actor = _same_name(result.actor, list(profile.actors)) or result.actor
    return ConnectathonInput(year=result.year, profile=profile.code, actor=actor)


def _line_key(line: StatementLine) -> tuple[str, str, str]:
    return (line.profile, line.actor, line.option)


def _result_key(result: ConnectathonInput) -> tuple[int, str, str]:
    return (result.year, result.profile, result.actor)


def _statement_column(line: StatementLine, profiles: IheProfiles) -> int:
    """The column a catalogue problem of this line is in: the first of profile, actor, option that is unknown."""
    profile = profiles.find(line.profile)
    if profile is None:
        return 1
    if line.actor not in profile.actors:
        return 2
    return 3


def _map_problems(
    problems: _Problems,
    found: dict[str, list[str]],
    lines: Sequence[tuple[int, StatementLine]],
    results: Sequence[tuple[int, ConnectathonInput]],
    results_from_sheet: bool,
    profiles: IheProfiles,
) -> None:
    """The services' "line N" / "Connectathon line N" problems, put back on the sheet rows they came from."""
    first_line_row: dict[tuple[str, str, str], int] = {}
    for row, line in lines:
        first_line_row.setdefault(_line_key(line), row)
    first_result_row: dict[tuple[int, str, str], int] = {}
    for row, result in results:
        first_result_row.setdefault(_result_key(result), row)
    for key, messages in found.items():
        number = re.fullmatch(r"(Connectathon )?line (\d+)", key)
        if number is None:  # not a line's problem: the statement as a whole
            for message in messages:
                problems.add_to_sheet(STATEMENT_SHEET, message)
            continue
        index = int(number.group(2)) - 1
        for message in messages:
            # The services word a duplicate "... listed twice"; we add where it was listed first.
            duplicate = "listed twice" in message
            if number.group(1) is None:
                row, line = lines[index]
                column = 1 if duplicate else _statement_column(line, profiles)
                name = STATEMENT_COLUMNS[column - 1]
                first = f" (first on row {first_line_row[_line_key(line)]})" if duplicate else ""
                problems.add(
                    STATEMENT_SHEET, row, column, f"{where(STATEMENT_SHEET, row, column, name)}: {message}{first}."
                )
            elif results_from_sheet:
                row, result = results[index]
                tested = profiles.find(result.profile)
                column = 1 if duplicate else (2 if tested is None else 3)
                name = CONNECTATHON_COLUMNS[column - 1]
                first = f" (first on row {first_result_row[_result_key(result)]})" if duplicate else ""
                problems.add(
                    CONNECTATHON_SHEET,
                    row,
                    column,
                    f"{where(CONNECTATHON_SHEET, row, column, name)}: {message}{first}.",
                )
            else:
                _, result = results[index]
                problems.add_to_sheet(
                    CONNECTATHON_SHEET,
                    f"the workbook has no '{CONNECTATHON_SHEET}' sheet, so the stored results stay, but the stored "
                    f"result {result.year} {result.profile} {result.actor} is no longer valid: {message}. Add a "
                    f"'{CONNECTATHON_SHEET}' sheet (Year, Profile, Actor) with the results to keep.",
                )


def _stored_lines(session: Session, product_id: int) -> list[StatementLine]:
    frame = products.statement_frame(session, product_id)
    return [
        StatementLine(profile=str(r["Profile"]), actor=str(r["Actor"]), option=str(r["Option"]))
        for r in frame.to_dict("records")
    ]


def _stored_results(session: Session, product_id: int) -> list[ConnectathonInput]:
    frame = products.connectathon_frame(session, product_id)
    # Stored results passed these checks when they were imported: not validated again (a year limit that moved
    # must not make the preview fail).
    return [
        ConnectathonInput.model_construct(year=int(r["Year"]), profile=str(r["Profile"]), actor=str(r["Actor"]))
        for r in frame.to_dict("records")
    ]


def _stored_fingerprint(session: Session, product: Product) -> str:
    """What the preview was compared with: apply refuses when it changed in between."""
    assert product.id is not None
    stored = {
        "lines": sorted(_line_key(line) for line in _stored_lines(session, product.id)),
        "results": sorted(_result_key(result) for result in _stored_results(session, product.id)),
        "statement_url": product.statement_url,
        "statement_date": product.statement_date.isoformat() if product.statement_date else None,
    }
    return hashlib.sha256(json.dumps(stored, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class StatementPlan:
    """What an upload would store for a product; nothing may be applied while it has `errors`."""

    product_id: int
    product_label: str
    filename: str
    errors: tuple[str, ...] = ()
    lines: tuple[StatementLine, ...] = ()
    connectathon: tuple[ConnectathonInput, ...] = ()
    # False: the workbook has no Connectathon sheet, and `connectathon` holds the stored results (they stay).
    connectathon_from_workbook: bool = True
    # None: the workbook leaves the stored link or date as it is.
    statement_url: str | None = None
    statement_date: dt.date | None = None
    # The change, versus what is stored.
    added: tuple[StatementLine, ...] = ()
    removed: tuple[StatementLine, ...] = ()
    unchanged: int = 0
    results_added: tuple[ConnectathonInput, ...] = ()
    results_removed: tuple[ConnectathonInput, ...] = ()
    results_unchanged: int = 0
    stored_url: str = ""
    stored_date: dt.date | None = None
    stored_fingerprint: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def url_changes(self) -> bool:
        return self.statement_url is not None and self.statement_url != self.stored_url

    @property
    def date_changes(self) -> bool:
        return self.statement_date is not None and self.statement_date != self.stored_date

    @property
    def has_changes(self) -> bool:
        return bool(
            self.added
            or self.removed
            or self.results_added
            or self.results_removed
            or self.url_changes
            or self.date_changes
        )

    def describe(self) -> str:
        """The preview as plain text (format_statement_plan)."""
        return format_statement_plan(self)


def plan_statement_import(
    session: Session, *, actor: Actor, product_id: int, data: bytes, filename: str
) -> StatementPlan:
    """Check an uploaded integration statement for a product and compare it with the stored one; writes nothing.

    Raises PermissionDenied (before the file is read) when the actor may not change the product. Every problem
    of the file is in `errors`, each naming sheet, row and column.
    """
    product = products.get_product(session, product_id)
    products.require_product_editor(session, actor, product)
    vendor = session.get(Vendor, product.vendor_id)
    assert vendor is not None and product.id is not None
    label = products.product_label(vendor, product)
    plan = StatementPlan(
        product_id=product.id,
        product_label=label,
        filename=filename,
        stored_url=product.statement_url,
        stored_date=product.statement_date,
    )
    try:
        check_upload(data, filename=filename)
    except UploadRejected as exc:
        return replace(plan, errors=(str(exc),))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False, keep_vba=False
            )
    except Exception as exc:  # openpyxl raises many kinds for a package that is not a workbook
        message = f"{filename.strip()!r} cannot be read as an Excel workbook ({type(exc).__name__})."
        return replace(plan, errors=(f"{message} Download a fresh template (`{TEMPLATE_COMMAND} {product.id}`).",))
    problems = _Problems()
    try:
        product_sheet = _read_product(book, session, product, vendor, problems)
        lines = _read_lines(book, problems)
        sheet_results = _read_results(book, problems)
    finally:
        book.close()

    profiles = load_ihe_profiles()
    lines = [(row, _catalogue_line(line, profiles)) for row, line in lines]
    stored_results = _stored_results(session, product.id)
    results_from_sheet = sheet_results is not None
    results = (
        [(row, _catalogue_result(result, profiles)) for row, result in sheet_results]
        if sheet_results is not None
        else [(0, result) for result in stored_results]
    )
    found = products.check_statement([line for _, line in lines], [result for _, result in results])
    _map_problems(problems, found, lines, results, results_from_sheet, profiles)
    errors = tuple(problems.messages())
    if errors:
        return replace(plan, errors=errors)

    new_lines = [line for _, line in lines]
    new_results = [result for _, result in results]
    stored_lines = _stored_lines(session, product.id)
    stored_line_keys = {_line_key(line) for line in stored_lines}
    new_line_keys = {_line_key(line) for line in new_lines}
    stored_result_keys = {_result_key(result) for result in stored_results}
    new_result_keys = {_result_key(result) for result in new_results}
    return replace(
        plan,
        lines=tuple(new_lines),
        connectathon=tuple(new_results),
        connectathon_from_workbook=results_from_sheet,
        statement_url=product_sheet.statement_url,
        statement_date=product_sheet.statement_date,
        added=tuple(line for line in new_lines if _line_key(line) not in stored_line_keys),
        removed=tuple(line for line in stored_lines if _line_key(line) not in new_line_keys),
        unchanged=len(stored_line_keys & new_line_keys),
        results_added=tuple(r for r in new_results if _result_key(r) not in stored_result_keys),
        results_removed=tuple(r for r in stored_results if _result_key(r) not in new_result_keys),
        results_unchanged=len(stored_result_keys & new_result_keys),
        stored_fingerprint=_stored_fingerprint(session, product),
    )


# --------------------------------------------------------------------------------------------- applying


def apply_statement_import(session: Session, *, actor: Actor, plan: StatementPlan) -> tuple[int, int]:
    """Store a checked plan: the statement and Connectathon results replaced in one transaction, with an audit
    entry. Returns (lines, Connectathon results) stored. Refused, with nothing written, when the plan has errors,
    the actor may not change the product, or the stored statement changed since the plan was made."""
    if plan.errors:
        raise ValidationFailed(
            {"workbook": list(plan.errors)},
            summary="Nothing was imported: fix the workbook's errors and upload it again.",
        )
    product = products.get_product(session, plan.product_id)
    products.require_product_editor(session, actor, product)
    with transaction(session):
        if _stored_fingerprint(session, product) != plan.stored_fingerprint:
            raise ConflictError(
                [],
                f"Not saved: the integration statement of {plan.product_label} was changed by someone else since "
                "this preview. Check the workbook again to see the changes against the new statement.",
            )
        return products.replace_statement(
            session,
            actor=actor,
            product_id=plan.product_id,
            lines=plan.lines,
            connectathon=plan.connectathon,
            statement_url=plan.statement_url,
            statement_date=plan.statement_date,
        )


# --------------------------------------------------------------------------------------------- preview


def describe_line(line: StatementLine) -> str:
    return f"{line.profile} / {line.actor} / " + (f"option {line.option}" if line.option else "no option")


def describe_result(result: ConnectathonInput) -> str:
    return f"{result.year} {result.profile} / {result.actor}"


def format_statement_plan(plan: StatementPlan) -> str:
    """A plain-text preview: what the import is for, then its errors or what it adds, removes and keeps."""
    lines = [f"Integration statement of {plan.product_label}, from {plan.filename}"]
    if plan.errors:
        lines.append(f"{len(plan.errors)} error(s); nothing can be imported until they are fixed:")
        lines += [f"  - {message}" for message in plan.errors]
        return "\n".join(lines)
    lines.append(f"Statement lines: {len(plan.added)} added, {len(plan.removed)} removed, {plan.unchanged} unchanged.")
    lines += [f"  + {describe_line(line)}" for line in plan.added]
    lines += [f"  - {describe_line(line)}" for line in plan.removed]
    if plan.connectathon_from_workbook:
        lines.append(
            f"Connectathon results: {len(plan.results_added)} added, {len(plan.results_removed)} removed, "
            f"{plan.results_unchanged} unchanged."
        )
        lines += [f"  + {describe_result(result)}" for result in plan.results_added]
        lines += [f"  - {describe_result(result)}" for result in plan.results_removed]
    else:
        lines.append(
            f"Connectathon results: the workbook has no '{CONNECTATHON_SHEET}' sheet; the "
            f"{plan.results_unchanged} stored result(s) stay."
        )
    if plan.url_changes:
        lines.append(f"Statement link: {plan.stored_url or 'none'} -> {plan.statement_url}")
    if plan.date_changes:
        before = plan.stored_date.isoformat() if plan.stored_date else "none"
        lines.append(f"Statement date: {before} -> {plan.statement_date}")
    if not plan.has_changes:
        lines.append("No changes: the workbook matches the stored statement.")
    return "\n".join(lines)
