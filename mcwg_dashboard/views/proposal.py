"""One change proposal: its text, the adoption of the elements it targets, its history, comments and workflow."""

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlmodel import Session

from mcwg_dashboard import analytics
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import ChecklistVersion
from mcwg_dashboard.services import proposals
from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.services.checklist_store import latest_version
from mcwg_dashboard.services.errors import NotFound, ServiceError
from mcwg_dashboard.services.proposals import (
    EXTERNAL_BODIES,
    EXTERNAL_STATUSES,
    FOCUS_GROUPS,
    STATE_LABELS,
    TERMINAL_STATES,
    TRANSITIONS,
    ProposalState,
    focus_group_label,
    illustrative,
    illustrative_summary,
)
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import demo_banner, get_engine
from mcwg_dashboard.ui.dashboard import (
    answer_frame,
    checklist_of_round,
    countries_frame,
    downloads,
    empty_state,
    proposal_register,
)
from mcwg_dashboard.ui.proposal_forms import apply_form, edit_form
from mcwg_dashboard.ui.tables import impact_tables
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_selectbox

user = current_user()
engine = get_engine()
st.title("Change proposal")
demo_banner()

register = proposal_register()
if register.empty:
    empty_state("No change proposals yet.")
    st.page_link("mcwg_dashboard/views/proposals.py", label="Submit one", icon=":material/add:")
    st.stop()
titles = dict(zip(register["number"], register["title"], strict=True))
made_up = dict(zip(register["number"], register["illustrative_fields"], strict=True))
number = url_selectbox(
    "Proposal",
    list(register["number"]),
    key="proposal",
    format_func=lambda n: f"{illustrative(n, 'number', made_up[n])} · {titles[n]}",
)
assert number is not None
flash = st.session_state.pop("proposal_flash", None)
if flash:
    st.success(flash)

with session_scope(engine) as session:
    try:
        proposal = proposals.get_proposal(session, number)
    except NotFound:
        empty_state(f"{number} does not exist (any more).")
        st.stop()
    session.expunge(proposal)
    element_ids = proposals.elements_of(session, proposal.id or 0)
    history = proposals.proposal_events(session, proposal.id or 0)
    newest = latest_version(session)
    applied_label = ""
    if proposal.applied_version_id:
        applied = session.get(ChecklistVersion, proposal.applied_version_id)
        applied_label = applied.label if applied else ""
    actions = proposals.allowed_actions(user, proposal)

checklist = checklist_of_round(None)
members = countries_frame()
names = dict(zip(members["code"], members["name"], strict=True))
state = ProposalState(proposal.state)

# Demo history may hold made-up values on a real proposal: each such field says so where it is shown.
made_up_fields = proposal.illustrative_fields or []


def _shown(value: str, field: str) -> str:
    return illustrative(value, field, made_up_fields)


st.header(f"{_shown(proposal.number, 'number')} · {escape_markdown(proposal.title)}", anchor=False)
badges = [f":blue-badge[{STATE_LABELS[state]}]"]
if proposal.is_demo:
    badges.append(":orange-badge[demo]")
if made_up_fields:
    badges.append(":orange-badge[partly illustrative]")
st.markdown(" ".join(badges))
if made_up_fields:
    st.caption(
        "This demo proposal follows the public record, but some of its values are made up "
        f"({illustrative_summary(made_up_fields)}): each is marked “illustrative” below."
    )

facts = [
    f"**Set** {proposal.set_code} · **Elements** {', '.join(element_ids)}",
    f"**Submitted** {_shown(f'{proposal.submitted_at:%Y-%m-%d}', 'submitted_at')} by "
    f"{escape_markdown(_shown(proposal.submitter_name, 'submitter_name'))}"
    + (f" ({names.get(proposal.country_code, proposal.country_code)})" if proposal.country_code else ""),
    f"**In this state since** {_shown(f'{proposal.state_since:%Y-%m-%d}', 'state_since')}",
]
if proposal.focus_group:
    facts.append(f"**Focus group** {escape_markdown(_shown(proposal.focus_group, 'focus_group'))}")
if proposal.decision_reason:
    facts.append(f"**Reason** {escape_markdown(proposal.decision_reason)}")
if applied_label:
    facts.append(f"**Applied in checklist version** {applied_label}")
if proposal.external_body:
    facts.append(
        f"**Forwarded to** {escape_markdown(proposal.external_body)} "
        f"{escape_markdown(proposal.external_reference)} · status "
        f"**{escape_markdown(proposal.external_status or 'unknown')}**"
        + (" (illustrative)" if "external_status" in made_up_fields else "")
    )
st.markdown("  \n".join(facts))

links = st.columns(min(len(element_ids), 6) or 1)
for index, element_id in enumerate(element_ids[:6]):
    links[index].page_link(
        "mcwg_dashboard/views/element.py",
        label=f"Element {element_id}",
        query_params={"element": element_id},
        icon=":material/label:",
    )

text_columns = st.columns(2)
with text_columns[0]:
    st.subheader("Problem", anchor=False)
    st.markdown(escape_markdown(proposal.problem))
    if proposal.rationale:
        st.subheader("Rationale", anchor=False)
        st.markdown(escape_markdown(proposal.rationale))
with text_columns[1]:
    st.subheader("Proposed change", anchor=False)
    st.markdown(escape_markdown(proposal.proposed_change))

# --- impact ---------------------------------------------------------------------------------------------------------
st.subheader("Impact: where the countries stand on these elements", anchor=False)
impact = analytics.latest_statuses(
    answer_frame(columns=analytics.LATEST_STATUS_INPUT, element_ids=element_ids), element_ids
)
if impact.empty or checklist is None:
    empty_state("No country has shared an answer on these elements yet.")
else:
    table, totals = impact_tables(impact, checklist.scale)
    st.caption(
        "Each country's latest shared answer (submitted, validated or published) on the targeted elements, "
        "and the round it comes from."
    )
    st.dataframe(table, width="stretch")
    st.dataframe(totals, hide_index=True)
    downloads(name=f"{proposal.number} impact", data=table.reset_index())

# --- history and comments ---------------------------------------------------------------------------------------------
st.subheader("History", anchor=False)
events = history.assign(
    When=history["at"].dt.strftime("%Y-%m-%d %H:%M").map(lambda when: _shown(when, "history_dates")),
    Who=history["actor"],
    What=history["kind"],
    From=history["from_state"],
    To=history["to_state"],
    Comment=history["comment"],
)[["When", "Who", "What", "From", "To", "Comment"]]
st.dataframe(events, hide_index=True, width="stretch")


def _run(done: str, call: Callable[[Session], Any]) -> None:
    try:
        with session_scope(engine) as session:
            call(session)
    except ServiceError as exc:
        st.error(escape_markdown(str(exc)).replace("\n", "  \n"))
        return
    # A done action's inputs must not carry over into the next one (a reason given for one decision).
    for key in ("action", "reason", "focus_group", "body", "reference", "external_note", "comment_text"):
        st.session_state.pop(key, None)
    st.session_state["proposal_flash"] = done
    st.rerun()


if user.role is not Role.PUBLIC:
    with st.form("comment", clear_on_submit=True):
        comment = st.text_area("Add a comment", key="comment_text", max_chars=8000)
        if st.form_submit_button("Post comment"):
            _run(
                "Comment posted.",
                lambda s: proposals.add_comment(s, actor=user, proposal_id=proposal.id or 0, text=comment),
            )

# --- workflow -------------------------------------------------------------------------------------------------------
moves = [a for a in actions if a != "apply"]
if moves:
    st.subheader("Move it on", anchor=False)
    with st.form("transition"):
        action = st.radio(
            "Action",
            moves,
            format_func=lambda a: (
                f"{TRANSITIONS[a].label} → {STATE_LABELS[TRANSITIONS[a].target]}"
                + (" (reason required)" if TRANSITIONS[a].needs_reason else "")
            ),
            key="action",
        )
        reason = st.text_area("Reason or note (kept in the history)", key="reason", max_chars=4000)
        extra = st.columns(3)
        focus_group = extra[0].selectbox(
            "Focus group (for Assign)",
            FOCUS_GROUPS,
            index=None,
            placeholder="Choose…",
            key="focus_group",
            format_func=focus_group_label,
        )
        body = extra[1].selectbox(
            "External body (for Forward)", EXTERNAL_BODIES, index=None, placeholder="Choose…", key="body"
        )
        reference = extra[2].text_input("Their reference (for Forward)", key="reference", max_chars=200)
        if st.form_submit_button("Apply action", type="primary"):
            chosen = str(action)
            _run(
                f"{proposal.number}: {TRANSITIONS[chosen].label.lower()} done.",
                lambda s: proposals.transition(
                    s,
                    actor=user,
                    proposal_id=proposal.id or 0,
                    expected_version=proposal.version,
                    action=chosen,
                    reason=reason,
                    focus_group=focus_group or "",
                    external_body=body or "",
                    external_reference=reference,
                ),
            )

if user.role is Role.ADMIN and proposal.external_body:
    with st.expander(f"Update the status at {escape_markdown(proposal.external_body)}"), st.form("external"):
        current = (
            EXTERNAL_STATUSES.index(proposal.external_status) if proposal.external_status in EXTERNAL_STATUSES else 0
        )
        status = st.selectbox("Status", EXTERNAL_STATUSES, index=current, key="external_status")
        new_reference = st.text_input(
            "Reference", value=proposal.external_reference, key="external_reference", max_chars=200
        )
        note = st.text_input("Note", key="external_note", max_chars=2000)
        if st.form_submit_button("Save status"):
            _run(
                f"{proposal.number}: status at {proposal.external_body} saved.",
                lambda s: proposals.set_external_status(
                    s,
                    actor=user,
                    proposal_id=proposal.id or 0,
                    expected_version=proposal.version,
                    status=status,
                    reference=new_reference,
                    comment=note,
                ),
            )

if "apply" in actions and checklist is not None and newest is not None:
    submitted_changes = apply_form(proposal, checklist, newest.label, element_ids)
    if submitted_changes is not None:
        version_changes: dict[str, Any] = submitted_changes
        _run(
            f"{proposal.number} applied: checklist version {version_changes['version_label']} created. Open the next "
            "round on it from Rounds and review.",
            lambda s: proposals.apply_proposal(
                s, actor=user, proposal_id=proposal.id or 0, expected_version=proposal.version, changes=version_changes
            ),
        )

may_edit = state not in TERMINAL_STATES and (
    user.role is Role.ADMIN or (proposal.submitted_by == user.username and state == ProposalState.SUBMITTED)
)
if may_edit and checklist is not None:
    edited = edit_form(proposal, checklist, element_ids)
    if edited is not None:
        data: dict[str, Any] = edited
        _run(
            f"{proposal.number} saved.",
            lambda s: proposals.update_proposal(
                s, actor=user, proposal_id=proposal.id or 0, expected_version=proposal.version, data=data
            ),
        )

st.page_link("mcwg_dashboard/views/proposals.py", label="Back to the register", icon=":material/arrow_back:")
