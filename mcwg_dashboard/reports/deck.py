"""The plenary slide deck (.pptx), the deck a focus group would send before a one-hour call.

Slides: title (meeting, date, IHE-Europe MCWG); key figures; members and their surveys; map; adoption per set;
a matrix per recommendation set (elements as rows with their titles, every member as a column, "not submitted"
where a member has not handed in); most and least adopted elements per set, with counts; what changed since the
last plenary, by element; market readiness (members' gaps and the products whose validated vendor claims cover
them, once the focus group validated any); change proposals open and decided since then; the agenda (at most 8 by
default).

Tables are native PowerPoint tables whose text is measured (reports.slide_fit) so that it wraps inside its cell and
never runs off the slide; long lists go on to a second slide. The map is the one chart image (kaleido). Every slide
has speaker notes with the detail that does not fit on the screen.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from mcwg_dashboard.charts.describe import summary
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.checklist import RecommendationSet
from mcwg_dashboard.exports import png_batch
from mcwg_dashboard.reports import readiness as market
from mcwg_dashboard.reports import slide_fit
from mcwg_dashboard.reports.data import PlenaryData
from mcwg_dashboard.reports.screens import AGENDA_SIZE, NOT_SUBMITTED, MemberOrder, PlenaryScreens, ScreenTable

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
LEFT = 0.4  # inches: the margin left and right
CONTENT_WIDTH = 12.53
BODY_TOP = 1.6  # below the title and its subtitle line
BODY_BOTTOM = 6.9  # above the footer
DEMO_NOTICE = "SYNTHETIC DEMO DATA — not real survey results"
IDENTITY = "IHE-Europe MCWG"
MATRIX_ROWS_PER_SLIDE = 12
PRIMARY = RGBColor(0x08, 0x51, 0x9C)
GREY = RGBColor(0x59, 0x59, 0x59)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
WARNING = RGBColor(0xB3, 0x00, 0x00)
CELL_MARGIN_X = 0.06  # inches, left and right inside a table cell
CELL_MARGIN_Y = 0.03  # inches, top and bottom
TABLE_SIZES = (20.0, 18.0, 16.0, 15.0, 14.0, 13.0, 12.0, 11.0, 10.0)
READINESS_TITLE = "Market readiness: products covering members' gaps (vendor claims, validated by the focus group)"


@dataclass(frozen=True)
class DeckOptions:
    """What the command line or the page says about the meeting the deck is for."""

    meeting: str = "MCWG plenary"
    meeting_date: dt.date | None = None
    agenda_size: int = AGENDA_SIZE
    member_order: MemberOrder = "name"


@dataclass(frozen=True)
class DeckChart:
    key: str
    title: str
    figure: go.Figure
    width: int
    height: int


def deck_charts(data: PlenaryData) -> list[DeckChart]:
    """The deck's chart images (the map), sized for a 16:9 slide."""
    figure = adoption_map(data.country_scores(), title="", shapes=data.shapes)
    figure.update_layout(font={"size": 18}, margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return [DeckChart("map", "Adoption per member: map", figure, 1600, 760)]


def render_charts(charts: Sequence[DeckChart], progress: Callable[[int, int], None] | None = None) -> dict[str, bytes]:
    """PNG of every chart, in one kaleido batch (raises exports.ChartExportUnavailable without Chromium)."""
    images = png_batch([(c.figure, c.width, c.height) for c in charts], progress=progress)
    return {chart.key: image for chart, image in zip(charts, images, strict=True)}


def make_deck(
    data: PlenaryData, progress: Callable[[int, int], None] | None = None, options: DeckOptions | None = None
) -> bytes:
    charts = deck_charts(data)
    return build_deck(data, charts, render_charts(charts, progress), options)


def build_deck(
    data: PlenaryData, charts: Sequence[DeckChart], images: dict[str, bytes], options: DeckOptions | None = None
) -> bytes:
    options = options or DeckOptions()
    deck = Presentation()
    deck.slide_width = SLIDE_WIDTH
    deck.slide_height = SLIDE_HEIGHT
    builder = _Deck(deck, data, options)
    builder.title_slide()
    builder.key_figures()
    builder.members()
    for chart in charts:
        builder.chart(chart, images[chart.key])
    builder.set_scores()
    for rec_set in data.checklist.asked_sets:
        builder.matrix(rec_set)
    for rec_set in data.checklist.asked_sets:
        builder.extremes(rec_set)
    builder.changes()
    builder.readiness()
    builder.proposals()
    builder.agenda()
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def slide_titles(deck: bytes) -> list[str]:
    """The title of every slide, in order (for the command line's summary and the tests)."""
    presentation = Presentation(io.BytesIO(deck))
    return [s.shapes.title.text_frame.text if s.shapes.title is not None else "" for s in presentation.slides]


class _Deck:
    def __init__(self, deck: PresentationType, data: PlenaryData, options: DeckOptions) -> None:
        self.deck, self.data, self.options = deck, data, options
        self.screens = PlenaryScreens(data, options.member_order)

    def slide(self, title: str, subtitle: str = "", notes: str = "") -> Slide:
        slide = self.deck.slides.add_slide(self.deck.slide_layouts[5])  # "Title Only"
        heading = slide.shapes.title
        assert heading is not None
        width, height = CONTENT_WIDTH, 0.95 if not subtitle else 0.85
        heading.left, heading.top, heading.width, heading.height = (
            Inches(LEFT),
            Inches(0.15),
            Inches(width),
            Inches(height),
        )
        frame = heading.text_frame
        frame.word_wrap = True
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        heading.text = title
        size = slide_fit.fitting_size(title, width, height, (30, 28, 26, 24, 22, 20), bold=True, max_lines=2)
        paragraph = frame.paragraphs[0]
        paragraph.alignment = PP_ALIGN.LEFT
        _style(paragraph, size, bold=True, colour=PRIMARY)
        if subtitle:
            self.text(slide, subtitle, LEFT, 1.05, CONTENT_WIDTH, 0.45, sizes=(17, 16, 15, 14, 13, 12), colour=GREY)
        footer = f"{IDENTITY} · {self.options.meeting} · {self.data.round_name}"
        self.text(slide, footer, LEFT, 7.05, 7.9, 0.35, sizes=(11, 10, 9, 8), colour=GREY)
        if self.data.is_demo:
            self.text(slide, DEMO_NOTICE, 8.4, 7.05, 4.53, 0.35, sizes=(11, 10, 9), colour=WARNING)
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
        return slide

    def text(
        self,
        slide: Slide,
        text: str,
        left: float,
        top: float,
        width: float,
        height: float,
        *,
        sizes: tuple[float, ...] = (18,),
        colour: RGBColor | None = None,
        bold: bool = False,
    ) -> None:
        """A text box whose font is the largest of `sizes` at which the text fits the box."""
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        frame = box.text_frame
        frame.word_wrap = True
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
        size = slide_fit.fitting_size(text, width, height, sizes, bold=bold)
        for i, line in enumerate(text.split("\n")):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.text = line
            _style(paragraph, size, bold=bold, colour=colour)

    def table_slides(self, table: ScreenTable, widths: list[float], *, size: float = 15, max_slides: int = 3) -> int:
        """The table at `size` points (larger when one slide has room), going on to further slides ("1 of 2"...)
        when it does not fit one; rows beyond `max_slides` slides are left to the notes. Returns the rows shown."""
        notes = "\n".join(table.notes)
        header, rows = table.header, table.rows
        if not rows:
            slide = self.slide(table.title, table.subtitle, notes)
            self.text(slide, table.empty, LEFT, BODY_TOP, CONTENT_WIDTH, 0.6, sizes=(22,))
            return 0
        room = BODY_BOTTOM - BODY_TOP
        # As large as one slide allows (projectors), else `size` on as many slides as it takes.
        larger = [s for s in TABLE_SIZES if s > size and _whole_word_size([header, *rows], widths, s) == s]
        size = next((s for s in larger if len(_paginate(header, rows, widths, s, room)) == 1), size)
        size = _whole_word_size([header, *rows], widths, size)
        pages = _paginate(header, rows, widths, size, room)[:max_slides]
        shown = sum(len(p) for p in pages)
        if shown < len(rows):
            notes = f"The slides show {shown} of the {len(rows)} rows; all are listed below.\n" + notes
        for number, page in enumerate(pages, start=1):
            suffix = f" ({number} of {len(pages)})" if len(pages) > 1 else ""
            slide = self.slide(table.title + suffix, table.subtitle, notes)
            _table(slide, header, page, widths, top=BODY_TOP, size=size)
        return shown

    # --- slides ------------------------------------------------------------------------------------------------
    def title_slide(self) -> None:
        slide = self.deck.slides.add_slide(self.deck.slide_layouts[0])
        heading = slide.shapes.title
        assert heading is not None
        heading.left, heading.top, heading.width, heading.height = Inches(0.8), Inches(1.7), Inches(11.7), Inches(1.6)
        heading.text = self.options.meeting
        heading.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        size = slide_fit.fitting_size(self.options.meeting, 11.5, 1.6, (44, 40, 36, 32, 28), bold=True, max_lines=2)
        heading.text_frame.word_wrap = True
        _style(heading.text_frame.paragraphs[0], size, bold=True, colour=PRIMARY)
        for placeholder in list(slide.placeholders):
            if placeholder.placeholder_format.idx == 1:  # the layout's subtitle: our own boxes replace it
                placeholder._element.getparent().remove(placeholder._element)
        self.text(slide, IDENTITY, 0.8, 0.9, 11.7, 0.6, sizes=(26,), colour=GREY, bold=True)
        when = self.options.meeting_date
        lines = [f"{when:%d %B %Y}" if when else "Meeting date to be set", f"Adoption survey: {self.data.round_name}"]
        if self.data.earlier_label:
            lines.append(f"Changes since {self.data.earlier_label}")
        self.text(slide, "\n".join(lines), 0.8, 3.5, 11.7, 1.8, sizes=(26, 24, 22, 20, 18))
        self.text(slide, f"Deck made {dt.date.today():%d %B %Y}", 0.8, 5.5, 11.7, 0.4, sizes=(16,), colour=GREY)
        if self.data.is_demo:
            self.text(slide, DEMO_NOTICE, 0.8, 6.1, 11.7, 0.5, sizes=(22,), colour=WARNING, bold=True)
        slide.notes_slide.notes_text_frame.text = (
            f"{self.options.meeting}: the adoption of the MCWG recommendations as the members answered in "
            f"{self.data.round_name} (submitted, validated and published answers; drafts are not shown)."
        )

    def key_figures(self) -> None:
        figures, notes = self.screens.key_figures()
        slide = self.slide("Key figures", f"{self.data.round_name}", "\n".join(notes))
        for i, (label, value) in enumerate(figures):
            top = BODY_TOP + 0.05 + 0.85 * i
            self.text(slide, label, 0.6, top, 5.0, 0.7, sizes=(22, 20, 18, 16), colour=GREY)
            self.text(slide, value, 5.8, top, 7.1, 0.7, sizes=(26, 24, 22, 20, 18), bold=True)

    def members(self) -> None:
        self.table_slides(self.screens.members(), [4.0, 3.0, 2.6, 2.9])

    def chart(self, chart: DeckChart, image: bytes) -> None:
        slide = self.slide(chart.title, self.screens.map_subtitle(), notes="\n".join(self.screens.scores_notes()))
        _picture(slide, image, description=summary(chart.figure, title=chart.title))

    def set_scores(self) -> None:
        self.table_slides(self.screens.set_scores(), [5.0, 2.9, 2.6, 2.0])

    def matrix(self, rec_set: RecommendationSet) -> None:
        table = self.screens.matrix(rec_set)
        assert table.fills is not None
        pages = max(1, math.ceil(len(table.rows) / MATRIX_ROWS_PER_SLIDE))
        per_page = math.ceil(len(table.rows) / pages)
        for page in range(pages):
            part = slice(page * per_page, (page + 1) * per_page)
            suffix = f" ({page + 1} of {pages})" if pages > 1 else ""
            subtitle = f"{table.subtitle} · {self.screens.legend()}"
            slide = self.slide(table.title + suffix, subtitle, "\n".join(table.notes))
            _matrix_table(slide, table.header, table.rows[part], table.fills[part], set(table.missing))

    def extremes(self, rec_set: RecommendationSet) -> None:
        table = self.screens.extremes(rec_set)
        if table is not None:
            self.table_slides(table, [1.0, 6.6, 2.6, 2.3])

    def changes(self) -> None:
        table = self.screens.changes()
        if table is not None:
            self.table_slides(table, [6.0, 2.4, 2.1, 2.03], size=14, max_slides=2)

    def proposals(self) -> None:
        self.table_slides(self.screens.proposals(), [1.3, 2.3, 4.9, 1.9, 2.13], size=14)

    def readiness(self) -> None:
        # No slide until the focus group has validated some vendor claims: a slide saying "none yet" would spend a
        # minute of a one-hour call telling the plenary nothing it can act on, and the product pages say where the
        # product surveys stand.
        readiness = self.data.readiness
        if readiness is None or not readiness.has_claims:
            return
        self.table_slides(_readiness_table(readiness), [1.9, 1.75, 1.75, 7.13], size=14, max_slides=2)

    def agenda(self) -> None:
        self.table_slides(self.screens.agenda(self.options.agenda_size), [0.5, 5.0, 2.4, 4.63], size=14, max_slides=1)


def _readiness_table(readiness: market.ReadinessData) -> ScreenTable:
    """Per member (by name): its gaps, how many some product's validated claims cover and the products closing the
    most; the notes list every gap with every covering product."""
    table = market.gap_table(readiness, separator="\n")  # a product per line: no label broken across two
    rows = [
        [str(member), str(gaps), f"{covered} of {gaps}" if gaps else "0", str(top)]
        for member, gaps, covered, top in table.itertuples(index=False)
    ]
    products = readiness.products
    unpublished = readiness.not_published
    subtitle = f"Vendor claims, never part of a member's adoption figure · {market.plural(len(products), 'product')}"
    if unpublished:
        subtitle += f", {len(unpublished)} not yet published: for the plenary only"
    gap_labels = market.either(market.gap_status_labels(readiness))
    notes = [
        "Market readiness: what vendors claim for their products, validated by the focus group. These are vendor "
        "claims, not member answers, and they count in no adoption figure.",
        f"A gap is a member's answer {gap_labels} on an element products are asked about; a product covers it when "
        f"its vendor claims {market.either(market.covering_status_labels())} there.",
    ]
    if unpublished:
        notes.append(
            "Validated but not yet published (for the plenary only, not to be shared outside it): "
            + "; ".join(p.label for p in unpublished)
            + "."
        )
    notes.append("Products: " + "; ".join(f"{p.label}, {p.type_label}, {p.survey_state}" for p in products) + ".")
    for member in readiness.members:
        gaps = market.plural(len(member.gaps), "gap")
        notes.append(f"{member.country_name}: {gaps}, {len(member.covered)} covered by a vendor claim.")
        for gap in member.gaps:
            covering = "; ".join(p.label for p in gap.products) or "no product claims to cover it"
            notes.append(f"  {gap.element_id} {gap.element_title} ({gap.member_status_label}): {covering}.")
    return ScreenTable(
        READINESS_TITLE,
        subtitle,
        list(market.GAP_TABLE_COLUMNS),
        rows,
        notes,
        empty="No member has shared answers on the elements products are asked about.",
    )


# --- helpers ---------------------------------------------------------------------------------------------------


def _style(paragraph: object, size: float, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    """Font of the paragraph's runs (what is drawn) and of the paragraph (what text typed later gets)."""
    from pptx.text.text import _Paragraph

    assert isinstance(paragraph, _Paragraph)
    for font in [paragraph.font, *(run.font for run in paragraph.runs)]:
        font.name = slide_fit.DECK_FONT
        font.size = Pt(size)
        font.bold = bold
        if colour is not None:
            font.color.rgb = colour


def _row_height(cells: Sequence[str], widths: Sequence[float], size: float, *, bold: bool) -> float:
    lines = max(
        slide_fit.wrapped_lines(text, width - 2 * CELL_MARGIN_X, size, bold=bold)
        for text, width in zip(cells, widths, strict=True)
    )
    return slide_fit.ceil_to(slide_fit.text_height(lines, size) + 2 * CELL_MARGIN_Y + 0.02)


def _whole_word_size(rows: list[list[str]], widths: list[float], size: float) -> float:
    """The largest size up to `size` at which no word is wider than its column (the header is one point larger)."""
    for candidate in [s for s in TABLE_SIZES if s <= size]:
        if not any(
            slide_fit.breaks_a_word(text, width - 2 * CELL_MARGIN_X, candidate + (1 if r == 0 else 0), bold=r == 0)
            for r, row in enumerate(rows)
            for text, width in zip(row, widths, strict=True)
        ):
            return candidate
    return TABLE_SIZES[-1]


def _paginate(
    header: list[str], rows: list[list[str]], widths: list[float], size: float, height: float
) -> list[list[list[str]]]:
    """The rows split into pages whose measured height fits `height` inches under the header."""
    room = height - _row_height(header, widths, size + 1, bold=True)
    pages: list[list[list[str]]] = [[]]
    used = 0.0
    for row in rows:
        needed = _row_height(row, widths, size, bold=False)
        if pages[-1] and used + needed > room:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += needed
    return pages


def _table(
    slide: Slide, header: list[str], rows: list[list[str]], widths: list[float], *, top: float, size: float
) -> None:
    heights = [_row_height(header, widths, size + 1, bold=True)] + [
        _row_height(r, widths, size, bold=False) for r in rows
    ]
    shape = slide.shapes.add_table(
        len(rows) + 1, len(header), Inches(LEFT), Inches(top), Inches(sum(widths)), Inches(sum(heights))
    )
    table = shape.table
    for i, width in enumerate(widths):
        table.columns[i].width = Inches(width)
    for r, values in enumerate([header, *rows]):
        table.rows[r].height = Inches(heights[r])
        for c, value in enumerate(values):
            _cell(table.cell(r, c), value, size + 1 if r == 0 else size, header=r == 0)


def _cell(cell: object, value: str, size: float, *, header: bool = False, fill: str | None = None) -> None:
    from pptx.table import _Cell

    assert isinstance(cell, _Cell)
    cell.margin_left = cell.margin_right = Inches(CELL_MARGIN_X)
    cell.margin_top = cell.margin_bottom = Inches(CELL_MARGIN_Y)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    cell.text = value
    colour = None
    if header:
        cell.fill.solid()
        cell.fill.fore_color.rgb = PRIMARY
        colour = WHITE
    elif fill:
        cell.fill.solid()
        cell.fill.fore_color.rgb = RGBColor.from_string(fill.lstrip("#"))
        colour = WHITE if _is_dark(fill) else RGBColor(0, 0, 0)
    for paragraph in cell.text_frame.paragraphs:
        _style(paragraph, size, bold=header, colour=colour)


def _is_dark(colour: str) -> bool:
    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5


def _matrix_table(
    slide: Slide, header: list[str], rows: list[list[str]], fills: list[list[str | None]], missing: set[int]
) -> None:
    """Elements as rows, members as columns: each cell the status glyph on the status colour; a member that has not
    submitted gets one merged cell saying so."""
    members = len(header) - 2
    member_width = 0.66
    last_width = 1.3
    widths = [CONTENT_WIDTH - members * member_width - last_width, *[member_width] * members, last_width]
    header_size = _whole_word_size([header], widths, 14) + 1  # _whole_word_size measures a header one point up
    header_height = _row_height(header, widths, header_size, bold=True)
    room = BODY_BOTTOM - BODY_TOP - header_height
    size = TABLE_SIZES[-1]
    for candidate in TABLE_SIZES:
        whole_words = not any(
            slide_fit.breaks_a_word(text, width - 2 * CELL_MARGIN_X, candidate)
            for row in rows
            for text, width in zip(row, widths, strict=True)
        )
        if whole_words and sum(_row_height(r, widths, candidate, bold=False) for r in rows) <= room:
            size = candidate
            break
    heights = [header_height] + [_row_height(r, widths, size, bold=False) for r in rows]
    shape = slide.shapes.add_table(
        len(rows) + 1, len(header), Inches(LEFT), Inches(BODY_TOP), Inches(sum(widths)), Inches(sum(heights))
    )
    table = shape.table
    for i, width in enumerate(widths):
        table.columns[i].width = Inches(width)
    for r, height in enumerate(heights):
        table.rows[r].height = Inches(height)
    for c, value in enumerate(header):
        _cell(table.cell(0, c), value, header_size, header=True)
    for r, (values, row_fills) in enumerate(zip(rows, fills, strict=True), start=1):
        for c, (value, fill) in enumerate(zip(values, row_fills, strict=True)):
            if c in missing:
                continue
            _cell(table.cell(r, c), value, size, fill=fill)
            if 0 < c < len(header) - 1:
                table.cell(r, c).text_frame.paragraphs[0].alignment = PP_ALIGN.CENTER
    for c in missing:
        if rows:
            origin = table.cell(1, c)
            if len(rows) > 1:
                origin.merge(table.cell(len(rows), c))
            _cell(origin, NOT_SUBMITTED, size, fill="#F2F2F2")
            origin.text_frame.paragraphs[0].alignment = PP_ALIGN.CENTER
            # Written upwards, along the column: the words fit a column as narrow as a glyph.
            origin._tc.get_or_add_tcPr().set("vert", "vert270")


def _picture(slide: Slide, image: bytes, *, description: str) -> None:
    """The image as large as fits below the title, centred, aspect kept, with its description as alternative text
    (read out by screen readers, shown by PowerPoint's Alt Text)."""
    from PIL import Image

    with Image.open(io.BytesIO(image)) as opened:
        width_px, height_px = opened.size
    box_left, box_top, box_width, box_height = Inches(LEFT), Inches(BODY_TOP), Inches(CONTENT_WIDTH), Inches(5.3)
    scale = min(box_width / width_px, box_height / height_px)
    width, height = int(width_px * scale), int(height_px * scale)
    left = box_left + (box_width - width) // 2
    picture = slide.shapes.add_picture(io.BytesIO(image), Emu(left), Emu(box_top), Emu(width), Emu(height))
    picture._element.xpath("./p:nvPicPr/p:cNvPr")[0].set("descr", description)
