"""Trends: adoption per recommendation set across rounds, optionally only for countries in every round."""

import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import trend_lines
from mcwg_dashboard.ui.context import demo_banner
from mcwg_dashboard.ui.dashboard import (
    TREND_GROUPS,
    empty_state,
    rounds_frame,
    rounds_with_visible_answers,
    score_parts,
    show_chart,
)
from mcwg_dashboard.ui.url_state import url_multiselect, url_toggle

st.title("Trends across rounds")
demo_banner()

rounds = rounds_frame()
with_answers = list(reversed(rounds_with_visible_answers()))  # oldest first
if not with_answers:
    empty_state("No submitted answers in any round yet: trends appear once countries have submitted surveys.")
    st.stop()
names = dict(zip(rounds["id"].astype(int), rounds["name"], strict=True))
chosen = url_multiselect("Rounds", with_answers, default=with_answers, format_func=lambda r: names[r], key="rounds")
same = url_toggle(
    "Only countries that answered in every chosen round",
    key="same",
    help="Otherwise a country joining or skipping a round moves the averages.",
)
if not chosen:
    empty_state("Choose at least one round.")
    st.stop()
# Score parts per round, set and member, summed by the database: no answer row is loaded.
selected = score_parts(TREND_GROUPS, round_ids=[int(r) for r in chosen])
trend = analytics.trend_by_set(selected, same_countries_only=bool(same))
if trend.empty:
    empty_state("No country answered in every chosen round.")
    st.stop()
st.caption(
    "Each point is the average of the countries' scores for that set in that round, computed from that round's own "
    "answers against the checklist version it used. Countries counted per point are shown on hover."
)
show_chart(trend_lines(trend, title="Adoption score per recommendation set"), name="trend by set", data=trend)
