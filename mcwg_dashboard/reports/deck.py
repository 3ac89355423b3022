"""The plenary slide deck (.pptx): charts rendered by kaleido in one batch, tables as native PowerPoint tables.

Slides: title; key figures; map; matrix per recommendation set; score per member; what changed since an earlier
round or meeting snapshot (when one is given); change proposals; most and least adopted elements per set; agenda.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide
from pptx.util import Emu, Inches, Length, Pt

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import change_bars, percent, score_bars, status_heatmap
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.checklist import DRAFT_LABEL
from mcwg_dashboard.exports import png_batch
from mcwg_dashboard.reports.data import PlenaryData
from mcwg_dashboard.services.proposals import illustrative

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
IMAGE_WIDTH = 1600
DEMO_NOTICE = "SYNTHETIC DEMO DATA — not real survey results"
AGENDA_ROWS_PER_SLIDE = 8
AGENDA_SLIDES = 2
PRIMARY = RGBColor(0x08, 0x51, 0x9C)
GREY = RGBColor(0x59, 0x59, 0x59)
WARNING = RGBColor(0xB3, 0x00, 0x00)


@dataclass(frozen=True)
class DeckChart:
    key: str
    title: str
    figure: go.Figure
    width: int
    height: int


def deck_charts(data: PlenaryData) -> list[DeckChart]:
    """Every chart of the deck, in slide order, sized for a 16:9 slide."""
    charts = [DeckChart("map", "Adoption per member: map", adoption_map(data.country_scores(), title=""), 1600, 820)]
    for rec_set in data.checklist.asked_sets:
        subset = data.answers[data.answers["set_code"] == rec_set.code]
        if subset.empty:
            continue
        matrix = analytics.status_matrix(subset, sort_by="adoption")
        figure = status_heatmap(matrix, subset, data.checklist.scale, title="")
        maturity = "" if rec_set.is_final else f" ({DRAFT_LABEL})"
        charts.append(
            DeckChart(f"matrix-{rec_set.code}", f"Matrix · {rec_set.code} {rec_set.title}{maturity}", figure, 1600, 0)
        )
    charts.append(
        DeckChart(
            "scores",
            "Score per member (finalized sets)",
            score_bars(data.country_scores(), label="country_name", title=""),
            1600,
            0,
        )
    )
    changes = data.changes()
    if changes is not None:
        figure = change_bars(analytics.change_summary(changes), title="")
        charts.append(DeckChart("changes", f"What changed since {data.earlier_label}", figure, 1600, 0))
    sized = []
    for chart in charts:
        chart.figure.update_layout(font={"size": 18}, margin={"t": 150 if chart.key.startswith("matrix") else 30})
        height = chart.height or max(int(chart.figure.layout.height or 600), 700)
        sized.append(DeckChart(chart.key, chart.title, chart.figure, chart.width, height))
    return sized


def render_charts(charts: Sequence[DeckChart], progress: Callable[[int, int], None] | None = None) -> dict[str, bytes]:
    """PNG of every chart, in one kaleido batch (raises exports.ChartExportUnavailable without Chromium)."""
    images = png_batch([(c.figure, c.width, c.height) for c in charts], progress=progress)
    return {chart.key: image for chart, image in zip(charts, images, strict=True)}


def make_deck(data: PlenaryData, progress: Callable[[int, int], None] | None = None) -> bytes:
    charts = deck_charts(data)
    return build_deck(data, charts, render_charts(charts, progress))


def build_deck(data: PlenaryData, charts: Sequence[DeckChart], images: dict[str, bytes]) -> bytes:
    deck = Presentation()
    deck.slide_width = SLIDE_WIDTH
    deck.slide_height = SLIDE_HEIGHT
    _title_slide(deck, data)
    _key_figures_slide(deck, data)
    for chart in charts:
        slide = _slide(deck, data, chart.title)
        _picture(slide, images[chart.key])
    _proposals_slide(deck, data)
    for rec_set in data.checklist.asked_sets:
        _set_extremes_slide(deck, data, rec_set.code, rec_set.title)
    _agenda_slides(deck, data)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _slide(deck: PresentationType, data: PlenaryData, title: str) -> Slide:
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # "Title Only"
    heading = slide.shapes.title
    assert heading is not None
    heading.left, heading.top, heading.width, heading.height = Inches(0.4), Inches(0.2), Inches(12.5), Inches(0.9)
    heading.text = title if len(title) <= 64 else title[:63] + "…"
    paragraph = heading.text_frame.paragraphs[0]
    paragraph.font.size = Pt(28)
    paragraph.font.bold = True
    paragraph.font.color.rgb = PRIMARY
    footer = f"MCWG adoption survey · {data.round_name}"
    _text(slide, footer, Inches(0.4), Inches(7.05), Inches(8), Inches(0.35), size=11, colour=GREY)
    if data.is_demo:
        _text(slide, DEMO_NOTICE, Inches(8.4), Inches(7.05), Inches(4.6), Inches(0.35), size=11, colour=WARNING)
    return slide


def _text(
    slide: Slide,
    text: str,
    left: Length,
    top: Length,
    width: Length,
    height: Length,
    *,
    size: int = 18,
    colour: RGBColor | None = None,
    bold: bool = False,
) -> None:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)
        paragraph.font.bold = bold
        if colour is not None:
            paragraph.font.color.rgb = colour


def _picture(slide: Slide, image: bytes) -> None:
    """The image as large as fits below the title, centred, aspect kept."""
    from PIL import Image

    with Image.open(io.BytesIO(image)) as opened:
        width_px, height_px = opened.size
    box_left, box_top, box_width, box_height = Inches(0.4), Inches(1.15), Inches(12.53), Inches(5.85)
    scale = min(box_width / width_px, box_height / height_px)
    width, height = int(width_px * scale), int(height_px * scale)
    left = box_left + (box_width - width) // 2
    slide.shapes.add_picture(io.BytesIO(image), Emu(left), Emu(box_top), Emu(width), Emu(height))


def _table(
    slide: Slide, header: list[str], rows: list[list[str]], widths: list[float], *, top: float = 1.2, size: int = 14
) -> None:
    shape = slide.shapes.add_table(
        len(rows) + 1, len(header), Inches(0.4), Inches(top), Inches(sum(widths)), Inches(0.4 * (len(rows) + 1))
    )
    table = shape.table
    for i, width in enumerate(widths):
        table.columns[i].width = Inches(width)
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.text = value
            for paragraph in cell.text_frame.paragraphs:
                paragraph.font.size = Pt(size if r else size + 1)
                paragraph.font.bold = r == 0


def _title_slide(deck: PresentationType, data: PlenaryData) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    assert slide.shapes.title is not None
    slide.shapes.title.text = f"MCWG adoption survey\n{data.round_name}"
    for paragraph in slide.shapes.title.text_frame.paragraphs:
        paragraph.font.size = Pt(40)
        paragraph.font.bold = True
        paragraph.font.color.rgb = PRIMARY
    subtitle = slide.placeholders[1]
    lines = [f"Plenary deck · made {dt.date.today():%d %B %Y}"]
    if data.earlier_label:
        lines.append(f"Changes since {data.earlier_label}")
    if data.is_demo:
        lines.append(DEMO_NOTICE)
    subtitle.text = "\n".join(lines)
    for paragraph in subtitle.text_frame.paragraphs:
        paragraph.font.size = Pt(22)
        if paragraph.text == DEMO_NOTICE:
            paragraph.font.color.rgb = WARNING


def _key_figures_slide(deck: PresentationType, data: PlenaryData) -> None:
    slide = _slide(deck, data, "Key figures")
    answers = data.answers
    answered = answers["country_code"].nunique() if not answers.empty else 0
    states: dict[Any, int] = (
        answers.drop_duplicates("country_code")["survey_state"].value_counts().to_dict() if not answers.empty else {}
    )
    set_scores = analytics.adoption_scores(analytics.headline(answers), ["set_code"]).dropna(subset=["score"])
    figures = [
        ("Members who answered", f"{answered} of {len(data.members)}"),
        (
            "Overall adoption score (finalized sets)",
            percent(analytics.overall_score(analytics.headline(answers))),
        ),
        ("Answers", f"{len(answers)} on {answers['element_id'].nunique() if not answers.empty else 0} elements"),
        (
            "Surveys",
            ", ".join(f"{int(n)} {state}" for state, n in states.items()) or "none handed in",
        ),
    ]
    if not set_scores.empty:
        best = set_scores.sort_values("score").iloc[-1]
        worst = set_scores.sort_values("score").iloc[0]
        figures.append(
            (
                "Best / least adopted set",
                f"{best['set_code']} {percent(best['score'])} / {worst['set_code']} {percent(worst['score'])}",
            )
        )
    changes = data.changes()
    if changes is not None:
        counts = changes["change"].value_counts()
        figures.append(
            (
                f"Since {data.earlier_label}",
                f"▲ {int(counts.get('upgrade', 0))} upgrades, ▼ {int(counts.get('downgrade', 0))} downgrades, "
                f"✚ {int(counts.get('new', 0))} new answers",
            )
        )
    open_count = int(data.proposals["state"].isin(data.open_states).sum()) if not data.proposals.empty else 0
    figures.append(("Open change proposals", str(open_count)))
    for i, (label, value) in enumerate(figures):
        top = Inches(1.3 + 0.78 * i)
        _text(slide, label, Inches(0.6), top, Inches(4.8), Inches(0.6), size=20, colour=GREY)
        _text(slide, value, Inches(5.4), top, Inches(7.5), Inches(0.6), size=24, bold=True)


def _proposals_slide(deck: PresentationType, data: PlenaryData) -> None:
    slide = _slide(deck, data, "Change proposals")
    proposals = data.proposals
    if proposals.empty:
        _text(slide, "No change proposals yet.", Inches(0.6), Inches(1.4), Inches(12), Inches(0.6), size=22)
        return
    state_column = "state_label" if "state_label" in proposals.columns else "state"
    counts = proposals[state_column].value_counts()
    summary = " · ".join(f"{state}: {int(n)}" for state, n in counts.items())
    _text(slide, f"{len(proposals)} proposals — {summary}", Inches(0.4), Inches(1.15), Inches(12.5), Inches(0.5))
    open_ones = proposals[proposals["state"].isin(data.open_states)].sort_values("number").head(10)
    rows = [
        [
            # A demo proposal's made-up number says so, as on the pages.
            illustrative(str(p["number"]), "number", p.get("illustrative_fields")),
            str(p["title"])[:70],
            ", ".join(p["element_ids"] or []) or str(p["set_code"] or ""),
            str(p["country_code"] or ""),
            str(p[state_column]),
        ]
        for _, p in open_ones.iterrows()
    ]
    if rows:
        _table(slide, ["No.", "Open proposal", "Elements", "From", "State"], rows, [1.6, 5.6, 2.5, 1.0, 1.8], top=2.0)


def _set_extremes_slide(deck: PresentationType, data: PlenaryData, set_code: str, set_title: str) -> None:
    subset = data.answers[data.answers["set_code"] == set_code]
    if subset.empty:
        return
    slide = _slide(deck, data, f"{set_code}: most and least adopted elements")
    _text(slide, set_title, Inches(0.4), Inches(1.0), Inches(12.5), Inches(0.4), size=16, colour=GREY)
    scores = analytics.adoption_scores(subset, ["element_id", "element_title"]).dropna(subset=["score"])
    scores = scores.merge(subset.groupby("element_id")["position"].min().reset_index())
    ordered = scores.sort_values(["score", "position"], ascending=[False, True])
    n = min(3, math.ceil(len(ordered) / 2))
    most, least = ordered.head(n), ordered.tail(len(ordered) - n).tail(3).iloc[::-1]

    def rows(frame: pd.DataFrame) -> list[list[str]]:
        return [[str(r["element_id"]), str(r["element_title"])[:80], percent(r["score"])] for _, r in frame.iterrows()]

    _text(slide, "Most adopted", Inches(0.4), Inches(1.4), Inches(6), Inches(0.5), size=20, bold=True)
    _table(slide, ["Element", "Title", "Score"], rows(most), [1.4, 9.6, 1.4], top=1.9)
    _text(slide, "Least adopted", Inches(0.4), Inches(3.9), Inches(6), Inches(0.5), size=20, bold=True)
    _table(slide, ["Element", "Title", "Score"], rows(least), [1.4, 9.6, 1.4], top=4.4)


def _agenda_slides(deck: PresentationType, data: PlenaryData) -> None:
    agenda = data.agenda()
    agenda = agenda[agenda["discussion_score"] > 0].head(AGENDA_ROWS_PER_SLIDE * AGENDA_SLIDES)
    if agenda.empty:
        slide = _slide(deck, data, "Agenda: elements to discuss")
        _text(slide, "No element stands out for discussion.", Inches(0.6), Inches(1.4), Inches(12), Inches(0.6))
        return
    pages = math.ceil(len(agenda) / AGENDA_ROWS_PER_SLIDE)
    for page in range(pages):
        part = agenda.iloc[page * AGENDA_ROWS_PER_SLIDE : (page + 1) * AGENDA_ROWS_PER_SLIDE]
        suffix = f" ({page + 1} of {pages})" if pages > 1 else ""
        slide = _slide(deck, data, f"Agenda: elements to discuss{suffix}")
        rows = [
            [
                str(r["rank"]),
                f"{r['element_id']} {_short(str(r['element_title']), 60)}",
                f"{r['discussion_score']:.0f}",
                str(r["reasons"]),
            ]
            for _, r in part.iterrows()
        ]
        _table(slide, ["#", "Element", "Score", "Why"], rows, [0.6, 4.6, 1.0, 6.3], size=12)


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
