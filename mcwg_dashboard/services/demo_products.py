"""Made-up vendors and products for the demo: names that are plainly examples ("Example PACS 9" by "Example
Imaging"), never a real vendor or product with invented claims; every row is marked demo and `demo --clear` removes it.

Written inside the demo loader's transaction (one audit entry for the whole demo).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

from mcwg_dashboard.models import (
    ConnectathonResult,
    IntegrationStatementLine,
    Product,
    ProductAnswer,
    ProductSurvey,
    SurveyState,
    Vendor,
)
from mcwg_dashboard.product_catalogue import load_product_survey
from mcwg_dashboard.services.checklist_store import latest_version

DEMO_PRODUCT_USER = "demo"
DEMO_EVIDENCE = "Demo: made-up integration statement"


@dataclass(frozen=True)
class _DemoProduct:
    vendor: str
    name: str
    version: str
    product_type: str
    state: SurveyState
    # Share of claims that say Supported: a gateway is built to close gaps.
    support: float
    statement: tuple[tuple[str, str, str], ...]
    connectathon: tuple[tuple[int, str, str], ...] = ()


_VENDORS = {
    "Example Imaging": "demo-vendor@example.org",
    "Sample Archive Systems": "demo-archive@example.org",
    "Demo Health Software": "demo-health@example.org",
}
_PRODUCTS = (
    _DemoProduct(
        "Example Imaging",
        "Example PACS",
        "9",
        "PACS",
        SurveyState.PUBLISHED,
        0.6,
        (
            ("XDS-I.b", "Imaging Document Source", "Set of DICOM Instances"),
            ("XDS-I.b", "Imaging Document Source", "DICOM Retrieve by WADO-RS"),
            ("KIN", "Image Manager/Image Archive", ""),
            ("IOCM", "Image Manager/Image Archive", ""),
            ("CT", "Time Client", "DICOM Timezone"),
        ),
        ((2024, "XDS-I.b", "Imaging Document Source"),),
    ),
    _DemoProduct(
        "Example Imaging",
        "Example Gateway",
        "3",
        "GATEWAY",
        SurveyState.PUBLISHED,
        0.85,
        (
            ("XDS-I.b", "Imaging Document Source", "Set of DICOM Instances"),
            ("XDS-I.b", "Imaging Document Source", "DICOM Retrieve by WADO-RS"),
            ("XCA-I", "Initiating Imaging Gateway", ""),
            ("XCA-I", "Responding Imaging Gateway", ""),
            ("MHD", "Document Source", "Comprehensive Metadata"),
            ("MADO", "Manifest Creator", ""),
        ),
        ((2024, "XCA-I", "Responding Imaging Gateway"), (2025, "XDS-I.b", "Imaging Document Source")),
    ),
    _DemoProduct(
        "Example Imaging",
        "Example Viewer",
        "2",
        "VIEWER",
        SurveyState.VALIDATED,
        0.7,
        (
            ("XDS-I.b", "Imaging Document Consumer", "DICOM Retrieve by WADO-RS"),
            ("IID", "Image Display", ""),
            ("KIN", "Image Display", ""),
        ),
    ),
    _DemoProduct(
        "Sample Archive Systems",
        "Sample VNA",
        "4",
        "VNA",
        SurveyState.PUBLISHED,
        0.65,
        (
            ("XDS-I.b", "Imaging Document Source", "Set of DICOM Instances"),
            ("XDS.b", "Integrated Document Source/Repository", ""),
            ("IOCM", "Image Manager/Image Archive", ""),
            ("MHD", "Document Responder", ""),
        ),
        ((2023, "XDS.b", "Integrated Document Source/Repository"),),
    ),
    _DemoProduct(
        "Sample Archive Systems",
        "Sample RIS",
        "7",
        "RIS",
        SurveyState.SUBMITTED,
        0.55,
        (("XDS.b", "Document Source", ""), ("CT", "Time Client", "")),
    ),
    _DemoProduct(
        "Demo Health Software",
        "Demo Portal",
        "1",
        "EHR",
        SurveyState.DRAFT,
        0.5,
        (("XDS.b", "Document Consumer", ""), ("MHD", "Document Consumer", ""), ("IID", "Image Display Invoker", "")),
    ),
)


def _claim(rng: random.Random, support: float) -> tuple[str, str, str]:
    """(status, release, note) of one made-up claim."""
    draw = rng.random()
    if draw < support:
        return "SUP", "", ""
    if draw < support + (1 - support) * 0.25:
        return "VAR", "", "Demo: made-up variant (for example the base-URI-only Retrieve URL)."
    if draw < support + (1 - support) * 0.5:
        return "PART", "", "Demo: made-up partial support, with a configuration option."
    if draw < support + (1 - support) * 0.75:
        return "PLAN", f"{rng.randint(3, 11)}.{rng.randint(0, 4)}", ""
    return "NOSUP", "", ""


def add_demo_products(session: Session, *, today: dt.date, seed: int) -> int:
    """Three made-up vendors with six products in every survey state; returns the number of products."""
    version = latest_version(session)
    if version is None or version.id is None:
        return 0
    rng = random.Random(seed + 19)
    definition = load_product_survey()
    vendors: dict[str, int] = {}
    for name, email in _VENDORS.items():
        vendor = Vendor(name=name, contact_name=f"{name} contact (demo)", contact_email=email, is_demo=True)
        session.add(vendor)
        session.flush()
        vendors[name] = vendor.id or 0
    at = dt.datetime.combine(today - dt.timedelta(days=20), dt.time(9), tzinfo=dt.UTC)
    for spec in _PRODUCTS:
        product = Product(
            vendor_id=vendors[spec.vendor],
            name=spec.name,
            version=spec.version,
            product_type=spec.product_type,
            statement_date=today - dt.timedelta(days=120),
            is_demo=True,
        )
        session.add(product)
        session.flush()
        product_id = product.id or 0
        for profile, actor, option in spec.statement:
            session.add(IntegrationStatementLine(product_id=product_id, profile=profile, actor=actor, option=option))
        for year, profile, actor in spec.connectathon:
            session.add(ConnectathonResult(product_id=product_id, year=year, profile=profile, actor=actor))
        survey = ProductSurvey(
            product_id=product_id,
            checklist_version_id=version.id,
            state=spec.state.value,
            is_demo=True,
            updated_at=at,
        )
        if spec.state != SurveyState.DRAFT:
            survey.submitted_at, survey.submitted_by = at, DEMO_PRODUCT_USER
        if spec.state in (SurveyState.VALIDATED, SurveyState.PUBLISHED):
            survey.validated_at, survey.validated_by = at + dt.timedelta(days=3), DEMO_PRODUCT_USER
        if spec.state == SurveyState.PUBLISHED:
            survey.published_at, survey.published_by = at + dt.timedelta(days=5), DEMO_PRODUCT_USER
        session.add(survey)
        session.flush()
        elements = definition.elements_for(spec.product_type)
        # A draft is half done, as a vendor would leave it.
        answered = elements if spec.state != SurveyState.DRAFT else elements[: len(elements) // 2]
        for element_id in answered:
            status, release, note = _claim(rng, spec.support)
            session.add(
                ProductAnswer(
                    survey_id=survey.id or 0,
                    element_id=element_id,
                    status=status,
                    release=release,
                    note=note,
                    evidence=DEMO_EVIDENCE,
                    answered_by=DEMO_PRODUCT_USER,
                    answered_at=at,
                )
            )
    return len(_PRODUCTS)


def clear_demo_products(session: Session) -> int:
    """Delete every demo product with its statement, results, survey and answers (the vendors go after the demo
    accounts that answer for them); returns how many products were removed."""
    demo_products = list(session.exec(select(Product.id).where(col(Product.is_demo) == True)))  # noqa: E712
    if not demo_products:
        return 0
    surveys = list(session.exec(select(ProductSurvey.id).where(col(ProductSurvey.product_id).in_(demo_products))))
    session.execute(delete(ProductAnswer).where(col(ProductAnswer.survey_id).in_(surveys)))
    session.execute(delete(ProductSurvey).where(col(ProductSurvey.id).in_(surveys)))
    session.execute(delete(IntegrationStatementLine).where(col(IntegrationStatementLine.product_id).in_(demo_products)))
    session.execute(delete(ConnectathonResult).where(col(ConnectathonResult.product_id).in_(demo_products)))
    session.execute(delete(Product).where(col(Product.id).in_(demo_products)))
    return len(demo_products)
