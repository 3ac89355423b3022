"""Country profile: scores per set against all members and same-architecture members, answers, recent changes."""

import pandas as pd
import streamlit as st

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import peer_bars
from mcwg_dashboard.services.profiles import profile_display_table
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import demo_banner
from mcwg_dashboard.ui.dashboard import (
    answer_frame,
    checklist_of_round,
    countries_frame,
    downloads,
    empty_state,
    is_public_view,
    product_claims,
    profiles_frame,
    round_picker,
    rounds_frame,
    rounds_with_visible_answers,
    score_parts,
    show_chart,
)
from mcwg_dashboard.ui.products import product_gaps_section
from mcwg_dashboard.ui.tables import answers_table, change_counts_text, changes_table
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_selectbox

st.title("Country profile")
demo_banner()

members = countries_frame()
if members.empty:
    empty_state("No members yet. Run `python -m mcwg_dashboard init`.")
    st.stop()
names = dict(zip(members["code"], members["name"], strict=True))
left, right = st.columns(2)
# A representative opens on their own country; everyone else on the first by name.
own = sorted(current_user().countries & set(names))
with left:
    country = url_selectbox(
        "Country or region",
        list(names),
        format_func=lambda c: f"{names[c]} ({c})",
        key="country",
        default=own[0] if own else None,
    )
with right:
    round_id = round_picker(country=country)
checklist = checklist_of_round(round_id)
if country is None or round_id is None or checklist is None:
    empty_state("No survey round exists yet.")
    st.stop()
rounds = rounds_frame().set_index("id")
round_name = str(rounds.at[round_id, "name"])
mine = answer_frame([round_id], columns=analytics.MEMBER_ANSWER_COLUMNS, country_codes=[country])
if not is_public_view():
    table = profile_display_table(profiles_frame(round_id))
    profile = table[table["Code"] == country].iloc[0]
    st.caption(
        f"Deployment profile: architectures {profile['Architectures']}"
        + f" · {profile['Transaction stacks'] or 'stacks not said'}"
        + (f" · {profile['Scope']}" if profile["Scope"] else "")
        + (f" · as given in {profile['From round']}" if profile["From round"] else "")
    )
if mine.empty:
    empty_state(escape_markdown(f"{names[country]} has no submitted answers in {round_name}."))
    st.stop()

# Every member's score per set, from score parts the database sums: only this member's rows are loaded.
peers = analytics.peer_comparison(
    score_parts(["set_code", "country_code", "architectures"], round_ids=[round_id]), country
)
show_chart(
    peer_bars(peers, country_name=names[country], title=f"{names[country]} · score per set · {round_name}"),
    name=f"{country} {round_name} peers",
    data=peers,
)

scale = checklist.scale
st.header("Answers")
table = answers_table(mine, scale)
st.dataframe(table, hide_index=True, column_config={"Evidence": st.column_config.LinkColumn("Evidence")})
downloads(name=f"{country} {round_name} answers", data=table)

product_gaps_section(mine, product_claims(), scale, member=names[country], name=f"{country} {round_name}")

st.header("What changed since the previous round")
opens_on = dict(zip(rounds.index.astype(int), rounds["opens_on"], strict=True))
earlier_ids = [r for r in rounds_with_visible_answers(country) if opens_on[r] < opens_on[round_id]]  # newest first
previous = None
if earlier_ids:
    previous = (
        earlier_ids[0],
        answer_frame([earlier_ids[0]], columns=analytics.ROUND_CHANGE_INPUT, country_codes=[country]),
    )
if previous is None:
    st.info(f"{escape_markdown(names[country])} has no submitted answers in an earlier round to compare with.")
else:
    changes = analytics.round_changes(previous[1], mine)
    changes = changes[changes["change"] != "unchanged"]
    earlier_name = str(rounds.at[previous[0], "name"])
    if changes.empty:
        st.success(f"No answer changed since {escape_markdown(earlier_name)}.")
    else:
        shown = changes_table(changes, scale)
        st.caption(f"Compared with {escape_markdown(earlier_name)}: {change_counts_text(changes)}.")
        st.dataframe(pd.DataFrame(shown), hide_index=True)
        downloads(name=f"{country} changes since {earlier_name}", data=shown)
