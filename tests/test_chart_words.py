"""Every chart in words (charts.describe) and never by colour alone: summaries, data tables, segment labels."""

from __future__ import annotations

import pandas as pd

from mcwg_dashboard import analytics
from mcwg_dashboard.charts import adoption as charts
from mcwg_dashboard.charts.describe import data_table, summary
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.charts.palette import text_colour
from mcwg_dashboard.checklist import load_checklist
from tests.test_analytics import R1, R2
from tests.test_map import MEMBERS, scores_frame

SCALE = load_checklist().scale


def test_bar_summary_names_the_highest_and_lowest_and_the_table_has_every_bar() -> None:
    scores = analytics.adoption_scores(R2, ["country_name"])
    figure = charts.score_bars(scores, label="country_name", title="Score per member")
    assert summary(figure) == "Score per member: 3 bars; highest Alpha (92%), lowest Bravo (25%)."
    table = data_table(figure)
    assert dict(zip(table[""], table["Value"], strict=True)) == {"Alpha": "92%", "Bravo": "25%", "Charlie": "55%"}


def test_a_bar_without_scored_answers_is_never_called_the_lowest() -> None:
    scores = pd.DataFrame({"set_code": ["A", "B"], "score": [0.4, float("nan")], "scored": [3, 0], "answers": [3, 2]})
    figure = charts.score_bars(scores, label="set_code", title="Sets")
    assert summary(figure) == "Sets: 2 bars; highest A (40%), lowest A (40%)."
    assert list(data_table(figure)["Value"]) == ["no scored answers", "40%"]


def test_peer_bars_are_described_per_series() -> None:
    figure = charts.peer_bars(analytics.peer_comparison(R1, "AA"), country_name="Alpha", title="Peers")
    text = summary(figure)
    assert text.startswith("Peers: ") and "in 3 series" in text and "highest" in text
    table = data_table(figure)
    assert list(table.columns) == ["", "Alpha", "All members (average)", "Same architecture (average)"]


def test_stacked_statuses_carry_their_glyph_and_count_on_every_segment() -> None:
    counts = pd.DataFrame({"round_name": ["R1", "R1", "R2"], "status": ["IMPL", "PART", "IMPL"], "count": [2, 1, 3]})
    figure = charts.status_by_round_bars(counts, SCALE, title="Statuses per round")
    implemented, partial = (trace for trace in figure.data)
    assert list(implemented.text) == [f"{SCALE.get('IMPL').glyph} 2", f"{SCALE.get('IMPL').glyph} 3"]
    assert list(partial.text) == [f"{SCALE.get('PART').glyph} 1", ""], "an empty segment has no label"
    assert implemented.textposition == "inside"
    implemented_total, partial_total = f"{SCALE.get('IMPL').display} 5", f"{SCALE.get('PART').display} 1"
    expected = f"Statuses per round: stacked bars for 2 groups; in all: {implemented_total}, {partial_total}."
    assert summary(figure) == expected


def test_change_segments_carry_their_glyph_and_count() -> None:
    summary_frame = pd.DataFrame(
        {
            "country_code": ["AA"],
            "country_name": ["Alpha"],
            "upgrade": [2],
            "downgrade": [0],
            "new": [1],
            "changed": [0],
        }
    )
    figure = charts.change_bars(summary_frame, title="What changed")
    assert [list(trace.text) for trace in figure.data] == [["▲ 2"], [""], ["✚ 1"], [""]]


def test_segment_labels_read_on_their_fill() -> None:
    assert text_colour("#08519C") == "#FFFFFF"
    assert text_colour("#FFFFFF") == "#000000"
    assert text_colour("#FDD0A2") == "#000000"


def test_the_map_lists_every_member_with_its_score_in_words() -> None:
    values = {code: None for code in MEMBERS} | {"AT": 0.62, "FR": 0.4}
    figure = adoption_map(scores_frame(values), title="Adoption by member")
    text = summary(figure)
    assert text.startswith("Adoption by member: ")
    assert f"{MEMBERS['AT']} 62%" in text and f"{MEMBERS['FR']} 40%" in text
    assert text.count("no answers") == len(MEMBERS) - 2
    table = data_table(figure)
    assert len(table) == len(MEMBERS)
    assert dict(zip(table["Member"], table["Score"], strict=True))[MEMBERS["AT"]] == "62%"


def test_a_member_without_a_shape_is_in_the_words_too() -> None:
    scores = scores_frame({"AT": 0.5})
    scores = pd.concat(
        [scores, pd.DataFrame([{"country_code": "IE", "country_name": "Ireland", "score": 0.3, "detail": ""}])],
        ignore_index=True,
    )
    figure = adoption_map(scores, title="Map")
    assert "Ireland 30%" in summary(figure)


def test_heatmap_words_say_its_size_and_its_table_has_the_glyphs() -> None:
    answers = R2.assign(note="", evidence_url="", element_title=R2["element_id"] + " title")
    figure = charts.status_heatmap(analytics.status_matrix(answers), answers, SCALE, title="Matrix")
    assert summary(figure).startswith("Matrix: 3 members by 3 elements")
    table = data_table(figure)
    assert list(table["Member"]) == ["Alpha", "Bravo", "Charlie"]
    assert table.iloc[0, 1] == SCALE.get("VAR").glyph


def test_trend_words_give_each_line_from_first_to_last() -> None:
    trend = analytics.trend_by_set(pd.concat([R2, R1], ignore_index=True))
    figure = charts.trend_lines(trend, title="Trend")
    text = summary(figure)
    assert text.startswith("Trend: 2 lines (X from ") and "; Y from " in text
    assert list(data_table(figure)[""]) == ["R1", "R2"]


def test_an_empty_chart_says_why() -> None:
    assert summary(charts.trend_lines(pd.DataFrame(), title="Trend")) == (
        "Trend: No submitted answers in the chosen rounds."
    )
