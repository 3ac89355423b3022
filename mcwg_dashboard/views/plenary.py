"""Plenary mode: one large chart per screen with next / previous, what changed since an earlier round or meeting
snapshot, the generated agenda and the slide deck. Meeting snapshots are frozen on the Rounds and review page."""

import pandas as pd
import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import change_bars, completion_bars, score_bars, status_heatmap, trend_lines
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.exports import PNG_UNAVAILABLE, ChartExportUnavailable, chromium_available
from mcwg_dashboard.reports.agenda import discussion_agenda
from mcwg_dashboard.reports.data import load_plenary_data
from mcwg_dashboard.reports.deck import make_deck
from mcwg_dashboard.services.proposals import OPEN_STATES
from mcwg_dashboard.services.snapshots import get_snapshot, list_snapshots, snapshot_frame
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import data_key, demo_banner, get_engine
from mcwg_dashboard.ui.dashboard import (
    TREND_GROUPS,
    answer_frame,
    checklist_of_round,
    countries_frame,
    downloads,
    empty_state,
    map_note,
    map_shapes,
    plot,
    proposal_register,
    round_picker,
    rounds_frame,
    score_parts,
    slug,
    status_table,
)
from mcwg_dashboard.ui.future_topics import future_topics_section
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_selectbox


@st.cache_data(show_spinner=False, ttl=3600, max_entries=16)
def _snapshots(key: str) -> pd.DataFrame:
    with session_scope(get_engine()) as session:
        return list_snapshots(session)


@st.cache_data(show_spinner=False, ttl=3600, max_entries=16)
def _snapshot_answers(url: str, snapshot_id: int) -> pd.DataFrame:
    # A snapshot never changes once written: keyed by the database alone.
    with session_scope(get_engine()) as session:
        return snapshot_frame(get_snapshot(session, snapshot_id))


URL = get_settings().effective_database_url

st.markdown(
    "<style>.stMarkdown p, .stCaption p {font-size: 1.35rem;} h1 {font-size: 3rem !important;}</style>",
    unsafe_allow_html=True,
)
st.title("Plenary")
demo_banner()
st.page_link(
    "mcwg_dashboard/views/presentation.py",
    label="Present on a shared screen: large type, one topic per screen, arrow keys to page",
    icon=":material/present_to_all:",
)

controls = st.columns([2, 2, 1])
with controls[0]:
    round_id = round_picker("Round shown")
rounds = rounds_frame()
if round_id is None or rounds.empty:
    empty_state("No survey round exists yet.")
    future_topics_section(current_user(), editable=False)
    st.stop()
names = dict(zip(rounds["id"].astype(int), rounds["name"], strict=True))
older: list[int | str] = [int(r) for r in rounds.sort_values("opens_on", ascending=False)["id"] if int(r) != round_id]
# Meeting snapshots are offered as "s<ID>", so ?since=s3 links to the comparison with snapshot 3.
snapshots = _snapshots(data_key())
snapshot_names = {
    f"s{snapshot_id}": f"Snapshot: {name} ({meeting:%d %b %Y})"
    for snapshot_id, name, meeting in zip(snapshots["id"], snapshots["name"], snapshots["meeting_date"], strict=True)
}
with controls[1]:
    since = url_selectbox(
        "What changed since",
        [*list(snapshot_names), *older],
        format_func=lambda r: snapshot_names.get(str(r)) or names[int(r)],
        key="since",
        default=older[0] if older else None,
    )
checklist = checklist_of_round(round_id)
answers = answer_frame([round_id])
round_name = names[round_id]
if checklist is None or answers.empty:
    empty_state(f"No submitted answers in {escape_markdown(round_name)} yet.")
    future_topics_section(current_user(), editable=False)
    st.stop()
scale = checklist.scale
completion = status_table(round_id)
completion = completion[completion["Round"] == round_name]

members = countries_frame(round_id)
scores = members[["code", "name"]].rename(columns={"code": "country_code", "name": "country_name"})
headline = analytics.headline(answers)
scores = scores.merge(analytics.adoption_scores(headline, ["country_code", "country_name"]), how="left")
scores["detail"] = ""
set_scores = analytics.adoption_scores(answers[answers["scope"] != analytics.WATCH], ["set_code"])
final_sets = {s.code for s in checklist.sets if s.is_final}
set_scores["set_code"] = [code if code in final_sets else f"{code} (draft)" for code in set_scores["set_code"]]
slides = [
    (
        "Adoption per member",
        lambda: adoption_map(
            scores, title=f"Adoption score by member (finalized sets) · {round_name}", shapes=map_shapes()
        ),
    ),
    ("Adoption per set", lambda: score_bars(set_scores, label="set_code", title=f"Adoption per set · {round_name}")),
    (
        "Adoption per member (bars)",
        lambda: score_bars(scores, label="country_name", title=f"Adoption per member (finalized sets) · {round_name}"),
    ),
    (
        "Completion",
        lambda: completion_bars(completion, title=f"Survey completion · {round_name}"),
    ),
    (
        "Matrix",
        lambda: status_heatmap(
            analytics.status_matrix(answers, sort_by="adoption"),
            answers,
            scale,
            title=f"Matrix · {round_name}",
        ),
    ),
    (
        "Trend",
        lambda: trend_lines(analytics.trend_by_set(score_parts(TREND_GROUPS)), title="Adoption per set across rounds"),
    ),
]
earlier: pd.DataFrame | None = None
since_name = ""
if since is not None:
    if str(since).startswith("s"):
        since_name = snapshot_names[str(since)].removeprefix("Snapshot: ")
        earlier = _snapshot_answers(URL, int(str(since)[1:]))
    else:
        since_name = names[int(since)]
        earlier = answer_frame([int(since)], columns=analytics.ROUND_CHANGE_INPUT)
    changes = analytics.round_changes(earlier, answers)
    slides.append(
        (
            "What changed",
            lambda: change_bars(analytics.change_summary(changes), title=f"What changed · {since_name} → {round_name}"),
        )
    )

slide = st.session_state.setdefault("plenary_slide", 0) % len(slides)
with controls[2]:
    st.write("")
    previous_col, next_col = st.columns(2)
    if previous_col.button("◀ Previous", key="plenary_previous", use_container_width=True):
        slide = (slide - 1) % len(slides)
    if next_col.button("Next ▶", key="plenary_next", use_container_width=True):
        slide = (slide + 1) % len(slides)
st.session_state["plenary_slide"] = slide


def _display(code: object) -> str:
    return scale.get(code).display if isinstance(code, str) else "—"


title, build = slides[slide]
st.caption(f"Screen {slide + 1} of {len(slides)} · {escape_markdown(title)}")
figure = build()
figure.update_layout(font={"size": 20}, title={"font": {"size": 30}}, height=max(figure.layout.height or 600, 640))
plot(figure, key=f"plenary-{slide}")
map_note(figure)
downloads(name=f"plenary {title} {round_name}", figure=figure)

if since is not None and title == "What changed":
    detail = changes[changes["change"].isin(["upgrade", "downgrade", "new"])]
    st.dataframe(
        detail.assign(
            before=detail["before"].map(lambda c: _display(c)),
            after=detail["after"].map(lambda c: _display(c)),
        )[["country_name", "element_id", "before", "after", "change"]],
        hide_index=True,
    )

st.divider()
st.header("Agenda: elements to discuss")
st.caption(
    "Ranked by a discussion score (0-100) from low adoption, partial or variant answers, disagreement between "
    "members, answers carried over or to re-confirm, and open change proposals; the reasons say which."
)
proposal_rows = proposal_register()
open_states = frozenset(str(state) for state in OPEN_STATES)
agenda = discussion_agenda(answers, proposal_rows, open_states=open_states)
# A numbered list rather than a grid: the reasons are sentences, read out in the meeting.
st.markdown(
    "\n".join(
        f"{row.rank}. **{row.element_id}** {escape_markdown(str(row.element_title))} "
        f"· score {row.discussion_score:.0f}  \n   {escape_markdown(str(row.reasons))}"
        for row in agenda.head(15).itertuples()
    )
    if not agenda.empty
    else "Nothing to rank yet."
)
downloads(name=f"agenda {round_name}", data=agenda)

future_topics_section(current_user(), editable=False)

st.header("Slide deck")
deck_key = f"{round_id}:{since}"
if not chromium_available():
    st.info(PNG_UNAVAILABLE, icon=":material/info:")
elif st.button("Make the slide deck (.pptx)", key="plenary_make_deck", icon=":material/slideshow:"):
    with st.status("Making the slide deck…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting Chromium…")

        def _progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"Chart {done} of {total}" if done else "Starting Chromium…")

        try:
            with session_scope(get_engine()) as session:
                data = load_plenary_data(session, round_id=round_id, earlier=earlier, earlier_label=since_name or None)
            st.session_state["plenary_deck"] = (deck_key, make_deck(data, _progress))
            status.update(label="Slide deck ready", state="complete", expanded=False)
        except ChartExportUnavailable as exc:
            status.update(label="The slide deck could not be made", state="error")
            st.error(str(exc))
made = st.session_state.get("plenary_deck")
if made and made[0] == deck_key:
    st.download_button(
        "Download the slide deck",
        data=made[1],
        file_name=f"mcwg-plenary-{slug(round_name)}.pptx",
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        key="plenary_deck_download",
        on_click="ignore",
        icon=":material/download:",
    )
