"""Files built on demand for downloads: CSV and Excel of a frame, PNG of a figure."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
import xlsxwriter

from mcwg_dashboard.text import clean_text

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Field separators of the CSV dialects spreadsheets guess by locale (',' English, ';' French or German, tab, '|').
# Our CSV quotes only fields holding ',', so in a ';' locale `x;=1+1` opens as two cells, the second a formula.
# A trigger that follows one (after spaces or an opening quote) gets the apostrophe too. Line breaks are not
# separators here: a field holding one is always quoted.
SEPARATORS = ",;|\t"
_TRIGGER_AFTER_SEPARATOR = re.compile(f'([{re.escape(SEPARATORS)}][ "]*)(?=[{re.escape("".join(FORMULA_TRIGGERS))}])')

T = TypeVar("T")


PNG_UNAVAILABLE = (
    "Chart images need Chromium, which is not installed on this server (Debian: apt-get install chromium). "
    "The data downloads work without it."
)


class ChartExportUnavailable(RuntimeError):
    """PNG export needs a Chromium browser on the machine."""


def neutralise(value: Any) -> Any:
    """Text as a spreadsheet keeps it: every place where a cell could begin with a formula trigger (the start, or
    just after a separator of any CSV dialect) gets an apostrophe, so it stays text and reads the same; and the
    characters no .xlsx can hold are taken out (`text.clean_text`), so an export never fails on stored text.
    """
    if not isinstance(value, str):
        return value
    value = _TRIGGER_AFTER_SEPARATOR.sub(r"\1'", clean_text(value))
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


# A cell holding any of these needs `neutralise`: a formula trigger at the start or after a separator, or a
# character no file can hold. Searched for once per cell; most cells hold none and are left as they are.
_NEEDS_NEUTRALISING = re.compile(
    f"^[{re.escape(''.join(FORMULA_TRIGGERS))}]"
    f'|[{re.escape(SEPARATORS)}][ "]*[{re.escape("".join(FORMULA_TRIGGERS))}]'
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]"
)


# The same in the syntax of Arrow's regex engine (RE2).
_NEEDS_NEUTRALISING_ARROW = r'^[=+\-@\t\r]|[,;|\t][ "]*[=+\-@\t\r]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{fffe}\x{ffff}]'


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    for column in safe.columns:
        if isinstance(safe[column].dtype, pd.CategoricalDtype):
            safe[column] = safe[column].astype(object)
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            values = safe[column]
            if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
                # Arrow-backed text (no lone surrogates possible): searched by Arrow's regex engine at once.
                texts = values.str.contains(_NEEDS_NEUTRALISING_ARROW, regex=True, na=False)
            else:
                texts = values.map(lambda v: isinstance(v, str) and _NEEDS_NEUTRALISING.search(v) is not None)
            if texts.any():
                safe[column] = values.astype(object).where(
                    ~texts.astype(bool), values[texts.astype(bool)].map(neutralise)
                )
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "data") -> bytes:
    return workbook_bytes({sheet_name: frame})


# Excel refuses these in a sheet name, and a name longer than 31 characters or starting or ending with "'".
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET_NAME = 31


def sheet_titles(names: Sequence[str]) -> list[str]:
    """Excel-safe sheet names for `names`, in order, unique (Excel compares them ignoring case): forbidden
    characters become '-', long names are cut, and a name already taken gets ' (2)', ' (3)'... within 31."""
    titles: list[str] = []
    taken: set[str] = set()
    for name in names:
        base = _SHEET_NAME_FORBIDDEN.sub("-", clean_text(str(name)).replace("\n", " ").replace("\r", " "))
        base = base.replace("\t", " ").strip().strip("'").strip()[:MAX_SHEET_NAME].strip() or "Sheet"
        title, number = base, 1
        while title.casefold() in taken:
            number += 1
            suffix = f" ({number})"
            title = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        taken.add(title.casefold())
        titles.append(title)
    return titles


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An xlsx with one sheet per frame; user text neutralised and always written as text, header frozen.

    Written by XlsxWriter in constant-memory mode (each row goes to disk as it is written): the fastest of the
    well-kept writers on the full export (see the benchmark), and small in memory whatever the number of rounds.
    """
    with tempfile.TemporaryDirectory(prefix="mcwg-xlsx-") as folder:
        path = Path(folder) / "book.xlsx"
        book = xlsxwriter.Workbook(str(path), {**XLSX_OPTIONS, "tmpdir": folder})
        header = book.add_format({"bold": True})
        stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for title, frame in zip(sheet_titles(list(sheets)), sheets.values(), strict=True):
            safe = safe_frame(frame)
            sheet = book.add_worksheet(title)
            sheet.freeze_panes(1, 0)
            sheet.write_row(0, 0, [str(column) for column in safe.columns], header)
            stamped = [_holds_date_times(safe[column]) for column in safe.columns]
            for index, is_stamp in enumerate(stamped):
                if is_stamp:
                    # Date and time as Excel's serial number, shown by the column's format: one write per cell.
                    sheet.set_column(index, index, 19, stamp)
            # In slices, so the Python values of only one slice are held at a time (a full export has 216,000
            # rows at the benchmark's scale 1).
            for start in range(0, len(safe), ROWS_PER_SLICE):
                part = safe.iloc[start : start + ROWS_PER_SLICE]
                columns = [
                    _excel_serials(part[column]) if is_stamp else _cell_values(part[column])
                    for column, is_stamp in zip(part.columns, stamped, strict=True)
                ]
                for number, row in enumerate(zip(*columns, strict=True), start=start + 1):
                    sheet.write_row(number, 0, row)
        book.close()
        return path.read_bytes()


# Text is always text: nothing in a cell is turned into a formula, a link or a number.
XLSX_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": "yyyy-mm-dd",
    "remove_timezone": True,
}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
ROWS_PER_SLICE = 20_000


def _holds_date_times(series: pd.Series) -> bool:
    """A column of dates with times (plain dates are left to the writer's date format)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    sample = series.dropna()
    return series.dtype == object and not sample.empty and isinstance(sample.iloc[0], dt.datetime)


def _excel_serials(series: pd.Series) -> list[Any]:
    """Dates with times as Excel serial numbers (days since 1899-12-30; in UTC when the times carry a zone)."""
    if not pd.api.types.is_datetime64_any_dtype(series):
        series = pd.to_datetime(series, utc=True)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    days = (series - _EXCEL_EPOCH) / pd.Timedelta(days=1)
    return days.astype(object).where(days.notna(), None).tolist()


def _cell_values(series: pd.Series) -> list[Any]:
    """Plain Python values for one column; missing values become empty cells."""
    return series.astype(object).where(series.notna(), None).tolist()


def chromium_available() -> bool:
    return shutil.which("chromium") is not None or shutil.which("chromium-browser") is not None


def png_bytes(figure: go.Figure, *, width: int = 1400, height: int | None = None) -> bytes:
    """A static image of the figure through kaleido, which drives the system Chromium."""
    if not chromium_available():
        raise ChartExportUnavailable(PNG_UNAVAILABLE)
    import kaleido  # imported here: it is only needed for images

    # mathjax=False: kaleido's default page would load MathJax from a CDN; runtime never needs the internet.
    image = kaleido.calc_fig_sync(
        figure.to_dict(),
        opts={"format": "png", "width": width, "height": height or figure.layout.height or 600, "scale": 1},
        kopts={"mathjax": False},
    )
    assert isinstance(image, bytes)
    return image


def _run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end from synchronous code, even where this thread already runs an event loop
    (a notebook, or Playwright's sync API in the same test process): then it runs in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def png_batch(
    figures: Sequence[tuple[go.Figure, int, int]],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[bytes]:
    """PNGs of several (figure, width, height) in one kaleido session: one browser start for all of them.

    `progress(done, total)` is called before the first image and after each one, in the caller's thread.
    """
    if not chromium_available():
        raise ChartExportUnavailable(PNG_UNAVAILABLE)
    import kaleido

    async def render() -> list[bytes]:
        images: list[bytes] = []
        # mathjax=False: kaleido's default page would load MathJax from a CDN; runtime never needs the internet.
        async with kaleido.Kaleido(n=1, mathjax=False) as session:
            for figure, width, height in figures:
                opts = {"format": "png", "width": width, "height": height, "scale": 1}
                image = await session.calc_fig(figure.to_dict(), opts=opts)
                images.append(image)
                if progress is not None:
                    progress(len(images), len(figures))
        return images

    if progress is not None:
        progress(0, len(figures))
    try:
        return _run_coroutine(render)
    except ChartExportUnavailable:
        raise
    except Exception as exc:  # kaleido or choreographer: the browser would not start or render
        raise ChartExportUnavailable(f"Chart images could not be made with Chromium: {exc}") from exc
