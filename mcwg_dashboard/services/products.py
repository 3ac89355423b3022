"""Market readiness: vendors, their products, integration statements and the product survey, and which products
cover a member's gaps.

Vendor claims are kept apart from member answers (their own tables) and are never part of a member figure. A vendor
account acts on its own vendor's products only; the focus group (admin) on any. What a vendor says is shown to
signed-in members once the focus group validated it, and to the public once published.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from mcwg_dashboard.models import (
    ConnectathonResult,
    IntegrationStatementLine,
    Product,
    ProductAnswer,
    ProductSurvey,
    SurveyState,
    Vendor,
    utcnow,
)
from mcwg_dashboard.product_catalogue import ProductSurveyDefinition, load_ihe_profiles, load_product_survey
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor, Role, as_of_now, require_admin
from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version
from mcwg_dashboard.services.errors import (
    ConflictError,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    validated,
)
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.services.users import EMAIL_PATTERN
from mcwg_dashboard.text import clean_text

VENDOR_CLAIM = "vendor claim"
# What each audience sees of product surveys.
PUBLIC_STATES = (SurveyState.PUBLISHED.value,)
VALIDATED_STATES = (SurveyState.VALIDATED.value, SurveyState.PUBLISHED.value)
ALL_STATES = tuple(s.value for s in SurveyState)


# --- input -------------------------------------------------------------------------------------------------------


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _text(value: Any, limit: int, what: str, *, required: bool = False) -> str:
    text = " ".join(clean_text(str(value or "")).split())
    if required and not text:
        raise ValueError(f"give the {what}")
    if len(text) > limit:
        raise ValueError(f"the {what} has at most {limit} characters")
    return text


class VendorInput(_Input):
    name: str
    contact_name: str = ""
    contact_email: str = ""

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        return _text(value, 120, "vendor's name", required=True)

    @field_validator("contact_name", mode="before")
    @classmethod
    def _contact(cls, value: Any) -> str:
        return _text(value, 120, "contact's name")

    @field_validator("contact_email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str:
        text = str(value or "").strip()
        if text and (len(text) > 200 or not EMAIL_PATTERN.match(text)):
            raise ValueError(f"{text[:60]!r} is not an email address")
        return text


class ProductInput(_Input):
    vendor_id: int
    name: str
    version: str
    product_type: str
    statement_url: str = ""
    statement_date: dt.date | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        return _text(value, 120, "product's name", required=True)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> str:
        return _text(value, 40, "product's version", required=True)

    @field_validator("product_type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> str:
        text = str(value or "").strip().upper()
        types = load_product_survey().type_labels
        for code, label in types.items():
            if text in (code, label.upper()):
                return code
        raise ValueError(f"the product type is one of {', '.join(types)}")

    @field_validator("statement_url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> str:
        text = str(value or "").strip()
        if text and (len(text) > 500 or not re.match(r"^https?://\S+$", text)):
            raise ValueError("the integration statement's link is a web address (https://...)")
        return text


class StatementLine(_Input):
    profile: str
    actor: str
    option: str = ""


class ConnectathonInput(_Input):
    year: int
    profile: str
    actor: str

    @field_validator("year")
    @classmethod
    def _year(cls, value: int) -> int:
        if not 1998 <= value <= dt.date.today().year + 1:
            raise ValueError(f"{value} is not a Connectathon year")
        return value


class ProductAnswerInput(_Input):
    element_id: str
    status: str
    release: str = ""
    evidence: str = ""
    note: str = ""

    @field_validator("release", mode="before")
    @classmethod
    def _release(cls, value: Any) -> str:
        return _text(value, 40, "release")

    @field_validator("evidence", mode="before")
    @classmethod
    def _evidence(cls, value: Any) -> str:
        return _text(value, 500, "evidence")

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: Any) -> str:
        text = clean_text(str(value or "")).strip()
        if len(text) > 2000:
            raise ValueError("a note has at most 2000 characters")
        return text


# --- who may ----------------------------------------------------------------------------------------------------


def may_edit_product(actor: Actor, product: Product) -> bool:
    return actor.role is Role.ADMIN or (actor.role is Role.VENDOR and actor.vendor_id == product.vendor_id)


def require_product_editor(session: Session, actor: Actor, product: Product) -> Actor:
    """The actor as of now, if it may change this product (the focus group, or its own vendor)."""
    now = as_of_now(session, actor)
    if not may_edit_product(now, product):
        raise PermissionDenied(
            f"{actor.label} may not change {product.name} {product.version}: only its vendor and the focus group may."
        )
    return now


def visible_states(actor: Actor) -> tuple[str, ...]:
    """The product-survey states an audience may see of other vendors' products."""
    if actor.role is Role.ADMIN:
        return ALL_STATES
    if actor.role in (Role.MEMBER, Role.COUNTRY_REP):
        return VALIDATED_STATES
    return PUBLIC_STATES


# --- vendors and products ---------------------------------------------------------------------------------------


def add_vendor(session: Session, *, actor: Actor, data: VendorInput | dict[str, Any]) -> Vendor:
    actor = require_admin(session, actor)
    vendor_input: VendorInput = validated(VendorInput, data, "The vendor cannot be added.")
    if session.exec(select(Vendor).where(col(Vendor.name) == vendor_input.name)).first() is not None:
        raise InvalidState(f"A vendor named {vendor_input.name!r} exists already.")
    with transaction(session):
        vendor = Vendor(**vendor_input.model_dump())
        session.add(vendor)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="add_vendor",
            entity="vendor",
            entity_key=vendor.name,
            before=None,
            after=vendor_input.model_dump(),
        )
    return vendor


def add_product(session: Session, *, actor: Actor, data: ProductInput | dict[str, Any]) -> Product:
    actor = require_admin(session, actor)
    product_input: ProductInput = validated(ProductInput, data, "The product cannot be added.")
    vendor = session.get(Vendor, product_input.vendor_id)
    if vendor is None:
        raise NotFound(f"There is no vendor with ID {product_input.vendor_id}.")
    duplicate = session.exec(
        select(Product).where(
            Product.vendor_id == vendor.id, Product.name == product_input.name, Product.version == product_input.version
        )
    ).first()
    if duplicate is not None:
        raise InvalidState(f"{vendor.name} already has {product_input.name} {product_input.version}.")
    with transaction(session):
        product = Product(**product_input.model_dump(), is_demo=vendor.is_demo)
        session.add(product)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="add_product",
            entity="product",
            entity_key=product_label(vendor, product),
            before=None,
            after=product_input.model_dump(mode="json"),
        )
    return product


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"There is no product with ID {product_id}.")
    return product


def product_label(vendor: Vendor, product: Product) -> str:
    return f"{product.name} {product.version} ({vendor.name})"


def list_vendors(session: Session) -> list[Vendor]:
    return list(session.exec(select(Vendor).order_by(col(Vendor.name))))


def products_frame(session: Session, *, actor: Actor) -> pd.DataFrame:
    """Every product with its vendor, type, statement and survey state: what the actor may see of it."""
    actor = as_of_now(session, actor)
    states = visible_states(actor)
    vendors = {v.id: v for v in session.exec(select(Vendor))}
    surveys = {s.product_id: s for s in session.exec(select(ProductSurvey).order_by(col(ProductSurvey.id)))}
    lines: dict[int, int] = {}
    for product_id in session.exec(select(IntegrationStatementLine.product_id)):
        lines[product_id] = lines.get(product_id, 0) + 1
    labels = load_product_survey().type_labels
    rows = []
    for product in session.exec(select(Product).order_by(col(Product.name), col(Product.version))):
        vendor = vendors[product.vendor_id]
        survey = surveys.get(product.id or 0)
        own = may_edit_product(actor, product)
        state = survey.state if survey else "not started"
        rows.append(
            {
                "product_id": product.id,
                "Product": f"{product.name} {product.version}",
                "Vendor": vendor.name,
                "Type": labels.get(product.product_type, product.product_type),
                "type_code": product.product_type,
                "Statement lines": lines.get(product.id or 0, 0),
                "Statement": product.statement_url,
                "Survey state": state,
                "Demo": product.is_demo,
                "visible": own or state in states,
                "own": own,
            }
        )
    columns = ["product_id", "Product", "Vendor", "Type", "type_code", "Statement lines", "Statement", "Survey state"]
    return pd.DataFrame(rows, columns=[*columns, "Demo", "visible", "own"])


# --- integration statements -------------------------------------------------------------------------------------


def check_statement(
    lines: Sequence[StatementLine], connectathon: Sequence[ConnectathonInput] = ()
) -> dict[str, list[str]]:
    """Problems of an integration statement against the known IHE profiles, by line ('' when all is well)."""
    profiles = load_ihe_profiles()
    problems: dict[str, list[str]] = {}
    seen: set[tuple[str, str, str]] = set()
    for number, line in enumerate(lines, start=1):
        where = f"line {number}"
        profile = profiles.find(line.profile)
        if profile is None:
            known = ", ".join(p.code for p in profiles.profiles)
            problems.setdefault(where, []).append(f"unknown profile {line.profile!r} (known: {known})")
            continue
        if line.actor not in profile.actors:
            known = "; ".join(profile.actors)
            problems.setdefault(where, []).append(f"{profile.code} has no actor {line.actor!r} (its actors: {known})")
            continue
        options = profile.actors[line.actor]
        if line.option and line.option not in options:
            known = "; ".join(options) or "none"
            problems.setdefault(where, []).append(
                f"{profile.code} {line.actor} has no option {line.option!r} (its options: {known})"
            )
        key = (profile.code, line.actor, line.option)
        if key in seen:
            problems.setdefault(where, []).append("the same profile, actor and option are listed twice")
        seen.add(key)
    seen_results: set[tuple[int, str, str]] = set()
    for number, result in enumerate(connectathon, start=1):
        where = f"Connectathon line {number}"
        tested = profiles.find(result.profile)
        if tested is None or result.actor not in tested.actors:
            problems.setdefault(where, []).append(
                f"unknown profile or actor {result.profile!r} / {result.actor!r} in a Connectathon result"
            )
        result_key = (result.year, result.profile.casefold(), result.actor)
        if result_key in seen_results:
            problems.setdefault(where, []).append("the same year, profile and actor are listed twice")
        seen_results.add(result_key)
    return problems


def replace_statement(
    session: Session,
    *,
    actor: Actor,
    product_id: int,
    lines: Iterable[StatementLine | dict[str, Any]],
    connectathon: Iterable[ConnectathonInput | dict[str, Any]] = (),
    statement_url: str | None = None,
    statement_date: dt.date | None = None,
) -> tuple[int, int]:
    """Replace a product's integration statement (and Connectathon results) in one transaction; all or nothing."""
    product = get_product(session, product_id)
    actor = require_product_editor(session, actor, product)
    statement = [validated(StatementLine, line, "The integration statement cannot be read.") for line in lines]
    results = [validated(ConnectathonInput, r, "The Connectathon results cannot be read.") for r in connectathon]
    profiles = load_ihe_profiles()
    # Profile codes as the catalogue spells them ("xds-i.b" is XDS-I.b).
    statement = [
        s.model_copy(update={"profile": found.code}) if (found := profiles.find(s.profile)) else s for s in statement
    ]
    problems = check_statement(statement, results)
    if problems:
        raise ValidationFailed(problems, "The integration statement was not imported; nothing was changed.")
    if not statement:
        raise ValidationFailed({"statement": ["it lists no profile and actor"]}, "The integration statement is empty.")
    if statement_url is not None:
        validated(ProductInput, _product_data(product, statement_url=statement_url), "The link cannot be used.")
    with transaction(session):
        before = len(
            session.exec(
                select(IntegrationStatementLine).where(col(IntegrationStatementLine.product_id) == product_id)
            ).all()
        )
        session.exec(delete(IntegrationStatementLine).where(col(IntegrationStatementLine.product_id) == product_id))
        session.exec(delete(ConnectathonResult).where(col(ConnectathonResult.product_id) == product_id))
        for line in statement:
            session.add(IntegrationStatementLine(product_id=product_id, **line.model_dump()))
        for result in results:
            found = profiles.find(result.profile)
            session.add(
                ConnectathonResult(
                    product_id=product_id,
                    year=result.year,
                    profile=found.code if found else result.profile,
                    actor=result.actor,
                )
            )
        if statement_url is not None:
            product.statement_url = statement_url.strip()
        if statement_date is not None:
            product.statement_date = statement_date
        session.add(product)
        audit.record(
            session,
            actor=actor,
            action="import_integration_statement",
            entity="product",
            entity_key=f"{product.name} {product.version}",
            before={"lines": before},
            after={
                "lines": len(statement),
                "connectathon_results": len(results),
                "statement_url": product.statement_url,
                "statement_date": product.statement_date.isoformat() if product.statement_date else None,
            },
        )
    return len(statement), len(results)


def _product_data(product: Product, **changes: Any) -> dict[str, Any]:
    data = product.model_dump(include=set(ProductInput.model_fields))
    data.update(changes)
    return data


def statement_frame(session: Session, product_id: int) -> pd.DataFrame:
    rows = session.exec(
        select(IntegrationStatementLine)
        .where(col(IntegrationStatementLine.product_id) == product_id)
        .order_by(col(IntegrationStatementLine.profile), col(IntegrationStatementLine.actor))
    )
    return pd.DataFrame(
        [{"Profile": r.profile, "Actor": r.actor, "Option": r.option} for r in rows],
        columns=["Profile", "Actor", "Option"],
    )


def connectathon_frame(session: Session, product_id: int) -> pd.DataFrame:
    rows = session.exec(
        select(ConnectathonResult)
        .where(col(ConnectathonResult.product_id) == product_id)
        .order_by(col(ConnectathonResult.year).desc(), col(ConnectathonResult.profile))
    )
    return pd.DataFrame(
        [{"Year": r.year, "Profile": r.profile, "Actor": r.actor} for r in rows], columns=["Year", "Profile", "Actor"]
    )


# --- the product survey -----------------------------------------------------------------------------------------


def open_product_survey(session: Session, *, actor: Actor, product_id: int) -> ProductSurvey:
    """The product's survey on the newest checklist, created as an empty draft the first time it is opened."""
    product = get_product(session, product_id)
    actor = require_product_editor(session, actor, product)
    version = latest_version(session)
    if version is None or version.id is None:
        raise InvalidState("No checklist is loaded: run `python -m mcwg_dashboard init` first.")
    existing = session.exec(
        select(ProductSurvey).where(
            ProductSurvey.product_id == product_id, ProductSurvey.checklist_version_id == version.id
        )
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction(session):
            survey = ProductSurvey(product_id=product_id, checklist_version_id=version.id, is_demo=product.is_demo)
            session.add(survey)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="open_product_survey",
                entity="productsurvey",
                entity_key=f"{product.name} {product.version}",
                before=None,
                after={"state": survey.state, "checklist": version.label},
            )
    except IntegrityError:
        found = session.exec(
            select(ProductSurvey).where(
                ProductSurvey.product_id == product_id, ProductSurvey.checklist_version_id == version.id
            )
        ).first()
        if found is None:
            raise
        return found
    return survey


def product_survey(session: Session, survey_id: int) -> tuple[ProductSurvey, Product]:
    survey = session.get(ProductSurvey, survey_id)
    if survey is None:
        raise NotFound(f"There is no product survey with ID {survey_id}.")
    return survey, get_product(session, survey.product_id)


def latest_product_survey(session: Session, product_id: int) -> ProductSurvey | None:
    """The product's survey on the newest checklist it was answered against (None before it is started)."""
    return session.exec(
        select(ProductSurvey)
        .where(col(ProductSurvey.product_id) == product_id)
        .order_by(col(ProductSurvey.checklist_version_id).desc())
    ).first()


def survey_answers(session: Session, survey_id: int) -> dict[str, ProductAnswer]:
    return {
        a.element_id: a for a in session.exec(select(ProductAnswer).where(col(ProductAnswer.survey_id) == survey_id))
    }


def save_product_answers(
    session: Session,
    *,
    actor: Actor,
    survey_id: int,
    answers: Sequence[ProductAnswerInput | dict[str, Any]],
    expected_version: int,
) -> ProductSurvey:
    """Save answers of a draft product survey in one transaction: every answer checked first, nothing saved when one
    is wrong (an element that does not apply to the product's type, a status off the product scale, a missing note
    or release), and refused when the survey changed since `expected_version`."""
    survey, product = product_survey(session, survey_id)
    actor = require_product_editor(session, actor, product)
    if survey.state != SurveyState.DRAFT.value:
        raise InvalidState(
            f"The survey of {product.name} {product.version} is {survey.state}: only a draft can be changed "
            "(the focus group can send it back)."
        )
    if survey.version != expected_version:
        raise ConflictError(
            [],
            f"The survey of {product.name} {product.version} changed since this page was loaded "
            f"(version {survey.version}, this page had {expected_version}): reload to see the changes.",
        )
    definition = load_product_survey()
    applicable = set(definition.elements_for(product.product_type))
    checklist = checklist_for_version(session, survey.checklist_version_id)
    checked: list[ProductAnswerInput] = []
    problems: dict[str, list[str]] = {}
    for raw in answers:
        try:
            answer: ProductAnswerInput = validated(ProductAnswerInput, raw, "An answer cannot be read.")
        except ValidationFailed as exc:
            for field, messages in exc.problems.items():
                problems.setdefault(str(raw.get("element_id", field) if isinstance(raw, dict) else field), []).extend(
                    messages
                )
            continue
        problems_of = _answer_problems(answer, definition, applicable, product, set(checklist.elements))
        if problems_of:
            problems.setdefault(answer.element_id, []).extend(problems_of)
        checked.append(answer)
    if problems:
        raise ValidationFailed(problems, "Nothing was saved: some answers need attention.")
    stored = survey_answers(session, survey_id)
    now = utcnow()
    with transaction(session):
        changes: dict[str, Any] = {}
        for answer in checked:
            status = definition.parse(answer.status)
            assert status is not None
            old = stored.get(answer.element_id)
            values = {
                "status": status.code,
                "release": answer.release,
                "evidence": answer.evidence,
                "note": answer.note,
            }
            if old is not None and all(getattr(old, k) == v for k, v in values.items()):
                continue
            changes[answer.element_id] = {
                "before": None if old is None else old.status,
                "after": status.code,
            }
            if old is None:
                session.add(
                    ProductAnswer(
                        survey_id=survey_id,
                        element_id=answer.element_id,
                        status=status.code,
                        release=answer.release,
                        evidence=answer.evidence,
                        note=answer.note,
                        answered_by=actor.username,
                    )
                )
            else:
                for key, value in values.items():
                    setattr(old, key, value)
                old.answered_by, old.answered_at = actor.username, now
                session.add(old)
        if changes:
            survey.version += 1
            survey.updated_at = now
            session.add(survey)
            audit.record(
                session,
                actor=actor,
                action="save_product_answers",
                entity="productsurvey",
                entity_key=f"{product.name} {product.version}",
                before={k: v["before"] for k, v in changes.items()},
                after={k: v["after"] for k, v in changes.items()},
            )
    return survey


def _answer_problems(
    answer: ProductAnswerInput,
    definition: ProductSurveyDefinition,
    applicable: set[str],
    product: Product,
    elements: set[str],
) -> list[str]:
    if answer.element_id not in elements:
        return [f"{answer.element_id!r} is not an element of the checklist"]
    if answer.element_id not in applicable:
        label = definition.type_labels.get(product.product_type, product.product_type)
        return [f"does not apply to a product of type {label}: it is not asked of it"]
    status = definition.parse(answer.status)
    if status is None:
        return [f"{answer.status!r} is not on the product scale ({', '.join(s.label for s in definition.statuses)})"]
    problems = []
    if "note" in status.requires and not answer.note:
        problems.append(f"a note is required for {status.label}: say how or what")
    if "release" in status.requires and not answer.release:
        problems.append(f"{status.label} names the release that brings it")
    return problems


# Each step of the product survey's lifecycle: from, to, and whether only the focus group takes it (a vendor submits).
_STEPS = {
    "submit": (SurveyState.DRAFT, SurveyState.SUBMITTED, False),
    "send_back": (SurveyState.SUBMITTED, SurveyState.DRAFT, True),
    "validate": (SurveyState.SUBMITTED, SurveyState.VALIDATED, True),
    "publish": (SurveyState.VALIDATED, SurveyState.PUBLISHED, True),
}


def _transition(
    session: Session, *, actor: Actor, survey_id: int, expected_version: int, step: str, comment: str = ""
) -> ProductSurvey:
    source, target, admin_only = _STEPS[step]
    survey, product = product_survey(session, survey_id)
    actor = require_admin(session, actor) if admin_only else require_product_editor(session, actor, product)
    label = f"{product.name} {product.version}"
    if survey.state != source.value:
        raise InvalidState(
            f"The survey of {label} is {survey.state}, not {source.value}: it cannot be {target.value} now."
        )
    if survey.version != expected_version:
        raise ConflictError([], f"The survey of {label} changed since this page was loaded: reload it.")
    now = utcnow()
    with transaction(session):
        before = survey.state
        survey.state = target.value
        survey.version += 1
        survey.updated_at = now
        survey.state_comment = comment
        if target is SurveyState.SUBMITTED:
            survey.submitted_at, survey.submitted_by = now, actor.username
        elif target is SurveyState.VALIDATED:
            survey.validated_at, survey.validated_by = now, actor.username
        elif target is SurveyState.PUBLISHED:
            survey.published_at, survey.published_by = now, actor.username
        session.add(survey)
        audit.record(
            session,
            actor=actor,
            action=f"{step}_product_survey",
            entity="productsurvey",
            entity_key=label,
            before={"state": before},
            after={"state": target.value, "comment": comment} if comment else {"state": target.value},
        )
    return survey


def submit_product_survey(session: Session, *, actor: Actor, survey_id: int, expected_version: int) -> ProductSurvey:
    """Hand a draft to the focus group; it needs at least one answered element."""
    unknown = load_product_survey().default.code
    answered = [a for a in survey_answers(session, survey_id).values() if a.status != unknown]
    if not answered:
        raise InvalidState("Answer at least one element before submitting the product survey.")
    return _transition(session, actor=actor, survey_id=survey_id, expected_version=expected_version, step="submit")


def send_back_product_survey(
    session: Session, *, actor: Actor, survey_id: int, expected_version: int, comment: str
) -> ProductSurvey:
    text = clean_text(comment).strip()
    if not text or len(text) > 2000:
        problem = "say what the vendor should change" if not text else "a comment has at most 2000 characters"
        raise ValidationFailed({"comment": [problem]}, "Nothing was sent back.")
    return _transition(
        session, actor=actor, survey_id=survey_id, expected_version=expected_version, step="send_back", comment=text
    )


def validate_product_survey(session: Session, *, actor: Actor, survey_id: int, expected_version: int) -> ProductSurvey:
    return _transition(session, actor=actor, survey_id=survey_id, expected_version=expected_version, step="validate")


def publish_product_survey(session: Session, *, actor: Actor, survey_id: int, expected_version: int) -> ProductSurvey:
    return _transition(session, actor=actor, survey_id=survey_id, expected_version=expected_version, step="publish")


# --- reading the claims -----------------------------------------------------------------------------------------

CLAIM_COLUMNS = [
    "product_id",
    "product",
    "vendor",
    "product_type",
    "element_id",
    "status",
    "release",
    "evidence",
    "note",
    "survey_state",
    "validated_at",
    "is_demo",
]


def claims_frame(session: Session, *, states: Sequence[str], product_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per product answer in surveys of the given states: the vendors' claims, never member answers."""
    query = (
        select(ProductAnswer, ProductSurvey, Product, Vendor)
        .join(ProductSurvey, col(ProductSurvey.id) == col(ProductAnswer.survey_id))
        .join(Product, col(Product.id) == col(ProductSurvey.product_id))
        .join(Vendor, col(Vendor.id) == col(Product.vendor_id))
        .where(col(ProductSurvey.state).in_(list(states)))
        .order_by(col(Product.name), col(Product.version), col(ProductAnswer.element_id))
    )
    if product_ids is not None:
        query = query.where(col(Product.id).in_(list(product_ids)))
    rows = [
        (
            product.id,
            f"{product.name} {product.version}",
            vendor.name,
            product.product_type,
            answer.element_id,
            answer.status,
            answer.release,
            answer.evidence,
            answer.note,
            survey.state,
            survey.validated_at,
            product.is_demo,
        )
        for answer, survey, product, vendor in session.exec(query)
    ]
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


GAP_COLUMNS = ["element_id", "element_title", "set_code", "member_status", "member_note", "products", "product_count"]


def member_gaps(member_answers: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """A member's gaps (answers with a gap status on an element products are asked about) and the products whose
    validated claims cover each: plain data in, plain data out.

    `member_answers` holds one member's answers (element_id, element_title, set_code, status, note);
    `claims` is `claims_frame` of the surveys the audience may see.
    """
    definition = load_product_survey()
    covering = definition.covering
    gap_codes = set(definition.gap_statuses)
    covers: dict[str, list[str]] = {}
    for element_id, product, vendor, status in zip(
        claims["element_id"], claims["product"], claims["vendor"], claims["status"], strict=True
    ):
        if status in covering:
            covers.setdefault(str(element_id), []).append(f"{product} ({vendor})")
    rows = []
    for element_id, title, set_code, status, note in zip(
        member_answers["element_id"],
        member_answers["element_title"],
        member_answers["set_code"],
        member_answers["status"],
        member_answers["note"],
        strict=True,
    ):
        if status not in gap_codes or element_id not in definition.applicability:
            continue
        products = sorted(set(covers.get(str(element_id), [])))
        rows.append((element_id, title, set_code, status, note or "", "; ".join(products), len(products)))
    return pd.DataFrame(rows, columns=GAP_COLUMNS)
