"""Adoption map of the MCWG members, drawn from shapes shipped in the repository: it never loads anything from the web.

Plotly's geo subplots (``go.Choropleth``, ``go.Scattergeo``) make plotly.js download a base-map topojson from a CDN as
soon as a trace has a ``locationmode`` (a GeoJSON choropleth has ``"geojson-id"``), even with ``geo.visible=False``.
So this map has no geo subplot at all: every shape is a filled ``go.Scatter`` polygon in a Lambert azimuthal
equal-area plane, on equal-aspect cartesian axes. Europe fills the main panel; Québec gets an inset on the left.
"""

from __future__ import annotations

import functools
import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from mcwg_dashboard.charts.palette import NO_DATA_COLOUR, SCORE_COLORSCALE, TEMPLATE_NAME, TEXT_COLOUR
from mcwg_dashboard.config import PROJECT_ROOT

GEOJSON_PATH = PROJECT_ROOT / "data" / "geo" / "members.geojson"

# `st.plotly_chart(figure, config=MAP_PLOTLY_CONFIG)`: nothing here is needed to stay offline (there is no geo
# subplot to fetch a topojson for); it only trims the mode bar to what makes sense on a map.
MAP_PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"filename": "mcwg-adoption-map"},
}

EUROPE = "europe"
NORTH_AMERICA = "north_america"
# A member beyond Europe and North America (its own outline) gets a third panel, centred on it.
ELSEWHERE = "elsewhere"
# Projection centres (longitude, latitude): the ETRS89-LAEA centre for Europe, Québec's middle for the inset.
_CENTRES = {EUROPE: (10.0, 52.0), NORTH_AMERICA: (-72.0, 52.0)}
_EARTH_RADIUS_KM = 6371.0

BACKGROUND_FILL = "#F0F0F0"
BACKGROUND_LINE = "#FFFFFF"
MEMBER_LINE = "#4D4D4D"
NO_DATA_PATTERN = "#A3A3A3"
NO_DATA_LABEL = "no answers"
NO_SHAPE = "no shape on the map"
MAP_HEIGHT = 640
_HIDDEN: dict[str, Any] = {"showgrid": False, "zeroline": False, "showticklabels": False, "ticks": "", "title": None}
_FRAMED: dict[str, Any] = {**_HIDDEN, "showline": True, "mirror": True, "linecolor": "#BDBDBD", "linewidth": 1}


@dataclass(frozen=True)
class Shape:
    """One feature of the GeoJSON, projected to kilometres; rings are separated by None in `x` and `y`."""

    code: str
    name: str
    background: bool
    panel: str
    x: tuple[float | None, ...]
    y: tuple[float | None, ...]
    # A background area's ISO 3166 code (Ireland: IE), so that a member joining later is drawn from it.
    iso: str = ""


@functools.cache
def load_geojson() -> dict[str, Any]:
    """The member shapes (and light-grey context countries) as a GeoJSON FeatureCollection, read once."""
    with GEOJSON_PATH.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def project(lon: float, lat: float, panel: str, centre: tuple[float, float] | None = None) -> tuple[float, float]:
    """Spherical Lambert azimuthal equal-area projection around the panel's centre (or `centre`), in km."""
    lon0, lat0 = (math.radians(v) for v in (centre or _CENTRES[panel]))
    lam, phi = math.radians(lon), math.radians(lat)
    cos_c = math.sin(lat0) * math.sin(phi) + math.cos(lat0) * math.cos(phi) * math.cos(lam - lon0)
    k = math.sqrt(2.0 / (1.0 + cos_c))
    x = _EARTH_RADIUS_KM * k * math.cos(phi) * math.sin(lam - lon0)
    y = _EARTH_RADIUS_KM * k * (math.cos(lat0) * math.sin(phi) - math.sin(lat0) * math.cos(phi) * math.cos(lam - lon0))
    return round(x, 1), round(y, 1)


def _rings(geometry: dict[str, Any]) -> Iterable[Sequence[Sequence[float]]]:
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon
    else:
        raise ValueError(f"Unexpected geometry type {geometry['type']!r} in {GEOJSON_PATH.name}")


@functools.cache
def load_shapes() -> tuple[Shape, ...]:
    """Every feature projected for drawing: members sorted by code, then the background by panel and name."""
    shapes: list[Shape] = []
    for feature in load_geojson()["features"]:
        props = feature["properties"]
        panel = str(props.get("panel", EUROPE))
        xs, ys = _projected(feature["geometry"], panel)
        background = bool(props.get("background", False))
        code, name, iso = str(props.get("code", "")), str(props["name"]), str(props.get("iso", ""))
        shapes.append(Shape(code, name, background, panel, xs, ys, iso))
    return tuple(sorted(shapes, key=lambda s: (s.background, s.code, s.panel, s.name)))


def _projected(
    geometry: dict[str, Any], panel: str, centre: tuple[float, float] | None = None
) -> tuple[tuple[float | None, ...], tuple[float | None, ...]]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in _rings(geometry):
        for lon, lat in ring:
            x, y = project(lon, lat, panel, centre)
            xs.append(x)
            ys.append(y)
        xs.append(None)
        ys.append(None)
    return tuple(xs), tuple(ys)


def shipped_shape_codes() -> frozenset[str]:
    """Every ISO code the shipped map can draw: the members' own features and the coded background areas."""
    return frozenset(s.code or s.iso for s in load_shapes() if s.code or s.iso)


def _centroid(geometry: dict[str, Any]) -> tuple[float, float]:
    points = [point for ring in _rings(geometry) for point in ring]
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def panel_for(geometry: dict[str, Any]) -> str:
    """Where a member's own outline is drawn: the Québec inset for North America, the main panel for Europe and its
    neighbours, a panel of its own for anywhere else."""
    lon, lat = _centroid(geometry)
    if -170 <= lon < -30 and lat > 25:
        return NORTH_AMERICA
    if -30 <= lon <= 70 and 20 <= lat <= 82:
        return EUROPE
    return ELSEWHERE


def _drawn_shapes(
    codes: Iterable[str], own: Mapping[str, dict[str, Any]]
) -> tuple[list[Shape], list[Shape], dict[str, str]]:
    """The members to draw (shipped member features, then coded background areas or their own outlines, for the
    codes asked), the background left, and why each code asked for cannot be drawn."""
    shipped = load_shapes()
    members = {s.code: s for s in shipped if not s.background}
    by_iso = {s.iso: s for s in shipped if s.background and s.iso}
    used_background: set[str] = set()
    missing: dict[str, str] = {}
    wanted = sorted(set(codes) - set(members))
    far = [_centroid(own[c]) for c in wanted if own.get(c) and panel_for(own[c]) == ELSEWHERE]
    # One projection centre for the third panel: the middle of the members drawn there.
    far_centre = (sum(p[0] for p in far) / len(far), sum(p[1] for p in far) / len(far)) if far else None
    for code in wanted:
        geometry = own.get(code)
        if geometry:
            panel = panel_for(geometry)
            xs, ys = _projected(geometry, panel, far_centre if panel == ELSEWHERE else None)
            members[code] = Shape(code, code, False, panel, xs, ys)
        elif code in by_iso:
            area = by_iso[code]
            members[code] = Shape(code, area.name, False, area.panel, area.x, area.y)
            used_background.add(code)
        else:
            missing[code] = NO_SHAPE
    background = [s for s in shipped if s.background and s.iso not in used_background]
    return [members[code] for code in sorted(members)], background, missing


def _coordinates(values: Iterable[float | None]) -> np.ndarray:
    """Coordinates as a float array, ring breaks as NaN (drawn as gaps, like None): plotly checks a list of
    thousands of Python floats one by one, an array at once, so the map builds in milliseconds."""
    return np.fromiter((math.nan if v is None else v for v in values), dtype=float)


def member_shapes() -> tuple[Shape, ...]:
    return tuple(s for s in load_shapes() if not s.background)


def _bounds(shapes: Iterable[Shape], pad: float) -> tuple[list[float], list[float]]:
    shapes = tuple(shapes)
    xs = [v for s in shapes for v in s.x if v is not None]
    ys = [v for s in shapes for v in s.y if v is not None]
    dx, dy = (max(xs) - min(xs)) * pad, (max(ys) - min(ys)) * pad
    return [min(xs) - dx, max(xs) + dx], [min(ys) - dy, max(ys) + dy]


def _is_missing(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def score_colour(score: float | None) -> str:
    """The fill for a score in 0..1 (clamped), or the no-data colour."""
    if score is None or math.isnan(score):
        return NO_DATA_COLOUR
    colour: str = sample_colorscale(SCORE_COLORSCALE, [min(1.0, max(0.0, score))])[0]
    return colour


def _hover_text(name: str, score: float | None, detail: str) -> str:
    lines = [f"<b>{html.escape(name, quote=False)}</b>"]
    lines.append(NO_DATA_LABEL if score is None else f"Adoption score: {score:.0%}")
    if detail:
        lines.extend(html.escape(line, quote=False) for line in detail.splitlines() if line.strip())
    return "<br>".join(lines)


def _axis_names(panel: str) -> tuple[str, str]:
    return {EUROPE: ("x", "y"), NORTH_AMERICA: ("x2", "y2")}.get(panel, ("x3", "y3"))


def _scores_by_code(scores: pd.DataFrame) -> dict[str, tuple[str, float | None, str]]:
    missing = {"country_code", "country_name", "score", "detail"} - set(scores.columns)
    if missing:
        raise ValueError(f"scores lacks the column(s) {sorted(missing)}")
    duplicated = sorted(set(scores.loc[scores["country_code"].duplicated(), "country_code"].astype(str)))
    if duplicated:
        raise ValueError(f"scores has more than one row for {duplicated}")
    result: dict[str, tuple[str, float | None, str]] = {}
    for code, name, score, detail in zip(
        scores["country_code"], scores["country_name"], scores["score"], scores["detail"], strict=True
    ):
        result[str(code)] = (
            name if isinstance(name, str) else "",
            None if _is_missing(score) else float(score),
            detail if isinstance(detail, str) else "",
        )
    return result


def adoption_map(
    scores: pd.DataFrame,
    *,
    title: str = "Adoption score by member",
    shapes: Mapping[str, dict[str, Any]] | None = None,
) -> go.Figure:
    """All members coloured by `score` (0..1; NaN or absent = no answers), Québec in an inset on the left.

    `scores` has the columns `country_code`, `country_name`, `score` and `detail` (shown on hover). Every member of
    the GeoJSON is drawn, one trace each, with `meta={"code": ...}`, and so is every other member of `scores` whose
    code the shipped map has as a context area (Ireland: IE) or that has its own outline in `shapes` (code ->
    GeoJSON geometry, `services.members.member_shapes`); neighbouring countries are light grey context. A member
    that cannot be drawn is listed in the layout's meta (`not_drawn`).
    """
    all_scores = _scores_by_code(scores)
    drawn, background_shapes, missing = _drawn_shapes(all_scores, shapes or {})
    known = {s.code for s in drawn}
    by_code = {code: value for code, value in all_scores.items() if code in known}
    figure = go.Figure()

    for panel in (EUROPE, NORTH_AMERICA):
        background = [s for s in background_shapes if s.panel == panel]
        if not background:
            continue
        xaxis, yaxis = _axis_names(panel)
        figure.add_trace(
            go.Scatter(
                x=_coordinates(v for s in background for v in s.x),
                y=_coordinates(v for s in background for v in s.y),
                xaxis=xaxis,
                yaxis=yaxis,
                mode="lines",
                fill="toself",
                fillcolor=BACKGROUND_FILL,
                line={"color": BACKGROUND_LINE, "width": 0.6},
                hoverinfo="skip",
                showlegend=False,
                name=f"background ({panel})",
            )
        )

    any_missing = False
    inset_names: list[str] = []
    elsewhere_names: list[str] = []
    for shape in drawn:
        name, score, detail = by_code.get(shape.code, (shape.name, None, ""))
        name = name or shape.name
        no_data = score is None
        any_missing = any_missing or no_data
        if shape.panel == NORTH_AMERICA:
            inset_names.append(name)
        elif shape.panel == ELSEWHERE:
            elsewhere_names.append(name)
        xaxis, yaxis = _axis_names(shape.panel)
        figure.add_trace(
            go.Scatter(
                x=_coordinates(shape.x),
                y=_coordinates(shape.y),
                xaxis=xaxis,
                yaxis=yaxis,
                mode="lines",
                fill="toself",
                fillcolor=score_colour(score),
                fillpattern=_no_data_pattern() if no_data else None,
                line={"color": MEMBER_LINE, "width": 0.9},
                hoveron="fills",
                hoverinfo="text",
                text=_hover_text(name, score, detail),
                name=name,
                meta={"code": shape.code, "score": score},
                showlegend=False,
            )
        )

    # Colour bar for the score scale (a trace without points, so nothing is drawn on the map).
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={
                "color": [0.0],
                "colorscale": SCORE_COLORSCALE,
                "cmin": 0.0,
                "cmax": 1.0,
                "showscale": True,
                "colorbar": {
                    "title": {"text": "Score", "side": "top", "font": {"size": 14}},
                    "tickformat": ".0%",
                    "tickvals": [0.0, 0.25, 0.5, 0.75, 1.0],
                    "len": 0.6,
                    "thickness": 16,
                    "outlinewidth": 0,
                    "x": 1.0,
                    "xanchor": "left",
                    "y": 0.5,
                },
            },
            hoverinfo="skip",
            showlegend=False,
            name="score scale",
        )
    )
    if any_missing:
        figure.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                fill="toself",
                fillcolor=NO_DATA_COLOUR,
                fillpattern=_no_data_pattern(),
                line={"color": MEMBER_LINE, "width": 0.9},
                hoverinfo="skip",
                showlegend=True,
                name=NO_DATA_LABEL.capitalize(),
            )
        )

    europe_x, europe_y = _bounds((s for s in drawn if s.panel == EUROPE), pad=0.03)
    inset_x, inset_y = _bounds((s for s in drawn if s.panel == NORTH_AMERICA), pad=0.06)
    figure.update_layout(
        template=TEMPLATE_NAME,
        title=html.escape(title, quote=False),
        height=MAP_HEIGHT,
        hovermode="closest",
        hoverlabel={"bgcolor": "white", "bordercolor": MEMBER_LINE, "font": {"color": TEXT_COLOUR}},
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        showlegend=any_missing,
        legend={"x": 0.0, "xanchor": "left", "y": 0.0, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.8)"},
        xaxis={**_HIDDEN, "domain": [0.25, 1.0], "range": europe_x, "constrain": "range"},
        yaxis={**_HIDDEN, "domain": [0.0, 1.0], "range": europe_y, "scaleanchor": "x", "scaleratio": 1},
        **_inset_axes(2, inset_x, inset_y, [0.45, 0.95]),
        annotations=[_panel_label(inset_names, "x2", "y2")],
        # Members with no shape on the map are listed beside it (not_drawn), never silently missing.
        meta={
            "not_drawn": [
                {"code": code, "name": name, "score": score, "reason": missing.get(code, NO_SHAPE)}
                for code, (name, score, _) in sorted(all_scores.items(), key=lambda item: item[1][0])
                if code not in known
            ]
        },
    )
    if elsewhere_names:
        _add_elsewhere_panel(figure, [s for s in drawn if s.panel == ELSEWHERE], elsewhere_names)
    return figure


def _add_elsewhere_panel(figure: go.Figure, shapes: list[Shape], names: list[str]) -> None:
    """A third framed panel below the Québec inset for members beyond Europe and North America."""
    far_x, far_y = _bounds(shapes, pad=0.06)
    figure.update_layout(**_inset_axes(3, far_x, far_y, [0.1, 0.38]))
    figure.add_annotation(_panel_label(names, "x3", "y3"))


def _inset_axes(number: int, x_range: list[float], y_range: list[float], y_domain: list[float]) -> dict[str, Any]:
    """The framed axes of an inset panel in the left column (number 2: Québec; 3: members beyond), equal-scaled."""
    x, y = f"x{number}", f"y{number}"
    return {
        f"xaxis{number}": {
            **_FRAMED,
            "domain": [0.0, 0.22],
            "range": x_range,
            "anchor": y,
            "constrain": "domain",
            "constraintoward": "left",
        },
        f"yaxis{number}": {
            **_FRAMED,
            "domain": y_domain,
            "range": y_range,
            "anchor": x,
            "scaleanchor": x,
            "scaleratio": 1,
            "constrain": "domain",
            "constraintoward": "top",
        },
    }


def _panel_label(names: list[str], xaxis: str, yaxis: str) -> dict[str, Any]:
    """The names of the members in an inset panel, above its top left corner."""
    return {
        "text": html.escape(", ".join(names), quote=False),
        "xref": f"{xaxis} domain",
        "yref": f"{yaxis} domain",
        "x": 0.0,
        "y": 1.0,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 13, "color": "#636363"},
    }


def not_drawn(figure: go.Figure) -> str:
    """The members an adoption map could not draw (no shape), with their scores: '' when every member is drawn."""
    meta = figure.layout.meta
    missing = meta.get("not_drawn", []) if isinstance(meta, dict) else []
    if not missing:
        return ""
    by_reason: dict[str, list[str]] = {}
    for m in missing:
        score = "no answers" if m["score"] is None else f"{m['score']:.0%}"
        by_reason.setdefault(m.get("reason", NO_SHAPE), []).append(f"{m['name'] or m['code']} ({m['code']}): {score}")
    return " ".join(f"Not drawn ({reason}): " + "; ".join(shown) + "." for reason, shown in by_reason.items())[:-1]


def _no_data_pattern() -> dict[str, Any]:
    return {"shape": "/", "fgcolor": NO_DATA_PATTERN, "bgcolor": NO_DATA_COLOUR, "size": 7, "solidity": 0.15}


def member_codes() -> list[str]:
    """The codes that have a shape on the map, sorted."""
    return sorted(s.code for s in member_shapes())


__all__ = [
    "GEOJSON_PATH",
    "MAP_PLOTLY_CONFIG",
    "adoption_map",
    "load_geojson",
    "member_codes",
    "score_colour",
    "shipped_shape_codes",
]
