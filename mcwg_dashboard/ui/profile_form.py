"""The deployment profile form at the top of the survey page: architectures, stacks, repositories, scope."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy import Engine

from mcwg_dashboard.checklist import ARCHITECTURES, STACKS, Stack
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import DeploymentProfile
from mcwg_dashboard.services import profiles, surveys
from mcwg_dashboard.services.actors import Actor
from mcwg_dashboard.services.errors import ConflictError, InvalidState, PermissionDenied, ValidationFailed
from mcwg_dashboard.ui.text import escape_markdown

ARCHITECTURE_LABELS = {
    "A": "A · central registry, images stay at their sources",
    "B": "B · federated registries (cross-community)",
    "C": "C · central registry and central image archive",
}


def profile_summary(profile: DeploymentProfile | None) -> str:
    """One line, e.g. "Architectures A, C · XDS-I.b + WADO-RS · central repository · national"."""
    if profile is None or not profile.architectures:
        return "No deployment profile yet."
    parts = [
        "Architecture" + ("s " if "," in profile.architectures else " ") + profile.architectures.replace(",", ", ")
    ]
    stacks = profiles.codes(profile.stacks)
    if stacks:
        parts.append(", ".join(Stack(s).label for s in stacks))
    if profile.repositories:
        parts.append(profile.repositories.replace(",", " and ") + " manifest repositories")
    parts.append(f"regional: {profile.regions}" if profile.scope == "regional" else "national")
    return " · ".join(parts)


def profile_section(
    engine: Engine,
    *,
    user: Actor,
    round_id: int,
    country_code: str,
    profile: DeploymentProfile | None,
    survey_id: int | None,
    locked: bool,
    on_saved: Callable[[], None],
) -> None:
    """Show and edit the profile; saving goes through services.profiles (permission, checks, audit, versions)."""
    scope = f"profile:{round_id}:{country_code}"
    title = "Deployment profile: " + profile_summary(profile)
    from_earlier = profile is not None and profile.survey_id != survey_id
    carried = profile is not None and (profile.carried_over or from_earlier)
    with st.expander(
        title + (" (carried over: confirm it)" if carried else ""), expanded=profile is None, icon=":material/lan:"
    ):
        st.caption(
            "Which deployment architectures, transaction stacks and manifest repositories your country or region "
            "runs this round. It is not scored: it tells which checklist elements apply to you, and elements that "
            "do not apply are proposed as Not applicable below."
        )
        if carried:
            st.info("Carried over from the previous round: check it and save it to confirm.")
        errors: dict[str, list[str]] = st.session_state.get(f"{scope}:errors", {})
        with st.form(f"{scope}:form", border=False):
            architectures = st.multiselect(
                "Architectures",
                list(ARCHITECTURES),
                default=profiles.codes(profile.architectures) if profile else [],
                format_func=lambda code: ARCHITECTURE_LABELS[code],
                disabled=locked,
                help="Several may coexist in one country.",
            )
            stacks = st.multiselect(
                "Transaction stacks",
                [s.value for s in STACKS],
                default=profiles.codes(profile.stacks) if profile else [],
                format_func=lambda code: Stack(code).label,
                disabled=locked,
                help="The deck's pairing: A, B or C with MHD; A or C with XDS-I.b; B with XCA-I.",
            )
            repositories = st.multiselect(
                "Manifest repositories",
                list(profiles.REPOSITORIES),
                default=profiles.codes(profile.repositories) if profile else [],
                disabled=locked,
            )
            left, right = st.columns([1, 2])
            scope_value = left.radio(
                "Scope",
                ["national", "regional"],
                index=1 if profile is not None and profile.scope == "regional" else 0,
                horizontal=True,
                disabled=locked,
            )
            regions = right.text_input(
                "Regions covered (when regional)",
                value=profile.regions if profile else "",
                disabled=locked,
                max_chars=400,
            )
            note = st.text_area("Note", value=profile.note if profile else "", max_chars=2000, disabled=locked)
            submitted = st.form_submit_button("Save the profile", type="primary", disabled=locked)
        for field, messages in errors.items():
            for message in messages:
                st.error(f"**{field}**: {escape_markdown(message)}")
    if not submitted:
        return
    values = {
        "architectures": architectures,
        "stacks": stacks,
        "repositories": repositories,
        "scope": scope_value,
        "regions": regions,
        "note": note,
    }
    st.session_state[f"{scope}:errors"] = {}
    with session_scope(engine) as session:
        try:
            parsed = profiles.parse_profile(values)
            survey = surveys.open_survey(session, actor=user, round_id=round_id, country_code=country_code)
            if from_earlier:
                # Opening the survey carried the earlier profile into it: that copy is what this save replaces.
                copied = profiles.get_profile(session, survey_id=survey.id or 0)
                expected = copied.version if copied else 0
            else:
                expected = profile.version if profile else 0
            profiles.save_profile(
                session, actor=user, survey_id=survey.id or 0, profile=parsed, expected_version=expected
            )
        except ValidationFailed as exc:
            st.session_state[f"{scope}:errors"] = exc.problems
            st.rerun()
        except (ConflictError, PermissionDenied, InvalidState) as exc:
            st.session_state[f"{scope}:errors"] = {"Profile": [str(exc)]}
            st.rerun()
    on_saved()
    st.toast("Deployment profile saved")
    st.rerun()
