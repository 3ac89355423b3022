"""Analytics against figures computed by hand on a tiny dataset."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from mcwg_dashboard import analytics
from mcwg_dashboard.checklist import load_checklist

WEIGHTS = {"IMPL": 1.0, "VAR": 0.85, "PART": 0.5, "PLAN": 0.25, "CONS": 0.1, "NOPL": 0.0, "NA": None, "UNK": None}
ROUNDS = {1: ("R1", dt.date(2024, 3, 1)), 2: ("R2", dt.date(2025, 3, 1))}
COUNTRIES = {"AA": ("Alpha", "A"), "BB": ("Bravo", "A,B"), "CC": ("Charlie", "C")}
ELEMENTS = {"X-01": ("X", 1), "X-02": ("X", 2), "Y-01": ("Y", 3)}


def frame(rows: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    records = []
    for round_id, country, element, status in rows:
        name, opens = ROUNDS[round_id]
        set_code, position = ELEMENTS[element]
        records.append(
            {
                "round_id": round_id,
                "round_name": name,
                "round_opens_on": opens,
                "country_code": country,
                "country_name": COUNTRIES[country][0],
                "architectures": COUNTRIES[country][1],
                "element_id": element,
                "set_code": set_code,
                "position": position,
                "status": status,
                "weight": WEIGHTS[status],
                "answered_at": dt.datetime.combine(opens, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(days=3),
                "needs_reconfirmation": False,
            }
        )
    return pd.DataFrame(records).astype({"weight": "float64"})


R1 = frame(
    [
        (1, "AA", "X-01", "IMPL"),
        (1, "AA", "X-02", "PART"),
        (1, "AA", "Y-01", "NA"),
        (1, "BB", "X-01", "PLAN"),
        (1, "BB", "X-02", "NOPL"),
        (1, "BB", "Y-01", "IMPL"),
    ]
)
R2 = frame(
    [
        (2, "AA", "X-01", "VAR"),
        (2, "AA", "X-02", "IMPL"),
        (2, "AA", "Y-01", "NA"),
        (2, "BB", "X-01", "PLAN"),
        (2, "BB", "X-02", "NA"),
        (2, "CC", "X-01", "IMPL"),
        (2, "CC", "Y-01", "CONS"),
    ]
)


def test_scores_ignore_statuses_without_weight() -> None:
    scores = analytics.adoption_scores(R1, ["country_code"]).set_index("country_code")
    assert scores.loc["AA", "score"] == pytest.approx((1.0 + 0.5) / 2)
    assert scores.loc["AA", "scored"] == 2
    assert scores.loc["AA", "answers"] == 3
    assert scores.loc["BB", "score"] == pytest.approx((0.25 + 0.0 + 1.0) / 3)
    assert analytics.overall_score(R1) == pytest.approx((1.0 + 0.5 + 0.25 + 0.0 + 1.0) / 5)


def test_score_is_nan_when_nothing_is_scored() -> None:
    only_na = frame([(1, "AA", "Y-01", "NA")])
    assert math.isnan(analytics.adoption_scores(only_na, ["country_code"])["score"].iloc[0])
    assert math.isnan(analytics.overall_score(only_na))
    assert math.isnan(analytics.overall_score(R1.iloc[0:0]))


def test_peer_comparison_uses_per_country_means_and_shared_architectures() -> None:
    peers = analytics.peer_comparison(R1, "AA").set_index("set_code")
    assert peers.loc["X", "country"] == pytest.approx(0.75)
    assert peers.loc["X", "all_members"] == pytest.approx((0.75 + 0.125) / 2)
    # AA (A) shares architecture A with BB (A,B).
    assert peers.loc["X", "same_architecture"] == pytest.approx((0.75 + 0.125) / 2)
    assert peers.isna().at["Y", "country"]
    assert peers.loc["Y", "all_members"] == pytest.approx(1.0)
    r2_peers = analytics.peer_comparison(R2, "CC").set_index("set_code")
    assert r2_peers.loc["X", "same_architecture"] == pytest.approx(1.0), "CC shares no architecture: only itself"


def test_matrix_orders_by_name_or_adoption() -> None:
    matrix = analytics.status_matrix(R1)
    assert list(matrix.index) == ["AA", "BB"]
    assert list(matrix.columns) == ["X-01", "X-02", "Y-01"]
    assert matrix.loc["BB", "X-02"] == "NOPL"
    by_adoption = analytics.status_matrix(R2, sort_by="adoption")
    assert list(by_adoption.index) == ["AA", "CC", "BB"]  # 0.925, 0.55, 0.25
    assert by_adoption.isna().at["CC", "X-02"]


def test_round_changes_classify_upgrades_downgrades_and_new() -> None:
    changes = analytics.round_changes(R1, R2).set_index(["country_code", "element_id"])["change"]
    assert changes[("AA", "X-01")] == "downgrade"  # IMPL -> VAR
    assert changes[("AA", "X-02")] == "upgrade"  # PART -> IMPL
    assert changes[("AA", "Y-01")] == "unchanged"
    assert changes[("BB", "X-01")] == "unchanged"
    assert changes[("BB", "X-02")] == "changed"  # NOPL -> NA: no weight to compare
    assert changes[("CC", "X-01")] == "new"
    summary = analytics.change_summary(analytics.round_changes(R1, R2)).set_index("country_code")
    assert [summary.at["AA", k] for k in ("upgrade", "downgrade", "new", "changed")] == [1, 1, 0, 0]
    assert summary.loc["CC", "new"] == 2


def test_trend_can_compare_only_countries_in_every_round() -> None:
    both = pd.concat([R1, R2], ignore_index=True)
    trend = analytics.trend_by_set(both).set_index(["round_name", "set_code"])
    assert trend.loc[("R2", "X"), "score"] == pytest.approx((0.925 + 0.25 + 1.0) / 3)
    assert trend.loc[("R2", "X"), "countries"] == 3
    same = analytics.trend_by_set(both, same_countries_only=True).set_index(["round_name", "set_code"])
    assert same.loc[("R2", "X"), "score"] == pytest.approx((0.925 + 0.25) / 2)
    assert same.loc[("R2", "X"), "countries"] == 2
    assert same.loc[("R1", "X"), "score"] == pytest.approx((0.75 + 0.125) / 2)


def test_status_distribution_keeps_the_scale_order() -> None:
    scale = load_checklist().scale
    distribution = analytics.status_distribution(R2[R2["element_id"] == "X-01"], scale)
    assert distribution["status"].tolist() == scale.codes
    assert dict(zip(distribution["status"], distribution["count"], strict=True))["IMPL"] == 1
    assert distribution["count"].sum() == 3


def test_stale_answers_count_carried_over_and_flagged() -> None:
    data = R2.copy()
    data.loc[0, "answered_at"] = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    data.loc[5, "needs_reconfirmation"] = True
    stale = analytics.stale_answers(data).set_index("country_code")["stale"]
    assert stale.to_dict() == {"AA": 1, "BB": 0, "CC": 1}


def test_empty_inputs_give_empty_results() -> None:
    empty = R1.iloc[0:0]
    assert analytics.adoption_scores(empty, ["country_code"]).empty
    assert analytics.status_matrix(empty).empty
    assert analytics.round_changes(empty, empty).empty
    assert analytics.trend_by_set(empty).empty
    assert analytics.peer_comparison(empty, "AA").empty


def test_latest_statuses_take_each_countrys_most_recent_round() -> None:
    """Impact of a proposal on X-01 and X-02: AA and BB from R2, CC only answered X-01 (in R2)."""
    answers = pd.concat([R1, R2], ignore_index=True)
    impact = analytics.latest_statuses(answers, ["X-01", "X-02"])
    assert [
        tuple(r) for r in impact[["country_code", "element_id", "status", "round_name"]].itertuples(index=False)
    ] == [
        ("AA", "X-01", "VAR", "R2"),
        ("AA", "X-02", "IMPL", "R2"),
        ("BB", "X-01", "PLAN", "R2"),
        ("BB", "X-02", "NA", "R2"),
        ("CC", "X-01", "IMPL", "R2"),
    ]
    only_r1 = analytics.latest_statuses(pd.concat([R1, R2[R2["country_code"] != "AA"]]), ["X-02"])
    assert only_r1.set_index("country_code").loc["AA", "round_name"] == "R1"
    assert analytics.latest_statuses(R1.iloc[0:0], ["X-01"]).empty


def test_reconfirmation_progress_counts_changed_elements_only() -> None:
    data = R2.copy()
    data["element_changed"] = data["element_id"] == "X-01"
    data["needs_reconfirmation"] = data["element_changed"] & data["country_code"].isin(["BB"])
    progress = analytics.reconfirmation_progress(data)
    assert list(progress["element_id"]) == ["X-01"]
    row = progress.iloc[0]
    assert (row["flagged"], row["reconfirmed"]) == (3, 2)
    assert row["share"] == pytest.approx(2 / 3)
    assert analytics.reconfirmation_progress(R2).empty  # no element_changed column: nothing flagged


def test_time_in_state_runs_until_the_next_change_or_now() -> None:
    day = pd.Timestamp("2026-01-01", tz="UTC")
    transitions = pd.DataFrame(
        [
            (1, day, "submitted"),
            (1, day + pd.Timedelta(days=3), "triaged"),
            (1, day + pd.Timedelta(days=10), "rejected"),
            (2, day + pd.Timedelta(days=5), "submitted"),
        ],
        columns=["proposal_id", "at", "to_state"],
    )
    spent = analytics.time_in_state(transitions, now=day + pd.Timedelta(days=20))
    rows = [(r.proposal_id, r.state, r.days, r.current) for r in spent.itertuples()]
    assert rows == [(1, "submitted", 3.0, False), (1, "triaged", 7.0, False), (2, "submitted", 15.0, True)]
    assert analytics.time_in_state(transitions.iloc[0:0], now=day).empty


def test_status_glyphs_show_each_status_and_leave_no_answer_empty() -> None:
    scale = load_checklist().scale
    matrix = pd.DataFrame({"E-1": ["IMPL", None], "E-2": [float("nan"), "NA"]}, index=["AA", "BB"])
    grid = analytics.status_glyphs(matrix, scale)
    assert grid.to_dict() == {
        "E-1": {"AA": scale.get("IMPL").display, "BB": ""},
        "E-2": {"AA": "", "BB": scale.get("NA").display},
    }
