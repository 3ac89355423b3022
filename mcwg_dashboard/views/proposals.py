"""Change proposals: the register with filters and counts, submission, plenary figures, Excel in and out."""

import pandas as pd
import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.proposals import proposals_by_set_bars, proposals_by_state_bars, time_in_state_bars
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import utcnow
from mcwg_dashboard.services import proposals
from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.services.errors import ServiceError, ValidationFailed
from mcwg_dashboard.services.proposals import (
    FOCUS_GROUPS,
    OPEN_STATES,
    STATE_LABELS,
    ProposalState,
    focus_group_label,
    illustrative,
    illustrative_summary,
)
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import demo_banner, get_engine
from mcwg_dashboard.ui.dashboard import (
    checklist_of_round,
    countries_frame,
    downloads,
    empty_state,
    proposal_register,
    proposal_transitions,
    show_chart,
)
from mcwg_dashboard.ui.proposal_register import register_excel_section
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_multiselect, url_selectbox

user = current_user()
st.title("Change proposals")
demo_banner()
flash = st.session_state.pop("proposals_flash", None)
if flash:
    st.success(flash)

register = proposal_register()
checklist = checklist_of_round(None)
if checklist is None:
    empty_state("No checklist is loaded yet.")
    st.stop()
set_codes = [s.code for s in checklist.sets]
set_titles = {s.code: s.title for s in checklist.sets}
elements = checklist.elements
members = countries_frame()
country_names = dict(zip(members["code"], members["name"], strict=True))
if not register.empty and register["is_demo"].any():
    st.caption(
        "Proposals marked “demo” are examples. Two rest on the public record: the MCWG's proposal to IHE Radiology "
        "on WADO-RS with XCA-I (its problem, the three options, the white paper first; XC-WADO / RAD-160 is the "
        "later IHE profile, the link is inferred) and DICOM CP-2595 (submitted by IHE RadTech on 2025-11-03, in "
        "Letter Ballot; it did not come from an MCWG focus group). Their numbers, submitters, dates, focus groups "
        "and the IHE status are made up and marked “illustrative”. The other five proposals are made up entirely."
    )

tab_register, tab_submit, tab_figures, tab_excel = st.tabs(
    ["Register", "Submit a proposal", "Plenary figures", "Excel"], key="proposal_tabs"
)

with tab_register:
    now = pd.Timestamp(utcnow())
    states = [s.value for s in ProposalState]
    filters = st.columns(3)
    with filters[0]:
        chosen_states = url_multiselect(
            "State", states, key="state", format_func=lambda s: STATE_LABELS[ProposalState(s)], placeholder="All"
        )
        chosen_sets = url_multiselect("Recommendation set", set_codes, key="sets", placeholder="All")
    with filters[1]:
        element_choices = ["", *sorted({e for ids in register.get("element_ids", []) for e in ids})]
        element = url_selectbox("Element", element_choices, key="element", format_func=lambda e: e or "Any element")
        country_choices = ["", *sorted({c for c in register.get("country_code", []) if c})]
        country = url_selectbox(
            "Country",
            country_choices,
            key="country",
            format_func=lambda c: country_names.get(c, c) if c else "Any country",
        )
    with filters[2]:
        # The deck's focus groups first, then any other name a database holds from before.
        stored = {g for g in register.get("focus_group", []) if g}
        groups = ["", *[g for g in FOCUS_GROUPS if g in stored], *sorted(stored - set(FOCUS_GROUPS))]
        focus_group = url_selectbox(
            "Focus group", groups, key="fg", format_func=lambda g: focus_group_label(g) if g else "Any focus group"
        )
        ages = {"": "Any age", "30": "Older than 30 days", "90": "Older than 90 days", "365": "Older than a year"}
        age = url_selectbox("Age", list(ages), key="age", format_func=lambda a: ages[a])

    shown = register
    if chosen_states:
        shown = shown[shown["state"].isin(chosen_states)]
    if chosen_sets:
        shown = shown[shown["set_code"].isin(chosen_sets)]
    if element:
        shown = proposals.proposals_touching(shown, [element])
    if country:
        shown = shown[shown["country_code"] == country]
    if focus_group:
        shown = shown[shown["focus_group"] == focus_group]
    if age:
        shown = shown[(now - shown["submitted_at"]).dt.days > int(age)]

    counts = st.columns(4)
    counts[0].metric("Proposals shown", len(shown), help=f"of {len(register)} in the register")
    counts[1].metric("Open", int(shown["state"].isin(OPEN_STATES).sum()), help="not yet applied, rejected or closed")
    counts[2].metric(
        "Linked to other bodies",
        int((shown["external_body"] != "").sum()),
        help="forwarded to IHE, DICOM, HL7 Europe..., or following a proposal another body holds",
    )
    counts[3].metric("Applied to the checklist", int((shown["state"] == "applied").sum()))

    if register.empty:
        empty_state("No change proposals yet. Submit the first one in the next tab.")
    elif shown.empty:
        empty_state("No proposal matches these filters.")
    else:
        made_up = shown["illustrative_fields"]
        table = pd.DataFrame(
            {
                "Number": [illustrative(n, "number", f) for n, f in zip(shown["number"], made_up, strict=True)],
                "Title": shown["title"] + shown["is_demo"].map({True: " (demo)", False: ""}),
                "State": shown["state_label"],
                "Set": shown["set_code"],
                "Elements": shown["element_ids"].map(", ".join),
                "Country": shown["country_code"].map(lambda c: country_names.get(c, c) if c else "–"),
                "Focus group": [
                    illustrative(g, "focus_group", f) if g else ""
                    for g, f in zip(shown["focus_group"], made_up, strict=True)
                ],
                "Days since submission": (now - shown["submitted_at"]).dt.days,
                "Days in state": (now - shown["state_since"]).dt.days,
                "External": [
                    " ".join(
                        p
                        for p in (body, ref, f"({illustrative(status or 'status unknown', 'external_status', f)})")
                        if p
                    )
                    if body
                    else ""
                    for body, ref, status, f in zip(
                        shown["external_body"],
                        shown["external_reference"],
                        shown["external_status"],
                        made_up,
                        strict=True,
                    )
                ],
                "Illustrative": made_up.map(illustrative_summary),
            }
        )
        st.caption("Select a row to open the proposal.")
        event = st.dataframe(
            table,
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key="register_table",
            width="stretch",
        )
        rows = event.selection.rows if hasattr(event, "selection") else []
        if rows:
            number = str(shown.iloc[rows[0]]["number"])  # the table's Number may carry "(illustrative)"
            st.switch_page("mcwg_dashboard/views/proposal.py", query_params={"proposal": number})
        downloads(name="change proposals", data=table)

with tab_submit:
    if user.role is Role.PUBLIC:
        st.info("Sign in to submit a proposal.")
    else:
        st.write(
            "Describe a change to the recommendations that your national experience calls for. The focus group "
            "triages it, discusses it in plenary and decides; you can follow and comment on it here."
        )
        set_code = st.selectbox(
            "Recommendation set it concerns",
            set_codes,
            format_func=lambda c: f"{c} · {set_titles[c]}",
            key="new_set",
        )
        in_set = [e for e in elements if e.startswith(f"{set_code}-")]
        my_countries = proposals.may_file_for(user, members["code"])
        with st.form("submit_proposal", clear_on_submit=False):
            title = st.text_input("Title", max_chars=200, key="new_title")
            element_ids = st.multiselect(
                "Elements it targets",
                in_set,
                format_func=lambda e: f"{e} · {elements[e].title}",
                key="new_elements",
            )
            country_options = ([] if user.role is Role.COUNTRY_REP else [""]) + my_countries
            country_code = st.selectbox(
                "On behalf of",
                country_options,
                format_func=lambda c: country_names.get(c, c) if c else "No country (personal or focus group)",
                key="new_country",
            )
            if user.role is Role.ADMIN:
                submitter_name = st.text_input("Submitted by", value=user.label, max_chars=120, key="new_name")
            else:
                submitter_name = ""
                st.caption(f"Filed under your account: {escape_markdown(user.label)}")
            problem = st.text_area(
                "Problem", help="What goes wrong with the recommendation as written?", key="new_problem", max_chars=8000
            )
            proposed = st.text_area("Proposed change", key="new_change", max_chars=8000)
            rationale = st.text_area("Rationale (optional)", key="new_rationale", max_chars=8000)
            sent = st.form_submit_button("Submit proposal", type="primary")
        if sent:
            data = {
                "title": title,
                "submitter_name": submitter_name,
                "country_code": country_code or None,
                "set_code": set_code,
                "element_ids": element_ids,
                "problem": problem,
                "proposed_change": proposed,
                "rationale": rationale,
            }
            try:
                with session_scope(get_engine()) as session:
                    created = proposals.submit_proposal(session, actor=user, data=data)
                    number = created.number
            except ValidationFailed as exc:
                # Name the form's fields as the user sees them, not the service's field names.
                labels = {
                    "title": "Title",
                    "element_ids": "Elements it targets",
                    "country_code": "On behalf of",
                    "submitter_name": "Your name",
                    "problem": "Problem",
                    "proposed_change": "Proposed change",
                    "rationale": "Rationale",
                    "set_code": "Recommendation set",
                }
                lines = [
                    f"- **{labels.get(field, field)}**: {escape_markdown(message)}"
                    for field, messages in exc.problems.items()
                    for message in messages
                ]
                st.error("The proposal was not saved:\n\n" + "\n".join(lines))
            except ServiceError as exc:
                st.error(escape_markdown(str(exc)))
            else:
                for key in ("new_title", "new_elements", "new_problem", "new_change", "new_rationale"):
                    st.session_state.pop(key, None)
                st.session_state["proposal_flash"] = f"{number} was submitted. The focus group will triage it."
                st.switch_page("mcwg_dashboard/views/proposal.py", query_params={"proposal": number})

with tab_figures:
    if register.empty:
        empty_state("No change proposals yet.")
    else:
        by_state = proposals.count_by_state(register)
        show_chart(
            proposals_by_state_bars(by_state, title="Proposals by state"), name="proposals by state", data=by_state
        )
        show_chart(
            proposals_by_set_bars(register, set_order=set_codes, title="Proposals by recommendation set"),
            name="proposals by set",
            data=register.groupby(["set_code", "state"]).size().reset_index(name="proposals"),
        )
        spent = analytics.time_in_state(proposal_transitions(), now=pd.Timestamp(utcnow()))
        labels = {s.value: label for s, label in STATE_LABELS.items()}
        show_chart(
            time_in_state_bars(spent, state_labels=labels, title="Time in state (median days)"),
            name="proposals time in state",
            data=spent,
        )


with tab_excel:
    register_excel_section(user)
