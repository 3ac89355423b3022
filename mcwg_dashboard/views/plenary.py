"""Plenary mode: one large chart per screen with next / previous, and what changed between two rounds."""

import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import change_bars, completion_bars, score_bars, status_heatmap, trend_lines
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.ui.context import demo_banner
from mcwg_dashboard.ui.dashboard import (
    PLOTLY_CONFIG,
    answer_frame,
    checklist_of_round,
    countries_frame,
    downloads,
    empty_state,
    round_picker,
    rounds_frame,
    status_table,
)
from mcwg_dashboard.ui.url_state import url_selectbox

st.markdown(
    "<style>.stMarkdown p, .stCaption p {font-size: 1.35rem;} h1 {font-size: 3rem !important;}</style>",
    unsafe_allow_html=True,
)
st.title("Plenary")
demo_banner()

controls = st.columns([2, 2, 1])
with controls[0]:
    round_id = round_picker("Round shown")
rounds = rounds_frame()
if round_id is None or rounds.empty:
    empty_state("No survey round exists yet.")
    st.stop()
names = dict(zip(rounds["id"].astype(int), rounds["name"], strict=True))
older = [int(r) for r in rounds.sort_values("opens_on", ascending=False)["id"] if int(r) != round_id]
with controls[1]:
    since = url_selectbox(
        "What changed since",
        older,
        format_func=lambda r: names[r],
        key="since",
    )
checklist = checklist_of_round(round_id)
answers = answer_frame([round_id])
round_name = names[round_id]
if checklist is None or answers.empty:
    empty_state(f"No submitted answers in {round_name} yet.")
    st.stop()
scale = checklist.scale
completion = status_table(round_id)
completion = completion[completion["Round"] == round_name]

members = countries_frame()
scores = members[["code", "name"]].rename(columns={"code": "country_code", "name": "country_name"})
scores = scores.merge(analytics.adoption_scores(answers, ["country_code", "country_name"]), how="left")
scores["detail"] = ""
set_scores = analytics.adoption_scores(answers, ["set_code"])
slides = [
    ("Adoption per member", lambda: adoption_map(scores, title=f"Adoption score by member · {round_name}")),
    ("Adoption per set", lambda: score_bars(set_scores, label="set_code", title=f"Adoption per set · {round_name}")),
    (
        "Adoption per member (bars)",
        lambda: score_bars(scores, label="country_name", title=f"Adoption per member · {round_name}"),
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
    ("Trend", lambda: trend_lines(analytics.trend_by_set(answer_frame()), title="Adoption per set across rounds")),
]
if since is not None:
    since_name = names[int(since)]
    changes = analytics.round_changes(answer_frame([int(since)]), answers)
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
st.caption(f"Screen {slide + 1} of {len(slides)} · {title}")
figure = build()
figure.update_layout(font={"size": 20}, title={"font": {"size": 30}}, height=max(figure.layout.height or 600, 640))
st.plotly_chart(figure, theme=None, config=PLOTLY_CONFIG, key=f"plenary-{slide}")
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
