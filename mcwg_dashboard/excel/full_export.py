"""The focus group's archive: every answer of every round as a long table, a matrix per round, the checklist."""

from __future__ import annotations

import io

import pandas as pd
from sqlmodel import Session

from mcwg_dashboard.analytics import DRAFT, HEADLINE, RETIRED, WATCH
from mcwg_dashboard.checklist import WATCH_LABEL
from mcwg_dashboard.exports import csv_bytes, workbook_bytes
from mcwg_dashboard.models import SurveyState
from mcwg_dashboard.services import products
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


# The long table's column dictionary (README, "Open data"): a column is never renamed or removed, only added at the
# end, so scripts reading the CSV or Parquet keep working.
LONG_TABLE_DICTIONARY = {
    "Round": "the survey round's name",
    "Demo data": "true for synthetic demo rounds, never real results",
    "Checklist version": "the checklist version the round was answered on",
    "Country code": "the member's ISO 3166 code (CA-QC for Canada-Quebec)",
    "Country": "the member's name",
    "Survey state": "draft, submitted, validated or published",
    "Set": "the recommendation set's code (SPP, META, KOS, KIN, DEP)",
    "Element": "the checklist element's stable ID (such as KOS-07)",
    "Title": "the element's title in that checklist version",
    "Status": "the answer's code on the answer scale (IMPL, VAR, PART, PLAN, CONS, NOPL, NA, UNK)",
    "Note": "the representative's note",
    "Evidence URL": "a link to evidence, if given",
    "Target date": "the planned date (ISO 8601), for Planned answers",
    "Stage": "national specification only or in production, if said",
    "Regions covered": "the regions the answer covers; empty means all",
    "Counts in": "what the answer counts for: headline, draft recommendations, watch list or no longer asked",
    "Answered at (UTC)": "when the answer was last saved, in UTC",
    "Needs re-confirmation": "true when the element changed and the answer was carried over unconfirmed",
}
EXPORT_FORMATS = ("xlsx", "csv", "parquet")


def long_table(session: Session, *, actor: Actor) -> pd.DataFrame:
    """Every answer of every round, drafts included, one row each, columns as in LONG_TABLE_DICTIONARY (the focus
    group (admin) only)."""
    require_admin(session, actor)
    return _long(load_answer_frame(session, states=ALL_STATES, include_retired=True, columns=list(LONG_COLUMNS)))


def _long(answers: pd.DataFrame) -> pd.DataFrame:
    long = answers[list(LONG_COLUMNS)].rename(columns=LONG_COLUMNS)
    long["Stage"] = long["Stage"].map(STAGE_LABELS).fillna("")
    long["Counts in"] = long["Counts in"].map(SCOPE_LABELS)
    return long


def export_all_bytes(session: Session, *, actor: Actor, file_format: str = "xlsx") -> bytes:
    """The full export as a workbook (every sheet), or its long table as CSV (UTF-8, formula triggers quoted as in
    every CSV we write) or Parquet (typed columns, for data tools)."""
    if file_format == "xlsx":
        return full_export_bytes(session, actor=actor)
    if file_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {file_format!r}: choose one of {', '.join(EXPORT_FORMATS)}")
    long = long_table(session, actor=actor)
    if file_format == "csv":
        return csv_bytes(long)
    long["Target date"] = pd.to_datetime(long["Target date"]).dt.date
    long["Answered at (UTC)"] = pd.to_datetime(long["Answered at (UTC)"], utc=True)
    buffer = io.BytesIO()
    long.to_parquet(buffer, engine="pyarrow", index=False)
    return buffer.getvalue()


def full_export_sheets(session: Session, *, actor: Actor) -> dict[str, pd.DataFrame]:
    """Drafts included, so only the focus group (admin) may take it."""
    actor = require_admin(session, actor)
    answers = load_answer_frame(session, states=ALL_STATES, include_retired=True)
    sheets: dict[str, pd.DataFrame] = {"Answers": _long(answers)}
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
    sheets.update(product_sheets(session, actor=actor))
    return sheets


def product_sheets(session: Session, *, actor: Actor) -> dict[str, pd.DataFrame]:
    """Vendors' products, their integration statements and their claims in every survey state (the full export
    is the focus group's): sheets apart from the members' answers, each row labelled a vendor claim."""
    register = products.products_frame(session, actor=actor)
    if register.empty:
        return {}
    statements = [
        products.statement_frame(session, int(product_id)).assign(Product=label, Vendor=vendor)
        for product_id, label, vendor in zip(
            register["product_id"], register["Product"], register["Vendor"], strict=True
        )
    ]
    claims = products.claims_frame(session, states=products.ALL_STATES)
    return {
        "Products": register.drop(columns=["type_code", "visible", "own"]).rename(columns={"product_id": "Product ID"}),
        "Integration statements": pd.concat(statements, ignore_index=True)[
            ["Vendor", "Product", "Profile", "Actor", "Option"]
        ],
        "Vendor claims": claims.drop(columns=["product_id"]).assign(Kind=products.VENDOR_CLAIM),
    }


def full_export_bytes(session: Session, *, actor: Actor) -> bytes:
    return workbook_bytes(full_export_sheets(session, actor=actor))
