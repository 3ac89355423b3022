"""Country survey: a representative fills in their country's checklist for an open round, one grid per set."""

from __future__ import annotations

import streamlit as st
from sqlmodel import select

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import Country, SurveyState
from mcwg_dashboard.services import surveys
from mcwg_dashboard.services.audit import survey_history
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.members import in_round
from mcwg_dashboard.services.rounds import open_rounds, previous_round
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import demo_banner, get_engine
from mcwg_dashboard.ui.profile_form import profile_section
from mcwg_dashboard.ui.survey_excel import SurveyContext, excel_section
from mcwg_dashboard.ui.survey_grid import STAGE_LABELS
from mcwg_dashboard.ui.survey_page import (
    SurveyPageState,
    ask,
    asking,
    confirm_carried_panel,
    discard,
    flash,
    keep_grid_focus,
    leave_guard,
    problems,
    save,
    show_flash,
    submit_panel,
    unsaved_edits,
)
from mcwg_dashboard.ui.survey_sets import set_grids
from mcwg_dashboard.ui.text import escape_markdown

engine = get_engine()
user = current_user()

st.title("Country survey")
demo_banner()

with session_scope(engine) as session:
    rounds = open_rounds(session)
    countries = list(session.exec(select(Country)))
# A member retired before every open round opened has nothing to fill in.
editable = sorted(
    (c for c in countries if user.may_edit_country(c.code) and any(in_round(c, r) for r in rounds)),
    key=lambda c: c.name,
)
if not rounds:
    st.info(
        "No survey round is open at the moment. The focus group opens rounds; until then there is nothing to fill in."
    )
    st.stop()
if not editable:
    st.info("Your account does not represent any member country, so there is no survey for you to fill in.")
    st.stop()

# Switching country or round would drop unsaved edits: the pickers wait until they are saved or discarded.
blocked = unsaved_edits(st.session_state.get("survey_round"), st.session_state.get("survey_country"))
names = {c.code: c.name for c in editable}
round_by_id = {r.id: r for r in rounds}
left, right = st.columns(2)
help_text = f"Save or discard your {blocked} unsaved change(s) first." if blocked else None
country_code = left.selectbox(
    "Country or region",
    list(names),
    format_func=lambda code: f"{names[code]} ({code})",
    key="survey_country",
    disabled=bool(blocked),
    help=help_text,
)
round_id = right.selectbox(
    "Survey round",
    list(round_by_id),
    format_func=lambda rid: round_by_id[rid].name,
    key="survey_round",
    disabled=bool(blocked),
    help=help_text,
)
assert country_code is not None and round_id is not None
survey_round = round_by_id[round_id]

with session_scope(engine) as session:
    checklist = checklist_for_version(session, survey_round.checklist_version_id)
    survey = surveys.find_survey(session, round_id=round_id, country_code=country_code)
    answers = surveys.load_answers(session, survey_id=survey.id) if survey and survey.id else {}
    # Before the survey exists, the member's last profile is proposed (it is carried over when the survey starts).
    profile = surveys.latest_profile(session, country_code=country_code, survey_round=survey_round)
    earlier = previous_round(session, survey_round)
    earlier_survey = (
        surveys.find_survey(session, round_id=earlier.id or 0, country_code=country_code) if earlier else None
    )
    earlier_answers = surveys.load_answers(session, survey_id=earlier_survey.id or 0) if earlier_survey else {}
    history = survey_history(session, round_name=survey_round.name, country_code=country_code)

ctx = SurveyContext(
    engine=engine,
    user=user,
    round_id=round_id,
    round_name=survey_round.name,
    country_code=country_code,
    country_name=names[country_code],
    checklist=checklist,
    scope=f"{round_id}:{country_code}",
)
scale = checklist.scale
state = SurveyPageState(
    ctx=ctx,
    survey=survey,
    answers=answers,
    applies=surveys.applicability(checklist, profile),
    last_round={e: scale.get(a.status).display for e, a in earlier_answers.items() if a.status in scale.codes},
)
locked = survey is not None and survey.state != SurveyState.DRAFT


STAGES = list(STAGE_LABELS.values())


@st.fragment
def editing_area() -> None:
    """Everything that follows the user's edits: an edit reruns only this, not the page's database reads."""
    if st.session_state.pop(f"full_rerun:{ctx.scope}", False) or bool(state.edited()) != bool(blocked):
        st.rerun(scope="app")  # a save, an import or the first edit: the pickers and saved answers change
    pending = state.pending()
    unsaved = state.unsaved
    leave_guard(bool(unsaved))
    keep_grid_focus(ctx.scope)

    # The bar: where the survey stands, what is unsaved, and the three actions, above everything else.
    missing = surveys.missing_answers(checklist, answers)
    to_reconfirm = sorted(e for e, a in answers.items() if a.needs_reconfirmation)
    st.header(escape_markdown(f"{names[country_code]} · {survey_round.name}"))
    bar = st.columns([1.5, 1, 0.8, 1.4, 1.1, 1.6])
    bar[0].metric("Survey state", (survey.state if survey else "not started").capitalize())
    bar[1].metric("Answered (saved)", f"{len(checklist.elements) - len(missing)} / {len(checklist.elements)}")
    bar[2].metric("Unsaved edits", len(state.edited()))
    bar[3].button(
        f"Save {len(pending.answers)} change(s)" if pending.answers else "Save",
        type="primary",
        disabled=locked or not (pending.answers or pending.problems),
        on_click=save,
        args=(state,),
        key=f"save:{ctx.scope}",
        width="stretch",
        wrap=True,  # never "Sa…": the label and its shortcut both show
        shortcut="Ctrl+S",  # from inside a grid too, without leaving it
    )
    bar[4].button(
        "Discard changes",
        disabled=locked or not unsaved,
        on_click=discard,
        args=(state,),
        key=f"discard:{ctx.scope}",
        width="stretch",
        wrap=True,
    )
    bar[5].button(
        "Submit…",
        disabled=locked or survey is None or bool(pending.answers or pending.problems),
        key=f"submit:{ctx.scope}",
        width="stretch",
        wrap=True,
        help="Save your changes first." if pending.answers else None,
        on_click=ask,
        args=(ctx.scope, "submit"),
        shortcut="Ctrl+Shift+Enter",
    )
    # Messages come and go above the grids inside one container: the grids keep their place in the page, so a rerun
    # after an edit does not rebuild them (which would take the keyboard focus out of the grid).
    with st.container():
        if asking(ctx.scope) == "submit" and not locked:
            submit_panel(state, missing, to_reconfirm)
        if unsaved:
            st.warning(
                f"{unsaved}: save them, or they are lost when you leave the survey.", icon=":material/edit_note:"
            )
        proposed = state.proposed - set(state.edited())
        if proposed and not locked:
            st.info(
                f"{len(proposed)} unanswered element(s) do not apply to your deployment profile and are proposed "
                f"as Not applicable ({', '.join(sorted(proposed))}): Save confirms them.",
                icon=":material/rule:",
            )
        show_flash(ctx.scope)

        if locked:
            st.info(
                f"This survey is {survey.state if survey else ''}: it can no longer be edited here. "
                "The focus group can send it back if it needs changes."
            )
        elif survey is not None and survey.state_comment:
            st.warning(f"**Message from the focus group:** {escape_markdown(survey.state_comment)}")

    profile_section(
        engine,
        user=user,
        round_id=ctx.round_id,
        country_code=ctx.country_code,
        profile=profile,
        survey_id=survey.id if survey else None,
        locked=locked or bool(unsaved),
        on_saved=lambda: None,
    )
    with st.container():
        carried = sorted(
            e for e, a in answers.items() if (a.carried_over or a.needs_reconfirmation) and e not in pending.element_ids
        )
        if carried and not locked:
            st.info(
                f"{len(carried)} answer(s) were carried over from the previous round"
                + (
                    f"; re-confirm {len(to_reconfirm)} whose element changed: {', '.join(to_reconfirm)}"
                    if to_reconfirm
                    else ""
                )
                + ". Change what moved on in the grids, and confirm the rest as still true."
            )
            st.button(
                f"Confirm all {len(carried)} carried-over answers unchanged…",
                key=f"confirm_carried:{ctx.scope}",
                disabled=bool(unsaved),
                help="Save or discard your changes first: confirming never overwrites an edit." if unsaved else None,
                on_click=ask,
                args=(ctx.scope, "confirm_carried"),
            )
            if asking(ctx.scope) == "confirm_carried":
                confirm_carried_panel(state, carried)

    excel_section(
        ctx,
        locked=locked,
        unsaved=unsaved,
        on_imported=lambda message: state.reload_with(message),
        on_failed=lambda message: flash(ctx.scope, "error", message),
    )

    found = {**problems(ctx.scope), **pending.problems}
    set_grids(state, found=found, pending=pending, locked=locked, history=history)


editing_area()
