"""The adoption map: a shape per member, scores coloured, no-data shown as such, nothing fetched from the web."""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from mcwg_dashboard.charts.map import (
    GEOJSON_PATH,
    MAP_PLOTLY_CONFIG,
    adoption_map,
    load_geojson,
    member_codes,
    not_drawn,
    score_colour,
)
from mcwg_dashboard.charts.palette import NO_DATA_COLOUR, SCORE_COLORSCALE
from mcwg_dashboard.config import PROJECT_ROOT
from mcwg_dashboard.services.setup import load_members

MEMBERS = {m.code: m.name for m in load_members(PROJECT_ROOT / "surveys" / "members.yaml")}


def scores_frame(values: Mapping[str, float | None]) -> pd.DataFrame:
    codes = sorted(values)
    return pd.DataFrame(
        {
            "country_code": codes,
            "country_name": [MEMBERS[c] for c in codes],
            "score": [values[c] for c in codes],
            "detail": [f"{c}: 7 scored answers" for c in codes],
        }
    )


def member_traces(figure: go.Figure) -> dict[str, Any]:
    traces = {}
    for trace in figure.data:
        meta = getattr(trace, "meta", None)
        if isinstance(meta, dict) and "code" in meta:
            assert meta["code"] not in traces, f"two traces for {meta['code']}"
            traces[meta["code"]] = trace
    return traces


def test_every_member_has_exactly_one_feature() -> None:
    features = load_geojson()["features"]
    members = [f for f in features if not f["properties"]["background"]]
    counts = Counter(f["properties"]["code"] for f in members)
    assert set(counts) == set(MEMBERS)
    assert all(n == 1 for n in counts.values()), counts
    for feature in members:
        assert feature["id"] == feature["properties"]["code"]
        assert feature["properties"]["name"] == MEMBERS[feature["id"]]
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    background = [f for f in features if f["properties"]["background"]]
    assert len(background) > 20
    assert all(f["properties"]["code"] == "" and "id" not in f for f in background)
    assert member_codes() == sorted(MEMBERS)


def test_geojson_stays_small_and_european() -> None:
    assert GEOJSON_PATH.stat().st_size < 600_000
    for feature in load_geojson()["features"]:
        if feature["properties"]["background"] or feature["id"] == "CA-QC":
            continue
        # Mainland Europe only: no French Guiana, Réunion, Svalbard or Canary Islands.
        assert all(-25 < lon < 35 and 34 < lat < 72 for lon, lat in _points(feature["geometry"])), feature["id"]


def _points(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [(lon, lat) for polygon in polygons for ring in polygon for lon, lat in ring]


def test_figure_has_every_member_with_its_score_colour() -> None:
    values = {code: i / (len(MEMBERS) - 1) for i, code in enumerate(sorted(MEMBERS))}
    figure = adoption_map(scores_frame(values))
    traces = member_traces(figure)
    assert sorted(traces) == sorted(MEMBERS)
    assert list(traces) == sorted(MEMBERS), "members are drawn in a stable, sorted order"
    first, last = sorted(MEMBERS)[0], sorted(MEMBERS)[-1]
    assert traces[first].fillcolor == "rgb(247, 251, 255)" == score_colour(0.0)
    assert SCORE_COLORSCALE[0][1] == "#F7FBFF" and SCORE_COLORSCALE[-1][1] == "#08306B"
    assert traces[last].fillcolor == "rgb(8, 48, 107)"
    assert all(t.fillcolor != NO_DATA_COLOUR for t in traces.values())
    # Hover: the member's name, the score in percent and the detail.
    assert (
        "<b>Austria</b>" in traces["AT"].text
        and "%" in traces["AT"].text
        and "AT: 7 scored answers" in traces["AT"].text
    )
    assert traces["CA-QC"].xaxis == "x2", "Québec is drawn in the inset"
    assert traces["FR"].xaxis == "x"
    assert not figure.layout.showlegend, "no 'no answers' legend when every member has a score"


def test_nan_and_absent_scores_get_the_no_data_colour() -> None:
    values = {code: 0.5 for code in MEMBERS}
    values["CZ"] = math.nan
    del values["ES"]
    figure = adoption_map(scores_frame(values))
    traces = member_traces(figure)
    assert sorted(traces) == sorted(MEMBERS)
    for code in ("CZ", "ES"):
        assert traces[code].fillcolor == NO_DATA_COLOUR
        assert "no answers" in traces[code].text
        assert traces[code].meta["score"] is None
    assert traces["AT"].fillcolor != NO_DATA_COLOUR
    assert figure.layout.showlegend
    assert any(t.name == "No answers" and t.showlegend for t in figure.data)


def test_all_scores_missing_and_empty_frame_do_not_crash() -> None:
    empty = pd.DataFrame(columns=["country_code", "country_name", "score", "detail"])
    for frame in (empty, scores_frame(dict.fromkeys(MEMBERS, math.nan))):
        traces = member_traces(adoption_map(frame))
        assert {t.fillcolor for t in traces.values()} == {NO_DATA_COLOUR}


def test_a_member_without_a_shape_is_listed_as_not_drawn() -> None:
    scores = pd.concat(
        [
            scores_frame({"AT": 0.5}),
            pd.DataFrame(
                {"country_code": ["JP", "XA-001"], "country_name": ["Japan", "Synthetic"], "score": [0.75, math.nan]}
            ).assign(detail=""),
        ]
    )
    figure = adoption_map(scores)
    assert "JP" not in member_traces(figure) and "AT" in member_traces(figure)
    assert not_drawn(figure) == "Not drawn (no shape on the map): Japan (JP): 75%; Synthetic (XA-001): no answers"
    assert not_drawn(adoption_map(scores_frame({"AT": 0.5}))) == ""


def test_bad_frames_are_refused() -> None:
    with pytest.raises(ValueError, match="more than one row"):
        adoption_map(pd.concat([scores_frame({"AT": 0.5})] * 2))
    with pytest.raises(ValueError, match="detail"):
        adoption_map(scores_frame({"AT": 0.5}).drop(columns=["detail"]))


def test_hover_text_is_escaped() -> None:
    frame = scores_frame({"AT": 0.25}).assign(detail=["<img src=x onerror=alert(1)> & more"])
    text = member_traces(adoption_map(frame))["AT"].text
    assert "<img" not in text and "&lt;img" in text and "25%" in text


def test_figure_fetches_nothing_from_the_web() -> None:
    figure = adoption_map(scores_frame(dict.fromkeys(MEMBERS, 0.5)))
    spec = figure.to_plotly_json()
    # No geo (or map/mapbox) subplot: plotly.js would download a base-map topojson (or tiles) for one.
    assert {type(t).__name__ for t in figure.data} == {"Scatter"}
    assert not [key for key in spec["layout"] if key.startswith(("geo", "map", "mapbox"))]
    text = figure.to_json()
    assert "topojson" not in text
    assert "http" not in text
    assert "http" not in json.dumps(MAP_PLOTLY_CONFIG)


def test_figure_is_deterministic() -> None:
    frame = scores_frame({code: 0.3 for code in MEMBERS})
    assert adoption_map(frame).to_json() == adoption_map(frame.sample(frac=1, random_state=1)).to_json()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="kaleido needs the system chromium, which is missing")
def test_png_export_through_kaleido() -> None:
    pytest.importorskip("kaleido", reason="kaleido (static image export) is not installed")
    values = {code: 0.6 for code in MEMBERS}
    values["DK"] = math.nan
    image = adoption_map(scores_frame(values)).to_image(format="png", width=1000, height=640)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(image) > 20_000
