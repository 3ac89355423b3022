"""Demo change proposals: two rest on the public record, five are made up. All are marked `is_demo` and go with
`demo --clear`.

What is real and what is not, field by field, is data: `illustrative` lists the fields whose values are made up
(stored as ChangeProposal.illustrative_fields and shown marked "illustrative"). Never state an outcome the public
record lacks.

- XCA_WADO: the MCWG's proposal to IHE Radiology on WADO-RS with XCA-I. Real: the problem, the three candidate
  solutions with their drawbacks, the white paper first, and that XC-WADO (RAD-160) is the later IHE profile for
  this need (the lineage is inferred, not documented). Not known: its number, submitter, dates, focus group and
  any IHE status; the May 2024 deck still lists "DICOMweb with XCA-I" as a possible future topic, so it stays
  forwarded, with no outcome.
- CP2595: DICOM CP-2595 (KOS extension for MADO) is real: submitted by IHE RadTech on 2025-11-03, in Letter
  Ballot. It did not come from an MCWG focus group: the demo shows the MCWG tracking it, and every MCWG-side
  field (number, submitter, dates, focus group, reason) is illustrative.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from mcwg_dashboard.models import ChangeProposal, ProposalElement, ProposalEvent
from mcwg_dashboard.services.proposals import ProposalState


@dataclass(frozen=True)
class Step:
    on: dt.date
    kind: str
    to_state: str | None = None
    comment: str = ""
    actor: str = "admin"


@dataclass(frozen=True)
class DemoProposal:
    number: str
    title: str
    submitter_name: str
    submitted_by: str
    country_code: str | None
    set_code: str
    element_ids: tuple[str, ...]
    problem: str
    proposed_change: str
    rationale: str
    steps: tuple[Step, ...]
    focus_group: str = ""
    external_body: str = ""
    external_reference: str = ""
    external_status: str = ""
    # Fields whose values are made up although the proposal itself is real (services.proposals.ILLUSTRATIVE_LABELS).
    illustrative: tuple[str, ...] = ()


# The MCWG-side fields of a real proposal whose record the public documents do not give.
UNKNOWN_MCWG_SIDE = ("number", "submitter_name", "submitted_at", "state_since", "history_dates", "focus_group")

XCA_WADO = DemoProposal(
    number="CP-2023-001",
    title="Combine WADO-RS retrieval with XCA-I for cross-community access",
    submitter_name="MCWG plenary",
    submitted_by="admin",
    country_code=None,
    set_code="SPP",
    element_ids=("SPP-06", "SPP-07", "SPP-09"),
    problem="Countries share manifests across communities with XCA-I, but retrieve images with DICOMweb WADO-RS. "
    "No IHE profile lets a consumer in one community fetch images by WADO-RS from another community.",
    proposed_change="Ask IHE Radiology to profile cross-community WADO-RS retrieval together with XCA-I.",
    rationale="The MCWG compared three candidate solutions and found drawbacks in each; it asked IHE RAD to "
    "take it up and planned a white paper before profiling.",
    focus_group="Standards and Profiles Positioning",
    external_body="IHE Radiology",
    external_status="submitted",
    illustrative=(*UNKNOWN_MCWG_SIDE, "external_status"),
    steps=(
        Step(dt.date(2023, 10, 2), "submitted", "submitted"),
        Step(dt.date(2023, 10, 16), "triage", "triaged"),
        Step(dt.date(2023, 10, 16), "assign", "assigned"),
        Step(dt.date(2023, 11, 20), "discuss", "in_discussion"),
        Step(
            dt.date(2024, 1, 22),
            "accept",
            "accepted",
            "All three candidate solutions have drawbacks; send the need to IHE RAD and prepare a white paper first.",
        ),
        Step(
            dt.date(2024, 2, 5),
            "forward",
            "forwarded",
            "Sent to IHE Radiology. Its status there is not known from the public record.",
        ),
        Step(
            dt.date(2024, 5, 27),
            "comment",
            None,
            "The MCWG overview deck (May 2024) still lists 'DICOMweb with XCA-I' as a possible future topic: no "
            "outcome is recorded. XC-WADO (cross-community WADO-RS, RAD-160) is the later IHE profile for this "
            "need; that it grew from this proposal is inferred, not documented.",
        ),
    ),
)

CP2595 = DemoProposal(
    number="CP-2025-004",
    title="Track DICOM CP-2595 (KOS extension for MADO) for the MADO-alignment elements",
    submitter_name="Demo member",
    submitted_by="member",
    country_code=None,
    set_code="KOS",
    element_ids=("KOS-02", "KOS-22", "KOS-23"),
    problem="KOS-22 (Display URI) and KOS-23 (TID 1600 content in the manifest) follow IHE MADO and DICOM "
    "CP-2595, beyond the MCWG text. Members cannot tell from the checklist whether DICOM has settled them yet.",
    proposed_change="Follow CP-2595 in the register and revisit KOS-22 and KOS-23 when it becomes final text.",
    rationale="Vendors implement what DICOM and IHE define; national projects should not carry private extensions.",
    focus_group="Imaging Study Manifest",
    external_body="DICOM",
    external_reference="CP-2595",
    external_status="ballot",
    illustrative=UNKNOWN_MCWG_SIDE,
    steps=(
        Step(dt.date(2025, 9, 8), "submitted", "submitted", actor="member"),
        Step(dt.date(2025, 9, 15), "triage", "triaged"),
        Step(dt.date(2025, 9, 15), "assign", "assigned"),
        Step(dt.date(2025, 9, 29), "discuss", "in_discussion"),
        Step(
            dt.date(2025, 11, 3),
            "external",
            None,
            "DICOM: CP-2595 (KOS extension for MADO) submitted by IHE RadTech on 2025-11-03, not by the MCWG; "
            "status Letter Ballot.",
        ),
    ),
)

MADE_UP = (
    DemoProposal(
        number="CP-2026-001",
        title="Retrieve URL: accept the base-URI-only form (MADO variant)",
        submitter_name="Demo representative of France",
        submitted_by="rep-fr",
        country_code="FR",
        set_code="KOS",
        element_ids=("KOS-16",),
        problem="Our manifests follow MADO: the Retrieve URL holds the WADO-RS base URI only. The MCWG text asks "
        "for the full series URL, so we report a variant.",
        proposed_change="Accept both forms and say how a consumer builds the series URL from the base URI.",
        rationale="Several members follow MADO here; the variant answers hide real adoption.",
        focus_group="Imaging Study Manifest",
        steps=(
            Step(dt.date(2026, 9, 14), "submitted", "submitted", actor="rep-fr"),
            Step(dt.date(2026, 9, 28), "triage", "triaged"),
            Step(dt.date(2026, 9, 28), "assign", "assigned"),
            Step(dt.date(2026, 10, 12), "discuss", "in_discussion"),
            Step(dt.date(2026, 10, 20), "comment", None, "Norway sees the same: base URI only.", actor="rep-no"),
        ),
    ),
    DemoProposal(
        number="CP-2026-002",
        title="Patient identifier: allow a national identifier namespace per region",
        submitter_name="Demo representative of Norway",
        submitted_by="rep-no",
        country_code="NO",
        set_code="META",
        element_ids=("META-01",),
        problem="Regional identifier namespaces are common; the element reads as if one national namespace is needed.",
        proposed_change="Say that a regional namespace counts when it is mapped to the national one.",
        rationale="Avoids partial answers where the mapping exists.",
        steps=(
            Step(dt.date(2026, 10, 26), "submitted", "submitted", actor="rep-no"),
            Step(dt.date(2026, 11, 9), "triage", "triaged"),
        ),
    ),
    DemoProposal(
        number="CP-2026-003",
        title="Time of service: say which time zone",
        submitter_name="Demo member",
        submitted_by="member",
        country_code=None,
        set_code="META",
        element_ids=("META-02",),
        problem="Study date and time carry no time zone; cross-border consumers misread them.",
        proposed_change="Recommend the Timezone Offset From UTC attribute alongside study date and time.",
        rationale="",
        steps=(Step(dt.date(2026, 11, 16), "submitted", "submitted", actor="member"),),
    ),
    DemoProposal(
        number="CP-2025-001",
        title="Drop the central QIDO-RS hub element",
        submitter_name="Demo member",
        submitted_by="member",
        country_code=None,
        set_code="SPP",
        element_ids=("SPP-10",),
        problem="No member plans a central QIDO-RS hub.",
        proposed_change="Remove SPP-10 from the checklist.",
        rationale="Shorter survey.",
        steps=(
            Step(dt.date(2025, 2, 3), "submitted", "submitted", actor="member"),
            Step(dt.date(2025, 2, 17), "triage", "triaged"),
            Step(
                dt.date(2025, 3, 3),
                "reject",
                "rejected",
                "Kept: it tracks a planned extension; 'No plans' answers are what it measures.",
            ),
        ),
    ),
    DemoProposal(
        number="CP-2025-002",
        title="Significant images: add a key-image count to the manifest",
        submitter_name="Demo member",
        submitted_by="member",
        country_code=None,
        set_code="KIN",
        element_ids=("KIN-01",),
        problem="Consumers cannot tell from the manifest whether key images exist.",
        proposed_change="Add the number of key images as a manifest attribute.",
        rationale="Saves a retrieval.",
        focus_group="Significant Images",
        steps=(
            Step(dt.date(2025, 4, 7), "submitted", "submitted", actor="member"),
            Step(dt.date(2025, 4, 14), "triage", "triaged"),
            Step(dt.date(2025, 4, 14), "assign", "assigned"),
            Step(dt.date(2025, 5, 12), "defer", "deferred", "Wait for the KIN set's next revision."),
        ),
    ),
)

DEMO_PROPOSALS = (XCA_WADO, CP2595, *MADE_UP)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


def add_demo_proposals(session: Session, *, today: dt.date) -> int:
    """Insert the demo proposals with their history, inside the caller's transaction; skips steps after today."""
    added = 0
    for demo in DEMO_PROPOSALS:
        steps = [s for s in demo.steps if s.on <= today]
        if not steps:
            continue
        state_steps = [s for s in steps if s.to_state is not None]
        last = state_steps[-1]
        decided = next((s.comment for s in reversed(state_steps) if s.comment and s.kind != "forward"), "")
        reached_forward = any(s.kind == "forward" for s in steps)
        external_steps = [s for s in steps if s.kind == "external"]
        linked = reached_forward or bool(external_steps)
        proposal = ChangeProposal(
            number=demo.number,
            title=demo.title,
            submitter_name=demo.submitter_name,
            submitted_by=demo.submitted_by,
            country_code=demo.country_code,
            set_code=demo.set_code,
            problem=demo.problem,
            proposed_change=demo.proposed_change,
            rationale=demo.rationale,
            state=ProposalState(str(last.to_state)).value,
            focus_group=demo.focus_group if any(s.kind == "assign" for s in steps) else "",
            decision_reason=decided,
            external_body=demo.external_body if linked else "",
            external_reference=demo.external_reference if linked else "",
            external_status=demo.external_status if linked else "",
            submitted_at=_at(steps[0].on),
            state_since=_at(last.on),
            version=len(steps),
            is_demo=True,
            illustrative_fields=list(demo.illustrative) or None,
        )
        session.add(proposal)
        session.flush()
        for element_id in demo.element_ids:
            session.add(ProposalElement(proposal_id=proposal.id or 0, element_id=element_id))
        previous: str | None = None
        for index, step in enumerate(steps):
            session.add(
                ProposalEvent(
                    proposal_id=proposal.id or 0,
                    at=_at(step.on) + dt.timedelta(minutes=index),
                    actor=step.actor,
                    kind=step.kind,
                    from_state=previous if step.to_state else None,
                    to_state=step.to_state,
                    comment=step.comment,
                )
            )
            previous = step.to_state or previous
        added += 1
    return added


def clear_demo_proposals(session: Session) -> int:
    """Delete the demo proposals with their elements and history, inside the caller's transaction."""
    ids = list(session.exec(select(ChangeProposal.id).where(col(ChangeProposal.is_demo) == True)))  # noqa: E712
    if ids:
        session.execute(delete(ProposalEvent).where(col(ProposalEvent.proposal_id).in_(ids)))
        session.execute(delete(ProposalElement).where(col(ProposalElement.proposal_id).in_(ids)))
        session.execute(delete(ChangeProposal).where(col(ChangeProposal.id).in_(ids)))
    return len(ids)
