"""The integration-statement workbook: the template, every check of an upload (named by sheet, row and column, all
at once, nothing stored), the preview against the stored statement, the one-transaction apply with its audit entry,
who may import, and the command line."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, col, select

from mcwg_dashboard.cli import main
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.excel.integration_statement import (
    CONNECTATHON_SHEET,
    LISTS_SHEET,
    MAX_ROWS,
    PRODUCT_SHEET,
    STATEMENT_SHEET,
    StatementPlan,
    apply_statement_import,
    format_statement_plan,
    plan_statement_import,
    statement_template_bytes,
)
from mcwg_dashboard.models import AuditEntry, Product
from mcwg_dashboard.services import products
from mcwg_dashboard.services.actors import Actor, Role
from mcwg_dashboard.services.errors import ConflictError, PermissionDenied, ValidationFailed
from tests.helpers import ADMIN, MEMBER, REP_FR

IMPORT_ACTION = "import_integration_statement"
STORED_LINE = {"profile": "XCA-I", "actor": "Responding Imaging Gateway"}
STORED_RESULT = {"year": 2024, "profile": "XCA-I", "actor": "Responding Imaging Gateway"}


def _add_product(session: Session, vendor_name: str, name: str, version: str) -> Product:
    vendor = products.add_vendor(session, actor=ADMIN, data={"name": vendor_name})
    return products.add_product(
        session,
        actor=ADMIN,
        data={"vendor_id": vendor.id, "name": name, "version": version, "product_type": "GATEWAY"},
    )


@pytest.fixture
def gateway(session: Session) -> Product:
    """Example Gateway 3 with a stored statement of one line and one Connectathon result."""
    product = _add_product(session, "Example Imaging", "Example Gateway", "3")
    assert product.id is not None
    products.replace_statement(
        session, actor=ADMIN, product_id=product.id, lines=[STORED_LINE], connectathon=[STORED_RESULT]
    )
    return product


def _id(product: Product) -> int:
    assert product.id is not None
    return product.id


def _stored(session: Session, product_id: int) -> tuple[Any, ...]:
    """Everything an import could change for a product, and the number of import audit entries."""
    session.expire_all()
    product = products.get_product(session, product_id)
    imports = session.exec(select(AuditEntry).where(col(AuditEntry.action) == IMPORT_ACTION)).all()
    return (
        products.statement_frame(session, product_id).to_dict("records"),
        products.connectathon_frame(session, product_id).to_dict("records"),
        product.statement_url,
        product.statement_date,
        len(imports),
    )


def _book(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def _bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(
    data: bytes,
    lines: Sequence[Sequence[Any]] | None = None,
    results: Sequence[Sequence[Any]] | None = None,
    product_cells: dict[str, Any] | None = None,
) -> bytes:
    """Type into a template as a person would in Excel (a text starting with '=' becomes a formula): the given
    lines replace the Statement rows, the results the Connectathon rows; product_cells by coordinate."""
    book = _book(data)
    for sheet_name, rows in ((STATEMENT_SHEET, lines), (CONNECTATHON_SHEET, results)):
        if rows is None:
            continue
        sheet = book[sheet_name]
        sheet.delete_rows(2, sheet.max_row)
        for row_number, values in enumerate(rows, start=2):
            for column, value in enumerate(values, start=1):
                sheet.cell(row=row_number, column=column).value = value
    for coordinate, value in (product_cells or {}).items():
        book[PRODUCT_SHEET][coordinate].value = value
    return _bytes(book)


def _plan(
    session: Session, product: Product, data: bytes, actor: Actor = ADMIN, filename: str = "statement.xlsx"
) -> StatementPlan:
    return plan_statement_import(session, actor=actor, product_id=_id(product), data=data, filename=filename)


# --------------------------------------------------------------------------------------------- template


def test_template_is_pre_filled_and_lists_the_known_profiles(session: Session, gateway: Product) -> None:
    book = _book(statement_template_bytes(session, product_id=_id(gateway)))
    assert book.sheetnames == ["Instructions", STATEMENT_SHEET, CONNECTATHON_SHEET, PRODUCT_SHEET, LISTS_SHEET]
    statement = book[STATEMENT_SHEET]
    assert [c.value for c in statement[1]] == ["Profile", "Actor", "Option"]
    assert [c.value for c in statement[2]] == ["XCA-I", "Responding Imaging Gateway", None]
    assert statement.max_row == 2
    assert [c.value for c in book[CONNECTATHON_SHEET][2]] == [2024, "XCA-I", "Responding Imaging Gateway"]
    product_sheet = book[PRODUCT_SHEET]
    assert [
        (product_sheet.cell(row=r, column=1).value, product_sheet.cell(row=r, column=2).value) for r in range(2, 6)
    ] == [
        ("Product ID", gateway.id),
        ("Vendor", "Example Imaging"),
        ("Product", "Example Gateway"),
        ("Version", "3"),
    ]
    instructions = [row for row in book["Instructions"].iter_rows(values_only=True)]
    assert instructions[0][0] == "IHE Integration Statement of Example Gateway 3 (Example Imaging)"
    assert ("XDS-I.b", "RAD", "Cross-enterprise Document Sharing for Imaging", "Imaging Document Source") in {
        row[:4] for row in instructions
    }
    assert any(row[3] == "Time Client" and row[4] == "DICOM Timezone" for row in instructions)
    profile_drop_down = next(v for v in statement.data_validations.dataValidation if "A2" in str(v.sqref))
    assert profile_drop_down.formula1.startswith(f"{LISTS_SHEET}!$A$1")
    codes = [row[0] for row in book[LISTS_SHEET].iter_rows(values_only=True) if row[0]]
    assert {"XDS-I.b", "XCA-I", "MHD", "CT"} <= set(codes)
    assert book[LISTS_SHEET].sheet_state == "hidden"


def test_blank_template_names_no_product_and_imports_for_any(session: Session, gateway: Product) -> None:
    data = statement_template_bytes(session)
    book = _book(data)
    assert book[STATEMENT_SHEET].max_row == 1
    assert book[PRODUCT_SHEET]["B2"].value is None
    plan = _plan(session, gateway, _fill(data, lines=[["XCA-I", "Responding Imaging Gateway"]]))
    assert plan.errors == ()
    assert plan.unchanged == 1 and not plan.added and not plan.removed


def test_text_that_looks_like_a_formula_is_written_as_text(session: Session) -> None:
    product = _add_product(session, '=HYPERLINK("http://x")', "+Gateway", "-1")
    data = statement_template_bytes(session, product_id=_id(product))
    sheet = _book(data)[PRODUCT_SHEET]
    for coordinate, typed in (("B3", '=HYPERLINK("http://x")'), ("B4", "+Gateway"), ("B5", "-1")):
        assert sheet[coordinate].value == typed
        assert sheet[coordinate].data_type == "s"
    # The re-read names the same product: no false "another product".
    plan = _plan(session, product, _fill(data, lines=[["CT", "Time Client"]]))
    assert plan.errors == ()


# --------------------------------------------------------------------------------------------- round trip


def test_round_trip_previews_and_stores_in_one_audited_transaction(session: Session, gateway: Product) -> None:
    data = _fill(
        statement_template_bytes(session, product_id=_id(gateway)),
        lines=[
            ["XCA-I", "Responding Imaging Gateway"],
            ["XDS-I.b", "Imaging Document Source", "PDF Report"],
            # Another case and spacing: stored as the catalogue spells it.
            ["xds-i.b", "imaging  document source", None],
            ["CT", "Time Client", "dicom timezone"],
        ],
        results=[[2025, "XDS-I.b", "Imaging Document Source"]],
        product_cells={"B6": "https://example.com/ihe/gateway-3.pdf", "B7": dt.date(2025, 3, 1)},
    )
    plan = _plan(session, gateway, data)
    assert plan.errors == ()
    assert [(line.profile, line.actor, line.option) for line in plan.added] == [
        ("XDS-I.b", "Imaging Document Source", "PDF Report"),
        ("XDS-I.b", "Imaging Document Source", ""),
        ("CT", "Time Client", "DICOM Timezone"),
    ]
    assert plan.removed == () and plan.unchanged == 1
    assert [(r.year, r.profile) for r in plan.results_added] == [(2025, "XDS-I.b")]
    assert [(r.year, r.profile) for r in plan.results_removed] == [(2024, "XCA-I")]
    preview = format_statement_plan(plan)
    assert plan.describe() == preview
    assert "Statement lines: 3 added, 0 removed, 1 unchanged." in preview
    assert "  + XDS-I.b / Imaging Document Source / option PDF Report" in preview
    assert "  - 2024 XCA-I / Responding Imaging Gateway" in preview
    assert "Statement link: none -> https://example.com/ihe/gateway-3.pdf" in preview
    assert "Statement date: none -> 2025-03-01" in preview
    before = _stored(session, _id(gateway))

    assert apply_statement_import(session, actor=ADMIN, plan=plan) == (4, 1)
    lines, results, url, date, imports = _stored(session, _id(gateway))
    assert sorted((r["Profile"], r["Actor"], r["Option"]) for r in lines) == [
        ("CT", "Time Client", "DICOM Timezone"),
        ("XCA-I", "Responding Imaging Gateway", ""),
        ("XDS-I.b", "Imaging Document Source", ""),
        ("XDS-I.b", "Imaging Document Source", "PDF Report"),
    ]
    assert results == [{"Year": 2025, "Profile": "XDS-I.b", "Actor": "Imaging Document Source"}]
    assert (url, date) == ("https://example.com/ihe/gateway-3.pdf", dt.date(2025, 3, 1))
    assert imports == before[-1] + 1
    entry = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
    assert entry is not None and entry.action == IMPORT_ACTION and entry.actor == ADMIN.username
    assert entry.after is not None and entry.after["lines"] == 4 and entry.after["connectathon_results"] == 1

    # The template of the stored statement re-imports with no change.
    again = _plan(session, gateway, statement_template_bytes(session, product_id=_id(gateway)))
    assert again.errors == () and not again.has_changes
    assert "No changes" in format_statement_plan(again)


def test_removed_lines_are_previewed(session: Session, gateway: Product) -> None:
    data = _fill(statement_template_bytes(session, product_id=_id(gateway)), lines=[["CT", "Time Server"]])
    plan = _plan(session, gateway, data)
    assert [(line.profile, line.actor) for line in plan.removed] == [("XCA-I", "Responding Imaging Gateway")]
    assert "  - XCA-I / Responding Imaging Gateway / no option" in format_statement_plan(plan)


def test_a_workbook_without_connectathon_sheet_keeps_the_stored_results(session: Session, gateway: Product) -> None:
    book = _book(_fill(statement_template_bytes(session, product_id=_id(gateway)), lines=[["CT", "Time Server"]]))
    del book[CONNECTATHON_SHEET]
    plan = _plan(session, gateway, _bytes(book))
    assert plan.errors == () and not plan.connectathon_from_workbook
    assert "the 1 stored result(s) stay" in format_statement_plan(plan)
    apply_statement_import(session, actor=ADMIN, plan=plan)
    assert _stored(session, _id(gateway))[1] == [
        {"Year": 2024, "Profile": "XCA-I", "Actor": "Responding Imaging Gateway"}
    ]


def test_a_statement_changed_after_the_preview_is_not_overwritten(session: Session, gateway: Product) -> None:
    data = _fill(statement_template_bytes(session, product_id=_id(gateway)), lines=[["CT", "Time Server"]])
    plan = _plan(session, gateway, data)
    products.replace_statement(
        session, actor=ADMIN, product_id=_id(gateway), lines=[{"profile": "MHD", "actor": "Document Consumer"}]
    )
    newer = _stored(session, _id(gateway))
    with pytest.raises(ConflictError, match="changed by someone else since this preview"):
        apply_statement_import(session, actor=ADMIN, plan=plan)
    assert _stored(session, _id(gateway)) == newer


# --------------------------------------------------------------------------------------------- bad input

Edit = Callable[[bytes], bytes]


def _lines(*rows: Sequence[Any]) -> Edit:
    return lambda data: _fill(data, lines=rows)


def _results(*rows: Sequence[Any]) -> Edit:
    return lambda data: _fill(data, lines=[["CT", "Time Client"]], results=rows)


def _product_cells(**cells: Any) -> Edit:
    return lambda data: _fill(data, product_cells=cells)


def _header(data: bytes) -> bytes:
    book = _book(data)
    book[STATEMENT_SHEET]["B1"].value = "Role"
    return _bytes(book)


def _too_many(data: bytes) -> bytes:
    return _fill(data, lines=[["CT", "Time Client", f"line {n}"] for n in range(MAX_ROWS + 1)])


IDS = "Imaging Document Source"
BAD_INPUT: dict[str, tuple[Edit, str]] = {
    "unknown profile": (
        _lines(["CT", "Time Client"], ["XYZ", "Time Client"]),
        "Sheet 'Statement', row 3, column A (Profile): unknown profile 'XYZ' (known: XDS-I.b,",
    ),
    "unknown actor": (
        _lines(["XDS-I.b", "Image Archive"]),
        "Sheet 'Statement', row 2, column B (Actor): XDS-I.b has no actor 'Image Archive' (its actors: " + IDS,
    ),
    "unknown option": (
        _lines(["XDS-I.b", IDS, "Colour"]),
        f"Sheet 'Statement', row 2, column C (Option): XDS-I.b {IDS} has no option 'Colour' (its options: Set of",
    ),
    "duplicate line": (
        _lines(["CT", "Time Client"], ["XCA-I", "Responding Imaging Gateway"], ["ct", "time client", None]),
        "Sheet 'Statement', row 4, column A (Profile): the same profile, actor and option are listed twice "
        "(first on row 2).",
    ),
    "formula": (
        _lines(["CT", "Time Client"], ["CT", '=A2&" Server"']),
        "Sheet 'Statement', row 3, column B (Actor): contains a formula ('=A2&\" Server\"'); type the value itself.",
    ),
    "overlong actor": (
        _lines(["CT", "T" * 81]),
        "Sheet 'Statement', row 2, column B (Actor): ",
    ),
    "overlong profile": (
        _lines(["P" * 41, "Time Client"]),
        "has 41 characters; a profile code has at most 40.",
    ),
    "missing actor": (
        _lines(["CT", None, "DICOM Timezone"]),
        "Sheet 'Statement', row 2, column B (Actor): the actor is missing.",
    ),
    "empty statement": (_lines(), "Sheet 'Statement': no line: list at least one profile and actor"),
    "too many rows": (_too_many, f"Sheet 'Statement': more than {MAX_ROWS} rows"),
    "changed header": (_header, "Sheet 'Statement', row 1: the header was changed (column B should be 'Actor'"),
    "unknown Connectathon actor": (
        _results([2024, "XDS-I.b", "Nobody"]),
        "Sheet 'Connectathon', row 2, column C (Actor): unknown profile or actor 'XDS-I.b' / 'Nobody'",
    ),
    "Connectathon actor missing": (
        _results([2024, "CT", None]),
        "Sheet 'Connectathon', row 2, column C (Actor): the actor is missing.",
    ),
    "Connectathon year not a year": (
        _results(["soon", "CT", "Time Client"]),
        "Sheet 'Connectathon', row 2, column A (Year): 'soon' is not a year (write it as 2024).",
    ),
    "Connectathon year out of range": (
        _results([1990, "CT", "Time Client"]),
        "Sheet 'Connectathon', row 2, column A (Year): 1990 is not a Connectathon year.",
    ),
    "duplicate Connectathon result": (
        _results([2024, "CT", "Time Client"], [2024, "ct", "Time Client"]),
        "Sheet 'Connectathon', row 3, column A (Year): the same year, profile and actor are listed twice "
        "(first on row 2).",
    ),
    "link not a web address": (
        _product_cells(B6="www.example.com"),
        "Sheet 'Product', row 6, column B (Statement link): the integration statement's link is a web address",
    ),
    "date not a date": (
        _product_cells(B7="March"),
        "Sheet 'Product', row 7, column B (Statement date): 'March' is not a date",
    ),
    "another product's name": (
        _product_cells(B4="Other Gateway"),
        "Sheet 'Product', row 4, column B (Product): this workbook names product 'Other Gateway', but it is "
        "imported for Example Gateway 3 (Example Imaging).",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_named_by_sheet_row_and_column_and_nothing_is_stored(
    session: Session, gateway: Product, case: str
) -> None:
    edit, message = BAD_INPUT[case]
    before = _stored(session, _id(gateway))
    plan = _plan(session, gateway, edit(statement_template_bytes(session, product_id=_id(gateway))))
    # One mistake, one message: no follow-on noise from the same cell.
    assert len(plan.errors) == 1 and message in plan.errors[0], plan.errors
    assert plan.lines == () and plan.added == ()
    assert message.split(":")[0] in format_statement_plan(plan)
    with pytest.raises(ValidationFailed, match="Nothing was imported"):
        apply_statement_import(session, actor=ADMIN, plan=plan)
    assert _stored(session, _id(gateway)) == before


def test_every_problem_is_listed_at_once_in_sheet_and_row_order(session: Session, gateway: Product) -> None:
    data = _fill(
        statement_template_bytes(session, product_id=_id(gateway)),
        lines=[["XDS-I.b", IDS, "Colour"], ["CT", "=B1"], ["XYZ", "Time Client"]],
        results=[["soon", "CT", "Time Client"]],
        product_cells={"B7": "March"},
    )
    plan = _plan(session, gateway, data)
    assert [error.split(":")[0] for error in plan.errors] == [
        "Sheet 'Product', row 7, column B (Statement date)",
        "Sheet 'Statement', row 2, column C (Option)",
        "Sheet 'Statement', row 3, column B (Actor)",
        "Sheet 'Statement', row 4, column A (Profile)",
        "Sheet 'Connectathon', row 2, column A (Year)",
    ]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("statement.csv", b"Profile,Actor,Option\nCT,Time Client,\n", "is a text (CSV) file"),
        ("statement.xlsx", b"Profile,Actor,Option\nCT,Time Client,\n", "is not an Excel workbook (.xlsx)"),
        ("statement.xlsm", b"PK\x03\x04", "macro-enabled"),
        ("statement.xlsx", b"", "is empty"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused(
    session: Session, gateway: Product, filename: str, content: bytes, message: str
) -> None:
    before = _stored(session, _id(gateway))
    plan = _plan(session, gateway, content, filename=filename)
    assert len(plan.errors) == 1 and message in plan.errors[0]
    with pytest.raises(ValidationFailed):
        apply_statement_import(session, actor=ADMIN, plan=plan)
    assert _stored(session, _id(gateway)) == before


def test_a_workbook_for_another_product_is_refused(session: Session, gateway: Product) -> None:
    viewer = _add_product(session, "Other Vendor", "Other Viewer", "2")
    products.replace_statement(
        session, actor=ADMIN, product_id=_id(viewer), lines=[{"profile": "IID", "actor": "Image Display"}]
    )
    before = _stored(session, _id(gateway))
    plan = _plan(session, gateway, statement_template_bytes(session, product_id=_id(viewer)))
    assert plan.errors == (
        f"Sheet 'Product', row 2, column B (Product ID): this workbook is for Other Viewer 2 (Other Vendor) (product "
        f"ID {viewer.id}), not for Example Gateway 3 (Example Imaging) (product ID {gateway.id}). Import it for that "
        "product, or download the template of Example Gateway 3 (Example Imaging) "
        f"(`python -m mcwg_dashboard statement-template --product {gateway.id}`).",
    )
    with pytest.raises(ValidationFailed):
        apply_statement_import(session, actor=ADMIN, plan=plan)
    assert _stored(session, _id(gateway)) == before
    # A product ID this database does not have (a template from another installation) is named as such.
    elsewhere = _fill(statement_template_bytes(session, product_id=_id(gateway)), product_cells={"B2": 9999})
    assert "product ID 9999, which is not in this database" in _plan(session, gateway, elsewhere).errors[0]


# --------------------------------------------------------------------------------------------- who may


def test_a_vendor_imports_its_own_products_statement(session: Session, gateway: Product) -> None:
    vendor = Actor(username="vendor-x", role=Role.VENDOR, vendor_id=gateway.vendor_id)
    data = _fill(statement_template_bytes(session, product_id=_id(gateway)), lines=[["MHD", "Document Source"]])
    plan = _plan(session, gateway, data, actor=vendor)
    assert plan.errors == ()
    assert apply_statement_import(session, actor=vendor, plan=plan) == (1, 1)
    assert _stored(session, _id(gateway))[0] == [{"Profile": "MHD", "Actor": "Document Source", "Option": ""}]
    entry = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
    assert entry is not None and entry.actor == "vendor-x" and entry.action == IMPORT_ACTION


@pytest.mark.parametrize("who", ["other vendor", "member", "country rep"])
def test_others_may_not_import_and_nothing_changes(session: Session, gateway: Product, who: str) -> None:
    other = _add_product(session, "Other Vendor", "Other Viewer", "2")
    actor = {
        "other vendor": Actor(username="vendor-y", role=Role.VENDOR, vendor_id=other.vendor_id),
        "member": MEMBER,
        "country rep": REP_FR,
    }[who]
    data = _fill(statement_template_bytes(session, product_id=_id(gateway)), lines=[["MHD", "Document Source"]])
    before = _stored(session, _id(gateway))
    with pytest.raises(PermissionDenied, match="only its vendor and the focus group may"):
        _plan(session, gateway, data, actor=actor)
    # A plan made by the focus group does not let them apply it either.
    plan = _plan(session, gateway, data)
    with pytest.raises(PermissionDenied):
        apply_statement_import(session, actor=actor, plan=plan)
    assert _stored(session, _id(gateway)) == before


def test_permission_is_checked_before_the_file_is_read(session: Session, gateway: Product) -> None:
    stranger = Actor(username="vendor-y", role=Role.VENDOR, vendor_id=None)
    with pytest.raises(PermissionDenied):
        _plan(session, gateway, b"not even a workbook", actor=stranger)


# --------------------------------------------------------------------------------------------- command line


def test_cli_template_dry_run_import_and_errors(
    external_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(external_database)
    with Session(engine, expire_on_commit=False) as session:
        product = _add_product(session, "Example Imaging", "Example Gateway", "3")
        products.replace_statement(session, actor=ADMIN, product_id=_id(product), lines=[STORED_LINE])
        product_id = _id(product)

    def stored() -> tuple[Any, ...]:
        with Session(engine) as session:
            return _stored(session, product_id)

    template = tmp_path / "template.xlsx"
    assert main(["statement-template", "--product", "example gateway 3", "--out", str(template)]) == 0
    assert f"Wrote {template}" in capsys.readouterr().out
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(
        _fill(template.read_bytes(), lines=[["XCA-I", "Responding Imaging Gateway"], ["CT", "Time Client"]])
    )
    before = stored()

    assert main(["import-statement", "--product", str(product_id), str(filled), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Statement lines: 1 added, 0 removed, 1 unchanged." in out and "Dry run: nothing was saved." in out
    assert stored() == before

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(_fill(template.read_bytes(), lines=[["XYZ", "Time Client"], ["CT", "=A2"]]))
    assert main(["import-statement", "--product", str(product_id), str(broken)]) == 1
    err = capsys.readouterr().err
    assert "2 error(s); nothing can be imported" in err
    assert "Sheet 'Statement', row 2, column A (Profile): unknown profile 'XYZ'" in err
    assert "Sheet 'Statement', row 3, column B (Actor): contains a formula" in err
    assert stored() == before

    assert main(["import-statement", "--product", "Example Gateway 3 (Example Imaging)", str(filled)]) == 0
    assert "Saved the integration statement of Example Gateway 3 (Example Imaging): 2 line(s), 0 Connectathon" in (
        capsys.readouterr().out
    )
    assert len(stored()[0]) == 2

    assert main(["import-statement", "--product", "Missing Product 1", str(filled)]) == 1
    assert "No product 'Missing Product 1'. Products: " in capsys.readouterr().err
    assert main(["statement-template", "--product", str(product_id), "--out", str(tmp_path / "x.csv")]) == 1
    assert "must end with .xlsx" in capsys.readouterr().err
    engine.dispose()
