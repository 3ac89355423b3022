"""Rounds and review (focus group): open and close rounds, validate, send back, publish and reopen surveys."""

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlmodel import Session, col, select

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.excel.full_export import full_export_bytes
from mcwg_dashboard.models import ChecklistVersion, Country, CountrySurvey, SurveyState
from mcwg_dashboard.services import lifecycle, rounds, snapshots
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import demo_banner, get_engine
from mcwg_dashboard.ui.reminders import reminders_section
from mcwg_dashboard.ui.text import escape_markdown

user = current_user()
engine = get_engine()
st.title("Rounds and review")
demo_banner()


def _run(action: str, call: Callable[[Session], object]) -> None:
    """Run a service call from a button; report the outcome on the next run."""
    with session_scope(engine) as session:
        try:
            call(session)
        except ServiceError as exc:
            st.session_state["rounds_flash"] = ("error", escape_markdown(str(exc)))
            return
    st.session_state["rounds_flash"] = ("success", action)


def _survey_action(action: str, code: str, survey_id: int, expected: int, text: str) -> None:
    calls = {
        "validate": lambda s: lifecycle.validate_survey(s, actor=user, survey_id=survey_id, expected_version=expected),
        "publish": lambda s: lifecycle.publish_survey(s, actor=user, survey_id=survey_id, expected_version=expected),
        "send_back": lambda s: lifecycle.send_back_survey(
            s, actor=user, survey_id=survey_id, expected_version=expected, comment=text
        ),
        "reopen": lambda s: lifecycle.reopen_survey(
            s, actor=user, survey_id=survey_id, expected_version=expected, reason=text
        ),
    }
    done = {"validate": "validated", "publish": "published", "send_back": "sent back", "reopen": "reopened"}
    _run(f"The survey of {code} was {done[action]}.", calls[action])


flash = st.session_state.pop("rounds_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])

with session_scope(engine) as session:
    all_rounds = rounds.list_rounds(session)
    versions = {v.id: v.label for v in session.exec(select(ChecklistVersion).order_by(col(ChecklistVersion.id).desc()))}
    countries = {c.code: c.name for c in session.exec(select(Country))}


def _full_export() -> bytes:
    with session_scope(engine) as session:
        return full_export_bytes(session, actor=user)


st.download_button(
    "Download all data (Excel)",
    data=_full_export,
    file_name="mcwg-adoption-all-data.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="full_export",
    on_click="ignore",
    icon=":material/download:",
    help="Every answer of every round (drafts included) as a long table, a matrix per round, the checklist",
)

st.header("Rounds")
if all_rounds:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Round": r.name,
                    "Opens": r.opens_on,
                    "Closes": r.closes_on,
                    "State": r.state,
                    "Demo": "demo" if r.is_demo else "",
                }
                for r in all_rounds
            ]
        ),
        hide_index=True,
    )

with st.expander("Open a new round", icon=":material/add:"):
    st.caption(
        "Each member's survey is pre-filled from its answers in the previous round, marked as carried over until "
        "the country confirms or changes them. On a newer checklist version, answers to elements that changed are "
        "flagged for re-confirmation, and answers to retired elements are not carried."
    )
    with st.form("open_round"):
        name = st.text_input("Name", placeholder=f"{dt.date.today().year + 1} adoption survey", max_chars=80)
        opens_on = st.date_input("Opens on", value=dt.date.today())
        closes_on = st.date_input("Closes on", value=dt.date.today() + dt.timedelta(days=90))
        version_id = st.selectbox(
            "Checklist version",
            list(versions),
            format_func=lambda v: versions[v],
            key="round_checklist_version",
            help="The newest first; a version created by applying a change proposal appears here.",
        )
        if st.form_submit_button("Open the round", type="primary") and version_id is not None:
            chosen_version: int = version_id
            _run(
                f"Round {name!r} opened.",
                lambda s: rounds.open_round(
                    s,
                    actor=user,
                    name=name,
                    opens_on=opens_on,
                    closes_on=closes_on,
                    checklist_version_id=chosen_version,
                ),
            )
            st.rerun()

if not all_rounds:
    st.stop()
names = {r.id: r.name for r in all_rounds}
round_id = st.selectbox("Round to manage", list(names), format_func=lambda r: names[r], key="manage_round")
chosen = next(r for r in all_rounds if r.id == round_id)
assert chosen.id is not None
chosen_id = chosen.id

left, right = st.columns(2)
with left:
    new_close = st.date_input("Closing date", value=chosen.closes_on, key=f"closes:{chosen_id}")
    if st.button("Set closing date", key=f"set_close:{chosen_id}"):
        _run(
            "Closing date set.",
            lambda s: rounds.set_closing_date(s, actor=user, round_id=chosen_id, closes_on=new_close),
        )
        st.rerun()
with right:
    if chosen.state == "open":
        if st.button("Close the round", key=f"close:{chosen_id}", help="Drafts can no longer be edited"):
            _run(
                f"{escape_markdown(chosen.name)} closed.",
                lambda s: rounds.close_round(s, actor=user, round_id=chosen_id),
            )
            st.rerun()
    else:
        reason = st.text_input("Reason to reopen the round", key=f"reopen_reason:{chosen_id}", max_chars=2000)
        if st.button("Reopen the round", key=f"reopen:{chosen_id}", disabled=not reason.strip()):
            _run(
                f"{escape_markdown(chosen.name)} reopened.",
                lambda s: rounds.reopen_round(s, actor=user, round_id=chosen_id, reason=reason),
            )
            st.rerun()

with st.expander("Freeze as a meeting snapshot", icon=":material/photo_camera:"):
    st.caption(
        "Copies the submitted, validated and published answers of "
        f"{escape_markdown(chosen.name)} as they are now, under the "
        "meeting's name. "
        'A snapshot is read-only: later changes do not touch it, and the Plenary page\'s "What changed since" '
        "and `python -m mcwg_dashboard deck --since snapshot:NAME` compare against it."
    )
    with st.form(f"snapshot:{chosen_id}"):
        meeting_name = st.text_input(
            "Meeting name", placeholder="Plenary Lisbon 2025", key="snapshot_name", max_chars=120
        )
        meeting_date = st.date_input("Meeting date", value=dt.date.today(), key="snapshot_date")
        if st.form_submit_button("Freeze snapshot"):
            _run(
                f"Snapshot {escape_markdown(repr(meeting_name.strip()))} frozen.",
                lambda s: snapshots.create_snapshot(
                    s, actor=user, name=meeting_name, meeting_date=meeting_date, round_id=chosen_id
                ),
            )
            st.rerun()
with session_scope(engine) as session:
    frozen = snapshots.list_snapshots(session)
if not frozen.empty:
    st.dataframe(
        frozen.assign(
            link=[f"plenary?since=s{i}" for i in frozen["id"]], is_demo=frozen["is_demo"].map({True: "demo", False: ""})
        )[["name", "meeting_date", "round_name", "answer_count", "is_demo", "created_by", "link"]],
        hide_index=True,
        column_config={
            "name": "Meeting snapshot",
            "meeting_date": "Meeting",
            "round_name": "Round",
            "answer_count": "Answers",
            "is_demo": "Demo",
            "created_by": "Frozen by",
            "link": st.column_config.LinkColumn("Compare on the Plenary page", display_text="What changed since"),
        },
    )

if chosen.state == "open":
    reminders_section(user, chosen_id, chosen.name, _run)

st.header(f"Country surveys · {escape_markdown(chosen.name)}")
with session_scope(engine) as session:
    surveys = {
        s.country_code: s for s in session.exec(select(CountrySurvey).where(CountrySurvey.round_id == chosen_id))
    }
validated = [s for s in surveys.values() if s.state == SurveyState.VALIDATED]
if st.button(
    f"Publish all {len(validated)} validated survey(s)", key=f"publish_all:{chosen_id}", disabled=not validated
):
    _run("Validated surveys published.", lambda s: lifecycle.publish_round(s, actor=user, round_id=chosen_id))
    st.rerun()

for code in sorted(countries, key=lambda c: countries[c]):
    survey = surveys.get(code)
    state = survey.state if survey else "not started"
    with st.container(border=True):
        head, actions = st.columns([2, 3])
        head.markdown(f"**{escape_markdown(countries[code])}** ({code}) · {state}")
        if survey is None or survey.id is None:
            continue
        if survey.state_comment:
            head.caption(f"Comment: {escape_markdown(survey.state_comment)}")
        allowed = lifecycle.allowed_actions(survey.state)
        with actions:
            buttons = st.columns(4)
            text = ""
            if "send_back" in allowed or "reopen" in allowed:
                text = st.text_input(
                    "Comment for the country (required to send back or reopen)",
                    key=f"comment:{survey.id}",
                    placeholder="What to change, or why",
                    max_chars=2000,
                )
            for column, action, label in (
                (buttons[0], "validate", "Validate"),
                (buttons[1], "publish", "Publish"),
                (buttons[2], "send_back", "Send back"),
                (buttons[3], "reopen", "Reopen"),
            ):
                needs_text = action in ("send_back", "reopen")
                if action in allowed and column.button(
                    f"{label} {code}", key=f"{action}:{survey.id}", disabled=needs_text and not text.strip()
                ):
                    _survey_action(action, code, survey.id, survey.version, text)
                    st.rerun()
