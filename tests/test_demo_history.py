"""Made-up history says so: the demo proposals that rest on the public record mark their made-up fields
"illustrative", state no outcome the record lacks, and use the deck's focus groups."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlmodel import Session

from mcwg_dashboard.excel.proposal_register import COL_ILLUSTRATIVE, COLUMNS, HISTORY_SHEET, PROPOSALS_SHEET
from mcwg_dashboard.excel.proposal_register import export_register as export
from mcwg_dashboard.services import proposals
from mcwg_dashboard.services.demo import load_demo
from mcwg_dashboard.services.demo_proposals import CP2595, DEMO_PROPOSALS, MADE_UP, XCA_WADO, DemoProposal
from mcwg_dashboard.services.proposals import FOCUS_GROUPS, ILLUSTRATIVE_LABELS, illustrative, illustrative_summary
from tests.helpers import ADMIN, MEMBER

DECK_FOCUS_GROUPS = {
    "Standards and Profiles Positioning",
    "Imaging Metadata & Linkages",
    "Imaging Study Manifest",
    "Tracking and Adoption",
    "Deployment",
    "Significant Images",
}


def _all_text(demo: DemoProposal) -> str:
    parts = [str(v) for k, v in vars(demo).items() if k != "steps"]
    parts += [step.comment for step in demo.steps]
    return " ".join(parts)


def test_the_focus_groups_are_the_decks() -> None:
    assert set(FOCUS_GROUPS) == DECK_FOCUS_GROUPS
    assert "market readiness" in proposals.focus_group_label("Deployment")
    assert {d.focus_group for d in DEMO_PROPOSALS if d.focus_group} <= DECK_FOCUS_GROUPS


def test_the_xca_wado_proposal_marks_what_is_not_known_and_states_no_outcome() -> None:
    assert set(XCA_WADO.illustrative) >= {"number", "submitter_name", "submitted_at", "state_since", "history_dates"}
    assert "external_status" in XCA_WADO.illustrative
    assert set(XCA_WADO.illustrative) <= set(ILLUSTRATIVE_LABELS)
    assert [s.to_state for s in XCA_WADO.steps if s.to_state][-1] == "forwarded"
    assert not [s for s in XCA_WADO.steps if s.kind in ("close", "external")], "no IHE outcome is recorded"
    assert XCA_WADO.external_status not in ("integrated", "final text", "completed")
    assert XCA_WADO.external_reference == ""
    text = _all_text(XCA_WADO)
    assert "integrated" not in text and "inferred" in text and "RAD-160" in text
    assert "white paper" in text and "three candidate solutions" in text


def test_cp_2595_is_real_but_did_not_come_from_an_mcwg_focus_group() -> None:
    assert (CP2595.external_body, CP2595.external_reference, CP2595.external_status) == ("DICOM", "CP-2595", "ballot")
    text = _all_text(CP2595)
    assert "IHE RadTech" in text and "2025-11-03" in text and "Letter Ballot" in text
    assert "not by the MCWG" in text
    assert "KOS focus group" not in text and "Submitted to DICOM by" not in text
    assert not [s for s in CP2595.steps if s.kind == "forward"], "the MCWG did not forward it"
    assert {"number", "submitter_name", "submitted_at", "focus_group"} <= set(CP2595.illustrative)


def test_made_up_proposals_are_made_up_entirely_and_mark_no_field() -> None:
    assert all(not d.illustrative for d in MADE_UP)


def test_loaded_demo_stores_the_illustrative_fields(session: Session) -> None:
    load_demo(session, actor=ADMIN, today=dt.date(2026, 11, 28))
    frame = proposals.proposal_frame(session).set_index("number")
    assert frame.loc["CP-2023-001", "illustrative_fields"] == list(XCA_WADO.illustrative)
    assert frame.loc["CP-2025-004", "illustrative_fields"] == list(CP2595.illustrative)
    assert frame.loc["CP-2026-001", "illustrative_fields"] == []
    assert frame.loc["CP-2023-001", "state"] == "forwarded"
    assert frame.loc["CP-2025-004", "state"] == "in_discussion"
    assert "integrated" not in set(frame["external_status"])


@pytest.mark.parametrize(
    ("value", "field", "fields", "shown"),
    [
        ("CP-2023-001", "number", ["number"], "CP-2023-001 (illustrative)"),
        ("CP-2023-001", "number", [], "CP-2023-001"),
        ("CP-2023-001", "number", None, "CP-2023-001"),
        ("ballot", "external_status", ["number"], "ballot"),
    ],
)
def test_illustrative_marks_only_the_listed_fields(
    value: str, field: str, fields: list[str] | None, shown: str
) -> None:
    assert illustrative(value, field, fields) == shown


def test_illustrative_summary_names_the_fields_in_words() -> None:
    assert illustrative_summary(["submitted_at", "number"]) == "illustrative: number, submission date"
    assert illustrative_summary(None) == ""


def test_the_register_workbook_marks_the_illustrative_values(session: Session) -> None:
    load_demo(session, actor=ADMIN, today=dt.date(2026, 11, 28))
    book = openpyxl.load_workbook(io.BytesIO(export(session, actor=MEMBER)))
    sheet = book[PROPOSALS_SHEET]
    header = [c.value for c in sheet[1]]
    assert header == list(COLUMNS)
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]}
    xca = rows["CP-2023-001"]
    assert str(xca["Submitted"]).endswith("(illustrative)")
    assert xca["External status"] == "submitted (illustrative)"
    assert xca["Focus group"] == "Standards and Profiles Positioning (illustrative)"
    assert "number" in str(xca[COL_ILLUSTRATIVE]) and "submitter" in str(xca[COL_ILLUSTRATIVE])
    assert xca["Submitter"] == "MCWG plenary", "an editable cell stays as stored, so a re-import changes nothing"
    assert rows["CP-2025-004"]["External status"] == "ballot", "the DICOM status is real"
    assert not rows["CP-2026-001"][COL_ILLUSTRATIVE]
    history = [r for r in book[HISTORY_SHEET].iter_rows(min_row=2, values_only=True) if r[0] == "CP-2023-001"]
    assert history and all(str(r[1]).endswith("(illustrative)") for r in history)
