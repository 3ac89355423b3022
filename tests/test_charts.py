"""Chart builders: trace types, axis and category order, colours from the answer scale."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mcwg_dashboard import analytics
from mcwg_dashboard.charts import adoption as charts
from mcwg_dashboard.checklist import load_checklist
from tests.test_analytics import R1, R2

SCALE = load_checklist().scale


def _with_details(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(note="", evidence_url="", element_title=frame["element_id"] + " title")


def test_heatmap_uses_scale_codes_colours_and_glyphs() -> None:
    answers = _with_details(R2)
    answers.loc[0, "note"] = "=HYPERLINK(evil)"
    matrix = analytics.status_matrix(answers)
    figure = charts.status_heatmap(matrix, answers, SCALE, title="m")
    heatmap = figure.data[0]
    assert heatmap.type == "heatmap"
    assert list(figure.layout.xaxis.ticktext) == ["X-01", "X-02", "Y-01"], "the axis shows element IDs"
    assert list(heatmap.x) == ["X-01 · X-01 title", "X-02 · X-02 title", "Y-01 · Y-01 title"], "hover: ID and title"
    assert list(heatmap.y) == ["Alpha", "Bravo", "Charlie"]
    assert figure.layout.yaxis.autorange == "reversed", "first country at the top"
    codes = list(reversed(SCALE.codes))
    assert heatmap.z[0][0] == codes.index("VAR")
    assert heatmap.z[2][1] is None, "no answer stays empty"
    assert heatmap.text[0][0] == SCALE.get("VAR").glyph
    colours = {stop[1] for stop in heatmap.colorscale}
    assert colours == {s.colour for s in SCALE.statuses}
    assert list(heatmap.colorbar.ticktext) == [s.display for s in reversed(SCALE.statuses)]
    assert list(heatmap.x) == list(figure.layout.xaxis.tickvals), "every element ID is labelled"
    assert "%{x}" in heatmap.hovertemplate and "%{text} %{customdata}" in heatmap.hovertemplate
    assert "Implemented – variant" in heatmap.customdata[0][0]
    assert "Note: =HYPERLINK(evil)" in heatmap.customdata[0][0]


def test_score_bars_put_the_best_on_top_and_label_percentages() -> None:
    scores = analytics.adoption_scores(R2, ["country_name"])
    figure = charts.score_bars(scores, label="country_name", title="s")
    bar = figure.data[0]
    assert bar.type == "bar" and bar.orientation == "h"
    assert list(figure.layout.yaxis.categoryarray) == ["Bravo", "Charlie", "Alpha"]  # plotly draws bottom-up
    assert list(bar.text) == ["25%", "55%", "92%"]
    assert tuple(figure.layout.xaxis.range) == (0, 1.15)


def test_distribution_bars_follow_scale_order_and_colours() -> None:
    distribution = analytics.status_distribution(R2, SCALE)
    figure = charts.status_distribution_bars(distribution, SCALE, title="d")
    assert list(figure.data[0].y) == [s.display for s in SCALE.statuses]
    assert list(figure.layout.yaxis.categoryarray)[-1] == SCALE.statuses[0].display, "best status on top"
    assert list(figure.data[0].marker.color) == [s.colour for s in SCALE.statuses]


def test_trend_lines_order_rounds_by_date_one_line_per_set() -> None:
    trend = analytics.trend_by_set(pd.concat([R2, R1], ignore_index=True))
    figure = charts.trend_lines(trend, title="t")
    assert [t.name for t in figure.data] == ["X", "Y"]
    assert list(figure.layout.xaxis.categoryarray) == ["R1", "R2"]
    assert all(t.type == "scatter" for t in figure.data)


def test_peer_bars_compare_three_series() -> None:
    figure = charts.peer_bars(analytics.peer_comparison(R1, "AA"), country_name="Alpha", title="p")
    assert [t.name for t in figure.data] == ["Alpha", "All members (average)", "Same architecture (average)"]
    assert figure.layout.barmode == "group"


def test_change_bars_stack_the_kinds_of_change() -> None:
    summary = analytics.change_summary(analytics.round_changes(R1, R2))
    figure = charts.change_bars(summary, title="c")
    assert [t.name for t in figure.data] == [
        charts.CHANGE_LABELS[k] for k in ("upgrade", "downgrade", "new", "changed")
    ]
    assert figure.layout.barmode == "stack"


def test_empty_data_gives_a_message_not_an_error() -> None:
    empty = R1.iloc[0:0]
    for figure in (
        charts.score_bars(analytics.adoption_scores(empty, ["country_name"]), label="country_name", title="e"),
        charts.status_heatmap(analytics.status_matrix(empty), empty, SCALE, title="e"),
        charts.trend_lines(analytics.trend_by_set(empty), title="e"),
    ):
        assert figure.layout.annotations and figure.layout.annotations[0].text


MARKUP = '<a href="https://evil.example">x</a> <b>b</b> <span style="font-size:60px">big</span>'


def _no_live_markup(figure: object) -> None:
    """No user text reaches Plotly as a tag: every '<' in the figure is one of ours (<b>, <br>, <extra>)."""
    text = json.dumps(figure.to_plotly_json(), default=str)  # type: ignore[attr-defined]
    assert "<a " not in text and "<span" not in text and "<b>b</b>" not in text, text[:400]
    assert "evil.example" in text, "the text itself is shown, escaped"


def test_user_text_is_escaped_in_every_chart() -> None:
    answers = _with_details(R2)
    answers.loc[0, ["note", "evidence_url", "element_title"]] = [MARKUP, MARKUP, MARKUP]
    answers["country_name"] = answers["country_name"] + " " + MARKUP
    answers["round_name"] = MARKUP
    matrix = analytics.status_matrix(answers)
    heatmap = charts.status_heatmap(matrix, answers, SCALE, title="Matrix " + MARKUP)
    _no_live_markup(heatmap)
    assert "Note: &lt;a href=" in heatmap.data[0].customdata[0][0]
    _no_live_markup(
        charts.score_bars(analytics.adoption_scores(answers, ["country_name"]), label="country_name", title=MARKUP)
    )
    _no_live_markup(charts.trend_lines(analytics.trend_by_set(pd.concat([R1, answers])), title=MARKUP))
    _no_live_markup(charts.change_bars(analytics.change_summary(analytics.round_changes(R1, answers)), title=MARKUP))
    _no_live_markup(charts.peer_bars(analytics.peer_comparison(answers, "AA"), country_name=MARKUP, title=MARKUP))
    _no_live_markup(
        charts.status_by_round_bars(
            pd.DataFrame({"round_name": [MARKUP], "status": ["IMPL"], "count": [2]}), SCALE, title=MARKUP
        )
    )
    table = pd.DataFrame({"Country": [MARKUP], "State": ["draft"], "Answered": [0.5]})
    _no_live_markup(charts.completion_bars(table, title=MARKUP))
    _no_live_markup(charts._empty(MARKUP, "nothing"))


def test_heatmap_leaves_notes_out_of_the_hover_when_they_would_be_megabytes(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = _with_details(R2)
    answers["note"] = "A long note " * 20
    matrix = analytics.status_matrix(answers)
    figure = charts.status_heatmap(matrix, answers, SCALE, title="m")
    assert charts.details_in_hover(figure) and "Note: A long note" in figure.data[0].customdata[0][0]
    monkeypatch.setattr(charts, "HOVER_DETAIL_BUDGET", 100)
    figure = charts.status_heatmap(matrix, answers, SCALE, title="m")
    assert not charts.details_in_hover(figure)
    assert "Note:" not in json.dumps(figure.data[0].customdata.tolist())
    assert "Implemented – variant" in figure.data[0].customdata[0][0], "the status stays"
