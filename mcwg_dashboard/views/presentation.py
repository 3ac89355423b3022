"""Presentation: the plenary's one-hour call on a shared screen. One topic per screen (key figures, the map,
adoption per set, each set's matrix, what changed since the last plenary, change proposals, the agenda), paged with
the arrow keys or Page Up / Page Down, each screen a link (?screen=...). The same screens as the slide deck."""

import datetime as dt

import pandas as pd
import streamlit as st

from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.reports.data import PlenaryData
from mcwg_dashboard.reports.screens import PlenaryScreens
from mcwg_dashboard.services.proposals import OPEN_STATES
from mcwg_dashboard.ui.context import demo_banner
from mcwg_dashboard.ui.dashboard import (
    answer_frame,
    checklist_of_round,
    countries_frame,
    empty_state,
    map_note,
    map_shapes,
    plot,
    proposal_register,
    round_picker,
    rounds_frame,
)
from mcwg_dashboard.ui.presentation import (
    NEXT_KEY,
    PREVIOUS_KEY,
    keyboard_paging,
    presentation_style,
    show_table,
)
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_selectbox

presentation_style()
demo_banner()

rounds = rounds_frame()
top = st.columns([3, 3, 4, 1, 1])
with top[0]:
    round_id = round_picker("Round", key="round")
if round_id is None or rounds.empty:
    empty_state("No survey round exists yet.")
    st.stop()
by_id = rounds.set_index("id")
round_name = str(by_id.at[round_id, "name"])
answers = answer_frame([round_id])
checklist = checklist_of_round(round_id)
if checklist is None or answers.empty:
    empty_state(f"No submitted answers in {escape_markdown(round_name)} yet.")
    st.stop()

# The last plenary: the previous round with answers (meeting snapshots are compared on the Plenary page).
opens = by_id.at[round_id, "opens_on"]
earlier_ids = [int(r) for r in by_id[by_id["opens_on"] < opens].sort_values("opens_on", ascending=False).index]
with top[1]:
    since = url_selectbox(
        "Changes since",
        [0, *earlier_ids],
        format_func=lambda r: str(by_id.at[r, "name"]) if r else "no comparison",
        key="since_round",
        default=earlier_ids[0] if earlier_ids else 0,
    )
earlier = answer_frame([int(since)]) if since else None
since_date: dt.date | None = None
if since:
    # Decided "since" the earlier round closed (or opened, while it has no closing date).
    for column in ("closes_on", "opens_on"):
        value: object = by_id.at[since, column] if column in by_id.columns else None
        if since_date is None and isinstance(value, dt.date | str) and value:
            since_date = pd.Timestamp(value).date()
members = countries_frame(round_id).rename(columns={"code": "country_code", "name": "country_name"})
proposals = proposal_register()
data = PlenaryData(
    round_name=round_name,
    answers=answers,
    checklist=checklist,
    members=members[["country_code", "country_name", "architectures"]],
    is_demo=bool(answers["round_is_demo"].any()) if "round_is_demo" in answers.columns else False,
    earlier=earlier,
    earlier_label=str(by_id.at[since, "name"]) if since else None,
    since_date=since_date,
    proposals=proposals,
    open_states=frozenset(str(s) for s in OPEN_STATES),
    shapes=map_shapes(),
)
screens = PlenaryScreens(data)

titles = {"figures": "Key figures", "map": "Adoption per member", "sets": "Adoption per recommendation set"}
titles |= {f"matrix-{s.code}": f"{s.code} · {s.title}" for s in checklist.asked_sets}
if earlier is not None:
    titles["changes"] = f"What changed since {data.earlier_label}"
titles |= {"proposals": "Change proposals", "agenda": "Agenda: elements to discuss"}
keys = list(titles)


def _step(offset: int) -> None:
    current = st.session_state.get("screen", keys[0])
    chosen = keys[(keys.index(current) + offset) % len(keys)] if current in keys else keys[0]
    st.session_state["screen"] = chosen
    st.query_params["screen"] = chosen


with top[2]:
    screen = url_selectbox("Screen", keys, format_func=lambda k: titles[k], key="screen") or keys[0]
with top[3]:
    st.write("")
    st.button("Previous", key=PREVIOUS_KEY, on_click=_step, args=(-1,), icon=":material/arrow_back:")
with top[4]:
    st.write("")
    st.button("Next", key=NEXT_KEY, on_click=_step, args=(1,), icon=":material/arrow_forward:")
keyboard_paging()

st.title(f"{titles[screen]}", anchor=False)
st.caption(f"Screen {keys.index(screen) + 1} of {len(keys)} · {escape_markdown(round_name)} · ← → to page")
if screen == "figures":
    figures, _ = screens.key_figures()
    for row in range(0, len(figures), 2):
        for place, (label, figure) in zip(st.columns(2), figures[row : row + 2], strict=False):
            place.metric(label, figure)
elif screen == "map":
    st.caption(escape_markdown(screens.map_subtitle()))
    scores = data.country_scores()
    scores["detail"] = [
        f"{int(n)} scored answers" if pd.notna(n) else "not submitted" for n in scores.get("scored", [])
    ]
    figure = adoption_map(scores, title="", shapes=map_shapes())
    figure.update_layout(height=700, font={"size": 20})
    plot(figure, key="present-map", title=screens.map_subtitle())
    map_note(figure)
elif screen == "sets":
    show_table(screens.set_scores())
elif screen.startswith("matrix-"):
    rec_set = next(s for s in checklist.asked_sets if f"matrix-{s.code}" == screen)
    show_table(screens.matrix(rec_set))
    st.caption(escape_markdown(screens.legend()))
elif screen == "changes":
    table = screens.changes()
    if table is not None:
        show_table(table, limit=14)
elif screen == "proposals":
    show_table(screens.proposals())
else:
    show_table(screens.agenda())
