"""The Excel tab of the change-proposal register: download the register, and (focus group) import an edited one
after a preview and a confirmation, in one save."""

from __future__ import annotations

import hashlib

import streamlit as st

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.excel.proposal_register import (
    RegisterPlan,
    apply_register_import,
    export_register,
    plan_register_import,
)
from mcwg_dashboard.services.actors import Actor, Role
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.ui.context import get_engine
from mcwg_dashboard.ui.text import escape_markdown


def _register_bytes(user: Actor) -> bytes:
    with session_scope(get_engine()) as session:
        return export_register(session, actor=user)


def _register_plan(user: Actor, filename: str, data: bytes) -> RegisterPlan:
    """Check an upload once per file, not on every rerun."""
    fingerprint = (filename, hashlib.sha256(data).hexdigest())
    cached = st.session_state.get("register_plan")
    if cached is None or cached[0] != fingerprint:
        with session_scope(get_engine()) as session:
            cached = (fingerprint, plan_register_import(session, actor=user, data=data, filename=filename))
        st.session_state["register_plan"] = cached
    plan: RegisterPlan = cached[1]
    return plan


def _apply_register(user: Actor) -> None:
    cached = st.session_state.get("register_plan")
    if cached is None:
        return
    try:
        with session_scope(get_engine()) as session:
            written = apply_register_import(session, actor=user, plan=cached[1])
    except ServiceError as exc:
        st.session_state["register_error"] = str(exc)
        return
    st.session_state.pop("register_plan", None)
    st.session_state["register_upload_round"] = st.session_state.get("register_upload_round", 0) + 1
    st.session_state["proposals_flash"] = f"Imported {len(written)} proposal(s): {', '.join(written)}."


@st.dialog("Import the register?")
def _confirm_register(user: Actor, count: int) -> None:
    st.write(f"Save {count} new or edited proposal(s)? This is one save: all of them, or none.")
    st.button("Yes, import", key="confirm_register", type="primary", on_click=_apply_register, args=(user,))


def register_excel_section(user: Actor) -> None:
    st.write(
        "The whole register as a workbook, with every proposal's history. The focus group can edit the text "
        "columns offline, add proposals on new rows, and import it back here; states change only on each "
        "proposal's page."
    )
    st.download_button(
        "Download the register (Excel)",
        data=lambda: _register_bytes(user),
        file_name="mcwg-change-proposals.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="register_download",
        on_click="ignore",
        icon=":material/download:",
    )
    if user.role is Role.ADMIN:
        error = st.session_state.pop("register_error", None)
        if error:
            st.error(error)
        upload = st.file_uploader(
            "Upload an edited register (.xlsx)",
            type=["xlsx"],
            key=f"register_upload:{st.session_state.get('register_upload_round', 0)}",
        )
        if upload is not None:
            plan = _register_plan(user, upload.name, upload.getvalue())
            if plan.errors:
                st.error(
                    f"**{len(plan.errors)} problem(s) in {escape_markdown(upload.name)}; nothing was imported.**\n\n"
                    + "\n".join(f"- {escape_markdown(message)}" for message in plan.errors)
                )
            else:
                preview = [
                    {
                        "Row": change.row,
                        "Proposal": "new" if change.is_new and change.number == "new" else change.number,
                        "Changes": "new proposal"
                        if change.is_new
                        else "; ".join(f"{name}: {old} → {new}" for name, (old, new) in change.changes.items()),
                    }
                    for change in plan.changes
                ]
                st.markdown(f"**{len(preview)} proposal(s) to import from {escape_markdown(upload.name)}:**")
                st.dataframe(preview, hide_index=True)
                if st.button(f"Import {len(preview)} proposal(s)…", key="register_import", type="primary"):
                    _confirm_register(user, len(preview))
