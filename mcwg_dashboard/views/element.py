"""Element page: where the countries stand on one checklist element, with their notes, and its trend."""

import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import status_by_round_bars, status_distribution_bars
from mcwg_dashboard.checklist import WATCH_LABEL
from mcwg_dashboard.services.proposals import proposals_touching
from mcwg_dashboard.ui.context import demo_banner
from mcwg_dashboard.ui.dashboard import (
    answer_frame,
    architecture_filter,
    checklist_of_round,
    downloads,
    empty_state,
    proposal_list,
    proposal_register,
    round_picker,
    rounds_frame,
    show_chart,
    status_counts,
    table_height,
)
from mcwg_dashboard.ui.tables import blank
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_selectbox

st.title("Element")
demo_banner()

left, right = st.columns(2)
with right:
    round_id = round_picker()
checklist = checklist_of_round(round_id)
if round_id is None or checklist is None:
    empty_state("No survey round exists yet.")
    st.stop()
elements = checklist.elements
scale = checklist.scale
with left:
    element_id = url_selectbox(
        "Element",
        list(checklist.elements),
        format_func=lambda e: f"{e} · {elements[e].title}",
        key="element",
    )
assert element_id is not None
element = checklist.elements[element_id]
rec_set = checklist.set_of(element_id)
round_name = str(rounds_frame().set_index("id").at[round_id, "name"])

# Checklist text changes through applied change proposals: shown as text.
st.header(escape_markdown(f"{element.id} · {element.title}"))
st.markdown(escape_markdown(element.explanation))
facts = [f"Set: {rec_set.code} · {rec_set.title}"]
if element.standards:
    facts.append("Standards: " + "; ".join(element.standards))
if element.level_text:
    facts.append(f"Metadata level: {element.level_text}")
facts.append("Applies to architectures " + ", ".join(element.architectures))
facts.append("with the stacks " + ", ".join(stack.label for stack in element.stacks))
if element.set_by:
    facts.append(f"Set by {element.set_by}")
if element.is_watch:
    facts.append(f"{WATCH_LABEL}: shown, never scored.")
if not rec_set.is_final:
    facts.append(f"{rec_set.maturity}: not in the headline figures.")
if element.inferred:
    facts.append("Inferred from secondary sources; the focus group may refine it.")
st.caption("  \n".join(escape_markdown(fact) for fact in facts))
proposal_list(
    proposals_touching(proposal_register(), [element_id]),
    empty_message=f"No change proposal targets {element_id}.",
)

here = architecture_filter(
    answer_frame(
        [round_id],
        columns=["country_name", "architectures", "status", "note", "evidence_url", "target_date", "weight"],
        element_ids=[element_id],
    )
)
if here.empty:
    empty_state(f"No submitted answers on {element_id} in {escape_markdown(round_name)}.")
else:
    distribution = analytics.status_distribution(here, checklist.scale)
    show_chart(
        status_distribution_bars(distribution, checklist.scale, title=f"{element_id} · status across countries"),
        name=f"{element_id} {round_name} distribution",
        data=distribution,
    )
    st.header("Which countries stand where")
    table = here.sort_values(["weight", "country_name"], ascending=[False, True], na_position="last")[
        ["country_name", "status", "note", "evidence_url", "target_date"]
    ].copy()
    table["status"] = table["status"].map(lambda code: scale.get(code).display)
    table[["note", "evidence_url", "target_date"]] = table[["note", "evidence_url", "target_date"]].map(blank)
    st.dataframe(
        table,
        hide_index=True,
        height=table_height(len(table)),
        column_config={
            "country_name": "Country",
            "status": "Status",
            "note": "Note",
            "evidence_url": st.column_config.LinkColumn("Evidence"),
            "target_date": "Target date",
        },
    )
    downloads(name=f"{element_id} {round_name} answers", data=table)

st.header("Across rounds")
history = status_counts(["round_id", "round_name", "round_opens_on"], element_ids=[element_id])
counts = (
    history.groupby(["round_opens_on", "round_name", "status"])["count"]
    .sum()
    .reset_index()
    .sort_values("round_opens_on")
)
show_chart(
    status_by_round_bars(counts, checklist.scale, title=f"{element_id} · statuses per round"),
    name=f"{element_id} trend",
    data=counts,
)
st.page_link(
    "mcwg_dashboard/views/recommendation_set.py",
    label=f"Open the {rec_set.code} set",
    query_params={"set": rec_set.code, "round": str(round_id)},
    icon=":material/arrow_forward:",
)
