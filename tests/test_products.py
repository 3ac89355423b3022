"""Market readiness: vendors and products, the product survey and its checks, vendor accounts, and which products
cover a member's gaps."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlmodel import Session, col, select

from mcwg_dashboard.excel.full_export import full_export_sheets
from mcwg_dashboard.models import AuditEntry, IntegrationStatementLine, ProductAnswer, SurveyState, User
from mcwg_dashboard.product_catalogue import load_product_survey
from mcwg_dashboard.services import products, users
from mcwg_dashboard.services.actors import Actor, Role, actor_for
from mcwg_dashboard.services.demo import clear_demo, load_demo
from mcwg_dashboard.services.errors import ConflictError, InvalidState, PermissionDenied, ValidationFailed
from tests.helpers import ADMIN, MEMBER


def _gateway(session: Session, vendor: str = "Example Imaging", name: str = "Example Gateway") -> tuple[int, int]:
    found = next((v for v in products.list_vendors(session) if v.name == vendor), None)
    vendor_row = found or products.add_vendor(session, actor=ADMIN, data={"name": vendor})
    product = products.add_product(
        session,
        actor=ADMIN,
        data={"vendor_id": vendor_row.id, "name": name, "version": "3", "product_type": "GATEWAY"},
    )
    return vendor_row.id or 0, product.id or 0


def _vendor_actor(vendor_id: int) -> Actor:
    return Actor(username="vendor-example", role=Role.VENDOR, vendor_id=vendor_id)


def test_the_product_survey_definition_is_consistent_with_the_checklist() -> None:
    definition = load_product_survey()
    assert set(definition.type_labels) == {"RIS", "PACS", "VNA", "EHR", "GATEWAY", "VIEWER", "REGISTRY"}
    assert definition.covering == {"SUP", "VAR"}
    assert definition.default.code == "UNK"
    assert "SPP-01" not in definition.applicability, "an architecture choice is not asked of a product"
    assert "SPP-09" in definition.elements_for("GATEWAY") and "SPP-09" not in definition.elements_for("RIS")
    assert definition.parse("planned for a release").code == "PLAN"  # type: ignore[union-attr]
    assert "NA" not in {s.code for s in definition.statuses}, "applicability is declared: no 'not applicable'"


def test_vendor_and_product_input_is_checked(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="vendor's name"):
        products.add_vendor(session, actor=ADMIN, data={"name": "  "})
    with pytest.raises(ValidationFailed, match="not an email"):
        products.add_vendor(session, actor=ADMIN, data={"name": "Example Imaging", "contact_email": "nobody"})
    vendor = products.add_vendor(session, actor=ADMIN, data={"name": "Example Imaging"})
    with pytest.raises(InvalidState, match="exists already"):
        products.add_vendor(session, actor=ADMIN, data={"name": "Example Imaging"})
    data = {"vendor_id": vendor.id, "name": "Example PACS", "version": "9", "product_type": "MRI scanner"}
    with pytest.raises(ValidationFailed, match="product type is one of"):
        products.add_product(session, actor=ADMIN, data=data)
    product = products.add_product(session, actor=ADMIN, data={**data, "product_type": "pacs"})
    assert product.product_type == "PACS"
    with pytest.raises(InvalidState, match="already has Example PACS 9"):
        products.add_product(session, actor=ADMIN, data={**data, "product_type": "PACS"})
    with pytest.raises(PermissionDenied):
        products.add_vendor(session, actor=_vendor_actor(vendor.id or 0), data={"name": "Mine"})


def test_statement_refuses_unknown_profiles_actors_options_and_duplicates(session: Session) -> None:
    _, product_id = _gateway(session)
    good = [{"profile": "xca-i", "actor": "Responding Imaging Gateway"}]
    assert products.replace_statement(session, actor=ADMIN, product_id=product_id, lines=good) == (1, 0)
    stored = products.statement_frame(session, product_id)
    assert stored.to_dict("records") == [{"Profile": "XCA-I", "Actor": "Responding Imaging Gateway", "Option": ""}]
    bad_statements = {
        "unknown profile 'XDS-Z'": [{"profile": "XDS-Z", "actor": "Document Source"}],
        "has no actor 'Imaging Document Gateway'": [{"profile": "XCA-I", "actor": "Imaging Document Gateway"}],
        "has no option 'Teleport'": [{"profile": "XDS-I.b", "actor": "Imaging Document Source", "option": "Teleport"}],
        "listed twice": [{"profile": "IID", "actor": "Image Display"}, {"profile": "IID", "actor": "Image Display"}],
    }
    for message, lines in bad_statements.items():
        with pytest.raises(ValidationFailed, match=message):
            products.replace_statement(session, actor=ADMIN, product_id=product_id, lines=lines)
        assert products.statement_frame(session, product_id).equals(stored), "a refused statement changes nothing"
    with pytest.raises(ValidationFailed, match="Connectathon"):
        products.replace_statement(
            session,
            actor=ADMIN,
            product_id=product_id,
            lines=good,
            connectathon=[{"year": 2025, "profile": "XCA-I", "actor": "Time Server"}],
        )


def test_the_product_survey_lifecycle_with_its_checks(session: Session) -> None:
    vendor_id, product_id = _gateway(session)
    vendor = _vendor_actor(vendor_id)
    survey = products.open_product_survey(session, actor=vendor, product_id=product_id)
    survey_id = survey.id or 0
    with pytest.raises(InvalidState, match="at least one"):
        products.submit_product_survey(session, actor=vendor, survey_id=survey_id, expected_version=survey.version)
    refused = {
        "does not apply to a product of type Imaging gateway": {"element_id": "META-18", "status": "SUP"},
        "not on the product scale": {"element_id": "KOS-16", "status": "IMPL"},
        "names the release": {"element_id": "KOS-16", "status": "PLAN"},
        "a note is required": {"element_id": "KOS-16", "status": "VAR"},
        "not an element of the checklist": {"element_id": "KOS-99", "status": "SUP"},
    }
    for message, answer in refused.items():
        with pytest.raises(ValidationFailed, match=message):
            products.save_product_answers(
                session,
                actor=vendor,
                survey_id=survey_id,
                answers=[{"element_id": "SPP-09", "status": "SUP"}, answer],
                expected_version=survey.version,
            )
        assert session.exec(select(ProductAnswer)).all() == [], "nothing is saved when one answer is wrong"
    products.save_product_answers(
        session,
        actor=vendor,
        survey_id=survey_id,
        answers=[
            {"element_id": "SPP-09", "status": "SUP", "evidence": "Integration statement §4"},
            {"element_id": "KOS-16", "status": "PLAN", "release": "3.2"},
        ],
        expected_version=1,
    )
    with pytest.raises(ConflictError, match="changed since this page was loaded"):
        products.save_product_answers(
            session,
            actor=vendor,
            survey_id=survey_id,
            answers=[{"element_id": "SPP-09", "status": "NOSUP"}],
            expected_version=1,
        )
    products.submit_product_survey(session, actor=vendor, survey_id=survey_id, expected_version=2)
    with pytest.raises(InvalidState, match="only a draft"):
        products.save_product_answers(
            session,
            actor=vendor,
            survey_id=survey_id,
            answers=[{"element_id": "SPP-09", "status": "NOSUP"}],
            expected_version=3,
        )
    with pytest.raises(PermissionDenied):
        products.validate_product_survey(session, actor=vendor, survey_id=survey_id, expected_version=3)
    products.send_back_product_survey(session, actor=ADMIN, survey_id=survey_id, expected_version=3, comment="Proof?")
    products.submit_product_survey(session, actor=vendor, survey_id=survey_id, expected_version=4)
    products.validate_product_survey(session, actor=ADMIN, survey_id=survey_id, expected_version=5)
    assert products.claims_frame(session, states=products.PUBLIC_STATES).empty, "validated is not yet public"
    assert len(products.claims_frame(session, states=products.VALIDATED_STATES)) == 2
    products.publish_product_survey(session, actor=ADMIN, survey_id=survey_id, expected_version=6)
    public = products.claims_frame(session, states=products.PUBLIC_STATES)
    assert set(public["element_id"]) == {"SPP-09", "KOS-16"} and set(public["survey_state"]) == {"published"}
    actions = set(session.exec(select(AuditEntry.action).where(col(AuditEntry.entity) == "productsurvey")))
    assert {
        "open_product_survey",
        "save_product_answers",
        "submit_product_survey",
        "send_back_product_survey",
        "validate_product_survey",
        "publish_product_survey",
    } <= actions


def test_a_vendor_account_changes_only_its_own_products(session: Session) -> None:
    vendor_id, own = _gateway(session)
    _, other = _gateway(session, vendor="Other Imaging", name="Other Gateway")
    vendor = _vendor_actor(vendor_id)
    products.open_product_survey(session, actor=vendor, product_id=own)
    with pytest.raises(PermissionDenied, match="only its vendor and the focus group"):
        products.open_product_survey(session, actor=vendor, product_id=other)
    with pytest.raises(PermissionDenied):
        products.replace_statement(
            session, actor=vendor, product_id=other, lines=[{"profile": "IID", "actor": "Image Display"}]
        )
    assert session.exec(select(IntegrationStatementLine)).all() == []
    frame = products.products_frame(session, actor=vendor)
    assert frame.set_index("product_id").at[own, "own"] and not frame.set_index("product_id").at[other, "own"]
    assert not frame.set_index("product_id").at[other, "visible"], "another vendor's draft is not shown"


def test_vendor_accounts_need_a_vendor_and_are_kept_from_member_data(session: Session) -> None:
    vendor_id, _ = _gateway(session)
    base = {"username": "vendor-ex", "role": "vendor", "password": "long enough password"}
    with pytest.raises(ValidationFailed, match="needs its vendor"):
        users.create_user(session, actor=ADMIN, data=base)
    with pytest.raises(ValidationFailed, match="no vendor with ID 999"):
        users.create_user(session, actor=ADMIN, data={**base, "vendor_id": 999})
    with pytest.raises(ValidationFailed, match="only vendor accounts have a vendor"):
        users.create_user(session, actor=ADMIN, data={**base, "role": "member", "vendor_id": vendor_id})
    account = users.create_user(session, actor=ADMIN, data={**base, "vendor_id": vendor_id})
    actor = actor_for(session.exec(select(User).where(User.username == account.username)).one())
    assert actor.role is Role.VENDOR and actor.vendor_id == vendor_id
    assert products.visible_states(actor) == products.PUBLIC_STATES
    assert products.visible_states(MEMBER) == products.VALIDATED_STATES


def _member_answers(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(e, f"title of {e}", e.split("-")[0], status, note) for e, status, note in rows],
        columns=["element_id", "element_title", "set_code", "status", "note"],
    )


def test_gaps_are_answers_with_a_gap_status_and_products_cover_them_with_supported_claims() -> None:
    answers = _member_answers(
        [
            ("KOS-16", "PART", "only in one region"),
            ("SPP-09", "NOPL", "not now"),
            ("KOS-01", "IMPL", ""),
            ("META-16", "PART", "national value sets"),  # not asked of products: never a product gap
            ("KOS-02", "UNK", ""),
        ]
    )
    claims = pd.DataFrame(
        [
            (1, "Example Gateway 3", "Example Imaging", "GATEWAY", "KOS-16", "SUP"),
            (2, "Example PACS 9", "Example Imaging", "PACS", "KOS-16", "VAR"),
            (3, "Other Gateway 1", "Other Imaging", "GATEWAY", "KOS-16", "PLAN"),
            (1, "Example Gateway 3", "Example Imaging", "GATEWAY", "SPP-09", "NOSUP"),
        ],
        columns=["product_id", "product", "vendor", "product_type", "element_id", "status"],
    )
    gaps = products.member_gaps(answers, claims).set_index("element_id")
    assert list(gaps.index) == ["KOS-16", "SPP-09"]
    assert gaps.at["KOS-16", "products"] == "Example Gateway 3 (Example Imaging); Example PACS 9 (Example Imaging)"
    assert gaps.at["KOS-16", "product_count"] == 2 and gaps.at["KOS-16", "member_note"] == "only in one region"
    assert gaps.at["SPP-09", "product_count"] == 0 and gaps.at["SPP-09", "products"] == ""


def test_only_validated_claims_are_shown_outside_the_focus_group(session: Session) -> None:
    _, product_id = _gateway(session)
    survey = products.open_product_survey(session, actor=ADMIN, product_id=product_id)
    products.save_product_answers(
        session,
        actor=ADMIN,
        survey_id=survey.id or 0,
        answers=[{"element_id": "KOS-16", "status": "SUP"}],
        expected_version=1,
    )
    products.submit_product_survey(session, actor=ADMIN, survey_id=survey.id or 0, expected_version=2)
    assert products.claims_frame(session, states=products.VALIDATED_STATES).empty
    assert products.claims_frame(session, states=products.visible_states(ADMIN)).iloc[0]["survey_state"] == (
        SurveyState.SUBMITTED.value
    )


def test_demo_products_are_labelled_exported_apart_and_cleared(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    sheets = full_export_sheets(session, actor=ADMIN)
    assert set(sheets["Products"]["Demo"]) == {True}
    assert len(sheets["Products"]) == 6 and len(sheets["Integration statements"]) > 6
    claims = sheets["Vendor claims"]
    assert set(claims["Kind"]) == {products.VENDOR_CLAIM} and set(claims["is_demo"]) == {True}
    assert not set(sheets["Answers"].astype(str).stack()) & set(claims["product"]), "claims never in member answers"
    vendors = {v.name for v in products.list_vendors(session)}
    assert vendors == {"Example Imaging", "Sample Archive Systems", "Demo Health Software"}
    clear_demo(session, actor=ADMIN)
    assert products.list_vendors(session) == []
    assert (
        session.exec(select(ProductAnswer)).all() == [] and session.exec(select(IntegrationStatementLine)).all() == []
    )


def test_cli_makes_vendor_accounts(external_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    from mcwg_dashboard.cli import main
    from mcwg_dashboard.db import make_engine

    engine = make_engine(external_database)
    with Session(engine) as session:
        vendor_id, _ = _gateway(session)
    args = ["user", "add", "vendor-ex", "--role", "vendor", "--password", "long enough password"]
    assert main([*args, "--vendor", "Nobody Imaging"]) == 1
    assert "No vendor 'Nobody Imaging'. Vendors: " in capsys.readouterr().err
    assert main(args) == 1
    assert "needs its vendor" in capsys.readouterr().err
    assert main([*args, "--vendor", "example imaging"]) == 0
    with Session(engine) as session:
        assert session.exec(select(User).where(User.username == "vendor-ex")).one().vendor_id == vendor_id
    engine.dispose()
