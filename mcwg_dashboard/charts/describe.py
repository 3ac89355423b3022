"""Every chart in words: a short summary (what it shows, its extremes) and its data as a table, read from the figure
itself, so a chart and its words never disagree. The summary is shown under the chart and is its accessible name;
the table is one click away (ui.dashboard.plot)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go


@dataclass(frozen=True)
class _Bar:
    series: str
    label: str
    value: float | None
    shown: str  # the bar's own text label, when it has one


def _text(value: Any) -> str:
    return html.unescape(str(value)) if value is not None else ""


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _percent_axis(figure: go.Figure, axis: str) -> bool:
    tickformat = figure.layout[axis].tickformat if axis in figure.layout else None
    return bool(tickformat and "%" in tickformat)


def _format(value: float | None, percent: bool) -> str:
    if value is None:
        return "none"
    return f"{value:.0%}" if percent else f"{value:g}"


def _title(figure: go.Figure) -> str:
    return _text(figure.layout.title.text) if figure.layout.title and figure.layout.title.text else "Chart"


def is_member_map(figure: go.Figure) -> bool:
    """An adoption map (charts.map): one trace per member carrying its code and score."""
    return any(isinstance(trace.meta, dict) and "code" in trace.meta for trace in figure.data)


def _map_members(figure: go.Figure) -> list[tuple[str, float | None]]:
    members = [
        (_text(trace.name), _number(trace.meta.get("score")))
        for trace in figure.data
        if isinstance(trace.meta, dict) and "code" in trace.meta
    ]
    meta = figure.layout.meta
    for missing in meta.get("not_drawn", []) if isinstance(meta, dict) else []:
        members.append((_text(missing["name"] or missing["code"]), _number(missing["score"])))
    return sorted(members)


def _score(score: float | None) -> str:
    return "no answers" if score is None else f"{score:.0%}"


def _bars(figure: go.Figure) -> list[_Bar]:
    bars: list[_Bar] = []
    for trace in figure.data:
        if not isinstance(trace, go.Bar):
            continue
        horizontal = trace.orientation == "h"
        labels = trace.y if horizontal else trace.x
        values = trace.x if horizontal else trace.y
        if labels is None or values is None:
            continue
        texts = list(trace.text) if isinstance(trace.text, (list, tuple)) else []
        for i, (label, value) in enumerate(zip(labels, values, strict=False)):
            shown = _text(texts[i]) if i < len(texts) and texts[i] is not None else ""
            bars.append(_Bar(_text(trace.name) if trace.name else "", _text(label), _number(value), shown))
    return bars


def _lines(figure: go.Figure) -> list[go.Scatter]:
    return [trace for trace in figure.data if isinstance(trace, go.Scatter) and trace.x is not None]


def data_table(figure: go.Figure) -> pd.DataFrame:
    """The figure's data as rows a person can read (cells as the chart labels them)."""
    if is_member_map(figure):
        return pd.DataFrame(
            [(name, _score(score)) for name, score in _map_members(figure)], columns=["Member", "Score"]
        )
    heatmaps = [trace for trace in figure.data if isinstance(trace, go.Heatmap)]
    if heatmaps:
        trace = heatmaps[0]
        columns = [_text(c) for c in (trace.x if trace.x is not None else [])]
        rows = [_text(r) for r in (trace.y if trace.y is not None else [])]
        cells = trace.text if trace.text is not None else [[""] * len(columns) for _ in rows]
        table = pd.DataFrame([[_text(c) for c in row] for row in cells], columns=columns)
        table.insert(0, "Member", rows)
        return table
    bars = _bars(figure)
    if bars:
        series = list(dict.fromkeys(bar.series for bar in bars))
        percent = _percent_axis(figure, "xaxis") or _percent_axis(figure, "yaxis")
        grid: dict[str, dict[str, str]] = {}
        for bar in bars:
            grid.setdefault(bar.label, {})[bar.series or "Value"] = bar.shown or _format(bar.value, percent)
        table = pd.DataFrame([{"": label, **cells} for label, cells in grid.items()])
        return table.reindex(columns=["", *[s or "Value" for s in series]]).fillna("")
    lines = _lines(figure)
    if lines:
        percent = _percent_axis(figure, "yaxis")
        points: dict[str, dict[str, str]] = {}
        for trace in lines:
            ys = trace.y if trace.y is not None else []
            for x, y in zip(trace.x, ys, strict=False):
                points.setdefault(_text(x), {})[_text(trace.name)] = _format(_number(y), percent)
        return pd.DataFrame([{"": x, **cells} for x, cells in points.items()]).fillna("")
    return pd.DataFrame()


def summary(figure: go.Figure, title: str | None = None) -> str:
    """One or two sentences: what the chart shows and its extremes (a member map: every member's score). `title`
    stands for the figure's own when the page shows the title outside it."""
    title = _title(figure) if title is None else title
    if is_member_map(figure):
        members = _map_members(figure)
        return f"{title}: " + "; ".join(f"{name} {_score(score)}" for name, score in members) + "."
    heatmaps = [trace for trace in figure.data if isinstance(trace, go.Heatmap)]
    if heatmaps:
        trace = heatmaps[0]
        rows = len(trace.y) if trace.y is not None else 0
        columns = len(trace.x) if trace.x is not None else 0
        return f"{title}: {rows} members by {columns} elements, each cell a status glyph; the table lists them."
    bars = _bars(figure)
    if bars:
        return _bars_summary(figure, title, bars)
    lines = _lines(figure)
    if lines:
        percent = _percent_axis(figure, "yaxis")
        parts = []
        for trace in lines:
            ys = trace.y if trace.y is not None else []
            points = [(x, _number(y)) for x, y in zip(trace.x, ys, strict=False)]
            values = [y for _, y in points if y is not None]
            if values:
                parts.append(
                    f"{_text(trace.name)} from {_format(values[0], percent)} to {_format(values[-1], percent)}"
                )
        return f"{title}: {len(lines)} lines" + (f" ({'; '.join(parts)})" if parts else "") + "."
    notes = [_text(a.text) for a in figure.layout.annotations or []]
    return f"{title}: {notes[0]}." if notes else f"{title}."


def _bars_summary(figure: go.Figure, title: str, bars: list[_Bar]) -> str:
    series = list(dict.fromkeys(bar.series for bar in bars))
    horizontal = any(isinstance(t, go.Bar) and t.orientation == "h" for t in figure.data)
    percent = _percent_axis(figure, "xaxis" if horizontal else "yaxis")
    groups = len({bar.label for bar in bars})
    if figure.layout.barmode == "stack" and len(series) > 1:
        totals: dict[str, float] = {}
        for bar in bars:
            totals[bar.series] = totals.get(bar.series, 0.0) + (bar.value or 0.0)
        parts = ", ".join(f"{name} {total:g}" for name, total in totals.items())
        return f"{title}: stacked bars for {groups} groups; in all: {parts}."
    # A bar drawn at zero because it has no value says so in its label ("no scored answers"): not an extreme.
    valued = [bar for bar in bars if bar.value is not None and not bar.shown.startswith("no ")]
    text = f"{title}: {len(bars)} bars" + (f" in {len(series)} series" if len(series) > 1 else "")
    if valued:

        def name(bar: _Bar) -> str:
            return f"{bar.series} · {bar.label}" if len(series) > 1 else bar.label

        best = max(valued, key=lambda bar: bar.value or 0.0)
        worst = min(valued, key=lambda bar: bar.value or 0.0)
        text += (
            f"; highest {name(best)} ({_format(best.value, percent)}),"
            f" lowest {name(worst)} ({_format(worst.value, percent)})"
        )
    return text + "."
