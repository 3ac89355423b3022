"""Country survey: a representative fills in their country's checklist for an open round."""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st
from sqlmodel import select

from mcwg_dashboard.checklist import WATCH_LABEL, Checklist, Element
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.excel import (
    MAX_UPLOAD_BYTES,
    AnswerValues,
    ImportPlan,
    Resolution,
    apply_survey_import,
    export_survey_workbook,
    plan_survey_import,
)
from mcwg_dashboard.models import Country, SurveyState
from mcwg_dashboard.services import dates, surveys
from mcwg_dashboard.services.audit import survey_history
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.errors import ConflictError, InvalidState, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.lifecycle import confirm_carried_over
from mcwg_dashboard.services.rounds import open_rounds
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import demo_banner, get_engine
from mcwg_dashboard.ui.dashboard import clear_caches
from mcwg_dashboard.ui.profile_form import profile_section
from mcwg_dashboard.ui.survey_form import (
    FIELDS,
    NOT_APPLICABLE,
    Baseline,
    baseline_from_answers,
    changed_answers,
    proposed_not_applicable,
    stored_date_warning,
    widget_key,
)
from mcwg_dashboard.ui.text import escape_markdown

engine = get_engine()
user = current_user()

st.title("Country survey")
demo_banner()

with session_scope(engine) as session:
    rounds = open_rounds(session)
    countries = list(session.exec(select(Country)))

editable = sorted((c for c in countries if user.may_edit_country(c.code)), key=lambda c: c.name)
if not rounds:
    st.info(
        "No survey round is open at the moment. The focus group opens rounds; until then there is nothing to fill in."
    )
    st.stop()
if not editable:
    st.info("Your account does not represent any member country, so there is no survey for you to fill in.")
    st.stop()

names = {c.code: c.name for c in editable}
left, right = st.columns(2)
country_code = left.selectbox(
    "Country or region", list(names), format_func=lambda code: f"{names[code]} ({code})", key="survey_country"
)
round_ids = {r.id: r for r in rounds}
round_id = right.selectbox(
    "Survey round", list(round_ids), format_func=lambda rid: round_ids[rid].name, key="survey_round"
)
assert country_code is not None and round_id is not None
survey_round = round_ids[round_id]
selected_round: int = round_id

with session_scope(engine) as session:
    checklist = checklist_for_version(session, survey_round.checklist_version_id)
    survey = surveys.find_survey(session, round_id=selected_round, country_code=country_code)
    answers = surveys.load_answers(session, survey_id=survey.id) if survey and survey.id else {}
    # Before the survey exists, the member's last profile is proposed (it is carried over when the survey starts).
    profile = surveys.latest_profile(session, country_code=country_code, survey_round=survey_round)
    history = survey_history(session, round_name=survey_round.name, country_code=country_code)
applies = surveys.applicability(checklist, profile)

scope = f"{round_id}:{country_code}"
base_key = f"baseline:{scope}"
if base_key not in st.session_state:
    st.session_state[base_key] = baseline_from_answers(checklist, answers)
baseline: Baseline = st.session_state[base_key]
errors: dict[str, list[str]] = st.session_state.setdefault(f"errors:{scope}", {})
conflicts: dict[str, str] = st.session_state.setdefault(f"conflicts:{scope}", {})

proposed = proposed_not_applicable(checklist, baseline, applies)
for element_id, values in baseline.items():
    for field in FIELDS:
        st.session_state.setdefault(widget_key(scope, element_id, field), values[field])
    if element_id in proposed:
        st.session_state.setdefault(f"proposed:{scope}:{element_id}", True)
        if st.session_state[widget_key(scope, element_id, "status")] == baseline[element_id]["status"]:
            st.session_state[widget_key(scope, element_id, "status")] = NOT_APPLICABLE


def _after_profile_saved() -> None:
    """Untouched unanswered elements follow the new profile: drop their proposal so the next run proposes afresh."""
    default = checklist.scale.default.code
    for element_id, values in baseline.items():
        key = widget_key(scope, element_id, "status")
        untouched = all(
            st.session_state.get(widget_key(scope, element_id, f)) == values[f] for f in FIELDS if f != "status"
        )
        if values["version"] == 0 and untouched and st.session_state.get(key) in (default, NOT_APPLICABLE):
            st.session_state[key] = default
            st.session_state.pop(f"proposed:{scope}:{element_id}", None)


def _widget_values(element_id: str) -> dict[str, Any]:
    return {field: st.session_state.get(widget_key(scope, element_id, field)) for field in FIELDS}


def _flash(kind: str, where: str | None, message: str) -> None:
    """A message for the next run, shown where the user acted: a set's save button, or the page top."""
    st.session_state[f"survey_flash:{where}"] = (kind, message)


def _show_flash(where: str | None) -> None:
    flash = st.session_state.pop(f"survey_flash:{where}", None)
    if flash:
        kind, message = flash
        {"success": st.success, "error": st.error, "info": st.info}[kind](message)


def _save(set_code: str) -> None:
    rec_set = next(s for s in checklist.sets if s.code == set_code)
    ids = [e.id for e in rec_set.elements]
    for element_id in ids:
        errors.pop(element_id, None)
        conflicts.pop(element_id, None)
    current = {element_id: _widget_values(element_id) for element_id in ids}
    inputs, input_problems = changed_answers(baseline, current)
    if input_problems:
        errors.update(input_problems)
        _flash("error", set_code, "Nothing was saved: some answers need attention (see the marked elements above).")
        return
    if not inputs:
        _flash("info", set_code, f"No changes to save in {set_code}.")
        return
    with session_scope(engine) as session:
        try:
            target = surveys.open_survey(session, actor=user, round_id=selected_round, country_code=country_code)
            assert target.id is not None
            versions = surveys.save_answers(session, actor=user, survey_id=target.id, answers=inputs)
        except ValidationFailed as exc:
            errors.update(exc.problems)
            _flash("error", set_code, "Nothing was saved: some answers need attention (see the marked elements above).")
            return
        except ConflictError as exc:
            for conflict in exc.conflicts:
                status = (
                    checklist.scale.get(conflict.current_status).display if conflict.current_status else "no answer"
                )
                conflicts[conflict.element_id] = (
                    f"Changed by {conflict.changed_by} at {conflict.changed_at} since you loaded it; "
                    f"the database now says **{status}**. Your input is kept below: nothing in this set was saved."
                )
            _flash("error", set_code, str(exc))
            return
        except (PermissionDenied, InvalidState) as exc:
            _flash("error", set_code, str(exc))
            return
    for item in inputs:
        baseline[item.element_id] = {**current[item.element_id], "version": versions[item.element_id]}
    clear_caches()
    _flash("success", set_code, f"Saved {len(inputs)} answer(s) in {set_code} as a draft.")


def _reload(set_code: str) -> None:
    """Throw away this set's unsaved input and show what the database holds now."""
    with session_scope(engine) as session:
        found = surveys.find_survey(session, round_id=selected_round, country_code=country_code)
        fresh = surveys.load_answers(session, survey_id=found.id) if found and found.id else {}
    fresh_baseline = baseline_from_answers(checklist, fresh)
    rec_set = next(s for s in checklist.sets if s.code == set_code)
    for element in rec_set.elements:
        baseline[element.id] = fresh_baseline[element.id]
        errors.pop(element.id, None)
        conflicts.pop(element.id, None)
        for field in FIELDS:
            st.session_state[widget_key(scope, element.id, field)] = fresh_baseline[element.id][field]


def _unsaved_sets() -> list[str]:
    unsaved = []
    for rec_set in checklist.asked_sets:
        if any(
            {f: _widget_values(e.id)[f] for f in FIELDS} != {f: baseline[e.id][f] for f in FIELDS}
            for e in rec_set.elements
        ):
            unsaved.append(rec_set.code)
    return unsaved


state = survey.state if survey else "not started"
locked = survey is not None and survey.state != SurveyState.DRAFT
completion = surveys.completion_by_set(checklist, answers)
answered = sum(done for done, _ in completion.values())
total = sum(count for _, count in completion.values())

st.subheader(f"{names[country_code]} · {survey_round.name}")
summary = st.columns(3)
summary[0].metric("Survey state", state.capitalize())
summary[1].metric("Answered (saved)", f"{answered} / {total}")
summary[2].metric("Checklist version", checklist.version)
progress_columns = st.columns(len(checklist.asked_sets))
for column, rec_set in zip(progress_columns, checklist.asked_sets, strict=True):
    done, count = completion[rec_set.code]
    column.progress(done / count, text=f"{rec_set.code}: {done}/{count}")

_show_flash(None)

if locked:
    st.info(
        f"This survey is {state}: it can no longer be edited here. "
        "The focus group can send it back if it needs changes."
    )
elif survey is not None and survey.state_comment:
    st.warning(f"**Message from the focus group:** {escape_markdown(survey.state_comment)}")

profile_section(
    engine,
    user=user,
    round_id=selected_round,
    country_code=country_code,
    profile=profile,
    survey_id=survey.id if survey else None,
    locked=locked,
    on_saved=_after_profile_saved,
)
if proposed and not locked:
    st.info(
        f"{len(proposed)} unanswered element(s) do not apply to your deployment profile and are proposed as "
        "Not applicable. Check them and save each set to confirm.",
        icon=":material/rule:",
    )


def _confirm_carried() -> None:
    assert survey is not None and survey.id is not None
    with session_scope(engine) as session:
        try:
            count = confirm_carried_over(session, actor=user, survey_id=survey.id)
        except (PermissionDenied, InvalidState, ConflictError, ValidationFailed) as exc:
            _flash("error", None, str(exc))
            return
    # Versions moved on: reload this page's form from the database.
    st.session_state.pop(base_key, None)
    for element_id in checklist.elements:
        for field in FIELDS:
            st.session_state.pop(widget_key(scope, element_id, field), None)
    clear_caches()
    _flash("success", None, f"Confirmed {count} carried-over answer(s) unchanged.")


carried = [a for a in answers.values() if a.carried_over or a.needs_reconfirmation]
to_reconfirm = sorted(a.element_id for a in answers.values() if a.needs_reconfirmation)
if to_reconfirm and not locked:
    st.warning(
        f"Please re-confirm {len(to_reconfirm)} answer(s): the checklist changed these elements since you answered "
        f"them: {', '.join(to_reconfirm)}. Read the new wording, then confirm or change each answer.",
        icon=":material/published_with_changes:",
    )
if carried and not locked:
    unsaved_now = _unsaved_sets()
    st.info(
        f"{len(carried)} answer(s) were carried over from the previous round. Check them; change what moved on, "
        "and confirm the rest as still true."
    )
    st.button(
        f"Confirm all {len(carried)} carried-over answers unchanged",
        key=f"confirm_carried:{scope}",
        on_click=_confirm_carried,
        disabled=bool(unsaved_now),
        help="Save or discard your changes first." if unsaved_now else None,
    )


STAGES: list[str] = list(surveys.STAGE_LABELS)


def _element_block(element: Element, scale_codes: list[str], disabled: bool) -> None:
    with st.container(border=True):
        badges = []
        if element.level_text:
            badges.append(f"metadata level {element.level_text}")
        if element.is_watch:
            badges.append(f"{WATCH_LABEL}: never scored")
        if element.inferred:
            badges.append("inferred: the FG may refine it")
        if not applies.get(element.id, True):
            badges.append("does not apply to your profile")
        badge_text = f"  \n:gray[{' · '.join(badges)}]" if badges else ""
        st.markdown(f"**{element.id} · {escape_markdown(element.title)}**{badge_text}")
        st.caption(escape_markdown(element.explanation))
        if element.standards:
            st.caption("Standards: " + escape_markdown("; ".join(element.standards)))
        status_col, date_col = st.columns([2, 1])
        status_col.selectbox(
            f"Status of {element.id}",
            scale_codes,
            format_func=lambda code: checklist.scale.get(code).display,
            key=widget_key(scope, element.id, "status"),
            disabled=disabled,
        )
        date_col.date_input(
            f"Target date of {element.id}",
            key=widget_key(scope, element.id, "target_date"),
            min_value=dates.EARLIEST,
            max_value=dates.LATEST,
            disabled=disabled,
            help="Required when the status is Planned.",
        )
        if stored_warning := stored_date_warning(answers.get(element.id)):
            st.warning(stored_warning, icon=":material/event_busy:")
        if st.session_state.get(f"proposed:{scope}:{element.id}"):
            st.caption(":blue[Proposed Not applicable from your deployment profile: save to confirm, or change it.]")
        note_col, url_col = st.columns(2)
        note_col.text_area(
            f"Note on {element.id}",
            key=widget_key(scope, element.id, "note"),
            height=68,
            disabled=disabled,
            max_chars=4000,
            help="Required for “Implemented – variant”, “Partially implemented” and “Not planned” (the reason), and "
            "for “Not applicable” when your profile does not make it so.",
        )
        stage_col, regions_col = st.columns(2)
        stage_col.selectbox(
            f"Stage of {element.id}",
            STAGES,
            format_func=lambda stage: surveys.STAGE_LABELS[stage],
            key=widget_key(scope, element.id, "stage"),
            disabled=disabled,
            help="Whether it is in the national specification only, or in production.",
        )
        regions_col.text_input(
            f"Regions covered by {element.id}",
            key=widget_key(scope, element.id, "regions"),
            disabled=disabled,
            placeholder="all regions",
            max_chars=400,
        )
        url_col.text_input(
            f"Evidence URL for {element.id}",
            key=widget_key(scope, element.id, "evidence_url"),
            disabled=disabled,
            placeholder="https://…",
        )
        for message in errors.get(element.id, []):
            st.error(f"{element.id}: {message}")
        if element.id in conflicts:
            st.warning(f"{element.id}: {conflicts[element.id]}")
        changes = history.get(element.id, [])
        if changes:
            with st.expander(f"History of {element.id} ({len(changes)} change(s))"):
                for entry in reversed(changes):
                    after = entry.after or {}
                    status = after.get("status")
                    label = checklist.scale.get(status).display if status in checklist.scale.codes else status
                    note = f" · note: {escape_markdown(str(after['note']))}" if after.get("note") else ""
                    st.caption(f"{entry.at:%Y-%m-%d %H:%M} UTC · {entry.actor} · {label}{note}")
        previous = answers.get(element.id)
        if previous is not None:
            st.caption(
                f"Last saved by {previous.answered_by} on {previous.answered_at:%Y-%m-%d %H:%M} UTC"
                + (" · carried over from the previous round: confirm or change it" if previous.carried_over else "")
                + (
                    " · :orange[needs re-confirmation: the element changed since this answer]"
                    if previous.needs_reconfirmation
                    else ""
                )
            )


def _render_set_tabs(checklist: Checklist) -> None:
    scale_codes = checklist.scale.codes
    # Stable labels and a key keep the chosen tab selected when a save reruns the page
    # (completion counts live in the progress bars above, not in the labels).
    tabs = st.tabs([s.code for s in checklist.asked_sets], key=f"tabs:{scope}")
    for tab, rec_set in zip(tabs, checklist.asked_sets, strict=True):
        with tab:
            st.markdown(f"#### {escape_markdown(rec_set.title)}")
            st.caption(f"Version {rec_set.version} · {rec_set.maturity}. " + escape_markdown(rec_set.summary))
            with st.form(f"form:{scope}:{rec_set.code}", border=False):
                for element in rec_set.elements:
                    _element_block(element, scale_codes, locked)
                st.form_submit_button(
                    f"Save draft of {rec_set.code}",
                    key=f"save:{scope}:{rec_set.code}",
                    type="primary",
                    disabled=locked,
                    on_click=_save,
                    args=(rec_set.code,),
                )
            _show_flash(rec_set.code)
            st.button(
                f"Discard unsaved changes in {rec_set.code} and reload",
                key=f"reload:{scope}:{rec_set.code}",
                on_click=_reload,
                args=(rec_set.code,),
                disabled=locked,
                help="Shows what the database holds now, for example after someone else saved.",
            )


def _excel_section() -> None:
    """Download the survey as a workbook to fill offline; upload it back through checks, preview and confirm."""
    with st.expander("Work offline in Excel", icon=":material/table_view:"):
        st.caption(
            "Download this survey as an Excel workbook pre-filled with the saved answers, fill it in with colleagues, "
            "then upload it here: every row is checked, you see the changes before anything is saved, and answers "
            "changed here since your download are never overwritten without your choice."
        )
        st.download_button(
            "Download the survey workbook",
            data=_workbook_bytes,
            file_name=f"mcwg-survey-{country_code}-{survey_round.name.replace(' ', '-')}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"download:{scope}",
            on_click="ignore",
            icon=":material/download:",
        )
        if locked:
            return
        upload = st.file_uploader(
            "Upload a filled workbook (.xlsx)",
            type=["xlsx"],
            key=f"upload:{scope}:{st.session_state.get(f'upload_round:{scope}', 0)}",
            help=f"At most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Macro-enabled, old .xls and CSV files are refused.",
        )
        if upload is None:
            return
        plan = _plan_for(upload.name, upload.getvalue())
        if plan.errors:
            st.error(
                f"**{len(plan.errors)} problem(s) in {upload.name}; nothing was imported.** Fix them in the workbook "
                "and upload it again:\n\n" + "\n".join(f"- {escape_markdown(message)}" for message in plan.errors)
            )
            return
        if plan.country_code != country_code or plan.round_id != selected_round:
            st.warning(
                f"This workbook is for {plan.country_name} ({plan.country_code}), {plan.round_name}. Choose that "
                "country and round above to import it."
            )
            return
        if not plan.changes:
            st.info("The workbook matches the saved answers: there is nothing to import.")
            return
        rows = [
            {
                "Element": change.element_id,
                "Saved now": _describe(change.old),
                "Workbook": _describe(change.new),
                "Conflict": "⚠ changed here by "
                f"{change.changed_by or 'someone'} at {change.changed_at or '?'} since your download"
                if change.conflict
                else "",
            }
            for change in plan.changes
        ]
        st.markdown(f"**{len(plan.changes)} change(s) to import from {escape_markdown(upload.name)}:**")
        st.dataframe(rows, hide_index=True)
        for change in plan.conflicts:
            st.radio(
                f"{change.element_id}: which answer do you keep?",
                ["theirs", "mine"],
                format_func=lambda choice: "Keep the saved answer" if choice == "theirs" else "Use the workbook's",
                key=f"resolve:{scope}:{change.element_id}",
                horizontal=True,
            )
        unsaved = _unsaved_sets()
        if unsaved:
            st.warning(f"Importing discards your unsaved changes in {', '.join(unsaved)} on this page.")
        if st.button(f"Import {len(plan.changes)} change(s)…", key=f"import:{scope}", type="primary"):
            _confirm_import(upload.name, len(plan.changes))


def _workbook_bytes() -> bytes:
    with session_scope(engine) as session:
        return export_survey_workbook(session, actor=user, round_id=selected_round, country_code=country_code)


def _plan_for(filename: str, data: bytes) -> ImportPlan:
    """Plan once per uploaded file, not on every rerun."""
    cache_key = f"plan:{scope}"
    fingerprint = (filename, hashlib.sha256(data).hexdigest())
    cached = st.session_state.get(cache_key)
    if cached is None or cached[0] != fingerprint:
        with session_scope(engine) as session:
            cached = (fingerprint, plan_survey_import(session, actor=user, data=data, filename=filename))
        st.session_state[cache_key] = cached
    plan: ImportPlan = cached[1]
    return plan


def _describe(values: AnswerValues) -> str:
    parts = [checklist.scale.get(values.status).display]
    if values.note:
        parts.append(f"note: {values.note}")
    if values.evidence_url:
        parts.append(values.evidence_url)
    if values.target_date:
        parts.append(f"target {values.target_date:%Y-%m-%d}")
    return " · ".join(parts)


@st.dialog("Import the workbook?")
def _confirm_import(filename: str, count: int) -> None:
    if st.session_state.pop(f"import_done:{scope}", False):
        st.rerun()
    st.write(
        f"Save {count} change(s) from {filename} to the survey of {names[country_code]}? This is one save: all "
        "of them or, if anything changed meanwhile, none."
    )
    st.button("Yes, import", key=f"confirm_import:{scope}", type="primary", on_click=_apply_import)


def _apply_import() -> None:
    cached = st.session_state.get(f"plan:{scope}")
    if cached is None:
        return
    plan: ImportPlan = cached[1]
    resolutions: dict[str, Resolution] = {
        change.element_id: st.session_state.get(f"resolve:{scope}:{change.element_id}", "theirs")
        for change in plan.conflicts
    }
    st.session_state[f"import_done:{scope}"] = True
    with session_scope(engine) as session:
        try:
            saved = apply_survey_import(session, actor=user, plan=plan, resolutions=resolutions)
        except (ValidationFailed, ConflictError, PermissionDenied, InvalidState) as exc:
            _flash("error", None, f"Nothing was imported. {exc}")
            st.session_state.pop(f"plan:{scope}", None)
            return
    # Show the imported answers: forget this page's form state so it reloads from the database.
    st.session_state.pop(base_key, None)
    for element_id in checklist.elements:
        errors.pop(element_id, None)
        conflicts.pop(element_id, None)
        for field in FIELDS:
            st.session_state.pop(widget_key(scope, element_id, field), None)
    st.session_state.pop(f"plan:{scope}", None)
    st.session_state[f"upload_round:{scope}"] = st.session_state.get(f"upload_round:{scope}", 0) + 1
    clear_caches()
    _flash("success", None, f"Imported {len(saved)} answer(s) from {plan.filename}.")


_excel_section()

_render_set_tabs(checklist)

st.divider()
st.subheader("Submit")
if not locked:
    unsaved = _unsaved_sets()
    missing = surveys.missing_answers(checklist, answers)
    accept_unknown = False
    if unsaved:
        st.warning(f"Unsaved changes in {', '.join(unsaved)}: save them before you submit.")
    elif missing:
        st.info(f"{len(missing)} element(s) are still Unknown: {', '.join(missing)}.")
        accept_unknown = st.checkbox(
            f"Submit with these {len(missing)} element(s) as Unknown: they count as unanswered and are never scored",
            key=f"accept_unknown:{scope}",
        )
    ready = not unsaved and (not missing or accept_unknown) and survey is not None
    if st.button("Submit survey", key=f"submit:{scope}", disabled=not ready, type="primary"):
        st.session_state[f"confirm_submit:{scope}"] = True
    if st.session_state.get(f"confirm_submit:{scope}"):
        st.warning(
            f"Submit the survey of {names[country_code]} for {survey_round.name}? "
            "After submitting, answers can only change if the focus group sends it back."
        )
        yes, no = st.columns(2)
        if yes.button("Yes, submit", key=f"confirm:{scope}", type="primary"):
            st.session_state.pop(f"confirm_submit:{scope}", None)
            assert survey is not None and survey.id is not None
            with session_scope(engine) as session:
                try:
                    surveys.submit_survey(
                        session,
                        actor=user,
                        survey_id=survey.id,
                        expected_version=survey.version,
                        accept_unknown=accept_unknown,
                    )
                except ValidationFailed as exc:
                    errors.update(exc.problems)
                    _flash(
                        "error", None, "The survey cannot be submitted yet: see the marked elements in the sets above."
                    )
                except (ConflictError, PermissionDenied, InvalidState) as exc:
                    _flash("error", None, str(exc))
                else:
                    clear_caches()
                    _flash("success", None, "Survey submitted. Thank you!")
                    st.toast("Survey submitted")
            st.rerun()
        if no.button("Cancel", key=f"cancel:{scope}"):
            st.session_state.pop(f"confirm_submit:{scope}", None)
            st.rerun()
else:
    st.caption(
        f"Submitted by {survey.submitted_by} on {survey.submitted_at:%Y-%m-%d %H:%M} UTC."
        if survey and survey.submitted_at
        else ""
    )
