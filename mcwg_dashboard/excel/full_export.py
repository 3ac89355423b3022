"""The focus group's archive: every answer of every round as a long table, a matrix per round, the checklist."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from mcwg_dashboard.analytics import DRAFT, HEADLINE, RETIRED, WATCH
from mcwg_dashboard.checklist import WATCH_LABEL
from mcwg_dashboard.exports import workbook_bytes
from mcwg_dashboard.models import SurveyState
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.answer_data import load_answer_frame
from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version
from mcwg_dashboard.services.profiles import profile_display_table, profile_frame
from mcwg_dashboard.services.rounds import list_rounds
from mcwg_dashboard.services.surveys import STAGE_LABELS

ALL_STATES = tuple(state.value for state in SurveyState)
SCOPE_LABELS = {
    HEADLINE: "headline (finalized set)",
    DRAFT: "draft recommendations",
    WATCH: WATCH_LABEL + ", not scored",
    RETIRED: "no longer in the checklist, not scored",
}
LONG_COLUMNS = {
    "round_name": "Round",
    "round_is_demo": "Demo data",
    "checklist_version": "Checklist version",
    "country_code": "Country code",
    "country_name": "Country",
    "survey_state": "Survey state",
    "set_code": "Set",
    "element_id": "Element",
    "element_title": "Title",
    "status": "Status",
    "note": "Note",
    "evidence_url": "Evidence URL",
    "target_date": "Target date",
    "stage": "Stage",
    "regions": "Regions covered",
    "scope": "Counts in",
    "answered_at": "Answered at (UTC)",
    "needs_reconfirmation": "Needs re-confirmation",
}


def full_export_sheets(session: Session, *, actor: Actor) -> dict[str, pd.DataFrame]:
    """Drafts included, so only the focus group (admin) may take it."""
    actor = require_admin(session, actor)
    answers = load_answer_frame(session, states=ALL_STATES, include_retired=True)
    long = answers[list(LONG_COLUMNS)].rename(columns=LONG_COLUMNS)
    long["Stage"] = long["Stage"].map(STAGE_LABELS).fillna("")
    long["Counts in"] = long["Counts in"].map(SCOPE_LABELS)
    sheets: dict[str, pd.DataFrame] = {"Answers": long}
    profiles = [
        profile_display_table(profile_frame(session, round_id=r.id or 0)).assign(Round=r.name)
        for r in sorted(list_rounds(session), key=lambda r: r.opens_on)
    ]
    if profiles:
        sheets["Deployment profiles"] = pd.concat(profiles, ignore_index=True)
    for survey_round in sorted(list_rounds(session), key=lambda r: r.opens_on):
        in_round = answers[answers["round_id"] == survey_round.id]
        if in_round.empty:
            continue
        wide = in_round.pivot(index="country_name", columns="element_id", values="status")
        order = in_round.drop_duplicates("element_id").sort_values("position")["element_id"]
        wide = wide.reindex(columns=list(order)).sort_index().reset_index(names="Country")
        # Round names are unique but may share their first 24 characters or hold [ ] ? * / \ : (the writer makes
        # the sheet names Excel-safe and unique): key by the full name so no round's matrix is lost.
        sheets[f"Matrix {survey_round.name}"] = wide
    version = latest_version(session)
    if version is not None and version.id is not None:
        checklist = checklist_for_version(session, version.id)
        sheets["Checklist"] = pd.DataFrame(
            [
                {
                    "Checklist version": checklist.version,
                    "Set": rec_set.code,
                    "Set title": rec_set.title,
                    "Element": e.id,
                    "Title": e.title,
                    "What adopting it means": e.explanation,
                    "Standards": "; ".join(e.standards),
                    "Set maturity": rec_set.maturity,
                    "Kind": WATCH_LABEL if e.is_watch else "adoption",
                    "Metadata level": e.level_text,
                    "Who sets it": e.set_by,
                    "Architectures": ", ".join(e.architectures),
                    "Stacks": ", ".join(stack.label for stack in e.stacks),
                    "Inferred": e.inferred,
                    "Sources": e.sources,
                }
                for rec_set in checklist.sets
                for e in rec_set.elements
            ]
        )
        sheets["Answer scale"] = pd.DataFrame(
            [
                {
                    "Code": s.code,
                    "Label": s.label,
                    "Glyph": s.glyph,
                    "Score weight": s.weight,
                    "Meaning": s.meaning,
                    "Requires": ", ".join(r.value for r in s.requires),
                }
                for s in checklist.scale.statuses
            ]
        )
    return sheets


def full_export_bytes(session: Session, *, actor: Actor) -> bytes:
    return workbook_bytes(full_export_sheets(session, actor=actor))
