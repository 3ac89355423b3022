"""Adoption charts: scores, the status matrix, distributions, changes and trends."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from mcwg_dashboard.charts.palette import (
    NO_DATA_COLOUR,
    PRIMARY,
    SERIES_COLOURS,
    TEMPLATE_NAME,
    status_colours,
    text_colour,
)
from mcwg_dashboard.checklist import AnswerScale
from mcwg_dashboard.text import escape_html as plain

CHANGE_COLOURS = {"upgrade": "#08519C", "downgrade": "#E6550D", "new": "#9E9AC8", "changed": "#969696"}
CHANGE_LABELS = {
    "upgrade": "▲ upgrades",
    "downgrade": "▼ downgrades",
    "new": "✚ new answers",
    "changed": "↔ other changes",
}


def percent(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no scored answers"
    return f"{value:.0%}"


def _figure(data: go.BaseTraceType | list[go.BaseTraceType], **layout: Any) -> go.Figure:
    """A figure on the project template, built in one go: plotly validates the traces and the layout once, where
    adding traces and updating the layout one by one costs about twice as much."""
    return go.Figure(data=data, layout={"template": TEMPLATE_NAME, **layout})


def _empty(title: str, message: str) -> go.Figure:
    return _figure(
        [],
        title=plain(title),
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": message, "showarrow": False, "font": {"size": 18}, "x": 0.5, "y": 0.5}],
        height=250,
    )


def score_bars(frame: pd.DataFrame, *, label: str, title: str, hover: str | None = None) -> go.Figure:
    """Horizontal bars of `score` (0..1) per `label`, best at the top; unscored rows shown as such."""
    if frame.empty:
        return _empty(title, "No answers to score yet")
    data = frame.assign(_sort=frame["score"].fillna(-1)).sort_values(["_sort", label], ascending=[True, False])
    return _figure(
        go.Bar(
            x=data["score"].fillna(0),
            y=[plain(v) for v in data[label]],
            orientation="h",
            marker_color=PRIMARY,
            text=[percent(v) for v in data["score"]],
            textposition="outside",
            cliponaxis=False,
            customdata=[plain(v) for v in data[hover]] if hover else None,
            hovertemplate="%{y}: %{text}" + ("<br>%{customdata}" if hover else "") + "<extra></extra>",
        ),
        title=plain(title),
        xaxis={"range": [0, 1.15], "tickformat": ".0%", "title": "Adoption score"},
        yaxis={"title": None, "categoryorder": "array", "categoryarray": [plain(v) for v in data[label]]},
        height=max(260, 60 + 34 * len(data)),
        showlegend=False,
    )


# Characters of notes and evidence links a matrix sends in its hover texts at most (see status_heatmap).
HOVER_DETAIL_BUDGET = 250_000


def details_in_hover(figure: go.Figure) -> bool:
    """Whether a status heatmap's hover texts hold the notes and evidence links (see HOVER_DETAIL_BUDGET)."""
    meta = figure.layout.meta
    return not isinstance(meta, dict) or bool(meta.get("details_in_hover", True))


def element_label(element_id: str, title: str) -> str:
    """A matrix column: the element's ID and title, escaped (its axis shows the ID alone)."""
    return plain(f"{element_id} · {title}" if title else element_id)


def status_heatmap(matrix: pd.DataFrame, answers: pd.DataFrame, scale: AnswerScale, *, title: str) -> go.Figure:
    """The caniuse-style grid: colour, glyph and (on hover) status text, note and evidence for every cell."""
    if matrix.empty:
        return _empty(title, "No submitted answers for this selection")
    codes = list(reversed(scale.codes))  # best status at the top of the colour bar
    index = {code: i for i, code in enumerate(codes)}
    colours = status_colours(scale)
    n = len(codes)
    colorscale: list[list[float | str]] = []
    for i, code in enumerate(codes):
        colorscale += [[i / n, colours[code]], [(i + 1) / n, colours[code]]]
    # Plain dicts, not .loc per cell: a 60 x 300 matrix has 18,000 cells.
    details = {
        (country, element): (note, evidence)
        for country, element, note, evidence in zip(
            answers["country_code"], answers["element_id"], answers["note"], answers["evidence_url"], strict=True
        )
    }
    titles = dict(zip(answers["element_id"], answers["element_title"], strict=True))
    statuses = {s.code: s for s in scale.statuses}
    # Plotly renders <b>, <a href>, <span style> and <br> in hover texts and tick labels: user text is escaped.
    names = {
        code: plain(name)
        for code, name in answers.drop_duplicates("country_code").set_index("country_code")["country_name"].items()
    }
    # What the browser receives grows with members x elements, so what is the same along a row or a column is sent
    # once: the element's title is part of its column's label (the axis shows the ID alone), the member's name is
    # the row's; a cell holds its glyph (shown) and its label, note and evidence (on hover).
    columns = [element_label(element, titles.get(element, "")) for element in matrix.columns]
    # Notes and evidence go into the hover while they stay small; a matrix of many members and elements full of
    # notes would send megabytes with every rerun, so then they are left to the data download and the country pages.
    in_matrix = answers[answers["country_code"].isin(matrix.index) & answers["element_id"].isin(matrix.columns)]
    detail_size = int(in_matrix["note"].str.len().sum() + in_matrix["evidence_url"].str.len().sum())
    with_details = detail_size <= HOVER_DETAIL_BUDGET
    z, text, hover = [], [], []
    for country, cells in zip(matrix.index, matrix.itertuples(index=False, name=None), strict=True):
        z_row: list[int | None] = []
        text_row: list[str] = []
        hover_row: list[str] = []
        for element, cell in zip(matrix.columns, cells, strict=True):
            if isinstance(cell, str):
                status = statuses[cell]
                note, evidence = details[(country, element)]
                z_row.append(index[cell])
                text_row.append(status.glyph)
                lines = [plain(status.label)]
                if note and with_details:
                    lines.append(f"Note: {_wrap(plain(note))}")
                if evidence and with_details:
                    lines.append(f"Evidence: {plain(evidence)}")
                hover_row.append("<br>".join(lines))
            else:
                z_row.append(None)
                text_row.append("")
                hover_row.append("no answer")
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    return _figure(
        go.Heatmap(
            # Object arrays: plotly checks a nested list cell by cell, an array at once (same JSON either way).
            z=np.array(z, dtype=object),
            x=columns,
            y=[names[c] for c in matrix.index],
            text=np.array(text, dtype=object),
            texttemplate="%{text}",
            textfont={"size": 13},
            customdata=np.array(hover, dtype=object),
            hovertemplate="<b>%{y}</b><br>%{x}<br>%{text} %{customdata}<extra></extra>",
            colorscale=colorscale,
            zmin=-0.5,
            zmax=n - 0.5,
            xgap=2,
            ygap=2,
            colorbar={
                "tickvals": list(range(n)),
                "ticktext": [scale.get(c).display for c in codes],
                "title": {"text": "Status"},
                "thickness": 18,
            },
        ),
        title=plain(title),
        plot_bgcolor=NO_DATA_COLOUR,
        xaxis={
            "side": "top",
            "tickangle": -90,
            "type": "category",
            "showgrid": False,
            "tickmode": "array",
            "tickvals": columns,
            "ticktext": [plain(e) for e in matrix.columns],
            "tickfont": {"size": 11 if len(matrix.columns) > 30 else 14},
        },
        yaxis={"autorange": "reversed", "type": "category", "showgrid": False},
        height=max(340, 170 + 40 * len(matrix.index)),
        margin={"t": 140},
        meta={"details_in_hover": with_details},
    )


def _template_text(text: object) -> str:
    """Text put into a hovertemplate: escaped, and a '%{' that would read a field kept literal."""
    return plain(text).replace("%{", "%\u200b{")


def _wrap(text: str, width: int = 60) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def status_distribution_bars(distribution: pd.DataFrame, scale: AnswerScale, *, title: str) -> go.Figure:
    """Count of answers per status, best status at the top, coloured and labelled by the scale."""
    colours = status_colours(scale)
    labels = [plain(scale.get(code).display) for code in distribution["status"]]
    return _figure(
        go.Bar(
            y=labels,
            x=distribution["count"],
            orientation="h",
            marker_color=[colours[c] for c in distribution["status"]],
            text=distribution["count"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x}<extra></extra>",
        ),
        title=plain(title),
        yaxis={"type": "category", "categoryorder": "array", "categoryarray": list(reversed(labels))},
        xaxis={"title": "Countries", "rangemode": "tozero", "dtick": 1},
        showlegend=False,
        height=400,
    )


def _segment(glyph: str, count: float) -> str:
    """A stacked segment's label: its glyph and count (none on an empty segment)."""
    return f"{glyph} {count:g}" if count else ""


def status_by_round_bars(counts: pd.DataFrame, scale: AnswerScale, *, title: str) -> go.Figure:
    """Stacked bars: per round (columns round_name, status, count), how many countries gave each status."""
    if counts.empty:
        return _empty(title, "No answers in any round yet")
    colours = status_colours(scale)
    rounds = list(dict.fromkeys(counts["round_name"]))
    # Plain dicts: a few dozen rows, where a pandas filter per status would cost more than the chart.
    per_status: dict[str, dict[str, float]] = {}
    for round_name, code, count in zip(counts["round_name"], counts["status"], counts["count"], strict=True):
        if pd.notna(count):
            per_status.setdefault(code, {})
            per_status[code][round_name] = per_status[code].get(round_name, 0) + count
    labels = [plain(r) for r in rounds]
    traces = [
        go.Bar(
            name=plain(scale.get(code).display),
            x=labels,
            y=[per_status[code].get(r, 0) for r in rounds],
            marker_color=colours[code],
            # Each segment says its status and count: colour is never the only clue.
            text=[_segment(scale.get(code).glyph, per_status[code].get(r, 0)) for r in rounds],
            textposition="inside",
            insidetextanchor="middle",
            textfont={"color": text_colour(colours[code])},
            hovertemplate=f"{_template_text(scale.get(code).display)}: %{{y}}<extra>%{{x}}</extra>",
        )
        for code in scale.codes
        if any(per_status.get(code, {}).values())
    ]
    return _figure(traces, title=plain(title), barmode="stack", yaxis={"title": "Countries"}, height=380)


def trend_lines(trend: pd.DataFrame, *, title: str) -> go.Figure:
    """Adoption score per set across rounds, rounds in date order."""
    if trend.empty:
        return _empty(title, "No submitted answers in the chosen rounds")
    rounds = list(dict.fromkeys(trend.sort_values("round_opens_on")["round_name"]))
    traces = []
    for i, set_code in enumerate(dict.fromkeys(trend["set_code"])):
        rows = trend[trend["set_code"] == set_code]
        rows = rows.set_index("round_name").reindex(rounds)
        traces.append(
            go.Scatter(
                name=plain(set_code),
                x=[plain(r) for r in rounds],
                y=rows["score"],
                mode="lines+markers",
                line={"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "width": 3},
                marker={"size": 10, "symbol": ["circle", "square", "diamond", "triangle-up", "cross", "x"][i % 6]},
                customdata=rows["countries"],
                hovertemplate=(
                    f"{_template_text(set_code)} · %{{x}}: %{{y:.0%}} (%{{customdata}} countries)<extra></extra>"
                ),
            )
        )
    return _figure(
        traces,
        title=plain(title),
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": [plain(r) for r in rounds]},
        yaxis={"range": [0, 1.05], "tickformat": ".0%", "title": "Adoption score"},
        height=460,
    )


def peer_bars(peers: pd.DataFrame, *, country_name: str, title: str) -> go.Figure:
    """Per set: the country's score next to all members' and same-architecture members' averages."""
    if peers.empty:
        return _empty(title, "No submitted answers for this country in this round")
    series = [
        ("country", country_name, PRIMARY, ""),
        ("all_members", "All members (average)", "#9ECAE1", "/"),
        ("same_architecture", "Same architecture (average)", "#FD8D3C", "."),
    ]
    sets = [plain(s) for s in peers["set_code"]]
    traces = [
        go.Bar(
            name=plain(name),
            x=sets,
            y=peers[column].fillna(0),
            marker={"color": colour, "pattern": {"shape": pattern}},
            text=[percent(v) for v in peers[column]],
            textposition="outside",
            hovertemplate=f"{_template_text(name)} · %{{x}}: %{{text}}<extra></extra>",
        )
        for column, name, colour, pattern in series
    ]
    return _figure(
        traces,
        title=plain(title),
        barmode="group",
        yaxis={"range": [0, 1.15], "tickformat": ".0%", "title": "Adoption score"},
        xaxis={"type": "category"},
        height=420,
    )


def change_bars(summary: pd.DataFrame, *, title: str) -> go.Figure:
    """Per country: upgrades, downgrades, new answers and other changes between two rounds."""
    if summary.empty:
        return _empty(title, "No answers to compare")
    data = summary.sort_values("country_name", ascending=False)
    countries = [plain(c) for c in data["country_name"]]
    traces = [
        go.Bar(
            name=CHANGE_LABELS[kind],
            y=countries,
            x=data[kind],
            orientation="h",
            marker_color=CHANGE_COLOURS[kind],
            # Each segment carries its glyph and count: colour is never the only clue.
            text=[_segment(CHANGE_LABELS[kind].split()[0], n) for n in data[kind]],
            textposition="inside",
            insidetextanchor="middle",
            textfont={"color": text_colour(CHANGE_COLOURS[kind])},
            hovertemplate=f"%{{y}}: %{{x}} {CHANGE_LABELS[kind]}<extra></extra>",
        )
        for kind in ("upgrade", "downgrade", "new", "changed")
    ]
    return _figure(
        traces,
        title=plain(title),
        barmode="stack",
        xaxis={"title": "Elements"},
        height=max(300, 80 + 34 * len(data)),
    )


def completion_bars(table: pd.DataFrame, *, title: str) -> go.Figure:
    """Share of elements answered per country, with the survey state in the label."""
    if table.empty:
        return _empty(title, "No members yet")
    data = table.sort_values(["Answered", "Country"], ascending=[True, False])
    return _figure(
        go.Bar(
            x=data["Answered"],
            y=[plain(f"{c} ({s})") for c, s in zip(data["Country"], data["State"], strict=True)],
            orientation="h",
            marker_color=[PRIMARY if s != "not started" else NO_DATA_COLOUR for s in data["State"]],
            text=[f"{v:.0%}" for v in data["Answered"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{text} answered<extra></extra>",
        ),
        title=plain(title),
        xaxis={"range": [0, 1.15], "tickformat": ".0%", "title": "Elements answered"},
        height=max(260, 60 + 30 * len(data)),
        showlegend=False,
    )
