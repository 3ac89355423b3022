"""The generated agenda against a ranking computed by hand on a small dataset."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from mcwg_dashboard.reports.agenda import AGENDA_COLUMNS, discussion_agenda, meeting_agenda

WEIGHTS = {"IMPL": 1.0, "VAR": 0.85, "PART": 0.5, "PLAN": 0.25, "CONS": 0.1, "NOPL": 0.0, "NA": None, "UNK": None}
OPENS = dt.date(2025, 3, 1)
POSITIONS = {"X-01": 1, "X-02": 2, "Y-01": 3, "Y-02": 4, "Z-01": 5}
# element -> statuses of countries AA, BB, CC, DD
STATUSES = {
    "X-01": ["IMPL", "IMPL", "IMPL", "IMPL"],
    "X-02": ["PART", "VAR", "PART", "IMPL"],
    "Y-01": ["NOPL", "IMPL", "NOPL", "IMPL"],
    "Y-02": ["NOPL", "NOPL", "NA", "PLAN"],
    "Z-01": ["IMPL", "IMPL", "IMPL", "IMPL"],
}
# (element, country) answered before the round opened: carried over.
CARRIED = {("Y-01", "AA"), ("Y-01", "CC")}


def answers() -> pd.DataFrame:
    rows = []
    for element, statuses in STATUSES.items():
        for country, status in zip(["AA", "BB", "CC", "DD"], statuses, strict=True):
            when = OPENS - dt.timedelta(days=200) if (element, country) in CARRIED else OPENS + dt.timedelta(days=3)
            rows.append(
                {
                    "round_opens_on": OPENS,
                    "country_code": country,
                    "element_id": element,
                    "element_title": f"Title of {element}",
                    "set_code": element[0],
                    "position": POSITIONS[element],
                    "status": status,
                    "weight": WEIGHTS[status],
                    "answered_at": dt.datetime.combine(when, dt.time(9), tzinfo=dt.UTC),
                    "needs_reconfirmation": False,
                }
            )
    return pd.DataFrame(rows).astype({"weight": "float64"})


def proposals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "number": ["2025-004", "2025-005", "2025-006"],
            "title": ["Open one", "Closed one", "Open, other element"],
            "state": ["submitted", "rejected", "in_review"],
            "element_ids": [["Y-01"], ["Y-01", "X-02"], []],
        }
    )


def test_agenda_ranks_elements_as_computed_by_hand() -> None:
    agenda = discussion_agenda(answers(), proposals(), open_states={"submitted", "in_review"})
    # By hand (weights .35 low adoption, .2 partial/variant, .2 disagreement, .1 stale, .15 open proposals):
    # Y-01: adoption .5 -> .175; spread .5 -> disagreement 1 -> .2; stale 2/4 -> .05; 1 open proposal -> .05 = 47.5
    # Y-02: adoption .0833 -> .3208; spread .1179 -> .2357 -> .0471 = 36.8
    # adoption .7125 -> .1006; partial/variant 3/4 -> .15; spread .2190 -> .4380 -> .0876 = 33.8
    # X-01 and Z-01: 0, in checklist order.
    assert agenda["element_id"].tolist() == ["Y-01", "Y-02", "X-02", "X-01", "Z-01"]
    assert agenda["rank"].tolist() == [1, 2, 3, 4, 5]
    assert agenda["discussion_score"].tolist() == [47.5, 36.8, 33.8, 0.0, 0.0]
    assert list(agenda.columns) == AGENDA_COLUMNS
    reasons = dict(zip(agenda["element_id"], agenda["reasons"], strict=True))
    assert reasons["Y-01"] == (
        "answers differ widely between members (spread 0.50); 2 answers carried over or to re-confirm; "
        "1 open change proposal (2025-004)"
    )
    assert reasons["Y-02"] == "low adoption (8% over 3 scored answers)"  # Not applicable is not scored
    assert reasons["X-02"] == "3 of 4 answers partial or variant"
    assert reasons["X-01"] == "no strong signal"
    row = agenda.set_index("element_id").loc["Y-02"]
    assert row["adoption"] == 0.083  # 0.25 / 3, rounded
    assert row["answers"] == 4


def test_closed_proposals_and_unknown_states_do_not_count() -> None:
    agenda = discussion_agenda(answers(), proposals(), open_states=set()).set_index("element_id")
    assert agenda.loc["Y-01", "open_proposals"] == 0
    assert agenda.loc["Y-01", "discussion_score"] == 42.5


def test_agenda_without_proposals_or_answers() -> None:
    assert discussion_agenda(answers()).set_index("element_id").loc["Y-01", "discussion_score"] == 42.5
    assert discussion_agenda(answers().iloc[0:0]).empty


def _ranked(rows: list[tuple[str, float, str, str]]) -> pd.DataFrame:
    """An agenda frame with the given (element, score, reasons, kinds) and the signal columns meeting_agenda reads."""
    frame = pd.DataFrame(rows, columns=["element_id", "discussion_score", "reasons", "reason_kinds"])
    low = frame["reason_kinds"].str.contains("low_adoption")
    return frame.assign(
        rank=range(1, len(frame) + 1),
        element_title="t",
        adoption=low.map({True: 0.2, False: 0.9}),
        partial_variant=frame["reason_kinds"].str.contains("partial_variant").astype(float),
        disagreement=frame["reason_kinds"].str.contains("disagreement").astype(float),
        stale=1.0,
        open_proposals=frame["reason_kinds"].str.contains("open_proposals").astype(int),
    )


def test_meeting_agenda_says_a_common_reason_once_and_takes_reasons_in_turn() -> None:
    stale = "5 answers carried over or to re-confirm"
    ranked = _ranked(
        [
            ("A-01", 60, f"low adoption (20% over 5 scored answers); {stale}", "low_adoption; stale"),
            ("A-02", 59, f"low adoption (21% over 5 scored answers); {stale}", "low_adoption; stale"),
            ("A-03", 58, f"low adoption (22% over 5 scored answers); {stale}", "low_adoption; stale"),
            ("B-01", 40, f"answers differ widely between members (spread 0.40); {stale}", "disagreement; stale"),
            ("C-01", 30, f"1 open change proposal (CP-1); {stale}", "open_proposals; stale"),
            ("D-01", 20, stale, "stale"),
            ("E-01", 0, "no strong signal", ""),
        ]
    )
    chosen, notes = meeting_agenda(ranked, size=4)
    # One of each main reason first (low adoption, disagreement, proposal), then the next best low-adoption one;
    # D-01's only reason is the common one, E-01 has none.
    assert chosen["element_id"].tolist() == ["A-01", "A-02", "B-01", "C-01"]
    assert chosen["reasons"].tolist()[0] == "low adoption (20% over 5 scored answers)"
    assert not chosen["reasons"].str.contains("carried over").any()
    assert notes == ["Common to most elements, so not repeated per row: answers carried over or to re-confirm."]
    assert chosen["main_reason"].tolist() == [
        "low adoption",
        "low adoption",
        "members disagree",
        "open change proposals",
    ]


def test_meeting_agenda_skips_an_element_whose_reasons_repeat_a_chosen_one() -> None:
    same = "4 of 5 answers partial or variant"
    ranked = _ranked(
        [
            ("A-01", 50, same, "partial_variant"),
            ("A-02", 49, same, "partial_variant"),
            ("A-03", 48, "low adoption (20% over 5 scored answers)", "low_adoption"),
            ("A-04", 47, "low adoption (30% over 5 scored answers)", "low_adoption"),
            ("A-05", 46, "answers differ widely between members (spread 0.40)", "disagreement"),
        ]
    )
    chosen, notes = meeting_agenda(ranked, size=8)
    assert chosen["element_id"].tolist() == ["A-01", "A-03", "A-04", "A-05"]
    assert notes == []  # no reason is shared by more than half of the candidates


def test_meeting_agenda_of_nothing_to_discuss_is_empty() -> None:
    chosen, notes = meeting_agenda(discussion_agenda(answers()).assign(discussion_score=0.0))
    assert chosen.empty and notes == []
