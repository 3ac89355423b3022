"""The benchmark's page data paths: each function repeats what its view in mcwg_dashboard/views/ loads (through the
same services), aggregates (analytics) and charts (charts/), as a signed-in member sees it (submitted, validated and
published answers), for the newest round. The map leaves out the synthetic members: they have no shape on it.

Kept apart from the benchmark's driver so a process measuring a page's memory imports only what the page needs.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from sqlmodel import Session, select

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import (
    change_bars,
    completion_bars,
    peer_bars,
    score_bars,
    status_by_round_bars,
    status_distribution_bars,
    status_heatmap,
    trend_lines,
)
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.checklist import Checklist
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import Country, SurveyRound
from mcwg_dashboard.reports.agenda import discussion_agenda
from mcwg_dashboard.services.answer_data import (
    SHARED_STATES,
    load_answer_frame,
    load_scores,
    load_stale_counts,
    load_status_counts,
    rounds_with_answers,
)
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.overview import reconfirmation_table, survey_status_table
from mcwg_dashboard.services.proposals import OPEN_STATES, proposal_frame, proposals_touching
from mcwg_dashboard.services.rounds import list_rounds
from mcwg_dashboard.services.snapshots import list_snapshots


def _newest_round(session: Session) -> SurveyRound:
    return list_rounds(session)[0]


def _rounds_frame(session: Session) -> pd.DataFrame:
    return pd.DataFrame([r.model_dump() for r in list_rounds(session)], columns=list(SurveyRound.model_fields))


def _countries_frame(session: Session) -> pd.DataFrame:
    return pd.DataFrame(
        [c.model_dump() for c in session.exec(select(Country).order_by(Country.name))],
        columns=list(Country.model_fields),
    )


def _checklist_of_round(session: Session, round_id: int) -> Checklist:
    survey_round = session.get(SurveyRound, round_id)
    assert survey_round is not None
    return checklist_for_version(session, survey_round.checklist_version_id)


def _map(scores: pd.DataFrame, title: str) -> go.Figure:
    return adoption_map(scores, title=title)  # the synthetic members have no shape: listed as not drawn


# What each page reads, as its view does (views/*.py): status counts grouped by the database for the figures, answer
# rows only for what is on screen (the matrix, one member's answers, one element's answers).
TREND_GROUPS = ["round_id", "round_name", "round_opens_on", "set_code", "country_code"]
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


def page_overview(session: Session) -> list[go.Figure]:
    rounds_with_answers(session)  # the round picker's default
    round_id = _newest_round(session).id or 0
    rounds = _rounds_frame(session).set_index("id")
    round_name = str(rounds.at[round_id, "name"])
    checklist = _checklist_of_round(session, round_id)
    counts = load_scores(session, by=["country_code", "country_name", "set_code"], round_ids=[round_id])
    members = _countries_frame(session)
    table = survey_status_table(session, round_id=round_id)
    table = table[table["Round"] == round_name].drop(columns=["Round"])
    headline = analytics.headline(counts)
    analytics.overall_score(headline)
    set_scores = analytics.adoption_scores(headline, ["set_code"])
    set_scores["title"] = set_scores["set_code"].map({s.code: s.title for s in checklist.sets})
    country_scores = analytics.adoption_scores(headline, ["country_code", "country_name"])
    scores = members[["code", "name"]].rename(columns={"code": "country_code", "name": "country_name"})
    scores = scores.merge(country_scores, on=["country_code", "country_name"], how="left")
    scores["detail"] = [f"{int(s)} scored answers" if pd.notna(s) else "no submitted survey" for s in scores["scored"]]
    watch = load_status_counts(session, by=["element_id", "element_title"], round_ids=[round_id], scope=analytics.WATCH)
    analytics.status_counts(watch, checklist.scale)
    stale = load_stale_counts(session, round_id=round_id)
    table = table.merge(stale.rename(columns={"country_code": "Code", "stale": "Old answers"}), on="Code", how="left")
    reconfirmation_table(session, round_id)
    return [
        score_bars(set_scores, label="set_code", hover="title", title="Adoption score per recommendation set"),
        _map(scores, f"Adoption score by member · {round_name}"),
        completion_bars(table, title="Share of elements answered"),
    ]


def page_matrix(session: Session) -> list[go.Figure]:
    rounds_with_answers(session)  # the round picker's default
    round_id = _newest_round(session).id or 0
    checklist = _checklist_of_round(session, round_id)
    answers = load_answer_frame(session, round_ids=[round_id], columns=MATRIX_COLUMNS)
    matrix = analytics.status_matrix(answers, sort_by="country")
    analytics.status_glyphs(matrix, checklist.scale)
    return [status_heatmap(matrix, answers, checklist.scale, title="Adoption matrix")]


def page_country(session: Session) -> list[go.Figure]:
    members = _countries_frame(session)
    names = dict(zip(members["code"], members["name"], strict=True))
    country = sorted(names)[-1]  # a country that submitted in every round
    rounds = _rounds_frame(session).set_index("id")
    opens_on = dict(zip(rounds.index.astype(int), rounds["opens_on"], strict=True))
    # The round picker's default: the newest round holding the member's answers.
    answered = sorted(rounds_with_answers(session, country_code=country), key=opens_on.__getitem__, reverse=True)
    round_id = answered[0]
    checklist = _checklist_of_round(session, round_id)
    mine = load_answer_frame(
        session, round_ids=[round_id], columns=analytics.MEMBER_ANSWER_COLUMNS, country_codes=[country]
    )
    counts = load_scores(session, by=["set_code", "country_code", "architectures"], round_ids=[round_id])
    peers = analytics.peer_comparison(counts, country)
    table = mine[["element_id", "element_title", "set_code", "status", "note", "evidence_url", "target_date"]].copy()
    table["status"] = table["status"].map(lambda code: checklist.scale.get(code).display)
    earlier = [r for r in answered if opens_on[r] < opens_on[round_id]]
    if earlier:
        previous = load_answer_frame(
            session, round_ids=[earlier[0]], columns=analytics.ROUND_CHANGE_INPUT, country_codes=[country]
        )
        changes = analytics.round_changes(previous, mine)
        changes[changes["change"] != "unchanged"]["change"].value_counts()
    return [peer_bars(peers, country_name=names[country], title="Score per set")]


def page_element(session: Session) -> list[go.Figure]:
    rounds_with_answers(session)  # the round picker's default
    round_id = _newest_round(session).id or 0
    checklist = _checklist_of_round(session, round_id)
    element_id = next(iter(checklist.elements))
    proposals_touching(proposal_frame(session), [element_id])
    here = load_answer_frame(
        session,
        round_ids=[round_id],
        columns=["country_name", "architectures", "status", "note", "evidence_url", "target_date", "weight"],
        element_ids=[element_id],
    )
    distribution = analytics.status_distribution(here, checklist.scale)
    table = here.sort_values(["weight", "country_name"], ascending=[False, True], na_position="last")
    table["status"].map(lambda code: checklist.scale.get(code).display)
    history = load_status_counts(session, by=["round_id", "round_name", "round_opens_on"], element_ids=[element_id])
    counts = (
        history.groupby(["round_opens_on", "round_name", "status"])["count"]
        .sum()
        .reset_index()
        .sort_values("round_opens_on")
    )
    return [
        status_distribution_bars(distribution, checklist.scale, title=f"{element_id} · status across countries"),
        status_by_round_bars(counts, checklist.scale, title=f"{element_id} · statuses per round"),
    ]


def page_recommendation_set(session: Session) -> list[go.Figure]:
    rounds_with_answers(session)  # the round picker's default
    round_id = _newest_round(session).id or 0
    checklist = _checklist_of_round(session, round_id)
    set_code = checklist.sets[0].code
    register = proposal_frame(session)
    register[register["set_code"] == set_code] if not register.empty else register
    in_set = load_answer_frame(
        session,
        round_ids=[round_id],
        columns=["country_name", "architectures", "element_id", "element_title", "status", "weight"],
        set_codes=[set_code],
    )
    per_country = analytics.adoption_scores(in_set, ["country_name"])
    per_element = analytics.adoption_scores(in_set, ["element_id", "element_title"])
    per_element["label"] = per_element["element_id"]
    trend = analytics.trend_by_set(load_scores(session, by=TREND_GROUPS, set_codes=[set_code]))
    return [
        score_bars(per_country, label="country_name", title=f"{set_code} · score per country"),
        score_bars(per_element, label="label", hover="element_title", title=f"{set_code} · score per element"),
        trend_lines(trend, title=f"{set_code} · adoption across rounds"),
    ]


def page_trends(session: Session) -> list[go.Figure]:
    with_answers = rounds_with_answers(session)
    counts = load_scores(session, by=TREND_GROUPS, round_ids=with_answers)
    trend = analytics.trend_by_set(counts, same_countries_only=False)
    return [trend_lines(trend, title="Adoption score per recommendation set")]


def page_plenary(session: Session) -> list[go.Figure]:
    """Every slide, as the plenary clicks through them, what changed since the previous round, and the agenda.

    The slide deck (.pptx, built on request through Chromium) is not part of the data path."""
    rounds_with_answers(session)  # the round picker's default
    rounds = _rounds_frame(session)
    round_id = _newest_round(session).id or 0
    since = int(rounds.sort_values("opens_on", ascending=False)["id"].iloc[1])
    checklist = _checklist_of_round(session, round_id)
    answers = load_answer_frame(session, round_ids=[round_id], states=SHARED_STATES)
    completion = survey_status_table(session, round_id=round_id)
    completion = completion[completion["Round"] == str(rounds.set_index("id").at[round_id, "name"])]
    members = _countries_frame(session)
    scores = members[["code", "name"]].rename(columns={"code": "country_code", "name": "country_name"})
    scores = scores.merge(
        analytics.adoption_scores(analytics.headline(answers), ["country_code", "country_name"]), how="left"
    )
    scores["detail"] = ""
    set_scores = analytics.adoption_scores(answers[answers["scope"] != analytics.WATCH], ["set_code"])
    list_snapshots(session)
    earlier = load_answer_frame(session, round_ids=[since], columns=analytics.ROUND_CHANGE_INPUT)
    changes = analytics.round_changes(earlier, answers)
    discussion_agenda(answers, proposal_frame(session), open_states=frozenset(str(s) for s in OPEN_STATES))
    return [
        _map(scores, "Adoption score by member"),
        score_bars(set_scores, label="set_code", title="Adoption per set"),
        score_bars(scores, label="country_name", title="Adoption per member"),
        completion_bars(completion, title="Survey completion"),
        status_heatmap(analytics.status_matrix(answers, sort_by="adoption"), answers, checklist.scale, title="Matrix"),
        trend_lines(
            analytics.trend_by_set(load_scores(session, by=TREND_GROUPS)), title="Adoption per set across rounds"
        ),
        change_bars(analytics.change_summary(changes), title="What changed"),
    ]


PAGE_PATHS: dict[str, Callable[[Session], list[go.Figure]]] = {
    "overview": page_overview,
    "matrix": page_matrix,
    "country": page_country,
    "element": page_element,
    "recommendation_set": page_recommendation_set,
    "trends": page_trends,
    "plenary": page_plenary,
}


def peak_rss_mb() -> float:
    """The process's peak resident memory so far: VmHWM on Linux (ru_maxrss of a new process can start at the size
    of the process that started it), else ru_maxrss (KB on Linux, bytes on macOS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def page_memory(database_url: str, page: str) -> tuple[float, float]:
    """(peak RSS after the imports a page needs, peak RSS after one run of its data path), in MB, of this process:
    run in a new process of its own (bench.fresh_process_rss)."""
    engine = make_engine(database_url)
    imported = peak_rss_mb()
    with Session(engine, expire_on_commit=False) as session:
        PAGE_PATHS[page](session)
    engine.dispose()
    return round(imported, 1), round(peak_rss_mb(), 1)
