"""Overview: the round's key figures, who has answered, adoption per recommendation set, and the map."""

import pandas as pd
import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import completion_bars, percent, score_bars
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.checklist import DRAFT_LABEL, WATCH_LABEL
from mcwg_dashboard.services.profiles import profile_display_table
from mcwg_dashboard.ui.context import demo_banner
from mcwg_dashboard.ui.dashboard import (
    checklist_of_round,
    countries_frame,
    downloads,
    empty_state,
    is_public_view,
    map_note,
    map_shapes,
    participation_frame,
    plot,
    profiles_frame,
    reconfirmation_frame,
    round_picker,
    rounds_frame,
    score_parts,
    show_chart,
    stale_counts,
    status_counts,
    status_table,
    table_height,
)
from mcwg_dashboard.ui.text import escape_markdown

st.title("Overview")
demo_banner()

round_id = round_picker()
if round_id is None:
    empty_state("No survey round exists yet. Run `python -m mcwg_dashboard init` to open the first one.")
    st.stop()
rounds = rounds_frame().set_index("id")
round_name = str(rounds.at[round_id, "name"])
checklist = checklist_of_round(round_id)
# Score parts per member and set, summed by the database: no answer row is loaded for the figures.
counts = score_parts(["country_code", "country_name", "set_code"], round_ids=[round_id])
members = countries_frame(round_id)
table = status_table(round_id)
table = table[table["Round"] == round_name].drop(columns=["Round"])

submitted = int(table["State"].isin(["submitted", "validated", "published"]).sum())
validated = int(table["State"].isin(["validated", "published"]).sum())
published = int((table["State"] == "published").sum())
figures = st.columns(4)
figures[0].metric("Members", len(members))
if is_public_view():
    figures[1].metric("Surveys published", f"{published} / {len(members)}")
else:
    figures[1].metric("Surveys submitted", f"{submitted} / {len(members)}")
    figures[2].metric("Surveys validated", f"{validated} / {len(members)}")
headline = analytics.headline(counts)
final_sets = [s.code for s in checklist.sets if s.is_final] if checklist is not None else []
figures[3].metric(
    "Overall adoption score",
    percent(analytics.overall_score(headline)),
    help=f"Finalized recommendation sets only ({', '.join(final_sets)}).",
)
basis = (
    "Figures use published answers only."
    if is_public_view()
    else "Figures use submitted answers only; drafts stay with their country until submitted."
)
st.caption(
    f"{basis} Headline figures (overall score, score per member, map) count the finalized recommendation sets "
    f"({', '.join(final_sets)}) only; sets still in progress are shown apart as {DRAFT_LABEL}, and the "
    f"{WATCH_LABEL} list is never scored. The adoption score is the mean score weight of the answers (Implemented "
    "100 %, variant 85 %, partial 50 %, planned 25 %, under consideration 10 %, not planned 0 %); Not applicable and "
    "Unknown are left out."
)

if counts.empty:
    empty_state(
        f"No country has submitted its survey for {escape_markdown(round_name)} yet, so there is nothing to chart."
    )
else:
    left, right = st.columns(2)
    titles = {s.code: s.title for s in checklist.sets} if checklist is not None else {}
    with left:
        set_scores = analytics.adoption_scores(headline, ["set_code"])
        set_scores["title"] = set_scores["set_code"].map(titles)
        show_chart(
            score_bars(set_scores, label="set_code", hover="title", title="Adoption score per finalized set"),
            name=f"{round_name} set scores",
            data=set_scores,
        )
        draft = analytics.in_scope(counts, analytics.DRAFT)
        if not draft.empty:
            draft_scores = analytics.adoption_scores(draft, ["set_code"])
            draft_scores["title"] = draft_scores["set_code"].map(titles)
            show_chart(
                score_bars(draft_scores, label="set_code", hover="title", title=f"Sets in progress: {DRAFT_LABEL}"),
                name=f"{round_name} draft set scores",
                data=draft_scores,
            )
    with right:
        country_scores = analytics.adoption_scores(headline, ["country_code", "country_name"])
        scores = members[["code", "name"]].rename(columns={"code": "country_code", "name": "country_name"})
        scores = scores.merge(country_scores, on=["country_code", "country_name"], how="left")
        scores["detail"] = [
            f"{int(s)} scored answers" if pd.notna(s) else "no submitted survey" for s in scores["scored"]
        ]
        # The title above the map, in the page: inside the figure it is cut and the toolbar sits over it.
        st.markdown(f"**Adoption score by member · {escape_markdown(round_name)}**")
        map_figure = adoption_map(scores, title="", shapes=map_shapes())
        plot(map_figure, key="overview-map", title=f"Adoption score by member · {round_name}")
        map_note(map_figure)
        downloads(name=f"{round_name} country scores", data=scores, figure=map_figure)

    watch = status_counts(["element_id", "element_title"], round_ids=[round_id], scope=analytics.WATCH)
    if not watch.empty and checklist is not None:
        st.header(WATCH_LABEL)
        st.caption(
            "Items from IHE MADO and DICOM CP-2595, after the MCWG sets: kept to see where members stand, never scored."
        )
        watch_counts = analytics.status_counts(watch, checklist.scale)
        st.dataframe(watch_counts, hide_index=True)

if is_public_view():
    st.stop()  # how far drafts have come is not public

st.header("Deployment profiles")
st.caption(
    "What each member runs this round (architectures, transaction stacks, manifest repositories, scope), as its "
    "representative set it; not scored. Empty rows: no profile yet."
)
profiles_table = profile_display_table(profiles_frame(round_id))
st.dataframe(profiles_table, hide_index=True, height=table_height(len(profiles_table)))
downloads(name=f"{round_name} deployment profiles", data=profiles_table)

st.header("Participation")
participation = participation_frame(round_id)
st.caption(
    f"Tracking and adoption ({DRAFT_LABEL}): participation, not adoption. Derived from the survey states of "
    f"{escape_markdown(round_name)} and the change-proposal register; never asked and never scored. "
    f"{int(participation['Survey answered'].sum())} of {len(participation)} members handed in their survey; "
    f"{int((participation['Change proposals raised'] > 0).sum())} raised change proposals."
)
st.dataframe(participation, hide_index=True, height=table_height(len(participation)))

st.header("Completion per member")
stale = stale_counts(round_id)
table = table.merge(stale.rename(columns={"country_code": "Code", "stale": "Old answers"}), on="Code", how="left")
table["Old answers"] = table["Old answers"].fillna(0).astype(int)
left, right = st.columns([3, 2])
with left:
    show_chart(completion_bars(table, title="Share of elements answered"), name=f"{round_name} completion", data=table)
with right:
    not_started = table[table["State"] == "not started"]["Country"].tolist()
    if not_started:
        st.warning("Not started yet: " + escape_markdown(", ".join(not_started)))
    st.dataframe(
        table,
        hide_index=True,
        height=table_height(len(table)),
        column_config={
            "Answered": st.column_config.ProgressColumn("Answered", min_value=0, max_value=1, format="percent"),
            "Old answers": st.column_config.NumberColumn(
                "Old answers", help="Answers given before this round opened, or flagged for re-confirmation"
            ),
            "Unknown": st.column_config.NumberColumn(
                "Unknown", help="Elements still Unknown: unanswered, never scored (a survey may be handed in with some)"
            ),
        },
    )

reconfirmation = reconfirmation_frame(round_id)
if not reconfirmation.empty:
    st.header("Re-confirmation after checklist changes")
    flagged = int(reconfirmation["Carried onto a changed element"].sum())
    done = int(reconfirmation["Re-confirmed"].sum())
    st.caption(
        f"{done} of {flagged} answers carried onto elements that changed in the checklist have been re-confirmed "
        f"({done / flagged:.0%}). Until then they count with their old status."
    )
    st.dataframe(
        reconfirmation,
        hide_index=True,
        column_config={
            "Share re-confirmed": st.column_config.ProgressColumn(
                "Share re-confirmed", min_value=0, max_value=1, format="percent"
            )
        },
    )
