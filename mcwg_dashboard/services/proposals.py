"""Change proposals against the recommendations: the register, its workflow, history and the checklist path.

    submitted --triage--> triaged --assign (to a focus group)--> assigned --discuss--> in_discussion
    in_discussion --accept*--> accepted --forward (to IHE, DICOM, HL7 Europe...)--> forwarded
    accepted | forwarded --apply (a new checklist version)--> applied
    accepted | forwarded | applied --close*--> closed
    submitted | triaged | assigned | in_discussion --reject*--> rejected
    triaged | assigned | in_discussion --defer*--> deferred --resume*--> triaged
    submitted | triaged | assigned | in_discussion | deferred --withdraw*--> withdrawn

    * a reason is required; rejected, withdrawn and closed are terminal.

Members, country representatives and the focus group (admin) submit and comment; the submitter may withdraw
their own proposal; every other transition is the focus group's. A forwarded proposal carries the external
body's reference and status (the IHE states), updated as that body moves it on.

Every change names the proposal version the user saw and is a compare-and-set on it (ConflictError when
someone else changed it meanwhile), runs in one transaction, adds a ProposalEvent to the history and an
audit entry.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mcwg_dashboard.checklist import Checklist, SetStatus
from mcwg_dashboard.models import ChangeProposal, ChecklistVersion, Country, ProposalElement, ProposalEvent, utcnow
from mcwg_dashboard.services import actors, audit
from mcwg_dashboard.services.actors import Actor, Role, require_admin
from mcwg_dashboard.services.checklist_store import add_checklist_version, checklist_for_version, latest_version
from mcwg_dashboard.services.errors import (
    ConflictError,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    validated,
)
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.text import clean_any, clean_text


class ProposalState(StrEnum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    IN_DISCUSSION = "in_discussion"
    ACCEPTED = "accepted"
    FORWARDED = "forwarded"
    APPLIED = "applied"
    REJECTED = "rejected"
    DEFERRED = "deferred"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


STATE_LABELS = {
    ProposalState.SUBMITTED: "Submitted",
    ProposalState.TRIAGED: "Triaged",
    ProposalState.ASSIGNED: "Assigned to a focus group",
    ProposalState.IN_DISCUSSION: "In discussion",
    ProposalState.ACCEPTED: "Accepted",
    ProposalState.FORWARDED: "Forwarded",
    ProposalState.APPLIED: "Applied",
    ProposalState.REJECTED: "Rejected",
    ProposalState.DEFERRED: "Deferred",
    ProposalState.WITHDRAWN: "Withdrawn",
    ProposalState.CLOSED: "Closed",
}
STATE_ORDER = list(ProposalState)
TERMINAL_STATES = frozenset({ProposalState.REJECTED, ProposalState.WITHDRAWN, ProposalState.CLOSED})
# Still work for the MCWG: waiting for triage, discussion, a decision being carried out or an external body.
OPEN_STATES = frozenset(
    {
        ProposalState.SUBMITTED,
        ProposalState.TRIAGED,
        ProposalState.ASSIGNED,
        ProposalState.IN_DISCUSSION,
        ProposalState.ACCEPTED,
        ProposalState.FORWARDED,
    }
)

# The bodies that own the standards the recommendations profile, and the IHE change-proposal states.
MAX_DECISION_REASON = 4000
MAX_REFERENCE = 200
MAX_EXTERNAL_NOTE = 2000
EXTERNAL_BODIES = ("IHE Radiology", "IHE ITI", "DICOM", "HL7 Europe", "Xt-EHR / eHN")
EXTERNAL_STATUSES = (
    "submitted",
    "assigned",
    "completed",
    "ballot",
    "final text",
    "integrated",
    "rejected",
    "cancelled",
)
# The MCWG's focus groups as the overview deck (May 2024) names them; a proposal is assigned to one of these.
# Databases may hold older names on existing proposals: pages list whatever is stored.
FOCUS_GROUP_DESCRIPTIONS = {
    "Standards and Profiles Positioning": "",
    "Imaging Metadata & Linkages": "",
    "Imaging Study Manifest": "",
    "Tracking and Adoption": "this dashboard, the adoption survey, change proposals",
    "Deployment": "market readiness / gateways; clinician guide to metadata",
    "Significant Images": "",
}
FOCUS_GROUPS = tuple(FOCUS_GROUP_DESCRIPTIONS)


def focus_group_label(name: str) -> str:
    """The name with its description, for choosers (e.g. "Deployment (market readiness / gateways; ...)")."""
    description = FOCUS_GROUP_DESCRIPTIONS.get(name, "")
    return f"{name} ({description})" if description else name


# Fields of a proposal that demo history may mark as illustrative (made up: the public record does not give them),
# with the words used to name them on pages and in exports.
ILLUSTRATIVE_LABELS = {
    "number": "number",
    "submitter_name": "submitter",
    "submitted_at": "submission date",
    "state_since": "date of the current state",
    "history_dates": "dates in the history",
    "focus_group": "focus group",
    "decision_reason": "decision reason",
    "external_status": "external status",
}
ILLUSTRATIVE = "illustrative"


def illustrative(value: str, field: str, fields: Iterable[str] | None) -> str:
    """The value as shown, followed by "(illustrative)" when that field is marked so."""
    return f"{value} ({ILLUSTRATIVE})" if fields and field in fields else value


def illustrative_summary(fields: Iterable[str] | None) -> str:
    """The marked fields named for a column or a caption ("illustrative: number, submitter"), or ""."""
    names = [ILLUSTRATIVE_LABELS.get(f, f) for f in ILLUSTRATIVE_LABELS if f in set(fields or ())]
    return f"{ILLUSTRATIVE}: {', '.join(names)}" if names else ""


@dataclass(frozen=True)
class Transition:
    label: str
    sources: tuple[ProposalState, ...]
    target: ProposalState
    needs_reason: bool = False
    submitter_may: bool = False


_BEFORE_DECISION = (ProposalState.SUBMITTED, ProposalState.TRIAGED, ProposalState.ASSIGNED, ProposalState.IN_DISCUSSION)
TRANSITIONS: dict[str, Transition] = {
    "triage": Transition("Triage", (ProposalState.SUBMITTED,), ProposalState.TRIAGED),
    "assign": Transition("Assign to a focus group", (ProposalState.TRIAGED,), ProposalState.ASSIGNED),
    "discuss": Transition("Start discussion", (ProposalState.ASSIGNED,), ProposalState.IN_DISCUSSION),
    "accept": Transition("Accept", (ProposalState.IN_DISCUSSION,), ProposalState.ACCEPTED, needs_reason=True),
    "forward": Transition("Forward to an external body", (ProposalState.ACCEPTED,), ProposalState.FORWARDED),
    "apply": Transition(
        "Apply to the checklist", (ProposalState.ACCEPTED, ProposalState.FORWARDED), ProposalState.APPLIED
    ),
    "close": Transition(
        "Close",
        (ProposalState.ACCEPTED, ProposalState.FORWARDED, ProposalState.APPLIED),
        ProposalState.CLOSED,
        needs_reason=True,
    ),
    "reject": Transition("Reject", _BEFORE_DECISION, ProposalState.REJECTED, needs_reason=True),
    "defer": Transition("Defer", _BEFORE_DECISION[1:], ProposalState.DEFERRED, needs_reason=True),
    "resume": Transition("Resume", (ProposalState.DEFERRED,), ProposalState.TRIAGED, needs_reason=True),
    "withdraw": Transition(
        "Withdraw",
        (*_BEFORE_DECISION, ProposalState.DEFERRED),
        ProposalState.WITHDRAWN,
        needs_reason=True,
        submitter_may=True,
    ),
}

PAST_TENSE = {
    "triage": "triaged",
    "assign": "assigned",
    "discuss": "taken into discussion",
    "accept": "accepted",
    "forward": "forwarded",
    "apply": "applied",
    "close": "closed",
    "reject": "rejected",
    "defer": "deferred",
    "resume": "resumed",
    "withdraw": "withdrawn",
}

NUMBER_PATTERN = re.compile(r"^CP-(\d{4})-(\d{3})$")


# --- input -------------------------------------------------------------------------------------------------------


class ProposalInput(BaseModel):
    """What a submitter writes; the elements must belong to the named recommendation set."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=5, max_length=200)
    submitter_name: str = Field(default="", max_length=120)
    country_code: str | None = None
    set_code: str = Field(min_length=2, max_length=6)
    element_ids: list[str] = Field(min_length=1, max_length=40)
    problem: str = Field(min_length=10, max_length=8000)
    proposed_change: str = Field(min_length=10, max_length=8000)
    rationale: str = Field(default="", max_length=8000)

    @field_validator("title", "submitter_name", "problem", "proposed_change", "rationale", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return clean_any(value)

    @field_validator("element_ids")
    @classmethod
    def _unique_upper(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip().upper() for v in value if v.strip()]
        if not cleaned:
            raise ValueError("name at least one element")
        return list(dict.fromkeys(cleaned))

    @field_validator("country_code")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value.strip().upper() or None if value else None


class ElementEdit(BaseModel):
    """A changed element: only the fields given change."""

    model_config = ConfigDict(str_strip_whitespace=True)

    element_id: str
    title: str | None = Field(default=None, max_length=200)
    explanation: str | None = Field(default=None, max_length=4000)
    standards: list[str] | None = None

    @field_validator("title", "explanation", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return clean_any(value)


class NewElement(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    element_id: str = Field(max_length=12)
    title: str = Field(max_length=200)
    explanation: str = Field(max_length=4000)
    standards: list[str] = []
    metadata_level: int | None = None

    @field_validator("title", "explanation", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return clean_any(value)


class ChecklistChanges(BaseModel):
    """How applying a proposal changes the checklist: elements edited, added or retired."""

    version_label: str = Field(min_length=1, max_length=40)
    edits: list[ElementEdit] = []
    additions: list[NewElement] = []
    retirements: list[str] = []

    @property
    def is_empty(self) -> bool:
        return not (self.edits or self.additions or self.retirements)


# --- permissions -------------------------------------------------------------------------------------------------


def require_member(session: Session, actor: Actor) -> Actor:
    """The actor as of now (its account re-read), if it is signed in."""
    return actors.require_member(session, actor, "Sign in to see, submit or comment on change proposals.")


def may_act(actor: Actor, proposal: ChangeProposal, action: str) -> bool:
    if actor.role is Role.ADMIN:
        return True
    return TRANSITIONS[action].submitter_may and proposal.submitted_by == actor.username


def allowed_actions(actor: Actor, proposal: ChangeProposal) -> list[str]:
    """The transitions this user may make on this proposal now (for showing only buttons that work)."""
    return [
        action
        for action, transition in TRANSITIONS.items()
        if proposal.state in transition.sources and may_act(actor, proposal, action)
    ]


# --- reads -------------------------------------------------------------------------------------------------------


def get_proposal(session: Session, key: int | str) -> ChangeProposal:
    """By database ID or by number (CP-2026-001); always fresh from the database."""
    if isinstance(key, int) or str(key).isdigit():
        proposal = session.get(ChangeProposal, int(key), populate_existing=True)
    else:
        proposal = session.exec(select(ChangeProposal).where(ChangeProposal.number == str(key).strip().upper())).first()
        if proposal is not None:
            session.refresh(proposal)
    if proposal is None:
        raise NotFound(f"Change proposal {key} does not exist.")
    return proposal


def elements_of(session: Session, proposal_id: int) -> list[str]:
    return list(
        session.exec(
            select(ProposalElement.element_id)
            .where(ProposalElement.proposal_id == proposal_id)
            .order_by(col(ProposalElement.element_id))
        )
    )


PROPOSAL_COLUMNS = [
    "id",
    "number",
    "title",
    "state",
    "state_label",
    "set_code",
    "element_ids",
    "country_code",
    "submitter_name",
    "submitted_by",
    "problem",
    "proposed_change",
    "rationale",
    "submitted_at",
    "state_since",
    "focus_group",
    "decision_reason",
    "applied_version",
    "external_body",
    "external_reference",
    "external_status",
    "version",
    "is_demo",
    "illustrative_fields",
]


def proposal_frame(session: Session) -> pd.DataFrame:
    """Every proposal, one row each, newest number first; `element_ids` is a list of element IDs."""
    proposals = list(session.exec(select(ChangeProposal).order_by(col(ChangeProposal.number).desc())))
    links: dict[int, list[str]] = {}
    for link in session.exec(select(ProposalElement).order_by(col(ProposalElement.element_id))):
        links.setdefault(link.proposal_id, []).append(link.element_id)
    labels = dict(session.exec(select(ChecklistVersion.id, ChecklistVersion.label)).all())
    rows = [
        {
            "id": p.id,
            "number": p.number,
            "title": p.title,
            "state": p.state,
            "state_label": STATE_LABELS[ProposalState(p.state)],
            "set_code": p.set_code,
            "element_ids": links.get(p.id or 0, []),
            "country_code": p.country_code or "",
            "submitter_name": p.submitter_name,
            "submitted_by": p.submitted_by,
            "problem": p.problem,
            "proposed_change": p.proposed_change,
            "rationale": p.rationale,
            "submitted_at": pd.Timestamp(p.submitted_at),
            "state_since": pd.Timestamp(p.state_since),
            "focus_group": p.focus_group,
            "decision_reason": p.decision_reason,
            "applied_version": labels.get(p.applied_version_id, "") if p.applied_version_id else "",
            "external_body": p.external_body,
            "external_reference": p.external_reference,
            "external_status": p.external_status,
            "version": p.version,
            "is_demo": p.is_demo,
            "illustrative_fields": list(p.illustrative_fields or []),
        }
        for p in proposals
    ]
    return pd.DataFrame(rows, columns=PROPOSAL_COLUMNS)


EVENT_COLUMNS = ["proposal_id", "at", "actor", "kind", "from_state", "to_state", "comment"]


def proposal_events(session: Session, proposal_id: int | None = None) -> pd.DataFrame:
    """One proposal's history (or every proposal's, with None), oldest first."""
    query = select(ProposalEvent).order_by(col(ProposalEvent.proposal_id), col(ProposalEvent.at), col(ProposalEvent.id))
    if proposal_id is not None:
        query = query.where(ProposalEvent.proposal_id == proposal_id)
    rows = [
        {
            "proposal_id": e.proposal_id,
            "at": pd.Timestamp(e.at),
            "actor": e.actor,
            "kind": e.kind,
            "from_state": e.from_state or "",
            "to_state": e.to_state or "",
            "comment": e.comment,
        }
        for e in session.exec(query)
    ]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def all_transition_events(session: Session) -> pd.DataFrame:
    """Every state change of every proposal (for time-in-state figures): proposal_id, at, to_state."""
    events = proposal_events(session)
    return events[events["to_state"] != ""][["proposal_id", "at", "to_state"]].reset_index(drop=True)


# --- writes ------------------------------------------------------------------------------------------------------


def check_proposal_input(session: Session, actor: Actor, data: ProposalInput) -> Checklist:
    """ValidationFailed (keyed by field) unless the set, elements and country fit the newest checklist."""
    version = latest_version(session)
    if version is None or version.id is None:
        raise InvalidState("No checklist is loaded yet: run `python -m mcwg_dashboard init`.")
    checklist = checklist_for_version(session, version.id)
    problems: dict[str, list[str]] = {}
    set_codes = [s.code for s in checklist.sets]
    if data.set_code not in set_codes:
        problems["set_code"] = [f"'{data.set_code}' is not a recommendation set ({', '.join(set_codes)})."]
    else:
        unknown = [e for e in data.element_ids if e not in checklist.elements]
        other_set = [e for e in data.element_ids if e in checklist.elements and not e.startswith(data.set_code + "-")]
        if unknown:
            problems["element_ids"] = [f"not in checklist version {version.label}: {', '.join(unknown)}"]
        if other_set:
            problems.setdefault("element_ids", []).append(
                f"not in set {data.set_code}: {', '.join(other_set)} (one proposal targets one set)"
            )
    if data.country_code is not None:
        if session.get(Country, data.country_code) is None:
            problems["country_code"] = [f"'{data.country_code}' is not a member code."]
        elif actor.role is not Role.ADMIN and data.country_code not in actor.countries:
            # Only the focus group files for any member; everyone else for their own countries, if any.
            mine = ", ".join(sorted(actor.countries))
            problems["country_code"] = [
                f"you represent {mine}, not {data.country_code}."
                if mine
                else f"your account represents no member: file it without a country, not {data.country_code}."
            ]
    if problems:
        raise ValidationFailed(problems, summary="The proposal was not saved.")
    return checklist


def submitter_name(actor: Actor, given: str = "") -> str:
    """Who the proposal is filed under: the signed-in account's name. Only the focus group (admin) may record
    another name (a proposal made in plenary, a register imported from elsewhere)."""
    return (given if actor.role is Role.ADMIN else "") or actor.label


def may_file_for(actor: Actor, members: Iterable[str]) -> list[str]:
    """The member codes a proposal may be filed for: any for the focus group, else the account's own."""
    return sorted(members) if actor.role is Role.ADMIN else sorted(set(members) & actor.countries)


def _next_number(session: Session, year: int) -> str:
    prefix = f"CP-{year}-"
    numbers = session.exec(select(ChangeProposal.number).where(col(ChangeProposal.number).startswith(prefix)))
    highest = max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)
    if highest >= 999:
        raise InvalidState(f"No proposal number is left in {year} (CP-{year}-999 is taken).")
    return f"{prefix}{highest + 1:03d}"


def submit_proposal(
    session: Session,
    *,
    actor: Actor,
    data: ProposalInput | dict[str, Any],
    now: dt.datetime | None = None,
    number: str | None = None,
) -> ChangeProposal:
    """Register a new proposal in state submitted, numbered CP-YYYY-NNN by its year of submission."""
    actor = require_member(session, actor)
    data = data if isinstance(data, ProposalInput) else validated(ProposalInput, data, "The proposal was not saved.")
    check_proposal_input(session, actor, data)
    if number is not None:
        _check_given_number(session, actor, number)
    for attempt in range(3):
        try:
            with transaction(session):
                return _insert_proposal(session, actor, data, now or utcnow(), number)
        except IntegrityError:
            # Someone took the same number at the same moment: count again.
            if number is not None or attempt == 2:
                raise InvalidState("The proposal number was taken at the same moment; submit again.") from None
    raise AssertionError("unreachable")


def _check_given_number(session: Session, actor: Actor, number: str) -> None:
    actor = require_admin(session, actor)  # numbers given by hand only when importing an existing register
    if not NUMBER_PATTERN.match(number):
        raise ValidationFailed({"number": ["must look like CP-2026-001"]}, summary="The proposal was not saved.")
    if session.exec(select(ChangeProposal.id).where(ChangeProposal.number == number)).first() is not None:
        raise InvalidState(f"Change proposal {number} already exists.")


def _insert_proposal(
    session: Session, actor: Actor, data: ProposalInput, now: dt.datetime, number: str | None
) -> ChangeProposal:
    """Add a submitted proposal with its elements, first event and audit entry, inside the caller's transaction."""
    proposal = ChangeProposal(
        number=number or _next_number(session, now.year),
        title=data.title,
        submitter_name=submitter_name(actor, data.submitter_name),
        submitted_by=actor.username,
        country_code=data.country_code,
        set_code=data.set_code,
        problem=data.problem,
        proposed_change=data.proposed_change,
        rationale=data.rationale,
        state=ProposalState.SUBMITTED.value,
        submitted_at=now,
        state_since=now,
    )
    session.add(proposal)
    session.flush()
    assert proposal.id is not None
    for element_id in data.element_ids:
        session.add(ProposalElement(proposal_id=proposal.id, element_id=element_id))
    _add_event(session, actor, proposal, kind="submitted", comment="", to_state=ProposalState.SUBMITTED, at=now)
    audit.record(
        session,
        actor=actor,
        action="submit_proposal",
        entity="changeproposal",
        entity_key=proposal.number,
        before=None,
        after={**data.model_dump(mode="json"), "number": proposal.number},
    )
    session.flush()
    return proposal


def update_proposal(
    session: Session, *, actor: Actor, proposal_id: int, expected_version: int, data: ProposalInput | dict[str, Any]
) -> ChangeProposal:
    """Edit the text and targets: the submitter while it is still submitted, the focus group until it is closed."""
    page_actor, actor = actor, require_member(session, actor)
    data = data if isinstance(data, ProposalInput) else validated(ProposalInput, data, "The proposal was not saved.")
    proposal = get_proposal(session, proposal_id)
    if page_actor.role is Role.ADMIN and actor.role is not Role.ADMIN:
        raise actors.refused(page_actor, actor, f"{actor.label} may no longer edit {proposal.number}.")
    _check_editable(actor, proposal)
    check_proposal_input(session, actor, data)
    try:
        with transaction(session):
            _apply_update(session, actor, proposal, expected_version, data)
    except _Stale:
        raise _stale_error(get_proposal(session, proposal_id)) from None
    return get_proposal(session, proposal_id)


def _check_editable(actor: Actor, proposal: ChangeProposal) -> None:
    if actor.role is not Role.ADMIN:
        if proposal.submitted_by != actor.username:
            raise PermissionDenied(f"{actor.label} may not edit {proposal.number}: only its submitter or an admin.")
        if proposal.state != ProposalState.SUBMITTED:
            raise InvalidState(f"{proposal.number} is {proposal.state}: its submitter can edit it only until triage.")
    if proposal.state in TERMINAL_STATES:
        raise InvalidState(f"{proposal.number} is {proposal.state}: it can no longer be edited.")


def _apply_update(
    session: Session, actor: Actor, proposal: ChangeProposal, expected_version: int, data: ProposalInput
) -> None:
    """Write an edit with its event and audit entry, inside the caller's transaction (_Stale on a version clash)."""
    before = _snapshot(session, proposal)
    values = data.model_dump(exclude={"element_ids"})
    given = values["submitter_name"] if actor.role is Role.ADMIN else ""
    values["submitter_name"] = given or proposal.submitter_name
    _compare_and_set(session, proposal, expected_version, values)
    for link in session.exec(select(ProposalElement).where(ProposalElement.proposal_id == proposal.id)):
        session.delete(link)
    session.flush()
    for element_id in data.element_ids:
        session.add(ProposalElement(proposal_id=proposal.id or 0, element_id=element_id))
    _add_event(session, actor, proposal, kind="edited", comment="")
    audit.record(
        session,
        actor=actor,
        action="edit_proposal",
        entity="changeproposal",
        entity_key=proposal.number,
        before=before,
        after={**before, **values, "element_ids": data.element_ids},
    )


@dataclass(frozen=True)
class RegisterRow:
    """One row of an imported register: a new proposal (proposal_id None) or an edit of an existing one."""

    data: ProposalInput
    proposal_id: int | None = None
    expected_version: int = 0
    number: str | None = None


def import_register(
    session: Session, *, actor: Actor, rows: list[RegisterRow], now: dt.datetime | None = None
) -> list[str]:
    """New proposals and edits from an imported register, all in one transaction or none (focus group only).

    The rows are checked before (the Excel reader does, with sheet, row and column); a version clash or a
    number taken meanwhile rolls everything back. Returns the numbers written.
    """
    actor = require_admin(session, actor)
    now = now or utcnow()
    written: list[str] = []
    try:
        with transaction(session):
            for row in rows:
                check_proposal_input(session, actor, row.data)
                if row.proposal_id is None:
                    if row.number is not None:
                        _check_given_number(session, actor, row.number)
                    written.append(_insert_proposal(session, actor, row.data, now, row.number).number)
                else:
                    proposal = get_proposal(session, row.proposal_id)
                    _check_editable(actor, proposal)
                    _apply_update(session, actor, proposal, row.expected_version, row.data)
                    written.append(proposal.number)
    except _Stale:
        raise ConflictError(
            [], "Nothing was imported: a proposal was changed in the app meanwhile. Export again."
        ) from None
    return written


def add_comment(
    session: Session, *, actor: Actor, proposal_id: int, text: str, now: dt.datetime | None = None
) -> ProposalEvent:
    """A comment in the proposal's history (any signed-in user; comments never change its version)."""
    actor = require_member(session, actor)
    text = clean_text(text).strip()
    if not text:
        raise ValidationFailed({"comment": ["write something first."]}, summary="The comment was not saved.")
    if len(text) > 8000:
        raise ValidationFailed({"comment": ["at most 8000 characters."]}, summary="The comment was not saved.")
    proposal = get_proposal(session, proposal_id)
    with transaction(session):
        event = ProposalEvent(
            proposal_id=proposal.id or 0, at=now or utcnow(), actor=actor.username, kind="comment", comment=text
        )
        session.add(event)
        audit.record(
            session,
            actor=actor,
            action="comment_proposal",
            entity="changeproposal",
            entity_key=proposal.number,
            before=None,
            after={"comment": text},
        )
    return event


def transition(
    session: Session,
    *,
    actor: Actor,
    proposal_id: int,
    expected_version: int,
    action: str,
    reason: str = "",
    focus_group: str = "",
    external_body: str = "",
    external_reference: str = "",
    external_status: str = "submitted",
    now: dt.datetime | None = None,
) -> ChangeProposal:
    """Move a proposal along the workflow (every action but `apply`, which is `apply_proposal`)."""
    page_actor, actor = actor, require_member(session, actor)
    if action not in TRANSITIONS or action == "apply":
        choices = ", ".join(a for a in TRANSITIONS if a != "apply")
        raise InvalidState(f"'{action}' is not a proposal action here ({choices}).")
    proposal = get_proposal(session, proposal_id)
    step = _check_transition(actor, proposal, action, expected_version, page_actor)
    reason = clean_text(reason).strip()
    problems: dict[str, list[str]] = {}
    if step.needs_reason and not reason:
        problems["reason"] = [f"a reason is required to {action} a proposal: it is kept in the history."]
    _check_length(problems, "reason", reason, MAX_DECISION_REASON)
    values: dict[str, Any] = {}
    if action == "assign":
        if focus_group.strip() not in FOCUS_GROUPS:
            problems["focus_group"] = [f"name the focus group that takes it on ({', '.join(FOCUS_GROUPS)})."]
        values["focus_group"] = focus_group.strip()
    if action == "forward":
        if not external_body.strip():
            problems["external_body"] = [f"name the body it goes to ({', '.join(EXTERNAL_BODIES)})."]
        if external_status not in EXTERNAL_STATUSES:
            problems["external_status"] = [f"one of {', '.join(EXTERNAL_STATUSES)}."]
        values.update(
            external_body=clean_text(external_body).strip(),
            external_reference=clean_text(external_reference).strip(),
            external_status=external_status,
        )
        _check_length(problems, "external_body", values["external_body"], 60)
        _check_length(problems, "reference", values["external_reference"], MAX_REFERENCE)
    if problems:
        raise ValidationFailed(problems, summary=f"{proposal.number} was not changed.")
    if step.needs_reason:
        values["decision_reason"] = reason
    _write_transition(session, actor, proposal, action, expected_version, values, reason, now)
    return get_proposal(session, proposal_id)


def _check_length(problems: dict[str, list[str]], field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        problems.setdefault(field, []).append(f"at most {limit} characters (this one has {len(value)}).")


def set_external_status(
    session: Session,
    *,
    actor: Actor,
    proposal_id: int,
    expected_version: int,
    status: str,
    reference: str | None = None,
    comment: str = "",
) -> ChangeProposal:
    """Record the external body's new status (and reference) of a forwarded proposal (admin)."""
    actor = require_admin(session, actor)
    proposal = get_proposal(session, proposal_id)
    if not proposal.external_body:
        raise InvalidState(f"{proposal.number} was not forwarded to an external body.")
    if status not in EXTERNAL_STATUSES:
        raise ValidationFailed(
            {"external_status": [f"one of {', '.join(EXTERNAL_STATUSES)}."]},
            summary=f"{proposal.number} was not changed.",
        )
    values: dict[str, Any] = {"external_status": status}
    problems: dict[str, list[str]] = {}
    if reference is not None:
        values["external_reference"] = clean_text(reference).strip()
        _check_length(problems, "reference", values["external_reference"], MAX_REFERENCE)
    _check_length(problems, "note", clean_text(comment).strip(), MAX_EXTERNAL_NOTE)
    if problems:
        raise ValidationFailed(problems, summary=f"{proposal.number} was not changed.")
    before = {"external_status": proposal.external_status, "external_reference": proposal.external_reference}
    with transaction(session):
        _compare_and_set(session, proposal, expected_version, values)
        text = f"{proposal.external_body}: {proposal.external_status or '–'} → {status}"
        if comment.strip():
            text += f". {clean_text(comment).strip()}"
        _add_event(session, actor, proposal, kind="external", comment=text)
        audit.record(
            session,
            actor=actor,
            action="external_status_proposal",
            entity="changeproposal",
            entity_key=proposal.number,
            before=before,
            after={**before, **values},
        )
    return get_proposal(session, proposal_id)


def apply_proposal(
    session: Session,
    *,
    actor: Actor,
    proposal_id: int,
    expected_version: int,
    changes: ChecklistChanges | dict[str, Any],
    now: dt.datetime | None = None,
) -> ChecklistVersion:
    """Accepted (or forwarded) -> applied: a new checklist version with the elements edited, added or retired.

    The new version starts from the newest stored checklist. Answers are never touched here: when the focus
    group opens the next round on the new version, answers to changed elements are carried over and flagged
    for re-confirmation, answers to retired elements are not carried, and added elements start unanswered.
    """
    actor = require_admin(session, actor)
    summary = "The proposal was not applied."
    changes = changes if isinstance(changes, ChecklistChanges) else validated(ChecklistChanges, changes, summary)
    proposal = get_proposal(session, proposal_id)
    _check_transition(actor, proposal, "apply", expected_version, actor)
    if changes.is_empty:
        raise ValidationFailed({"changes": ["edit, add or retire at least one element."]}, summary=summary)
    base_version = latest_version(session)
    if base_version is None or base_version.id is None:
        raise InvalidState("No checklist is loaded yet.")
    new_checklist, description = _changed_checklist(
        checklist_for_version(session, base_version.id), changes, (now or utcnow()).date(), summary
    )
    try:
        with transaction(session):
            version = add_checklist_version(session, actor=actor, checklist=new_checklist)
            values = {"applied_version_id": version.id}
            comment = f"Checklist version {version.label} (from {base_version.label}): {description}"
            _write_transition(session, actor, proposal, "apply", expected_version, values, comment, now, commit=False)
    except _Stale:
        raise _stale_error(get_proposal(session, proposal_id)) from None
    return version


def _changed_checklist(
    base: Checklist, changes: ChecklistChanges, today: dt.date, summary: str
) -> tuple[Checklist, str]:
    raw: dict[str, Any] = base.model_dump(mode="json")
    raw["version"] = changes.version_label.strip()
    raw["date"] = today.isoformat()
    elements = {e["id"]: e for s in raw["sets"] for e in s["elements"]}
    problems: dict[str, list[str]] = {}
    touched_sets: set[str] = set()
    for edit in changes.edits:
        if edit.element_id not in elements:
            problems.setdefault(edit.element_id, []).append("is not in the checklist, so it cannot be edited.")
            continue
        element = elements[edit.element_id]
        before = dict(element)
        if edit.title is not None:
            element["title"] = edit.title
        if edit.explanation is not None:
            element["explanation"] = edit.explanation
        if edit.standards is not None:
            element["standards"] = [s.strip() for s in edit.standards if s.strip()]
        if element == before:
            problems.setdefault(edit.element_id, []).append("the edit changes nothing.")
        touched_sets.add(edit.element_id.split("-")[0])
    for element_id in changes.retirements:
        if element_id not in elements:
            problems.setdefault(element_id, []).append("is not in the checklist, so it cannot be retired.")
        touched_sets.add(element_id.split("-")[0])
    for new in changes.additions:
        if new.element_id in elements:
            problems.setdefault(new.element_id, []).append("already exists: choose a new ID.")
            continue
        code = new.element_id.split("-")[0]
        target = next((s for s in raw["sets"] if s["code"] == code), None)
        if target is None:
            problems.setdefault(new.element_id, []).append(
                f"the ID must start with a set code and a dash, e.g. {code}-99."
            )
            continue
        target["elements"].append(
            {
                "id": new.element_id,
                "title": new.title,
                "explanation": new.explanation,
                "standards": [s.strip() for s in new.standards if s.strip()],
                "metadata_level": new.metadata_level,
                "alternative_metadata_level": None,
                "architectures": ["A", "B", "C"],
                "inferred": False,
                "sources": "",
            }
        )
        touched_sets.add(code)
    retired = set(changes.retirements)
    asked = {s["code"] for s in raw["sets"] if s["elements"]}
    for rec_set in raw["sets"]:
        rec_set["elements"] = [e for e in rec_set["elements"] if e["id"] not in retired]
        if rec_set["code"] in touched_sets:
            rec_set["date"] = today.isoformat()
            # A finalized set becomes "updated"; one in progress stays a draft.
            if rec_set["status"] != SetStatus.IN_PROGRESS.value:
                rec_set["status"] = SetStatus.UPDATED.value
                rec_set["updated_on"] = today.isoformat()
    empty = [s["code"] for s in raw["sets"] if s["code"] in asked and not s["elements"]]
    if empty:
        problems["retirements"] = [f"set {', '.join(empty)} would have no element left."]
    if problems:
        raise ValidationFailed(problems, summary=summary)
    try:
        checklist = Checklist.model_validate(raw)
    except ValidationError as exc:
        problems = {}
        for error in exc.errors():
            loc = error["loc"]
            where = ".".join(str(p) for p in loc)
            if len(loc) >= 4 and loc[0] == "sets" and loc[2] == "elements":
                set_index, element_index = int(loc[1]), int(loc[3])
                element_id = raw["sets"][set_index]["elements"][element_index]["id"]
                where = f"{element_id} {'.'.join(str(p) for p in loc[4:])}".strip()
            problems.setdefault(where, []).append(error["msg"])
        raise ValidationFailed(problems, summary=summary) from None
    parts = []
    if changes.edits:
        parts.append("edited " + ", ".join(e.element_id for e in changes.edits))
    if changes.additions:
        parts.append("added " + ", ".join(e.element_id for e in changes.additions))
    if changes.retirements:
        parts.append("retired " + ", ".join(changes.retirements))
    return checklist, "; ".join(parts)


# --- internals ---------------------------------------------------------------------------------------------------


class _Stale(Exception):
    pass


def _stale_error(proposal: ChangeProposal) -> ConflictError:
    return ConflictError(
        [],
        f"Not saved: {proposal.number} was changed by someone else since you loaded it (it is now "
        f"{STATE_LABELS[ProposalState(proposal.state)].lower()}, version {proposal.version}). Reload the page.",
    )


def _check_transition(
    actor: Actor, proposal: ChangeProposal, action: str, expected_version: int, page_actor: Actor
) -> Transition:
    step = TRANSITIONS[action]
    if not may_act(actor, proposal, action):
        who = "the focus group (admin) or its submitter" if step.submitter_may else "the focus group (admin)"
        message = f"{actor.label} may not {action} {proposal.number}: only {who} may."
        if may_act(page_actor, proposal, action):
            raise actors.refused(page_actor, actor, message)
        raise PermissionDenied(message)
    if proposal.version != expected_version:
        raise _stale_error(proposal)
    if proposal.state not in step.sources:
        allowed = " or ".join(STATE_LABELS[s].lower() for s in step.sources)
        raise InvalidState(
            f"{proposal.number} is {STATE_LABELS[ProposalState(proposal.state)].lower()}: "
            f"only a proposal that is {allowed} can be {PAST_TENSE[action]}."
        )
    return step


def _compare_and_set(session: Session, proposal: ChangeProposal, expected_version: int, values: dict[str, Any]) -> None:
    result = session.execute(
        update(ChangeProposal)
        .where(col(ChangeProposal.id) == proposal.id, col(ChangeProposal.version) == expected_version)
        .values(version=expected_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _Stale


def _add_event(
    session: Session,
    actor: Actor,
    proposal: ChangeProposal,
    *,
    kind: str,
    comment: str,
    from_state: str | None = None,
    to_state: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    session.add(
        ProposalEvent(
            proposal_id=proposal.id or 0,
            at=at or utcnow(),
            actor=actor.username,
            kind=kind,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
        )
    )


def _write_transition(
    session: Session,
    actor: Actor,
    proposal: ChangeProposal,
    action: str,
    expected_version: int,
    values: dict[str, Any],
    comment: str,
    now: dt.datetime | None,
    *,
    commit: bool = True,
) -> None:
    now = now or utcnow()
    step = TRANSITIONS[action]

    def write() -> None:
        _compare_and_set(
            session, proposal, expected_version, {"state": step.target.value, "state_since": now, **values}
        )
        _add_event(
            session,
            actor,
            proposal,
            kind=action,
            comment=comment,
            from_state=proposal.state,
            to_state=step.target,
            at=now,
        )
        audit.record(
            session,
            actor=actor,
            action=f"{action}_proposal",
            entity="changeproposal",
            entity_key=proposal.number,
            before={"state": proposal.state, "version": expected_version},
            after={"state": step.target.value, "version": expected_version + 1, **_jsonable(values)},
        )

    if not commit:
        write()
        return
    try:
        with transaction(session):
            write()
    except _Stale:
        raise _stale_error(get_proposal(session, proposal.id or 0)) from None


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime | dt.date) else v) for k, v in values.items()}


def _snapshot(session: Session, proposal: ChangeProposal) -> dict[str, Any]:
    return {
        "title": proposal.title,
        "submitter_name": proposal.submitter_name,
        "country_code": proposal.country_code,
        "set_code": proposal.set_code,
        "element_ids": elements_of(session, proposal.id or 0),
        "problem": proposal.problem,
        "proposed_change": proposal.proposed_change,
        "rationale": proposal.rationale,
    }


def proposals_touching(frame: pd.DataFrame, element_ids: Iterable[str]) -> pd.DataFrame:
    """The rows of `proposal_frame` that target any of these elements."""
    wanted = set(element_ids)
    if frame.empty:
        return frame
    return frame[frame["element_ids"].map(lambda ids: bool(wanted.intersection(ids)))]


def count_by_state(frame: pd.DataFrame) -> pd.DataFrame:
    counts = frame["state"].value_counts() if not frame.empty else pd.Series(dtype=int)
    rows = [{"state": s.value, "State": STATE_LABELS[s], "Proposals": int(counts.get(s.value, 0))} for s in STATE_ORDER]
    return pd.DataFrame(rows)


def number_sort_key(number: str) -> tuple[int, int]:
    match = NUMBER_PATTERN.match(number)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)
