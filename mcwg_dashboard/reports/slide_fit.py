"""How much room text takes on a slide: widths from real font metrics, so the deck wraps and sizes its text to fit
instead of cutting it, and a test can check every text frame of a finished deck.

The deck's text is set in Arial; LibreOffice draws Arial with Liberation Sans, which has Arial's metrics, so those
metrics are measured. Without either font file, DejaVu Sans (wider) stands in, which errs on the safe side.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

DECK_FONT = "Arial"
LINE_SPACING = 1.2  # a line is 1.2 x the font size, as PowerPoint and LibreOffice set single spacing
POINTS_PER_INCH = 72
EMU_PER_INCH = 914400
_MEASURE_SIZE = 100  # fonts are measured at 100 pt and scaled: sub-point sizes stay exact
_FONT_FILES = {
    False: (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/msttcorefonts/Arial.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ),
    True: (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/msttcorefonts/Arial_Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
}
# Symbols the body font lacks are drawn from a fallback font about one em wide.
_FALLBACK_EM = 1.0


@lru_cache(maxsize=4)
def _font(bold: bool) -> ImageFont.FreeTypeFont | None:
    for path in _FONT_FILES[bold]:
        if Path(path).exists():
            return ImageFont.truetype(path, _MEASURE_SIZE)
    return None


@lru_cache(maxsize=4)
def _missing_glyphs(bold: bool) -> frozenset[str]:
    font = _font(bold)
    if font is None:
        return frozenset()
    notdef = font.getmask("\ufffe").getbbox()
    return frozenset(c for c in "✔≈◐◷✘▲▼✚·–—…→" if font.getmask(c).getbbox() == notdef)


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width in inches of one line of `text` at `size` points."""
    font = _font(bold)
    if font is None:
        return len(text) * 0.6 * size / POINTS_PER_INCH
    missing = _missing_glyphs(bold)
    kept = "".join(c for c in text if c not in missing)
    width = font.getlength(kept) + sum(_FALLBACK_EM * _MEASURE_SIZE for c in text if c in missing)
    return width / _MEASURE_SIZE * size / POINTS_PER_INCH


def wrapped_lines(text: str, width: float, size: float, *, bold: bool = False) -> int:
    """How many lines `text` takes in a box `width` inches wide, wrapped at spaces as PowerPoint does; a word too
    long for a line is broken (PowerPoint does the same)."""
    total = 0
    for paragraph in text.split("\n"):
        lines, current = 1, ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, size, bold=bold) <= width:
                current = candidate
                continue
            if current:
                lines += 1
            current = word
            while text_width(current, size, bold=bold) > width and len(current) > 1:
                # Break an over-long word: each piece fills a line.
                cut = len(current)
                while cut > 1 and text_width(current[:cut], size, bold=bold) > width:
                    cut -= 1
                current = current[cut:]
                lines += 1
        total += lines
    return total


def breaks_a_word(text: str, width: float, size: float, *, bold: bool = False) -> bool:
    """Whether some word of `text` is wider than the box, so that it would be broken in the middle (a line may
    end after a hyphen, as in GB-/ENG)."""
    parts = [part for word in text.split() for part in re.split(r"(?<=-)", word) if part]
    return any(text_width(part, size, bold=bold) > width for part in parts)


def text_height(lines: int, size: float) -> float:
    """Height in inches of `lines` lines at `size` points."""
    return lines * size * LINE_SPACING / POINTS_PER_INCH


def fits(text: str, width: float, height: float, size: float, *, bold: bool = False) -> bool:
    return text_height(wrapped_lines(text, width, size, bold=bold), size) <= height + 1e-6


def fitting_size(
    text: str, width: float, height: float, sizes: tuple[float, ...], *, bold: bool = False, max_lines: int = 99
) -> float:
    """The largest of `sizes` at which `text` fits the box (in at most `max_lines` lines); the smallest otherwise."""
    for size in sorted(sizes, reverse=True):
        lines = wrapped_lines(text, width, size, bold=bold)
        if lines <= max_lines and text_height(lines, size) <= height + 1e-6 and not breaks_a_word(text, width, size):
            return size
    return min(sizes)


def inches(emu: int | float) -> float:
    return float(emu) / EMU_PER_INCH


def ceil_to(value: float, step: float = 0.01) -> float:
    return math.ceil(value / step) * step


def overflowing_text(presentation: object) -> list[str]:
    """Every text frame and table cell of a python-pptx Presentation whose text does not fit its box at its font
    size, or breaks a word, or a shape that runs off the slide: one line each, empty when everything fits."""
    from pptx.presentation import Presentation as PresentationType

    assert isinstance(presentation, PresentationType)
    slide_width, slide_height = inches(presentation.slide_width or 0), inches(presentation.slide_height or 0)
    problems: list[str] = []
    for number, slide in enumerate(presentation.slides, start=1):
        for shape in slide.shapes:
            left, top = inches(shape.left or 0), inches(shape.top or 0)
            width, height = inches(shape.width or 0), inches(shape.height or 0)
            where = f"slide {number}, {shape.name}"
            if shape.has_table:
                height = sum(inches(row.height) for row in shape.table.rows)
                width = sum(inches(shape.table.columns[i].width) for i in range(len(shape.table.columns)))
                problems += _table_problems(shape.table, where)
            elif shape.has_text_frame and shape.text_frame.text:
                problems += _frame_problems(shape.text_frame, width, height, where)
            if left < 0 or top < 0 or left + width > slide_width + 0.01 or top + height > slide_height + 0.01:
                problems.append(f"{where}: runs off the slide")
    return problems


def _sizes(frame: object) -> list[tuple[str, float, bool]]:
    from pptx.text.text import TextFrame

    assert isinstance(frame, TextFrame)
    result = []
    for paragraph in frame.paragraphs:
        runs = paragraph.runs
        size = next((r.font.size.pt for r in runs if r.font.size), None) or (
            paragraph.font.size.pt if paragraph.font.size else 18.0
        )
        bold = bool(next((r.font.bold for r in runs if r.font.bold is not None), paragraph.font.bold))
        result.append((paragraph.text, size, bold))
    return result


def _frame_problems(frame: object, width: float, height: float, where: str) -> list[str]:
    from pptx.text.text import TextFrame

    assert isinstance(frame, TextFrame)
    inner_width = width - inches(frame.margin_left or 0) - inches(frame.margin_right or 0)
    inner_height = height - inches(frame.margin_top or 0) - inches(frame.margin_bottom or 0)
    needed = 0.0
    problems = []
    for text, size, bold in _sizes(frame):
        needed += text_height(wrapped_lines(text, inner_width, size, bold=bold), size)
        if breaks_a_word(text, inner_width, size, bold=bold):
            problems.append(f"{where}: a word of {text[:40]!r} is wider than its box")
    if needed > inner_height + 0.02:
        problems.append(f"{where}: {frame.text[:40]!r} needs {needed:.2f} in, has {inner_height:.2f}")
    return problems


def _table_problems(table: object, where: str) -> list[str]:
    from pptx.table import Table

    assert isinstance(table, Table)
    widths = [inches(table.columns[i].width) for i in range(len(table.columns))]
    heights = [inches(r.height) for r in table.rows]
    problems = []
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            if cell.is_spanned or not cell.text:
                continue
            width = sum(widths[c : c + cell.span_width])
            height = sum(heights[r : r + cell.span_height])
            if cell._tc.tcPr is not None and cell._tc.tcPr.get("vert") in ("vert", "vert270"):
                width, height = height, width  # written along the column
            box_width = width - inches(cell.margin_left) - inches(cell.margin_right)
            box_height = height - inches(cell.margin_top) - inches(cell.margin_bottom)
            needed = 0.0
            for text, size, bold in _sizes(cell.text_frame):
                needed += text_height(wrapped_lines(text, box_width, size, bold=bold), size)
                if breaks_a_word(text, box_width, size, bold=bold):
                    problems.append(f"{where}, cell {r},{c}: a word of {text[:40]!r} is wider than its column")
            if needed > box_height + 0.02:
                problems.append(
                    f"{where}, cell {r},{c}: {cell.text[:40]!r} needs {needed:.2f} in, has {box_height:.2f}"
                )
    return problems
