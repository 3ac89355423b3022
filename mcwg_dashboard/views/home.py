"""Home: what this tool is, and the newest round's results at a glance: headline figures, the map, adoption per set,
with links into the matrix and the checklist. Signed-in users also see where each survey stands."""

import pandas as pd
import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import score_bars
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.services.overview import survey_status_table
from mcwg_dashboard.ui.context import demo_banner, get_engine
from mcwg_dashboard.ui.dashboard import (
    checklist_of_round,
    countries_frame,
    downloads,
    is_public_view,
    map_note,
    map_shapes,
    plot,
    rounds_frame,
    rounds_with_visible_answers,
    status_counts,
)
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.wording import counted, score_text, share

st.title("MCWG adoption dashboard")
demo_banner()
st.markdown(
    "The IHE-Europe Multi-Country Working Group (MCWG) on Imaging Information Sharing recommends how countries "
    "share medical imaging nationally. This tool collects each member's adoption of every recommendation element, "
    "round after round."
)

public = is_public_view()
rounds = rounds_frame()
with_answers = rounds_with_visible_answers()  # published answers for the public, shared answers for members
if not with_answers:
    st.info(
        "No results are published yet."
        if public
        else "No member has submitted a survey yet: results appear here once one has."
    )
else:
    round_id = with_answers[0]  # rounds come newest first
    round_name = str(rounds.set_index("id").at[round_id, "name"])
    # Status counts per member and set, grouped by the database: no answer row is loaded.
    counts = status_counts(["country_code", "country_name", "set_code"], round_ids=[round_id])
    headline = analytics.headline(counts)
    headline_answers = analytics.answer_counts(headline)
    members = countries_frame(round_id)
    checklist = checklist_of_round(round_id)
    in_production = {s.code for s in checklist.scale.statuses if (s.weight or 0) >= 0.85} if checklist else set()
    basis = "published" if public else "submitted"
    st.header(f"Results of {escape_markdown(round_name)}", anchor=False)
    st.caption(
        f"The newest round with {basis} answers. Headline figures count the finalized recommendation sets; "
        "sets in progress are shown apart on the Overview."
    )
    scored = int(headline_answers[headline["weight"].notna()].sum())
    figures = st.columns(3)
    figures[0].metric(
        f"Members with {basis} answers",
        counted(counts["country_code"].nunique(), len(members), "members"),
    )
    figures[1].metric("Adoption score", score_text(analytics.overall_score(headline), scored))
    figures[2].metric(
        "In production (implemented or variant)",
        share(
            int(headline_answers[headline["status"].isin(in_production)].sum()), int(headline_answers.sum()), "answers"
        ),
    )
    links = st.columns(3)
    links[0].page_link(
        "mcwg_dashboard/views/matrix.py",
        label="Every answer: the matrix",
        icon=":material/grid_on:",
        query_params={"round": str(round_id)},
    )
    links[1].page_link("mcwg_dashboard/views/checklist.py", label="The checklist", icon=":material/checklist:")
    links[2].page_link(
        "mcwg_dashboard/views/overview.py",
        label="Overview of the round",
        icon=":material/dashboard:",
        query_params={"round": str(round_id)},
    )

    left, right = st.columns([3, 2])
    with left:
        # Titles above the charts, in the page: a title inside a narrow figure gets cut.
        st.markdown("**Adoption score per member** (finalized sets)")
        scores = members[["code", "name"]].rename(columns={"code": "country_code", "name": "country_name"})
        scores = scores.merge(analytics.adoption_scores(headline, ["country_code", "country_name"]), how="left")
        scores["detail"] = [
            f"{int(n)} scored answers" if pd.notna(n) else f"no {basis} answers" for n in scores["scored"]
        ]
        map_figure = adoption_map(scores, title="", shapes=map_shapes())
        plot(map_figure, key="home-map", title="Adoption score per member (finalized sets)")
        map_note(map_figure)
        downloads(name=f"{round_name} member scores", data=scores, figure=map_figure)
    with right:
        st.markdown("**Adoption score per finalized set**")
        titles = {s.code: s.title for s in checklist.sets} if checklist else {}
        set_scores = analytics.adoption_scores(headline, ["set_code"])
        set_scores["title"] = set_scores["set_code"].map(titles)
        set_figure = score_bars(set_scores, label="set_code", hover="title", title="")
        set_figure.update_layout(margin={"t": 10})
        plot(set_figure, key="home-sets", title="Adoption score per finalized set")
        downloads(name=f"{round_name} set scores", data=set_scores, figure=set_figure)

if public:
    st.caption("Published results only. Sign in to fill in a survey or to see submitted results.")
    st.stop()

st.header("Where each survey stands", anchor=False)
st.caption("Country representatives fill in their survey under **Country survey**.")
with session_scope(get_engine()) as session:
    table = survey_status_table(session)
if table.empty:
    st.info("No survey round exists yet. Run `python -m mcwg_dashboard init` to open the first one.")
for index, (status_round, rows) in enumerate(table.groupby("Round", sort=False)):
    with st.expander(escape_markdown(str(status_round)), expanded=index == 0):
        st.dataframe(
            rows.drop(columns=["Round"]),
            hide_index=True,
            height=36 * (len(rows) + 1) + 2,
            column_config={
                "Answered": st.column_config.ProgressColumn("Answered", min_value=0, max_value=1, format="percent")
            },
        )
