"""Shared pieces of the dashboard pages: cached data, round pickers, charts with their downloads."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlmodel import Session, select

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.describe import data_table, is_member_map, summary
from mcwg_dashboard.charts.map import MAP_PLOTLY_CONFIG, not_drawn
from mcwg_dashboard.checklist import Checklist
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.exports import PNG_UNAVAILABLE, chromium_available, csv_bytes, png_bytes, xlsx_bytes
from mcwg_dashboard.models import Country, SurveyRound
from mcwg_dashboard.reports.guide import MemberBasis, member_basis
from mcwg_dashboard.services import products
from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.services.answer_data import (
    PUBLISHED_STATES,
    SHARED_STATES,
    load_answer_frame,
    load_scores,
    load_stale_counts,
    load_status_counts,
    rounds_with_answers,
)
from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version
from mcwg_dashboard.services.future_topics import topic_frame
from mcwg_dashboard.services.members import member_shapes, round_member_codes
from mcwg_dashboard.services.overview import participation_table, reconfirmation_table, survey_status_table
from mcwg_dashboard.services.profiles import profile_frame
from mcwg_dashboard.services.proposals import all_transition_events, illustrative, proposal_frame
from mcwg_dashboard.services.rounds import list_rounds
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import data_key, get_engine
from mcwg_dashboard.ui.text import escape_markdown
from mcwg_dashboard.ui.url_state import url_selectbox

PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def _url() -> str:
    return data_key()


Filter = tuple[str, ...] | None


def _as_filter(values: Iterable[Any] | None) -> Filter:
    return None if values is None else tuple(sorted(str(v) for v in values))


@st.cache_data(show_spinner=False, ttl=3600, max_entries=64)
def _answer_frame(
    key: str,
    round_ids: tuple[int, ...] | None,
    states: tuple[str, ...],
    public: bool,
    columns: Filter = None,
    element_ids: Filter = None,
    set_codes: Filter = None,
    country_codes: Filter = None,
) -> pd.DataFrame:
    with session_scope(get_engine()) as session:
        frame = load_answer_frame(
            session,
            round_ids=round_ids,
            states=states,
            columns=columns,
            element_ids=element_ids,
            set_codes=set_codes,
            country_codes=country_codes,
        )
    if public:
        # The public sees published statuses only: no notes or evidence links, which stay internal.
        for internal in ("note", "evidence_url"):
            if internal in frame.columns:
                frame[internal] = ""
    return frame


def is_public_view() -> bool:
    """Published answers only: the public, and vendor accounts (they are not members)."""
    return current_user().role in (Role.PUBLIC, Role.VENDOR)


def guide_basis(code: str, checklist: Checklist) -> MemberBasis | None:
    """A member's newest answers this user may see (published ones for the public), for the clinician guide."""
    with session_scope(get_engine()) as session:
        return member_basis(session, code, checklist, states=_visible_states())


def _visible_states() -> tuple[str, ...]:
    return PUBLISHED_STATES if is_public_view() else SHARED_STATES


def answer_frame(
    round_ids: list[int] | None = None,
    *,
    columns: Iterable[str] | None = None,
    element_ids: Iterable[str] | None = None,
    set_codes: Iterable[str] | None = None,
    country_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The answers this user may see (published only for the public) of these rounds (and elements, sets, members),
    one row each with only the `columns` asked for (all by default), cached per data version."""
    return _answer_frame(
        _url(),
        tuple(sorted(round_ids)) if round_ids is not None else None,
        _visible_states(),
        is_public_view(),
        None if columns is None else tuple(columns),
        _as_filter(element_ids),
        _as_filter(set_codes),
        _as_filter(country_codes),
    )


_AGGREGATES: dict[str, Callable[..., pd.DataFrame]] = {"counts": load_status_counts, "scores": load_scores}


@st.cache_data(show_spinner=False, ttl=3600, max_entries=128)
def _aggregate(
    key: str,
    kind: str,
    by: tuple[str, ...],
    round_ids: tuple[int, ...] | None,
    states: tuple[str, ...],
    element_ids: Filter,
    set_codes: Filter,
    country_codes: Filter,
    scope: str | None,
) -> pd.DataFrame:
    with session_scope(get_engine()) as session:
        return _AGGREGATES[kind](
            session,
            by=by,
            round_ids=round_ids,
            states=states,
            element_ids=element_ids,
            set_codes=set_codes,
            country_codes=country_codes,
            scope=scope,
        )


# What the matrix page reads of each answer (its filters, the grid, the hover texts, the sort by adoption).
MATRIX_COLUMNS = [
    "country_code",
    "country_name",
    "architectures",
    "element_id",
    "element_title",
    "set_code",
    "position",
    "metadata_level",
    "status",
    "note",
    "evidence_url",
    "weight",
]
# The groups of a trend (analytics.trend_by_set): per round, set and member.
TREND_GROUPS = ["round_id", "round_name", "round_opens_on", "set_code", "country_code"]


def status_counts(
    by: list[str],
    *,
    round_ids: list[int] | None = None,
    element_ids: Iterable[str] | None = None,
    set_codes: Iterable[str] | None = None,
    country_codes: Iterable[str] | None = None,
    scope: str | None = None,
) -> pd.DataFrame:
    """Status counts per group of `by`, counted by the database, of the answers this user may see (see
    services.answer_data.load_status_counts); the analytics functions take them like answer rows."""
    return _aggregate(
        _url(),
        "counts",
        tuple(by),
        tuple(sorted(round_ids)) if round_ids is not None else None,
        _visible_states(),
        _as_filter(element_ids),
        _as_filter(set_codes),
        _as_filter(country_codes),
        scope,
    )


def score_parts(
    by: list[str],
    *,
    round_ids: list[int] | None = None,
    set_codes: Iterable[str] | None = None,
    scope: str | None = None,
) -> pd.DataFrame:
    """Adoption score parts per group of `by`, summed by the database, of the answers this user may see (see
    services.answer_data.load_scores); analytics.adoption_scores and trend_by_set take them like answer rows."""
    return _aggregate(
        _url(),
        "scores",
        tuple(by),
        tuple(sorted(round_ids)) if round_ids is not None else None,
        _visible_states(),
        None,
        _as_filter(set_codes),
        None,
        scope,
    )


def stale_counts(round_id: int) -> pd.DataFrame:
    """Per member: answers of the round carried over from before it opened or waiting for re-confirmation."""
    return _frame(_url(), "stale", round_id, _visible_states())


def _rounds_table(session: Session) -> pd.DataFrame:
    return pd.DataFrame([r.model_dump() for r in list_rounds(session)], columns=list(SurveyRound.model_fields))


_COUNTRY_COLUMNS = [name for name in Country.model_fields if name != "shape"]


def _countries_table(session: Session, round_id: int | None = None) -> pd.DataFrame:
    countries = list(session.exec(select(Country).order_by(Country.name)))
    if round_id is not None:
        survey_round = session.get(SurveyRound, round_id)
        codes = round_member_codes(session, survey_round) if survey_round is not None else set()
        countries = [c for c in countries if c.code in codes]
    return pd.DataFrame([c.model_dump(exclude={"shape"}) for c in countries], columns=_COUNTRY_COLUMNS)


# Read-only frames the pages share, by name; cached per database and data version (ui.context.data_key).
_FRAMES: dict[str, Callable[..., pd.DataFrame]] = {
    "rounds": _rounds_table,
    "countries": _countries_table,
    "claims": lambda session, states: products.claims_frame(session, states=states),
    "status": lambda session, round_id=None: survey_status_table(session, round_id=round_id),
    "proposals": proposal_frame,
    "proposal_transitions": all_transition_events,
    "reconfirmation": reconfirmation_table,
    "participation": participation_table,
    "profiles": lambda session, round_id: profile_frame(session, round_id=round_id),
    "future_topics": lambda session, include_retired=False: topic_frame(session, include_retired=include_retired),
    "stale": lambda session, round_id, states: load_stale_counts(session, round_id=round_id, states=states),
    "answered_rounds": lambda session, states, country: pd.DataFrame(
        {"round_id": rounds_with_answers(session, states=states, country_code=country)}, dtype="int64"
    ),
}


@st.cache_data(show_spinner=False, ttl=3600, max_entries=256)
def _frame(key: str, name: str, *args: Any) -> pd.DataFrame:
    with session_scope(get_engine()) as session:
        return _FRAMES[name](session, *args)


def rounds_frame() -> pd.DataFrame:
    """All rounds, newest first."""
    return _frame(_url(), "rounds")


def product_claims() -> pd.DataFrame:
    """The vendor claims this reader may see (services.products.visible_states): validated for members, published
    for the public; cached like every page frame."""
    return _frame(_url(), "claims", products.visible_states(current_user()))


def countries_frame(round_id: int | None = None) -> pd.DataFrame:
    """Every member (retired ones too: their history stays), or with `round_id` that round's members."""
    return _frame(_url(), "countries", round_id)


@st.cache_data(show_spinner=False, ttl=3600, max_entries=16)
def _member_shapes(key: str) -> dict[str, dict[str, Any]]:
    with session_scope(get_engine()) as session:
        return member_shapes(session)


def map_shapes() -> dict[str, dict[str, Any]]:
    """The outlines members brought themselves (`adoption_map(shapes=...)`); the shipped map has the others."""
    return _member_shapes(_url())


def status_table(round_id: int | None = None) -> pd.DataFrame:
    """Survey state and completion per member, of one round (or all)."""
    return _frame(_url(), "status", round_id)


def proposal_register() -> pd.DataFrame:
    """Every change proposal (members only: the pages that call it are not registered for the public)."""
    return _frame(_url(), "proposals")


def proposal_transitions() -> pd.DataFrame:
    """Every state change of every proposal, for the time-in-state figure."""
    return _frame(_url(), "proposal_transitions")


def reconfirmation_frame(round_id: int) -> pd.DataFrame:
    """Re-confirmation progress of a round (counts only, drafts included; members and up)."""
    return _frame(_url(), "reconfirmation", round_id)


def participation_frame(round_id: int) -> pd.DataFrame:
    """Per member: survey handed in this round, change proposals raised (members and up)."""
    return _frame(_url(), "participation", round_id)


def profiles_frame(round_id: int) -> pd.DataFrame:
    """Every member's deployment profile in the round, side by side (members and up)."""
    return _frame(_url(), "profiles", round_id)


def future_topics_frame(*, include_retired: bool = False) -> pd.DataFrame:
    """The possible future topics in list order (retired ones too, for the focus group's editor)."""
    return _frame(_url(), "future_topics", include_retired)


ARCHITECTURE_CHOICES = ["", "A", "B", "C"]


def architecture_filter(answers: pd.DataFrame, *, key: str = "arch") -> pd.DataFrame:
    """ "Compare with members that run ...": a URL-bound picker (?arch=B) that keeps the answers of members whose
    deployment profile in that round includes the architecture."""
    chosen = url_selectbox(
        "Members that run",
        ARCHITECTURE_CHOICES,
        key=key,
        format_func=lambda a: f"architecture {a}" if a else "any architecture",
        help="From each member's deployment profile of the round.",
    )
    return analytics.with_architecture(answers, chosen or "")


def checklist_of_round(round_id: int | None) -> Checklist | None:
    with session_scope(get_engine()) as session:
        if round_id is None:
            version = latest_version(session)
            return checklist_for_version(session, version.id) if version and version.id else None
        survey_round = session.get(SurveyRound, round_id)
        return checklist_for_version(session, survey_round.checklist_version_id) if survey_round else None


def rounds_with_visible_answers(country: str | None = None) -> list[int]:
    """Rounds holding answers this user may see (of `country`, when given), newest first; no answer is loaded."""
    answered = set(_frame(_url(), "answered_rounds", _visible_states(), country)["round_id"])
    return [r for r in rounds_frame()["id"].astype(int).tolist() if r in answered]


def round_picker(label: str = "Survey round", *, key: str = "round", country: str | None = None) -> int | None:
    """A round chooser kept in the URL (?round=ID). Defaults to the newest round with answers this user may see
    (of `country`, when given)."""
    rounds = rounds_frame()
    if rounds.empty:
        return None
    options = rounds["id"].astype(int).tolist()
    names = dict(zip(options, rounds["name"], strict=True))
    with_answers = rounds_with_visible_answers(country)
    choice = url_selectbox(
        label, options, format_func=lambda rid: names[rid], key=key, default=with_answers[0] if with_answers else None
    )
    return int(choice) if choice is not None else None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "data"


def show_chart(figure: go.Figure, *, name: str, data: pd.DataFrame | None = None, key: str | None = None) -> None:
    """The chart's title in the page, the chart under it, then its downloads: data as CSV and Excel, the chart as PNG
    (built only on click, with its title). A title inside a narrow figure gets cut and the toolbar sits over it."""
    title = html.unescape(str(figure.layout.title.text or ""))  # the figure holds it HTML-escaped
    shown = go.Figure(figure)
    if title:
        st.markdown(f"**{escape_markdown(title)}**")
        shown.update_layout(title=None, margin={"t": 30})
    plot(shown, key=key or f"chart-{slug(name)}", title=title)
    downloads(name=name, data=data, figure=figure)


# Gives every chart drawn by plot() an accessible name: its summary, the caption under it. Streamlit offers no
# attribute on a chart's element, so a page script sets role and label (again after each rerun redraws it).
_CHART_NAMES = """
<script>
const doc = window.parent.document;
const nameCharts = () => doc.querySelectorAll('[class*="st-key-figure-"]').forEach((box) => {
  const chart = box.querySelector('[data-testid="stPlotlyChart"]');
  const caption = box.querySelector('[data-testid="stCaptionContainer"]');
  if (!chart || !caption) return;
  const label = caption.textContent.trim();
  if (chart.getAttribute("aria-label") !== label) {
    chart.setAttribute("role", "figure");
    chart.setAttribute("aria-label", label);
  }
});
if (!window.parent.mcwgChartNames) {
  window.parent.mcwgChartNames = new MutationObserver(nameCharts);
  window.parent.mcwgChartNames.observe(doc.body, {childList: true, subtree: true});
}
nameCharts();
</script>
"""


def plot(figure: go.Figure, *, key: str, title: str | None = None) -> None:
    """A chart with its words: the chart, a summary under it (what it shows, its extremes; also the chart's
    accessible name) and its data as a table one click away. A member map lists every member's score."""
    config = MAP_PLOTLY_CONFIG if is_member_map(figure) else PLOTLY_CONFIG
    with st.container(key=f"figure-{slug(key)}"):
        st.plotly_chart(figure, theme=None, config=config, key=key)
        st.caption(escape_markdown(summary(figure, title=title or None)))
        with st.expander("Data table"):
            st.dataframe(data_table(figure), hide_index=True)
    st.html(_CHART_NAMES, unsafe_allow_javascript=True)


def table_height(rows: int) -> int:
    """Pixels for a table to show all its rows without scrolling (every member: 11 rows and the header)."""
    return 35 * (rows + 1) + 3


def downloads(
    *, name: str, data: pd.DataFrame | Callable[[], pd.DataFrame] | None = None, figure: go.Figure | None = None
) -> None:
    """CSV, Excel and PNG downloads. `data` may be a function, called on click: non-public data is then read
    again with the reader's rights as they are at that moment, not as they were when the page ran."""
    file = slug(name)
    columns = st.columns(3)
    if data is not None:
        frame: Callable[[], pd.DataFrame] = data if callable(data) else (lambda: data)
        columns[0].download_button(
            "Data (CSV)",
            data=lambda: csv_bytes(frame()),
            file_name=f"{file}.csv",
            mime="text/csv",
            key=f"csv-{file}",
            on_click="ignore",
        )
        columns[1].download_button(
            "Data (Excel)",
            data=lambda: xlsx_bytes(frame()),
            file_name=f"{file}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"xlsx-{file}",
            on_click="ignore",
        )
    if figure is not None:
        if chromium_available():
            columns[2].download_button(
                "Chart (PNG)",
                data=lambda: png_bytes(figure),
                file_name=f"{file}.png",
                mime="image/png",
                key=f"png-{file}",
                on_click="ignore",
            )
        else:
            columns[2].caption(PNG_UNAVAILABLE)


def map_note(figure: go.Figure) -> None:
    """Under an adoption map: the members it could not draw (no shape), with their scores."""
    text = not_drawn(figure)
    if text:
        st.caption(escape_markdown(text))


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")


def proposal_list(frame: pd.DataFrame, *, empty_message: str) -> None:
    """A short list of change proposals, each a link to its page (for the element and set pages)."""
    st.header("Change proposals", anchor=False)
    if frame.empty:
        st.caption(empty_message)
        return
    for row in frame.to_dict("records"):
        demo = " (demo)" if row["is_demo"] else ""
        number = illustrative(row["number"], "number", row["illustrative_fields"])
        st.page_link(
            "mcwg_dashboard/views/proposal.py",
            # A page link's label renders markdown: the title is the submitter's text.
            label=escape_markdown(
                f"{number} · {row['title']}{demo} — {row['state_label']} · {', '.join(row['element_ids'])}"
            ),
            query_params={"proposal": row["number"]},
            icon=":material/description:",
        )
