"""`statement-template` and `import-statement`: a product's IHE Integration Statement as a workbook, from the
command line, through the same checks and service as the app (one transaction, audited)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mcwg_dashboard.db import has_schema, session_scope
from mcwg_dashboard.excel.integration_statement import (
    apply_statement_import,
    format_statement_plan,
    plan_statement_import,
    statement_template_bytes,
)
from mcwg_dashboard.models import Product, Vendor
from mcwg_dashboard.services import products
from mcwg_dashboard.services.actors import CLI_ACTOR
from mcwg_dashboard.services.errors import InvalidState, NotFound

PRODUCT_COMMANDS = ("statement-template", "import-statement")
_PRODUCT_HELP = "the product: its ID, or its name and version as 'Example Gateway 3'"


def add_product_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    template = commands.add_parser(
        "statement-template",
        help="write the integration-statement workbook of a product (pre-filled), or a blank one",
        description="Write the Excel template of an IHE Integration Statement: one row per profile, actor and "
        "option, the Connectathon results and the statement's link and date, with the known profiles listed.",
    )
    template.add_argument("--product", help=f"{_PRODUCT_HELP}; without it a blank template")
    template.add_argument("--out", required=True, help="the .xlsx file to write")
    importing = commands.add_parser(
        "import-statement",
        help="check a product's integration-statement workbook, show the changes and save them (or --dry-run)",
        description="Check an integration-statement workbook for a product, print every error or what it adds and "
        "removes, and replace the product's statement in one transaction. Exits non-zero on any error; nothing is "
        "saved then.",
    )
    importing.add_argument("--product", required=True, help=_PRODUCT_HELP)
    importing.add_argument("file", help="the filled .xlsx workbook")
    importing.add_argument("--dry-run", action="store_true", help="only check and show the changes")


def product_command(engine: Engine, args: argparse.Namespace) -> int:
    if not has_schema(engine):
        raise InvalidState("The database is not set up yet: run `python -m mcwg_dashboard init` first.")
    if args.command == "statement-template":
        out = Path(args.out)
        if out.suffix.lower() != ".xlsx":
            raise ValueError(f"{args.out}: the file name must end with .xlsx.")
        with session_scope(engine) as session:
            product_id = find_product_id(session, args.product) if args.product else None
            data = statement_template_bytes(session, product_id=product_id)
        out.write_bytes(data)
        print(f"Wrote {args.out} ({len(data) // 1024} KB).")
        return 0
    path = Path(args.file)
    data = path.read_bytes()
    with session_scope(engine) as session:
        plan = plan_statement_import(
            session, actor=CLI_ACTOR, product_id=find_product_id(session, args.product), data=data, filename=path.name
        )
        print(format_statement_plan(plan), file=sys.stderr if plan.errors else sys.stdout)
        if plan.errors:
            return 1
        if args.dry_run:
            print("Dry run: nothing was saved.")
            return 0
        if not plan.has_changes:
            print("Nothing to save.")
            return 0
        lines, results = apply_statement_import(session, actor=CLI_ACTOR, plan=plan)
    print(
        f"Saved the integration statement of {plan.product_label}: {lines} line(s), {results} Connectathon result(s)."
    )
    return 0


def find_product_id(session: Session, text: str) -> int:
    """A product named by its ID, its name and version ("Example Gateway 3") or its label ("... (Vendor)")."""
    wanted = " ".join(text.split()).casefold()
    if wanted.isdigit():
        return products.get_product(session, int(wanted)).id or 0
    vendors = {vendor.id: vendor for vendor in session.exec(select(Vendor))}
    all_products = list(session.exec(select(Product).order_by(col(Product.name), col(Product.version))))
    matches = [
        product
        for product in all_products
        if wanted
        in (
            " ".join(f"{product.name} {product.version}".split()).casefold(),
            " ".join(products.product_label(vendors[product.vendor_id], product).split()).casefold(),
        )
    ]
    if len(matches) == 1 and matches[0].id is not None:
        return matches[0].id
    listed = "; ".join(f"{p.id}: {products.product_label(vendors[p.vendor_id], p)}" for p in matches or all_products)
    if matches:
        raise ValueError(f"{text!r} names several products; give its ID: {listed}.")
    raise NotFound(f"No product {text!r}. Products: {listed or 'none'}.")
