"""The forms of a change proposal's page: apply it to the checklist (a new version) and edit it. Each returns what
was submitted, or None; the page hands it to the service."""

from __future__ import annotations

from typing import Any

import streamlit as st

from mcwg_dashboard.checklist import Checklist
from mcwg_dashboard.models import ChangeProposal


def apply_form(
    proposal: ChangeProposal, checklist: Checklist, newest_label: str, element_ids: list[str]
) -> dict[str, Any] | None:
    """The new version's label and the element edits, additions and retirements, once the form is submitted."""
    st.subheader("Apply to the checklist", anchor=False)
    st.write(
        f"Applying creates a new checklist version from {newest_label}. Answers are kept: when the next round "
        "opens on the new version, answers to changed elements are carried over and flagged for re-confirmation, "
        "answers to retired elements are not carried, and new elements start unanswered."
    )
    with st.form("apply"):
        label = st.text_input("New checklist version", value=f"{newest_label}+{proposal.number}", max_chars=40)
        edits = []
        retire = []
        for element_id in element_ids:
            if element_id not in checklist.elements:
                continue
            element = checklist.elements[element_id]
            st.markdown(f"**{element_id}**")
            new_title = st.text_input("Title", value=element.title, key=f"title_{element_id}", max_chars=200)
            new_explanation = st.text_area(
                "Explanation", value=element.explanation, key=f"expl_{element_id}", max_chars=4000
            )
            new_standards = st.text_area(
                "Standards (one per line)", value="\n".join(element.standards), key=f"std_{element_id}", max_chars=4000
            )
            if st.checkbox(f"Retire {element_id}", key=f"retire_{element_id}"):
                retire.append(element_id)
            edit: dict[str, Any] = {"element_id": element_id}
            if new_title.strip() != element.title:
                edit["title"] = new_title
            if new_explanation.strip() != element.explanation.strip():
                edit["explanation"] = new_explanation
            if [s.strip() for s in new_standards.splitlines() if s.strip()] != list(element.standards):
                edit["standards"] = new_standards.splitlines()
            if len(edit) > 1 and element_id not in retire:
                edits.append(edit)
        st.markdown("**Add a new element** (optional)")
        add = st.columns([1, 3])
        new_id = (
            add[0].text_input("ID", placeholder=f"{proposal.set_code}-99", key="new_id", max_chars=12).strip().upper()
        )
        new_element_title = add[1].text_input("Title", key="new_element_title", max_chars=200)
        new_element_explanation = st.text_area("Explanation", key="new_element_explanation", max_chars=4000)
        if not st.form_submit_button("Create the new checklist version", type="primary"):
            return None
    additions = (
        [{"element_id": new_id, "title": new_element_title, "explanation": new_element_explanation}] if new_id else []
    )
    return {"version_label": label, "edits": edits, "additions": additions, "retirements": retire}


def edit_form(proposal: ChangeProposal, checklist: Checklist, element_ids: list[str]) -> dict[str, Any] | None:
    """The proposal's edited fields, once the form is submitted."""
    with st.expander("Edit the proposal"):
        in_set = [e for e in checklist.elements if e.startswith(f"{proposal.set_code}-")]
        with st.form("edit"):
            edit_title = st.text_input("Title", value=proposal.title, max_chars=200)
            edit_elements = st.multiselect(
                "Elements", in_set, default=[e for e in element_ids if e in in_set], key="edit_elements"
            )
            edit_problem = st.text_area("Problem", value=proposal.problem, max_chars=8000)
            edit_change = st.text_area("Proposed change", value=proposal.proposed_change, max_chars=8000)
            edit_rationale = st.text_area("Rationale", value=proposal.rationale, max_chars=8000)
            if not st.form_submit_button("Save changes"):
                return None
            return {
                "title": edit_title,
                "submitter_name": proposal.submitter_name,
                "country_code": proposal.country_code,
                "set_code": proposal.set_code,
                "element_ids": edit_elements,
                "problem": edit_problem,
                "proposed_change": edit_change,
                "rationale": edit_rationale,
            }
