"""Recommendation-set page: adoption of one set per country and per element, and its trend across rounds."""

import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import score_bars, trend_lines
from mcwg_dashboard.checklist import DRAFT_LABEL
from mcwg_dashboard.ui.context import demo_banner
from mcwg_dashboard.ui.dashboard import (
    TREND_GROUPS,
    answer_frame,
    architecture_filter,
    checklist_of_round,
    empty_state,
    proposal_list,
    proposal_register,
    round_picker,
    rounds_frame,
    score_parts,
    show_chart,
)
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_selectbox

st.title("Recommendation set")
demo_banner()

left, right = st.columns(2)
with right:
    round_id = round_picker()
checklist = checklist_of_round(round_id)
if round_id is None or checklist is None:
    empty_state("No survey round exists yet.")
    st.stop()
titles = {s.code: s.title for s in checklist.asked_sets}
with left:
    set_code = url_selectbox("Recommendation set", list(titles), format_func=lambda c: f"{c} · {titles[c]}", key="set")
assert set_code is not None
rec_set = next(s for s in checklist.sets if s.code == set_code)
round_name = str(rounds_frame().set_index("id").at[round_id, "name"])
st.caption(f"Version {rec_set.version} · {rec_set.maturity}. {escape_markdown(rec_set.summary)}")
if not rec_set.is_final:
    st.info(f"These are {DRAFT_LABEL}: the set is still in progress, so it is kept out of the headline figures.")
register = proposal_register()
proposal_list(
    register[register["set_code"] == set_code] if not register.empty else register,
    empty_message=f"No change proposal targets the {set_code} set.",
)

in_set = architecture_filter(
    answer_frame(
        [round_id],
        columns=["country_name", "architectures", "element_id", "element_title", "status", "weight"],
        set_codes=[set_code],
    )
)
if in_set.empty:
    empty_state(f"No submitted answers on {set_code} in {escape_markdown(round_name)}.")
else:
    left, right = st.columns(2)
    with left:
        per_country = analytics.adoption_scores(in_set, ["country_name"])
        show_chart(
            score_bars(per_country, label="country_name", title=f"{set_code} · score per country"),
            name=f"{set_code} {round_name} countries",
            data=per_country,
        )
    with right:
        per_element = analytics.adoption_scores(in_set, ["element_id", "element_title"])
        per_element["label"] = per_element["element_id"]
        show_chart(
            score_bars(per_element, label="label", hover="element_title", title=f"{set_code} · score per element"),
            name=f"{set_code} {round_name} elements",
            data=per_element,
        )
    st.header("Elements")
    for element in rec_set.elements:
        st.page_link(
            "mcwg_dashboard/views/element.py",
            label=escape_markdown(f"{element.id} · {element.title}"),
            query_params={"element": element.id, "round": str(round_id)},
        )

trend = analytics.trend_by_set(score_parts(TREND_GROUPS, set_codes=[set_code]))
show_chart(trend_lines(trend, title=f"{set_code} · adoption across rounds"), name=f"{set_code} trend", data=trend)
