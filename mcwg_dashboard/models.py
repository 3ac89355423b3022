"""All database tables. Schema changes go through an Alembic migration in migrations/versions/."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint, event
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RoundState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SurveyState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    PUBLISHED = "published"


class Country(SQLModel, table=True):
    # ISO 3166-1 alpha-2, or ISO 3166-2 for regions such as CA-QC and GB-ENG.
    code: str = Field(primary_key=True, max_length=6)
    name: str = Field(max_length=80)
    # Deployment architectures in use (A, B, C; several may coexist), unknown until a country says.
    architectures: str | None = Field(default=None, max_length=10)
    architectures_are_demo: bool = False
    # A retired member keeps its history but is left out of rounds that open on or after this date.
    retired_on: dt.date | None = None
    # Its own outline (a GeoJSON MultiPolygon in WGS84) when the shipped map has none for its code.
    shape: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ChecklistVersion(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=40, unique=True)
    content_hash: str = Field(max_length=64)
    loaded_at: dt.datetime = Field(default_factory=utcnow)
    # The full checklist as loaded, so that old rounds keep the wording they were answered against.
    definition: dict = Field(sa_column=Column(JSON, nullable=False))


class ChecklistElement(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("checklist_version_id", "element_id"),)

    id: int | None = Field(default=None, primary_key=True)
    checklist_version_id: int = Field(foreign_key="checklistversion.id", index=True)
    element_id: str = Field(max_length=12)
    set_code: str = Field(max_length=6)
    position: int
    title: str = Field(max_length=200)
    metadata_level: int | None = None
    content_hash: str = Field(max_length=64)


class SurveyRound(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    opens_on: dt.date
    closes_on: dt.date | None = None
    checklist_version_id: int = Field(foreign_key="checklistversion.id")
    state: str = Field(default=RoundState.OPEN.value, max_length=10)
    is_demo: bool = False


class CountrySurvey(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("round_id", "country_code"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="surveyround.id", index=True)
    country_code: str = Field(foreign_key="country.code", max_length=6)
    state: str = Field(default=SurveyState.DRAFT.value, max_length=10)
    # Bumped on every state change: a submit from a stale page is refused.
    version: int = 1
    is_demo: bool = False
    updated_at: dt.datetime = Field(default_factory=utcnow)
    submitted_at: dt.datetime | None = None
    submitted_by: str | None = Field(default=None, max_length=80)
    validated_at: dt.datetime | None = None
    validated_by: str | None = Field(default=None, max_length=80)
    published_at: dt.datetime | None = None
    published_by: str | None = Field(default=None, max_length=80)
    # Why the focus group sent the survey back or reopened it; shown to the country.
    state_comment: str = Field(default="", max_length=2000)


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("survey_id", "element_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="countrysurvey.id", index=True)
    element_id: str = Field(max_length=12)
    status: str = Field(max_length=6)
    note: str = Field(default="", max_length=4000)
    evidence_url: str = Field(default="", max_length=1000)
    target_date: dt.date | None = None
    # Optimistic lock: a save names the version it started from; a mismatch is a conflict.
    version: int = 1
    answered_by: str = Field(max_length=80)
    answered_at: dt.datetime = Field(default_factory=utcnow)
    needs_reconfirmation: bool = False
    # Copied from the country's previous round when a round opens; cleared when the country confirms or edits it.
    carried_over: bool = False
    # Set when carried over onto a changed element and kept after re-confirmation, so the re-confirmed share
    # of changed elements can be shown (needs_reconfirmation alone forgets that an answer was ever flagged).
    element_changed: bool = False
    # What "implemented" covers, since "Partially implemented" hides both: "" (not said), "specification" (in the
    # national specification only) or "production"; and the regions it covers ("" = all regions).
    stage: str = Field(default="", max_length=20)
    regions: str = Field(default="", max_length=400)


class DeploymentProfile(SQLModel, table=True):
    """A member's deployment profile in one round (one per country survey): what it runs, not what it adopts.

    Comma-separated codes: architectures A, B, C; stacks as in checklist.Stack; repositories central, distributed.
    """

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="countrysurvey.id", unique=True)
    architectures: str = Field(max_length=10)
    stacks: str = Field(default="", max_length=60)
    repositories: str = Field(default="", max_length=30)
    # "national", or "regional" with the regions covered.
    scope: str = Field(default="national", max_length=10)
    regions: str = Field(default="", max_length=400)
    note: str = Field(default="", max_length=2000)
    version: int = 1
    carried_over: bool = False
    updated_by: str = Field(max_length=80)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True, index=True)
    display_name: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    # Member codes a country representative answers for, comma-separated (e.g. "FR" or "BE,NL").
    countries: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=300)
    is_active: bool = True
    is_demo: bool = False
    # The vendor a vendor account answers for (its products only); None for every other role.
    vendor_id: int | None = Field(default=None, foreign_key="vendor.id")
    # Bumped on password reset or disable, so signed sign-in cookies issued before stop working.
    session_version: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins counted per client, and per client and username (services/sign_in_throttle.py)."""

    key: str = Field(primary_key=True, max_length=160)
    client: str = Field(max_length=80, index=True)
    # None on the per-client row; the username as typed (existing or not) on the per-username row.
    username: str | None = Field(default=None, max_length=60, index=True)
    failures: int = 0
    refused: int = 0
    last_failure_at: dt.datetime
    blocked_until: dt.datetime | None = None


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_key: str = Field(max_length=120)
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class AppSetting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=400)


class ChangeProposal(SQLModel, table=True):
    """A change proposal against the recommendations; its states are in services/proposals.py."""

    id: int | None = Field(default=None, primary_key=True)
    # CP-YYYY-NNN, numbered per year of submission.
    number: str = Field(max_length=12, unique=True, index=True)
    title: str = Field(max_length=200)
    submitter_name: str = Field(max_length=120)
    submitted_by: str = Field(max_length=80)
    country_code: str | None = Field(default=None, foreign_key="country.code", max_length=6)
    set_code: str = Field(max_length=6)
    problem: str = Field(max_length=8000)
    proposed_change: str = Field(max_length=8000)
    rationale: str = Field(default="", max_length=8000)
    state: str = Field(max_length=20, index=True)
    focus_group: str = Field(default="", max_length=60)
    # Why it reached its latest decision (accepted, rejected, deferred, withdrawn, closed).
    decision_reason: str = Field(default="", max_length=4000)
    applied_version_id: int | None = Field(default=None, foreign_key="checklistversion.id")
    # The proposal it became at the body that owns the standard, and that body's status.
    external_body: str = Field(default="", max_length=60)
    external_reference: str = Field(default="", max_length=200)
    external_status: str = Field(default="", max_length=20)
    submitted_at: dt.datetime = Field(default_factory=utcnow)
    state_since: dt.datetime = Field(default_factory=utcnow)
    # Optimistic lock, as for surveys: every change names the version it started from.
    version: int = 1
    is_demo: bool = False
    # Names of the fields whose values are made up (demo history: the public record does not give them), e.g.
    # ["number", "submitted_at"]; shown marked "illustrative" wherever the field is shown. None: all are real.
    illustrative_fields: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ProposalElement(SQLModel, table=True):
    """The checklist elements a proposal targets (stable element IDs)."""

    proposal_id: int = Field(foreign_key="changeproposal.id", primary_key=True)
    element_id: str = Field(max_length=12, primary_key=True, index=True)


class ProposalEvent(SQLModel, table=True):
    """The proposal's history: every transition, comment and external status change."""

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="changeproposal.id", index=True)
    at: dt.datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=80)
    kind: str = Field(max_length=20)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str | None = Field(default=None, max_length=20)
    comment: str = Field(default="", max_length=8000)


class MeetingSnapshot(SQLModel, table=True):
    """The shared (submitted, validated, published) answers of a round, frozen at a plenary: read-only once written.

    The round is copied by ID and name rather than referenced, so a snapshot outlives its round (demo data can be
    cleared) and always shows what the meeting saw.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    meeting_date: dt.date
    round_id: int
    round_name: str = Field(max_length=80)
    # The survey states frozen (comma-separated), and how many answers.
    states: str = Field(max_length=60)
    answer_count: int
    is_demo: bool = False
    created_by: str = Field(max_length=80)
    created_at: dt.datetime = Field(default_factory=utcnow)
    # One record per answer: the columns of services.answer_data.load_answer_frame, dates as ISO text.
    answers: list = Field(sa_column=Column(JSON, nullable=False))


class FutureTopic(SQLModel, table=True):
    """A possible future topic for the MCWG (a backlog the plenary sees; the focus group keeps it)."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    note: str = Field(default="", max_length=2000)
    # Order in the list, smallest first.
    position: int
    # Retired topics are kept (with their history in the audit log), not deleted.
    active: bool = True
    # Optimistic lock: every change names the version it started from.
    version: int = 1
    created_by: str = Field(max_length=80)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: str = Field(max_length=80)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Vendor(SQLModel, table=True):
    """A company whose products are assessed for market readiness (a second kind of respondent, next to members)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    contact_name: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=200)
    is_demo: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)


class Product(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("vendor_id", "name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    name: str = Field(max_length=120)
    version: str = Field(max_length=40)
    # One of the product types of surveys/products.yaml (RIS, PACS, VNA, EHR, GATEWAY, VIEWER, REGISTRY).
    product_type: str = Field(max_length=12)
    # The vendor's IHE Integration Statement: where it is published and its date.
    statement_url: str = Field(default="", max_length=500)
    statement_date: dt.date | None = None
    is_demo: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)


class IntegrationStatementLine(SQLModel, table=True):
    """One actor of one IHE integration profile the product implements, with one option ('' for none)."""

    __table_args__ = (UniqueConstraint("product_id", "profile", "actor", "option"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    profile: str = Field(max_length=40)
    actor: str = Field(max_length=80)
    option: str = Field(default="", max_length=80)


class ConnectathonResult(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("product_id", "year", "profile", "actor"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    year: int
    profile: str = Field(max_length=40)
    actor: str = Field(max_length=80)


class ProductSurvey(SQLModel, table=True):
    """A product's answers on the elements that apply to its type, with the members' lifecycle: draft, submitted,
    validated, published. Nothing of it is public before it is published, and it never enters member figures."""

    __table_args__ = (UniqueConstraint("product_id", "checklist_version_id"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    checklist_version_id: int = Field(foreign_key="checklistversion.id")
    state: str = Field(default=SurveyState.DRAFT.value, max_length=10)
    # Bumped on every save and state change: a save or submit from a stale page is refused.
    version: int = 1
    is_demo: bool = False
    updated_at: dt.datetime = Field(default_factory=utcnow)
    submitted_at: dt.datetime | None = None
    submitted_by: str | None = Field(default=None, max_length=80)
    validated_at: dt.datetime | None = None
    validated_by: str | None = Field(default=None, max_length=80)
    published_at: dt.datetime | None = None
    published_by: str | None = Field(default=None, max_length=80)
    state_comment: str = Field(default="", max_length=2000)


class ProductAnswer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("survey_id", "element_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="productsurvey.id", index=True)
    element_id: str = Field(max_length=12)
    status: str = Field(max_length=8)
    # The release that brings it, for a planned answer ("10.2", "2027 R1").
    release: str = Field(default="", max_length=40)
    # What backs the claim: a document, a section of the integration statement, a Connectathon result.
    evidence: str = Field(default="", max_length=500)
    note: str = Field(default="", max_length=2000)
    answered_by: str = Field(max_length=80)
    answered_at: dt.datetime = Field(default_factory=utcnow)


class ReadOnlyRecord(RuntimeError):
    """A meeting snapshot was about to be changed or deleted."""


def _refuse_change(mapper: object, connection: object, target: MeetingSnapshot) -> None:
    raise ReadOnlyRecord(f"Meeting snapshot {target.name!r} is read-only: it cannot be changed or deleted.")


event.listen(MeetingSnapshot, "before_update", _refuse_change)
event.listen(MeetingSnapshot, "before_delete", _refuse_change)
