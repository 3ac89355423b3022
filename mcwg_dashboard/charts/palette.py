"""One palette for every chart and the Streamlit theme; status colours come from the answer scale."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from mcwg_dashboard.checklist import AnswerScale

TEMPLATE_NAME = "mcwg"
FONT_FAMILY = "Source Sans Pro, Arial, sans-serif"
TEXT_COLOUR = "#262730"
PRIMARY = "#08519C"
# Adoption score 0..1: light to dark blue, readable for colour-blind viewers and in greyscale print.
SCORE_COLORSCALE: list[list[float | str]] = [
    [0.0, "#F7FBFF"],
    [0.25, "#C6DBEF"],
    [0.5, "#6BAED6"],
    [0.75, "#2171B5"],
    [1.0, "#08306B"],
]
NO_DATA_COLOUR = "#E8E8E8"
SERIES_COLOURS = ["#08519C", "#E6550D", "#31A354", "#756BB1", "#636363", "#D6616B", "#3182BD", "#FD8D3C"]


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on the fill (by its relative luminance, WCAG's formula)."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(fill.lstrip("#")[i : i + 2]) for i in (0, 2, 4))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    # Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05): equal at L = 0.179.
    return "#000000" if luminance > 0.179 else "#FFFFFF"


def status_colours(scale: AnswerScale) -> dict[str, str]:
    return {s.code: s.colour for s in scale.statuses}


def register_template() -> None:
    """Register the project template and make it the default (idempotent)."""
    template = go.layout.Template(
        layout=go.Layout(
            font={"family": FONT_FAMILY, "size": 16, "color": TEXT_COLOUR},
            title={"font": {"size": 22}, "x": 0.0, "xanchor": "left"},
            colorway=SERIES_COLOURS,
            paper_bgcolor="white",
            plot_bgcolor="white",
            xaxis={"gridcolor": "#EAEAEA", "zeroline": False, "automargin": True},
            yaxis={"gridcolor": "#EAEAEA", "zeroline": False, "automargin": True},
            legend={"font": {"size": 14}},
            hoverlabel={"font": {"size": 14}},
            margin={"l": 10, "r": 10, "t": 60, "b": 10},
        )
    )
    pio.templates[TEMPLATE_NAME] = template
    pio.templates.default = TEMPLATE_NAME


register_template()
