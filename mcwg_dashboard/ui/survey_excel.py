"""The survey page's Excel round trip: download the workbook; upload it back through checks, preview and confirm."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from mcwg_dashboard.checklist import Checklist
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.excel import (
    MAX_UPLOAD_BYTES,
    PROFILE_KEY,
    AnswerValues,
    ImportPlan,
    Resolution,
    apply_survey_import,
    describe_profile_change,
    describe_saved,
    export_survey_workbook,
    plan_survey_import,
)
from mcwg_dashboard.services.actors import Actor
from mcwg_dashboard.services.errors import ConflictError, InvalidState, PermissionDenied, ValidationFailed
from mcwg_dashboard.ui.text import escape_markdown


@dataclass(frozen=True)
class SurveyContext:
    """Which survey the page shows, and who is acting."""

    engine: Engine
    user: Actor
    round_id: int
    round_name: str
    country_code: str
    country_name: str
    checklist: Checklist
    scope: str


def excel_section(
    ctx: SurveyContext,
    *,
    locked: bool,
    unsaved: str,
    on_imported: Callable[[str], None],
    on_failed: Callable[[str], None],
) -> None:
    """`unsaved` names the page's unsaved changes (an import replaces them); the callbacks reload the page's state."""
    with st.expander("Work offline in Excel", icon=":material/table_view:"):
        st.caption(
            "Download this survey as an Excel workbook pre-filled with the saved answers, fill it in with colleagues, "
            "then upload it here: every row is checked, you see the changes before anything is saved, and answers "
            "changed here since your download are never overwritten without your choice."
        )
        st.download_button(
            "Download the survey workbook",
            data=lambda: _workbook_bytes(ctx),
            file_name=f"mcwg-survey-{ctx.country_code}-{ctx.round_name.replace(' ', '-')}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"download:{ctx.scope}",
            on_click="ignore",
            icon=":material/download:",
        )
        if locked:
            return
        upload = st.file_uploader(
            "Upload a filled workbook (.xlsx)",
            type=["xlsx"],
            key=f"upload:{ctx.scope}:{st.session_state.get(f'upload_round:{ctx.scope}', 0)}",
            help=f"At most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Macro-enabled, old .xls and CSV files are refused.",
        )
        if upload is None:
            return
        plan = _plan_for(ctx, upload.name, upload.getvalue())
        if plan.errors:
            st.error(
                f"**{len(plan.errors)} problem(s) in {escape_markdown(upload.name)}; nothing was imported.** Fix them "
                "in the workbook and upload it again:\n\n"
                + "\n".join(f"- {escape_markdown(message)}" for message in plan.errors)
            )
            return
        if plan.country_code != ctx.country_code or plan.round_id != ctx.round_id:
            st.warning(
                f"This workbook is for {escape_markdown(plan.country_name or '')} ({plan.country_code}), "
                f"{escape_markdown(plan.round_name or '')}. Choose that country and round above to import it."
            )
            return
        if not plan.change_count:
            st.info("The workbook matches the saved answers: there is nothing to import.")
            return
        rows = [
            {
                "Element": change.element_id,
                "Saved now": _describe(ctx.checklist, change.old),
                "Workbook": _describe(ctx.checklist, change.new),
                "Conflict": "⚠ changed here by "
                f"{change.changed_by or 'someone'} at {change.changed_at or '?'} since your download"
                if change.conflict
                else "",
            }
            for change in plan.changes
        ]
        if plan.profile_change is not None:
            before, after = describe_profile_change(plan.profile_change)
            conflict = plan.profile_change.conflict
            rows.insert(
                0,
                {
                    "Element": "Deployment profile",
                    "Saved now": before,
                    "Workbook": after,
                    "Conflict": f"⚠ changed here by {plan.profile_change.changed_by or 'someone'} at "
                    f"{plan.profile_change.changed_at or '?'} since your download"
                    if conflict
                    else "",
                },
            )
            if conflict:
                st.radio(
                    "Deployment profile: which one do you keep?",
                    ["theirs", "mine"],
                    format_func=lambda choice: "Keep the saved profile" if choice == "theirs" else "Use the workbook's",
                    key=f"resolve:{ctx.scope}:{PROFILE_KEY}",
                    horizontal=True,
                )
        st.markdown(f"**{plan.change_count} change(s) to import from {escape_markdown(upload.name)}:**")
        st.dataframe(rows, hide_index=True)
        for change in plan.conflicts:
            st.radio(
                f"{change.element_id}: which answer do you keep?",
                ["theirs", "mine"],
                format_func=lambda choice: "Keep the saved answer" if choice == "theirs" else "Use the workbook's",
                key=f"resolve:{ctx.scope}:{change.element_id}",
                horizontal=True,
            )
        if unsaved:
            st.warning(f"Importing discards your unsaved changes on this page ({unsaved}).")
        if st.button(f"Import {plan.change_count} change(s)…", key=f"import:{ctx.scope}", type="primary"):
            _confirm_import(ctx, upload.name, plan.change_count, on_imported, on_failed)


def _workbook_bytes(ctx: SurveyContext) -> bytes:
    with session_scope(ctx.engine) as session:
        return export_survey_workbook(session, actor=ctx.user, round_id=ctx.round_id, country_code=ctx.country_code)


def _plan_for(ctx: SurveyContext, filename: str, data: bytes) -> ImportPlan:
    """Plan once per uploaded file, not on every rerun."""
    cache_key = f"plan:{ctx.scope}"
    fingerprint = (filename, hashlib.sha256(data).hexdigest())
    cached = st.session_state.get(cache_key)
    if cached is None or cached[0] != fingerprint:
        with session_scope(ctx.engine) as session:
            cached = (fingerprint, plan_survey_import(session, actor=ctx.user, data=data, filename=filename))
        st.session_state[cache_key] = cached
    plan: ImportPlan = cached[1]
    return plan


def _describe(checklist: Checklist, values: AnswerValues) -> str:
    parts = [checklist.scale.get(values.status).display]
    if values.note:
        parts.append(f"note: {escape_markdown(values.note)}")
    if values.evidence_url:
        parts.append(values.evidence_url)
    if values.target_date:
        parts.append(f"target {values.target_date:%Y-%m-%d}")
    return " · ".join(parts)


@st.dialog("Import the workbook?")
def _confirm_import(
    ctx: SurveyContext,
    filename: str,
    count: int,
    on_imported: Callable[[str], None],
    on_failed: Callable[[str], None],
) -> None:
    if st.session_state.pop(f"import_done:{ctx.scope}", False):
        st.rerun()
    st.write(
        f"Save {count} change(s) from {escape_markdown(filename)} to the survey of {escape_markdown(ctx.country_name)}?"
        " This is one save: all of them or, if anything changed meanwhile, none."
    )
    st.button(
        "Yes, import",
        key=f"confirm_import:{ctx.scope}",
        type="primary",
        on_click=_apply_import,
        args=(ctx, on_imported, on_failed),
    )


def _apply_import(ctx: SurveyContext, on_imported: Callable[[str], None], on_failed: Callable[[str], None]) -> None:
    cached = st.session_state.get(f"plan:{ctx.scope}")
    if cached is None:
        return
    plan: ImportPlan = cached[1]
    resolutions: dict[str, Resolution] = {
        key: st.session_state.get(f"resolve:{ctx.scope}:{key}", "theirs") for key in plan.conflict_keys
    }
    st.session_state[f"import_done:{ctx.scope}"] = True
    st.session_state.pop(f"plan:{ctx.scope}", None)
    with session_scope(ctx.engine) as session:
        try:
            saved = apply_survey_import(session, actor=ctx.user, plan=plan, resolutions=resolutions)
        except (ValidationFailed, ConflictError, PermissionDenied, InvalidState) as exc:
            on_failed(f"Nothing was imported. {exc}")
            return
    st.session_state[f"upload_round:{ctx.scope}"] = st.session_state.get(f"upload_round:{ctx.scope}", 0) + 1
    on_imported(f"Imported {describe_saved(saved) or 'nothing'} from {plan.filename}.")
