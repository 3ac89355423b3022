"""Members (focus group): who is in the MCWG, who retired, and where each member's outline on the map comes from."""

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.services import members
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import get_engine

user = current_user()
engine = get_engine()
st.title("Members")
st.caption(
    "Codes are ISO 3166-1 alpha-2 for a country (IE) or ISO 3166-2 for a region (CA-QC). A new member is drawn on the "
    "map from the shipped map when it has the code, otherwise from a GeoJSON outline given here. A retired member "
    "keeps its answers in every round it took part in and is left out of rounds that open from the day it retired."
)

with session_scope(engine) as session:
    rows = members.list_members(session)

flash = st.session_state.pop("members_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])

st.dataframe(
    pd.DataFrame(
        [{"Code": r.code, "Name": r.name, "State": r.state, "Map shape": r.shape, "Surveys": r.surveys} for r in rows]
    ),
    hide_index=True,
)


def _act(message: str, call: Callable[[Session], Any]) -> bool:
    with session_scope(engine) as session:
        try:
            call(session)
        except ServiceError as exc:
            st.session_state["members_flash"] = ("error", str(exc))
            return False
    st.session_state["members_flash"] = ("success", message)
    return True


def _shape_of(upload: Any) -> dict[str, Any] | None:
    """The uploaded outline, or None when none was given; a bad file is reported and stops the action."""
    if upload is None:
        return None
    try:
        return members.parse_shape(upload.getvalue(), upload.name)
    except ServiceError as exc:
        st.session_state["members_flash"] = ("error", str(exc))
        raise


st.header("Add a member")
with st.form("add_member", clear_on_submit=False):
    code = st.text_input("ISO code", max_chars=6, help="IE for Ireland, CA-QC for Québec")
    name = st.text_input("Name (optional)", max_chars=80, help="Default: the ISO standard's name")
    shape_file = st.file_uploader(
        "Outline (optional GeoJSON)", type=["geojson", "json"], help="Only when the shipped map does not have it"
    )
    if st.form_submit_button("Add the member", type="primary"):
        try:
            outline = _shape_of(shape_file)
        except ServiceError:
            st.rerun()
        code_text = code.strip().upper()
        _act(
            f"Member {code_text} added.",
            lambda s: members.add_member(s, actor=user, code=code_text, name=name, shape=outline),
        )
        st.rerun()

codes = {r.code: r for r in rows}
if codes:
    st.header("Change a member")
    chosen = st.selectbox(
        "Member", list(codes), format_func=lambda c: f"{codes[c].name} ({c}) · {codes[c].state}", key="member_pick"
    )
    member = codes[chosen]
    left, right = st.columns(2)
    with left:
        if member.retired_on is None:
            retire_on = st.date_input("Retires on", key="retire_on", format="YYYY-MM-DD")
            if st.button("Retire", key="retire", icon=":material/person_remove:"):
                _act(
                    f"{member.name} retires on {retire_on}: left out of rounds opening from that day.",
                    lambda s: members.retire_member(s, actor=user, code=member.code, on=retire_on),
                )
                st.rerun()
        elif st.button("Reinstate", key="reinstate", icon=":material/person_add:"):
            _act(f"{member.name} reinstated.", lambda s: members.reinstate_member(s, actor=user, code=member.code))
            st.rerun()
    with right:
        new_shape = st.file_uploader("New outline (GeoJSON)", type=["geojson", "json"], key="shape_upload")
        if st.button("Store this outline", key="store_shape", disabled=new_shape is None):
            try:
                outline = _shape_of(new_shape)
            except ServiceError:
                st.rerun()
            _act(
                f"Outline of {member.name} stored.",
                lambda s: members.set_member_shape(s, actor=user, code=member.code, shape=outline),
            )
            st.rerun()
        if member.shape == "own shape" and st.button("Use the shipped map's outline", key="clear_shape"):
            _act(
                f"{member.name} is drawn from the shipped map again.",
                lambda s: members.set_member_shape(s, actor=user, code=member.code, shape=None),
            )
            st.rerun()
