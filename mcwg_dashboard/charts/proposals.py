"""Plenary figures of the change-proposal register: how many in each state, per set, and how long they wait."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from mcwg_dashboard.charts.adoption import _empty
from mcwg_dashboard.charts.palette import NO_DATA_COLOUR, PRIMARY, SERIES_COLOURS, TEMPLATE_NAME
from mcwg_dashboard.text import escape_html as plain

# Finished states are drawn grey: the eye goes to what still needs the MCWG.
_FINISHED = {"applied", "rejected", "withdrawn", "closed", "deferred"}


def proposals_by_state_bars(counts: pd.DataFrame, *, title: str) -> go.Figure:
    """`counts`: State (label), state (code), Proposals, in workflow order."""
    if counts.empty or int(counts["Proposals"].sum()) == 0:
        return _empty(title, "No change proposals yet")
    data = counts.iloc[::-1]
    figure = go.Figure(
        go.Bar(
            x=data["Proposals"],
            y=data["State"],
            orientation="h",
            marker_color=[NO_DATA_COLOUR if s in _FINISHED else PRIMARY for s in data["state"]],
            marker_line={"color": "#555555", "width": 1},
            text=data["Proposals"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x} proposals<extra></extra>",
        )
    )
    figure.update_layout(
        template=TEMPLATE_NAME,
        title=plain(title),
        xaxis={"title": "Proposals", "dtick": 1, "rangemode": "tozero"},
        height=max(300, 60 + 32 * len(data)),
        showlegend=False,
    )
    return figure


def proposals_by_set_bars(frame: pd.DataFrame, *, set_order: list[str], title: str) -> go.Figure:
    """Open and finished proposals per recommendation set (stacked)."""
    if frame.empty:
        return _empty(title, "No change proposals yet")
    data = frame.assign(group=frame["state"].map(lambda s: "finished" if s in _FINISHED else "open"))
    counts = data.groupby(["set_code", "group"]).size().unstack(fill_value=0)
    sets = [s for s in set_order if s in counts.index] + [s for s in counts.index if s not in set_order]
    figure = go.Figure()
    for group, colour, pattern in (("open", PRIMARY, ""), ("finished", NO_DATA_COLOUR, "/")):
        column = counts[group] if group in counts.columns else pd.Series(0, index=counts.index)
        values = [int(v) for v in column.reindex(sets, fill_value=0)]
        figure.add_bar(
            x=[plain(s) for s in sets],
            y=values,
            name=f"{group.capitalize()}",
            marker={"color": colour, "line": {"color": "#555555", "width": 1}, "pattern": {"shape": pattern}},
            hovertemplate=f"%{{x}}: %{{y}} {group}<extra></extra>",
        )
    figure.update_layout(
        template=TEMPLATE_NAME,
        title=plain(title),
        barmode="stack",
        yaxis={"title": "Proposals", "dtick": 1},
        xaxis={"title": "Recommendation set"},
        height=380,
    )
    return figure


def time_in_state_bars(spent: pd.DataFrame, *, state_labels: dict[str, str], title: str) -> go.Figure:
    """Median days in each state (over every visit), with the longest wait in the hover text."""
    if spent.empty:
        return _empty(title, "No state changes yet")
    summary = spent.groupby("state")["days"].agg(["median", "max", "size"])
    order = [s for s in state_labels if s in summary.index]
    summary = summary.loc[order]
    figure = go.Figure(
        go.Bar(
            x=[state_labels[s] for s in order],
            y=summary["median"].round(1),
            marker_color=SERIES_COLOURS[0],
            text=[f"{v:.0f} d" for v in summary["median"]],
            textposition="outside",
            cliponaxis=False,
            customdata=list(zip(summary["max"].round(0), summary["size"], strict=True)),
            hovertemplate="%{x}: median %{y} days, longest %{customdata[0]} days, %{customdata[1]} visits"
            "<extra></extra>",
        )
    )
    figure.update_layout(
        template=TEMPLATE_NAME,
        title=plain(title),
        yaxis={"title": "Median days in state", "rangemode": "tozero"},
        height=380,
        showlegend=False,
    )
    return figure
