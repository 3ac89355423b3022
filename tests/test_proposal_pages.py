"""Change-proposal pages in AppTest: the register, submission, the detail page's workflow, apply, element links."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import ChangeProposal, ChecklistVersion, ProposalEvent
from tests.test_app_pages import _dashboard

REGISTER = "mcwg_dashboard/views/proposals.py"
DETAIL = "mcwg_dashboard/views/proposal.py"


def _stored(number: str | None = None, title: str = "") -> tuple[ChangeProposal | None, list[ProposalEvent]]:
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        match = ChangeProposal.number == number if number else ChangeProposal.title == title
        proposal = session.exec(select(ChangeProposal).where(match)).first()
        events = (
            list(session.exec(select(ProposalEvent).where(ProposalEvent.proposal_id == proposal.id)))
            if proposal
            else []
        )
    engine.dispose()
    return proposal, events


def _button(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_register_lists_counts_and_filters_from_the_link(isolated_settings: Path) -> None:
    at = _dashboard(REGISTER, actor="member")
    assert _metric(at, "Proposals shown") == "7"
    table = at.dataframe[0].value
    assert "CP-2023-001 (illustrative)" in set(table["Number"]) and table["Title"].str.endswith("(demo)").all()
    caption = " ".join(c.value for c in at.caption)
    assert "CP-2595" in caption and "made up entirely" in caption and "illustrative" in caption
    forwarded = _dashboard(REGISTER, actor="member", state="forwarded")
    assert _metric(forwarded, "Proposals shown") == "1"
    assert list(forwarded.dataframe[0].value["Number"]) == ["CP-2023-001 (illustrative)"]
    assert _metric(_dashboard(REGISTER, actor="member", state="closed"), "Proposals shown") == "0"
    kos16 = _dashboard(REGISTER, actor="member", element="KOS-16")
    assert list(kos16.dataframe[0].value["Number"]) == ["CP-2026-001"]
    # The plenary figures: by state, by set, time in state.
    assert len(at.get("plotly_chart")) >= 2
    titles = [m.value for m in at.markdown]  # written above each chart, in the page
    assert any("Proposals by state" in t for t in titles)
    assert any("Time in state" in t for t in titles)


def test_submission_names_missing_fields_then_registers_the_proposal(isolated_settings: Path) -> None:
    at = _dashboard(REGISTER, actor="rep-fr")
    at.selectbox(key="new_set").set_value("KOS").run()
    _button(at, "Submit proposal")
    assert any("**Title**" in e.value and "not saved" in e.value for e in at.error)
    assert at.selectbox(key="new_country").options == ["France"], "a representative speaks for their country"
    at.text_input(key="new_title").input("Retrieve URL: allow the base URI only")
    at.multiselect(key="new_elements").select("KOS-16")
    at.text_area(key="new_problem").input("Our manifests carry the WADO-RS base URI only, as MADO does.")
    at.text_area(key="new_change").input("Accept the base URI form and explain how to build the series URL.")
    _button(at, "Submit proposal")
    proposal, events = _stored(title="Retrieve URL: allow the base URI only")
    assert proposal is not None and proposal.submitted_by == "rep-fr" and proposal.country_code == "FR"
    assert proposal.state == "submitted" and proposal.number.startswith("CP-")
    assert [e.kind for e in events] == ["submitted"]


def test_admin_accepts_and_applies_and_the_element_page_shows_it(isolated_settings: Path) -> None:
    at = _dashboard(DETAIL, actor="admin", proposal="CP-2026-001")
    assert "CP-2026-001" in at.header[0].value
    impact = at.dataframe[0].value
    assert "KOS-16" in impact.columns and len(impact) >= 5, "who reports what on KOS-16 today"
    at.radio(key="action").set_value("accept")
    _button(at, "Apply action")
    assert any("reason is required" in e.value for e in at.error)
    at.text_area(key="reason").input("Agreed in plenary: both forms count.")
    _button(at, "Apply action")
    proposal, _ = _stored("CP-2026-001")
    assert proposal is not None and proposal.state == "accepted"

    applied = _dashboard(DETAIL, actor="admin", proposal="CP-2026-001")
    applied.text_area(key="expl_KOS-16").input(
        "Counts as adopted when the Retrieve URL gives the series URL, or the WADO-RS base URI from which a "
        "consumer builds it."
    )
    _button(applied, "Create the new checklist version")
    proposal, events = _stored("CP-2026-001")
    assert proposal is not None and proposal.state == "applied" and proposal.applied_version_id
    assert "edited KOS-16" in events[-1].comment
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        assert session.get_one(ChecklistVersion, proposal.applied_version_id).label == "2026.12+CP-2026-001"
    engine.dispose()

    element = _dashboard("mcwg_dashboard/views/element.py", actor="member", element="KOS-16")
    assert any("CP-2026-001" in str(link.proto.label) for link in element.get("page_link"))


def test_a_member_comments_but_sees_no_workflow_actions(isolated_settings: Path) -> None:
    at = _dashboard(DETAIL, actor="member", proposal="CP-2026-002")
    assert not [b for b in at.button if b.label == "Apply action"]
    at.text_area(key="comment_text").input("Finland has regional namespaces too.")
    _button(at, "Post comment")
    _, events = _stored("CP-2026-002")
    assert events[-1].kind == "comment" and events[-1].actor == "member"
    assert any("Finland has regional" in str(v) for v in at.dataframe[-1].value["Comment"])


def test_admin_imports_an_edited_register_after_a_preview(isolated_settings: Path) -> None:
    from mcwg_dashboard.excel.proposal_register import export_register
    from tests.helpers import ADMIN
    from tests.test_app_pages import XLSX
    from tests.test_proposal_register import _edit, _row_of

    at = _dashboard(REGISTER, actor="admin")
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        data = export_register(session, actor=ADMIN)
    engine.dispose()
    row = _row_of(data, "CP-2026-002")
    bad = _edit(data, {row: {"Elements": "KOS-01"}})
    at.get("file_uploader")[0].set_value(("register.xlsx", bad, XLSX)).run()  # type: ignore[union-attr]
    assert any("nothing was imported" in e.value and f"row {row}, column Elements" in e.value for e in at.error)
    good = _edit(data, {row: {"Title": "Patient identifier: regional namespaces count when mapped"}})
    at.get("file_uploader")[0].set_value(("register.xlsx", good, XLSX)).run()  # type: ignore[union-attr]
    assert list(at.dataframe[-1].value["Proposal"]) == ["CP-2026-002"]
    assert _stored("CP-2026-002")[0].title.startswith("Patient identifier: allow")  # type: ignore[union-attr]
    at.button(key="register_import").click().run()
    at.button(key="confirm_register").click().run()
    assert not at.exception
    assert any("Imported 1 proposal(s): CP-2026-002." in s.value for s in at.success)
    assert _stored("CP-2026-002")[0].title.endswith("count when mapped")  # type: ignore[union-attr]


def test_members_download_but_cannot_upload_the_register(isolated_settings: Path) -> None:
    at = _dashboard(REGISTER, actor="member")
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Download the register (Excel)" in labels
    assert not at.get("file_uploader")


def test_the_demo_proposal_page_marks_each_made_up_field_illustrative(isolated_settings: Path) -> None:
    at = _dashboard(DETAIL, actor="member", proposal="CP-2023-001")
    assert at.header[0].value.startswith("CP-2023-001 (illustrative) · ")
    facts = next(m.value for m in at.markdown if m.value.startswith("**Set**"))
    assert "MCWG plenary (illustrative)" in facts, "the submitter"
    assert "**Focus group** Standards and Profiles Positioning (illustrative)" in facts
    assert "status **submitted** (illustrative)" in facts
    assert "integrated" not in facts and "XC-WADO" not in facts, "no outcome the public record lacks"
    history = at.dataframe[-1].value
    assert history["When"].str.endswith("(illustrative)").all()
    assert "closed" not in set(history["To"])
    # A made-up demo proposal has no field marked: it is made up entirely, and says so as demo.
    made_up = _dashboard(DETAIL, actor="member", proposal="CP-2026-001")
    assert "illustrative" not in made_up.header[0].value


def test_the_register_filters_by_a_focus_group_name_stored_before_the_deck_names(isolated_settings: Path) -> None:
    _dashboard(REGISTER, actor="member")  # loads the demo
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        proposal = session.exec(select(ChangeProposal).where(ChangeProposal.number == "CP-2026-002")).one()
        proposal.focus_group = "Deployment architectures and profiles"
        session.add(proposal)
        session.commit()
    engine.dispose()
    st.cache_data.clear()  # a write outside the app: drop the page caches, as the app does after its own writes
    at = _dashboard(REGISTER, actor="member", fg="Deployment architectures and profiles")
    assert list(at.dataframe[0].value["Number"]) == ["CP-2026-002"]
    options = at.selectbox(key="fg").options
    assert options.index("Standards and Profiles Positioning") < options.index("Deployment architectures and profiles")


def test_a_member_files_under_their_own_account_and_for_no_other_country(isolated_settings: Path) -> None:
    member = _dashboard(REGISTER, actor="member")
    member.selectbox(key="new_set").set_value("KOS").run()
    assert member.selectbox(key="new_country").options == ["No country (personal or focus group)"]
    assert not any(t.key == "new_name" for t in member.text_input), "no name field: the account is the submitter"
    admin = _dashboard(REGISTER, actor="admin")
    admin.selectbox(key="new_set").set_value("KOS").run()
    assert "France" in admin.selectbox(key="new_country").options, "the focus group files for any member"
